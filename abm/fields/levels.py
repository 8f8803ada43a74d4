"""The grid hierarchy of the multigrid field solver (:mod:`abm.fields.multigrid`): per-axis
cell edges, couplings and coarsening (:class:`Axis`), per-level arrays and the static data of
the restriction (:class:`Level`), the storage precision of the levels' arrays, and the
coarsest level's dense operator and solve (numba kernels).
"""
import numpy as np

from abm._numba import jit
from abm.fields import kernels as kn
from abm.fields.level_arrays import Interpolation, Restriction, System

# Storage of the coarse levels' arrays (q, b, kd, e; the kernels compute in float64). Their
# precision bounds only how well a cycle's correction is computed, never the converged C (the
# finest level's residual decides that), so float32 halves their memory and traffic at no
# cost in accuracy: the tests at rtol 1e-13 and 1e-14 still converge to the scipy solve.
COARSE_DTYPE = np.float32
# The finest level stores q and b in float32 when rtol >= FLOAT32_RTOL (design choice, from
# measurement: see storage_dtype).
FLOAT32_RTOL = 1e-5


def storage_dtype(rtol):
    """dtype of the finest level's q and b for tolerance ``rtol``: float32 when rtol ≥
    FLOAT32_RTOL (the model's O2 at 1e-5, glucose and cytokines at 1e-4), else float64.

    What float32 costs: the solver then converges to the system with q and b rounded to
    float32 (relative 2⁻²⁴ = 6e-8 each; the residual is computed in float64 from C and the
    stored q and b). Rounding b moves C by at most ~6e-8 relative (a non-negative right-hand
    side: the operator is an M-matrix). Rounding q = c0/d moves the diagonal d by 6e-8·d,
    which is large next to K + 1/dt where diffusion dominates (d ≈ 4·D/dx²): C moves by at
    most η·max C with η = 2⁻²⁴·(max over free sites of d/(K + 1/dt) + 2) (η ≈ 5e-4 for O2 at
    dt 18 min in cell-free tissue). Measured on the O2 benchmark setup (1% vessels, a tumour
    disc) against a float64 solve at rtol 1e-12: 6e-6 to 1.2e-5 of the vessel value (250²,
    dt 6 min and steady state; 1000², dt 18 min, linear and saturating sink), against 7.8e-5
    to 3.5e-4 for the tolerance itself at rtol 1e-5 and 2e-5 to 6e-5 at 1e-6. Hence float32
    only from rtol 1e-5, where it adds 3–15 % to the solve's own error.
    Float32 storage at a tight rtol still converges for a linear step (to the rounded system;
    ``tests/fields/test_storage_precision.py``), but a Newton solve of a saturating sink
    below rtol ~1e-9 may not: each new linearisation is rounded anew.
    """
    return np.float32 if rtol >= FLOAT32_RTOL else np.float64


class Axis:
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
        coarse = Axis(edges, D)
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


class Level:
    """One grid of the hierarchy: its two axes and arrays (allocated once, overwritten by every
    step; see :mod:`abm.fields.kernels` for the Jacobi form d, q, b).

    ``c0`` is the largest coupling and ``w`` the couplings per column/row divided by it;
    ``uniform`` says every interior x-weight is exactly 1 (the kernels then skip the products);
    ``system`` bundles them with q and b for the kernels (:class:`~abm.fields.level_arrays.System`).
    ``kd`` (−1 at Dirichlet cells) and ``e`` (the correction): None on the finest level of a
    hierarchy (set by :class:`~abm.fields.multigrid.FieldSolver`). q, b, kd and e are stored as ``dtype`` (float32
    or float64); ``res`` and ``ring`` are float64 scratch rows. Above the coarsest level, ``restriction``
    (:class:`~abm.fields.level_arrays.Restriction`, set by :meth:`link`).
    """

    def __init__(self, y, x, dtype):
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
        self.q = np.zeros(self.shape, dtype)
        self.b = np.zeros(self.shape, dtype)
        self.kd = np.empty(self.shape, dtype)
        self.e = np.zeros(self.shape, dtype)
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
        return Level(y.coarser(D, halve_y), x.coarser(D, halve_x), COARSE_DTYPE)

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


@jit
def dense_matrix(kd, cxm, cxp, cym, cyp, A):
    """Fill A (n×n, n = ny·nx, row-major sites) with the level's operator; identity at Dirichlet."""
    ny, nx = kd.shape
    A[:, :] = 0.0
    for j in range(ny):
        for i in range(nx):
            row = j * nx + i
            if kd[j, i] < 0.0:
                A[row, row] = 1.0
                continue
            A[row, row] = kd[j, i] + cxm[i] + cxp[i] + cym[j] + cyp[j]
            if i > 0:
                A[row, row - 1] = -cxm[i]
            if i < nx - 1:
                A[row, row + 1] = -cxp[i]
            if j > 0:
                A[row, row - nx] = -cym[j]
            if j < ny - 1:
                A[row, row + nx] = -cyp[j]


@jit
def dense_solve(A_inv, kd, rhs, e):
    """e = A⁻¹·b on the coarsest level, b = rhs at free sites and e's own value at Dirichlet
    sites (0 for a coarse correction, the fixed value when the finest level is the coarsest)."""
    ny, nx = e.shape
    n = ny * nx
    for row in range(n):
        if kd[row // nx, row % nx] < 0.0:
            continue
        total = 0.0
        for col in range(n):
            j = col // nx
            i = col % nx
            total += A_inv[row, col] * (rhs[j, i] if kd[j, i] >= 0.0 else e[j, i])
        e[row // nx, row % nx] = total
