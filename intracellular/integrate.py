"""Batched stiff integration of a network over many cells: :class:`BatchIntegrator`, :func:`simulate`.

Method: RODAS3 (Sandu et al. 1997, Atmos Environ 31:3459, Table 2; also in KPP), a 4-stage,
order-3 Rosenbrock method with an embedded order-2 solution for step-size control. It is
L-stable and stiffly accurate (the solution is the last stage), so stiff components such as
Rb–E2F binding (kRE·RB·EF ~ 500 h⁻¹) are damped at any step size instead of ringing, and
there is no order reduction on them. Linearly implicit: each step needs one analytic Jacobian
``network.jac``, one LU of W = I − γhJ and four triangular solves, and no Newton iteration, which keeps the cost per step predictable (3 rhs evaluations; stage 2
reuses stage 1's). Order 3 is the sweet spot at the loose tolerances of a tissue model
(rtol ~ 1e-4: about one step per 0.1 h) and still converges at rtol 1e-8 for validation.

One kernel for all networks: the network's compiled ``rhs`` and ``jac`` are passed to the
kernel as first-class function values (typed by signature, :data:`RHS_TYPE` and
:data:`JAC_TYPE`), so the kernel is compiled once, with an explicit signature, and cached on
disk; each network compiles and caches only its own ``rhs``/``jac``. (Passing them as plain
dispatcher arguments specialises the kernel per network, but numba 0.68 then misses its
on-disk cache in every new process and appends a new entry each time; a closure factory keys
the cache on the dispatchers' per-process UUIDs and misses as well.) The indirect call costs
nothing measurable (same speed as the per-network specialisation). All work is serial and
deterministic (no ``prange``).

Sparse LU (as KPP does by code generation, here interpreted): the Jacobians are sparse
(dormancy: 54 of 196 entries), so :class:`BatchIntegrator` probes each network's structural
pattern once (:func:`_structural_pattern`), orders it to limit fill and compiles a static
elimination plan without pivoting (:func:`_sparse_plan`), passed to the kernel as one int64
array of operation lists. Every Jacobian is checked against the pattern, and a step whose J
leaves it, or whose LU meets a zero pivot or a multiplier above :data:`_MAX_MULTIPLIER`, is
factored by the dense LU with partial pivoting instead (also used for every step of a network
whose filled pattern is denser than :data:`_MAX_DENSITY`, and with ``sparse=False``).
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping

import numba
import numpy as np
from numba import types

from ._numba import OPTIONS, jit
from .network import Network
from .registry import get_network

_VECTOR, _MATRIX = types.float64[::1], types.float64[:, ::1]
RHS_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _VECTOR))
"""Type of a network's compiled ``rhs(y, p, u, out)`` (1-D contiguous float64 arrays)."""
JAC_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _MATRIX))
"""Type of a network's compiled ``jac(y, p, u, J)`` (``J`` a 2-D C-contiguous float64 array)."""
_PLAN_FIELDS = ("src", "diag", "factor", "multipliers", "solve", "off")
"""The index arrays of a sparse LU plan (:func:`_sparse_plan`), packed into one int64 array:
``plan[f]`` (f = 0..5) is where field f starts, ``plan[6]`` where the last one ends, then the
fields. One flat array rather than a tuple of arrays: the helpers receive it without
reference-counting six arrays per call. An empty plan (``plan[6] == 7``, no fields)
selects the dense pivoted LU."""
_P_SRC, _P_DIAG, _P_FACTOR, _P_MULTIPLIERS, _P_SOLVE, _P_OFF = range(len(_PLAN_FIELDS))
_KERNEL_SIGNATURE = types.Tuple((types.int64,) * 5 + (types.float64,))(
    RHS_TYPE, JAC_TYPE, types.int64[::1], types.float64[:, :], types.float64[:, :], _MATRIX,
    types.float64, types.boolean[:], types.float64[:], types.float64, types.float64, types.int64)

_inline = numba.njit(inline="always", **OPTIONS)
"""The per-row step loop and its small helpers, inlined in numba IR into the kernel: as calls
they would reference-count their array arguments at every call, which costs more than the
sparse LU's work."""

# RODAS3 tableau in the W-form used below (W = I − γhJ, stage i solves
# W·K_i = γh·f(y + Σ_j A[i,j]·K_j) + γ·Σ_j C[i,j]·K_j; y_new = y + Σ M_i·K_i;
# error estimate Σ E_i·K_i = y_new − (embedded order-2 solution), with E = (0, 0, 0, 1): K_4).
# Stage 2 evaluates f at the same point as stage 1.
_GAMMA = 0.5
_A = np.array([[0.0, 0.0, 0.0, 0.0],
               [0.0, 0.0, 0.0, 0.0],
               [2.0, 0.0, 0.0, 0.0],
               [2.0, 0.0, 1.0, 0.0]])
