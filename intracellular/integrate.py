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

Sparse LU: W is factored without pivoting by straight-line code generated for the
network's sparsity pattern (:mod:`intracellular.sparse_lu`), passed to the kernel as two more
function values. A Jacobian outside the pattern, a zero pivot or a large multiplier sends the
step to the dense LU with partial pivoting (:mod:`intracellular.dense_lu`; also used for every
step with ``sparse=False``).
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
from .dense_lu import dense_factor, lu_solve
from .sparse_lu import lu_for

_VECTOR, _MATRIX = types.float64[::1], types.float64[:, ::1]
RHS_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _VECTOR))
"""Type of a network's compiled ``rhs(y, p, u, out)`` (1-D contiguous float64 arrays)."""
JAC_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR, _VECTOR, _MATRIX))
"""Type of a network's compiled ``jac(y, p, u, J)`` (``J`` a 2-D C-contiguous float64 array)."""
FACTOR_TYPE = types.FunctionType(types.boolean(_VECTOR, types.float64, _VECTOR))
"""Type of a generated sparse ``factor(J, c, a) -> ok`` (:class:`~intracellular.sparse_lu.SparseLU`)."""
SOLVE_TYPE = types.FunctionType(types.void(_VECTOR, _VECTOR))
"""Type of a generated sparse ``solve(a, b)``."""
_KERNEL_SIGNATURE = types.Tuple((types.int64,) * 5 + (types.float64,))(
    RHS_TYPE, JAC_TYPE, FACTOR_TYPE, SOLVE_TYPE, types.int64[::1], types.int64,
    types.float64[:, :], types.float64[:, :], _MATRIX,
    types.float64, types.boolean[:], types.float64[:], types.float64, types.float64, types.int64)

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


def _advance_rows(rhs, jac, factor, solve, off, slots, y, u, p, dt, active, h, rtol, atol,
                  max_steps):
    """Advance every active row of ``y`` [N, n] by ``dt`` hours in place with RODAS3 and
    step-size control (see :meth:`BatchIntegrator.advance`).

    ``rhs``, ``jac``: the network's compiled functions; ``factor``, ``solve``, ``off``,
    ``slots``: its sparse LU (:class:`~intracellular.sparse_lu.SparseLU`; the dense-only stub
    makes every step take the dense LU). ``p`` is [1, n_params] (shared) or [N, n_params];
    ``h`` [N] holds the step to try first per row (≤ 0: choose one) and receives the step to
    try next time. A rejected step keeps f0 and J and refactors only W. Stops at the first
    failing row. Returns ``(steps, rejected, code, row, species, value)``: accepted and
    rejected step counts and, on failure (code ≠ 0), the row and the offending (or
    worst-error) species and its value.

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
    for i in range(N):
        if not active[i]:
            continue
        for k in range(n):
            yi[k] = y[i, k]
            if not np.isfinite(yi[k]):
                return steps, rejected, _NOT_FINITE, i, k, yi[k]
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
        while t < dt:
            if row_steps >= max_steps:
                k, value = _culprit(yi, ys, worst)
                return steps, rejected, _MAX_STEPS, i, k, value
            row_steps += 1
            truncated = t + hi >= dt
            hs = dt - t if truncated else hi
            if not fresh:
                rhs(yi, pi, ui, f0)
                jac(yi, pi, ui, J)
                fresh = True
                # J is zero outside the sparse LU's filled pattern (False also for NaN
                # there): a branch-free OR over all entries, vectorised
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
                    w = abs(K3[k]) / (atol + rtol * max(abs(yi[k]), abs(ynew)))
                    if ynew - ynew != 0.0:  # inf/NaN stage: no estimate (0·K gives NaN)
                        w = np.nan
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
                    if ys[k] < -_NEGATIVE_FACTOR * (atol + rtol * abs(yi[k])):
                        return steps, rejected, _NEGATIVE, i, k, ys[k]
                for k in range(n):
                    yi[k] = ys[k]
                steps += 1
                fresh = False
                t = dt if truncated else t + hs
                fac = _FAC_MAX if err == 0.0 else min(_FAC_MAX, _SAFETY / np.cbrt(err))
                if after_reject:
                    fac = min(fac, 1.0)
                after_reject = False
                # a step cut short to land on dt says nothing against the longer step planned
                hi = max(hs * fac, hi) if truncated else hs * fac
            else:
                rejected += 1
                after_reject = True
                # err is inf/NaN when W was singular or the trial state overflowed: shrink hard
                fac = _SAFETY / np.cbrt(err) if err < np.inf else _FAC_MIN
                hi = hs * max(_FAC_MIN, fac)
                if hi < _H_MIN_REL * dt:
                    k, value = _culprit(yi, ys, worst)
                    return steps, rejected, _UNDERFLOW, i, k, value
        for k in range(n):
            y[i, k] = yi[k]
        h[i] = hi
    return steps, rejected, _OK, -1, 0, 0.0


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
    generated sparse LU (default; steps it cannot take fall back to the dense pivoted LU); False
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
        self._lu = lu_for(self.network, sparse)

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
            lu = self._lu
            return _kernel()(net.rhs, net.jac, lu.factor, lu.solve, lu.off, lu.slots, y[a:b], u[a:b],
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
