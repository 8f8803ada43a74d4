"""Independent oracle for the generated networks: the hand-written NumPy right-hand sides
(and the dormancy network's ATP supply and division reset) that the four shipped networks
had before they were written as definitions, kept verbatim as the truth the generated code
is tested against (tests/intracellular/test_ported_networks.py). Parameters are positional in
each network's ``PARAMETERS`` order."""
from __future__ import annotations

import numpy as np

MINUTES_PER_HOUR = 60.0
"""Alarcón et al. 2004 rates are per minute; the network's time is hours."""

def yao2008(y, p, u):
    """dy/dt (h⁻¹) of states ``y`` [..., 7] with parameters ``p`` [25] and inputs ``u`` [..., 1]."""
    (KS, KMC, KEF, KD, KE, Kp, kM, kCDS, kEF, kb, kCE, kCD, kRB, kRBPP, kRBP, kRBP2, kRE, kRBUP,
     dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    MC, EF, CD, CE, RB, RE, RP = np.moveaxis(np.asarray(y, dtype=np.float64), -1, 0)
    S = np.asarray(u, dtype=np.float64)[..., 0]

    serum = S / (KS + S)
    myc = MC / (KMC + MC)
    e2f = EF / (KEF + EF)
    release = kRBPP * CD * RE / (KD + RE) + kRBPP * CE * RE / (KE + RE)  # RE → RP + EF
    binding = kRE * RB * EF                                                # RB + EF → RE
    phospho = kRBP * CD * RB / (KD + RB) + kRBP2 * CE * RB / (KE + RB)     # RB → RP
    dephospho = kRBUP * RP / (Kp + RP)                                     # RP → RB

    return np.stack([
        kM * serum - dMC * MC,
        kEF * myc * e2f + kb * myc + release - binding - dEF * EF,
        kCDS * serum + kCD * myc - dCD * CD,
        kCE * e2f - dCE * CE,
        kRB - binding - phospho + dephospho - dRB * RB,
        -release + binding - dRE * RE,
        release + phospho - dephospho - dRP * RP,
    ], axis=-1)


def alarcon2004(y, p, u):
    """dy/dt (h⁻¹) of states ``y`` [..., 5] with parameters ``p`` [15] and inputs ``u`` [..., 1]:
    the published per-minute right-hand side times 60."""
    a1, a2, a3, a4, b3, b4, c1, c2, d1, d2, J3, J4, eta, m_star, B = p
    x, cdk, z, m, rb = np.moveaxis(np.asarray(y, dtype=np.float64), -1, 0)
    O2 = np.asarray(u, dtype=np.float64)[..., 0]

    growth = 1.0 - m / m_star                      # vanishes as the mass saturates
    per_minute = np.stack(np.broadcast_arrays(
        (1.0 + b3 * rb) * (1.0 - x) / (J3 + 1.0 - x) - b4 * m * x * cdk / (J4 + x),
        a4 - (a1 + a2 * x + a3 * z) * cdk,
        c1 * growth - c2 * O2 * z / (B + O2),
        eta * m * growth,
        d1 - (d2 + d1 * cdk) * rb,
    ), axis=-1)
    return MINUTES_PER_HOUR * per_minute


def gerard_goldbeter2011(y, p, u):
    """dy/dt (µM·h⁻¹) of ``y`` [..., 6] with parameters ``p`` [23] and inputs ``u`` [..., 1]."""
    (vsd, Vdd, Kdd, Kgf, V1e2f, V2e2f, K1e2f, K2e2f, E2Ftot, vse, Vde, Kde, vsa, Vda, Kda,
     vsb, Vdb, Kdb, V1cdc20, V2cdc20, K1cdc20, K2cdc20, Cdc20tot) = p
    Md, E2F, Me, Ma, Mb, Cdc20 = np.moveaxis(np.asarray(y, dtype=np.float64), -1, 0)
    GF = np.asarray(u, dtype=np.float64)[..., 0]

    inactive_e2f = E2Ftot - E2F                     # conserved total: free + inactivated
    inactive_cdc20 = Cdc20tot - Cdc20
    return np.stack(np.broadcast_arrays(
        vsd * GF / (Kgf + GF) - Vdd * Md / (Kdd + Md),
        V1e2f * inactive_e2f / (K1e2f + inactive_e2f) * (Md + Me)
        - V2e2f * E2F / (K2e2f + E2F) * Ma,
        vse * E2F - Vde * Ma * Me / (Kde + Me),
        vsa * E2F - Vda * Cdc20 * Ma / (Kda + Ma),
        vsb * Ma - Vdb * Cdc20 * Mb / (Kdb + Mb),
        V1cdc20 * Mb * inactive_cdc20 / (K1cdc20 + inactive_cdc20)
        - V2cdc20 * Cdc20 / (K2cdc20 + Cdc20),
    ), axis=-1)


def dormancy(y, p, u):
    """dy/dt (h⁻¹), shape (..., 14), for states ``y`` (..., 14), parameters ``p`` (n_params,)
    and inputs ``u`` (..., 6)."""
    (KH, nH, kH, Kox, aOX, aGLY, fGLY0, kA, KAe, kAd, kAM, kMa, kMd, kMA, kMH,
     kEa, KGF, kEd, kEP, kPa, kPd, bP, sH, sS, k21, d21, b21, a21A, a21P, a21S, a21D, a21M,
     c1, c2, B, c27H, KID, KI, Smax, hD, fRB0,
     KS, KMC, KEF, KD, KE, Kp, kM, kCDS, kEF, kb, kCE, kCD, kRB, kRBPP, kRBP, kRBP2, kRE,
     kRBUP, dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    y = np.asarray(y, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    HIF, A, M, E, P, p21, p27, MC, EF, CD, CE, RB, RE, RP = np.moveaxis(y, -1, 0)
    O2, GF, glc, SASP, DNA, mito = np.moveaxis(u, -1, 0)
    O2 = np.maximum(O2, 0.0)

    # Upstream signalling.
    HIF_ss = 1.0 / (1.0 + (O2 / KH) ** nH)
    e = 1.0 - dormancy_atp(y, p, u)                         # energy deficit, 0–1
    dHIF = kH * (HIF_ss - HIF)
    dA = kA * e**4 / (KAe**4 + e**4) * (1.0 - A) - (kAd + kAM * M) * A
    dM = kMa * GF * (1.0 - M) - (kMd + kMA * A + kMH * HIF) * M
    dE = kEa * GF / (KGF + GF) * (1.0 - E) - (kEd + kEP * P) * E
    dP = kPa * (bP + sH * HIF * e + sS * SASP) * (1.0 - P) - kPd * P
    dp21 = k21 * (b21 + a21A * (1.0 + a21M * mito) * A + a21P * P + a21S * SASP + a21D * DNA) - d21 * p21
    dp27 = c1 * (1.0 + c27H * HIF) - c2 * O2 / (B + O2) * p27

    # Drives of the Yao core (Yao's S/(KS+S) becomes SM/(KS+SM) for Myc, SD/(KS+SD) for CycD),
    # and the CKI-free kinase activities that phosphorylate Rb.
    SM = Smax * E
    SD = Smax * E * M * (1.0 - hD * HIF)
    CDa = CD / (1.0 + (p21 + p27) / KID)
    CEa = CE / (1.0 + (p21 + p27) / KI)

    # Yao et al. 2008 core fluxes.
    myc = MC / (KMC + MC)
    e2f = EF / (KEF + EF)
    release = kRBPP * CDa * RE / (KD + RE) + kRBPP * CEa * RE / (KE + RE)   # RE → RP + EF
    phos = kRBP * CDa * RB / (KD + RB) + kRBP2 * CEa * RB / (KE + RB)      # RB → RP
    bind = kRE * RB * EF                                                   # RB + EF → RE
    dephos = kRBUP * RP / (Kp + RP)                                        # RP → RB
    dMC = kM * SM / (KS + SM) - dMC * MC
    dEF = kEF * myc * e2f + kb * myc + release - bind - dEF * EF
    dCD = kCDS * SD / (KS + SD) + kCD * myc - dCD * CD
    dCE = kCE * e2f - dCE * CE
    dRB = kRB * (fRB0 + (1.0 - fRB0) * e2f) - bind - phos + dephos - dRB * RB
    dRE = -release + bind - dRE * RE
    dRP = release + phos - dephos - dRP * RP
    return np.stack([dHIF, dA, dM, dE, dP, dp21, dp27, dMC, dEF, dCD, dCE, dRB, dRE, dRP], axis=-1)


def dormancy_atp(y, p, u):
    """ATP supply (dimensionless, ≤ 1), shape (...), for ``y`` (..., 14), ``p`` (n_params,) and
    ``u`` (..., 6)."""
    Kox, aOX, aGLY, fGLY0 = p[3], p[4], p[5], p[6]
    HIF = np.asarray(y, dtype=np.float64)[..., 0]
    u = np.asarray(u, dtype=np.float64)
    O2 = np.maximum(u[..., 0], 0.0)
    glc, mito = u[..., 2], u[..., 5]
    return np.minimum(1.0, aOX * (1.0 - mito) * O2 / (Kox + O2)
                      + aGLY * glc * (fGLY0 + (1.0 - fGLY0) * HIF))


def dormancy_reset(y):
    """A daughter's state right after division (``y`` (..., 14) → a new array): RB += RP,
    RP = 0, EF × 0.05, CE × 0.05 (columns 11, 13, 8, 10)."""
    out = np.array(y, dtype=np.float64)
    out[..., 11] += out[..., 13]
    out[..., 13] = 0.0
    out[..., 8] *= 0.05
    out[..., 10] *= 0.05
    return out
