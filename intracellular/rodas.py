"""The RODAS3 kernel that advances rows of a batch (:func:`advance_rows`, compiled by :func:`kernel`).

:class:`intracellular.BatchIntegrator` is its Python front end; this module holds the method,
its constants and the event handling, all in model time units.

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

Events (:attr:`intracellular.Network.events`, :data:`EVENTS_TYPE`) are located per row by
bisection: a step whose end state would turn some trigger from false to true is not accepted
while it is longer than ``event_tol`` model time units; it is retried on the first half of
the bracket that holds the crossing, and the bracket halves with every attempt, until the
crossing step is at most ``event_tol`` long; that step is accepted and the events fire at its
end (so each event fires at most ``event_tol`` after its exact time). The state then jumped:
f and J are re-evaluated and the step size restarts. A network without events passes a
compiled no-op and ``has_events = False``, which skips the calls.

Sparse LU: W is factored without pivoting by straight-line code generated for the
network's sparsity pattern (:mod:`intracellular.sparse_lu`), passed to the kernel as two more
function values. A Jacobian outside the pattern, a zero pivot or a large multiplier sends the
step to the dense LU with partial pivoting (:mod:`intracellular.dense_lu`; also used for every
step with ``sparse=False``).
"""
import functools

import numba
import numpy as np
from numba import types

from ._numba import OPTIONS, jit
from .dense_lu import dense_factor, lu_solve

_VECTOR, _MATRIX = types.float64[::1], types.float64[:, ::1]
RHS_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _VECTOR))
"""Type of a network's compiled ``rhs(y, p, u, out)`` (1-D contiguous float64 arrays)."""
JAC_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _MATRIX))
"""Type of a network's compiled ``jac(y, p, u, J)`` (``J`` a 2-D C-contiguous float64 array)."""
FACTOR_TYPE = types.FunctionType(types.boolean(_VECTOR, types.float64, _VECTOR))
"""Type of a generated sparse ``factor(J, c, a) -> ok`` (:class:`~intracellular.sparse_lu.SparseLU`)."""
SOLVE_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR))
"""Type of a generated sparse ``solve(a, b)``."""
EVENTS_TYPE = types.FunctionType(types.boolean(_VECTOR, _VECTOR, _VECTOR, _VECTOR, types.boolean))
"""Type of a network's compiled ``events(y_start, y, p, u, apply) -> bool``
(:attr:`intracellular.Network.events`)."""
_KERNEL_SIGNATURE = types.Tuple((types.int64,) * 6 + (types.float64,))(
    RHS_TYPE, JAC_TYPE, EVENTS_TYPE, FACTOR_TYPE, SOLVE_TYPE, types.int64[::1], types.int64,
    types.float64[:, :], types.float64[:, :], _MATRIX,
    types.float64, types.boolean[:], types.float64[:], types.float64, types.float64, types.int64,
    types.boolean, types.float64, types.boolean[::1])


@numba.njit(EVENTS_TYPE.signature, **OPTIONS)
def no_events(y_start, y, p, u, apply):
    """The events of a network without events: none fires (the kernel skips the call)."""
    return False

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

# Failure codes returned by the kernel.
OK, _NOT_FINITE, _NEGATIVE, _UNDERFLOW, _MAX_STEPS = 0, 1, 2, 3, 4
REASONS = {
    _NOT_FINITE: "non-finite value in the state at the start of the step",
    _NEGATIVE: f"went negative beyond {_NEGATIVE_FACTOR:g}·(atol + rtol·|y|) (blow-up; "
               "check the parameters)",
    _UNDERFLOW: f"step size underflow (h < {_H_MIN_REL:g}·dt): the solution blows up or the "
                "right-hand side is not finite there",
    _MAX_STEPS: "too many steps (max_steps) within one advance",
}


@jit
def _initial_step(rhs, y, p, u, f, dt, rtol, atol):
    """A first step (h) for a row without memory (:func:`first_step`; ``f`` receives rhs(y))."""
    rhs(y, p, u, f)
    return first_step(y, f, dt, rtol, atol)


