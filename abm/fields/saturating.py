"""Newton linearisation of a saturating (Michaelis–Menten) sink for the multigrid solver.

A field with Michaelis–Menten uptake obeys, per site,

    ∂C/∂t = D∇²C − K·C − V·C/(Km + C) + F,

(K: first-order uptake and decay, min⁻¹; V: the site's maximal uptake, conc/min; Km: the
half-saturation, conc). Cell respiration is of this kind with Km ≈ 0.5–1 mmHg, so above a few
mmHg it is close to zero order: O2 falls along a parabola and reaches zero at a finite depth,
where a first-order sink only decays exponentially (docs/fields.md).

:meth:`abm.fields.multigrid.FieldSolver.advance` solves the backward-Euler step of this
nonlinear system by Newton's method, each Newton step one linear multigrid solve: around the
current iterate C* ≥ 0 the sink is

    V·C/(Km + C) ≈ a·C + b,   a = V·Km/(Km + C*)²  (≥ 0),   b = V·C*²/(Km + C*)²  (≥ 0),

exact at C = C*, so the linear system keeps its M-matrix form (the extra a only strengthens
the diagonal: still unconditionally stable) and b moves to the right-hand side as a
constant sink. The right-hand side can then be negative (a site whose supply cannot meet b),
so an iterate may undershoot zero; it is clipped to 0 (the sink vanishes there) before the
next linearisation. The sink is concave in C, so the iteration approaches the solution from
above once an iterate is above it, and converges quadratically near it; the stopping test is
the solver's own residual test on the linearisation at the current iterate, which is the
residual of the nonlinear system itself.
"""
import numpy as np

from abm._numba import jit

MAX_NEWTON = 200
"""Newton steps allowed per solve before a NumericalError (design choice: a warm-started
time step needs 1–3, a steady state from a cold start ~10 at km/C ~ 1/40; a near zero-order
sink (km/C ~ 1e-6) needs ~70: the clipped front creeps one site per step)."""


FORCING = 0.1
"""Inexact Newton: each Newton step's linear solve stops once its residual is 10× below the
step's starting (nonlinear) residual, or meets the tolerance (design choice: the forcing term
of Eisenstat & Walker 1996 SIAM J Sci Comput 17:16 at its usual constant; convergence stays
superlinear and the final step, which needs no V-cycle, checks the full tolerance).
Measured on bench_fields --saturating: fewer V-cycles per advance than exact solves."""


BAD_VMAX, BAD_UPTAKE, NEG_SOURCE = 1, 2, 3
"""Codes of :func:`newton_rhs` for the first offending free site."""


@jit
def newton_rhs(C, inv_dt, source, has_source, vmax, uptake, mask, rhs):
    """rhs = C_old/dt (+ source) in one pass that also checks, at the free sites (``mask``
    False), what the Newton solves cannot see (they take uptake + a and a signed source):
    returns (0, -1, -1), or a code (:data:`BAD_VMAX`: vmax not finite or < 0;
    :data:`BAD_UPTAKE`: uptake not finite or < 0; :data:`NEG_SOURCE`) and the first such
    site (j, i) in row-major order."""
    ny, nx = C.shape
    for j in range(ny):
        for i in range(nx):
            value = C[j, i] * inv_dt
            if has_source:
                value += source[j, i]
            rhs[j, i] = value
            if mask[j, i]:
                continue
            v, k = vmax[j, i], uptake[j, i]
            if not (v >= 0.0 and v < np.inf):
                return BAD_VMAX, j, i
            if not (k >= 0.0 and k < np.inf):
                return BAD_UPTAKE, j, i
            if has_source and source[j, i] < 0.0:
                return NEG_SOURCE, j, i
    return 0, -1, -1


@jit
def linearise(C, uptake, vmax, km, rhs, K, F):
    """Write the Newton linearisation at C into K (= uptake + a) and F (= rhs − b), float64
    ``[ny, nx]`` each; negative C (an undershoot before clipping) is read as 0."""
    ny, nx = C.shape
    for j in range(ny):
        for i in range(nx):
            c = C[j, i]
            c = c if c > 0.0 else 0.0
            t = 1.0 / (km + c)
            v = vmax[j, i] * t * t
            K[j, i] = uptake[j, i] + v * km
            F[j, i] = rhs[j, i] - v * c * c


@jit
def clip_negative(C):
    """C = max(C, 0) in place; returns whether any site was negative."""
    ny, nx = C.shape
    clipped = False
    for j in range(ny):
        for i in range(nx):
            if C[j, i] < 0.0:
                C[j, i] = 0.0
                clipped = True
    return clipped
