"""Alarcón et al. 2004 (normal cells): published behaviour of the O2 → p27 → G1 exit network.

Reference trajectories come from ``scipy.integrate.solve_ivp`` (Radau, tight tolerances) on
``rhs_reference``, independent of the batched integrator; the same checks then run through
``intracellular.simulate`` (the batched integrator).

Measured from the published initial state (hours): G1 exit at 9.29 (O2 = 1), 9.75 (0.1),
14.53 (0.01); none within 200 h at O2 = 0, where p27 saturates at (c1/η)·ln 2 = 6.93.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from intracellular import get_network, simulate
from intracellular.models.alarcon2004 import X_THRESHOLD, Y_THRESHOLD

NET = get_network("alarcon2004")
P = NET.parameter_vector()
X, Y, Z, M = (NET.index(s) for s in ("x", "y", "z", "m"))
ARREST_HOURS = 200.0  # > 20× the normoxic G1: "never" on the scale of a tissue simulation


def _g1_exit(state):
    """Signed distance to the G1-exit region (x < X_THRESHOLD and y > Y_THRESHOLD): it crosses
    zero downwards exactly when the second of the two conditions becomes true."""
    return max(state[X] - X_THRESHOLD, Y_THRESHOLD - state[Y])


def _solve(O2, hours):
    """Radau from the published initial state at constant O2, stopping at G1 exit."""
    u = NET.input_vector({"O2": O2})

    def event(t, state):
        return _g1_exit(state)
    event.terminal, event.direction = True, -1
    return solve_ivp(lambda t, state: NET.rhs_reference(state, P, u), (0.0, hours),
                     NET.state_vector(), method="Radau", rtol=1e-8, atol=1e-10, events=event)


def _exit_time(O2, hours=30.0):
    """Hours from the initial state to G1 exit (Radau event location), or None."""
    times = _solve(O2, hours).t_events[0]
    return float(times[0]) if times.size else None


def test_compiled_rhs_matches_reference():
    out = np.empty(NET.n_species)
    for O2 in (1.0, 0.05, 0.0):
        u = NET.input_vector({"O2": O2})
        for state in (NET.state_vector(), np.array([0.003, 0.4, 0.2, 9.9, 0.1])):
            NET.rhs(state, P, u, out)
            np.testing.assert_allclose(out, NET.rhs_reference(state, P, u), rtol=1e-13, atol=1e-15)


def test_normoxic_cell_exits_g1_after_doubling_its_mass():
    result = _solve(1.0, 30.0)
    assert result.t_events[0].size == 1
    t_exit, state = result.t_events[0][0], result.y_events[0][0]
    assert 8.0 < t_exit < 11.0                      # measured 9.29 h
    # growth drives Cdh1–APC off (b4·m·x·y): by G1 exit the mass has nearly doubled from
    # m*/2, so the halving at division restores the initial mass
    assert state[M] > 1.95 * NET.y0["m"]


def test_hypoxia_delays_g1_exit():
    t_normoxia, t_hypoxia, t_severe = (_exit_time(O2) for O2 in (1.0, 0.1, 0.01))
    # measured 9.29, 9.75, 14.53 h: p27 degradation c2·O2/(B + O2) halves at O2 = B = 0.01
    assert t_hypoxia > t_normoxia + 0.3
    assert t_severe > t_hypoxia + 3.0


def test_anoxia_arrests_with_p27_accumulating():
    result = _solve(0.0, ARREST_HOURS)
    assert result.t_events[0].size == 0
    z = result.y[Z]
    assert np.all(np.diff(z) >= 0.0)
    # without degradation z integrates its synthesis c1·(1 − m/m*) while m saturates, which
    # gives z → (c1/η)·ln(m*/m0) = 10·ln 2
    c1, eta = P[NET.parameter_names.index("c1")], P[NET.parameter_names.index("eta")]
    assert z[-1] == pytest.approx(c1 / eta * np.log(2.0), rel=1e-3)
    assert result.y[Y, -1] < 0.1 * Y_THRESHOLD


def test_batched_integrator_reproduces_the_behaviour():
    for O2 in (1.0, 0.1, 0.01):
        times, traj = simulate(NET, 20.0, inputs={"O2": O2}, n_points=2001)
        states = np.stack([traj[s] for s in NET.species], axis=-1)
        exited = np.flatnonzero([_g1_exit(state) < 0.0 for state in states])
        assert exited.size, f"no G1 exit at O2 = {O2}"
        # the first sample inside the region is at most one sample (0.01 h) after the event
        assert 0.0 <= times[exited[0]] - _exit_time(O2) <= times[1] + 1e-9
    times, traj = simulate(NET, ARREST_HOURS, inputs={"O2": 0.0}, n_points=201)
    assert np.all((traj["x"] >= X_THRESHOLD) | (traj["y"] <= Y_THRESHOLD))
    assert traj["z"][-1] == pytest.approx(_solve(0.0, ARREST_HOURS).y[Z, -1], rel=1e-5)
