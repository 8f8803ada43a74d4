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
from abm.fields import saturating as sat
from abm.fields.level_arrays import Dirichlet, Interpolation, Restriction, System

# Smoothing sweeps before/after the coarse-grid correction. V(1,2) measured fastest per
# advance on the benchmark setup (1000²: 5 cycles; V(2,1) 6, V(2,2) 5, V(3,2) 4 but dearer
# cycles); see benchmarks/bench_fields.py.
PRE_SWEEPS = 1
POST_SWEEPS = 2
# Coarsening stops once a level has at most this many sites; it is solved by a dense inverse.
COARSEST_SITES = 64
# The residual test bounds the true algebraic error only loosely: at 1000² with 1% vessels the
# measured max error is ~30 × rtol·scale. A converged C within NEGATIVE_ERROR_FACTOR × rtol·scale
# below zero (an anoxic region approached from above) is that error and is set to 0; below
# that it is a real failure (an unstable or inconsistent problem) and raises.
NEGATIVE_ERROR_FACTOR = 100.0


class SingularSteadyStateError(NumericalError, ValueError):
    """A steady state that does not exist or is not unique: no fixed site, no uptake and no
    decay (the level is undetermined). A ValueError too: the settings, not the numbers, are
    at fault."""


@dataclass(frozen=True)
class SolveInfo:
    """What one :meth:`FieldSolver.advance` did.

    cycles: V-cycles used (0 if the warm start already met the tolerance).
    residual: final max-norm residual scaled to a concentration (see ``FieldSolver``).
    residuals: the scaled residual of the warm start and after every cycle (len cycles+1).
    seconds: wall time of the call.
    newton: Newton steps of a saturating sink (0 without one); ``cycles`` and ``residuals``
        then count the V-cycles of all of them and the residuals of the last.
    """

    cycles: int
    residual: float
    residuals: tuple
    seconds: float
    newton: int = 0


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
        """:class:`~abm.fields.level_arrays.Interpolation` (lo, hi, w): fine cell k takes w·e[lo] + (1 − w)·
        e[hi], linear between centres."""
        lo = np.arange(self.n) // self.f
        x, X = self.centre, coarse.centre
        hi = np.where(x < X[lo], lo - 1, lo + 1)
        hi = np.clip(hi, 0, coarse.n - 1)  # beyond the outermost centre: constant (no flux)
        span = X[hi] - X[lo]
        w = np.where(hi == lo, 1.0, 1.0 - (x - X[lo]) / np.where(hi == lo, 1.0, span))
        return Interpolation(lo.astype(np.int64), hi.astype(np.int64), w)


