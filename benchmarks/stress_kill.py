"""The kill campaign: many random SIGKILLs of ``abm run``, ``abm resume`` and ``abm sweep``, and
kills placed inside every write step, each checked against an uninterrupted run.

Every trial runs the kill-stress scenario (tests/io/killpoints.py: 48 × 40 sites, 6 h, 21
frames, immune cells, drugs, shedding), kills it (at a random time after it opened its run
file, or at a kill point: the N-th call of a low-level write operation), checks what is left
(opens with ``abm.load_run``; at least the frames a polling reader saw before the kill; every
frame equal to the reference's), resumes it (killing some resumes too) until a resume
completes, and compares the result with the uninterrupted run dataset for dataset. Sweep
trials kill the main process of ``abm sweep`` only, count the workers left alive, and rerun.
See docs/stress.md.

Usage::

    python benchmarks/stress_kill.py --trials 1000 --jobs 2 --load --out stress_out
    python benchmarks/stress_kill.py --minutes 30            # as many trials as fit

Writes ``OUT/trials.csv`` (one row per trial, appended as trials finish: a rerun with the same
``--out`` continues after the last trial recorded) and prints a summary; exit code 1 if any
trial found damage.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.io import killpoints as kp  # noqa: E402 - after the path is set

COLUMNS = ["trial", "kind", "point", "delay", "seed", "kills", "frames_left", "failed_opens", "outcome",
           "seconds", "detail"]
MIX = {"run-random": 0.3, "run-point": 0.3, "resume-random": 0.2, "resume-point": 0.2}
"""Share of the trials of each kind (sweep trials come on top: ``--sweeps``). Design choice:
half at kill points (every write step is reached), half at random times (what users do)."""


def plan(first: int, n: int, seed: int) -> list[tuple[int, str, int]]:
    """(trial number, kind, seed) of trials ``first`` … ``first + n - 1``: the kinds in the
    proportions of MIX, interleaved, each trial with its own seed."""
    kinds = [k for k, share in MIX.items() for _ in range(round(share * 10))]
    return [(t, kinds[t % len(kinds)], seed * 1_000_003 + t) for t in range(first, first + n)]


def cpu_load() -> multiprocessing.Process:
    """A CPU-bound process beside the trials (a loaded machine: kills land in slower writes)."""
    process = multiprocessing.Process(target=_spin, daemon=True)
    process.start()
    return process


def _spin() -> None:
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def _one(setup: kp.Setup, workdir: Path, number: int, kind: str, seed: int) -> dict:
    start = time.monotonic()
    row = kp.trial(setup, kind, seed, workdir / f"trial_{number % 64}_{os.getpid()}.h5")
    kp.remove_run(workdir / f"trial_{number % 64}_{os.getpid()}.h5")
    return {"trial": number, **row, "seconds": round(time.monotonic() - start, 1)}


def summarise(rows: list[dict]) -> str:
    """The counts the campaign promises to keep at zero, and the rest."""
    outcomes = Counter(r["outcome"] for r in rows)
    kills = sum(int(r["kills"] or 0) for r in rows)
    by_kind = Counter(r["kind"] for r in rows)
    lines = [f"{len(rows)} trials, {kills} kills ({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))})",
             f"unreadable files: {outcomes['unreadable']}",
             f"torn committed frames: {outcomes['torn']}",
             f"lost committed frames: {outcomes['lost']}",
             f"resumes not equal to the reference: {outcomes['resume-differs']}",
             f"failed resumes: {outcomes['resume-failed']}, tracebacks: {outcomes['traceback']}",
             f"sweeps with orphan workers: {outcomes['orphans']}, failed sweep reruns: {outcomes['sweep-rerun-failed']}",
             f"ok: {outcomes['ok']}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials of run/resume (each ≥ 1 kill)")
    parser.add_argument("--sweeps", type=int, default=5, help="sweep trials (main process killed)")
    parser.add_argument("--minutes", type=float, default=None, help="stop starting trials after this")
    parser.add_argument("--jobs", type=int, default=2, help="trials in parallel")
    parser.add_argument("--load", action="store_true", help="a CPU-bound process runs beside")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("stress_out"), help="work directory and CSV")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.trials < 0 or args.sweeps < 0:
        parser.error("--jobs must be ≥ 1, --trials and --sweeps ≥ 0")
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "trials.csv"
    done = list(csv.DictReader(table.open())) if table.exists() else []
    deadline = None if args.minutes is None else time.monotonic() + 60 * args.minutes
    recorded = len([r for r in done if r["kind"] != "sweep"])
    todo = plan(recorded, max(0, args.trials - recorded), args.seed)
    sweeps = args.sweeps - (len(done) - recorded)
    new = []
    load = cpu_load() if args.load and (todo or sweeps > 0) else None
    try:
        if todo or sweeps > 0:
            print("preparing: reference run, calls per operation …", flush=True)
            setup = kp.prepare(args.out / "setup")
            print(f"{len(setup.run_points)} run and {len(setup.resume_points)} resume kill points; "
                  f"a run writes for {setup.write_seconds:.1f} s", flush=True)
        with table.open("a", newline="") as stream:
            writer = csv.DictWriter(stream, COLUMNS)
            if not done:
                writer.writeheader()

            def record(row):
                writer.writerow({c: row.get(c) for c in COLUMNS})
                stream.flush()
                new.append(row)
                if row["outcome"] != "ok":
                    print(f"trial {row['trial']} {row['kind']} {row['point']}: {row['outcome']}: {row['detail']}", flush=True)

            with ProcessPoolExecutor(args.jobs) as pool:
                running = set()
                while todo or running:
                    while todo and len(running) < args.jobs and (deadline is None or time.monotonic() < deadline):
                        running.add(pool.submit(_one, setup, args.out, *todo.pop(0)))
                    if not running:
                        break
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        record(future.result())
                        if len(new) % 25 == 0:
                            print(f"{len(new)} trials …", flush=True)
            if sweeps > 0 and (deadline is None or time.monotonic() < deadline):
                reference = kp.reference_sweep(setup, args.out)
                for k in range(sweeps):
                    start = time.monotonic()
                    row = kp.sweep_trial(setup, args.out, args.seed * 7919 + len(done) + k, reference)
                    record({"trial": f"sweep{k}", **row, "seconds": round(time.monotonic() - start, 1)})
    finally:
        if load is not None:
            load.terminate()
    rows = done + new
    print(summarise(rows))
    return 0 if all(r["outcome"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
