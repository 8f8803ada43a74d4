"""Lockstep RODAS3: blocks of :data:`LANES` rows advanced together (:func:`advance_lanes`).

The scalar kernel (:func:`intracellular.rodas.advance_rows`) integrates one row after another;
this one takes the active rows in blocks of ``LANES`` (the next ``LANES`` active rows: inactive
ones take no lane) and runs every stage of every step attempt for all lanes of a block at
once, through the network's lane functions
(:mod:`intracellular.codegen_lanes`: ``rhs_lanes``, ``jac_lanes`` writing only the Jacobian's
structural non-zeros) and lane LU (:mod:`intracellular.sparse_lu_lanes`), whose loops over the
lanes LLVM vectorises. Each lane keeps its own time, step size, accept/reject decision and
step-size control; a lane that has finished (or pads the last block) still goes through the
arithmetic but nothing of it is kept. The method is the scalar kernel's:
its tableau, controller (:func:`~intracellular.rodas.step_after_accept`,
:func:`~intracellular.rodas.step_after_reject`), error norm
(:func:`~intracellular.rodas.error_weight`) and checks, with the same operations in the same
order per lane, so a row's result is bitwise the scalar kernel's (the tests check it), and it
does not depend on which rows share its block, nor on the thread count.

What the lockstep path does not do it hands back: a lane whose start state is not finite,
whose Jacobian is not finite (the scalar kernel differentiates numerically there), whose
sparse factors fail (zero pivot, large multiplier: the scalar kernel takes the dense LU), or
that would fail (blow-up guard, step underflow, ``max_steps``) is marked in ``handoff`` and
left untouched; :class:`~intracellular.BatchIntegrator` then runs the scalar kernel on those
rows from their state at the start of the call, so their results and error reports are the
scalar kernel's. Networks with events, without a generated definition, whose structural
non-zeros fall outside the sparse LU's pattern, and per-row parameters go to the scalar
kernel altogether.

Speed (``benchmarks/bench_intracellular.py``, one core): a settled dormancy cell-step takes
~0.22 µs against the scalar kernel's ~0.48 µs (docs/integrator_events.md, "Lockstep lanes").
The loops of this kernel over a block's vectors run over all n·L entries of row views (a
trip count LLVM does not know, indices it knows are not negative), which it vectorises with
a runtime overlap check; written as loops over the L lanes, or with an offset added to the
index, they stayed scalar and the step took ~0.32 µs.

Compiled once for all networks with an explicit signature, the network's functions passed as
first-class function values, and cached on disk, as the scalar kernel (see
:mod:`intracellular.rodas` for why): measured, a new process's first advance takes ~0.06 s
(loading it) against ~3 s when it compiles. The block width comes from the generated code
(``rows``), not from a constant compiled in here, because the disk cache of this kernel is
not invalidated by a change of :mod:`intracellular.codegen_lanes`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
from numba import types

from ._numba import OPTIONS
from .codegen_lanes import LANES
from .compile import generated_module
from .network import Network
from .rodas import (_A, _C, _GAMMA, _H_MIN_REL, _M, blown_up, error_weight, first_step,
                    step_after_accept, step_after_reject)
from .sparse_lu import structural_pattern
from .sparse_lu_lanes import compile_lane_lu

_WORK = types.float64[::1]
LANE_FN_TYPE = types.FunctionType(types.void(_WORK, _WORK))
"""Type of a generated ``rhs_lanes(S, p)`` / ``jac_lanes(S, p)``."""
LANE_LU_TYPE = types.FunctionType(types.void(_WORK))
"""Type of a generated ``factor_lanes(S)`` / ``solve_lanes(S)``."""
_SIGNATURE = types.Tuple((types.int64, types.int64))(
    LANE_FN_TYPE, LANE_FN_TYPE, LANE_LU_TYPE, LANE_LU_TYPE, types.int64[::1],
    types.float64[:, :], types.float64[:, :], _WORK, types.float64, types.boolean[:],
    types.float64[:], types.float64, types.float64, types.int64, types.boolean[::1],
    types.boolean[:])


(ROW_TOTAL, ROW_Y, ROW_U, ROW_F, ROW_J, ROW_ENTRIES, ROW_C, ROW_OK, ROW_B,
 ROW_LANES) = range(10)
"""Indices into :attr:`LaneCode.rows` (the kernel takes one int64 array, not ten arguments)."""


@dataclass(frozen=True)
class LaneCode:
    """A network's compiled lane functions and lane LU, and ``rows``: int64 [10], indexed by
    the ``ROW_*`` constants: the work array's total rows; the first row of y, u, f and of the
    Jacobian non-zeros; their count; the rows c, ok and b of the lane LU; the lanes per block
    (:mod:`intracellular.codegen_lanes`, :mod:`intracellular.sparse_lu_lanes`)."""

    rhs: object
    jac: object
    factor: object
    solve: object
    rows: np.ndarray


_CODE: dict[int, tuple[Network, LaneCode | None]] = {}


def lane_code(net: Network) -> LaneCode | None:
    """The lane code of ``net`` (built once per network object and process), or None when
    the lockstep kernel cannot take it (module docstring)."""
    if id(net) not in _CODE or _CODE[id(net)][0] is not net:
        _CODE[id(net)] = (net, _build(net))
    return _CODE[id(net)][1]


def _build(net: Network) -> LaneCode | None:
    if net.events is not None or net.definition is None:
        return None
    module = generated_module(net.definition)
    if module.rhs is not net.rhs or module.jac is not net.jac or module.LANES != LANES:
        return None  # rhs/jac replaced after generation: the lane functions are not theirs
    lu = compile_lane_lu(structural_pattern(net), module.JAC_ENTRIES, module.LANE_J,
                         module.LANE_ROWS, net.name)
    if lu is None:
        return None
    # in the order of the ROW_* indices
    rows = np.array([lu.rows, module.LANE_Y, module.LANE_U, module.LANE_F, module.LANE_J,
                     len(module.JAC_ENTRIES), lu.c_row, lu.ok_row, lu.b_row, module.LANES],
                    dtype=np.int64)
    return LaneCode(module.rhs_lanes, module.jac_lanes, lu.factor, lu.solve, rows)


def advance_lanes(rhs_lanes, jac_lanes, factor_lanes, solve_lanes, rows, y, u, p, dt, active,
                  h, rtol, atol, max_steps, guard, handoff):
    """Advance every active row of ``y`` [N, n] by ``dt`` model time units in place, in
    lockstep blocks of :data:`LANES` rows (module docstring); ``p`` [n_params] is shared.
    ``y``, ``u``, ``active``, ``h``, ``rtol``, ``atol``, ``max_steps``, ``guard``: as
    :func:`~intracellular.rodas.advance_rows`. Rows the lockstep path does not take are set
    in ``handoff`` [N] (bool) and left untouched. Returns the accepted and rejected steps of
    the rows it advanced.
    """
    N, n = y.shape
    m = u.shape[1]
    L = rows[ROW_LANES]  # the generated code's block width (module docstring)
    nL = n * L
    S = np.zeros(rows[ROW_TOTAL] * L)  # the work array of the generated lane functions
    # views of its rows: indices from 0 up, which the compiler knows are not negative (an
    # offset added to the index would keep numba's wrap-around test for negative indices
    # on every access, and the loops below scalar)
    Sy = S[rows[ROW_Y] * L:(rows[ROW_Y] + n) * L]
    Su = S[rows[ROW_U] * L:(rows[ROW_U] + m) * L]
    Sf = S[rows[ROW_F] * L:(rows[ROW_F] + n) * L]
    Sc = S[rows[ROW_C] * L:(rows[ROW_C] + 1) * L]
    Sok = S[rows[ROW_OK] * L:(rows[ROW_OK] + 1) * L]
    Sb = S[rows[ROW_B] * L:(rows[ROW_B] + n) * L]
    yi = np.zeros(nL)  # entry k·L + l: species k of lane l
    ys = np.empty(nL)
    ghq = np.zeros(nL)  # γh of lane l at every k·L + l
    w2 = np.empty(nL)
    blown = np.zeros(nL, dtype=np.bool_)
    guarded = np.zeros(nL, dtype=np.bool_)  # guard[k] at every k·L + l
    for k in range(n):
        for l in range(L):
            guarded[k * L + l] = guard[k]
    K = np.empty((4, nL))
    K0, K1, K2, K3 = K[0], K[1], K[2], K[3]
    t = np.zeros(L)
    hl = np.zeros(L)  # the step to try next
    hs = np.zeros(L)  # the step of this attempt
    gh = np.zeros(L)
    total = np.zeros(L)
    running = np.zeros(L, dtype=np.bool_)
    row = np.zeros(L, dtype=np.int64)  # the row in each lane
    truncated = np.zeros(L, dtype=np.bool_)
    after_reject = np.zeros(L, dtype=np.bool_)
    attempts = np.zeros(L, dtype=np.int64)
    accepted = np.zeros(L, dtype=np.int64)
    refused = np.zeros(L, dtype=np.int64)
    g = _GAMMA
    c4 = _GAMMA * _C[3, 2]
    steps = 0
    rejected = 0
    following = 0  # the next row to look at
    while following < N:
        # a block: the next L active rows (inactive rows take no lane, so a batch with many
        # of them, e.g. dead cells' slots, costs no more than its active rows)
        live = 0
        for l in range(L):
            running[l] = False
            while following < N and not active[following]:
                following += 1
            i = following
            following += 1
            row[l] = i
            if i >= N:
                for k in range(n):  # an idle lane computes on zeros (never on stale NaN)
                    yi[k * L + l] = 0.0
                continue
            finite = True
            for k in range(n):
                yi[k * L + l] = y[i, k]
                finite &= np.isfinite(y[i, k])
            if not finite:  # the scalar kernel reports it
                handoff[i] = True
                for k in range(n):
                    yi[k * L + l] = 0.0
                continue
            for k in range(m):
                Su[k * L + l] = u[i, k]
            running[l] = True
            live += 1
            t[l] = 0.0
            hl[l] = h[i]
            after_reject[l] = False
            attempts[l] = 0
            accepted[l] = 0
            refused[l] = 0
        if live == 0:
            continue
        fresh = False
        for l in range(L):
            fresh |= running[l] and hl[l] <= 0.0
        if fresh:  # rows without memory: the scalar kernel's first step
            for q in range(nL):
                Sy[q] = yi[q]
            rhs_lanes(S, p)
            for l in range(L):
                if running[l] and hl[l] <= 0.0:
                    hl[l] = first_step(yi[l::L], Sf[l::L], dt, rtol, atol)
        while live > 0:
            for l in range(L):
                gh[l] = 0.0
                if running[l] and attempts[l] >= max_steps:
                    handoff[row[l]] = True
                    running[l] = False
                    live -= 1
                if running[l]:
                    attempts[l] += 1
                    truncated[l] = t[l] + hl[l] >= dt
                    hs[l] = dt - t[l] if truncated[l] else hl[l]
                    gh[l] = _GAMMA * hs[l]
                Sc[l] = -gh[l]
            if live == 0:
                break
            # f0 and J at yi (for a lane whose last attempt was rejected, yi is unchanged and
            # so are they, bitwise), then W = I − γh·J per lane
            for q in range(nL):
                Sy[q] = yi[q]
            rhs_lanes(S, p)  # f0, in rows f until the stage-3 call
            jac_lanes(S, p)
            factor_lanes(S)
            for l in range(L):
                if running[l] and Sok[l] == 0.0:  # the scalar kernel differentiates/pivots
                    handoff[row[l]] = True
                    running[l] = False
                    live -= 1
            if live == 0:
                break
            for k in range(n):
                for l in range(L):
                    ghq[k * L + l] = gh[l]
            # the four stages, as in the scalar kernel (the right-hand sides in rows b). The
            # loops run over all n·L entries, a trip count LLVM does not know, so that it
            # vectorises them with a runtime overlap check (a loop of the constant L is
            # unrolled first and then left scalar)
            for q in range(nL):
                Sb[q] = ghq[q] * Sf[q]
            solve_lanes(S)
            for q in range(nL):
                K0[q] = Sb[q]
            for q in range(nL):
                Sb[q] = ghq[q] * Sf[q] + g * _C[1, 0] * K0[q]
            solve_lanes(S)
            for q in range(nL):
                K1[q] = Sb[q]
            for q in range(nL):
                Sy[q] = yi[q] + _A[2, 0] * K0[q]
            rhs_lanes(S, p)
            for q in range(nL):
                Sb[q] = ghq[q] * Sf[q] + g * _C[2, 0] * K0[q] + g * _C[2, 1] * K1[q]
            solve_lanes(S)
            for q in range(nL):
                K2[q] = Sb[q]
            for q in range(nL):
                Sy[q] = yi[q] + _A[3, 0] * K0[q] + _A[3, 2] * K2[q]
            rhs_lanes(S, p)
            for q in range(nL):
                Sb[q] = (ghq[q] * Sf[q] + g * _C[3, 0] * K0[q] + g * _C[3, 1] * K1[q]
                         + c4 * K2[q])
            solve_lanes(S)
            for q in range(nL):
                K3[q] = Sb[q]
            # candidate y_new and the squared error terms (two loops: one with both stores
            # needs more runtime overlap checks than LLVM makes, and stays scalar); summed
            # per lane, species in order
            for q in range(nL):
                ys[q] = yi[q] + _M[0] * K0[q] + _M[2] * K2[q] + _M[3] * K3[q]
            for q in range(nL):
                w = error_weight(K3[q], yi[q], ys[q], rtol, atol)
                w2[q] = w * w
            for q in range(nL):  # the blow-up guard, tested on every lane at once
                blown[q] = guarded[q] & blown_up(ys[q], yi[q], rtol, atol)
            for l in range(L):
                total[l] = 0.0
            for k in range(n):
                for l in range(L):
                    total[l] += w2[k * L + l]
            for l in range(L):
                if not running[l]:
                    continue
                err = np.sqrt(total[l] / n)
                if err <= 1.0:
                    negative = False
                    for k in range(n):
                        negative |= blown[k * L + l]
                    if negative:  # the scalar kernel reports it
                        handoff[row[l]] = True
                        running[l] = False
                        live -= 1
                        continue
                    for k in range(n):
                        yi[k * L + l] = ys[k * L + l]
                    accepted[l] += 1
                    t[l] = dt if truncated[l] else t[l] + hs[l]
                    hl[l] = step_after_accept(hs[l], hl[l], err, truncated[l], after_reject[l])
                    after_reject[l] = False
                    if not t[l] < dt:  # done: the row takes its new state and next step
                        i = row[l]
                        for k in range(n):
                            y[i, k] = yi[k * L + l]
                        h[i] = hl[l]
                        steps += accepted[l]
                        rejected += refused[l]
                        running[l] = False
                        live -= 1
                else:
                    refused[l] += 1
                    after_reject[l] = True
                    hl[l] = step_after_reject(hs[l], err)
                    if hl[l] < _H_MIN_REL * dt:  # the scalar kernel reports the underflow
                        handoff[row[l]] = True
                        running[l] = False
                        live -= 1
    return steps, rejected


@functools.cache
def kernel():
    """:func:`advance_lanes` compiled for its explicit signature (or loaded from the disk
    cache) on first use."""
    return numba.njit(_SIGNATURE, **OPTIONS)(advance_lanes)
