"""Float32 storage of the multigrid levels: the rule, and what it costs against a scipy solve."""
import math

import numpy as np

from abm.fields import FieldSolver, reference
from abm.fields import levels
from abm.fields.sections import OxygenSection

from tests.fields.test_fields import D, random_problem

DX, DT, DECAY = 15.0, 6.0, 0.1  # µm, min, min⁻¹


def test_storage_follows_rtol_and_coarse_levels_are_float32():
    shape = (40, 50)
    mask = np.zeros(shape, bool)
    mask[0, 0] = True
    for rtol, fine in ((OxygenSection().rtol, np.float32), (1e-6, np.float64)):
        solver = FieldSolver(shape, DX, D, DECAY, mask, 1.0, rtol=rtol)
        assert solver.levels[0].q.dtype == fine and solver.levels[0].b.dtype == fine
        for level in solver.levels[1:]:
            assert {a.dtype for a in (level.q, level.b, level.kd, level.e)} == {
                np.dtype(np.float32)}
    # A grid solved directly (one level) stays float64 whatever rtol.
    tiny = FieldSolver((4, 4), DX, D, DECAY, np.eye(4, dtype=bool), 1.0, rtol=1e-4)
    assert len(tiny.levels) == 1 and tiny.levels[0].q.dtype == np.float64


def float32_bound(uptake, mask, inv_dt):
    """η of ``storage_dtype``: 2⁻²⁴·(max over free sites of d/(K + 1/dt) + 2), d the diagonal
    (K + 1/dt + the couplings: 4·D/dx² inside, fewer at the edges)."""
    couplings = np.full(uptake.shape, 4.0)
    couplings[[0, -1], :] -= 1
    couplings[:, [0, -1]] -= 1
    K = uptake + DECAY + inv_dt
    d = K + couplings * D / DX**2
    return 2.0**-24 * (np.max((d / K)[~mask]) + 2)


def test_float32_storage_at_tight_rtol_converges_within_its_bound(monkeypatch):
    # Forced float32 storage at rtol 1e-12: the step converges (to the rounded system) and
    # stays within the documented bound of the exact (scipy) step; C keeps the exact fixed
    # values (not float32-representable here).
    rng, uptake, mask, fixed = random_problem()
    C_old = rng.uniform(0, 38, uptake.shape)
    source = rng.uniform(0, 2, uptake.shape)
    exact = reference.solve(D, DX, uptake, mask, fixed, decay=DECAY, dt=DT, C_old=C_old,
                            source=source)
    monkeypatch.setattr(levels, "FLOAT32_RTOL", 0.0)
    solver = FieldSolver(uptake.shape, DX, D, DECAY, mask, fixed, rtol=1e-12)
    assert solver.levels[0].q.dtype == np.float32
    C = C_old.copy()
    info = solver.advance(C, uptake, DT, source=source)
    scale = max(np.max(fixed[mask]), np.max(C_old), np.max(C))
    assert info.residual <= 1e-12 * scale
    eta = float32_bound(uptake, mask, 1 / DT)
    assert eta < 1e-3  # the bound says something here
    assert np.max(np.abs(C - exact)) <= eta * scale
    assert np.array_equal(C[mask], fixed[mask])


def test_float32_storage_steady_state_within_its_bound(monkeypatch):
    # dt = inf: the bound with 1/dt = 0.
    _, uptake, mask, fixed = random_problem(seed=4)
    exact = reference.solve(D, DX, uptake, mask, fixed, decay=DECAY)
    monkeypatch.setattr(levels, "FLOAT32_RTOL", 0.0)
    solver = FieldSolver(uptake.shape, DX, D, DECAY, mask, fixed, rtol=1e-12)
    C = np.zeros(uptake.shape)
    solver.advance(C, uptake, math.inf)
    eta = float32_bound(uptake, mask, 0.0)
    assert np.max(np.abs(C - exact)) <= eta * np.max(fixed[mask])


def test_a_field_decayed_to_nothing_converges_within_the_absolute_floor():
    """A secreted field decaying towards zero (the chemokine after a resection) reaches
    scales where the float32 coarse corrections are subnormal: the solve must still end in a
    few cycles (it took 22 at a scale of 1e-45 without the floor, and > 60 in 21-day runs).
    Above the floor the result keeps the solver's relative accuracy against the sparse
    direct solve; where even the warm start's residual is below the floor, C is returned as
    it came (documented), never negative."""
    from abm.fields.multigrid import ABSOLUTE_TOL
    rng = np.random.default_rng(1)
    shape = (96, 120)
    mask = np.zeros(shape, bool)
    dt, decay, diffusion, rtol = 36.0, 1e-3, 100.0, 1e-4
    for scale in (1e-25, 1e-30, 1e-33, 1e-36, 1e-40, 1e-45, 1e-300):
        C_old = scale * rng.random(shape) * (rng.random(shape) < 0.1)
        solver = FieldSolver(shape, 20.0, diffusion, decay, mask, 0.0, rtol=rtol)
        assert solver.storage == np.float32
        C = C_old.copy()
        info = solver.advance(C, np.zeros(shape), dt)
        assert info.cycles <= 4, (scale, info.cycles)
        assert C.min() >= 0.0
        exact = reference.solve(diffusion, 20.0, np.zeros(shape), mask, 0.0, decay=decay,
                                dt=dt, C_old=C_old)
        if rtol * scale >= 10 * ABSOLUTE_TOL:  # the floor is not reached: the usual accuracy
            assert np.max(np.abs(C - exact)) <= 100 * rtol * C_old.max(), scale
        elif info.cycles == 0:  # below the floor from the start: left as it came
            assert np.array_equal(C, C_old), scale
        else:  # the floor ends the cycles: within its bound
            assert np.max(np.abs(C - exact)) <= 100 * ABSOLUTE_TOL, scale
