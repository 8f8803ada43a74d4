"""Michaelis–Menten (saturating) uptake in the field solver, against analytic solutions and scipy.

The field obeys ∂C/∂t = D∇²C − (uptake + decay)·C − vmax·C/(km + C) + source. Expected values
come from closed forms (zero-order uptake in a slab and a disc, with and without a dead core),
from ``scipy.integrate.solve_bvp`` (the Michaelis–Menten slab) and from Newton's method on the
discrete equations built with the independent sparse matrix of :mod:`abm.fields.reference`;
never from the code under test.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.integrate import solve_bvp
from scipy.optimize import brentq

from abm.errors import NumericalError
from abm.fields import FieldSolver, reference, steady_state

D = 1e5  # µm²/min, oxygen-like


def mm_newton(D, dx, K, mask, fixed, vmax, km, inv_dt=0.0, rhs=None, C=None, tol=1e-14):
    """Solve (inv_dt + K − D∇²)C + vmax·C/(km + C) = rhs, C = fixed at the masked sites.

    Newton's method on the discrete equations of :mod:`abm.fields.reference` (its sparse
    matrix), each iterate projected onto C ≥ 0 (the exact solution is non-negative). ``fixed``
    is a scalar or an array read where ``mask``; rhs defaults to 0; C is the start.
    """
    shape = K.shape
    A = reference.operator(D, dx, K, mask, inv_dt).tocsc()
    b = np.zeros(shape) if rhs is None else np.array(rhs, dtype=float)
    fixed = np.broadcast_to(np.asarray(fixed, dtype=float), shape)
    b[mask] = fixed[mask]
    b = b.ravel()
    v = np.where(mask, 0.0, vmax).ravel()
    c = (np.where(mask, fixed, 0.0) if C is None else np.array(C, dtype=float)).ravel()
    scale = max(np.max(np.abs(b)), np.max(np.abs(c)), 1e-300)
    for _ in range(200):
        G = A @ c + v * c / (km + c) - b
        J = A + sp.diags(v * km / (km + c) ** 2)
        c_new = np.maximum(c - spla.spsolve(J.tocsc(), G), 0.0)
        change = np.max(np.abs(c_new - c))
        c = c_new
        if change <= tol * scale:
            return c.reshape(shape)
    raise AssertionError("reference Newton did not converge")


# ---------------------------------------------------------------------------------------------
# 1. Zero-order uptake in a slab: a parabola down to an anoxic front at L = √(2·D·C0/q).


def test_zero_order_slab_anoxic_depth_and_parabola():
    """Truth: with km ≪ C0 the uptake is zero order (rate q), so D·C'' = q while C > 0 and C = 0
    beyond: C(x) = (q/2D)(L − x)² for x < L = √(2·D·C0/q), x from the Dirichlet site's centre."""
    C0, q, dx, n = 100.0, 500.0, 4.0, 100          # L = 200 µm = 50 dx; domain 400 µm
    km = 1e-4 * C0
    L = math.sqrt(2 * D * C0 / q)
    shape = (1, n)
    mask = np.zeros(shape, bool)
    mask[0, 0] = True
    C = steady_state(D, dx, np.zeros(shape), mask, C0, vmax=np.full(shape, q), km=km).ravel()
    x = dx * np.arange(n)
    assert np.all(C >= 0.0)
    assert C[0] == C0
    # Depth: from the last site above a small threshold, extrapolated along the parabola
    # (√C is linear in L − x there).
    above = np.nonzero(C > 1e-3 * C0)[0]
    assert above.size and np.all(np.diff(above) == 1)
    k = above[-1]
    depth = x[k] + math.sqrt(2 * D * C[k] / q)
    assert abs(depth - L) < dx, (depth, L)
    exact = np.where(x < L, q / (2 * D) * np.clip(L - x, 0.0, None) ** 2, 0.0)
    assert np.max(np.abs(C - exact)) < 0.005 * C0
    # Beyond the front (two cells of margin) the field has vanished.
    assert np.max(C[x > L + 2 * dx]) < 1e-3 * C0


# ---------------------------------------------------------------------------------------------
# 2. Zero-order uptake in a disc: C = C0 − q(R0² − r²)/(4D), anoxic core once R0 ≥ √(4·D·C0/q).


