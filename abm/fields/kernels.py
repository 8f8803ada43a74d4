"""Numba kernels of the multigrid field solver: serial, no allocation, fused streaming passes.

Every level holds the finite-volume system (per unit cell area) of one backward-Euler step,
or of the steady state,

    (kd + Σ_nb c_nb) x[j, i] − Σ_nb c_nb·x[nb] = rhs[j, i],

on a cell-centred grid of shape (ny, nx): x is C on the finest level and the correction e
below it. ``kd`` (min⁻¹) is K + 1/dt = uptake + decay + 1/dt (1/dt = 0 for the steady state).
The couplings c (min⁻¹) factor per dimension as c0·w: ``c0`` is the level's largest coupling
and ``wxm, wxp, wym, wyp`` the per-column / per-row weights (wxm[i] couples column i to column
i−1, wxp[i] to i+1, wym/wyp likewise for rows); c = D / (cell width · distance between the two
centres), 0 across a domain edge (no flux: the mirrored ghost cell equals the edge cell). On
the finest grid every interior weight is exactly 1; coarse cells of an odd-sized dimension may
be narrower (see ``levels``).

Each level is stored in Jacobi form, so that the kernels are branch-free:

    d = kd + Σ_nb c_nb   (the diagonal; not stored: d = c0/q),
    q = c0 / d           (0 at Dirichlet sites),
    b = rhs / d          (the fixed value at Dirichlet sites of the finest level, else 0),

a Gauss–Seidel update is x ← b + q·S with S = Σ_nb w_nb·x[nb] (a Dirichlet site keeps b),
the scaled residual (the change a Jacobi update would make) is ρ = b + q·S − x (0 at a
Dirichlet site that holds its value) and the residual is r = d·ρ.

Coarsening is per dimension: ``fx``/``fy`` are 2 when that dimension is halved to the next
level (coarse index = fine index // 2) and 1 when it is kept. Residuals are restricted by
area-weighted averaging over the children, corrections prolongated linearly per dimension
(tables ``(lo, hi, w)``: fine column i takes w[i]·e[.., lo[i]] + (1−w[i])·e[.., hi[i]]).

Passes: one V-cycle streams each level's arrays twice, ``smooth_restrict`` (the pre-sweeps,
the residual and its restriction, each lagging the previous by two rows so that every row is
final when the next stage reads it) and ``prolong_smooth`` (prolongation, the post-sweeps
and, on the finest level, the convergence measure). Red–black colours are pipelined the same
way (red of row j, then black of row j−1), which gives exactly the two-pass red–black result.

Precision: C (the finest level's unknown) is float64; q, b, kd and e may be stored as float32
(see ``levels.storage_dtype``). Every kernel loads them into float64 arithmetic (the
uniform paths convert the neighbours explicitly, as a sum of two float32 values would stay
float32) and keeps sums over children in float64 scratch rows, so only the stores round.

The kernels take a level as named tuples of its arrays (``System``, ``Restriction``,
``Interpolation``, ``Dirichlet`` of :mod:`abm.fields.level_arrays`). The coarsest level's
dense operator and solve are in :mod:`abm.fields.levels`.
"""
import numpy as np

from abm._numba import jit

# Layout of the ``stats`` vector filled by the measuring kernels (a preallocated float64[7]).
RES, CMAX, CMIN, JMIN, IMIN, JBAD, IBAD = range(7)

# Status codes returned by ``prepare`` (0 = fine); the solver turns them into errors.
BAD_C, BAD_UPTAKE, NEG_UPTAKE, BAD_SOURCE, NEG_SOURCE = 1, 2, 3, 4, 5

# Slots of the prolongation's ring of x-interpolated coarse rows.
RING = 4


# Per-row helpers: numba inlines them into the streaming loops (per-row calls cost nothing,
# per-site helpers taking arrays do). Row r's vertical neighbours are clamped to the grid;
# the weight across a domain edge is 0, so the clamped read contributes nothing.
@jit
def _row(x, system, r):
    """Row r of x and its two vertical neighbours, row r of b and q, and row r's weights."""
    ny = x.shape[0]
    return (x[r], x[max(r - 1, 0)], x[min(r + 1, ny - 1)], system.b[r], system.q[r],
            system.wym[r], system.wyp[r])