_C = np.array([[0.0, 0.0, 0.0, 0.0],
               [4.0, 0.0, 0.0, 0.0],
               [1.0, -1.0, 0.0, 0.0],
               [1.0, -1.0, -8.0 / 3.0, 0.0]])
_M = np.array([2.0, 0.0, 1.0, 1.0])
_STAGES = 4
# The error estimate is O(h³): the controller scales h by err^(-1/3) (np.cbrt: cheaper than a
# power).

# Step-size controller (Hairer & Wanner II, IV.8): safety factor and bounds of the change.
_SAFETY, _FAC_MIN, _FAC_MAX = 0.9, 0.2, 6.0
_H_MIN_REL = 1e-12
"""A step shorter than this fraction of ``dt`` is an underflow: the solution is blowing up."""
_NEGATIVE_FACTOR = 100.0
"""All species are non-negative quantities. An accepted step may undershoot zero by its local
error, which the RMS error test bounds by √n·(atol + rtol·|y|) per component (≤ 4 tolerance
units for n ≤ 16); allowing 100 units leaves room for ~25 such errors in a row before a false
alarm, while a real blow-up (wrong-signed rate, absurd parameter) grows geometrically and
crosses the bound within a step or two."""

# Sparse LU (see _sparse_plan).
_PATTERN_SAMPLES = 64
"""Random states at which the Jacobian's structural pattern is probed (analytic ``jac`` and
one-sided differences of ``rhs``)."""
_MAX_DENSITY = 0.8
"""A network whose filled LU pattern covers more than this fraction of W uses the dense LU."""
_MAX_MULTIPLIER = 1e6
"""The sparse LU does not pivot; a multiplier larger than this (or a zero pivot) hands the
step to the dense LU with partial pivoting. On the shipped networks, along trajectories and
for γh from 5e-4 to 50 h, multipliers stay below ~3e3 and the solutions agree with the
pivoted LU to rounding (≤ 1e-10 relative, at condition numbers up to ~5e5)."""

# Failure codes returned by the kernel.
_OK, _NOT_FINITE, _NEGATIVE, _UNDERFLOW, _MAX_STEPS = 0, 1, 2, 3, 4
_REASONS = {
    _NOT_FINITE: "non-finite value in the state at the start of the step",
    _NEGATIVE: f"went negative beyond {_NEGATIVE_FACTOR:g}·(atol + rtol·|y|) (blow-up; "
               "check the parameters)",
    _UNDERFLOW: f"step size underflow (h < {_H_MIN_REL:g}·dt): the solution blows up or the "
                "right-hand side is not finite there",
    _MAX_STEPS: "too many steps (max_steps) within one advance",
}


class IntegrationError(FloatingPointError):
    """A cell's state could not be advanced. Attributes: ``network``, ``row`` (cell index),
    ``species``, ``value`` (of that species at the failure) and ``reason``."""

    def __init__(self, network: str, row: int, species: str, value: float, reason: str):
        super().__init__(f"network {network!r}, row {row}, species {species!r} = {value!r}: {reason}")
        self.network, self.row, self.species, self.value, self.reason = (
            network, row, species, value, reason)


@jit
def _lu_factor(M, piv):
    """LU with partial pivoting of W, given its transpose ``M`` = Wᵀ [n, n], in place; False
    if W is singular.

    Column-major LU as in LAPACK: with Wᵀ stored row-major, the pivot search, the multipliers
    and every elimination update run along contiguous memory (axpy loops that vectorise without
    reassociating sums). On return row k of ``M`` holds column k of the factors: L below the
    diagonal (unit diagonal implied) and U above it, with 1/U[k, k] stored on the diagonal (the
    solves multiply instead of divide: divisions sit on the critical path of back
    substitution); ``piv[k]`` is the row of W swapped with row k.
    """
    n = M.shape[0]
    for k in range(n):
        pk = k
        big = abs(M[k, k])
        for i in range(k + 1, n):
            if abs(M[k, i]) > big:
                pk, big = i, abs(M[k, i])
        piv[k] = pk
        if big == 0.0:
            return False
        if pk != k:
            for j in range(n):
                M[j, k], M[j, pk] = M[j, pk], M[j, k]
        inv = 1.0 / M[k, k]
        M[k, k] = inv
        for i in range(k + 1, n):
            M[k, i] *= inv
        for j in range(k + 1, n):
            ukj = M[j, k]
            if ukj != 0.0:  # network Jacobians are sparse: skip empty columns
                for i in range(k + 1, n):
                    M[j, i] -= M[k, i] * ukj
    return True


