"""Geometric multigrid for one implicit step of a diffusion–reaction field.

The PDE, on a 2D cell-centred grid of shape (ny, nx) (arrays indexed [y, x]), spacing dx (µm),
time in minutes:

    ∂C/∂t = D ∇²C − K(x)·C + F(x),     K = uptake + decay (min⁻¹), F = source (conc/min),

with C fixed at Dirichlet sites (vessels) and no flux through the domain edges (5-point
Laplacian, mirrored ghost cells). One call of :meth:`FieldSolver.advance` is one backward-Euler
step, (1/dt + K − D∇²) C_new = C_old/dt + F, unconditionally stable for any dt; dt = inf gives
the steady state. The linear system is solved by V-cycles (red–black Gauss–Seidel smoothing,
averaging restriction, bilinear prolongation, coarse operators rediscretised with averaged K,
a dense direct solve on the coarsest level; see :mod:`abm.fields.kernels` and
:mod:`abm.fields.levels`).
"""
import math
import time
from dataclasses import dataclass

import numpy as np

from abm.errors import NumericalError
from abm.fields import kernels as kn
from abm.fields import saturating as sat
from abm.fields.level_arrays import Dirichlet
from abm.fields.levels import Axis, Level, dense_matrix, dense_solve, storage_dtype

# Smoothing sweeps before/after the coarse-grid correction. V(1,2) measured fastest per
# advance on the benchmark setup (1000²: 5 cycles; V(2,1) 6, V(2,2) 5, V(3,2) 4 but dearer
# cycles); see benchmarks/bench_fields.py.
PRE_SWEEPS = 1
POST_SWEEPS = 2
# Coarsening stops once a level has at most this many sites; it is solved by a dense inverse.
COARSEST_SITES = 64
# The residual test bounds the true algebraic error only loosely: at 1000² with 1% vessels the
# measured max error is ~30 × rtol·scale. A converged C within NEGATIVE_ERROR_FACTOR × the
# tolerance (rtol·scale, at least ABSOLUTE_TOL) below zero (an anoxic region approached from
# above) is that error and is set to 0; below that it is a real failure (an unstable or
# inconsistent problem) and raises.
NEGATIVE_ERROR_FACTOR = 100.0
# A cycle skips its convergence measure (~13% of a cycle at 1000²) when the residual would
# stay above the tolerance even if the cycle contracted SKIP_MARGIN × as much as the fastest
# cycle measured so far in this solve (design choice: the measured contractions of the O2
# benchmark, 0.10–0.21 per cycle, slow down from cycle to cycle, so a cycle twice as fast as
# any before it is not expected; if one were, the solve would take one cycle more).
SKIP_MARGIN = 0.5
# Absolute floor of the convergence tolerance, in the field's own units: the smallest normal
# float32 (1.18e-38). The coarse levels store their corrections in float32; a field decaying
# towards zero (a chemokine after a resection, IL-6 after a neutrophil depletion) reaches
# scales where rtol·scale is below it, the corrections are subnormal, lose their relative
# precision and the cycles stop contracting (seen: 22 cycles at a scale of 1e-45, and the
# 60-cycle limit in 21-day runs; without a floor solves converged normally down to ~1e-40).
# A field whose residual is below the floor is left as it is (no cycle): nothing in the model
# reads a concentration near 1e-38 of its unit (mmHg, mM, network units).
ABSOLUTE_TOL = float(np.finfo(np.float32).tiny)


class SingularSteadyStateError(NumericalError, ValueError):
    """A steady state that does not exist or is not unique: no fixed site, no uptake and no
    decay (the level is undetermined). A ValueError too: the settings, not the numbers, are
    at fault."""