@jit
def _relax_row(x, system, r, s):
    """Gauss–Seidel update x ← b + q·S of the sites s, s+2, … of row r (one colour)."""
    nx = x.shape[1]
    wxm, wxp = system.wxm, system.wxp
    xr, xu, xd, br, qr, a, c = _row(x, system, r)
    if s == 0:
        right = 1 if nx > 1 else 0
        xr[0] = br[0] + qr[0] * ((wxm[0] * xr[0] + wxp[0] * xr[right]) + (a * xu[0] + c * xd[0]))
        start = 2
    else:
        start = 1
    m = (nx - start) // 2  # interior sites start, start+2, … ≤ nx−2
    if system.uniform and a == 1.0 and c == 1.0:
        for k in range(m):
            i = start + 2 * k
            xr[i] = br[i] + qr[i] * ((float(xr[i - 1]) + xr[i + 1]) + (float(xu[i]) + xd[i]))
    else:
        for k in range(m):
            i = start + 2 * k
            xr[i] = br[i] + qr[i] * ((wxm[i] * xr[i - 1] + wxp[i] * xr[i + 1])
                                     + (a * xu[i] + c * xd[i]))
    i = nx - 1
    if i > 0 and i % 2 == s:
        xr[i] = br[i] + qr[i] * ((wxm[i] * xr[i - 1] + wxp[i] * xr[i]) + (a * xu[i] + c * xd[i]))


@jit
def _scaled_residual_row(x, system, r, out):
    """out[i] = ρ = b + q·S − x on row r (the change a Jacobi update would make)."""
    nx = x.shape[1]
    wxm, wxp = system.wxm, system.wxp
    xr, xu, xd, br, qr, a, c = _row(x, system, r)
    right = 1 if nx > 1 else 0
    out[0] = br[0] + qr[0] * ((wxm[0] * xr[0] + wxp[0] * xr[right]) + (a * xu[0] + c * xd[0])) - xr[0]
    if system.uniform and a == 1.0 and c == 1.0:
        for i in range(1, nx - 1):
            out[i] = (br[i] + qr[i] * ((float(xr[i - 1]) + xr[i + 1]) + (float(xu[i]) + xd[i]))
                      - xr[i])
    else:
        for i in range(1, nx - 1):
            out[i] = br[i] + qr[i] * ((wxm[i] * xr[i - 1] + wxp[i] * xr[i + 1])
                                      + (a * xu[i] + c * xd[i])) - xr[i]
    i = nx - 1
    if i > 0:
        out[i] = br[i] + qr[i] * ((wxm[i] * xr[i - 1] + wxp[i] * xr[i]) + (a * xu[i] + c * xd[i])) - xr[i]


