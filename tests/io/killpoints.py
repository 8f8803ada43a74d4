"""Kill a command of abm with SIGKILL inside a chosen write step, without hooks in abm.

Run as a wrapper around the command line::

    python tests/io/killpoints.py SPEC [--counts FILE] [--path RUN.h5] -- run SCENARIO.toml --out RUN.h5 ...

``SPEC`` is ``OPERATION:N:WHEN`` (e.g. ``os.replace:3:before``): the process sends itself
SIGKILL just before (``before``) or just after (``after``) the N-th call of OPERATION, one
of :data:`OPERATIONS`. ``none`` installs the counters but never kills (for kills sent from
outside after a random time, and to learn how often a command calls each operation:
``--counts FILE`` writes the calls per operation as JSON when the command returns).
``--path PREFIX`` counts only calls on paths that start with PREFIX (the run and what the
store keeps beside it), so that other libraries' file writes do not shift the counts.

The counters are monkeypatches installed before abm is imported, so they see every call the
run-file store makes, whatever its internals: the low-level operations any store that
commits data to disk has to use. A kill placed this way lands between two system-level
steps of a commit (e.g. after the data of a frame is written but before its index is), which
random-time kills reach only by luck.

The rest of this module is the harness shared by tests/test_kill_stress.py and
benchmarks/stress_kill.py: start a (killed) command, watch its run file, check what a kill
left behind against an uninterrupted reference run. It imports abm only inside functions
(the wrapper must patch before abm is imported).
"""
from __future__ import annotations

import builtins
import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import h5py

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(__file__).resolve()

OPERATIONS = (
    "os.replace", "os.rename", "os.fsync", "os.unlink", "os.remove", "shutil.rmtree",
    "h5py.File.flush", "h5py.File.close", "h5py.Dataset.__setitem__", "h5py.Dataset.resize",
    "h5py.Group.create_dataset", "h5py.Group.__delitem__", "h5py.Group.move", "open.write",
)
"""Operations that can carry a kill point. ``open.write`` is the builtin ``open()`` (and
``io.open``) with a mode that writes (w, a, x or +); reads are not counted."""

WHENS = ("before", "after")

_OWNERS = {"os": os, "shutil": shutil, "h5py.File": h5py.File, "h5py.Dataset": h5py.Dataset,
           "h5py.Group": h5py.Group}


# ---------------------------------------------------------------------- the wrapper
@dataclass(frozen=True)
class KillPoint:
    """Kill before/after the ``n``-th call (1-based) of ``operation``; ``operation`` None: never."""

    operation: str | None = None
    n: int = 0
    when: str = "before"

    @classmethod
    def parse(cls, spec: str) -> KillPoint:
        """``OPERATION:N:WHEN`` or ``none``; raises ValueError naming what is allowed."""
        if spec == "none":
            return cls()
        parts = spec.rsplit(":", 2)
        if len(parts) != 3 or parts[0] not in OPERATIONS or parts[2] not in WHENS or not parts[1].isdigit() \
                or int(parts[1]) < 1:
            raise ValueError(f"kill point {spec!r}: expected OPERATION:N:WHEN with OPERATION one of "
                             f"{', '.join(OPERATIONS)}, N ≥ 1 and WHEN before or after, or 'none'")
        return cls(parts[0], int(parts[1]), parts[2])

    def __str__(self) -> str:
        return "none" if self.operation is None else f"{self.operation}:{self.n}:{self.when}"


def _writes(mode) -> bool:
    return isinstance(mode, str) and any(c in mode for c in "wax+")


def _touches(prefix: str | None, args) -> bool:
    """Whether a call with ``args`` works on a path starting with ``prefix`` (None: any): a
    str/path argument, a file descriptor's target, or the file of an h5py object."""
    if prefix is None:
        return True
    for arg in args:
        try:
            if isinstance(arg, (h5py.Dataset, h5py.Group)):
                arg = arg.file.filename
            elif isinstance(arg, int) and not isinstance(arg, bool):
                arg = os.readlink(f"/proc/self/fd/{arg}")
            if isinstance(arg, (str, os.PathLike)) and os.fspath(arg).startswith(prefix):
                return True
        except (OSError, ValueError, TypeError):  # a closed object or descriptor
            continue
    return False


