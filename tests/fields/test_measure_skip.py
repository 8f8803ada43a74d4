"""Cycles that skip their convergence measure: same cycles, same C as measuring every cycle."""
import math

import numpy as np
import pytest

from abm.fields import FieldSolver
from abm.fields import multigrid as mg

from tests.fields.test_fields import D, random_problem


def solve_steps(rtol, steps=3):
    """Backward-Euler steps of 6 min on the random problem, each from the last; returns C
    and each step's residuals."""
    rng, uptake, mask, fixed = random_problem(shape=(97, 131))
    solver = FieldSolver(uptake.shape, 15.0, D, 0.1, mask, fixed, rtol=rtol)
    C = rng.uniform(0, 38, uptake.shape)
    history = []
    for k in range(steps):
        history.append(solver.advance(C, uptake * (1 + 0.1 * k), 6.0).residuals)
    return C, history


@pytest.mark.parametrize("rtol", [1e-5, 1e-10])
def test_skipping_measures_keeps_cycles_and_result(monkeypatch, rtol):
    C, history = solve_steps(rtol)
    monkeypatch.setattr(mg, "SKIP_MARGIN", 0.0)  # every cycle measured
    C_all, history_all = solve_steps(rtol)
    assert np.array_equal(C, C_all)
    assert [len(h) for h in history] == [len(h) for h in history_all]
    skipped = [math.isnan(r) for h in history for r in h]
    assert any(skipped) and not any(math.isnan(r) for h in history_all for r in h)
    # The measured residuals are the ones every-cycle measuring sees, and the last is measured.
    for h, h_all in zip(history, history_all):
        assert not math.isnan(h[-1])
        assert all(r == r_all for r, r_all in zip(h, h_all) if not math.isnan(r))