@jit
def first_step(y, f, dt, rtol, atol):
    """A first step (h) at state ``y`` with slope ``f`` (1-D, any stride): 1 % of the time
    for y to change by its own size at that slope, in tolerance-weighted RMS norms (Hairer &
    Wanner I, II.4)."""
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
def error_weight(k3, y, ynew, rtol, atol):
    """One species' term of the error norm: |K₄| (the error estimate) over atol + rtol·
    max(|y|, |y_new|); NaN when y_new is not finite (0·K gives NaN there: no estimate)."""
    w = abs(k3) / (atol + rtol * max(abs(y), abs(ynew)))
    return np.nan if ynew - ynew != 0.0 else w


@jit
def blown_up(ynew, y, rtol, atol):
    """Whether an accepted value ``ynew`` (from ``y``) of a guarded species went negative
    beyond :data:`_NEGATIVE_FACTOR` tolerance units."""
    return ynew < -_NEGATIVE_FACTOR * (atol + rtol * abs(y))


@jit
def step_after_accept(hs, hi, err, truncated, after_reject):
    """The step to try after accepting a step ``hs`` with error norm ``err`` (``hi``: the
    step planned before it; ``truncated``: hs was cut short to land on dt, which says
    nothing against the longer step planned; ``after_reject``: no growth right after a
    rejection)."""
    fac = _FAC_MAX if err == 0.0 else min(_FAC_MAX, _SAFETY / np.cbrt(err))
    if after_reject:
        fac = min(fac, 1.0)
    return max(hs * fac, hi) if truncated else hs * fac


@jit
def step_after_reject(hs, err):
    """The step to retry after rejecting ``hs`` with error norm ``err`` (inf/NaN when W was
    singular or the trial state overflowed: shrink hard)."""
    fac = _SAFETY / np.cbrt(err) if err < np.inf else _FAC_MIN
    return hs * max(_FAC_MIN, fac)


@jit
def _difference_jacobian(rhs, y, p, u, f, J, yd, fd, rtol, atol):
    """J by forward differences of ``rhs`` around ``y`` (``f`` = rhs(y)), for the rare state
    where the analytic Jacobian is not finite though the right-hand side is: a derivative
    singular at one point, e.g. d√x/dx at x = 0 in an SBML rule (MODEL1812040001 starts
    there). Increment √ε·max(|y_j|, atol/rtol) (Hairer & Wanner II, IV.8: the error of the
    difference is then O(√ε) relative, far below what a W-method's step needs); ``yd`` and
    ``fd`` are scratch vectors."""
    n = y.shape[0]
    for j in range(n):
        for k in range(n):
            yd[k] = y[k]
        delta = np.sqrt(np.finfo(np.float64).eps) * max(abs(y[j]), atol / rtol)
        yd[j] = y[j] + delta
        rhs(yd, p, u, fd)
        for i in range(n):
            J[i, j] = (fd[i] - f[i]) / delta


@jit
def _culprit(y, trial, worst):
    """The species to blame for a failed row: the one with the largest error estimate in the
    last attempt (``worst``), or, when that attempt overflowed, the largest species of the
    last accepted state ``y`` (the one blowing up). Returns (species, value)."""
    if np.isfinite(trial[worst]):
        return worst, trial[worst]
    k = np.argmax(np.abs(y))
    return k, y[k]