@jit
def _lu_solve(M, piv, b):
    """Solve ``W·x = b`` in place (``b`` becomes ``x``) with the factors of :func:`_lu_factor`
    (column-oriented substitutions, contiguous in ``M``)."""
    n = M.shape[0]
    for k in range(n):
        if piv[k] != k:
            b[k], b[piv[k]] = b[piv[k]], b[k]
    for j in range(n):
        bj = b[j]
        if bj != 0.0:
            for i in range(j + 1, n):
                b[i] -= M[j, i] * bj
    for j in range(n - 1, -1, -1):
        bj = b[j] * M[j, j]
        b[j] = bj
        if bj != 0.0:
            for i in range(j):
                b[i] -= M[j, i] * bj


@jit
def _initial_step(rhs, y, p, u, f, dt, rtol, atol):
    """A first step (h) for a row without memory: 1 % of the time for y to change by its own
    size at the initial slope, in tolerance-weighted RMS norms (Hairer & Wanner I, II.4)."""
    rhs(y, p, u, f)
    d0 = 0.0
    d1 = 0.0
    for k in range(y.shape[0]):
        sc = atol + rtol * abs(y[k])
        d0 += (y[k] / sc) ** 2
        d1 += (f[k] / sc) ** 2
    if not d1 > 0.0:  # at rest (or NaN slope, which the first step will reject)
        return dt
    return min(dt, 0.01 * max(np.sqrt(d0), 1.0) / np.sqrt(d1))


@jit
def _culprit(y, trial, worst):
    """The species to blame for a failed row: the one with the largest error estimate in the
    last attempt (``worst``), or, when that attempt overflowed, the largest species of the
    last accepted state ``y`` (the one blowing up). Returns (species, value)."""
    if np.isfinite(trial[worst]):
        return worst, trial[worst]
    k = np.argmax(np.abs(y))
    return k, y[k]


@_inline
def _sparse_factor(plan, J, c, a):
    """W = I + c·J into ``a`` (its filled sparsity pattern, :func:`_sparse_plan`) and its LU
    without pivoting, in place, in the plan's fill-reducing elimination order; False if a
    pivot is zero (or not finite) or a multiplier of L exceeds :data:`_MAX_MULTIPLIER` (the
    caller then falls back to the dense pivoted LU).

    Crout form (W = L̃·Ũ, Ũ unit upper), row by row in the elimination order, each entry a
    dot product (see :func:`_sparse_plan`). One flat list of operations (e, s, x, y, next,
    pivot) on an accumulator: acc ← acc − a[x]·a[y] (x, y the slot holding 0 for an entry
    with no terms); where an entry ends (next ≥ 0), a[e] ← acc·a[s] (s: 1/U[i, i] for Ũ, the
    slot holding 1 otherwise), 1/a[e] into slot ``pivot`` for a diagonal entry, and acc ←
    a[next]. The sums stay in a register, and the branches follow a fixed pattern the
    predictor learns (loops over rows of a few entries each would mispredict their exits).
    ``multipliers`` pairs each entry of L̃ with its column's 1/pivot.
    """
    src = plan[plan[_P_SRC]:plan[_P_SRC + 1]]  # views: plain indices below
    diag = plan[plan[_P_DIAG]:plan[_P_DIAG + 1]]
    ops = plan[plan[_P_FACTOR]:plan[_P_FACTOR + 1]]
    for e in range(src.shape[0]):
        a[e] = c * J[src[e]]
    for t in range(diag.shape[0]):
        a[diag[t]] += 1.0
    acc = a[ops[0]]
    for q in range(0, ops.shape[0], 6):
        acc -= a[ops[q + 2]] * a[ops[q + 3]]
        if ops[q + 4] >= 0:
            value = acc * a[ops[q + 1]]
            a[ops[q]] = value
            if ops[q + 5] >= 0:
                if not abs(value) > 0.0:  # also catches NaN
                    return False
                a[ops[q + 5]] = 1.0 / value
            acc = a[ops[q + 4]]
    multipliers = plan[plan[_P_MULTIPLIERS]:plan[_P_MULTIPLIERS + 1]]
    bounded = True
    for q in range(0, multipliers.shape[0], 2):  # no branch: the check is almost never met
        bounded &= abs(a[multipliers[q]] * a[multipliers[q + 1]]) <= _MAX_MULTIPLIER  # NaN: False
    return bounded


