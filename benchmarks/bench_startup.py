"""Start-up of ``abm run`` with warm caches: a whole process that runs the quickstart scenario
for one step (imports, config, the compiled kernels loaded from numba's disk cache and the
generated network code from its cache, the model's build and initial steady-state fields,
one step, the run file written and closed), timed from outside, side by side with another
checkout of the code (``--base DIR``, e.g. a ``git worktree`` of the commit before a change)
in alternating runs, so that the ratio holds on a shared, noisy machine.

Python's byte-code cache is allowed (``PYTHONDONTWRITEBYTECODE`` is removed from the
children's environment: a user's installation writes it). One warm-up run of each tree fills
every cache first. No timed assertions. Usage::

    python benchmarks/bench_startup.py [--runs 7] [--base ../abm-before]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_STEP_DAYS = "0.004166666666666667"  # one 6-min step of the quickstart scenario


def one_run(tree: Path, out: Path) -> float:
    """Wall seconds of one whole ``abm run`` process of ``tree``'s code (one step)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)  # this tree's abm and intracellular before any installed one
    for stale in (out, out.with_suffix(".png")):
        stale.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "abm", "run", str(tree / "scenarios/quickstart.toml"),
                    "--days", ONE_STEP_DAYS, "--out", str(out), "--no-progress",
                    "--set", "output.figure=false"], env=env, check=True, capture_output=True,
                   cwd=tree)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each tree")
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    args = parser.parse_args(argv)
    trees = {"this tree": ROOT}
    if args.base:
        trees["base"] = args.base.resolve()
    times: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "startup.h5"
        for tree in trees.values():  # warm-up: byte code, numba and network-code caches
            one_run(tree, out)
        for _ in range(args.runs):
            for name, tree in trees.items():
                times[name].append(one_run(tree, out))
    for name, values in times.items():
        print(f"{name:>10}: median {statistics.median(values):.3f} s (min {min(values):.3f}, "
              f"max {max(values):.3f}) over {len(values)} one-step runs of the quickstart")
    if args.base:
        ratios = [b / a for a, b in zip(times["this tree"], times["base"])]
        print(f"base / this tree, pair by pair: median {statistics.median(ratios):.2f}× "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
