"""The published behaviour of the Yao et al. 2008 Rb–E2F switch: bistability, hysteresis in
serum, and slow switching near the threshold (thresholds computed here, on the batched
integrator; E2F "on" means EF > 0.5, as in the fate layer of docs/network.md §2)."""
from __future__ import annotations

import numpy as np
import pytest

import intracellular as ic
from intracellular import BatchIntegrator

YAO = ic.get_network("yao2008")
P = YAO.parameter_vector()
EF = YAO.index("EF")
E2F_ON = 0.5


def _run(S, y, hours, dt=1.0):
    """Advance the cells ``y`` [N, 7] in place for ``hours`` at serum ``S`` [N]; EF every ``dt``
    hours → [steps, N]."""
    integrator, h = BatchIntegrator(YAO, rtol=1e-6, atol=1e-9), np.zeros(len(S))
    u = np.asarray(S, dtype=float)[:, None]
    ef = []
    for _ in range(round(hours / dt)):
        integrator.advance(y, u, P, dt, h=h)
        ef.append(y[:, EF].copy())
    return np.array(ef)


@pytest.fixture(scope="module")
def starved():
    """The quiescent steady state: 1000 h at S = 0.05 from the published initial state."""
    y = YAO.state_vector()[None, :]
    _run(np.array([0.05]), y, 1000.0, dt=100.0)
    return y[0]


@pytest.fixture(scope="module")
def cycling():
    """The E2F-on steady state: 1000 h at S = 2."""
    y = YAO.state_vector()[None, :]
    _run(np.array([2.0]), y, 1000.0, dt=100.0)
    return y[0]


@pytest.mark.parametrize("S", [0.5, 1.0])
def test_bistable_at_intermediate_serum(S, starved, cycling):
    """At the same S a starved cell stays off and a cycling cell stays on for 1000 h."""
    y = np.vstack([starved, cycling])
    _run(np.full(2, S), y, 1000.0, dt=10.0)
    assert y[0, EF] < 0.01 * E2F_ON
    assert y[1, EF] > E2F_ON


def _ramp(levels, y, hours_per_level=100.0):
    """The first serum level (in the order given) at which EF ends on the other side of 0.5."""
    start_on = y[0, EF] > E2F_ON
    for S in levels:
        _run(np.array([S]), y, hours_per_level, dt=hours_per_level)
        if (y[0, EF] > E2F_ON) != start_on:
            return S
    raise AssertionError("no switch within the ramp")


def test_hysteresis_in_serum(starved):
    """A slow ramp up (100 h per level) switches E2F on at a much higher serum level than the
    ramp down switches it off (≈ 1.15 vs ≈ 0.15 at this ramp speed)."""
    levels = np.arange(0.05, 2.0001, 0.025)
    y = starved[None, :].copy()
    s_on = _ramp(levels, y)
    s_off = _ramp(levels[::-1], y)
    assert s_on > 2.0 * s_off
    assert 1.0 < s_on < 1.3 and 0.1 < s_off < 0.3  # yao2008's docstring: ≈ 1.05 and ≈ 0.2


@pytest.fixture(scope="module")
def on_threshold(starved):
    """The lowest serum (to 0.005) that switches a starved cell on within 3000 h."""
    S = np.arange(0.9, 1.3001, 0.005)
    ef = _run(S, np.tile(starved, (len(S), 1)), 3000.0, dt=10.0)
    switched = ef[-1] > E2F_ON
    assert not switched[0] and switched[-1]
    return S[np.argmax(switched)]


def test_switching_slows_near_threshold(on_threshold, starved):
    """Time to E2F on from quiescence grows as S approaches the threshold from above."""
    excess = np.array([0.01, 0.03, 0.1, 0.3, 1.0])
    dt = 0.25
    ef = _run(on_threshold * (1 + excess), np.tile(starved, (len(excess), 1)), 3000.0, dt=dt)
    assert (ef[-1] > E2F_ON).all()
    time_to_on = (np.argmax(ef > E2F_ON, axis=0) + 1) * dt
    assert (np.diff(time_to_on) < 0).all(), time_to_on
    assert time_to_on[0] > 4 * time_to_on[-1], time_to_on
