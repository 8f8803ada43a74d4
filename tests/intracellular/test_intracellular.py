"""Every registered network (compiled twin, Jacobian, trajectory vs Radau, name errors) and the
batched Rosenbrock integrator (batch = single cell, order, masks, views, failures, stiffness,
step-size memory)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import intracellular as ic
from intracellular import BatchIntegrator, IntegrationError, simulate
from ..helpers import central_differences


def _network(name):
    """The network, or a skip while a helper has not written its module yet."""
    try:
        return ic.get_network(name)
    except ModuleNotFoundError as exc:  # pragma: no cover - only while networks are being written
        pytest.skip(f"network module missing: {exc}")


@pytest.fixture(params=ic.networks())
def net(request):
    return _network(request.param)


def _random_states(net, rng, k):
    """``k`` random positive states near the published one (×0.7–1.1; 0.01–0.5 where it is 0)
    and inputs around the defaults (×0.2–2; 0–1 where the default is 0)."""
    y0 = net.state_vector()
    y = np.where(y0 > 0, y0 * rng.uniform(0.7, 1.1, (k, y0.size)), rng.uniform(0.01, 0.5, (k, y0.size)))
    u0 = net.input_vector()
    u = np.where(u0 > 0, u0 * rng.uniform(0.2, 2.0, (k, u0.size)), rng.uniform(0.0, 1.0, (k, u0.size)))
    return y, u


def test_compiled_rhs_equals_reference(net):
    """rtol 1e-12, with an absolute floor of 1e-12·max|f| for components that cancel to ~0."""
    rng = np.random.default_rng(1)
    y, u = _random_states(net, rng, 20)
    p = net.parameter_vector()
    reference = net.rhs_reference(y, p, u)  # batched call: rows are cells
    assert reference.shape == y.shape
    out = np.empty(net.n_species)
    for row in range(len(y)):
        net.rhs(y[row], p, u[row], out)
        np.testing.assert_allclose(out, reference[row], rtol=1e-12,
                                   atol=1e-12 * np.abs(reference[row]).max())


def test_jacobian_equals_central_difference(net):
    """Central differences with δ = 1e-6·max(|y_j|, 1): truncation error δ²·|f'''|/6 ≲ 1e-12 ×
    third derivatives (≤ ~1e6 for the smallest Michaelis constants here) and round-off
    ε·|f|/δ ≈ 2e-10·|f|; both stay below 1e-6·(1 + max|J|)."""
    rng = np.random.default_rng(2)
    y, u = _random_states(net, rng, 10)
    p = net.parameter_vector()
    n = net.n_species
    J = np.empty((n, n))
    out = np.empty(n)

    def compiled(state):
        net.rhs(state, p, u[row], out)
        return out.copy()

    for row in range(len(y)):
        net.jac(y[row], p, u[row], J)
        fd = central_differences(compiled, y[row])
        np.testing.assert_allclose(J, fd, rtol=0, atol=1e-6 * (1 + np.abs(J).max()))


def test_trajectory_matches_radau(net):
    """120 h from the published state with default inputs; relative error with a floor:
    |a − b| ≤ 1e-4·max(|b|, 1e-3·max_t |b|) per species (the floor keeps species that pass
    near 0 from demanding absolute accuracy beyond the tolerances)."""
    hours = 120.0
    times, traj = simulate(net, hours, n_points=121)
    p, u = net.parameter_vector(), net.input_vector()
    ref = solve_ivp(lambda t, y: net.rhs_reference(y, p, u), (0.0, hours), net.state_vector(),
                    method="Radau", rtol=1e-8, atol=1e-10, t_eval=times)
    assert ref.success
    for j, species in enumerate(net.species):
        b = ref.y[j]
        floor = np.maximum(np.abs(b), 1e-3 * np.abs(b).max())
        np.testing.assert_array_less(np.abs(traj[species] - b), 1e-4 * floor + 1e-300, err_msg=species)


def test_unknown_names_suggest(net):
    name = net.parameter_names[0]
    with pytest.raises(ValueError, match="did you mean"):
        simulate(net, 1.0, params={name + "_": 1.0})
    with pytest.raises(ValueError, match="did you mean"):
        simulate(net, 1.0, inputs={net.input_names[0] + "_": 1.0})
    with pytest.raises(ValueError, match="did you mean"):
        simulate(net, 1.0, y0={net.species[0] + "_": 1.0})
    with pytest.raises(ValueError, match="did you mean"):
        ic.get_network(net.name + "_")


# ----------------------------------------------------------------------------------------
# The integrator, on the stiff Yao switch.

YAO = "yao2008"
RTOL, ATOL = 1e-8, 1e-10  # simulate()'s defaults: batch and single-cell runs must agree bitwise


@pytest.fixture(scope="module")
def yao():
    return ic.get_network(YAO)


def _cells(yao, n=6, seed=3):
    """``n`` cells with different serum levels and initial states (all rows differ)."""
    rng = np.random.default_rng(seed)
    S = rng.uniform(0.3, 2.0, n)
    y = np.tile(yao.state_vector(), (n, 1)) + rng.uniform(0.0, 0.2, (n, yao.n_species))
    return S, y


def _advance_like_simulate(yao, y, u, p, hours, n_points):
    integrator = BatchIntegrator(yao, rtol=RTOL, atol=ATOL)
    h = np.zeros(len(y))
    times = np.linspace(0.0, hours, n_points)
    for dt in np.diff(times):
        integrator.advance(y, u, p, dt, h=h)
    return y


def test_batch_equals_single_cell_runs(yao):
    S, y = _cells(yao)
    _advance_like_simulate(yao, y_batch := y.copy(), S[:, None], yao.parameter_vector(), 30.0, 31)
    for row in range(len(S)):
        _, single = simulate(yao, 30.0, inputs={"S": S[row]}, n_points=31,
                             y0=dict(zip(yao.species, y[row])))
        np.testing.assert_array_equal(y_batch[row], [single[s][-1] for s in yao.species])


def test_row_order_and_per_row_parameters_do_not_matter(yao):
    S, y = _cells(yao)
    rng = np.random.default_rng(4)
    p = np.tile(yao.parameter_vector(), (len(S), 1))
    p[:, yao.parameter_names.index("kRE")] *= rng.uniform(0.5, 2.0, len(S))
    forward = _advance_like_simulate(yao, y.copy(), S[:, None], p, 20.0, 21)
    order = rng.permutation(len(S))
    shuffled = _advance_like_simulate(yao, y[order].copy(), S[order, None], p[order], 20.0, 21)
    np.testing.assert_array_equal(shuffled, forward[order])
    for row in range(len(S)):  # per-row p equals a shared p for that row alone
        one = slice(row, row + 1)
        alone = _advance_like_simulate(yao, y[one].copy(), S[one, None], p[row], 20.0, 21)
        np.testing.assert_array_equal(alone[0], forward[row])


def test_active_mask_and_column_view(yao):
    S, y = _cells(yao)
    table = np.full((len(S), yao.n_species + 3), -7.0)  # a wider cell table: y is its first columns
    table[:, :yao.n_species] = y
    view = table[:, :yao.n_species]
    active = np.array([True, False, True, True, False, True])
    h = np.full(len(S), 0.05)
    BatchIntegrator(yao, rtol=RTOL, atol=ATOL).advance(view, S[:, None], yao.parameter_vector(), 5.0,
                                                       active=active, h=h)
    np.testing.assert_array_equal(table[~active, :yao.n_species], y[~active])
    np.testing.assert_array_equal(h[~active], 0.05)
    assert (table[:, yao.n_species:] == -7.0).all()
    contiguous = y[active].copy()
    BatchIntegrator(yao, rtol=RTOL, atol=ATOL).advance(
        contiguous, S[active, None], yao.parameter_vector(), 5.0, h=np.full(active.sum(), 0.05))
    np.testing.assert_array_equal(table[active, :yao.n_species], contiguous)


def test_nan_state_raises_naming_row_and_species(yao):
    S, y = _cells(yao)
    y[3, yao.index("EF")] = np.nan
    with pytest.raises(IntegrationError, match="row 3, species 'EF'") as info:
        BatchIntegrator(yao).advance(y, S[:, None], yao.parameter_vector(), 0.1)
    assert (info.value.network, info.value.row, info.value.species) == (YAO, 3, "EF")
    assert np.isnan(info.value.value)


def test_negative_blow_up_raises(yao):
    """A wrong-signed synthesis rate drives CycE negative: caught, not integrated on."""
    S, y = _cells(yao)
    p = np.tile(yao.parameter_vector(), (len(S), 1))
    p[2, yao.parameter_names.index("kCE")] = -50.0
    with pytest.raises(IntegrationError, match="row 2, species 'CE'.*negative"):
        BatchIntegrator(yao).advance(y, S[:, None], p, 1.0)


def test_overflow_raises(yao):
    """Exponential growth at 2000 h⁻¹ overflows within a 1 h step: step size underflow (the
    raw parameter vector bypasses the range check that refuses a negative degradation)."""
    p = yao.parameter_vector()
    p[yao.parameter_names.index("dMC")] = -2000.0
    y = yao.state_vector()[None, :]
    with pytest.raises(IntegrationError, match="row 0, species 'MC'.*underflow"):
        BatchIntegrator(yao).advance(y, yao.input_vector()[None, :], p, 1.0)


@pytest.mark.parametrize("name, value, allowed", [
    ("dMC", -2000.0, "[0, 1e+06]"),    # negative degradation: unbounded growth
    ("KS", 0.0, "[1e-06, 1e+06]"),     # a Michaelis constant divides: S/(KS + S) at S = 0
    ("kRE", 1e300, "[0, 1e+06]"),      # overflows rate × concentration
    ("kM", float("nan"), "[0, 1e+06]"),
])
def test_parameters_out_of_range_are_refused(yao, name, value, allowed):
    """simulate / parameter_vector refuse a value outside the parameter's range, naming the
    network, the parameter, the value and the range."""
    with pytest.raises(ic.ParameterRangeError, match=rf"'yao2008'.*{name} = .*{re.escape(allowed)}"):
        simulate(yao, 1.0, params={name: value}, n_points=2)


def test_every_range_error_is_reported_and_defaults_lie_in_range(net):
    """All bad overrides are named in one error; every default and preset is within range."""
    for preset in [None, *net.presets]:
        net.parameter_vector(preset)
    names = net.parameter_names[:3]
    with pytest.raises(ic.ParameterRangeError) as info:
        net.parameter_vector(overrides=dict.fromkeys(names, -1.0))
    assert [problem[0] for problem in info.value.problems] == list(names)


def _rk4(f, y, dt, steps):
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + dt / 2 * k1)
        k3 = f(y + dt / 2 * k2)
        k4 = f(y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def test_stiff_step_where_explicit_rk4_blows_up(yao):
    """0.1 h steps over 60 h (E2F switches on at ~20 h; then kRE·EF ~ 200 h⁻¹ on Rb)."""
    p, u = yao.parameter_vector(), yao.input_vector()
    with np.errstate(all="ignore"):
        explicit = _rk4(lambda y: yao.rhs_reference(y, p, u), yao.state_vector(), 0.1, 600)
    assert not (np.isfinite(explicit).all() and np.abs(explicit).max() < 1e3)

    y = yao.state_vector()[None, :]
    integrator, h = BatchIntegrator(yao), np.zeros(1)
    work = sum(sum(integrator.advance(y, u[None, :], p, 0.1, h=h)) for _ in range(600))
    ref = solve_ivp(lambda t, y: yao.rhs_reference(y, p, u), (0.0, 60.0), yao.state_vector(),
                    method="Radau", rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(y[0], ref.y[:, -1], rtol=1e-3, atol=1e-6)
    assert work < 3 * 600  # about one Rosenbrock step per 0.1 h once past the switch


def test_step_size_memory_saves_work(yao):
    S, y = _cells(yao, n=50)
    p = yao.parameter_vector()
    integrator, h = BatchIntegrator(yao), np.zeros(len(S))
    for _ in range(50):
        integrator.advance(y, S[:, None], p, 0.1, h=h)
    remembered = sum(integrator.advance(y.copy(), S[:, None], p, 0.1, h=h.copy()))
    fresh = sum(integrator.advance(y.copy(), S[:, None], p, 0.1))
    assert remembered < 0.8 * fresh


def test_bad_shapes_raise(yao):
    integrator = BatchIntegrator(yao)
    y = np.tile(yao.state_vector(), (3, 1))
    u = np.ones((3, 1))
    with pytest.raises(ValueError, match="p must have shape"):
        integrator.advance(y, u, np.ones(3), 0.1)
    with pytest.raises(ValueError, match="u has shape"):
        integrator.advance(y, np.ones((2, 1)), yao.parameter_vector(), 0.1)
    with pytest.raises(TypeError, match="y must be"):
        integrator.advance(y.astype(np.float32), u, yao.parameter_vector(), 0.1)


# ----------------------------------------------------------------------------------------
# The sparse LU (static elimination plan) against the dense LU with partial pivoting.

def _sparse_vs_dense(net, integrator_kwargs, hours=6.0, dt=0.1, cells=8, seed=7):
    rng = np.random.default_rng(seed)
    y, u = _random_states(net, rng, cells)
    p = net.parameter_vector()
    out = {}
    for sparse in (True, False):
        yy, h = y.copy(), np.zeros(cells)
        integrator = BatchIntegrator(net, sparse=sparse, **integrator_kwargs)
        for _ in range(round(hours / dt)):
            integrator.advance(yy, u, p, dt, h=h)
        out[sparse] = yy
    return out[True], out[False]


@pytest.mark.parametrize("tolerances", [{}, {"rtol": 1e-8, "atol": 1e-10}])
def test_sparse_lu_agrees_with_dense_lu(net, tolerances):
    """Same steps, LU in another order without pivoting: the states differ by rounding only."""
    from intracellular.sparse_lu import lu_for
    assert lu_for(net).slots > 0  # every shipped network takes the sparse path
    sparse, dense = _sparse_vs_dense(net, tolerances)
    np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=1e-12 * np.abs(dense).max())


def test_jacobian_outside_the_plan_falls_back_to_dense_lu(net):
    """A plan built from a pattern missing an entry: every Jacobian fails the pattern check,
    so every step takes the dense LU and the result equals sparse=False bitwise."""
    from intracellular.sparse_lu import compile_lu, structural_pattern
    n = net.n_species
    rng = np.random.default_rng(8)
    y, u = _random_states(net, rng, 4)
    p = net.parameter_vector()
    J = np.empty((n, n))
    nonzero = np.ones((n, n), dtype=bool)
    for row in range(len(y)):  # entries non-zero in every cell's Jacobian
        net.jac(y[row], p, u[row], J)
        nonzero &= J != 0.0
    for i, j in zip(*np.nonzero(nonzero & ~np.eye(n, dtype=bool))):
        pattern = structural_pattern(net)
        pattern[i, j] = False
        lu = compile_lu(pattern, n, f"{net.name} without ({i}, {j})")
        if lu.off[i * n + j]:  # not filled in by the elimination
            break
    else:
        pytest.skip("every entry is fill of the others")
    crippled = BatchIntegrator(net, lanes=False)  # the scalar kernel's per-step check
    crippled._lu = lu
    a, b = y.copy(), y.copy()
    for _ in range(10):
        crippled.advance(a, u, p, 0.1)
        BatchIntegrator(net, sparse=False).advance(b, u, p, 0.1)
    np.testing.assert_array_equal(a, b)


def test_threaded_chunks_give_bitwise_the_serial_result():
    """Rows are split over threads only above PARALLEL_MIN_ROWS; the states must not change."""
    from intracellular.integrate import PARALLEL_MIN_ROWS

    net = ic.get_network("dormancy")
    n = 2 * PARALLEL_MIN_ROWS + 17
    rng = np.random.default_rng(5)
    y0 = np.tile(net.state_vector(), (n, 1)) * rng.uniform(0.8, 1.2, (n, net.n_species))
    u = np.tile(net.input_vector(), (n, 1))
    u[:, 0] = rng.uniform(0.0, 38.0, n)
    p = net.parameter_vector()
    results = []
    for threads in (1, 2, 3):
        y, h = y0.copy(), np.zeros(n)
        integrator = ic.BatchIntegrator(net, threads=threads)
        for _ in range(3):
            integrator.advance(y, u, p, 0.1, h=h)
        results.append((y, h))
    for y, h in results[1:]:
        assert np.array_equal(y, results[0][0]) and np.array_equal(h, results[0][1])