def disc(R0, dx, C0, q, km):
    """Steady state in the free sites r < R0 (Dirichlet C0 outside), uniform vmax = q; returns
    (C, r, inside). The centre is a grid corner, so the staircase boundary is symmetric."""
    n = int(round(2 * R0 / dx)) + 4
    centre = n / 2 * dx
    y, x = (dx * (np.indices((n, n)) + 0.5)) - centre
    r = np.hypot(x, y)
    inside = r < R0
    C = steady_state(D, dx, np.zeros((n, n)), ~inside, C0, vmax=np.full((n, n), q), km=km)
    return C, r, inside


def disc_tolerance(R0, dx, q):
    """Change of the analytic field when the boundary moves out by one cell (the staircase
    places the nearest Dirichlet centres between R0 and R0 + dx)."""
    return q * ((R0 + dx) ** 2 - R0 ** 2) / (4 * D)


def test_zero_order_disc_below_critical_radius():
    """Truth: D·(1/r)(rC')' = q in the disc, C(R0) = C0, regular at 0: C = C0 − q(R0² − r²)/4D,
    positive at the centre when R0 < Rc = √(4·D·C0/q)."""
    C0, q, dx = 100.0, 2000.0, 2.5
    Rc = math.sqrt(4 * D * C0 / q)                 # 141 µm
    R0 = 0.9 * Rc                                   # exact centre value 0.19 C0
    C, r, inside = disc(R0, dx, C0, q, km=1e-4 * C0)
    exact = C0 - q * (R0 ** 2 - r ** 2) / (4 * D)
    assert np.all(C >= 0.0)
    assert np.min(C[inside]) > 0.1 * C0             # no anoxic centre
    err = np.max(np.abs(C[inside] - exact[inside]))
    assert err < disc_tolerance(R0, dx, q), (err, disc_tolerance(R0, dx, q))


def dead_core_radius(R0, C0, q):
    """ρ with (q/4D)[R0² − ρ² − 2ρ² ln(R0/ρ)] = C0 (the zero-order disc with an anoxic core)."""
    def f(rho):
        return q / (4 * D) * (R0 ** 2 - rho ** 2 - 2 * rho ** 2 * math.log(R0 / rho)) - C0
    return brentq(f, 1e-9 * R0, R0, xtol=1e-12)


def test_zero_order_disc_with_dead_core():
    """Truth: beyond the critical radius C = 0 for r < ρ and C = (q/4D)[r² − ρ² − 2ρ² ln(r/ρ)]
    for ρ ≤ r ≤ R0 (C = C' = 0 at ρ, C(R0) = C0), ρ from brentq."""
    C0, q, dx = 100.0, 2000.0, 2.5
    Rc = math.sqrt(4 * D * C0 / q)
    R0 = 1.4 * Rc                                   # 198 µm
    rho = dead_core_radius(R0, C0, q)
    assert 0.3 * R0 < rho < 0.9 * R0                # a clear core (sanity of the set-up)
    C, r, inside = disc(R0, dx, C0, q, km=1e-4 * C0)
    rr = np.maximum(r, rho)
    exact = q / (4 * D) * (rr ** 2 - rho ** 2 - 2 * rho ** 2 * np.log(rr / rho))
    assert np.all(C >= 0.0)
    err = np.max(np.abs(C[inside] - exact[inside]))
    assert err < disc_tolerance(R0, dx, q), (err, disc_tolerance(R0, dx, q))
    # The core: anoxic well inside ρ, oxygenated well outside; its area gives ρ within 2 dx.
    assert np.max(C[r < rho - 2 * dx]) < 1e-3 * C0
    assert np.min(C[inside & (r > rho + 4 * dx)]) > 0.0
    rho_num = math.sqrt(np.count_nonzero(inside & (C < 1e-4 * C0)) * dx * dx / math.pi)
    assert abs(rho_num - rho) < 2 * dx, (rho_num, rho)


# ---------------------------------------------------------------------------------------------
# 3. Michaelis–Menten slab against scipy.integrate.solve_bvp.


