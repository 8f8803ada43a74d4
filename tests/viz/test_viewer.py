"""``abm view`` in a real headless Chromium (Debian's, driven by Playwright): a stored run is
loaded, moved to another frame, switched to a field, a cell is selected and its state shown;
the maps' pixels are checked against the colours the run's data imply; the server listens
on 127.0.0.1 only and answers only its own address; a live model steps. Plus the viewer's
sources read against the run reader (the parts without a browser: test_viewer_parts.py)."""
from __future__ import annotations

import http.client
import io
import os
import socket
import tempfile
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import psutil
import solara  # noqa: F401  (the test extra has it: the browser tests must not skip for it)
from playwright import sync_api

from abm import load_config, load_run, run_scenario
from abm.viz.style import PHASE_COLORS, TISSUE_COLOR, VESSEL_COLOR

from ..helpers import TINY

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage"]
START_TIMEOUT_S = 60


def _cmap(field: str) -> str:
    from abm.fields.solutes import field_spec
    return field_spec(field).style.cmap


def _browser_reason() -> str | None:
    if os.environ.get("ABM_BROWSER_UNAVAILABLE"):
        return os.environ["ABM_BROWSER_UNAVAILABLE"]
    if not Path(CHROMIUM).exists():
        return f"no {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _browser_reason()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS,
            viewport={"width": 1400, "height": 1100})
        yield context
        context.close()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("view") / "run.h5"
    # an off-centre tumour: a map flipped in x or y, or shifted, does not match it
    overrides = TINY + ["tumor.center_x_frac=0.3", "tumor.center_y_frac=0.65"]
    return run_scenario(load_config(None, overrides=overrides, seed=5), path, progress=False)