@dataclass(frozen=True)
class SolveInfo:
    """What one :meth:`FieldSolver.advance` did.

    cycles: V-cycles used (0 if the warm start already met the tolerance).
    residual: final max-norm residual scaled to a concentration (see ``FieldSolver``).
    residuals: the scaled residual of the warm start and after every cycle (len cycles+1;
        NaN for a cycle that skipped its measure, see ``SKIP_MARGIN``; the last is measured).
    seconds: wall time of the call.
    newton: Newton steps of a saturating sink (0 without one); ``cycles`` and ``residuals``
        then count the V-cycles of all of them and the residuals of the last.
    """

    cycles: int
    residual: float
    residuals: tuple
    seconds: float
    newton: int = 0


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

        max_sites |r| / d  ≤  max(rtol · max(max |fixed_value|, max C_old, max C), ABSOLUTE_TOL).

    (C_old, the warm start, keeps the scale finite when the solution is all zero;
    :data:`ABSOLUTE_TOL`, the smallest normal float32 ≈ 1.2e-38, ends the cycles on a field
    decayed to nothing: a field whose residual is below it is returned as it came, so a
    source too weak to reach ~1e-38 in one step never builds up.)

    |r|/d is the change a Jacobi update would make to C there (concentration units).

    Storage: C is float64; the finest level's q and b are float32 or float64 by rtol
    (:func:`~abm.fields.levels.storage_dtype`; attribute ``storage``), the coarser levels'
    arrays float32 (:data:`~abm.fields.levels.COARSE_DTYPE`); the kernels load either and
    compute in float64. C keeps the exact fixed values at the Dirichlet sites.
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
        # A single level is solved directly, in float64 (at most COARSEST_SITES sites).
        self.storage = np.dtype(storage_dtype(self.rtol) if math.prod(shape) > COARSEST_SITES
                                else np.float64)
        self.levels = [Level(*(Axis(self.dx * np.arange(n + 1.0), self.D) for n in shape),
                              self.storage)]
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
        V-cycle measures its result inside its last smoothing pass, unless the contraction of
        the cycles before says that another cycle will be needed anyway (``SKIP_MARGIN``).
        A saturating sink adds a linearisation pass and a warm-start measure per Newton step.
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
                             f"{residuals[-1]:.3e}, tolerance {self._tolerance():.3e})")

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
        last, at = residuals[0], 0     # the last measured residual and its cycle
        fastest = math.inf             # the smallest contraction per cycle measured so far
        while last > (tol := max(self._tolerance(), target)):
            if len(residuals) > self.max_cycles:
                raise NumericalError(
                    f"{self.name}: no convergence in max_cycles={self.max_cycles} V-cycles: "
                    f"scaled residual {last:.3e} > tolerance {self._tolerance():.3e} "
                    f"(rtol·scale, at least {ABSOLUTE_TOL:.2g})")
            if not ready:
                self._setup_levels(C, uptake, source, add, inv_dt)
                ready = True
            # Skip this cycle's measure when even SKIP_MARGIN × the fastest contraction seen
            # would leave the residual above the tolerance: another cycle is needed anyway.
            # Only once the cycles measured contract (a cold start's first may not).
            cycle = len(residuals)
            skip = fastest < 1.0 and last * (SKIP_MARGIN * fastest) ** (cycle - at) > tol
            self._vcycle(0, C, measure=not skip)
            if skip:
                residuals.append(math.nan)
                continue
            residual = self._check_stats(C)
            if last > 0.0:
                fastest = min(fastest, (residual / last) ** (1.0 / (cycle - at)))
            last, at = residual, cycle
            residuals.append(residual)
        if ready and self.storage != np.float64:
            # The sweeps set C = b at a Dirichlet site, its value rounded to float32.
            kn.pin_fixed(C, self._fixed)
        return residuals

    def _clip_error_undershoot(self, C):
        """Set to 0 a negative C within the solver's error bound; NumericalError beyond it."""
        stats = self._stats
        cmin = stats[kn.CMIN]
        if cmin < 0.0:
            allowed = NEGATIVE_ERROR_FACTOR * self._tolerance()
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

    def _tolerance(self):
        """The convergence test's bound on the scaled residual (concentration units)."""
        return max(self.rtol * self._scale(), ABSOLUTE_TOL)

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
                                     coarse.kd, coarse.res)
            kd, add_l = coarse.kd, 0.0
        last = levels[-1]
        if self._A_kd is None or not np.array_equal(self._A_kd, last.kd):
            dense_matrix(last.kd, *last.g, self._A)
            self._A_inv = np.linalg.inv(self._A)
            self._A_kd = last.kd.copy()

    def _vcycle(self, depth, x, measure=True):
        """One V-cycle on level ``depth`` for unknown x (C on the finest level, else e, which
        enters as 0: the coarse-grid problem of a fresh residual); on the finest level, fills
        ``_stats`` for the result unless ``measure`` is False."""
        levels = self.levels
        level = levels[depth]
        if depth == len(levels) - 1:
            if depth > 0:
                x.fill(0.0)
                dense_solve(self._A_inv, level.kd, level.rhs, x)
            else:  # a single-level grid: solve, then measure the exact solution
                dense_solve(self._A_inv, level.kd, level.rhs, x)
                kn.measure(x, level.system, self._stats, level.res)
            return
        coarse = levels[depth + 1]
        coarsest = depth + 1 == len(levels) - 1
        if coarsest:
            coarse.rhs = coarse.b  # unscaled residual for the direct solve
        kn.smooth_restrict(x, level.system, PRE_SWEEPS, depth > 0, level.restriction,
                           coarse.system, not coarsest, coarse.b, level.res, coarse.res)
        self._vcycle(depth + 1, coarse.e)
        kn.prolong_smooth(x, level.system, coarse.e, level.y.prolongation, level.x.prolongation,
                          level.ring, level.ring_rows, POST_SWEEPS, depth == 0 and measure,
                          self._stats, level.res)


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