@_inline
def _sparse_solve(plan, a, b):
    """Solve ``W·x = b`` in place with the factors of :func:`_sparse_factor` (``b`` in the
    network's species order): forward (L̃) then backward (Ũ) substitution in the elimination
    order.

    One flat list of operations (i, s, x, j, next) on an accumulator: acc ← acc − a[x]·b[j]
    (x the slot holding 0 for a row with nothing to subtract), and where row i ends (next ≥
    0), b[i] ← acc·a[s] (s: 1/pivot in the forward sweep, the slot holding 1 in the backward
    one) and acc ← b[next] (the next row's right-hand side). The sums stay in a register, and
    the branch follows a fixed pattern the predictor learns (loops over rows of a few entries
    each mispredict their exits: ~30 % slower).
    """
    ops = plan[plan[_P_SOLVE]:plan[_P_SOLVE + 1]]  # a view: plain indices below
    acc = b[ops[0]]
    for q in range(0, ops.shape[0], 5):
        acc -= a[ops[q + 2]] * b[ops[q + 3]]
        if ops[q + 4] >= 0:
            b[ops[q]] = acc * a[ops[q + 1]]
            acc = b[ops[q + 4]]


@_inline
def _in_pattern(plan, J):
    """Whether the Jacobian (``J``: flat view) is zero outside the plan's filled pattern (False
    also for NaN there)."""
    off = plan[plan[_P_OFF]:plan[_P_OFF + 1]]  # a view: plain indices below, no wraparound
    outside = 0
    for q in range(J.shape[0]):  # a branch-free OR over all entries: vectorised
        outside |= (J[q] != 0.0) & (off[q] != 0)
    return outside == 0


@_inline
def _factor(sparse, plan, J, Jf, c, a, W, piv):
    """Factor W = I + c·J: sparse (``a``) when ``sparse`` and the sparse LU passes its checks,
    else dense with partial pivoting (``W``, ``piv``). ``Jf`` is a flat view of ``J``. Returns
    (ok, sparse used)."""
    if sparse and _sparse_factor(plan, Jf, c, a):
        return True, True
    n = J.shape[0]
    for i in range(n):  # W stored transposed, for _lu_factor
        for j in range(n):
            W[j, i] = c * J[i, j]
        W[i, i] += 1.0
    return _lu_factor(W, piv), False


@_inline
def _solve(sparse, plan, a, W, piv, b):
    if sparse:
        _sparse_solve(plan, a, b)
    else:
        _lu_solve(W, piv, b)


