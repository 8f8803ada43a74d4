"""Numba kernels of the multigrid field solver: one grid level per call, serial, no allocation.

Every level holds the finite-volume system (per unit cell area) of one backward-Euler step,
or of the steady state,

    (kd + Σ_nb c_nb) C[j, i] − Σ_nb c_nb·C[nb] = rhs[j, i],

on a cell-centred grid of shape (ny, nx). ``kd`` (min⁻¹) is K + 1/dt = uptake + decay + 1/dt
(1/dt = 0 for the steady state); a site with ``kd < 0`` is a Dirichlet site (a vessel) whose
value is never changed. The couplings c (min⁻¹) come per dimension as the tuple
arrays ``cxm, cxp, cym, cyp`` (passed separately: a tuple argument defeats numba's
optimisation of the inner loops): cxm[i] couples column i to column i−1, cxp[i] to i+1, cym/cyp
likewise for rows; c = D / (cell width · distance between the two centres), and 0 across a
domain edge (no flux: the mirrored ghost cell equals the edge cell). On the finest grid every
c is D/dx²; coarse cells of an odd-sized dimension may be narrower (see ``multigrid``).

Coarsening is per dimension: ``fx``/``fy`` are 2 when that dimension is halved to the next
level (coarse index = fine index // 2) and 1 when it is kept. Residuals are restricted by
area-weighted averaging over the children, corrections prolongated linearly per dimension
(tables ``px = (lo, hi, w)``: fine column i takes w[i]·e[.., lo[i]] + (1−w[i])·e[.., hi[i]]).
"""
import numpy as np

from abm._numba import jit

# Layout of the ``stats`` vector filled by the measuring kernels (a preallocated float64[7]).
RES, CMAX, CMIN, JMIN, IMIN, JBAD, IBAD = range(7)

# Status codes returned by ``prepare`` (0 = fine); the solver turns them into errors.
BAD_C, BAD_UPTAKE, NEG_UPTAKE, BAD_SOURCE, NEG_SOURCE = 1, 2, 3, 4, 5


# The stencil is written out in the two per-row loops below: numba does not optimise a
# per-site helper taking arrays (measured 5-10x slower), while per-row calls cost nothing.
@jit
def _relax_row(C, kd, rhs, j, start, cxm, cxp, cym, cyp):
    """Gauss–Seidel update of the sites start, start+2, … of row j (one colour)."""
    ny, nx = C.shape
    for i in range(start, nx, 2):
        if kd[j, i] >= 0.0:
            off = 0.0
            if i > 0:
                off += cxm[i] * C[j, i - 1]
            if i < nx - 1:
                off += cxp[i] * C[j, i + 1]
            if j > 0:
                off += cym[j] * C[j - 1, i]
            if j < ny - 1:
                off += cyp[j] * C[j + 1, i]
            C[j, i] = (rhs[j, i] + off) / (kd[j, i] + cxm[i] + cxp[i] + cym[j] + cyp[j])


@jit
def _residual_row(C, kd, rhs, j, cxm, cxp, cym, cyp, res, diag):
    """res[i] = residual rhs − A·C and diag[i] = diagonal of row j (res 0 at Dirichlet sites)."""
    ny, nx = C.shape
    for i in range(nx):
        d = kd[j, i] + cxm[i] + cxp[i] + cym[j] + cyp[j]
        r = rhs[j, i] - d * C[j, i]
        if i > 0:
            r += cxm[i] * C[j, i - 1]
        if i < nx - 1:
            r += cxp[i] * C[j, i + 1]
        if j > 0:
            r += cym[j] * C[j - 1, i]
        if j < ny - 1:
            r += cyp[j] * C[j + 1, i]
        res[i] = r if kd[j, i] >= 0.0 else 0.0
        diag[i] = d