def install(point: KillPoint, counts: Counter, prefix: str | None = None) -> None:
    """Wrap every operation of :data:`OPERATIONS` so that it counts its calls on paths that
    start with ``prefix`` (None: all calls) in ``counts`` and the process SIGKILLs itself at
    ``point``. The prefix keeps out calls of other libraries (numba writes its cache with
    os.replace only when it compiles), so that the counts of two runs agree."""
    def wrap(name, original, counted=lambda *a, **k: True):
        @functools.wraps(original)  # keeps attributes callers test (shutil.rmtree.avoids_symlink_attacks)
        def wrapper(*args, **kwargs):
            if not (counted(*args, **kwargs) and _touches(prefix, args)):
                return original(*args, **kwargs)
            counts[name] += 1
            hit = name == point.operation and counts[name] == point.n
            if hit and point.when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = original(*args, **kwargs)
            if hit:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    for name in OPERATIONS:
        if name == "open.write":
            continue
        owner, attr = name.rsplit(".", 1)
        setattr(_OWNERS[owner], attr, wrap(name, getattr(_OWNERS[owner], attr)))
    # builtins.open and io.open are one function; pathlib and most code call one or the other.
    opener = wrap("open.write", builtins.open,
                  lambda file, mode="r", *a, **k: _writes(k.get("mode", mode)))
    builtins.open = io.open = opener


def main(argv: list[str]) -> int:
    """``killpoints.py SPEC [--counts FILE] [--path PREFIX] -- ABM-ARGS...``: run ``abm
    ABM_ARGS`` in this process with the kill point installed, counting only calls on paths
    that start with PREFIX (the run); return its exit code."""
    import argparse

    if "--" not in argv:
        print("usage: killpoints.py SPEC [--counts FILE] [--path PREFIX] -- ABM-ARGS...", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="killpoints.py")
    parser.add_argument("spec")
    parser.add_argument("--counts")
    parser.add_argument("--path")
    ours = parser.parse_args(argv[:argv.index("--")])
    abm_args = argv[argv.index("--") + 1:]
    try:
        point = KillPoint.parse(ours.spec)
    except ValueError as exc:
        print(f"killpoints: error: {exc}", file=sys.stderr)
        return 2
    counts_file = ours.counts
    counts: Counter = Counter()
    install(point, counts, ours.path)
    from abm.cli import main as abm_main  # after install: abm sees only the wrapped operations

    try:
        code = abm_main(abm_args)
    except SystemExit as exc:  # argparse errors
        code = exc.code if isinstance(exc.code, int) else 1
    if counts_file:
        Path(counts_file).write_text(json.dumps(dict(counts), sort_keys=True))
    return code


# ---------------------------------------------------------------------- the harness
STRESS_SCENARIO = """\
# The kill-stress scenario: small and short, but every kind of data a run file holds.
# 48 × 40 sites, 6 h of 6-min steps, a frame every 18 min (21 frames), a checkpoint every
# 36 min; immune cells (events/immune_cells, immune_kills), chemotherapy at 30 min and a
# daily senolytic (events/doses, events/drug_deaths with the str column drug), CTC shedding
# 1,000× the default rate (events/ctc with the str column fate, ctc_members).
name = "stress"
[run]
days = 0.25
dt_min = 6.0
seed = 5
start_clock_h = 8.0
[grid]
nx = 48
ny = 40
[vessels]
pattern = "array"
array_spacing_um = 200.0
avascular_radius_um = 0.0
[tumor]
radius_um = 120.0
[chemokine]
field = true
[immune]
enabled = true
initial_cd8_per_mm2 = 40.0
initial_nk_per_mm2 = 20.0
[shedding]
enabled = true
rate_per_h = 2.0
cluster_probability = 0.3
[[therapy]]
drug = "chemo"
at_h = [0.5]
[[therapy]]
drug = "senolytic"
daily_at = "09:00"
n_days = 1
[output]
path = "{name}.h5"
frame_every_min = 18.0
checkpoint_every_min = 36.0
figure = false
"""
"""A scenario file for kill trials (see its comment); written by :func:`write_scenario`."""