class _Level:
    """One grid of the hierarchy: its two axes and arrays (allocated once, overwritten by every
    step; see :mod:`abm.fields.kernels` for the Jacobi form d, q, b).

    ``c0`` is the largest coupling and ``w`` the couplings per column/row divided by it;
    ``uniform`` says every interior x-weight is exactly 1 (the kernels then skip the products);
    ``system`` bundles them with q and b for the kernels (:class:`~abm.fields.level_arrays.System`).
    ``kd`` (−1 at Dirichlet cells) and ``e`` (the correction): None on the finest level of a
    hierarchy (set by :class:`FieldSolver`). Above the coarsest level, ``restriction``
    (:class:`~abm.fields.level_arrays.Restriction`, set by :meth:`link`).
    """

    def __init__(self, y, x):
        self.y, self.x = y, x
        self.shape = (y.n, x.n)
        self.g = (x.cm, x.cp, y.cm, y.cp)
        c0 = max(float(np.max(a)) if a.size else 0.0 for a in self.g)
        self.c0 = c0
        # Weights within roundoff of 1 (cell widths from np.diff of the edges differ in the
        # last bits) are snapped to exactly 1, so uniform grids take the kernels' fast path.
        w = [a / c0 if c0 > 0 else np.zeros_like(a) for a in self.g]
        self.w = tuple(np.where(np.abs(a - 1.0) < 1e-12, 1.0, a) for a in w)
        self.uniform = bool(np.all(self.w[0][1:] == 1.0) and np.all(self.w[1][:-1] == 1.0))
        self.q = np.zeros(self.shape)
        self.b = np.zeros(self.shape)
        self.kd = np.empty(self.shape)
        self.e = np.zeros(self.shape)
        self.res = np.empty(x.n)
        self.ring = np.zeros((kn.RING, x.n))
        self.ring_rows = np.full(kn.RING, -1, dtype=np.int64)
        self.system = System(self.b, self.q, c0, *self.w, self.uniform)

    def coarser(self, D):
        """Halve a dimension while it has more than one cell and its spacing is not the larger
        one (a dimension of one cell has no coupling, so its spacing does not matter); this
        keeps hx ≈ hy, which point smoothers need."""
        y, x = self.y, self.x
        hy, hx = y.width[0], x.width[0]
        halve_x = x.n > 1 and (y.n == 1 or hx <= hy)
        halve_y = y.n > 1 and (x.n == 1 or hy <= hx)
        return _Level(y.coarser(D, halve_y), x.coarser(D, halve_x))

    def link(self, coarse, fixed):
        """Static data of the restriction to ``coarse`` (:attr:`restriction`), given this
        level's Dirichlet sites ``fixed``; returns the coarse level's (all children fixed)."""
        fy, fx = self.y.f, self.x.f
        ny, nx = self.shape
        nyc, nxc = coarse.shape
        Jof, Iof = np.arange(ny) // fy, np.arange(nx) // fx
        height = np.bincount(Jof, weights=self.y.width, minlength=nyc)
        width = np.bincount(Iof, weights=self.x.width, minlength=nxc)
        coarse_area = np.ascontiguousarray(np.outer(height, width))
        count = np.zeros(coarse.shape, np.int64)
        np.add.at(count, (Jof[:, None], Iof[None, :]), fixed.astype(np.int64))
        sizes = np.outer(np.bincount(Jof, minlength=nyc), np.bincount(Iof, minlength=nxc))
        coarse_fixed = np.ascontiguousarray(count == sizes)
        # Sinks: a free child next to a fixed site whose coarse cell is free.
        sink = np.zeros(coarse.shape)
        cxm, cxp, cym, cyp = self.g
        area = np.outer(self.y.width, self.x.width)
        free = ~fixed
        cfix = coarse_fixed[Jof[:, None], Iof[None, :]]  # coarse fixedness per fine site
        for axis, shift, c in ((1, -1, cxm[None, :]), (1, 1, cxp[None, :]),
                               (0, -1, cym[:, None]), (0, 1, cyp[:, None])):
            nb_fixed = np.zeros_like(fixed)
            nb_cfix = np.ones_like(fixed)
            src = [slice(None), slice(None)]
            dst = [slice(None), slice(None)]
            n = self.shape[axis]
            if shift < 0:
                dst[axis], src[axis] = slice(1, n), slice(0, n - 1)
            else:
                dst[axis], src[axis] = slice(0, n - 1), slice(1, n)
            nb_fixed[tuple(dst)] = fixed[tuple(src)]
            nb_cfix[tuple(dst)] = cfix[tuple(src)]
            hit = free & nb_fixed & ~nb_cfix
            np.add.at(sink, (Jof[:, None] * np.ones((1, nx), np.int64),
                             np.ones((ny, 1), np.int64) * Iof[None, :]),
                      np.where(hit, area * np.broadcast_to(c, self.shape), 0.0))
        self.restriction = Restriction(
            self.y.width, self.x.width, fy, fx, 1.0 / height, 1.0 / width,
            np.ascontiguousarray(sink / coarse_area), coarse_fixed, coarse_area)
        return coarse_fixed


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
        self._fixed = Dirichlet(self._fixed_j, self._fixed_i, self._fixed_val)
        self._fixed_scale = float(values.max()) if values.size else 0.0
        self._stats = np.empty(7)
        self.levels = [_Level(*(_Axis(self.dx * np.arange(n + 1.0), self.D) for n in shape))]
        while (self.levels[-1].shape[0] * self.levels[-1].shape[1] > COARSEST_SITES):
            self.levels.append(self.levels[-1].coarser(self.D))
        fixed = self._mask
        for fine, coarse in zip(self.levels, self.levels[1:]):
            fixed = fine.link(coarse, fixed)
        if len(self.levels) > 1:
            # Never read on the finest level of a hierarchy (its unknown is C and its operator
            # q, b): 16 B per voxel less.
            self.levels[0].kd = self.levels[0].e = None
        n = self.levels[-1].shape[0] * self.levels[-1].shape[1]
        self._A = np.empty((n, n))
        self._A_kd = None  # coarsest kd of the cached inverse

    def advance(self, C, uptake, dt, source=None, vmax=None, km=None):
        """Advance C (float64 (ny, nx), in place, warm start) by one backward-Euler step of dt min.

        uptake: (ny, nx) first-order uptake, min⁻¹ (≥ 0; decay is added). source: optional
        (ny, nx) production, conc/min (≥ 0). vmax, km: optional saturating (Michaelis–Menten)
        sink vmax·C/(km + C), vmax (ny, nx) conc/min (≥ 0), km a concentration (> 0), solved
        by Newton's method (:mod:`abm.fields.saturating`). dt: step in minutes, ``math.inf``
        for the steady state. Returns a :class:`SolveInfo`. Raises NumericalError (naming
        field, site, value) on NaN/inf, on a negative result, or when ``max_cycles`` V-cycles
        (or :data:`~abm.fields.saturating.MAX_NEWTON` Newton steps) do not converge.

        Cost: one fused pass sets up the finest level and measures the warm start; the coarse
        levels are only rebuilt (from the new uptake) when a V-cycle is needed, and each
        V-cycle measures its result inside its last smoothing pass. A saturating sink adds a
        linearisation pass and a warm-start measure per Newton step.
        """
        start = time.perf_counter()
        self._check_array("C", C, dtype_exact=True)
        self._check_array("uptake", uptake)
        if source is not None:
            self._check_array("source", source)
        if not dt > 0:
            raise ValueError(f"dt must be > 0 minutes (math.inf for steady state), got {dt!r}")
        inv_dt = 0.0 if math.isinf(dt) else 1.0 / dt
        add = self.decay + inv_dt
        if vmax is None:
            if km is not None:
                raise ValueError(f"{self.name}: km = {km!r} given without vmax")
            residuals = self._solve(C, uptake, source, add, inv_dt)
            self._clip_error_undershoot(C)
            return SolveInfo(len(residuals) - 1, residuals[-1], tuple(residuals),
                             time.perf_counter() - start)
        return self._newton(C, uptake, source, vmax, km, add, inv_dt, start)

    def _newton(self, C, uptake, source, vmax, km, add, inv_dt, start):
        """Newton's method for the saturating sink (see :mod:`abm.fields.saturating`)."""
        self._check_array("vmax", vmax)
        if not (isinstance(km, (int, float, np.floating, np.integer)) and np.isfinite(km)
                and km > 0):
            raise ValueError(f"{self.name}: km must be a finite number > 0 (a concentration), "
                             f"got {km!r}")
        if source is not None:
            self._check_array("source", source)
        rhs, K, F = self._newton_buffers()
        status, j, i = sat.newton_rhs(C, inv_dt, uptake if source is None else source,
                                      source is not None, vmax, uptake, self._mask, rhs)
        if status:
            name, array = {sat.BAD_VMAX: ("vmax", vmax), sat.BAD_UPTAKE: ("uptake", uptake),
                           sat.NEG_SOURCE: ("source", source)}[status]
            raise ValueError(f"{self.name}: {name} = {float(array[j, i])!r} at "
                             f"{self._site(j, i)}; must be finite and >= 0")
        entry_max = None
        cycles, residuals = 0, []
        for newton in range(1, sat.MAX_NEWTON + 1):
            sat.linearise(C, uptake, vmax, float(km), rhs, K, F)
            residuals = self._solve(C, K, F, add, 0.0, signed=True, entry_max=entry_max,
                                    forcing=sat.FORCING)
            entry_max = self._entry_max
            cycles += len(residuals) - 1
            # The last measure saw this C: its minimum says whether a clipping pass is needed.
            clipped = self._stats[kn.CMIN] < 0.0 and sat.clip_negative(C)
            if len(residuals) == 1 and not clipped:
                return SolveInfo(cycles, residuals[-1], tuple(residuals),
                                 time.perf_counter() - start, newton)
        raise NumericalError(f"{self.name}: Newton's method for the saturating uptake did not "
                             f"converge in {sat.MAX_NEWTON} steps (scaled residual "
                             f"{residuals[-1]:.3e}, rtol·scale {self.rtol * self._scale():.3e})")

    def _newton_buffers(self):
        """Three float64 arrays of the grid's shape, allocated on first use: the Newton
        right-hand side, linearised uptake and source."""
        if getattr(self, "_newton_arrays", None) is None:
            self._newton_arrays = tuple(np.zeros(self.shape) for _ in range(3))
        return self._newton_arrays

    def _solve(self, C, uptake, source, add, inv_dt, signed=False, entry_max=None,
               forcing=0.0):
        """V-cycles on the linear system until the residual test holds; returns the scaled
        residuals (warm start first). ``signed``: the source may be negative (a Newton
        linearisation). ``entry_max``: the tolerance's scale from C_old, when C is no longer
        C_old (later Newton steps); None: from C. ``forcing``: stop as well once the residual
        is below ``forcing`` × the warm start's (an inexact Newton step; the last Newton step
        meets the tolerance with no V-cycle, so the result still meets it)."""
        fine = self.levels[0]
        stats = self._stats
        status, j, i = kn.prepare(
            C, uptake, uptake if source is None else source, source is not None, signed,
            self._mask, self._fixed, add, inv_dt, fine.system, stats, fine.res)
        if status:
            self._raise_bad_input(status, j, i, C, uptake, source)
        if (inv_dt == 0.0 and add == 0.0 and self._fixed_j.size == 0
                and not np.any(uptake)):
            raise SingularSteadyStateError(
                f"{self.name}: steady state (dt=inf) with no fixed site and zero uptake and "
                "decay is singular (the level is undetermined)")
        residuals = [self._check_stats(C)]
        self._entry_max = float(stats[kn.CMAX]) if entry_max is None else entry_max
        ready = False
        target = forcing * residuals[0]
        while residuals[-1] > max(self.rtol * self._scale(), target):
            if len(residuals) > self.max_cycles:
                raise NumericalError(
                    f"{self.name}: no convergence in max_cycles={self.max_cycles} V-cycles: "
                    f"scaled residual {residuals[-1]:.3e} > rtol·scale = "
                    f"{self.rtol * self._scale():.3e}")
            if not ready:
                self._setup_levels(C, uptake, source, add, inv_dt)
                ready = True
            self._vcycle(0, C)
            residuals.append(self._check_stats(C))
        return residuals

    def _clip_error_undershoot(self, C):
        """Set to 0 a negative C within the solver's error bound; NumericalError beyond it."""
        stats = self._stats
        cmin = stats[kn.CMIN]
        if cmin < 0.0:
            allowed = NEGATIVE_ERROR_FACTOR * self.rtol * self._scale()
            if cmin < -allowed:
                j, i = int(stats[kn.JMIN]), int(stats[kn.IMIN])
                raise NumericalError(f"{self.name}: negative concentration {cmin!r} at "
                                     f"{self._site(j, i)}, beyond the solver's error bound "
                                     f"-{allowed:.3g}")
            np.maximum(C, 0.0, out=C)

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
        raise error(f"{self.name}: {name} = {float(array[j, i])!r} at {self._site(j, i)}; "
                    f"must be finite{' and >= 0' if name != 'C' else ''}")

    def _check_stats(self, C):
        """Scaled residual from the last measuring pass; NumericalError on a non-finite C."""
        stats = self._stats
        if stats[kn.JBAD] >= 0:
            j, i = int(stats[kn.JBAD]), int(stats[kn.IBAD])
            raise NumericalError(f"{self.name}: non-finite concentration {C[j, i]!r} at "
                                 f"{self._site(j, i)}")
        return float(stats[kn.RES])

    def _site(self, j, i):
        """A site for messages: indices and the position of its centre (µm)."""
        return (f"site (y={j}, x={i}), position ({(i + 0.5) * self.dx:g}, "
                f"{(j + 0.5) * self.dx:g}) µm")

    def _scale(self):
        """Concentration scale of the tolerance: max(max |fixed_value|, max C_old, max C)."""
        return max(self._fixed_scale, self._entry_max, float(self._stats[kn.CMAX]))

    def _setup_levels(self, C, uptake, source, add, inv_dt):
        """Rebuild what depends on the uptake: kd and q of every coarser level (one pass each,
        from the finest uptake and q), and the coarsest operator's inverse if it changed."""
        levels = self.levels
        fine = levels[0]
        if len(levels) == 1:  # the finest level is the coarsest: solved directly
            fine.kd[...] = uptake + add
            fine.kd[self._mask] = -1.0
            fine.rhs = C * inv_dt + (0.0 if source is None else source)
        kd, add_l = uptake, add
        for level, coarse in zip(levels, levels[1:]):
            kn.restrict_coefficients(kd, add_l, level.q, level.restriction, coarse.system,
                                     coarse.kd)
            kd, add_l = coarse.kd, 0.0
        last = levels[-1]
        if self._A_kd is None or not np.array_equal(self._A_kd, last.kd):
            kn.dense_matrix(last.kd, *last.g, self._A)
            self._A_inv = np.linalg.inv(self._A)
            self._A_kd = last.kd.copy()

    def _vcycle(self, depth, x):
        """One V-cycle on level ``depth`` for unknown x (C on the finest level, else e, which
        enters as 0: the coarse-grid problem of a fresh residual)."""
        levels = self.levels
        level = levels[depth]
        if depth == len(levels) - 1:
            if depth > 0:
                x.fill(0.0)
                kn.dense_solve(self._A_inv, level.kd, level.rhs, x)
            else:  # a single-level grid: solve, then measure the exact solution
                kn.dense_solve(self._A_inv, level.kd, level.rhs, x)
                kn.measure(x, level.system, self._stats, level.res)
            return
        coarse = levels[depth + 1]
        coarsest = depth + 1 == len(levels) - 1
        if coarsest:
            coarse.rhs = coarse.b  # unscaled residual for the direct solve
        kn.smooth_restrict(x, level.system, PRE_SWEEPS, depth > 0, level.restriction,
                           coarse.system, not coarsest, coarse.b, level.res)
        self._vcycle(depth + 1, coarse.e)
        kn.prolong_smooth(x, level.system, coarse.e, level.y.prolongation, level.x.prolongation,
                          level.ring, level.ring_rows, POST_SWEEPS, depth == 0, self._stats,
                          level.res)


def steady_state(D, dx, uptake, source_mask, source_value, decay=0.0, rtol=1e-10, vmax=None,
                 km=None):
    """Steady state of D∇²C − (uptake + decay)·C − vmax·C/(km + C) = 0, C = source_value where
    source_mask (the saturating term only with ``vmax``: conc/min array, ``km`` conc).

    D: µm²/min; dx: µm; uptake: 2D array, min⁻¹ (≥ 0); source_mask: bool array of the same
    shape; source_value: scalar or array (read where source_mask); decay: min⁻¹. No flux at
    the domain edge. rtol: tolerance of :class:`FieldSolver`'s convergence test. Returns a new
    float64 array of uptake's shape.
    """
    uptake = np.ascontiguousarray(uptake, dtype=np.float64)
    solver = FieldSolver(uptake.shape, dx, D, decay, source_mask, source_value, rtol=rtol)
    C = np.zeros(uptake.shape)
    solver.advance(C, uptake, math.inf, vmax=vmax, km=km)
    return C