@jit
def _measure_row(x, system, r, stats, res):
    """Fold row r into ``stats``: max |ρ|, max and min C (with the first minimum's site), first
    non-finite site. Branch-free over the row; the rare cases rescan it."""
    _scaled_residual_row(x, system, r, res)
    nx = x.shape[1]
    xr = x[r]
    # Four independent accumulators per extremum (select chains are latency-bound).
    r0 = r1 = r2 = r3 = stats[RES]
    h0 = h1 = h2 = h3 = stats[CMAX]
    l0 = l1 = l2 = l3 = np.inf
    n0 = n1 = 0.0
    for k in range(nx // 4):
        i = 4 * k
        c0, c1, c2, c3 = xr[i], xr[i + 1], xr[i + 2], xr[i + 3]
        n0 += (c0 + c1) * 0.0     # NaN iff some c is not finite
        n1 += (c2 + c3) * 0.0
        a0, a1, a2, a3 = abs(res[i]), abs(res[i + 1]), abs(res[i + 2]), abs(res[i + 3])
        r0 = a0 if a0 > r0 else r0
        r1 = a1 if a1 > r1 else r1
        r2 = a2 if a2 > r2 else r2
        r3 = a3 if a3 > r3 else r3
        h0 = c0 if c0 > h0 else h0
        h1 = c1 if c1 > h1 else h1
        h2 = c2 if c2 > h2 else h2
        h3 = c3 if c3 > h3 else h3
        l0 = c0 if c0 < l0 else l0
        l1 = c1 if c1 < l1 else l1
        l2 = c2 if c2 < l2 else l2
        l3 = c3 if c3 < l3 else l3
    for i in range(4 * (nx // 4), nx):
        c = xr[i]
        n0 += c * 0.0
        a = abs(res[i])
        r0 = a if a > r0 else r0
        h0 = c if c > h0 else h0
        l0 = c if c < l0 else l0
    rmax = max(max(r0, r1), max(r2, r3))
    cmax = max(max(h0, h1), max(h2, h3))
    cmin = min(min(l0, l1), min(l2, l3))
    nan = n0 + n1
    if nan != 0.0:
        for i in range(nx):
            if not np.isfinite(xr[i]):
                if stats[JBAD] < 0.0:
                    stats[JBAD] = r
                    stats[IBAD] = i
                break
        # Non-finite sites take no part in the extrema (as if skipped).
        rmax = stats[RES]
        cmax = stats[CMAX]
        cmin = np.inf
        for i in range(nx):
            c = xr[i]
            if np.isfinite(c):
                a = abs(res[i])
                rmax = a if a > rmax else rmax
                cmax = c if c > cmax else cmax
                cmin = c if c < cmin else cmin
    stats[RES] = rmax
    stats[CMAX] = cmax
    if cmin < stats[CMIN]:
        stats[CMIN] = cmin
        stats[JMIN] = r
        for i in range(nx):
            if xr[i] == cmin:
                stats[IMIN] = i
                break


@jit
def reset_stats(stats):
    stats[RES] = 0.0
    stats[CMAX] = -np.inf
    stats[CMIN] = np.inf
    stats[JMIN] = -1.0
    stats[IMIN] = -1.0
    stats[JBAD] = -1.0
    stats[IBAD] = -1.0


@jit
def measure(x, system, stats, res):
    """Fill ``stats`` for x (a separate pass; the cycles measure inside ``prolong_smooth``)."""
    reset_stats(stats)
    for r in range(x.shape[0]):
        _measure_row(x, system, r, stats, res)


@jit
def _scan_bad_row(C, uptake, source, has_source, signed, mask, j):
    """First offending free site of row j in site order: (status, i) or (0, -1); ``signed``:
    a negative source is allowed."""
    for i in range(C.shape[1]):
        if mask[j, i]:
            continue
        if not np.isfinite(C[j, i]):
            return BAD_C, i
        k = uptake[j, i]
        if not np.isfinite(k):
            return BAD_UPTAKE, i
        if k < 0.0:
            return NEG_UPTAKE, i
        if has_source:
            f = source[j, i]
            if not np.isfinite(f):
                return BAD_SOURCE, i
            if f < 0.0 and not signed:
                return NEG_SOURCE, i
    return 0, -1


@jit
def pin_fixed(C, fixed):
    """C = the fixed value at the Dirichlet sites (``Dirichlet``)."""
    fixed_j, fixed_i, fixed_val = fixed
    for n in range(fixed_j.size):
        C[fixed_j[n], fixed_i[n]] = fixed_val[n]


@jit
def prepare(C, uptake, source, has_source, signed, mask, fixed, add, inv_dt, system, stats, res):
    """Set up the finest level of one step and measure the warm start, in one pass.

    Writes C = fixed value at the Dirichlet sites, q = c0/d and b = (C_old/dt + source)/d with
    d = uptake + add + Σc (add = decay + 1/dt; q = 0, b = fixed value at Dirichlet sites), then
    fills ``stats`` for the warm-start C (rows lag by one so each row's q and b exist when it is
    measured). Returns (status, j, i): status 0, or one of the BAD_*/NEG_* codes with the first
    offending free site (only the Dirichlet sites are exempt from the checks; ``signed``: the
    source may be negative, as in a Newton linearisation, :mod:`abm.fields.saturating`).

    ``mask``: bool ``[ny, nx]``, the Dirichlet sites, also listed in ``fixed``
    (``Dirichlet``); ``system``: the finest level's (its q and b are written).
    """
    ny, nx = C.shape
    fixed_j, fixed_i, fixed_val = fixed
    c0, wxm, wxp, wym, wyp = system.c0, system.wxm, system.wxp, system.wym, system.wyp
    q, b = system.q, system.b
    nfix = fixed_j.size
    pin_fixed(C, fixed)
    reset_stats(stats)
    p = 0
    for j in range(ny):
        Cj, kj, qj, bj = C[j], uptake[j], q[j], b[j]
        cy = c0 * (wym[j] + wyp[j])
        bad = 0.0
        kmin = 0.0
        fj = source[j] if has_source else kj
        for i in range(nx):
            k = kj[i]
            c = Cj[i]
            d = (k + add) + (c0 * (wxm[i] + wxp[i]) + cy)
            inv = 1.0 / d
            qj[i] = c0 * inv
            if has_source:
                f = fj[i]
                bj[i] = (c * inv_dt + f) * inv
                bad += (c + k + f) * 0.0      # NaN iff one of them is not finite
                kmin = min(kmin, k if signed else min(k, f))
            else:
                bj[i] = (c * inv_dt) * inv
                bad += (c + k) * 0.0
                kmin = k if k < kmin else kmin
        if bad != 0.0 or kmin < 0.0:
            status, i = _scan_bad_row(C, uptake, source, has_source, signed, mask, j)
            if status:
                return status, j, i
        while p < nfix and fixed_j[p] == j:
            qj[fixed_i[p]] = 0.0
            bj[fixed_i[p]] = fixed_val[p]
            p += 1
        if j >= 1:
            _measure_row(C, system, j - 1, stats, res)
    _measure_row(C, system, ny - 1, stats, res)
    return 0, -1, -1


@jit
def restrict_coefficients(kd, add, q, restriction, coarse, kd_c, acc):
    """Coarse kd (``kd_c``) and q (into ``coarse``, the coarse ``System``) from the fine
    kd (= kd + add at the free sites, q ≠ 0) through ``restriction`` (``Restriction``);
    ``acc``: a float64 scratch row of the coarse width (the sums over the children are kept in
    float64 whatever ``kd_c`` stores).

    A Dirichlet site pins the error to zero, so for the error equation its free neighbours see
    the coupling c to it as an extra sink c·e. The coarse kd is the area-weighted mean over
    the children of kd (0 on Dirichlet children) plus those sinks (``sink_c``, static: it
    depends on the Dirichlet sites and the geometry only), the Galerkin average of the diagonal
    for a piecewise-constant error; faces to a coarse Dirichlet cell (``fixed_c``, all children
    fixed) are left to the coarse stencil.
    """
    wy, wx, fy, fx = restriction.wy, restriction.wx, restriction.fy, restriction.fx
    c0_c, wxm_c, wxp_c, q_c = coarse.c0, coarse.wxm, coarse.wxp, coarse.q
    ny, nx = q.shape
    nyc, nxc = kd_c.shape
    kc = acc
    for J in range(nyc):
        for I in range(nxc):
            kc[I] = 0.0
        for j in range(fy * J, min(fy * J + fy, ny)):
            kj, qj = kd[j], q[j]
            a = wy[j]
            if fx == 2:
                for I in range(nx // 2):
                    i = 2 * I
                    t0 = wx[i] * (kj[i] + add)
                    t1 = wx[i + 1] * (kj[i + 1] + add)
                    kc[I] += a * ((t0 if qj[i] != 0.0 else 0.0) + (t1 if qj[i + 1] != 0.0 else 0.0))
                if nx % 2:
                    i = nx - 1
                    t0 = wx[i] * (kj[i] + add)
                    kc[nxc - 1] += a * (t0 if qj[i] != 0.0 else 0.0)
            else:
                for i in range(nx):
                    t0 = wx[i] * (kj[i] + add)
                    kc[i] += a * (t0 if qj[i] != 0.0 else 0.0)
        cy = c0_c * (coarse.wym[J] + coarse.wyp[J])
        qc, fc, kdc = q_c[J], restriction.fixed[J], kd_c[J]
        sc, ac = restriction.sink[J], restriction.area[J]
        for I in range(nxc):
            k = kc[I] / ac[I] + sc[I]
            d = k + (c0_c * (wxm_c[I] + wxp_c[I]) + cy)
            if fc[I]:
                kdc[I] = -1.0
                qc[I] = 0.0
            else:
                kdc[I] = k
                qc[I] = c0_c / d


@jit
def smooth_restrict(x, system, sweeps, zero_start, restriction, coarse, scale, out_c, res, acc):
    """``sweeps`` red–black sweeps of x, then the restricted residual into ``out_c``, in one pass.

    zero_start: x is taken as 0 on entry (a coarse correction), so it is never read before the
    first sweep writes it. out_c[J, I] = area-weighted mean (``restriction``) of the
    children's residual d·ρ (d = c0/q, so the diagonal need not be stored), times q_c/c0_c
    (= 1/d_c, the coarse b; ``coarse`` is the coarse ``System``) if ``scale``, else as is
    (the coarsest level's rhs). ``res``: a float64 scratch row of x's width; ``acc``: one of
    the coarse width, where the sum over a coarse row's children is kept in float64 whatever
    ``out_c`` stores.
    """
    b, q, c0 = system.b, system.q, system.c0
    wy, wx, fy, fx = restriction.wy, restriction.wx, restriction.fy, restriction.fx
    inv_h_c, inv_w_c, q_c = restriction.inv_h, restriction.inv_w, coarse.q
    inv_c0_c = 1.0 / coarse.c0 if coarse.c0 else 0.0
    ny, nx = x.shape
    nxc = out_c.shape[1]
    lag = 2 * sweeps
    for step in range(ny + lag + 1):
        for s in range(sweeps):
            r = step - 2 * s
            if 0 <= r < ny:
                if s == 0 and zero_start:
                    # Red sites of row r see only zero neighbours (black is never read before
                    # it is written): x = b; black sites of row r start at 0.
                    xr, br = x[r], b[r]
                    for i in range(nx):
                        xr[i] = br[i] if (i + r) % 2 == 0 else 0.0
                else:
                    _relax_row(x, system, r, r % 2)
            r -= 1
            if 0 <= r < ny:
                _relax_row(x, system, r, (r + 1) % 2)
        r = step - lag - 1
        if 0 <= r < ny:
            _scaled_residual_row(x, system, r, res)
            J = r // fy
            oc = acc
            if r == fy * J:
                for I in range(nxc):
                    oc[I] = 0.0
            # r = d·ρ with d = c0/q (ρ = 0 where q = 0: Dirichlet sites).
            qr = q[r]
            for i in range(nx):
                v = qr[i]
                res[i] = (c0 * res[i]) / v if v != 0.0 else 0.0
            a = wy[r]
            if fx == 2:
                for I in range(nx // 2):
                    i = 2 * I
                    oc[I] += a * (wx[i] * res[i] + wx[i + 1] * res[i + 1])
                if nx % 2:
                    i = nx - 1
                    oc[nxc - 1] += a * (wx[i] * res[i])
            else:
                for i in range(nx):
                    oc[i] += a * (wx[i] * res[i])
            if r == min(fy * J + fy, ny) - 1:
                h = inv_h_c[J]
                out = out_c[J]
                if scale:
                    qc = q_c[J]
                    for I in range(nxc):
                        out[I] = (oc[I] * (h * inv_w_c[I])) * (qc[I] * inv_c0_c)
                else:
                    for I in range(nxc):
                        out[I] = oc[I] * (h * inv_w_c[I])


@jit
def _interp_row(e_c, J, xlo, xhi, xw, out):
    """out = coarse row J interpolated linearly in x to the fine columns."""
    ec = e_c[J]
    for i in range(out.size):
        w = xw[i]
        out[i] = w * ec[xlo[i]] + (1.0 - w) * ec[xhi[i]]


@jit
def prolong_smooth(x, system, e_c, y_interp, x_interp, ring, ring_rows, sweeps, measure, stats,
                   res):
    """x += linear interpolation of e_c (Dirichlet sites untouched; ``Interpolation``
    per axis), then ``sweeps`` red–black sweeps and, if ``measure``, ``stats`` of the result,
    in one pass over the rows."""
    ylo, yhi, yw = y_interp
    xlo, xhi, xw = x_interp
    q = system.q
    ny, nx = x.shape
    for k in range(RING):
        ring_rows[k] = -1
    if measure:
        reset_stats(stats)
    lag = 2 * sweeps
    for step in range(ny + lag + 1):
        r = step
        if r < ny:
            J1, J2, v = ylo[r], yhi[r], yw[r]
            if ring_rows[J1 % RING] != J1:
                _interp_row(e_c, J1, xlo, xhi, xw, ring[J1 % RING])
                ring_rows[J1 % RING] = J1
            if ring_rows[J2 % RING] != J2:
                _interp_row(e_c, J2, xlo, xhi, xw, ring[J2 % RING])
                ring_rows[J2 % RING] = J2
            e1, e2 = ring[J1 % RING], ring[J2 % RING]
            v1 = 1.0 - v
            xr, qr = x[r], q[r]
            for i in range(nx):
                t = v * e1[i] + v1 * e2[i]
                xr[i] += t if qr[i] != 0.0 else 0.0
        for s in range(sweeps):
            r = step - 1 - 2 * s
            if 0 <= r < ny:
                _relax_row(x, system, r, r % 2)
            r -= 1
            if 0 <= r < ny:
                _relax_row(x, system, r, (r + 1) % 2)
        r = step - lag - 1
        if measure and 0 <= r < ny:
            _measure_row(x, system, r, stats, res)