def mm_slab_bvp(C0, q, km, W):
    """D·C'' = q·C/(km + C) on [0, W], C(0) = C0, C'(W) = 0, by solve_bvp (tol 1e-8) in
    s = x/W; returns a callable x ↦ C."""
    a = W * W * q / D

    def rhs(s, y):
        c = np.maximum(y[0], 0.0)
        return np.vstack([y[1], a * c / (km + c)])

    def bc(ya, yb):
        return np.array([ya[0] - C0, yb[1]])

    s = np.linspace(0.0, 1.0, 2001)
    # Start from the zero-order profile (front at Lz/W, clipped at the domain end).
    Lz = min(math.sqrt(2 * D * C0 / q) / W, 1.0)
    guess = np.vstack([C0 * np.clip(1 - s / Lz, 0, None) ** 2 + 1e-3,
                       -2 * C0 / Lz * np.clip(1 - s / Lz, 0, None)])
    sol = solve_bvp(rhs, bc, s, guess, tol=1e-8, max_nodes=200000)
    assert sol.success, sol.message
    return lambda x: sol.sol(np.asarray(x) / W)[0]


def mm_slab_error(C0, q, km, W, n):
    """Max error of the solver's steady state on (1, n) sites (the no-flux face half a cell past
    the last centre, so dx = W/(n − 1/2)) against the solve_bvp profile at the centres."""
    dx = W / (n - 0.5)
    shape = (1, n)
    mask = np.zeros(shape, bool)
    mask[0, 0] = True
    C = steady_state(D, dx, np.zeros(shape), mask, C0, vmax=np.full(shape, q), km=km,
                     rtol=1e-12).ravel()
    exact = mm_slab_bvp(C0, q, km, W)(dx * np.arange(n))
    assert np.all(C >= 0.0)
    return np.max(np.abs(C - exact)), exact


@pytest.mark.parametrize("q, end_range", [
    (250.0, (0.1, 5.0)),       # the field nearly, but not quite, vanishes at the far end
    (800.0, (0.0, 1e-2)),      # a deep near-anoxic region (km = 1 ≫ C there)
])
def test_michaelis_menten_slab_against_solve_bvp(q, end_range):
    """Truth: scipy.integrate.solve_bvp of D·C'' = q·C/(km + C), C(0) = C0, C'(W) = 0, at the
    site centres; the error falls at second order when dx halves."""
    C0, km, W = 38.0, 1.0, 200.0
    coarse, exact = mm_slab_error(C0, q, km, W, 40)
    fine, _ = mm_slab_error(C0, q, km, W, 80)
    assert end_range[0] <= exact[-1] <= end_range[1], exact[-1]   # the regime intended
    assert coarse < 5e-4 * C0, coarse
    ratio = (80 - 0.5) / (40 - 0.5)
    # Second order: the error falls by ≈ ratio² ≈ 4.
    assert fine < coarse / (0.75 * ratio ** 2), (coarse, fine)


# ---------------------------------------------------------------------------------------------
# 4. One backward-Euler step against Newton on the same discrete equations.


def discrete_residual(C, D, dx, K, mask, fixed, vmax, km, inv_dt, rhs):
    """The equations written out with NumPy (5-point stencil, mirrored edges: no flux):
    rhs − [(inv_dt + K)C − D∇²C + vmax·C/(km + C)] at free sites, fixed − C at Dirichlet ones."""
    P = np.pad(C, 1, mode="edge")
    lap = (P[:-2, 1:-1] + P[2:, 1:-1] + P[1:-1, :-2] + P[1:-1, 2:] - 4 * C) / dx ** 2
    r = rhs - ((inv_dt + K) * C - D * lap + vmax * C / (km + C))
    return np.where(mask, fixed - C, r)


def small_problem(seed=7, shape=(12, 9)):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.1
    mask[0, 0] = True
    fixed = rng.uniform(20, 38, shape)
    vmax = rng.uniform(0, 500, shape)
    uptake = rng.uniform(0, 2, shape)
    source = rng.uniform(0, 50, shape)
    C_old = rng.uniform(0, 40, shape)
    return mask, fixed, vmax, uptake, source, C_old


