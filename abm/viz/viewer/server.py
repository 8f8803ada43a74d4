"""Starting the viewer: a Solara server for :mod:`abm.viz.viewer.app` on 127.0.0.1 only."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from abm.viz.viewer.guard import SameOriginOnly

HOST = "127.0.0.1"
"""The only address the viewer listens on: it runs code on this machine (a live model) and
reads its files, so it is never offered to the network."""

ENVIRONMENT = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
               "SOLARA_ASSETS_PROXY": "True",
               "SOLARA_ASSETS_CDN": f"http://{HOST}:9/",
               "SOLARA_STATE_BACKEND": "",
               "SOLARA_STATE_URL": ""}
"""Nothing leaves this machine: no usage statistics sent to Solara's makers; the page's files
served by the server itself (its CDN proxy, which serves them from ``solara-assets``; without
it the browser would ask the CDN address directly), and the CDN address behind it (for files
missing from ``solara-assets``, e.g. KaTeX, which the viewer does not use) a closed local
port instead of a public CDN, so such a file is a local 404; no shared state backend,
whatever the caller's ``SOLARA_*`` variables say. Solara
reads these when it is first imported: :func:`solara_cli` sets them before. The command
line's ``--no-check-version`` stops the look-up of a newer Solara."""


def solara_cli():
    """Solara's command line (``solara.__main__.cli``), imported with :data:`ENVIRONMENT`
    set first; ImportError without the view extra."""
    os.environ.update(ENVIRONMENT)
    try:
        from solara.__main__ import cli
        import solara.server.settings as server_settings
        import solara.settings as settings
    except ImportError:
        raise ImportError('abm view needs the view extra: pip install "tumor-abm[view]"') from None
    # a Solara imported earlier in this process (a test, a notebook) read its settings
    # before ENVIRONMENT was set: the same values, set on the settings themselves
    server_settings.telemetry.mixpanel_enable = False
    settings.assets.proxy = True
    settings.assets.cdn = ENVIRONMENT["SOLARA_ASSETS_CDN"]
    server_settings.state.backend = server_settings.state.url = ""
    return cli


PAGE_MODULE = "abm.viz.viewer.app"
"""The module of the viewer's page (its ``Page`` component), which Solara serves."""
REQUEST_VARIABLE = "ABM_VIEW_REQUEST"
"""The environment variable that tells the page (:mod:`abm.viz.viewer.app`) what to show."""


def free_port() -> int:
    """A TCP port free on :data:`HOST` now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def request_for(targets: list[str], overrides: list[str], seed: int | None) -> dict:
    """What to show, from the command line's targets: run files (``.h5``, side by side) or
    one scenario file (``.toml``, a live model; its config loaded here, so that a bad
    ``--set`` is an error on the command line, not in the browser). ValueError for another
    mix, :class:`abm.errors.ConfigError` (a ValueError) for a bad scenario."""
    suffixes = {Path(t).suffix.lower() for t in targets}
    if suffixes == {".toml"} and len(targets) == 1:
        from abm import load_config

        scenario = str(Path(targets[0]).resolve())
        load_config(scenario, overrides=list(overrides), seed=seed)
        return {"scenario": scenario, "overrides": list(overrides), "seed": seed}
    if suffixes <= {".h5"} and targets:
        if overrides or seed is not None:
            raise ValueError("--set and --seed apply to a scenario (.toml), not to run files")
        missing = [t for t in targets if not Path(t).exists() and not Path(f"{t}.parts").is_dir()]
        if missing:
            raise ValueError(f"no such run file: {', '.join(missing)}")
        return {"runs": [str(Path(t).resolve()) for t in targets]}
    raise ValueError("abm view takes run files (.h5, one or more side by side) or one "
                     f"scenario (.toml), got {' '.join(targets)}")


def serve(request: dict, *, port: int | None = None, browser: bool = True) -> None:
    """Serve the viewer of ``request`` (:func:`request_for`) on ``http://127.0.0.1:PORT``
    (``port`` None: a free one) until interrupted; print the URL; ``browser``: open it."""
    cli = solara_cli()
    port = free_port() if port is None else port
    os.environ[REQUEST_VARIABLE] = json.dumps(request)
    # Solara's ASGI app, which uvicorn serves (``solara.server.starlette:app``, this very
    # module object), made to answer only its own address (abm.viz.viewer.guard says why);
    # it loads the page named by SOLARA_APP when first imported, as the command line sets it
    os.environ["SOLARA_APP"] = PAGE_MODULE
    import solara.server.starlette as solara_app

    solara_app.app.add_middleware(SameOriginOnly, port=port)
    print(f"abm view: http://{HOST}:{port} (Ctrl-C stops it)", flush=True)
    args = ["run", PAGE_MODULE, "--host", HOST, "--port", str(port), "--production",
            "--no-check-version", "--open" if browser else "--no-open"]
    cli(args, standalone_mode=False)  # returns when the server stops (Ctrl-C)


def start_process(args: list[str], timeout_s: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start ``abm view ARGS --no-browser`` in a child process on a free port and wait until
    it listens; return the process (stop it with ``terminate()``) and the URL. Raises
    RuntimeError with its output if it exits or does not listen within ``timeout_s``."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "abm", "view", *args, "--no-browser",
                                "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"abm view exited ({process.returncode}): {process.stdout.read()}")
        with socket.socket() as client:
            if client.connect_ex((HOST, port)) == 0:
                return process, f"http://{HOST}:{port}"
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"abm view did not listen on {HOST}:{port} within {timeout_s:g} s")