@jit
def _measure_row(C, kd, rhs, j, cxm, cxp, cym, cyp, stats, res, diag):
    """Fold row j into ``stats``: max |residual|/diagonal, max and min C, first non-finite site."""
    _residual_row(C, kd, rhs, j, cxm, cxp, cym, cyp, res, diag)
    for i in range(C.shape[1]):
        c = C[j, i]
        if not np.isfinite(c):
            if stats[JBAD] < 0.0:
                stats[JBAD] = j
                stats[IBAD] = i
            continue
        if c > stats[CMAX]:
            stats[CMAX] = c
        if c < stats[CMIN]:
            stats[CMIN] = c
            stats[JMIN] = j
            stats[IMIN] = i
        r = abs(res[i]) / diag[i]
        if r > stats[RES]:
            stats[RES] = r


@jit
def _reset_stats(stats):
    stats[RES] = 0.0
    stats[CMAX] = -np.inf
    stats[CMIN] = np.inf
    stats[JMIN] = -1.0
    stats[IMIN] = -1.0
    stats[JBAD] = -1.0
    stats[IBAD] = -1.0


@jit
def smooth(C, kd, rhs, cxm, cxp, cym, cyp, stats, measure, res, diag):
    """One red–black Gauss–Seidel sweep of C (in place); if ``measure``, fill ``stats`` after it.

    The colours are pipelined row by row (red of row j, then black of row j−1, whose red
    neighbours are all final by then), which gives exactly the two-pass red–black result while
    streaming the arrays through memory once. With ``measure`` the residual of row j−2 (whose
    neighbours are final) is evaluated in the same pass, so the convergence check costs no
    extra memory traffic.
    """
    ny = C.shape[0]
    if measure:
        _reset_stats(stats)
    for j in range(ny + 1):
        if j < ny:
            _relax_row(C, kd, rhs, j, j % 2, cxm, cxp, cym, cyp)
        if j >= 1:
            _relax_row(C, kd, rhs, j - 1, j % 2, cxm, cxp, cym, cyp)
        if measure and j >= 2:
            _measure_row(C, kd, rhs, j - 2, cxm, cxp, cym, cyp, stats, res, diag)
    if measure:
        _measure_row(C, kd, rhs, ny - 1, cxm, cxp, cym, cyp, stats, res, diag)


@jit
def prepare(C, uptake, source, has_source, mask, fixed_j, fixed_i, fixed_val,
            decay, inv_dt, kd, rhs, cxm, cxp, cym, cyp, stats, res, diag):
    """Set up the finest level of one step and measure the warm start.

    Writes C = fixed value at the Dirichlet sites, kd = uptake + decay + 1/dt (−1 at Dirichlet
    sites) and rhs = C_old/dt + source, then fills ``stats`` for the warm-start C (rows lag by
    one so each row's kd and rhs exist when it is measured). Returns (status, j, i): status 0,
    or one of the BAD_*/NEG_* codes with the first offending site.
    """
    ny, nx = C.shape
    for n in range(fixed_j.size):
        C[fixed_j[n], fixed_i[n]] = fixed_val[n]
    _reset_stats(stats)
    for j in range(ny):
        for i in range(nx):
            if mask[j, i]:
                kd[j, i] = -1.0
                rhs[j, i] = 0.0
                continue
            c = C[j, i]
            if not np.isfinite(c):
                return BAD_C, j, i
            k = uptake[j, i]
            if not np.isfinite(k):
                return BAD_UPTAKE, j, i
            if k < 0.0:
                return NEG_UPTAKE, j, i
            kd[j, i] = k + decay + inv_dt
            r = c * inv_dt
            if has_source:
                f = source[j, i]
                if not np.isfinite(f):
                    return BAD_SOURCE, j, i
                if f < 0.0:
                    return NEG_SOURCE, j, i
                r += f
            rhs[j, i] = r
        if j >= 1:
            _measure_row(C, kd, rhs, j - 1, cxm, cxp, cym, cyp, stats, res, diag)
    _measure_row(C, kd, rhs, ny - 1, cxm, cxp, cym, cyp, stats, res, diag)
    return 0, -1, -1