@_inline
def _advance_row(rhs, jac, plan, y, p, u, dt, h, rtol, atol, max_steps, f0, fs, ys, K, J, Jf,
                 W, piv, a):
    """Advance one state ``y`` [n] in place by ``dt`` hours with RODAS3 and step-size control.

    ``h`` is the first step to try (≤ 0: choose one). ``plan``: the network's sparse LU plan
    (:func:`_sparse_plan`; the empty plan: dense LU for every step). ``f0``, ``fs``, ``ys``
    [n], ``K`` [4, n], ``J``, ``W`` [n, n] (``Jf`` a flat view of ``J``), ``piv`` [n] and
    ``a`` [nnz + 2 + n, holding 1 and 0 in slots nnz and nnz + 1] are scratch. Returns
    ``(steps, rejected, h_next, code, species, value)``: accepted and rejected step counts,
    the step to try next time, and on failure (code ≠ 0) the offending (or worst-error)
    species and its value. A rejected step keeps f0 and J and refactors only W.

    The stages are the tableau above written out (the same operations in the same order,
    skipping only the zero coefficients, whose terms add ±0).
    """
    n = y.shape[0]
    has_plan = plan.shape[0] > len(_PLAN_FIELDS) + 1
    if h <= 0.0:
        h = _initial_step(rhs, y, p, u, f0, dt, rtol, atol)
    steps = 0
    rejected = 0
    t = 0.0
    fresh = False  # f0 and J are evaluated at the current y
    sparse = False  # J fits the sparse plan
    after_reject = False
    worst = 0
    K0, K1, K2, K3 = K[0], K[1], K[2], K[3]
    g = _GAMMA
    c4 = _GAMMA * _C[3, 2]
    while t < dt:
        if steps + rejected >= max_steps:
            k, value = _culprit(y, ys, worst)
            return steps, rejected, h, _MAX_STEPS, k, value
        truncated = t + h >= dt
        hs = dt - t if truncated else h
        if not fresh:
            rhs(y, p, u, f0)
            jac(y, p, u, J)
            fresh = True
            sparse = has_plan and _in_pattern(plan, Jf)
        err = np.inf
        gh = _GAMMA * hs
        ok, sp = _factor(sparse, plan, J, Jf, -gh, a, W, piv)
        if ok:
            for k in range(n):
                K0[k] = gh * f0[k]
            _solve(sp, plan, a, W, piv, K0)
            for k in range(n):  # stage 2: f at the same point as stage 1
                K1[k] = gh * f0[k] + g * _C[1, 0] * K0[k]
            _solve(sp, plan, a, W, piv, K1)
            for k in range(n):
                ys[k] = y[k] + _A[2, 0] * K0[k]
            rhs(ys, p, u, fs)
            for k in range(n):
                K2[k] = gh * fs[k] + g * _C[2, 0] * K0[k] + g * _C[2, 1] * K1[k]
            _solve(sp, plan, a, W, piv, K2)
            for k in range(n):
                ys[k] = y[k] + _A[3, 0] * K0[k] + _A[3, 2] * K2[k]
            rhs(ys, p, u, fs)
            for k in range(n):
                K3[k] = (gh * fs[k] + g * _C[3, 0] * K0[k] + g * _C[3, 1] * K1[k]
                         + c4 * K2[k])
            _solve(sp, plan, a, W, piv, K3)
            # candidate y_new into ys (M = 2, 0, 1, 1); err = RMS of the tolerance-weighted
            # error estimate E·K = K3
            total = 0.0
            big = -1.0
            for k in range(n):
                ynew = y[k] + _M[0] * K0[k] + _M[2] * K2[k] + _M[3] * K3[k]
                ys[k] = ynew
                w = abs(K3[k]) / (atol + rtol * max(abs(y[k]), abs(ynew)))
                if ynew - ynew != 0.0:  # inf/NaN stage: no estimate (0·K would give NaN)
                    w = np.nan
                if not w <= big:  # also catches NaN
                    big = w
                    worst = k
                total += w * w
            err = np.sqrt(total / n)
        else:
            ys[:] = np.nan  # singular W: no trial state
        if err <= 1.0:
            for k in range(n):
                if ys[k] < -_NEGATIVE_FACTOR * (atol + rtol * abs(y[k])):
                    return steps, rejected, h, _NEGATIVE, k, ys[k]
            y[:] = ys
            steps += 1
            fresh = False
            t = dt if truncated else t + hs
            fac = _FAC_MAX if err == 0.0 else min(_FAC_MAX, _SAFETY / np.cbrt(err))
            if after_reject:
                fac = min(fac, 1.0)
            after_reject = False
            # a step cut short to land on dt says nothing against the longer step planned
            h = max(hs * fac, h) if truncated else hs * fac
        else:
            rejected += 1
            after_reject = True
            # err is inf/NaN when W was singular or the trial state overflowed: shrink hard
            fac = _SAFETY / np.cbrt(err) if err < np.inf else _FAC_MIN
            h = hs * max(_FAC_MIN, fac)
            if h < _H_MIN_REL * dt:
                k, value = _culprit(y, ys, worst)
                return steps, rejected, h, _UNDERFLOW, k, value
    return steps, rejected, h, _OK, 0, 0.0


def _advance_rows(rhs, jac, plan, y, u, p, dt, active, h, rtol, atol, max_steps):
    """Advance every active row of ``y`` [N, n] by ``dt`` (see :meth:`BatchIntegrator.advance`).

    ``p`` is [1, n_params] (shared) or [N, n_params]. Stops at the first failing row. Returns
    ``(steps, rejected, code, row, species, value)``.
    """
    N, n = y.shape
    shared = p.shape[0] == 1
    yi = np.empty(n)
    ui = np.empty(u.shape[1])
    f0 = np.empty(n)
    fs = np.empty(n)
    ys = np.empty(n)
    K = np.empty((_STAGES, n))
    J = np.empty((n, n))
    Jf = J.reshape(n * n)  # flat view
    W = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    nnz = plan[_P_SRC + 1] - plan[_P_SRC]
    a = np.empty(nnz + 2 + n)  # the filled pattern, then 1, 0 and the 1/pivot slots
    a[nnz] = 1.0
    a[nnz + 1] = 0.0
    steps = 0
    rejected = 0
    for i in range(N):
        if not active[i]:
            continue
        # contiguous copies: one compiled rhs/jac whatever the layout of y and u
        for k in range(n):
            yi[k] = y[i, k]
            if not np.isfinite(yi[k]):
                return steps, rejected, _NOT_FINITE, i, k, yi[k]
        ui[:] = u[i]
        pi = p[0] if shared else p[i]
        s, r, h_next, code, k, value = _advance_row(rhs, jac, plan, yi, pi, ui, dt, h[i], rtol,
                                                    atol, max_steps, f0, fs, ys, K, J, Jf, W, piv,
                                                    a)
        steps += s
        rejected += r
        if code != _OK:
            return steps, rejected, code, i, k, value
        y[i] = yi
        h[i] = h_next
    return steps, rejected, _OK, -1, 0, 0.0


