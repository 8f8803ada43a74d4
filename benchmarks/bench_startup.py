"""Start-up of ``abm run`` with warm caches: a whole process that runs the quickstart scenario
for one step (imports, config, the compiled kernels loaded from numba's disk cache and the
generated network code from its cache, the model's build and initial steady-state fields,
one step, the run file written and closed), timed from outside, side by side with another
checkout of the code (``--base DIR``, e.g. a ``git worktree`` of the commit before a change)
in alternating runs, so that the ratio holds on a shared, noisy machine.

``--physicell`` times instead PhysiCell's reference case as a whole process: 1 mm² (60 × 60 sites
of 16.8 µm) with ~1,000 tumour cells for one simulated day, every other key at its default,
thin agents on (``bench_model.bench_physicell_case``'s set-up, run by ``abm run``), against
PhysiCell 1.14.2's 41.4 s for the same case on a quiet machine of this class (issue 20).

It also times the floor that no change of ours can go below: a process that only imports the
dependencies ``abm run`` needs (``mesa``, which imports pandas, networkx and scipy.spatial
itself; ``numba``; ``h5py``) and calls one function from numba's disk cache (numba's
first-use set-up of its compiler targets happens there, ~0.2 s). "Ours" is the rest.

Python's byte-code cache is allowed (``PYTHONDONTWRITEBYTECODE`` is removed from the
children's environment: a user's installation writes it). One warm-up run of each tree fills
every cache first. No timed assertions. Usage::

    python benchmarks/bench_startup.py [--runs 7] [--base ../abm-before] [--physicell]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_STEP = ("scenarios/quickstart.toml", "0.004166666666666667", [])
"""The start-up case: the quickstart scenario for one 6-min step."""
PHYSICELL_S = 41.4
"""PhysiCell 1.14.2, 1 mm² with ~1,000 cells for one day, one thread, quiet machine (s)."""
CASE_A_RADIUS_UM = math.sqrt(1000 / math.pi) * 16.8 * 1.02
"""A disc of ~1,000 cells on 16.8 µm sites (bench_model.build's rule: vessels take 1–2 %)."""
PHYSICELL_CASE = (None, "1", ["grid.nx=60", "grid.ny=60", "grid.dx_um=16.8",
                              f"tumor.radius_um={CASE_A_RADIUS_UM!r}", "run.thin_agents=true"])
"""PhysiCell's reference case: an empty scenario (every default) with these keys, one day."""


def one_run(tree: Path, out: Path, case: tuple) -> float:
    """Wall seconds of one whole ``abm run`` process of ``tree``'s code for ``case``
    (scenario relative to the tree or None for an empty one, days, ``--set`` overrides)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)  # this tree's abm and intracellular before any installed one
    for stale in (out, out.with_suffix(".png")):
        stale.unlink(missing_ok=True)
    scenario, days, sets = case
    if scenario is None:
        path = out.with_name("empty.toml")
        path.write_text("# every key at its default\n")
    else:
        path = tree / scenario
    command = [sys.executable, "-m", "abm", "run", str(path), "--days", days, "--out", str(out),
               "--no-progress", "--set", "output.figure=false"]
    for item in sets:
        command += ["--set", item]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=tree)
    return time.perf_counter() - start


FLOOR_MODULE = """
import mesa, numba, h5py

@numba.njit(cache=True)
def one(x):
    return x + 1.0

one(1.0)
"""
"""The dependency floor (module docstring): run as a file, so numba can cache ``one``."""


def floor_run(folder: Path) -> float:
    """Wall seconds of one process of :data:`FLOOR_MODULE` (its cache filled by a first run)."""
    script = folder / "floor.py"
    if not script.exists():
        script.write_text(FLOOR_MODULE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script)], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each tree")
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    parser.add_argument("--physicell", action="store_true",
                        help="PhysiCell's reference case (1 mm², ~1,000 cells, one day) instead")
    args = parser.parse_args(argv)
    case = PHYSICELL_CASE if args.physicell else ONE_STEP
    what = ("whole-process days of PhysiCell's 1 mm² case" if args.physicell
            else "one-step runs of the quickstart")
    trees = {"this tree": ROOT}
    if args.base:
        trees["base"] = args.base.resolve()
    times: dict[str, list[float]] = {name: [] for name in [*trees, "floor"]}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "startup.h5"
        for tree in trees.values():  # warm-up: byte code, numba and network-code caches
            one_run(tree, out, case)
        floor_run(Path(tmp))
        for _ in range(args.runs):
            for name, tree in trees.items():
                times[name].append(one_run(tree, out, case))
            times["floor"].append(floor_run(Path(tmp)))
    for name, values in times.items():
        print(f"{name:>10}: median {statistics.median(values):.3f} s (min {min(values):.3f}, "
              f"max {max(values):.3f}) over {len(values)} "
              + ("processes importing mesa, numba, h5py + one cached numba call"
                 if name == "floor" else what))
    floor = statistics.median(times["floor"])
    for name in trees:
        print(f"{name:>10}: ours (median minus the floor) {statistics.median(times[name]) - floor:.3f} s")
    if args.physicell:
        for name in trees:
            print(f"{name:>10}: PhysiCell {PHYSICELL_S:g} s / median = "
                  f"{PHYSICELL_S / statistics.median(times[name]):.1f}× (the floor alone: "
                  f"{PHYSICELL_S / floor:.1f}×)")
    if args.base:
        ratios = [b / a for a, b in zip(times["this tree"], times["base"])]
        print(f"base / this tree, pair by pair: median {statistics.median(ratios):.2f}× "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