@jit
def restrict_coefficients(kd, cxm, cxp, cym, cyp, wy, wx, kd_c, fy, fx):
    """Coarse kd from the fine kd; a coarse cell is Dirichlet only if all its children are.

    A Dirichlet site pins the error to zero, so for the error equation its free neighbours see
    the coupling c to it as an extra sink c·e. The coarse kd is the area-weighted mean over
    the children of kd + those sinks (0 on Dirichlet children), the Galerkin average of the
    diagonal for a piecewise-constant error; faces to a coarse Dirichlet cell are left to the
    coarse stencil. wy, wx: fine cell widths per row/column (any unit).
    """
    ny, nx = kd.shape
    nyc, nxc = kd_c.shape
    for J in range(nyc):
        for I in range(nxc):
            all_fixed = True
            for j in range(fy * J, min(fy * J + fy, ny)):
                for i in range(fx * I, min(fx * I + fx, nx)):
                    all_fixed = all_fixed and kd[j, i] < 0.0
            kd_c[J, I] = -1.0 if all_fixed else 0.0
    for J in range(nyc):
        for I in range(nxc):
            if kd_c[J, I] < 0.0:
                continue
            total = 0.0
            area = 0.0
            for j in range(fy * J, min(fy * J + fy, ny)):
                for i in range(fx * I, min(fx * I + fx, nx)):
                    a = wy[j] * wx[i]
                    area += a
                    if kd[j, i] < 0.0:
                        continue
                    sink = kd[j, i]
                    if i > 0 and kd[j, i - 1] < 0.0 and kd_c[J, (i - 1) // fx] >= 0.0:
                        sink += cxm[i]
                    if i < nx - 1 and kd[j, i + 1] < 0.0 and kd_c[J, (i + 1) // fx] >= 0.0:
                        sink += cxp[i]
                    if j > 0 and kd[j - 1, i] < 0.0 and kd_c[(j - 1) // fy, I] >= 0.0:
                        sink += cym[j]
                    if j < ny - 1 and kd[j + 1, i] < 0.0 and kd_c[(j + 1) // fy, I] >= 0.0:
                        sink += cyp[j]
                    total += a * sink
            kd_c[J, I] = total / area


@jit
def restrict_residual(C, kd, rhs, cxm, cxp, cym, cyp, wy, wx, rhs_c, fy, fx, res, diag):
    """rhs_c = area-weighted mean over the children of the residual rhs − A·C (0 at Dirichlet)."""
    ny, nx = C.shape
    nyc, nxc = rhs_c.shape
    for J in range(nyc):
        j_end = min(fy * J + fy, ny)
        for I in range(nxc):
            rhs_c[J, I] = 0.0
        for j in range(fy * J, j_end):
            _residual_row(C, kd, rhs, j, cxm, cxp, cym, cyp, res, diag)
            for i in range(nx):
                rhs_c[J, i // fx] += wy[j] * wx[i] * res[i]
        height = 0.0
        for j in range(fy * J, j_end):
            height += wy[j]
        for I in range(nxc):
            width = 0.0
            for i in range(fx * I, min(fx * I + fx, nx)):
                width += wx[i]
            rhs_c[J, I] /= height * width


@jit
def prolong_add(C, kd, e_c, py, px):
    """C += linear interpolation of the coarse correction e_c (Dirichlet sites untouched)."""
    ny, nx = C.shape
    ylo, yhi, yw = py
    xlo, xhi, xw = px
    for j in range(ny):
        J, J2, v = ylo[j], yhi[j], yw[j]
        for i in range(nx):
            if kd[j, i] >= 0.0:
                I, I2, w = xlo[i], xhi[i], xw[i]
                C[j, i] += (v * (w * e_c[J, I] + (1.0 - w) * e_c[J, I2])
                            + (1.0 - v) * (w * e_c[J2, I] + (1.0 - w) * e_c[J2, I2]))


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
