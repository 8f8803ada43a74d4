"""Issue 7's throughput: runs per hour of the quickstart scenario with 2 local workers, and
the engine's overhead per run.

1. ``overhead``: starting the pool (spawning 2 workers, importing abm, loading the numba
   cache on the first run), and per run: the same tiny run (48×40 sites, 12 h) timed
   in-process against its wall time inside a sweep of ``--tiny-runs`` runs; the difference
   per run is the engine (pickling, the run's JSON row, metrics, scheduling).
2. ``quickstart``: ``--runs`` runs of ``scenarios/quickstart.toml`` (200×200 sites, 12 days,
   ~11,000 cells at the end) as a random design over the vessel density, 2 workers; runs
   per hour = runs / wall time.

No timed assertions. Usage::

    python benchmarks/bench_study.py [--runs 4] [--tiny-runs 8] [--part overhead|quickstart|both]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import TINY  # noqa: E402  (the tests' tiny tissue)


def _study(tmp: Path, name: str, overrides: list[str], n: int) -> Path:
    quoted = ", ".join(f"'{o}'" for o in overrides)
    path = tmp / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""\
        [study]
        scenario = "{ROOT / 'scenarios/quickstart.toml'}"
        out = "{tmp / name}"
        seed = 5
        overrides = [{quoted}]
        metrics = ["n_tumor", "dormant_fraction"]
        [design]
        method = "random"
        n = {n}
        [parameters]
        "vessels.density_per_mm2" = {{ range = [8.0, 12.0] }}
        """))
    return path


def bench_overhead(n_runs: int) -> None:
    from abm import load_config, run_scenario
    from abm.study import load_study_spec
    from abm.study.runner import local_executor, run_study

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = load_config(ROOT / "scenarios/quickstart.toml", overrides=TINY)
        run_scenario(config, tmp / "warm.h5", progress=False)  # compile/cache in this process
        t0 = time.perf_counter()
        for i in range(3):
            run_scenario(config, tmp / f"inproc{i}.h5", progress=False)
        in_process = (time.perf_counter() - t0) / 3
        t0 = time.perf_counter()
        pool = local_executor(2)
        spawn = time.perf_counter() - t0
        t0 = time.perf_counter()
        pool.submit(_first_run, config, str(tmp / "first.h5")).result()
        first = time.perf_counter() - t0
        pool.shutdown()
        spec = load_study_spec(_study(tmp, "tiny", TINY, n_runs))
        t0 = time.perf_counter()
        summary = run_study(spec, workers=2, progress=False)
        wall = time.perf_counter() - t0
        per_run = summary["seconds"].mean()
    print(f"engine overhead (tiny run: {in_process:.2f} s in-process):")
    print(f"  pool start (spawn 2 workers, import abm): {spawn:.2f} s")
    print(f"  first run in a fresh worker: {first:.2f} s (numba cache load + import of the "
          f"run's modules: {first - in_process:.2f} s over in-process)")
    print(f"  sweep of {n_runs} runs on 2 workers: {wall:.2f} s wall; a run takes "
          f"{per_run:.2f} s in its worker (metrics and row included), "
          f"{per_run - in_process:+.2f} s against in-process")


def _first_run(config, path):
    from abm import run_scenario

    run_scenario(config, path, progress=False)


def bench_quickstart(n_runs: int) -> None:
    from abm.study import load_study_spec
    from abm.study.runner import run_study

    with tempfile.TemporaryDirectory() as tmp:
        spec = load_study_spec(_study(Path(tmp), "quick", [], n_runs))
        t0 = time.perf_counter()
        summary = run_study(spec, workers=2, progress=False)
        wall = time.perf_counter() - t0
    done = int((summary["status"] == "done").sum())
    print(f"quickstart (200x200 sites, 12 days), {n_runs} runs on 2 workers: {wall:.0f} s "
          f"wall, {done} done, {3600 * done / wall:.0f} runs/hour; per run "
          f"{summary['seconds'].mean():.1f} s in its worker; {summary['n_tumor'].mean():.0f} "
          "cells at the end")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4, help="quickstart runs")
    parser.add_argument("--tiny-runs", type=int, default=8, help="tiny runs for the overhead")
    parser.add_argument("--part", default="both", choices=("overhead", "quickstart", "both"))
    args = parser.parse_args(argv)
    if args.part in ("overhead", "both"):
        bench_overhead(args.tiny_runs)
    if args.part in ("quickstart", "both"):
        bench_quickstart(args.runs)


if __name__ == "__main__":
    main()