@pytest.mark.parametrize("dt", [0.05, 2.0, math.inf])
def test_time_step_matches_newton_on_discrete_equations(dt):
    """Truth: Newton on (1/dt + K − D∇²)C + vmax·C/(km + C) = C_old/dt + F (C = value at the
    Dirichlet sites) with the sparse matrix of abm.fields.reference; agreement 1e-8 relative."""
    mask, fixed, vmax, uptake, source, C_old = small_problem()
    dx, km, decay = 20.0, 2.0, 0.1
    inv_dt = 0.0 if math.isinf(dt) else 1.0 / dt
    expected = mm_newton(D, dx, uptake + decay, mask, fixed, vmax, km, inv_dt,
                         rhs=C_old * inv_dt + source, C=C_old)
    # The reference solves the written-out equations (its own check, independent of the matrix).
    r = discrete_residual(expected, D, dx, uptake + decay, mask, fixed, vmax, km, inv_dt,
                          C_old * inv_dt + source)
    assert np.max(np.abs(r)) < 1e-9 * D / dx ** 2 * np.max(expected)
    solver = FieldSolver(mask.shape, dx, D, decay, mask, fixed, rtol=1e-12)
    C = C_old.copy()
    info = solver.advance(C, uptake, dt, source=source, vmax=vmax, km=km)
    assert np.max(np.abs(C - expected)) <= 1e-8 * np.max(np.abs(expected))
    assert info.newton >= 1
    assert np.array_equal(C[mask], fixed[mask])


# ---------------------------------------------------------------------------------------------
# 5. Robustness.


def blob_problem(shape=(40, 33), seed=11):
    """Sparse vessels around a high-vmax blob that goes partly anoxic."""
    rng = np.random.default_rng(seed)
    y, x = np.indices(shape)
    blob = (y - 20) ** 2 + (x - 15) ** 2 < 150
    mask = (rng.random(shape) < 0.02) & ~blob
    mask[0, 0] = mask[-1, -1] = True
    fixed = rng.uniform(20, 38, shape)
    vmax = rng.uniform(0, 20, shape) + blob * rng.uniform(300, 600, shape)
    uptake = rng.uniform(0, 0.5, shape)
    return mask, fixed, vmax, uptake


def test_steady_state_independent_of_cold_start():
    """Truth: the steady state is unique, so a start at C = 0 and one at C = C0 everywhere
    reach the same field (to the tolerance)."""
    mask, fixed, vmax, uptake = blob_problem()
    dx, km, C0 = 10.0, 1.0, 38.0
    results = []
    for start in (0.0, C0):
        solver = FieldSolver(mask.shape, dx, D, 0.0, mask, fixed, rtol=1e-10)
        C = np.full(mask.shape, start)
        solver.advance(C, uptake, math.inf, vmax=vmax, km=km)
        assert np.all(C >= 0.0)
        results.append(C)
    assert np.min(results[0]) < 0.05 * C0           # the blob does go (nearly) anoxic
    assert np.max(np.abs(results[0] - results[1])) < 1e-7 * C0


def test_large_km_is_linear_uptake():
    """Truth: for km ≫ C, vmax·C/(km + C) = (vmax/km)·C·(1 + O(C/km)): the linear steady state
    with uptake + vmax/km (scipy.sparse direct solve of abm.fields.reference)."""
    mask, fixed, vmax, uptake = blob_problem()
    dx, km, decay = 10.0, 1e7, 0.05
    k = vmax / 100.0                                # linear rates up to 6 min⁻¹
    C = steady_state(D, dx, uptake, mask, fixed, decay=decay, vmax=k * km, km=km)
    linear = reference.solve(D, dx, uptake + k, mask, fixed, decay=decay)
    # Relative effect of the saturation is ≤ max C / km ≈ 4e-6.
    assert np.max(np.abs(C - linear)) < 1e-5 * np.max(linear)


@pytest.mark.parametrize("dt", [1.0, math.inf])
def test_zero_vmax_is_linear_bit_for_bit(dt):
    """Truth: with vmax = 0 the equation is the linear one; the result must be identical (bit
    for bit) to the solver's linear path."""
    mask, fixed, vmax, uptake = blob_problem()
    rng = np.random.default_rng(5)
    C_old = rng.uniform(0, 38, mask.shape)
    source = rng.uniform(0, 5, mask.shape)
    out = []
    for extra in ({}, {"vmax": np.zeros(mask.shape), "km": 1.0}):
        solver = FieldSolver(mask.shape, 10.0, D, 0.02, mask, fixed, rtol=1e-8)
        C = C_old.copy()
        solver.advance(C, uptake, dt, source=source, **extra)
        out.append(C)
    assert np.array_equal(out[0], out[1])


