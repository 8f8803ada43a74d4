"""Geometric multigrid for one implicit step of a diffusion–reaction field.

The PDE, on a 2D cell-centred grid of shape (ny, nx) (arrays indexed [y, x]), spacing dx (µm),
time in minutes:

    ∂C/∂t = D ∇²C − K(x)·C + F(x),     K = uptake + decay (min⁻¹), F = source (conc/min),

with C fixed at Dirichlet sites (vessels) and no flux through the domain edges (5-point
Laplacian, mirrored ghost cells). One call of :meth:`FieldSolver.advance` is one backward-Euler
step, (1/dt + K − D∇²) C_new = C_old/dt + F, unconditionally stable for any dt; dt = inf gives
the steady state. The linear system is solved by V-cycles (red–black Gauss–Seidel smoothing,
averaging restriction, bilinear prolongation, coarse operators rediscretised with averaged K,
a dense direct solve on the coarsest level; see :mod:`abm.fields.kernels`).
"""
import math
import time
from dataclasses import dataclass

import numpy as np

from abm.errors import NumericalError
from abm.fields import kernels as kn

# Smoothing sweeps before/after the coarse-grid correction (V(2,1): measured fastest per
# residual reduction on the benchmark setup; see benchmarks/bench_fields.py).
PRE_SWEEPS = 2
POST_SWEEPS = 1
# Coarsening stops once a level has at most this many sites; it is solved by a dense inverse.
COARSEST_SITES = 64
# A converged C below −NEGATIVE_TOL·scale is an error, not roundoff.
NEGATIVE_TOL = 1e-9


@dataclass(frozen=True)
class SolveInfo:
    """What one :meth:`FieldSolver.advance` did.

    cycles: V-cycles used (0 if the warm start already met the tolerance).
    residual: final max-norm residual scaled to a concentration (see ``FieldSolver``).
    residuals: the scaled residual of the warm start and after every cycle (len cycles+1).
    seconds: wall time of the call.
    """

    cycles: int
    residual: float
    residuals: tuple
    seconds: float


class _Axis:
    """One dimension of one level: cell edges (µm), couplings and the coarsening to the next.

    Coarse cells pair up fine cells 2I, 2I+1; with an odd count the last coarse cell keeps
    its single child, so it is narrower, and the couplings and interpolation weights follow
    the true cell centres (a rediscretisation on the non-uniform coarse grid). This keeps the
    coarse domain equal to the fine one, which V-cycles on odd sizes need.
    """

    def __init__(self, edges, D):
        self.edges = edges
        self.n = edges.size - 1
        self.width = np.diff(edges)
        self.centre = 0.5 * (edges[:-1] + edges[1:])
        gap = np.diff(self.centre)
        # c = D / (width · centre distance); 0 across the domain edge (no flux).
        self.cm = np.concatenate([[0.0], D / (self.width[1:] * gap)])
        self.cp = np.concatenate([D / (self.width[:-1] * gap), [0.0]])
        self.f = 1

    def coarser(self, D, halve):
        """The next axis (every other edge, plus the domain's end) if ``halve``, else a copy."""
        self.f = 2 if halve else 1
        edges = self.edges[::self.f]
        if edges[-1] != self.edges[-1]:
            edges = np.append(edges, self.edges[-1])
        coarse = _Axis(edges, D)
        self.prolongation = self._interpolation(coarse)
        return coarse

    def _interpolation(self, coarse):
        """(lo, hi, w): fine cell k takes w·e[lo] + (1 − w)·e[hi], linear between centres."""
        lo = np.arange(self.n) // self.f
        x, X = self.centre, coarse.centre
        hi = np.where(x < X[lo], lo - 1, lo + 1)
        hi = np.clip(hi, 0, coarse.n - 1)  # beyond the outermost centre: constant (no flux)
        span = X[hi] - X[lo]
        w = np.where(hi == lo, 1.0, 1.0 - (x - X[lo]) / np.where(hi == lo, 1.0, span))
        return lo.astype(np.int64), hi.astype(np.int64), w


