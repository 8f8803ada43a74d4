"""Model time units (Network.time_unit_h): ``advance`` takes hours, ``advance_model`` and
``simulate(model_time=...)`` the network's own units; closed forms of y' = −k·y."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from intracellular import BatchIntegrator, simulate
from intracellular.network import Network, Parameter
from .test_events import _decay_jac as _jac, _decay_rhs as _rhs, _sawtooth_events

RTOL, ATOL = 1e-10, 1e-12
K = 0.01
"""Decay rate per model time unit: 60 units (1 h in minutes) decay by exp(−0.6)."""




PER_HOUR = Network("decay", "y' = -k·y", ("y",), (Parameter("k", K, "1/unit", "test"),), (),
                   {"y": 1.0}, lambda y, p, u: -p[0] * y, _rhs, _jac)
PER_MINUTE = dataclasses.replace(PER_HOUR, time_unit_h=1.0 / 60.0)


def _advance(net, hours=None, model=None, events=None):
    integrator = BatchIntegrator(dataclasses.replace(net, events=events), rtol=RTOL, atol=ATOL)
    y, h = np.ones((1, 1)), np.zeros(1)
    if hours is not None:
        integrator.advance(y, np.zeros((1, 0)), np.array([K]), hours, h=h)
    else:
        integrator.advance_model(y, np.zeros((1, 0)), np.array([K]), model, h=h)
    return y[0, 0], h[0], integrator.last_events


def test_one_hour_of_a_per_minute_network_is_60_units():
    exact = math.exp(-K * 60.0)
    per_minute, h_minute, _ = _advance(PER_MINUTE, hours=1.0)
    per_hour, h_hour, _ = _advance(PER_HOUR, hours=60.0)
    assert abs(per_minute - exact) <= 1e-9 and abs(per_hour - exact) <= 1e-9
    # the step memory is in model units: both ran the same problem in the same units
    assert h_minute == pytest.approx(h_hour, rel=1e-6)
    assert _advance(PER_MINUTE, model=60.0)[0] == pytest.approx(exact, abs=1e-9)


def test_events_in_model_time():
    """The saw-tooth on a per-minute clock, k = 0.01/min, over 3 h = 180 min: floor(180·k/ln2)
    = 2 resets, then y = exp(−k·(180 mod ln2/k))."""
    y, _, fired = _advance(PER_MINUTE, hours=3.0, events=_sawtooth_events)
    period = math.log(2.0) / K
    assert fired == math.floor(180.0 / period) == 2
    exact = math.exp(-K * (180.0 % period))
    assert abs(y - exact) <= fired * K * BatchIntegrator(PER_MINUTE).event_tol + 1e-9


def test_simulate_in_hours_or_model_time():
    """``times`` come back in the unit asked for; both reach the same closed form."""
    hours, traj_h = simulate(PER_MINUTE, 2.0, n_points=5, rtol=RTOL, atol=ATOL)
    minutes, traj_m = simulate(PER_MINUTE, model_time=120.0, n_points=5, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(hours, [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_array_equal(minutes, 60.0 * hours)
    for traj in (traj_h, traj_m):
        np.testing.assert_allclose(traj["y"], np.exp(-K * 60.0 * hours), rtol=0, atol=1e-9)


@pytest.mark.parametrize("kwargs", [{}, {"hours": 1.0, "model_time": 60.0}])
def test_simulate_needs_exactly_one_duration(kwargs):
    with pytest.raises(ValueError, match="exactly one of hours and model_time"):
        simulate(PER_MINUTE, **kwargs)


@pytest.mark.parametrize("unit", [0.0, -1.0, math.inf, math.nan])
def test_bad_time_unit_is_refused(unit):
    with pytest.raises(ValueError, match=r"network 'decay': time_unit_h = .*finite number of hours > 0"):
        BatchIntegrator(dataclasses.replace(PER_HOUR, time_unit_h=unit))