def _structural_pattern(net: Network, samples: int = _PATTERN_SAMPLES, seed: int = 0) -> np.ndarray:
    """Boolean [n, n]: where ∂f_i/∂y_j can be non-zero (plus the diagonal), the union over
    random positive states, inputs (some set to 0) and parameters (defaults × 0.5–2) of the
    non-zeros of ``jac`` and of the entries that a change of y_j moves in ``rhs``. The kernel
    checks every Jacobian against it (:func:`_in_pattern`), so a missed entry costs speed, not
    accuracy."""
    n = net.n_species
    rng = np.random.default_rng(seed)
    p0, u0 = net.parameter_vector(), net.input_vector()
    J, f, fd = np.empty((n, n)), np.empty(n), np.empty(n)
    mask = np.eye(n, dtype=bool)
    for _ in range(samples):
        y = 10.0 ** rng.uniform(-3.0, 1.0, n)
        u = np.where(u0 != 0, u0 * 10.0 ** rng.uniform(-2.0, 1.0, u0.size),
                     10.0 ** rng.uniform(-3.0, 1.0, u0.size))
        u[rng.random(u0.size) < 0.2] = 0.0
        p = np.where(p0 != 0, p0 * rng.uniform(0.5, 2.0, p0.size), rng.uniform(0.1, 1.0, p0.size))
        try:
            net.jac(y, p, u, J)
            net.rhs(y, p, u, f)
            mask |= J != 0.0  # NaN counts
            for j in range(n):
                yd = y.copy()
                yd[j] *= 1.0 + 1e-3
                net.rhs(yd, p, u, fd)
                mask[:, j] |= fd != f
        except ZeroDivisionError:
            continue
    return mask


def _sparse_plan(pattern: np.ndarray) -> np.ndarray:
    """Static elimination plan for LU without pivoting of W = I − γhJ with J's ``pattern``.

    The order is greedy Markowitz on the diagonal (eliminate next the row/column pair with the
    fewest (r − 1)(c − 1) updates, ties by index); symbolic elimination adds the fill. ``a``
    holds the filled pattern row by row in that order (L entries, columns in elimination
    order; diagonal; U entries), then the constants 1 and 0, then 1/pivot per row. Fields, in
    :data:`_PLAN_FIELDS` order (see :func:`_sparse_factor`, :func:`_sparse_solve`): ``src``
    (flat index in J of each entry), ``diag`` (position of each pivot), ``factor`` and
    ``solve`` (operation lists), ``multipliers`` (each L̃ entry and its 1/pivot slot) and
    ``off`` (1 where J's flat entry is outside the filled pattern, else 0). The dense plan when the filled
    pattern is denser than :data:`_MAX_DENSITY`.
    """
    n = pattern.shape[0]
    filled = pattern | np.eye(n, dtype=bool)
    left, order = list(range(n)), []
    while left:
        k = min(left, key=lambda k: ((filled[k, left].sum() - 1) * (filled[left, k].sum() - 1), k))
        order.append(k)
        left.remove(k)
        rows = [i for i in left if filled[i, k]]
        for j in (j for j in left if filled[k, j]):
            filled[rows, j] = True
    if filled.sum() > _MAX_DENSITY * n * n:
        return _DENSE_PLAN
    position, lower, upper = {}, [], []
    for t, i in enumerate(order):
        lower.append([j for j in order[:t] if filled[i, j]])
        upper.append([j for j in order[t + 1:] if filled[i, j]])
        for j in lower[t] + [i] + upper[t]:
            position[i, j] = len(position)
    nnz = len(position)
    one, zero, inv = nnz, nnz + 1, nnz + 2  # slots of a after the entries
    src = [i * n + j for (i, j) in position]  # dicts keep insertion order
    diag = [position[i, i] for i in order]
    step = {k: t for t, k in enumerate(order)}
    # Crout form W = L̃·Ũ (L̃ = L·diag(U) lower, Ũ unit upper), entry by entry as dot products:
    # L̃[i, k] = W[i, k] − Σ L̃[i, m]·Ũ[m, k] and Ũ[i, j] = (W[i, j] − Σ L̃[i, m]·Ũ[m, j])/U[i, i]
    # (m eliminated before both). Markowitz orders leave most entries in L; the Crout form
    # scales only the few in U, and entries of L̃ without terms need no operation at all.
    groups = []  # (entry, scale slot, terms, pivot slot)
    for (i, j), e in position.items():  # in the order of a
        t, tj = step[i], step[j]
        terms = [(position[i, m], position[m, j]) for m in order[:min(t, tj)]
                 if filled[i, m] and filled[m, j]]
        if tj < t and terms:
            groups.append((e, one, terms, -1))
        elif tj == t:
            groups.append((e, one, terms or [(zero, zero)], inv + t))
        elif tj > t:
            groups.append((e, inv + t, terms or [(zero, zero)], -1))
    factor = []
    for g, (e, scale, terms, pivot) in enumerate(groups):
        following = groups[g + 1][0] if g + 1 < len(groups) else 0
        for m, (x, y) in enumerate(terms):
            last = m == len(terms) - 1
            factor += [e, scale, x, y, following if last else -1, pivot if last else -1]
    multipliers = [x for t, i in enumerate(order) for k in lower[t]
                   for x in (position[i, k], inv + step[k])]  # L = L̃·(1/pivot)
    solve = []  # rows as (target, scale slot, [(x, j), ...])
    for t, i in enumerate(order):  # forward: L̃·z = b, z_i = (b_i − Σ L̃[i, k]·z_k)/U[i, i]
        solve.append((i, inv + t, [(position[i, k], k) for k in lower[t]] or [(zero, i)]))
    for t in range(n - 1, -1, -1):  # backward: Ũ·x = z; rows without entries are done
        i = order[t]
        if upper[t]:
            solve.append((i, one, [(position[i, j], j) for j in upper[t]]))
    ops = []
    for r, (i, scale, terms) in enumerate(solve):
        following = solve[r + 1][0] if r + 1 < len(solve) else 0
        for m, (x, j) in enumerate(terms):
            # the row ends: store it, start the next one from b[next]; -1: carry on
            ops += [i, scale, x, j, following if m == len(terms) - 1 else -1]
    off = (~filled).ravel()
    return _pack(src, diag, factor, multipliers, ops, off)