def test_a_cell_and_its_history_are_read_alone(small_run):
    """StoredRun.cell and .history (which read only the cell's rows) equal that cell's rows
    of whole frames read by the run reader."""
    from abm.viz.viewer.sources import StoredRun

    source = StoredRun(small_run)
    try:
        with load_run(small_run) as run:
            frames = [run.cells(f) for f in range(run.n_frames)]
            cell_id = int(frames[2].index[len(frames[2]) // 3])
            for f in (0, 2, run.n_frames - 1):
                want = frames[f].loc[frames[f].index == cell_id]
                pd.testing.assert_frame_equal(source.cell(f, cell_id), want)
            alive = [f for f in range(run.n_frames) if cell_id in frames[f].index]
            history = source.history(cell_id)
            assert list(history.index) == [run.frame_times[f] for f in alive]
            assert list(history["x"]) == [frames[f].loc[cell_id, "x"] for f in alive]
            assert list(history["HIF"]) == [frames[f].loc[cell_id, "HIF"] for f in alive]
    finally:
        source.close()


def test_a_live_step_waits_for_readers_and_a_replaced_playback_closes_its_files(small_run):
    """LiveModel.step holds the lock the pages read under: while a reader holds it, a step
    (SolaraViz's Play thread) does not change the model; RunPlayback.close closes its runs."""
    import threading

    from abm.errors import RunFileError
    from abm.viz.viewer.playback import LiveModel, RunPlayback

    model = LiveModel(load_config(None, overrides=TINY, seed=3))
    with model.lock:
        stepper = threading.Thread(target=model.step)
        stepper.start()
        stepper.join(timeout=2.0)
        assert stepper.is_alive() and model.time_min == 0.0  # waiting for the reader
    stepper.join(timeout=60)
    assert not stepper.is_alive() and model.time_min == model.dt_min
    playback = RunPlayback((str(small_run),))
    playback.sources[0].map_cells(0)
    playback.close()
    with pytest.raises(RunFileError):  # the file is closed: nothing can be read from it
        playback.sources[0].run.cells(1)


def test_arms_share_one_colour_limit(small_run, tmp_path):
    """Side by side, a field's colour limit is the largest of the arms' own (one colour, one
    value in every map): here oxygen, whose limit is each run's vessel level."""
    from abm.viz.viewer.app import shared_vmax
    from abm.viz.viewer.sources import StoredRun

    other = run_scenario(load_config(None, overrides=TINY + ["oxygen.vessel_mmHg=60.0"],
                                     seed=8), tmp_path / "richer.h5", progress=False)
    arms = [StoredRun(small_run), StoredRun(other)]
    try:
        levels = []
        for path in (small_run, other):
            with load_run(path) as run:
                levels.append(float(run.config["oxygen"]["vessel_mmHg"]))
        assert levels[0] < levels[1] == 60.0
        assert shared_vmax(arms, "oxygen") == 60.0
        assert shared_vmax(arms[:1], "oxygen") == levels[0]
    finally:
        for arm in arms:
            arm.close()


def _start(args: list[str]):
    from abm.viz.viewer.server import start_process
    return start_process(args, timeout_s=START_TIMEOUT_S)


@pytest.fixture(scope="module")
def stored_server(small_run):
    process, url = _start([str(small_run)])
    yield process, url
    process.terminate()
    process.wait(timeout=20)


def _expected_phases(run, frame: int) -> np.ndarray:
    """The colours [ny, nx, 3] (0–255, row 0 = lowest y) the map of ``frame`` must show,
    from the run's cells and vessels and the published palette (abm.viz.style)."""
    ny, nx = len(run.y_um), len(run.x_um)
    want = np.tile(np.array(to_rgb(TISSUE_COLOR)) * 255, (ny, nx, 1))
    want[run.vessels] = np.array(to_rgb(VESSEL_COLOR)) * 255
    cells = run.cells(frame)
    dx = run.x_um[1] - run.x_um[0]
    ix = (cells["x"].to_numpy() // dx).astype(int)
    iy = (cells["y"].to_numpy() // dx).astype(int)
    colours = np.array([np.array(to_rgb(PHASE_COLORS[str(p)])) * 255 for p in cells["phase"]])
    want[iy, ix] = colours
    return want


def _shown_map(page, alt: str, shape: tuple[int, int]) -> np.ndarray:
    """The map ``alt`` as drawn in the page, sampled at each site's centre: [ny, nx, 3],
    row 0 = lowest y."""
    image = page.locator(f"img[alt='{alt}']")
    page.wait_for_function("(alt) => { const i = document.querySelector(`img[alt='${alt}']`);"
                           " return i && i.complete && i.naturalWidth > 0; }", arg=alt)
    shot, previous = image.screenshot(), None
    for _ in range(20):  # until two shots 0.2 s apart agree: the page has settled
        if shot == previous:
            break
        page.wait_for_timeout(200)
        shot, previous = image.screenshot(), shot
    shot = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(float)
    h, w = shot.shape[:2]
    ny, nx = shape
    rows = ((np.arange(ny) + 0.5) / ny * h).astype(int)
    cols = ((np.arange(nx) + 0.5) / nx * w).astype(int)
    return shot[rows][:, cols][::-1]


def _agreement(shown: np.ndarray, want: np.ndarray, tolerance: float = 10,
               where: np.ndarray | None = None) -> float:
    """Fraction of sites (of ``where``, default all) whose colours agree within
    ``tolerance`` in every channel."""
    close = np.abs(shown - want).max(axis=-1) <= tolerance
    return float(np.mean(close if where is None else close[where]))


def _occupied(run, frame: int) -> np.ndarray:
    """Sites with a cell or a vessel [ny, nx] (the fixture's tissue alone would agree with
    a flipped map nearly everywhere)."""
    where = run.vessels.copy()
    cells = run.cells(frame)
    dx = run.x_um[1] - run.x_um[0]
    iy = (cells["y"].to_numpy() // dx).astype(int)
    where[iy, (cells["x"].to_numpy() // dx).astype(int)] = True
    return where


def _check_phase_map(shown: np.ndarray, run, frame: int) -> None:
    """``shown`` is the phase map of ``frame`` on at least 99 % of its cells and vessels,
    and this score fails a map flipped in x or in y or shifted by one row."""
    want, where = _expected_phases(run, frame), _occupied(run, frame)
    assert _agreement(shown, want, where=where) > 0.99
    for wrong in (want[:, ::-1], want[::-1], np.roll(want, 1, axis=0)):
        assert _agreement(wrong, want, where=where) < 0.99


def _title(page, text: str):
    page.locator(".abm-map-title", has_text=text).wait_for(timeout=20000)


def test_stored_run_frames_fields_and_a_cell(browser, stored_server, small_run):
    _, url = stored_server
    page = browser.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    page.locator("img[alt='phases map 0']").wait_for(timeout=30000)
    with load_run(small_run) as run:
        shape = (len(run.y_um), len(run.x_um))
        times = run.frame_times
        _title(page, "day 0, 00:00")
        first = _shown_map(page, "phases map 0", shape)
        _check_phase_map(first, run, 0)
        assert len(np.unique(first.reshape(-1, 3), axis=0)) >= 3  # tissue, vessels, cells

        # another frame: SolaraViz's Step moves the replay one frame on
        page.get_by_role("button", name="Step").click()
        _title(page, "day 0, 01:00")
        assert times[1] == 60.0
        second = _shown_map(page, "phases map 0", shape)
        _check_phase_map(second, run, 1)
        assert not np.array_equal(first, second)  # the tumour grew

        # a field: oxygen, coloured by its colour map on [0, vessel level]
        page.get_by_role("button", name="oxygen").click()
        page.locator("img[alt='oxygen map 0']").wait_for(timeout=20000)
        oxygen = run.field("oxygen", 1)
        cmap = matplotlib.colormaps[_cmap("oxygen")]
        want = cmap(np.clip(oxygen / run.config["oxygen"]["vessel_mmHg"], 0, 1))[..., :3] * 255
        shown = _shown_map(page, "oxygen map 0", shape)
        assert _agreement(shown, want, tolerance=14) > 0.97
        assert _agreement(shown, second) < 0.5  # not the phase map any more

        # a cell: click its site on the phase map; its state is shown
        page.get_by_role("button", name="phases").click()
        page.locator("img[alt='phases map 0']").wait_for(timeout=20000)
        cells = run.cells(1)
        cell_id = int(cells.index[len(cells) // 2])
        cell = cells.loc[cell_id]
        box = page.locator("img[alt='phases map 0']").bounding_box()
        dx = run.x_um[1] - run.x_um[0]
        fx = (cell["x"] // dx + 0.5) / shape[1]
        fy = 1 - (cell["y"] // dx + 0.5) / shape[0]
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        heading = page.get_by_text(f"Cell {cell_id} at day 0, 01:00")
        heading.wait_for(timeout=20000)
        panel = page.locator("div", has=heading).last.inner_text()
        assert f"phase {cell['phase']}" in panel
        for species in ("HIF", "mTORC1"):
            row = page.locator("tr", has=page.locator("td", has_text=species)).first.inner_text()
            assert f"{cell[species]:.6g}" in row, (species, row)

        # the population curves: a click right of the marker moves the clock on
        curves = page.locator("img[alt='population curves']").bounding_box()
        page.mouse.click(curves["x"] + 0.7 * curves["width"], curves["y"] + 0.5 * curves["height"])
        page.wait_for_function("() => !document.querySelector('.abm-map-title')"
                               ".innerText.includes('day 0, 01:00')", timeout=20000)
        later = page.locator(".abm-map-title").inner_text().rsplit("day ", 1)[1]
        day, hhmm = later.replace(",", "").split()
        assert int(day) * 1440 + int(hhmm[:2]) * 60 + int(hhmm[3:]) in times[2:]

        # the frame slider (after SolaraViz's two): End scrubs to the last frame
        page.get_by_role("slider").last.focus()
        page.keyboard.press("End")
        assert times[-1] == 720.0
        _title(page, "day 0, 12:00")
    page.close()
    # nothing the page asked for left this machine (Solara's CDN, telemetry)
    outside = [u for u in requested if not u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:",
                                                          "data:", "blob:"))]
    assert requested and not outside, outside


def test_arms_side_by_side_on_a_shared_clock(browser, small_run, tmp_path):
    """Two runs: one map each, titled by its file; Step moves the clock to the first run's
    next frame and the second run shows its frame nearest in time."""
    other = run_scenario(load_config(None, overrides=TINY + ["output.frame_every_min=90.0"],
                                     seed=6), tmp_path / "other.h5", progress=False)
    process, url = _start([str(small_run), str(other)])
    try:
        page = browser.new_page()
        page.goto(url)
        page.locator("img[alt='phases map 1']").wait_for(timeout=30000)
        _title(page, "run.h5: scenario (seed 5), day 0, 00:00")
        _title(page, "other.h5: scenario (seed 6), day 0, 00:00")
        page.get_by_role("button", name="Step").click()
        _title(page, "run.h5: scenario (seed 5), day 0, 01:00")
        _title(page, "other.h5: scenario (seed 6), day 0, 01:30")  # 30 min away; 00:00 is 60
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_server_listens_on_loopback_only(stored_server):
    """Every listening socket of the server is on 127.0.0.1; the machine's own outward
    address refuses the port."""
    process, url = stored_server
    port = int(url.rsplit(":", 1)[1])
    server = psutil.Process(process.pid)
    listening = [c for p in [server, *server.children(True)]
                 for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outward address
        outward = probe.getsockname()[0]
    if outward.startswith("127."):
        pytest.skip("this machine has no non-loopback address")
    with socket.socket() as client:
        client.settimeout(2)
        assert client.connect_ex((outward, port)) != 0


def _status(port: int, path: str, headers: dict[str, str]) -> int:
    """HTTP status of GET ``path`` on 127.0.0.1:``port`` with exactly these headers."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        client.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            client.putheader(name, value)
        client.endheaders()
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def test_server_answers_only_its_own_address(stored_server):
    """A request for another Host (DNS rebinding) or from another site's page (Origin),
    page or web socket, is refused with 403; the server's own address is served."""
    _, url = stored_server
    port = int(url.rsplit(":", 1)[1])
    own, rebound = f"127.0.0.1:{port}", f"attacker.example:{port}"
    assert _status(port, "/", {"Host": own}) == 200
    assert _status(port, "/", {"Host": f"localhost:{port}"}) == 200
    assert _status(port, "/", {"Host": f"LocalHost:{port}"}) == 200  # host names ignore case
    assert _status(port, "/", {"Host": own, "Origin": f"http://{own}"}) == 200
    assert _status(port, "/", {"Host": rebound}) == 403
    assert _status(port, "/", {"Host": own, "Origin": "http://attacker.example"}) == 403
    socket_headers = {"Host": own, "Origin": "http://attacker.example", "Upgrade": "websocket",
                      "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    assert _status(port, "/jupyter/api/kernels/x/channels", socket_headers) == 403


def test_live_model_steps(browser, tmp_path):
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.toml"
    process, url = _start([str(scenario), "--set", "grid.nx=40", "--set", "grid.ny=40",
                           "--set", "tumor.radius_um=60.0"])
    try:
        page = browser.new_page()
        page.goto(url)
        page.locator("img[alt='phases map 0']").wait_for(timeout=40000)
        _title(page, "live, day 0, 00:00")
        page.get_by_role("button", name="Step").click()
        dt = load_config(scenario).run.dt_min
        _title(page, f"live, day 0, 00:{dt:02.0f}")
        # the tumour sits at the centre: select the cell there, step, its history is drawn
        box = page.locator("img[alt='phases map 0']").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.get_by_text(f"at day 0, 00:{dt:02.0f}: phase").wait_for(timeout=20000)
        page.get_by_role("button", name="Step").click()
        page.locator("img[alt^='history of cell']").wait_for(timeout=20000)
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