def advance_rows(rhs, jac, events, factor, solve, off, slots, y, u, p, dt, active, h, rtol,
                  atol, max_steps, has_events, event_tol, guard):
    """Advance every active row of ``y`` [N, n] by ``dt`` model time units in place with
    RODAS3, step-size control and events (see :meth:`BatchIntegrator.advance`).

    ``rhs``, ``jac``, ``events``: the network's compiled functions (``events`` is called only
    with ``has_events``; ``event_tol``: the event time resolution in model time units, module
    docstring); ``factor``, ``solve``, ``off``,
    ``slots``: its sparse LU (:class:`~intracellular.sparse_lu.SparseLU`; the dense-only stub
    makes every step take the dense LU). ``p`` is [1, n_params] (shared) or [N, n_params];
    ``h`` [N] holds the step to try first per row (≤ 0: choose one) and receives the step to
    try next time (model time units). A rejected step keeps f0 and J and refactors only W.
    Stops at the first failing row. Returns ``(steps, rejected, fired, code, row, species,
    value)``: accepted and rejected step counts (rejected includes the steps discarded to
    locate an event), the number of accepted steps at whose end events fired, and, on failure
    (code ≠ 0), the row and the offending (or worst-error) species and its value.

    The stages are the tableau above written out (the same operations in the same order,
    skipping only the zero coefficients, whose terms add ±0). The step loop sits inside the
    row loop rather than in a helper: a helper (inlined or not) binds its ~15 array arguments
    anew for every row, and each binding costs an atomic reference-count increment and
    decrement (measured: ~15 % of the time of a settled cell-step).
    """
    N, n = y.shape
    shared = p.shape[0] == 1
    yi = np.empty(n)  # contiguous copies: one compiled rhs/jac whatever the layout of y, u, p
    ui = np.empty(u.shape[1])
    pi = p[0] if shared else np.empty(p.shape[1])
    f0 = np.empty(n)
    fs = np.empty(n)
    ys = np.empty(n)
    K = np.empty((_STAGES, n))
    K0, K1, K2, K3 = K[0], K[1], K[2], K[3]
    J = np.empty((n, n))
    Jf = J.reshape(n * n)  # flat view
    W = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    a = np.empty(slots)
    g = _GAMMA
    c4 = _GAMMA * _C[3, 2]
    steps = 0
    rejected = 0
    fired = 0
    for i in range(N):
        if not active[i]:
            continue
        for k in range(n):
            yi[k] = y[i, k]
            if not np.isfinite(yi[k]):
                return steps, rejected, fired, _NOT_FINITE, i, k, yi[k]
        for k in range(ui.shape[0]):
            ui[k] = u[i, k]
        if not shared:
            for k in range(pi.shape[0]):
                pi[k] = p[i, k]
        hi = h[i]
        if hi <= 0.0:
            hi = _initial_step(rhs, yi, pi, ui, f0, dt, rtol, atol)
        row_steps = 0  # attempts on this row, against max_steps
        t = 0.0
        fresh = False  # f0 and J are evaluated at the current yi
        sparse = False  # J fits the sparse LU's pattern
        after_reject = False
        worst = 0
        bracket = np.inf  # an event's trigger turns true within this time after t
        while t < dt:
            if row_steps >= max_steps:
                k, value = _culprit(yi, ys, worst)
                return steps, rejected, fired, _MAX_STEPS, i, k, value
            row_steps += 1
            truncated = t + hi >= dt
            hs = dt - t if truncated else hi
            if not fresh:
                rhs(yi, pi, ui, f0)
                jac(yi, pi, ui, J)
                fresh = True
                # J is zero outside the sparse LU's filled pattern (False also for NaN
                # there), and finite: branch-free ORs over all entries, vectorised
                outside = 0
                infinite = 0
                for q in range(Jf.shape[0]):
                    outside |= (Jf[q] != 0.0) & (off[q] != 0)
                    infinite |= Jf[q] - Jf[q] != 0.0
                if infinite:  # a singular derivative where f itself is finite (√0): cold path
                    _difference_jacobian(rhs, yi, pi, ui, f0, J, ys, fs, rtol, atol)
                    outside = 0
                    for q in range(Jf.shape[0]):
                        outside |= (Jf[q] != 0.0) & (off[q] != 0)
                sparse = outside == 0
            err = np.inf
            gh = _GAMMA * hs
            # W = I − γh·J: the sparse LU when J fits it and its checks pass, else the dense
            # pivoted LU (a cold path, called as a function)
            sp = sparse and factor(Jf, -gh, a)
            ok = sp or dense_factor(J, -gh, W, piv)
            if ok:
                for k in range(n):
                    K0[k] = gh * f0[k]
                if sp:
                    solve(a, K0)
                else:
                    lu_solve(W, piv, K0)
                for k in range(n):  # stage 2: f at the same point as stage 1
                    K1[k] = gh * f0[k] + g * _C[1, 0] * K0[k]
                if sp:
                    solve(a, K1)
                else:
                    lu_solve(W, piv, K1)
                for k in range(n):
                    ys[k] = yi[k] + _A[2, 0] * K0[k]
                rhs(ys, pi, ui, fs)
                for k in range(n):
                    K2[k] = gh * fs[k] + g * _C[2, 0] * K0[k] + g * _C[2, 1] * K1[k]
                if sp:
                    solve(a, K2)
                else:
                    lu_solve(W, piv, K2)
                for k in range(n):
                    ys[k] = yi[k] + _A[3, 0] * K0[k] + _A[3, 2] * K2[k]
                rhs(ys, pi, ui, fs)
                for k in range(n):
                    K3[k] = (gh * fs[k] + g * _C[3, 0] * K0[k] + g * _C[3, 1] * K1[k]
                             + c4 * K2[k])
                if sp:
                    solve(a, K3)
                else:
                    lu_solve(W, piv, K3)
                # candidate y_new into ys (M = 2, 0, 1, 1); err = RMS of the
                # tolerance-weighted error estimate E·K = K3
                total = 0.0
                big = -1.0
                for k in range(n):
                    ynew = yi[k] + _M[0] * K0[k] + _M[2] * K2[k] + _M[3] * K3[k]
                    ys[k] = ynew
                    w = error_weight(K3[k], yi[k], ynew, rtol, atol)
                    if not w <= big:  # also catches NaN
                        big = w
                        worst = k
                    total += w * w
                err = np.sqrt(total / n)
            else:
                for k in range(n):
                    ys[k] = np.nan  # singular W: no trial state
            if err <= 1.0:
                for k in range(n):
                    if guard[k] and blown_up(ys[k], yi[k], rtol, atol):
                        return steps, rejected, fired, _NEGATIVE, i, k, ys[k]
                crossed = has_events and events(yi, ys, pi, ui, False)
                if crossed and hs > event_tol:
                    # too long to place the event: retry on the first half of the bracket
                    # (f0 and J at yi stay valid)
                    rejected += 1
                    bracket = hs
                    hi = 0.5 * hs
                    continue
                if crossed:
                    events(yi, ys, pi, ui, True)
                    fired += 1
                for k in range(n):
                    yi[k] = ys[k]
                steps += 1
                fresh = False
                t = dt if truncated else t + hs
                hi = step_after_accept(hs, hi, err, truncated, after_reject)
                after_reject = False
                if crossed:  # the state jumped: restart the step size there
                    bracket = np.inf
                    hi = _initial_step(rhs, yi, pi, ui, f0, dt, rtol, atol)
                elif bracket < np.inf:  # the crossing lies in the rest of the bracket
                    bracket -= hs
                    if bracket <= 0.0:  # it moved past the bracket's end: search afresh
                        bracket = np.inf
                    else:
                        hi = min(hi, 0.5 * bracket if bracket > event_tol else bracket)
            else:
                rejected += 1
                after_reject = True
                hi = step_after_reject(hs, err)
                if hi < _H_MIN_REL * dt:
                    k, value = _culprit(yi, ys, worst)
                    return steps, rejected, fired, _UNDERFLOW, i, k, value
        for k in range(n):
            y[i, k] = yi[k]
        h[i] = hi
    return steps, rejected, fired, OK, -1, 0, 0.0


@functools.cache
def kernel():
    """:func:`advance_rows` compiled for :data:`_KERNEL_SIGNATURE` (or loaded from the disk
    cache) on first use, so that importing ``intracellular`` compiles nothing."""
    return numba.njit(_KERNEL_SIGNATURE, **OPTIONS)(advance_rows)