def _pack(*fields) -> np.ndarray:
    """One int64 array: the start of each field (and the end of the last), then the fields."""
    sizes = [len(f) for f in fields]
    starts = len(fields) + 1 + np.concatenate([[0], np.cumsum(sizes)])
    return np.concatenate([starts] + [np.asarray(f, dtype=np.int64) for f in fields]).astype(np.int64)


_DENSE_PLAN = _pack(*([],) * len(_PLAN_FIELDS))
_PLANS: dict[int, tuple[Network, np.ndarray]] = {}


def _plan_for(net: Network) -> np.ndarray:
    """The sparse LU plan of ``net``, computed once per network object."""
    if id(net) not in _PLANS or _PLANS[id(net)][0] is not net:
        _PLANS[id(net)] = (net, _sparse_plan(_structural_pattern(net)))
    return _PLANS[id(net)][1]


@functools.cache
def _kernel():
    """:func:`_advance_rows` compiled for :data:`_KERNEL_SIGNATURE` (or loaded from the disk
    cache) on first use, so that importing ``intracellular`` compiles nothing."""
    return numba.njit(_KERNEL_SIGNATURE, **OPTIONS)(_advance_rows)


class BatchIntegrator:
    """Advance the states of many cells of one network with RODAS3 (module docstring).

    ``rtol``/``atol``: the local error per step is kept below atol + rtol·|y| per species in
    the RMS norm (species are dimensionless activities of order 0.01–10). ``max_steps``: the
    step budget per row and call of :meth:`advance`. ``sparse``: factor W with the network's
    sparse LU plan (default; steps it cannot take fall back to the dense pivoted LU); False
    uses the dense LU for every step (the reference the sparse path is tested against).
    ``threads``: rows are split over this many threads (default ``NUMBA_NUM_THREADS``, so
    ``NUMBA_NUM_THREADS=1`` keeps single-core HPC jobs serial); results do not depend on it.
    """

    def __init__(self, network: str | Network, rtol: float = 1e-4, atol: float = 1e-7,
                 max_steps: int = 100_000, sparse: bool = True, threads: int | None = None):
        self.network = get_network(network)
        self.threads = numba.config.NUMBA_NUM_THREADS if threads is None else max(1, int(threads))
        if not (rtol > 0 and atol > 0 and max_steps > 0):
            raise ValueError(f"need rtol > 0, atol > 0, max_steps > 0; got {rtol}, {atol}, {max_steps}")
        self.rtol, self.atol, self.max_steps = float(rtol), float(atol), int(max_steps)
        self._plan = _plan_for(self.network) if sparse else _DENSE_PLAN

    def advance(self, y: np.ndarray, u: np.ndarray, p: np.ndarray, dt: float,
                active: np.ndarray | None = None, h: np.ndarray | None = None) -> tuple[int, int]:
        """Advance each active row of ``y`` by ``dt`` hours, in place; return (steps, rejected).

        - ``y``: float64 [N, n_species], any strides (e.g. the first columns of a wider table).
        - ``u``: float64 [N, n_inputs] per-row inputs, constant over ``dt``.
        - ``p``: float64 [n_params] shared by all rows, or [N, n_params] per row.
        - ``active``: bool [N] (None: all rows); inactive rows (and their ``h``) are untouched.
        - ``h``: float64 [N], the step size (h) to try first per row, updated in place with
          the step to try next; 0 picks one. Pass the same array every call to save work.

        Returns the total accepted and rejected steps. Raises :class:`IntegrationError` at the
        first failing row; rows before it are advanced, that row and the rest of its chunk are
        untouched. With ``threads`` > 1, batches of at least ``PARALLEL_MIN_ROWS`` rows are split
        into that many contiguous chunks advanced concurrently.
        """
        net = self.network
        N = self._check(y, 2, (None, net.n_species), "y", writable=True)[0]
        u = np.ascontiguousarray(u, dtype=np.float64)
        self._check(u, 2, (N, len(net.inputs)), "u")
        p = np.ascontiguousarray(p, dtype=np.float64)
        p = p[None, :] if p.ndim == 1 else p
        if p.ndim != 2 or p.shape[1] != len(net.parameters) or p.shape[0] not in (1, N):
            raise ValueError(f"p must have shape ({len(net.parameters)},) or ({N}, "
                             f"{len(net.parameters)}) for network {net.name!r}; got {p.shape}")
        active = np.ones(N, dtype=np.bool_) if active is None else active
        self._check(active, 1, (N,), "active", dtype=np.bool_)
        h = np.zeros(N) if h is None else h
        self._check(h, 1, (N,), "h", writable=True)
        if not dt > 0:
            raise ValueError(f"dt must be > 0 hours; got {dt}")
        bounds = _chunks(N, self.threads)

        def run(a: int, b: int):
            return _kernel()(net.rhs, net.jac, self._plan, y[a:b], u[a:b],
                             p if p.shape[0] == 1 else p[a:b], float(dt), active[a:b], h[a:b],
                             self.rtol, self.atol, self.max_steps)

        if len(bounds) == 1:
            results = [run(*bounds[0])]
        else:
            # Rows are independent and each is computed exactly as in the serial kernel (which
            # releases the GIL), so any chunking gives bitwise the same states.
            results = list(_pool(len(bounds)).map(lambda ab: run(*ab), bounds))
        steps = rejected = 0
        for (a, _), (s, r, code, row, k, value) in zip(bounds, results):
            steps, rejected = steps + s, rejected + r
            if code != _OK:
                raise IntegrationError(net.name, a + int(row), net.species[k], float(value),
                                       _REASONS[code])
        return int(steps), int(rejected)

    @staticmethod
    def _check(a, ndim, shape, name, dtype=np.float64, writable=False):
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim:
            raise TypeError(f"{name} must be a {ndim}-D {np.dtype(dtype)} ndarray")
        if any(want is not None and got != want for got, want in zip(a.shape, shape)):
            raise ValueError(f"{name} has shape {a.shape}; expected {shape}")
        if writable and not a.flags.writeable:
            raise ValueError(f"{name} is updated in place and must be writable")
        return a.shape


