"""Issue 7's throughput: runs per hour of the quickstart scenario with 2 local workers, and
the engine's overhead per run.

1. ``overhead``: starting the pool (spawning 2 workers, importing abm, loading the numba
   cache on the first run), and per run: the same tiny run (48×40 sites, 12 h) timed
   in-process against its wall time inside a sweep of ``--tiny-runs`` runs; the difference
   per run is the engine (pickling, the run's JSON row, metrics, scheduling).
2. ``quickstart``: ``--runs`` runs of ``scenarios/quickstart.toml`` (200×200 sites, 12 days,
   ~11,000 cells at the end) as a random design over the vessel density, 2 workers; runs
   per hour = runs / wall time.
3. ``engines``: the same sweep of ``--tiny-runs`` tiny runs on each engine with 2 workers:
   local processes, a Dask ``LocalCluster``, a SLURM job array (``--emit-slurm`` submitted
   with ``sbatch``, polled until it leaves the queue) and a dask-jobqueue ``SLURMCluster``
   (2 one-core jobs); wall time per run, and its excess over the local engine per run. The
   SLURM rows need a running SLURM (``.ci/slurm/start.sh``) and are skipped, saying why,
   without one.

No timed assertions. Usage::

    python benchmarks/bench_study.py [--runs 4] [--tiny-runs 8]
                                     [--part overhead|quickstart|engines|both]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import SLURM_CLUSTER, TINY  # noqa: E402  (the tests' tiny tissue)


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


def bench_engines(n_runs: int) -> None:
    """Wall time per run of one tiny sweep on each engine (fresh study folder each)."""
    from abm.study import load_study_spec
    from abm.study.runner import run_study

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        timings = {"local processes": _timed(lambda: run_study(
            load_study_spec(_study(tmp, "local", TINY, n_runs)), workers=2, progress=False))}
        timings["Dask LocalCluster"] = _timed(lambda: _dask_local(tmp, n_runs))
        if shutil.which("sbatch") and shutil.which("squeue"):
            timings["SLURM job array"] = _timed(lambda: _slurm_array(tmp, n_runs))
            timings["dask-jobqueue SLURMCluster"] = _timed(lambda: _slurm_dask(tmp, n_runs))
        else:
            print("  (no sbatch/squeue: the SLURM engines are skipped; .ci/slurm/start.sh)")
    local = timings["local processes"] / n_runs
    print(f"engines, {n_runs} tiny runs with 2 workers each:")
    for name, wall in timings.items():
        print(f"  {name:<28} {wall:6.1f} s wall, {wall / n_runs:5.2f} s per run "
              f"({wall / n_runs - local:+.2f} s per run over local)")


def _timed(work) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def _dask_local(tmp: Path, n_runs: int) -> None:
    from distributed import Client, LocalCluster

    from abm.study import load_study_spec
    from abm.study.runner import run_study

    spec = load_study_spec(_study(tmp, "dask", TINY, n_runs))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        run_study(spec, client.get_executor(pure=False), progress=False)


def _slurm_array(tmp: Path, n_runs: int) -> None:
    from abm.cli import main as abm_main

    path = _study(tmp, "array", TINY, n_runs)
    assert abm_main(["sweep", str(path), "--emit-slurm"]) == 0
    job = subprocess.run(["sbatch", "--parsable", str(tmp / "array" / "slurm_array.sh")],
                         cwd=tmp, capture_output=True, text=True, timeout=60, check=True)
    job_id = job.stdout.strip().split(";")[0]
    while subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True,
                         text=True, timeout=20).stdout.strip():
        time.sleep(0.5)
    assert abm_main(["sweep", str(path), "--no-progress"]) == 0  # collects the summary


def _slurm_dask(tmp: Path, n_runs: int) -> None:
    import dask

    from abm.cli import main as abm_main

    path = _study(tmp, "cluster", TINY, n_runs)
    path.write_text(path.read_text() + SLURM_CLUSTER)
    with dask.config.set({"jobqueue.slurm.scheduler-options": {"dashboard_address": None}}):
        assert abm_main(["sweep", str(path), "--dask-cluster", "--no-progress"]) == 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4, help="quickstart runs")
    parser.add_argument("--tiny-runs", type=int, default=8, help="tiny runs for the overhead")
    parser.add_argument("--part", default="both",
                        choices=("overhead", "quickstart", "engines", "both"))
    args = parser.parse_args(argv)
    if args.part in ("overhead", "both"):
        bench_overhead(args.tiny_runs)
    if args.part in ("quickstart", "both"):
        bench_quickstart(args.runs)
    if args.part == "engines":
        bench_engines(args.tiny_runs)


if __name__ == "__main__":
    main()
