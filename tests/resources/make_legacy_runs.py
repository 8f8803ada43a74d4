"""Re-make the legacy run files ``legacy_<commit>.h5.gz`` with the OLD code that wrote them.

    python tests/resources/make_legacy_runs.py            # all of them
    python tests/resources/make_legacy_runs.py e3d44f2    # one

The project has only ever written schema version 1, but what a version-1 file holds grew
over its history: more fields (glucose, SASP, chemokine), more cell columns, event tables,
and since the reader work ``fields/vessels``. Each file here was written by the commit in its
name, checked out in a ``git worktree`` under /tmp and run with this interpreter and nothing
installed (``PYTHONPATH=<worktree> python -m abm run ...``), so it is byte for byte what
that version of abm wrote (except ``created_utc``). tests/test_reader.py checks that the
current reader reads all of it.

The files are stored gzipped (``gzip -9``, no name or time in the header): a run file
allocates one 32 KiB chunk per 1-D column even when it holds a few hundred rows, so a tiny
run is ~2 MB of mostly zeros on disk but ~100-200 kB compressed. Tests unpack them into a
temporary directory.

Never regenerate a file for a commit that is already here unless the file is lost: they
stand for files on users' disks. Add a new entry when the content of run files changes.
"""
from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# 48×40 sites, 6 simulated hours, a frame every 2 h (4 frames), one checkpoint (t = 0).
TINY = ["grid.nx=48", "grid.ny=40", "run.days=0.25", "vessels.pattern=array",
        "vessels.array_spacing_um=200.0", "vessels.avascular_radius_um=0.0",
        "tumor.radius_um=100.0", "output.frame_every_min=120.0",
        "output.checkpoint_every_min=1440.0", "output.figure=false", "output.compression=9"]

IMMUNE_AND_SHEDDING = ["chemokine.field=true", "immune.enabled=true",
                       "immune.initial_cd8_per_mm2=100.0", "immune.initial_nk_per_mm2=50.0",
                       "shedding.enabled=true", "shedding.rate_per_h=5.0",
                       "shedding.cluster_probability=0.3"]
THERAPY = """
[[therapy]]
drug = "chemo"
at_h = [1.0]

[[therapy]]
drug = "anti_pdl1"
at_h = [0.0]
"""

# commit -> (what its files look like, extra --set overrides, TOML appended to quickstart.toml)
LEGACY = {
    "e3d44f2": ("first run files of the full simulator (intracellular network program): "
                "oxygen field only, network-state cell columns, empty events group",
                [], ""),
    "8b22bd7": ("last commit before event tables: oxygen, glucose, sasp, sasp_metabolic and "
                "chemokine fields, route/pdl1/stemness/dna_damage columns, empty events group",
                [], ""),
    "4b146e8": ("last commit before fields/vessels: immune cells, two drugs and CTC shedding "
                "on, so every event table of that time is present (immune_cells, immune_kills, "
                "doses, drug_deaths, ctc, ctc_members) and a chemokine field",
                IMMUNE_AND_SHEDDING, THERAPY),
}


def make(commit: str, python: str = sys.executable) -> Path:
    _, overrides, extra_toml = LEGACY[commit]
    target = HERE / f"legacy_{commit}.h5.gz"
    worktree = Path(tempfile.gettempdir()) / f"abm_legacy_{commit}"
    if not worktree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), commit],
                       check=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scenario = worktree / "scenarios" / "quickstart.toml"
            if extra_toml:
                combined = Path(tmp) / "quickstart.toml"
                combined.write_text(scenario.read_text() + extra_toml)
                scenario = combined
            out = Path(tmp) / f"legacy_{commit}.h5"
            command = [python, "-m", "abm", "run", str(scenario), "--out", str(out), "--no-progress"]
            for item in TINY + overrides:
                command += ["--set", item]
            env = dict(os.environ, PYTHONPATH=str(worktree), NUMBA_NUM_THREADS="1")
            print(" ".join(command), flush=True)
            subprocess.run(command, check=True, cwd=worktree, env=env)
            with open(out, "rb") as src, open(target, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as dst:
                    shutil.copyfileobj(src, dst)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False)
    print(f"{target.name}: {target.stat().st_size} bytes", flush=True)
    return target


def main(argv: list[str]) -> None:
    for commit in argv or list(LEGACY):
        make(commit)


if __name__ == "__main__":
    main(sys.argv[1:])
