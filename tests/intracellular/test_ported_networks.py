"""The four shipped networks, generated from their definitions, against the hand-written
oracle they replaced (tests/intracellular/reference_models.py): right-hand sides at random
states, Jacobians against the oracle's central differences, the dormancy hooks, and whole
trajectories against scipy's Radau on the oracle."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import intracellular as ic

from . import reference_models as oracle
from ..helpers import central_differences

NAMES = ("dormancy", "yao2008", "alarcon2004", "gerard_goldbeter2011")


def _states(net, rng, k):
    """``k`` random states around the published one (×0.3–1.5; 0–1 where it is 0) and inputs
    around the defaults (×0–2; 0–1 where the default is 0), including O2 ≤ 0 for dormancy
    (the generated max(O2, 0) branch)."""
    y0 = net.state_vector()
    y = np.where(y0 > 0, y0 * rng.uniform(0.3, 1.5, (k, y0.size)), rng.uniform(0.0, 1.0, (k, y0.size)))
    u0 = net.input_vector()
    u = np.where(u0 > 0, u0 * rng.uniform(0.0, 2.0, (k, u0.size)), rng.uniform(0.0, 1.0, (k, u0.size)))
    if net.name == "dormancy":
        u[: k // 10, 0] = -rng.uniform(0.0, 1.0, k // 10)
    return y, u


@pytest.mark.parametrize("name", NAMES)
def test_generated_rhs_equals_the_oracle(name):
    net = ic.get_network(name)
    rng = np.random.default_rng(11)
    y, u = _states(net, rng, 300)
    p = net.parameter_vector(preset="hypoxia_sensitive" if name == "dormancy" else None)
    truth = getattr(oracle, name)(y, p, u)
    np.testing.assert_allclose(net.rhs_reference(y, p, u), truth, rtol=1e-12,
                               atol=1e-12 * np.abs(truth).max())
    out = np.empty(net.n_species)
    for row in range(len(y)):
        net.rhs(y[row], p, u[row], out)
        np.testing.assert_allclose(out, truth[row], rtol=1e-12,
                                   atol=1e-12 * np.abs(truth[row]).max())


@pytest.mark.parametrize("name", NAMES)
def test_generated_jacobian_equals_differences_of_the_oracle(name):
    """Central differences of the oracle with δ = 1e-6·max(|y_j|, 1): truncation δ²·f'''/6 and
    round-off ε·|f|/δ stay below 1e-6·(1 + max|J|) at these states (away from the ATP cap,
    whose kink a difference straddling it would smear)."""
    net = ic.get_network(name)
    rng = np.random.default_rng(12)
    y, u = _states(net, rng, 40)
    p = net.parameter_vector()
    f = getattr(oracle, name)
    n = net.n_species
    J = np.empty((n, n))
    for row in range(len(y)):
        net.jac(y[row], p, u[row], J)
        numeric = central_differences(lambda state: f(state, p, u[row]), y[row])
        np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-6 * (1 + np.abs(numeric).max()))


def test_dormancy_hooks_equal_the_oracle():
    net = ic.get_network("dormancy")
    rng = np.random.default_rng(13)
    y, u = _states(net, rng, 200)
    u[::3, 2] = 3.0  # enough glucose to cap the supply at 1: the min branch
    p = net.parameter_vector()
    truth = oracle.dormancy_atp(y, p, u)
    assert (truth == 1.0).any() and (truth < 1.0).any()
    compiled = np.array([net.hooks["energy"](y[i], p, u[i]) for i in range(len(y))])
    np.testing.assert_allclose(compiled, truth, rtol=1e-14, atol=0)
    out = np.empty(net.n_species)
    for row in range(len(y)):
        net.hooks["post_mitotic_reset"](y[row], out)
        np.testing.assert_array_equal(out, oracle.dormancy_reset(y[row]))


@pytest.mark.parametrize("name,inputs,hours", [
    ("dormancy", {"O2": 38.0}, 120.0), ("dormancy", {"O2": 0.5, "SASP": 0.5}, 120.0),
    ("yao2008", {"S": 1.5}, 120.0), ("alarcon2004", {"O2": 0.1}, 100.0),
    ("gerard_goldbeter2011", {"GF": 1.0}, 120.0)])
def test_trajectories_agree_with_radau_on_the_oracle(name, inputs, hours):
    """simulate (rtol 1e-8, atol 1e-10) vs Radau (rtol 1e-10, atol 1e-12) on the oracle: the
    error allowed is 1e-5 of each species' range over the run (a thousand times the
    integrator's tolerance, for global error accumulated over ~100 h and a few cycles)."""
    net = ic.get_network(name)
    t, traj = ic.simulate(net, hours, inputs=inputs)
    p, u = net.parameter_vector(), net.input_vector(inputs)
    ref = solve_ivp(lambda _, y: getattr(oracle, name)(y, p, u), (0.0, hours),
                    net.state_vector(), method="Radau", rtol=1e-10, atol=1e-12, t_eval=t)
    assert ref.success
    for k, s in enumerate(net.species):
        scale = max(np.ptp(ref.y[k]), 1e-3 * np.abs(ref.y[k]).max(), 1e-12)
        assert np.abs(traj[s] - ref.y[k]).max() <= 1e-5 * scale, s