def write_scenario(directory: Path, text: str = STRESS_SCENARIO) -> Path:
    """Write the kill-stress scenario into ``directory``; return its path."""
    path = Path(directory) / "stress.toml"
    path.write_text(text)
    return path


def run_args(scenario: Path, out: Path) -> list[str]:
    """``abm`` arguments of an uninterrupted run of ``scenario`` to ``out``."""
    return ["-q", "run", str(scenario), "--out", str(out), "--no-progress"]


def resume_args(out: Path) -> list[str]:
    return ["-q", "resume", str(out), "--no-progress"]


def parts_of(path: Path) -> list[Path]:
    """Every file system entry of the run at ``path`` as the store may leave it: the file,
    and siblings named ``path.*`` (e.g. ``RUN.h5.parts/``, a temporary file)."""
    return sorted(p for p in path.parent.glob(path.name + "*"))


def remove_run(path: Path) -> None:
    """Delete the run at ``path`` with everything the store keeps beside it."""
    for p in parts_of(path):
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def start(abm_args: list[str], path: Path, point: KillPoint | str = "none", *,
          counts: Path | None = None) -> subprocess.Popen:
    """Start ``abm ABM_ARGS`` under the wrapper with kill point ``point``, counting the calls
    on the run at ``path`` (``counts``: the wrapper's --counts file); stderr is piped."""
    extra = ["--path", str(path)] + (["--counts", str(counts)] if counts else [])
    return subprocess.Popen([sys.executable, str(WRAPPER), str(point), *extra, "--", *abm_args],
                            cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def holds_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has the run at ``path`` (or a file beside it) open."""
    prefix = str(path)
    try:
        links = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in links:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(prefix):
                return True
        except OSError:
            continue
    return False


def checkpoint_frames(path: Path) -> int:
    """Frames up to the last checkpoint of the run at ``path`` (0 without one or without a
    run): what a resume keeps. Frames after the checkpoint are legitimately cut and written
    again by a resume, so a kill of a resume may leave fewer frames than it found, never fewer
    than this."""
    from abm import load_run

    if not parts_of(path):
        return 0
    with load_run(path) as run:
        t = run.checkpoint_time
        return 0 if t is None else int((run.frame_times <= t).sum())


def committed_frames(path: Path) -> int | None:
    """Frames a reader sees in the run at ``path`` now (None if it cannot be opened)."""
    from abm import load_run

    try:
        with load_run(path) as run:
            return int(run.n_frames)
    except Exception:  # noqa: BLE001 - a live run may refuse one open; the poll tries again
        return None


@dataclass
class Outcome:
    """What one started command did: its exit code (-9: killed), the frames a polling reader
    saw last before the kill (a lower bound of the committed frames; None: never opened), the
    seconds from its opening the run to the kill, its stderr, and how many of the reader's
    opens of the live run failed, of how many."""

    returncode: int
    seen_frames: int | None = None
    delay: float | None = None
    stderr: str = ""
    failed_polls: int = 0
    polls: int = 0

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def run_and_kill(abm_args: list[str], path: Path, *, point: KillPoint | str = "none",
                 delay: float | None = None, poll: bool = True, counts: Path | None = None,
                 timeout: float = 600.0) -> Outcome:
    """Run ``abm ABM_ARGS`` writing the run at ``path``; SIGKILL it ``delay`` s after it has
    first opened the run (None: only the kill point, if any, kills it). While it runs, a
    reader polls the run (if ``poll``) so that the outcome says how many frames were
    committed before the kill. ``counts``: see :func:`start`."""
    proc = start(abm_args, path, point, counts=counts)
    opened_at = None
    seen, failed, polls = None, 0, 0
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            now = time.monotonic()
            if opened_at is None and holds_open(proc.pid, path):
                opened_at = now
            if delay is not None and opened_at is not None and now - opened_at >= delay:
                proc.send_signal(signal.SIGKILL)
                break
            if poll and opened_at is not None:
                frames = committed_frames(path)
                polls += 1
                if frames is None:
                    failed += 1
                elif proc.poll() is None:  # seen while it ran: committed before the kill
                    seen = frames
            # Design choice: 0.1 s between reader opens keeps the reader's share of the CPU small;
            # 5 ms between checks of a pending timed kill keeps the kill time accurate.
            time.sleep(0.005 if delay is not None and not poll else 0.1)
        else:
            if proc.poll() is None:
                proc.kill()
                raise TimeoutError(f"abm {' '.join(abm_args)} did not finish in {timeout} s")
        _, stderr = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    took = None if opened_at is None else time.monotonic() - opened_at
    return Outcome(proc.returncode, seen, took, stderr, failed, polls)


def op_counts(abm_args: list[str], path: Path, counts_file: Path) -> tuple[dict[str, int], float]:
    """Run ``abm ABM_ARGS`` (writing the run at ``path``) to the end under the wrapper; return
    its calls per operation and the seconds from its opening the run to its end."""
    outcome = run_and_kill(abm_args, path, poll=False, counts=counts_file)
    if outcome.returncode != 0:
        raise RuntimeError(f"abm {' '.join(abm_args)} failed: {outcome.stderr}")
    return json.loads(counts_file.read_text()), outcome.delay


class Damage(AssertionError):
    """What a kill left behind breaks a promise of the store (the message says which)."""


def reference_frames(path: Path) -> list[tuple[dict, object]]:
    """Every frame of the complete run at ``path``: ({field: [y, x]}, cells DataFrame)."""
    from abm import load_run

    with load_run(path) as run:
        return [({n: run.field(n, f)[...] for n in run.field_names}, run.cells(f)) for f in range(run.n_frames)]


def check_killed_run(path: Path, reference: list, at_least: int) -> int:
    """Check the run a kill left at ``path`` against the uninterrupted run's frames
    ``reference`` (:func:`reference_frames`); return its committed frame count.

    Raises Damage if it does not open with ``abm.load_run`` (unreadable), holds fewer than
    ``at_least`` frames (lost committed frames) or any frame differs from the reference's
    frame of the same index (torn). A run that was never created (killed before its first
    commit) counts as 0 frames.
    """
    import pandas as pd

    from abm import load_run

    if not parts_of(path):
        if at_least:
            raise Damage(f"lost: {at_least} committed frames seen, but no run left at {path}")
        return 0
    try:
        run = load_run(path)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        raise Damage(f"unreadable: load_run: {type(exc).__name__}: {exc}") from exc
    with run:
        try:
            n = int(run.n_frames)
            if n < at_least:
                raise Damage(f"lost: {n} frames left, {at_least} were committed")
            if n > len(reference):
                raise Damage(f"torn: {n} frames, the complete run has {len(reference)}")
            for f in range(n):
                fields, cells = reference[f]
                if sorted(run.field_names) != sorted(fields):
                    raise Damage(f"torn: fields {run.field_names}, expected {sorted(fields)}")
                for name, grid in fields.items():
                    got = run.field(name, f)[...]
                    if not (got.shape == grid.shape and (got == grid).all()):
                        raise Damage(f"torn: frame {f} field {name} differs from the reference")
                try:
                    pd.testing.assert_frame_equal(run.cells(f), cells)
                except AssertionError as exc:
                    raise Damage(f"torn: frame {f} cells differ: {str(exc).splitlines()[0]}") from exc
            return n
        except Damage:
            raise
        except Exception as exc:  # noqa: BLE001
            raise Damage(f"unreadable: reading frames: {type(exc).__name__}: {exc}") from exc


def first_line_error(stderr: str) -> str:
    """The last non-empty line of ``stderr`` (the error a command ended with), or ''."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@dataclass
class Chain:
    """A run killed, then resumed (and maybe killed again) until it completes; the trials'
    findings in order (:attr:`log`)."""

    path: Path
    reference: list
    log: list[str] = field(default_factory=list)
    kills: int = 0

    def check(self, outcome: Outcome, what: str, kept: int | None = None) -> int:
        """Check the run after ``outcome``; record it; return its committed frames.

        ``kept``: for a resume, the frames it keeps (:func:`checkpoint_frames` before it
        started), the lower bound instead of the frames its polling reader saw (which may
        include frames it cuts)."""
        at_least = (outcome.seen_frames or 0) if kept is None else kept
        if "Traceback" in outcome.stderr:
            raise Damage(f"{what}: traceback: {first_line_error(outcome.stderr)}")
        if outcome.killed:
            self.kills += 1
        n = check_killed_run(self.path, self.reference, at_least)
        self.log.append(f"{what}: rc {outcome.returncode}, {n} frames (≥ {at_least} seen)")
        return n


def resume_to_end(chain: Chain, scenario: Path, rng, *, kill_probability: float, delays: tuple,
                  points: list[KillPoint] = (), max_kills: int = 4) -> None:
    """Resume the run of ``chain`` until a resume completes it: each resume is killed with
    ``kill_probability`` (while ``max_kills`` allows) after a random delay drawn uniformly
    from ``delays`` (s after it opened the run) or, if ``points`` is given, at a random one
    of them. A run left without a checkpoint (killed before its first) is removed and run
    again from the start, as a user would."""
    kills = 0
    while True:
        if chain.path.is_file():  # the kill came after the run was complete: nothing to resume
            return
        kill = kills < max_kills and rng.random() < kill_probability
        point, delay = "none", None
        if kill and points and rng.random() < 0.5:
            point = points[int(rng.integers(len(points)))]
        elif kill:
            delay = float(rng.uniform(*delays))
        if not parts_of(chain.path):
            outcome = run_and_kill(run_args(scenario, chain.path), chain.path, point=point, delay=delay)
            chain.check(outcome, what := f"rerun[{point}, {delay}]")
        else:
            kept = checkpoint_frames(chain.path)
            outcome = run_and_kill(resume_args(chain.path), chain.path, point=point, delay=delay,
                                   poll=False)
            chain.check(outcome, what := f"resume[{point}, {delay}]", kept)
        kills += outcome.killed
        if outcome.returncode == 0:
            return
        if not outcome.killed:
            message = first_line_error(outcome.stderr)
            if "checkpoint" in message:  # killed before its first checkpoint: start again
                chain.log.append(f"no checkpoint ({message}): run again")
                remove_run(chain.path)
                continue
            raise Damage(f"{what} failed: rc {outcome.returncode}: {message}")



# ---------------------------------------------------------------------- a campaign of trials
FRACTIONS = (0.05, 0.3, 0.55, 0.8, 0.97)
"""Where kill points fall in a command's calls of an operation (fractions of its count)."""


def kill_points(counts: dict[str, int], fractions=FRACTIONS) -> list[KillPoint]:
    """Kill points at ``fractions`` of each operation's calls in ``counts`` (from
    :func:`op_counts`), before and after: every write step the store takes, early to late."""
    points = []
    for op in OPERATIONS:
        total = counts.get(op, 0)
        calls = sorted({min(total, max(1, round(q * total))) for q in fractions}) if total else []
        points += [KillPoint(op, n, when) for n in calls for when in WHENS]
    return points


@dataclass
class Setup:
    """What every trial compares against: the scenario, the uninterrupted run (its path and
    frames), the calls per operation of a run and of a resume, and the time a run takes from
    opening its run file to its end (s)."""

    scenario: Path
    reference: Path
    frames: list
    run_points: list[KillPoint]
    resume_points: list[KillPoint]
    write_seconds: float


def prepare(workdir: Path) -> Setup:
    """Write the scenario and run it once uninterrupted under the wrapper (counting calls);
    kill a second run halfway and count the calls of its resume."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = write_scenario(workdir)
    reference = workdir / "reference.h5"
    remove_run(reference)
    counts, write_seconds = op_counts(run_args(scenario, reference), reference, workdir / "run_counts.json")
    half = workdir / "half.h5"
    remove_run(half)
    run_and_kill(run_args(scenario, half), half, delay=0.6 * write_seconds, poll=False)
    try:
        resume_counts, _ = op_counts(resume_args(half), half, workdir / "resume_counts.json")
    except RuntimeError:  # a store whose resume fails here still gets resume kill points
        resume_counts = counts
    remove_run(half)
    return Setup(scenario, reference, reference_frames(reference), kill_points(counts),
                 kill_points(resume_counts), write_seconds)


KINDS = ("run-random", "run-point", "resume-random", "resume-point", "sweep")
"""Trial kinds: ``abm run`` killed at a random time after it opened its run file or at a kill
point, then resumed to the end; ``resume-*``: the same, but the first resume is killed too (at
a random time or a kill point), and later ones at random; ``sweep``: :func:`sweep_trial`."""


def trial(setup: Setup, kind: str, seed: int, path: Path) -> dict:
    """One trial of ``kind`` with random choices from ``seed``, writing the run at ``path``.

    Returns the row of the trial: kind, point, delay, seed, kills, frames left by the first
    kill, failed/all opens of the live run by the polling reader, outcome (``ok`` or ``unreadable``/``lost``/``torn``/``traceback``/``resume-failed``
    /``resume-differs``) and detail (the chain's log or the finding).
    """
    import numpy as np

    from ..helpers import assert_same_run

    rng = np.random.default_rng(seed)
    remove_run(path)
    point, delay = KillPoint(), None
    if kind == "run-point":
        point = setup.run_points[int(rng.integers(len(setup.run_points)))]
    else:
        delay = float(rng.uniform(0.0, 1.1 * setup.write_seconds))
    chain = Chain(path, setup.frames)
    row = {"kind": kind, "seed": seed, "point": str(point), "delay": delay, "kills": 0,
           "frames_left": None, "failed_opens": None, "outcome": "ok", "detail": ""}
    try:
        outcome = run_and_kill(run_args(setup.scenario, path), path, point=point, delay=delay)
        row["failed_opens"] = f"{outcome.failed_polls}/{outcome.polls}"
        row["frames_left"] = chain.check(outcome, f"run[{point}, {delay}]")
        if outcome.returncode != 0 and not outcome.killed:
            raise Damage(f"run failed: rc {outcome.returncode}: {first_line_error(outcome.stderr)}")
        if kind.startswith("resume") and outcome.killed:
            resume_delays = (0.0, 0.6 * setup.write_seconds)
            if kind == "resume-point" and parts_of(path):
                first = setup.resume_points[int(rng.integers(len(setup.resume_points)))]
                kept = checkpoint_frames(path)
                outcome = run_and_kill(resume_args(path), path, point=first, poll=False)
                row["point"] += f" / resume {first}"
                chain.check(outcome, f"resume[{first}]", kept)
            resume_to_end(chain, setup.scenario, rng, kill_probability=0.6, delays=resume_delays,
                          max_kills=3)
        elif outcome.killed:
            resume_to_end(chain, setup.scenario, rng, kill_probability=0.0, delays=(0.0, 0.0))
        try:
            assert_same_run(setup.reference, path)
        except Exception as exc:  # noqa: BLE001 - unreadable datasets count too
            raise Damage(f"resume-differs: {type(exc).__name__}: {exc}") from exc
    except Damage as exc:
        message = str(exc)
        head = message.split(":", 1)[0]
        known = head in ("unreadable", "lost", "torn", "resume-differs")
        row["outcome"] = head if known else ("traceback" if "traceback" in message else "resume-failed")
        row["detail"] = message.split(": ", 1)[1] if known else message
    row["kills"] = chain.kills
    if row["outcome"] == "ok":
        row["detail"] = " | ".join(chain.log)
    return row


STUDY = """\
[study]
name = "stress_sweep"
scenario = "{scenario}"
out = "{out}"
seed = 17
replicates = 2
overrides = []
metrics = ["n_tumor", "dormant_fraction"]

[design]
method = "factorial"

[parameters]
"oxygen.vessel_mmHg" = {{ values = [25.0, 35.0] }}
"""
"""A study of 4 runs of the kill-stress scenario (2 levels × 2 replicates)."""


def write_study(directory: Path, scenario: Path, out: Path) -> Path:
    path = Path(directory) / "stress_sweep.toml"
    path.write_text(STUDY.format(scenario=scenario, out=out))
    return path


def session_members(sid: int) -> list[int]:
    """Pids of the live processes of session ``sid`` (from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry))
    return members


def sweep_args(study: Path) -> list[str]:
    return ["-q", "sweep", str(study), "--workers", "2", "--no-progress"]


def sweep_trial(setup: Setup, workdir: Path, seed: int, reference_runs: Path, grace: float = 10.0) -> dict:
    """Kill the main process of ``abm sweep`` (only it) at a random time; count its workers
    still alive ``grace`` s later (orphans; then killed by us), run the sweep again to the end
    and compare every run file with ``reference_runs`` (the runs/ of an uninterrupted sweep)."""
    import numpy as np

    from ..helpers import assert_same_run

    rng = np.random.default_rng(seed)
    out = workdir / f"sweep_{seed}"
    shutil.rmtree(out, ignore_errors=True)
    study = write_study(workdir, setup.scenario, out)
    delay = float(rng.uniform(2.0, 6.0 * setup.write_seconds))
    row = {"kind": "sweep", "seed": seed, "point": "main process", "delay": delay, "kills": 1,
           "frames_left": None, "outcome": "ok", "detail": ""}
    proc = subprocess.Popen([sys.executable, "-m", "abm", *sweep_args(study)], cwd=ROOT,
                            start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=delay)
        row["kills"] = 0  # finished before the kill
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()
    end = time.monotonic() + grace
    while session_members(proc.pid) and time.monotonic() < end:
        time.sleep(0.2)
    orphans = session_members(proc.pid)
    for pid in orphans:  # the workers we started through the sweep
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    findings = []
    if orphans:
        findings.append(f"orphans: {len(orphans)} processes alive {grace:g} s after the kill")
    again = subprocess.run([sys.executable, "-m", "abm", *sweep_args(study)], cwd=ROOT,
                           capture_output=True, text=True, timeout=1800)
    if again.returncode != 0:
        findings.append(f"rerun rc {again.returncode}: {first_line_error(again.stderr)}")
    for ref in sorted(reference_runs.glob("run_*.h5")):
        try:
            assert_same_run(ref, out / "runs" / ref.name)
        except Exception as exc:  # noqa: BLE001
            findings.append(f"rerun differs: {ref.name}: {type(exc).__name__}: {exc}")
    if findings:
        row["outcome"] = "orphans" if orphans else "sweep-rerun-failed"
        row["detail"] = "; ".join(findings)
    shutil.rmtree(out, ignore_errors=True)
    return row


def reference_sweep(setup: Setup, workdir: Path) -> Path:
    """Run the stress study once uninterrupted; return its runs/ directory."""
    out = workdir / "sweep_reference"
    shutil.rmtree(out, ignore_errors=True)
    study = write_study(workdir, setup.scenario, out)
    done = subprocess.run([sys.executable, "-m", "abm", *sweep_args(study)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the reference sweep failed: {done.stderr}")
    return out / "runs"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