class _Level:
    """One grid of the hierarchy: its two axes and arrays.

    ``kd`` (K + 1/dt, −1 at Dirichlet sites), ``rhs`` and, below the finest level, the
    correction ``e`` are allocated once here and overwritten by every step.
    """

    def __init__(self, y, x):
        self.y, self.x = y, x
        self.shape = (y.n, x.n)
        self.g = (x.cm, x.cp, y.cm, y.cp)
        self.kd = np.empty(self.shape)
        self.rhs = np.empty(self.shape)
        self.e = np.zeros(self.shape)
        self.row = (np.empty(x.n), np.empty(x.n))  # residual and diagonal of one row

    def coarser(self, D):
        """Halve a dimension while it has more than one cell and its spacing is not the larger
        one (a dimension of one cell has no coupling, so its spacing does not matter); this
        keeps hx ≈ hy, which point smoothers need."""
        y, x = self.y, self.x
        hy, hx = y.width[0], x.width[0]
        halve_x = x.n > 1 and (y.n == 1 or hx <= hy)
        halve_y = y.n > 1 and (x.n == 1 or hy <= hx)
        return _Level(y.coarser(D, halve_y), x.coarser(D, halve_x))


def _check_positive(name, value):
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


class FieldSolver:
    """Backward-Euler / steady-state solver of one field on a fixed grid.

    Parameters
    ----------
    shape : (ny, nx) grid shape; (1, n) and (n, 1) give 1D problems.
    dx : grid spacing, µm (> 0).
    D : diffusion coefficient, µm²/min (> 0).
    decay : background decay rate, min⁻¹ (≥ 0), added to the uptake everywhere.
    fixed_mask : bool array of ``shape``; True marks Dirichlet sites (vessels).
    fixed_value : concentration at the Dirichlet sites, a scalar or an array of ``shape``
        (read where ``fixed_mask``), ≥ 0.
    rtol : tolerance of the convergence test below.
    max_cycles : V-cycles allowed per step before a NumericalError.
    name : field name used in error messages.

    Convergence test: with r = C_old/dt + F − (1/dt + K − D∇²)·C the residual of the discrete
    system at a non-Dirichlet site and d = 1/dt + K + D·Σ_nb 1/h² its diagonal, a step stops at
    the first iterate (checked on the warm start and after every V-cycle) where

        max_sites |r| / d  ≤  rtol · max(max |fixed_value|, max C_old, max C).

    (C_old, the warm start, keeps the scale finite when the solution is all zero.)

    |r|/d is the change a Jacobi update would make to C there (concentration units).
    """

    def __init__(self, shape, dx, D, decay, fixed_mask, fixed_value, rtol=1e-6,
                 max_cycles=100, name="oxygen"):
        shape = tuple(int(n) for n in shape)
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(f"shape must be (ny, nx) with ny, nx >= 1, got {shape!r}")
        _check_positive("dx", dx)
        _check_positive("D", D)
        _check_positive("rtol", rtol)
        if not (np.isfinite(decay) and decay >= 0):
            raise ValueError(f"decay must be a finite number >= 0 (min⁻¹), got {decay!r}")
        if int(max_cycles) < 1:
            raise ValueError(f"max_cycles must be >= 1, got {max_cycles!r}")
        mask = np.asarray(fixed_mask)
        if mask.shape != shape:
            raise ValueError(f"fixed_mask must have shape {shape}, got {mask.shape}")
        mask = mask.astype(bool)
        values = np.broadcast_to(np.asarray(fixed_value, dtype=float), shape)[mask]
        if values.size and not (np.all(np.isfinite(values)) and values.min() >= 0):
            raise ValueError(f"fixed_value must be finite and >= 0 at the fixed sites, "
                             f"got min {values.min()!r}")
        self.shape, self.dx, self.D, self.decay = shape, float(dx), float(D), float(decay)
        self.rtol, self.max_cycles, self.name = float(rtol), int(max_cycles), name
        self._mask = np.ascontiguousarray(mask)
        self._fixed_j, self._fixed_i = (idx.astype(np.int64) for idx in np.nonzero(mask))
        self._fixed_val = np.ascontiguousarray(values)
        self._fixed_scale = float(values.max()) if values.size else 0.0
        self._no_source = np.zeros((0, 0))
        self._stats = np.empty(7)
        self.levels = [_Level(*(_Axis(self.dx * np.arange(n + 1.0), self.D) for n in shape))]
        while (self.levels[-1].shape[0] * self.levels[-1].shape[1] > COARSEST_SITES):
            self.levels.append(self.levels[-1].coarser(self.D))
        n = self.levels[-1].shape[0] * self.levels[-1].shape[1]
        self._A = np.empty((n, n))

    def advance(self, C, uptake, dt, source=None):
        """Advance C (float64 (ny, nx), in place, warm start) by one backward-Euler step of dt min.

        uptake: (ny, nx) first-order uptake, min⁻¹ (≥ 0; decay is added). source: optional
        (ny, nx) production, conc/min (≥ 0). dt: step in minutes, ``math.inf`` for the steady
        state. Returns a :class:`SolveInfo`. Raises NumericalError (naming field, site, value)
        on NaN/inf, on a negative result, or when ``max_cycles`` V-cycles do not converge.
        """
        start = time.perf_counter()
        self._check_array("C", C, dtype_exact=True)
        self._check_array("uptake", uptake)
        if source is not None:
            self._check_array("source", source)
        if not dt > 0:
            raise ValueError(f"dt must be > 0 minutes (math.inf for steady state), got {dt!r}")
        inv_dt = 0.0 if math.isinf(dt) else 1.0 / dt
        fine = self.levels[0]
        stats = self._stats
        status, j, i = kn.prepare(
            C, uptake, self._no_source if source is None else source, source is not None,
            self._mask, self._fixed_j, self._fixed_i, self._fixed_val, self.decay, inv_dt,
            fine.kd, fine.rhs, *fine.g, stats, *fine.row)
        if status:
            self._raise_bad_input(status, j, i, C, uptake, source)
        if (inv_dt == 0.0 and self._fixed_j.size == 0 and self.decay == 0.0
                and not np.any(uptake)):
            raise ValueError(f"{self.name}: steady state (dt=inf) with no fixed site and zero "
                             "uptake and decay is singular (the level is undetermined)")
        self._setup_levels()
        residuals = [self._check_stats(C)]
        self._entry_max = float(stats[kn.CMAX])
        while residuals[-1] > self.rtol * self._scale():
            if len(residuals) > self.max_cycles:
                raise NumericalError(
                    f"{self.name}: no convergence in max_cycles={self.max_cycles} V-cycles: "
                    f"scaled residual {residuals[-1]:.3e} > rtol·scale = "
                    f"{self.rtol * self._scale():.3e}")
            self._vcycle(0, C)
            residuals.append(self._check_stats(C))
        cmin = stats[kn.CMIN]
        if cmin < -NEGATIVE_TOL * self._scale():
            j, i = int(stats[kn.JMIN]), int(stats[kn.IMIN])
            raise NumericalError(f"{self.name}: negative concentration {cmin!r} at site "
                                 f"(y={j}, x={i})")
        return SolveInfo(len(residuals) - 1, residuals[-1], tuple(residuals),
                         time.perf_counter() - start)

    def _check_array(self, name, a, dtype_exact=False):
        if not isinstance(a, np.ndarray) or a.shape != self.shape or a.ndim != 2:
            raise ValueError(f"{self.name}: {name} must be an array of shape {self.shape}, "
                             f"got {getattr(a, 'shape', type(a).__name__)}")
        if a.dtype != np.float64 or (dtype_exact and not a.flags.c_contiguous):
            raise ValueError(f"{self.name}: {name} must be a float64 "
                             f"{'C-contiguous ' if dtype_exact else ''}array, got {a.dtype}")

    def _raise_bad_input(self, status, j, i, C, uptake, source):
        name, array, error = {
            kn.BAD_C: ("C", C, NumericalError),
            kn.BAD_UPTAKE: ("uptake", uptake, NumericalError),
            kn.NEG_UPTAKE: ("uptake", uptake, ValueError),
            kn.BAD_SOURCE: ("source", source, NumericalError),
            kn.NEG_SOURCE: ("source", source, ValueError),
        }[status]
        raise error(f"{self.name}: {name} = {float(array[j, i])!r} at site (y={j}, x={i}); "
                    f"must be finite{' and >= 0' if name != 'C' else ''}")

    def _check_stats(self, C):
        """Scaled residual from the last measuring pass; NumericalError on a non-finite C."""
        stats = self._stats
        if stats[kn.JBAD] >= 0:
            j, i = int(stats[kn.JBAD]), int(stats[kn.IBAD])
            raise NumericalError(f"{self.name}: non-finite concentration {C[j, i]!r} at site "
                                 f"(y={j}, x={i})")
        return float(stats[kn.RES])

    def _scale(self):
        """Concentration scale of the tolerance: max(max |fixed_value|, max C_old, max C)."""
        return max(self._fixed_scale, self._entry_max, float(self._stats[kn.CMAX]))

    def _setup_levels(self):
        """Restrict kd down the hierarchy and invert the coarsest operator (once per step)."""
        for fine, coarse in zip(self.levels, self.levels[1:]):
            kn.restrict_coefficients(fine.kd, *fine.g, fine.y.width, fine.x.width, coarse.kd,
                                     fine.y.f, fine.x.f)
        last = self.levels[-1]
        kn.dense_matrix(last.kd, *last.g, self._A)
        self._A_inv = np.linalg.inv(self._A)

    def _vcycle(self, depth, x):
        """One V-cycle on level ``depth`` for unknown x (C on the finest level, else e)."""
        level = self.levels[depth]
        if depth > 0:
            x.fill(0.0)
        if depth == len(self.levels) - 1:
            kn.dense_solve(self._A_inv, level.kd, level.rhs, x)
            if depth == 0:  # a single-level grid: the sweep only measures the exact solution
                kn.smooth(x, level.kd, level.rhs, *level.g, self._stats, True, *level.row)
            return
        for _ in range(PRE_SWEEPS):
            kn.smooth(x, level.kd, level.rhs, *level.g, self._stats, False, *level.row)
        coarse = self.levels[depth + 1]
        kn.restrict_residual(x, level.kd, level.rhs, *level.g, level.y.width, level.x.width,
                             coarse.rhs, level.y.f, level.x.f, *level.row)
        self._vcycle(depth + 1, coarse.e)
        kn.prolong_add(x, level.kd, coarse.e, level.y.prolongation, level.x.prolongation)
        for sweep in range(POST_SWEEPS):
            measure = depth == 0 and sweep == POST_SWEEPS - 1
            kn.smooth(x, level.kd, level.rhs, *level.g, self._stats, measure, *level.row)


def steady_state(D, dx, uptake, source_mask, source_value, decay=0.0, rtol=1e-10):
    """Steady state of D∇²C − (uptake + decay)·C = 0, C = source_value where source_mask.

    D: µm²/min; dx: µm; uptake: 2D array, min⁻¹ (≥ 0); source_mask: bool array of the same
    shape; source_value: scalar or array (read where source_mask); decay: min⁻¹. No flux at
    the domain edge. rtol: tolerance of :class:`FieldSolver`'s convergence test. Returns a new
    float64 array of uptake's shape.
    """
    uptake = np.ascontiguousarray(uptake, dtype=np.float64)
    solver = FieldSolver(uptake.shape, dx, D, decay, source_mask, source_value, rtol=rtol)
    C = np.zeros(uptake.shape)
    solver.advance(C, uptake, math.inf)
    return C
