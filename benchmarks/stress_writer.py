"""Kill campaign of the run writer itself: thousands of SIGKILLs in seconds each.

Each trial starts a writer process (the run of tests/test_io.py: 40 × 50 sites, 2 fields,
4 cell columns, time series, two event tables with strings; a checkpoint every 5 frames,
``FRAMES`` frames in all), kills it, checks what it left, and finishes it:

* ``write-random`` / ``resume-random``: SIGKILL from outside at a random time while a new
  run, or the resume of a killed one, commits frames;
* ``write-point`` / ``resume-point``: the writer kills itself just before or just after the
  N-th call of one of the operations a store is made of (``os.replace``, ``os.fsync``,
  ``os.unlink``, ``os.open``, ``h5py.File`` creation and closing, ``Dataset.__setitem__``,
  ``Group.create_dataset``, ``shutil.rmtree``), N drawn at random, so kills land inside every
  write step: a segment half-written, renamed but not fsync'd, a checkpoint being replaced,
  the finished file being assembled, the parts being removed, segments being cut by resume.

After every kill: the run must open (``abm.load_run``) and hold at least the frames the
writer reported committed, each equal to the reference data, frame by frame; then it is
resumed in-process to the end and must equal the uninterrupted reference run dataset for
dataset. A trial's outcome is ``ok``, ``nothing-committed`` (killed before its head existed:
there is no run, ``abm run --overwrite`` starts it) or the first thing that failed
(``unreadable``, ``lost``, ``torn``, ``resume-failed``, ``differs``).

Usage: ``python benchmarks/stress_writer.py --trials 1000 --jobs 2 [--load]``; writes one CSV
row per trial to ``--csv`` and prints a summary; exit code 1 if any trial failed.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRAMES = 30
NOTHING_COMMITTED = "before it committed anything"
"""What the reader says of a run killed before its head was renamed into place (or before its
``.parts`` folder existed: "no such run")."""
POINTS = {"os.replace": 39, "os.fsync": 78, "os.unlink": 35, "os.open": 80, "h5py.File.__init__": 568,
          "h5py.File.close": 104, "h5py.Dataset.__setitem__": 212, "h5py.Group.create_dataset": 278,
          "shutil.rmtree": 2}
"""Operations a kill is placed at, with how often a whole uninterrupted run calls each (counted
once with the store of abm.io.parts): the call to kill at is drawn from 1 … that count, so
that nearly every kill-point trial kills (a resume makes fewer calls: some of its draws
fall past its last call, and the trial ends without a kill, which the summary counts)."""
KINDS = ["write-random", "resume-random", "write-point", "resume-point"]


# ------------------------------------------------------------------ the writer process
def child(path: str, resume: bool, point: str | None, n: int, when: str) -> None:
    """Write (or resume) the test run at ``path`` to FRAMES frames, printing each committed
    frame; with ``point``, SIGKILL itself at the ``n``-th call of that operation."""
    if point:
        _arm(point, n, when)
    from abm.io import RunWriter
    from tests.test_io import make_writer, state_at, step

    if resume:
        writer, state = RunWriter.resume(path)
        start = 0 if state is None else state["step"] + 1
    else:
        writer, start = make_writer(path), 0
    if not writer.finished:
        for f in range(start, FRAMES):
            step(writer, f)
            print(f, flush=True)
            if f % 5 == 4:
                writer.write_checkpoint(10.0 * f, state_at(f))
    writer.close()
    print("done", flush=True)


def _arm(point: str, n: int, when: str) -> None:
    """Replace ``point`` (a dotted name) by a wrapper that kills the process at call ``n``."""
    import importlib

    owner_name, attr = point.rsplit(".", 1)
    parts = owner_name.split(".")
    owner = importlib.import_module(parts[0])
    for part in parts[1:]:
        owner = getattr(owner, part)
    original = getattr(owner, attr)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls[0] == n and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, attr, wrapper)


# ------------------------------------------------------------------ one trial
def spawn(path: Path, resume: bool, point: str | None = None, n: int = 0, when: str = "before"):
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['x'];"
            f"from benchmarks.stress_writer import child; "
            f"child({str(path)!r}, {resume!r}, {point!r}, {n}, {when!r})")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def committed(proc, first: str = "") -> tuple[int, bool]:
    """(frames 0 … k-1 the killed writer reported committed: k, whether it finished), once it
    ended."""
    proc.wait()
    out = (first + proc.stdout.read()).split()
    return max((int(x) + 1 for x in out if x.isdigit()), default=0), "done" in out


def _kill_after_first_frame(proc, delay_s: float) -> tuple[int, bool]:
    """SIGKILL ``proc`` ``delay_s`` after it reported its first committed frame (the start-up
    of a loaded machine would otherwise eat the random delay); return :func:`committed`."""
    first = proc.stdout.readline()
    time.sleep(delay_s)
    proc.kill()
    return committed(proc, first)


def check(path: Path, reported: int) -> tuple[str, int]:
    """Outcome of the checks of a killed run that reported frames 0 … ``reported``-1
    committed, and its frame count."""
    import numpy as np

    from abm.io import load_run
    from tests.test_io import frame_data

    try:
        run = load_run(path)
    except Exception as err:  # noqa: BLE001 - any failure to open counts
        if reported == 0 and NOTHING_COMMITTED in str(err):
            return "nothing-committed", 0
        return f"unreadable: {type(err).__name__}: {err}", 0
    with run:
        n = run.n_frames
        if n < reported:
            return f"lost: {n} frames, {reported} reported committed", n
        try:
            for f in range(n):
                fields, cells = frame_data(f)
                for name, grid in fields.items():
                    if not np.array_equal(run.field(name, f), grid):
                        return f"torn: field {name} frame {f}", n
                if not np.array_equal(run.cells(f).index, cells["id"]):
                    return f"torn: cells of frame {f}", n
            run.timeseries, [run.events(t) for t in run.event_tables]  # noqa: B018
        except Exception as err:  # noqa: BLE001
            return f"torn: {type(err).__name__}: {err}", n
    return "ok", n


def trial(number: int, kind: str, seed: int, workdir: Path, reference: Path) -> dict:
    """One trial in ``workdir``: a kill of the kind asked for, the checks, the finish."""
    from abm.io import RunWriter
    from abm.io.parts import parts_dir
    from tests.helpers import assert_same_run

    rng = random.Random(seed)
    path = workdir / f"run_{number}.h5"
    row = {"trial": number, "kind": kind, "seed": seed, "point": "", "kills": 0}
    if kind.startswith("resume"):  # a killed run to resume first
        proc = spawn(path, resume=False)
        _kill_after_first_frame(proc, rng.uniform(0.0, 1.0))
    resume = kind.startswith("resume") and (path.exists() or parts_dir(path).exists())
    if kind.endswith("point"):
        point = rng.choice(sorted(POINTS))
        n, when = rng.randint(1, POINTS[point]), rng.choice(["before", "after"])
        row["point"] = f"{point}:{n}:{when}"
        proc = spawn(path, resume, point, n, when)
        reported, finished = committed(proc)
    else:
        proc = spawn(path, resume)
        reported, finished = _kill_after_first_frame(proc, rng.uniform(0.0, 1.0))
    row["kills"] = int(not finished)
    outcome, frames = check(path, reported)
    row["frames_left"] = frames
    if outcome == "nothing-committed":  # killed before its head existed: `abm run` starts it again
        shutil.rmtree(parts_dir(path), ignore_errors=True)
        row["outcome"] = outcome
        return row
    if outcome == "ok" and not path.exists():
        try:
            writer, state = RunWriter.resume(path)
            from tests.test_io import state_at, step

            if not writer.finished:
                for f in (range(0, FRAMES) if state is None else range(state["step"] + 1, FRAMES)):
                    step(writer, f)
                    if f % 5 == 4:
                        writer.write_checkpoint(10.0 * f, state_at(f))
            writer.close()
        except Exception as err:  # noqa: BLE001
            outcome = f"resume-failed: {type(err).__name__}: {err}"
    if outcome == "ok":
        try:
            assert_same_run(reference, path)
        except AssertionError as err:
            outcome = f"differs: {err}"
    if outcome == "ok":
        shutil.rmtree(parts_dir(path), ignore_errors=True)
        path.unlink(missing_ok=True)
    row["outcome"] = outcome
    return row


def _reference(workdir: Path) -> Path:
    from tests.test_io import make_writer, state_at, step

    path = workdir / "reference.h5"
    with make_writer(path) as writer:
        for f in range(FRAMES):
            step(writer, f)
            if f % 5 == 4:
                writer.write_checkpoint(10.0 * f, state_at(f))
    return path


def _spin() -> None:
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load", action="store_true", help="run a CPU-bound process beside the trials")
    parser.add_argument("--csv", default="stress_writer.csv")
    args = parser.parse_args()
    load = None
    if args.load:
        load = multiprocessing.Process(target=_spin, daemon=True)
        load.start()
    rows = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        reference = _reference(workdir)
        plan = [(t, KINDS[t % len(KINDS)], args.seed * 1_000_003 + t) for t in range(args.trials)]
        with ProcessPoolExecutor(args.jobs) as pool, open(args.csv, "w", newline="") as out:
            writer = csv.DictWriter(out, ["trial", "kind", "seed", "point", "kills", "frames_left", "outcome"])
            writer.writeheader()
            futures = [pool.submit(trial, t, k, s, workdir, reference) for t, k, s in plan]
            for future in futures:
                row = future.result()
                rows.append(row)
                writer.writerow(row)
                out.flush()
    if load is not None:
        load.terminate()
    outcomes = Counter(r["outcome"].split(":")[0] for r in rows)
    kills = sum(r["kills"] for r in rows) + sum(1 for r in rows if r["kind"].startswith("resume"))
    print(f"{len(rows)} trials, {kills} kills in {time.monotonic() - start:.0f} s "
          f"({', '.join(f'{k} {v}' for k, v in sorted(Counter(r['kind'] for r in rows).items()))})")
    for name in ("ok", "nothing-committed", "unreadable", "lost", "torn", "resume-failed", "differs"):
        print(f"  {name}: {outcomes.get(name, 0)}")
    for r in rows:
        if r["outcome"] != "ok":
            print(f"  trial {r['trial']} {r['kind']} {r['point']}: {r['outcome']}")
    return 0 if outcomes["ok"] + outcomes["nothing-committed"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
