"""kill -9 of real `abm run`, `abm resume` and `abm sweep` processes, at random times and inside
every write step (tests/io/killpoints.py), each killed run checked against an uninterrupted one.

Promises checked for every kill: the run opens with ``abm.load_run`` (0 unreadable); it holds
at least the frames a reader saw committed before the kill, or for a killed resume the frames
up to its checkpoint (0 lost); every frame it holds equals the uninterrupted run's frame (0
torn); ``abm resume`` (killed again or not) finishes it equal to the uninterrupted run, dataset
for dataset. A killed ``abm sweep`` leaves no worker alive and a rerun completes identically.

The default tier runs three deterministic kill points (two in runs, one in a resume); the slow
tier (``-m slow``) runs ≥ 200 kills (``ABM_KILLS`` sets how many random run/resume kills; the
long campaign is benchmarks/stress_kill.py, see docs/stress.md).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from . import killpoints as kp
from ..helpers import assert_same_run

COMMIT_OPERATIONS = ("os.replace", "os.rename", "h5py.Group.move", "os.fsync", "h5py.File.flush")
"""Operations that make a write visible, in the order of preference for the commit kill point:
the first one the store calls is used."""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The scenario, its uninterrupted run (calls per operation counted) and its frames."""
    workdir = tmp_path_factory.mktemp("kills")
    scenario = kp.write_scenario(workdir)
    reference = workdir / "reference.h5"
    counts, _ = kp.op_counts(kp.run_args(scenario, reference), reference, workdir / "counts.json")
    return workdir, scenario, reference, kp.reference_frames(reference), counts


def _middle(counts: dict, op: str) -> int:
    return max(1, counts[op] // 2)


def _kill_chain(setup, name: str, run_point: kp.KillPoint, resume_point: kp.KillPoint | None) -> kp.Chain:
    """Kill ``abm run`` at ``run_point`` (it must be reached), check; if ``resume_point``, kill
    the first resume there and check; then resume to the end and compare with the reference."""
    workdir, scenario, reference, frames, _ = setup
    path = workdir / f"{name}.h5"
    chain = kp.Chain(path, frames)
    outcome = kp.run_and_kill(kp.run_args(scenario, path), path, point=run_point)
    assert outcome.killed, f"kill point {run_point} not reached (rc {outcome.returncode}): {outcome.stderr[-500:]}"
    chain.check(outcome, f"run killed at {run_point}")
    if resume_point is not None:
        kept = kp.checkpoint_frames(path)
        outcome = kp.run_and_kill(kp.resume_args(path), path, point=resume_point, poll=False)
        chain.check(outcome, f"resume killed at {resume_point}", kept)
    kp.resume_to_end(chain, scenario, np.random.default_rng(0), kill_probability=0.0, delays=(0, 0))
    assert_same_run(reference, path)
    return chain


def test_kills_inside_write_steps_leave_a_run_that_resumes_to_the_uninterrupted_one(setup):
    """Deterministic kill points, run side by side: right after a commit step; and mid-way
    through writing a frame's data (the most frequent write call), then early in the resume."""
    counts = setup[4]
    busiest = max(("h5py.Dataset.__setitem__", "h5py.Group.create_dataset", "open.write"),
                  key=lambda op: counts.get(op, 0))
    commit = next(op for op in COMMIT_OPERATIONS if counts.get(op, 0))
    cases = {
        "after_commit": (kp.KillPoint(commit, _middle(counts, commit), "after"), None),
        "mid_frame": (kp.KillPoint(busiest, _middle(counts, busiest), "before"),
                      kp.KillPoint(busiest, max(1, counts[busiest] // 20), "before")),
    }
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = {name: pool.submit(_kill_chain, setup, name, *points) for name, points in cases.items()}
        logs = {name: future.result().log for name, future in futures.items()}
    assert all(len(log) >= 2 for log in logs.values()), logs


# ---------------------------------------------------------------------- slow: ≥ 200 kills
@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return kp.prepare(tmp_path_factory.mktemp("campaign"))


def _run_trials(campaign, tmp_path, kinds: list[str], seed: int) -> list[dict]:
    return [kp.trial(campaign, kind, seed * 10_007 + i, tmp_path / "trial.h5") for i, kind in enumerate(kinds)]


def _assert_no_damage(rows: list[dict]) -> None:
    bad = [f"{r['kind']} {r['point']} seed {r['seed']}: {r['outcome']}: {r['detail']}" for r in rows if r["outcome"] != "ok"]
    print(f"{len(bad)} of {len(rows)} trials found damage ({sum(r['kills'] for r in rows)} kills)", *bad, sep="\n")
    assert not bad, f"{len(bad)} of {len(rows)} trials found damage:\n" + "\n".join(bad)


@pytest.mark.slow
def test_random_kills_of_run_and_resume(campaign, tmp_path):
    """Random-time kills: of `abm run` (then resumed), and chains where resumes are killed too."""
    n = int(os.environ.get("ABM_KILLS", 200)) // 2
    kinds = ["run-random", "resume-random"] * (n // 3)  # a resume trial kills ~2 times on average
    rows = _run_trials(campaign, tmp_path, kinds, seed=1)
    _assert_no_damage(rows)
    assert sum(r["kills"] for r in rows) >= n * 0.8


@pytest.mark.slow
def test_kills_at_every_kill_point(campaign, tmp_path):
    """Every kill point of a run (each operation the store calls × 5 call counts × before/after),
    and of its resume, each killed once and resumed to the end."""
    rows = []
    for kind, points in (("run-point", campaign.run_points), ("resume-point", campaign.resume_points)):
        for i, point in enumerate(points):
            own = kp.Setup(**{**campaign.__dict__, "run_points": [point], "resume_points": [point]})
            rows += _run_trials(own, tmp_path, [kind], seed=100 + i)
    _assert_no_damage(rows)
    assert sum(r["kills"] for r in rows) >= 100


@pytest.mark.slow
def test_killed_sweeps_leave_no_orphans_and_rerun_identically(campaign, tmp_path):
    reference = kp.reference_sweep(campaign, tmp_path)
    rows = [kp.sweep_trial(campaign, tmp_path, seed, reference) for seed in range(3)]
    bad = [f"seed {r['seed']} (killed after {r['delay']:.1f} s): {r['detail']}" for r in rows if r["outcome"] != "ok"]
    assert not bad, "\n".join(bad)