PARALLEL_MIN_ROWS = 2048
"""Below this many rows a batch runs in one call: thread hand-off would cost more than it saves."""


def _chunks(n_rows: int, threads: int) -> list[tuple[int, int]]:
    """Contiguous [a, b) row ranges, one per thread (one range for small batches)."""
    k = max(1, min(threads, n_rows // PARALLEL_MIN_ROWS))
    edges = np.linspace(0, n_rows, k + 1).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """A process-wide pool (threads stay idle between steps)."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="intracellular")


def simulate(name_or_network: str | Network, hours: float,
             inputs: Mapping[str, float] | None = None, params: Mapping[str, float] | None = None,
             y0: Mapping[str, float] | None = None, n_points: int = 201, preset: str | None = None,
             rtol: float = 1e-8, atol: float = 1e-10) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Trajectory of one cell under constant inputs, on the batched kernel (N = 1).

    ``inputs``: input name → value (defaults from the network); ``params``: overrides on top of
    ``preset``; ``y0``: species → value on top of the published initial state. Returns
    ``times`` (hours, ``n_points`` from 0 to ``hours``) and a dict species → trajectory.
    """
    net = get_network(name_or_network)
    p = net.parameter_vector(preset, params)
    u = net.input_vector(inputs)[None, :]
    y = net.state_vector(y0)[None, :]
    times = np.linspace(0.0, float(hours), int(n_points))
    out = np.empty((times.size, net.n_species))
    out[0] = y[0]
    integrator = BatchIntegrator(net, rtol=rtol, atol=atol)
    h = np.zeros(1)
    for k in range(1, times.size):
        integrator.advance(y, u, p, times[k] - times[k - 1], h=h)
        out[k] = y[0]
    return times, {s: out[:, j].copy() for j, s in enumerate(net.species)}
