"""The lockstep lane kernel (intracellular.lanes) against the scalar kernel and against Radau.

The lane kernel runs the scalar kernel's operations in the same order per lane, so a row's
result must be bitwise the scalar kernel's; the accuracy against a tight Radau reference is
checked too (the test of truth), and the cases the lockstep path hands back (non-finite
state or Jacobian, failures, events, per-row parameters) must give the scalar kernel's
results and error reports."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import intracellular as ic
from intracellular import integrate
from intracellular.codegen_lanes import LANES
from intracellular.definition import Definition, Event
from intracellular import lanes as lockstep
from intracellular.lanes import kernel, lane_code
from intracellular.network import Input, Parameter

from .test_codegen import _definition

DT = 0.1  # hours


@pytest.fixture(scope="module")
def dormancy():
    return ic.get_network("dormancy")


def _cells(net, n, seed):
    """Published state (perturbed ±20 %) and inputs spread over the ranges a tissue sees:
    O2 0.05–40 mmHg, GF 0–1, glc 0.2–1, SASP 0–1, DNA 0–0.5, mito 0–0.5."""
    rng = np.random.default_rng(seed)
    y = np.tile(net.state_vector(), (n, 1)) * rng.uniform(0.8, 1.2, (n, net.n_species))
    u = np.tile(net.input_vector(), (n, 1))
    for name, lo, hi in (("O2", 0.05, 40.0), ("GF", 0.0, 1.0), ("glc", 0.2, 1.0),
                         ("SASP", 0.0, 1.0), ("DNA", 0.0, 0.5), ("mito", 0.0, 0.5)):
        u[:, net.input_names.index(name)] = rng.uniform(lo, hi, n)
    return y, u


def _run(net, y, u, p, steps, **options):
    y, h = y.copy(), np.zeros(y.shape[0])
    integrator = ic.BatchIntegrator(net, **options)
    work = [integrator.advance(y, u, p, DT, h=h) for _ in range(steps)]
    return y, h, work


def test_dormancy_takes_the_lane_kernel(dormancy):
    assert lane_code(dormancy) is not None
    assert ic.BatchIntegrator(dormancy)._lanes is not None
    assert ic.BatchIntegrator(dormancy, lanes=False)._lanes is None


def test_lanes_match_the_scalar_kernel_and_radau_over_48_h(dormancy):
    """61 cells (7 full blocks and a padded one), 48 h of 0.1 h steps: bitwise the scalar
    kernel's states, step sizes and step counts; and against Radau at rtol 1e-10 the error
    (relative, floor 1e-3 of each species' range) is within the model tolerance."""
    y0, u = _cells(dormancy, 61, seed=3)
    p = dormancy.parameter_vector()
    lanes = _run(dormancy, y0, u, p, 480)
    scalar = _run(dormancy, y0, u, p, 480, lanes=False)
    np.testing.assert_array_equal(lanes[0], scalar[0])
    np.testing.assert_array_equal(lanes[1], scalar[1])
    assert lanes[2] == scalar[2]
    for row in range(0, 61, 10):
        ref = solve_ivp(lambda t, x: dormancy.rhs_reference(x, p, u[row]), (0.0, 48.0), y0[row],
                        method="Radau", rtol=1e-10, atol=1e-12, dense_output=True)
        path = ref.sol(np.linspace(0.0, 48.0, 49))
        floor = np.maximum(np.abs(path[:, -1]), 1e-3 * np.abs(path).max(axis=1))
        # within the model's relative tolerance (rtol 1e-4, the integrator's default; measured
        # ≤ 1e-6 on these cells)
        assert np.max(np.abs(lanes[0][row] - path[:, -1]) / floor) < 1e-4


def test_a_rows_result_does_not_depend_on_its_block_mates(dormancy):
    """The same rows alone, in reverse order, and mixed with inactive rows: bitwise equal."""
    y0, u = _cells(dormancy, 21, seed=4)
    p = dormancy.parameter_vector()
    batch = _run(dormancy, y0, u, p, 30)[0]
    reverse = _run(dormancy, y0[::-1], u[::-1], p, 30)[0][::-1]
    np.testing.assert_array_equal(batch, reverse)
    for row in (0, 7, 20):
        alone = _run(dormancy, y0[row:row + 1], u[row:row + 1], p, 30)[0]
        np.testing.assert_array_equal(alone[0], batch[row])
    # every other row inactive (they take no lane: the blocks are made of other rows)
    y, u2, h = np.repeat(y0, 2, axis=0), np.repeat(u, 2, axis=0), np.zeros(42)
    active = np.tile([True, False], 21)
    integrator = ic.BatchIntegrator(dormancy)
    for _ in range(30):
        integrator.advance(y, u2, p, DT, active=active, h=h)
    np.testing.assert_array_equal(y[active], batch)
    np.testing.assert_array_equal(y[~active], y0)


def test_inactive_rows_and_their_step_sizes_are_untouched(dormancy):
    y0, u = _cells(dormancy, 19, seed=5)
    p = dormancy.parameter_vector()
    active = np.ones(19, dtype=bool)
    active[[0, 3, 9, 18]] = False
    y, h = y0.copy(), np.full(19, 0.05)
    ic.BatchIntegrator(dormancy).advance(y, u, p, DT, active=active, h=h)
    np.testing.assert_array_equal(y[~active], y0[~active])
    assert np.all(h[~active] == 0.05)
    assert np.all(np.any(y[active] != y0[active], axis=1))


def test_bitwise_independent_of_the_thread_count(dormancy, monkeypatch):
    """1, 2 and 3 threads (chunks of 61 rows not cut at multiples of a block) give the same
    bits."""
    monkeypatch.setattr(integrate, "PARALLEL_MIN_ROWS", 8)
    assert [a % LANES for a, _ in integrate._chunks(61, 3)] != [0, 0, 0]
    y0, u = _cells(dormancy, 61, seed=6)
    p = dormancy.parameter_vector()
    one = _run(dormancy, y0, u, p, 5, threads=1)
    for threads in (2, 3):
        other = _run(dormancy, y0, u, p, 5, threads=threads)
        np.testing.assert_array_equal(other[0], one[0])
        np.testing.assert_array_equal(other[1], one[1])


def _error(net, y, u, p, **options):
    with pytest.raises(ic.IntegrationError) as caught:
        ic.BatchIntegrator(net, **options).advance(y, u, p, 24.0)
    return caught.value


@pytest.mark.parametrize("case", ["nan", "max_steps"])
def test_a_failing_row_is_reported_as_by_the_scalar_kernel(dormancy, case):
    """A NaN start state, and a step budget too small for 24 h: same row, species, value
    and reason; the rows before it advanced alike."""
    y0, u = _cells(dormancy, 20, seed=7)
    p = dormancy.parameter_vector()
    options = {"max_steps": 3} if case == "max_steps" else {}
    if case == "nan":
        y0[13, 4] = np.nan
    ya, yb = y0.copy(), y0.copy()
    ours = _error(dormancy, ya, u, p, **options)
    scalar = _error(dormancy, yb, u, p, lanes=False, **options)
    assert str(ours) == str(scalar)
    assert (ours.row, ours.species) == (scalar.row, scalar.species)
    np.testing.assert_array_equal(ya[:ours.row + 1], yb[:ours.row + 1])


def _sqrt_network():
    """x' = s·k·(1 − x) − √x, z' = x − z: finite at x = 0, where ∂f/∂x = −s·k − 1/(2√x) is
    −inf (the scalar kernel differentiates numerically there: the lane kernel hands the row
    back). Two species: one alone is too dense for a sparse LU, hence for the lanes."""
    return ic.compile_network(Definition(
        name="lanes_sqrt", doc="", species=("x", "z"),
        parameters=(Parameter("k", 2.0, "h⁻¹", "test"),),
        inputs=(Input("s", 1.0, "", "test"),),
        rates={"x": "s*k*(1.0 - x) - sqrt(x)", "z": "x - z"}, y0={"x": 0.0, "z": 0.0}))


def test_a_non_finite_jacobian_gives_the_scalar_kernels_result():
    net = _sqrt_network()
    assert lane_code(net) is not None
    y0 = np.array([[0.0, 0.1], [0.3, 0.0], [0.0, 1.0], [1.5, 0.2]] * 3)
    u = np.linspace(0.5, 2.0, 12)[:, None]
    p = net.parameter_vector()
    lanes, scalar = _run(net, y0, u, p, 10), _run(net, y0, u, p, 10, lanes=False)
    np.testing.assert_array_equal(lanes[0], scalar[0])
    assert lanes[2] == scalar[2]


def test_a_zero_pivot_gives_the_scalar_kernels_result():
    """x' = k·x, z' = x − z with k = 4 and a first step of 0.5 h: W = I − γh·J has the pivot
    1 − ½·0.5·4 = 0, so the lane factor fails and the row is handed back (the scalar kernel
    tries the dense LU, finds W singular and shrinks the step); other rows stay in lanes."""
    net = ic.compile_network(Definition(
        name="lanes_pivot", doc="", species=("x", "z"),
        parameters=(Parameter("k", 4.0, "h⁻¹", "test"),), inputs=(),
        rates={"x": "k*x", "z": "x - z"}, y0={"x": 1.0, "z": 0.0}))
    code = lane_code(net)
    y0 = np.tile([1.0, 0.0], (10, 1))
    u, p = np.zeros((10, 0)), net.parameter_vector()
    h0 = np.where(np.arange(10) % 3 == 0, 0.5, 0.01)
    y, h, handoff = y0.copy(), h0.copy(), np.zeros(10, dtype=bool)
    integrator = ic.BatchIntegrator(net)
    kernel()(code.rhs, code.jac, code.factor, code.solve, code.rows, y, u, p, 0.5,
             np.ones(10, dtype=bool), h, 1e-4, 1e-7, 100_000, integrator._guard, handoff)
    np.testing.assert_array_equal(handoff, h0 == 0.5)
    results = []
    for lanes in (True, False):
        y, h = y0.copy(), h0.copy()
        ic.BatchIntegrator(net, lanes=lanes).advance(y, u, p, 0.5, h=h)
        results.append((y, h))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_allclose(results[0][0][:, 0], np.exp(2.0), rtol=1e-3)


def test_branches_and_symbolic_powers_match_the_scalar_functions():
    """min, max, abs, Piecewise, exp, sqrt and a parameter exponent (its own scalar loop):
    the lane functions are bitwise the scalar ones, and so is the integration."""
    net = ic.compile_network(_definition(name="lanes_toy"))
    code = lane_code(net)
    assert code is not None
    rng = np.random.default_rng(8)
    n = 29
    y0 = rng.uniform(0.0, 1.5, (n, 3))
    u = rng.uniform(0.0, 3.0, (n, 1))
    p = net.parameter_vector()
    lanes, scalar = _run(net, y0, u, p, 40), _run(net, y0, u, p, 40, lanes=False)
    np.testing.assert_array_equal(lanes[0], scalar[0])
    np.testing.assert_array_equal(lanes[1], scalar[1])


def test_sums_of_symbolic_powers_match_the_scalar_kernel():
    """Several powers with a parameter exponent in one sum: SymPy orders the sum's terms by
    its symbols, so scalar and lane code must be printed from the same reduced expressions
    for the lanes to add them in the scalar kernel's order."""
    params = (Parameter("k1", 0.3, "", "t"), Parameter("nH", 0.7, "", "t"))
    net = ic.compile_network(Definition(
        name="lanes_power_sums", doc="", species=("x", "y", "z", "w"), parameters=params,
        inputs=(), rates={"x": "k1 - x", "y": "0.5*x - y", "z": "y**nH + x**nH + z**nH + k1 - z",
                          "w": "x**nH*k1 - w"},
        y0={"x": 0.5, "y": 0.3, "z": 0.2, "w": 0.1}))
    assert lane_code(net) is not None
    y0 = np.random.default_rng(1).uniform(0.01, 2.0, (64, 4))
    u, p = np.zeros((64, 0)), net.parameter_vector()
    lanes, scalar = _run(net, y0, u, p, 20), _run(net, y0, u, p, 20, lanes=False)
    np.testing.assert_array_equal(lanes[0], scalar[0])
    np.testing.assert_array_equal(lanes[1], scalar[1])


def test_events_and_per_row_parameters_take_the_scalar_kernel(dormancy, monkeypatch):
    net = ic.compile_network(_definition(name="lanes_events", events=(
        Event("A < 0.2", {"A": "A + 1.0", "C": "A"}),)))
    assert lane_code(net) is None

    def refuse(*args, **kwargs):
        raise AssertionError("the lockstep kernel was called with per-row parameters")
    monkeypatch.setattr(lockstep, "kernel", refuse)
    y0, u = _cells(dormancy, 11, seed=9)
    p = np.tile(dormancy.parameter_vector(), (11, 1))
    p[:, dormancy.parameter_names.index("KH")] = np.linspace(8.0, 14.0, 11)
    lanes, scalar = _run(dormancy, y0, u, p, 10), _run(dormancy, y0, u, p, 10, lanes=False)
    np.testing.assert_array_equal(lanes[0], scalar[0])
