"""Write the small run file of the current schema version that the reader must always read.

    python tests/resources/make_resources.py

writes ``run_v{SCHEMA_VERSION}.h5`` here (a 48×40-site, 12-hour run, ~100 kB). Commit it when
the schema version changes and never regenerate an older version's file: those files are what
old runs on users' disks look like (py-pde's tests/storage/resources pattern).
"""
from __future__ import annotations

from pathlib import Path

from abm import load_config, run_scenario
from abm.io import SCHEMA_VERSION

HERE = Path(__file__).resolve().parent
TINY = ["grid.nx=48", "grid.ny=40", "run.days=0.5", "vessels.pattern=array",
        "vessels.array_spacing_um=200.0", "tumor.radius_um=120.0",
        "output.frame_every_min=120.0", "output.checkpoint_every_min=360.0",
        "output.figure=false", "output.compression=9"]


def main() -> Path:
    target = HERE / f"run_v{SCHEMA_VERSION}.h5"
    if target.exists():
        raise SystemExit(f"{target} exists: files of released schema versions are never rewritten")
    config = load_config(HERE.parents[1] / "scenarios" / "quickstart.toml", overrides=TINY, seed=11)
    return run_scenario(config, target, progress=False)


if __name__ == "__main__":
    print(main())