def _bad(shape, kind, km):
    """vmax and km for one bad-input case: vmax spoilt at one site or misshapen, or the km given."""
    vmax = np.full(shape, 10.0)
    if kind == "km":
        return vmax, km
    if kind == "shape":
        return np.full((shape[1], shape[0]), 10.0), 1.0
    vmax[2, 3] = {"negative": -1.0, "nan": np.nan, "inf": np.inf}[kind]
    return vmax, 1.0


@pytest.mark.parametrize("kind, km, name", [
    ("negative", None, "vmax"),
    ("nan", None, "vmax"),
    ("inf", None, "vmax"),
    ("shape", None, "vmax"),
    ("km", 0.0, "km"),
    ("km", -1.0, "km"),
    ("km", float("nan"), "km"),
    ("km", None, "km"),                   # vmax without km
    ("km", np.ones((8, 7)), "km"),        # km is a scalar
])
def test_bad_input_is_rejected_naming_the_argument(kind, km, name):
    """Truth: the spec — vmax ≥ 0 finite of the grid's shape, km a number > 0; anything else
    raises ValueError / NumericalError naming the argument (advance and steady_state)."""
    shape = (8, 7)
    mask = np.zeros(shape, bool)
    mask[0, 0] = True
    vmax, km = _bad(shape, kind, km)
    solver = FieldSolver(shape, 10.0, D, 0.0, mask, 30.0)
    C = np.zeros(shape)
    with pytest.raises((ValueError, NumericalError), match=name):
        solver.advance(C, np.zeros(shape), math.inf, vmax=vmax, km=km)
    with pytest.raises((ValueError, NumericalError), match=name):
        steady_state(D, 10.0, np.zeros(shape), mask, 30.0, vmax=vmax, km=km)


def test_negative_uptake_is_rejected_with_a_saturating_sink():
    """Truth: the contract of ``uptake`` (finite, >= 0; ValueError naming it and its value)
    holds with a saturating sink too, also where the linearised sink vmax·km/(km + C)² would
    mask it (a site in the anoxic zone)."""
    C0, q, dx, n = 100.0, 500.0, 4.0, 60               # front at 200 µm = 50 dx
    shape = (1, n)
    mask = np.zeros(shape, bool)
    mask[0, 0] = True
    uptake = np.zeros(shape)
    uptake[0, 55] = -1.0                                # beyond the front
    solver = FieldSolver(shape, dx, D, 0.0, mask, C0)
    C = np.zeros(shape)
    with pytest.raises(ValueError, match=r"uptake = -1\.0 "):
        solver.advance(C, uptake, math.inf, vmax=np.full(shape, q), km=1.0)


# ---------------------------------------------------------------------------------------------
# 6. Mass balance at steady state.


def test_steady_state_mass_balance():
    """Truth: conservation — at steady state the total consumption Σ [vmax·C/(km + C) +
    (uptake + decay)·C]·dx² over the free sites equals the inflow Σ D·(C_fixed − C_nb) over
    the faces between Dirichlet sites and free neighbours (per unit depth)."""
    mask, fixed, vmax, uptake = blob_problem(shape=(37, 30), seed=4)
    dx, km, decay = 10.0, 1.0, 0.05
    C = steady_state(D, dx, uptake, mask, fixed, decay=decay, vmax=vmax, km=km, rtol=1e-12)
    assert np.array_equal(C[mask], fixed[mask])
    free = ~mask
    consumption = np.sum((vmax * C / (km + C) + (uptake + decay) * C)[free]) * dx * dx
    inflow = 0.0
    for a, b in ((np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1, :], np.s_[1:, :])):
        ma, mb, ca, cb = mask[a], mask[b], C[a], C[b]
        inflow += np.sum(D * (ca - cb)[ma & ~mb]) + np.sum(D * (cb - ca)[mb & ~ma])
    assert consumption > 0
    assert abs(consumption - inflow) <= 1e-6 * inflow, (consumption, inflow)
