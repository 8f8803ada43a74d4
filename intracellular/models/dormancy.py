"""The default network: hypoxia → dormancy / senescence (14 species; docs/network.md §2).

The Yao et al. 2008 bistable Rb–E2F switch (docs/network.md §1a, parameters unchanged) is the G1/S
decision core. Its serum input S is replaced by drives from small upstream modules that read
the cell's environment:

- inputs ``u`` = (O2 [mmHg], GF [0–1 mitogen/niche], glc [0–1 glucose], SASP [normalised],
  DNA [DNA damage, normalised], mito [0–1 mitochondrial dysfunction]);
- HIF follows O2 (half-maximal at KH = 11 mmHg); ATP comes from oxidative phosphorylation
  (O2, scaled by the working share of mitochondria 1 − mito) plus HIF-boosted glycolysis (glc);
  the energy deficit e = 1 − ATP activates AMPK;
- mTORC1 needs GF and is inhibited by AMPK and HIF; ERK needs GF and is inhibited by p38;
  p38 follows HIF·e and SASP; p21 follows AMPK (more so with mitochondrial dysfunction: the
  AMPK–p53 arm of metabolic senescence), p38, SASP and DNA damage (the p53 arm of the
  DNA-damage response: therapy-induced senescence); p27 accumulates unless O2 lets
  it be degraded (Alarcón et al. 2004 form);
- Myc synthesis is driven by Smax·ERK and cyclin D synthesis by Smax·ERK·mTORC1·(1 − hD·HIF);
  p21 + p27 inhibit the cyclin D and E kinases in every Rb phosphorylation term; Rb synthesis
  is partly an E2F target (fRB0), which lets long-arrested cells re-enter the cycle.

Species (columns of ``y``, all activities/concentrations dimensionless):
``HIF, AMPK, mTORC1, ERK, p38, p21, p27, MC, EF, CD, CE, RB, RE, RP`` (MC Myc, EF E2F, CD/CE
cyclin D/E, RB free Rb, RE Rb–E2F complex, RP phospho-Rb). Time in hours.

Module contents besides ``NETWORK`` (see ``intracellular.network`` for ``rhs_reference``,
``rhs`` and ``jac``; the next two are its hooks ``energy`` and ``post_mitotic_reset``):

- ``atp(y, p, u) -> float``: compiled, ONE cell (1-D ``y``, ``p``, ``u``): the ATP supply
  ``min(1, aOX·(1 − mito)·O2/(Kox + O2) + aGLY·glc·(fGLY0 + (1 − fGLY0)·HIF))`` (dimensionless, 1 = demand
  met), the ATP its AMPK responds to (a host model may judge energy failure by a metabolism
  of its own). ``atp_reference`` is its NumPy
  twin over ``y`` of shape (..., 14) and ``u`` of shape (..., 6), returning shape (...).
- ``post_mitotic_reset(y, out)``: compiled, ONE cell: writes into ``out`` (shape (14,); may be
  ``y`` itself) the state of a daughter cell right after division (docs/network.md fate table):
  phospho-Rb is dephosphorylated (RB += RP, RP = 0), E2F and cyclin E drop to 5 % (EF × 0.05,
  CE × 0.05); every other species is inherited unchanged.
- ``y0``: the default initial state (float64, shape (14,)), a post-mitotic daughter of a cell
  cycling at 38 mmHg, GF 1, glc 1, SASP 0 (see the comment above it for how it was made).

Behaviour (design targets of docs/network.md §2, checked in tests/test_dormancy_network.py): G1
5.9 h at 38 mmHg, 8.1 h at 7.6, 13.8 h at 1.5, 66 h at 0.76; no commitment within 96 h at
≤ 0.38 mmHg (permanent at ≤ 0.2 mmHg; ~200 h G1 at 0.38) with mTORC1 ≈ 0.35 and p27 rising;
GF 0 arrests; SASP 1 gives G1 56 h with mTORC1 0.9; re-entry after reoxygenation slows with
the time arrested (16 h after 48 h at 0.1 mmHg, 18 h after 96 h, but 42 h after 96 h at
exactly 0 mmHg, where p27 accumulates without bound and the E2F pool decays).

Negative O2 (an undershoot of a field solver) is read as 0 so that the Hill functions stay
real and monotone.
"""
from __future__ import annotations

import numpy as np

from .._numba import jit
from ..network import Input, Network, Parameter, with_bounds
from .yao2008 import PARAMETERS as YAO_PARAMETERS

SPECIES = ("HIF", "AMPK", "mTORC1", "ERK", "p38", "p21", "p27",
           "MC", "EF", "CD", "CE", "RB", "RE", "RP")
# Columns of the state vector (compile-time constants inside the kernels).
iH, iA, iM, iE, iP, i21, i27, iMC, iEF, iCD, iCE, iRB, iRE, iRP = range(len(SPECIES))

_H = "h⁻¹"
_DIMLESS = "dimensionless"
_PHYSICELL = "PhysiCell documented HIF defaults (docs/network.md §2)"
_ALARCON = "Alarcón et al. 2004 form (docs/network.md §2)"


def _design(reason: str) -> str:
    return f"design choice (docs/network.md §2): {reason}"


PARAMETERS = with_bounds((
    # HIF: steady state 1/(1 + (O2/KH)^nH), relaxation at kH.
    Parameter("KH", 11.0, "mmHg", _PHYSICELL + ": HIF-1α half-maximal at ~1.5–2 % O2"),
    Parameter("nH", 3.0, _DIMLESS, _PHYSICELL + ": HIF near maximal at ~0.5 % O2"),
    Parameter("kH", 2.0, _H,
              _design("HIF-1α stabilises/degrades within ~30 min of an O2 change")),
    # ATP supply: oxidative phosphorylation + HIF-boosted glycolysis, capped at demand.
    Parameter("Kox", 1.0, "mmHg",
              _design("respiration half-saturated at ~1 mmHg (mitochondrial P50 < 1 mmHg)")),
    Parameter("aOX", 0.7, _DIMLESS,
              _design("share of ATP demand met by respiration at saturating O2")),
    Parameter("aGLY", 0.5, _DIMLESS,
              _design("share of ATP demand met by glycolysis at full glucose and HIF")),
    Parameter("fGLY0", 0.6, _DIMLESS,
              _design("glycolytic capacity without HIF (HIF adds the remaining 0.4)")),
    # AMPK (A): activated by the energy deficit e = 1 − ATP, inactivated basally and by mTORC1.
    Parameter("kA", 2.0, _H, _design("AMPK activation rate at full energy stress")),
    Parameter("KAe", 0.3, _DIMLESS, _design("AMPK switches on when ATP falls below ~70 % of demand")),
    Parameter("kAd", 0.2, _H, _design("basal AMPK inactivation")),
    Parameter("kAM", 1.0, _H, _design("mTORC1 ⊣ AMPK feedback (Holczer et al. 2019)")),
    # mTORC1 (M): needs GF; inhibited by AMPK and HIF (REDD1).
    Parameter("kMa", 5.0, _H, _design("mTORC1 activation by growth factor")),
    Parameter("kMd", 0.5, _H, _design("basal mTORC1 inactivation (mTORC1 ≈ 0.9 at GF 1, normoxia)")),
    Parameter("kMA", 10.0, _H, _design("AMPK ⊣ mTORC1 (TSC2/raptor)")),
    Parameter("kMH", 1.5, _H, _design("HIF ⊣ mTORC1 (REDD1); mTORC1 ≈ 0.35 in anoxic arrest")),
    # ERK (E): needs GF; inhibited by p38 (low ERK/p38 ratio of dormant cells).
    Parameter("kEa", 20.0, _H, _design("ERK activation by growth factor")),
    Parameter("KGF", 0.2, _DIMLESS, _design("ERK half-activation at 20 % of full mitogen")),
    Parameter("kEd", 1.0, _H, _design("basal ERK inactivation")),
    Parameter("kEP", 5.0, _H, _design("p38 ⊣ ERK (dormancy ERK/p38 balance)")),
    # p38 (P): basal, plus hypoxic energy stress (HIF·e) and SASP.
    Parameter("kPa", 0.5, _H, _design("p38 activation rate")),
    Parameter("kPd", 0.5, _H, _design("p38 inactivation rate")),
    Parameter("bP", 0.05, _DIMLESS, _design("basal p38 drive")),
    Parameter("sH", 1.0, _DIMLESS, _design("p38 drive by hypoxic energy stress HIF·e")),
    Parameter("sS", 1.0, _DIMLESS, _design("p38 drive per unit SASP")),
    # p21: basal, plus AMPK (p53), p38 and SASP.
    Parameter("k21", 0.5, _H, _design("p21 synthesis rate")),
    Parameter("d21", 1.0, _H, _design("p21 turnover (protein half-life ~40 min)")),
    Parameter("b21", 0.1, _DIMLESS, _design("basal p21 drive")),
    Parameter("a21A", 1.0, _DIMLESS, _design("p21 drive by AMPK (via p53)")),
    Parameter("a21P", 0.5, _DIMLESS, _design("p21 drive by p38")),
    Parameter("a21S", 1.0, _DIMLESS, _design("p21 drive per unit SASP (senescence reinforcement)")),
    Parameter("a21D", 1.0, _DIMLESS,
              _design("p21 drive per unit DNA damage (p53 → p21; docs/network.md §2 optional DNA-damage "
                      "arm): damage 1 acts like SASP 1, an arrest with active mTORC1")),
    Parameter("a21M", 3.0, _DIMLESS,
              _design("AMPK → p53 → p21 gain per unit mitochondrial dysfunction (MiDAS: Wiley et "
                      "al. 2016 Cell Metab 23:303, AMPK–p53 dependent): mito 0.5 arrests a "
                      "normoxic cell with low mTORC1; mito 0 leaves the calibration unchanged")),
    # p27: synthesis (HIF-raised) and O2-dependent degradation (Alarcón et al. 2004 form).
    Parameter("c1", 0.18, _H, _design("p27 synthesis; p27 ≈ 0.3 at 38 mmHg")),
    Parameter("c2", 0.6, _H, _ALARCON + ": 0.01 min⁻¹ × 60 min/h"),
    Parameter("B", 0.38, "mmHg", _ALARCON + ": 0.01 × a 38 mmHg supply"),
    Parameter("c27H", 0.3, _DIMLESS, _design("HIF raises p27 synthesis by up to 30 %")),
    # CDK inhibition by p21 + p27.
    Parameter("KID", 2.0, _DIMLESS, _design("cyclin D–CDK4/6 tolerates p21/p27 (assembly role)")),
    Parameter("KI", 0.5, _DIMLESS, _design("cyclin E–CDK2 is the CKI-sensitive kinase")),
    # Upstream → Yao drives.
    Parameter("Smax", 10.0, _DIMLESS, _design("serum-equivalent drive at full ERK (Yao's S scale)")),
    Parameter("hD", 0.3, _DIMLESS, _design("HIF represses cyclin D (Bedessem & Stéphanou 2014)")),
    Parameter("fRB0", 0.3, _DIMLESS, _design("E2F-independent share of Rb synthesis (Rb is an "
                                             "E2F target): lets cells re-enter after ~96 h arrest")),
    # Yao et al. 2008 Rb–E2F core, unchanged (the kernels unpack p in this order).
    *YAO_PARAMETERS,
), divisors=("KH", "Kox", "KAe", "KGF", "B", "KID", "KI"), fractions=("fGLY0", "hD", "fRB0"),
    hill=("nH",))

INPUTS = (
    Input("O2", 38.0, "mmHg", "local oxygen tension (38 mmHg ≈ 5 % O2)"),
    Input("GF", 1.0, _DIMLESS, "mitogen / niche signal, 0–1"),
    Input("glc", 1.0, _DIMLESS, "glucose availability, 0–1"),
    Input("SASP", 0.0, _DIMLESS, "local SASP signal, normalised (1 = strong paracrine senescence)"),
    Input("DNA", 0.0, _DIMLESS, "DNA damage, normalised (1 arrests like SASP 1, through p53 → p21)"),
    Input("mito", 0.0, _DIMLESS, "mitochondrial dysfunction, 0–1: the lost share of respiration "
                                 "(non-canonical metabolic senescence: AMPK–p53, Wiley et al. "
                                 "2016 Cell Metab 23:303)"),
)

# Default initial state: the post-mitotic daughter of a cell cycling at 38 mmHg, GF 1, glc 1,
# SASP 0, i.e. the fixed point of one generation: integrate rhs_reference (solve_ivp Radau,
# rtol 1e-10, atol 1e-12) until EF > 0.5 (commitment), 10 h more (S/G2/M), post_mitotic_reset.
# Iterated 30 times from Yao's initial state (RE 0.55, all else 0): successive daughters then
# agree to < 1e-12 (the Rb pool converges slowest, by a factor ~0.37 per generation).
# Regenerate with ``python -m intracellular.models.dormancy``. G1 from this state is 5.88 h.
y0 = np.array([
    2.368200985713e-02,  # HIF
    6.819992068488e-06,  # AMPK
    9.032458875786e-01,  # mTORC1
    9.307773181203e-01,  # ERK
    4.790276733265e-02,  # p38
    6.197910182920e-02,  # p21
    3.051526946960e-01,  # p27
    1.355742897457e+00,  # MC
    5.454838384076e-02,  # EF
    3.010536439947e-01,  # CD
    1.024262757026e-02,  # CE
    1.969134690913e+00,  # RB
    1.055758848322e+00,  # RE
    0.0,                 # RP
])


def rhs_reference(y, p, u):
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
    e = 1.0 - atp_reference(y, p, u)                         # energy deficit, 0–1
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


def atp_reference(y, p, u):
    """ATP supply (dimensionless, ≤ 1), shape (...), for ``y`` (..., 14), ``p`` (n_params,) and
    ``u`` (..., 6)."""
    Kox, aOX, aGLY, fGLY0 = p[3], p[4], p[5], p[6]
    HIF = np.asarray(y, dtype=np.float64)[..., 0]
    u = np.asarray(u, dtype=np.float64)
    O2 = np.maximum(u[..., 0], 0.0)
    glc, mito = u[..., 2], u[..., 5]
    return np.minimum(1.0, aOX * (1.0 - mito) * O2 / (Kox + O2)
                      + aGLY * glc * (fGLY0 + (1.0 - fGLY0) * HIF))


@jit
def atp(y, p, u):
    """ATP supply (dimensionless, ≤ 1) of ONE cell: ``y`` (14,), ``p`` (n_params,), ``u`` (6,)."""
    O2 = max(u[0], 0.0)
    supply = p[4] * (1.0 - u[5]) * O2 / (p[3] + O2) + p[5] * u[2] * (p[6] + (1.0 - p[6]) * y[0])
    return min(1.0, supply)


@jit
def post_mitotic_reset(y, out):
    """Daughter state after division for ONE cell (``y``, ``out`` of shape (14,); ``out`` may be
    ``y``): RB += RP, RP = 0, EF × 0.05, CE × 0.05, everything else inherited."""
    rb = y[iRB] + y[iRP]
    for i in range(y.shape[0]):
        out[i] = y[i]
    out[iRB] = rb
    out[iRP] = 0.0
    out[iEF] *= 0.05
    out[iCE] *= 0.05


@jit
def rhs(y, p, u, out):
    """dy/dt (h⁻¹) of ONE cell into ``out`` (14,); ``y`` (14,), ``p`` (n_params,), ``u`` (6,)."""
    (KH, nH, kH, Kox, aOX, aGLY, fGLY0, kA, KAe, kAd, kAM, kMa, kMd, kMA, kMH,
     kEa, KGF, kEd, kEP, kPa, kPd, bP, sH, sS, k21, d21, b21, a21A, a21P, a21S, a21D, a21M,
     c1, c2, B, c27H, KID, KI, Smax, hD, fRB0,
     KS, KMC, KEF, KD, KE, Kp, kM, kCDS, kEF, kb, kCE, kCD, kRB, kRBPP, kRBP, kRBP2, kRE,
     kRBUP, dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    HIF, A, M, E, P, p21, p27 = y[0], y[1], y[2], y[3], y[4], y[5], y[6]
    MC, EF, CD, CE, RB, RE, RP = y[7], y[8], y[9], y[10], y[11], y[12], y[13]
    O2 = max(u[0], 0.0)
    GF, glc, SASP, DNA, mito = u[1], u[2], u[3], u[4], u[5]
    ox = aOX * (1.0 - mito)

    e = 1.0 - min(1.0, ox * O2 / (Kox + O2) + aGLY * glc * (fGLY0 + (1.0 - fGLY0) * HIF))
    e4 = e * e * e * e
    r = O2 / KH
    # the default nH = 3 as products: a general power costs a third of this function
    out[0] = kH * (1.0 / (1.0 + (r * r * r if nH == 3.0 else r**nH)) - HIF)
    out[1] = kA * e4 / (KAe**4 + e4) * (1.0 - A) - (kAd + kAM * M) * A
    out[2] = kMa * GF * (1.0 - M) - (kMd + kMA * A + kMH * HIF) * M
    out[3] = kEa * GF / (KGF + GF) * (1.0 - E) - (kEd + kEP * P) * E
    out[4] = kPa * (bP + sH * HIF * e + sS * SASP) * (1.0 - P) - kPd * P
    out[5] = k21 * (b21 + a21A * (1.0 + a21M * mito) * A + a21P * P + a21S * SASP + a21D * DNA) - d21 * p21
    out[6] = c1 * (1.0 + c27H * HIF) - c2 * O2 / (B + O2) * p27

    SM = Smax * E
    SD = Smax * E * M * (1.0 - hD * HIF)
    CDa = CD * KID / (KID + p21 + p27)  # = CD/(1 + (p21 + p27)/KID), one division
    CEa = CE * KI / (KI + p21 + p27)
    myc = MC / (KMC + MC)
    e2f = EF / (KEF + EF)
    release = kRBPP * CDa * RE / (KD + RE) + kRBPP * CEa * RE / (KE + RE)
    phos = kRBP * CDa * RB / (KD + RB) + kRBP2 * CEa * RB / (KE + RB)
    bind = kRE * RB * EF
    dephos = kRBUP * RP / (Kp + RP)
    out[7] = kM * SM / (KS + SM) - dMC * MC
    out[8] = kEF * myc * e2f + kb * myc + release - bind - dEF * EF
    out[9] = kCDS * SD / (KS + SD) + kCD * myc - dCD * CD
    out[10] = kCE * e2f - dCE * CE
    out[11] = kRB * (fRB0 + (1.0 - fRB0) * e2f) - bind - phos + dephos - dRB * RB
    out[12] = -release + bind - dRE * RE
    out[13] = release + phos - dephos - dRP * RP


@jit
def jac(y, p, u, J):
    """Analytic Jacobian J[i, j] = ∂f_i/∂y_j (h⁻¹) of ONE cell into ``J`` (14, 14)."""
    (KH, nH, kH, Kox, aOX, aGLY, fGLY0, kA, KAe, kAd, kAM, kMa, kMd, kMA, kMH,
     kEa, KGF, kEd, kEP, kPa, kPd, bP, sH, sS, k21, d21, b21, a21A, a21P, a21S, a21D, a21M,
     c1, c2, B, c27H, KID, KI, Smax, hD, fRB0,
     KS, KMC, KEF, KD, KE, Kp, kM, kCDS, kEF, kb, kCE, kCD, kRB, kRBPP, kRBP, kRBP2, kRE,
     kRBUP, dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    HIF, A, M, E, P, p21, p27 = y[0], y[1], y[2], y[3], y[4], y[5], y[6]
    MC, EF, CD, CE, RB, RE, RP = y[7], y[8], y[9], y[10], y[11], y[12], y[13]
    O2 = max(u[0], 0.0)
    GF, glc, SASP, ox = u[1], u[2], u[3], aOX * (1.0 - u[5])
    J[:, :] = 0.0

    # Energy deficit e(HIF); its slope is 0 where ATP is capped at 1.
    supply = ox * O2 / (Kox + O2) + aGLY * glc * (fGLY0 + (1.0 - fGLY0) * HIF)
    if supply < 1.0:
        e = 1.0 - supply
        de_dH = -aGLY * glc * (1.0 - fGLY0)
    else:
        e = 0.0
        de_dH = 0.0
    e4 = e * e * e * e
    K4 = KAe**4
    rA = 1.0 / (K4 + e4)
    g = e4 * rA
    dg_de = 4.0 * e * e * e * K4 * rA * rA

    J[iH, iH] = -kH
    J[iA, iH] = kA * dg_de * de_dH * (1.0 - A)
    J[iA, iA] = -kA * g - kAd - kAM * M
    J[iA, iM] = -kAM * A
    J[iM, iH] = -kMH * M
    J[iM, iA] = -kMA * M
    J[iM, iM] = -kMa * GF - (kMd + kMA * A + kMH * HIF)
    J[iE, iE] = -kEa * GF / (KGF + GF) - kEd - kEP * P
    J[iE, iP] = -kEP * E
    drive_P = bP + sH * HIF * e + sS * SASP
    J[iP, iH] = kPa * sH * (e + HIF * de_dH) * (1.0 - P)
    J[iP, iP] = -kPa * drive_P - kPd
    J[i21, iA] = k21 * a21A * (1.0 + a21M * u[5])
    J[i21, iP] = k21 * a21P
    J[i21, i21] = -d21
    J[i27, iH] = c1 * c27H
    J[i27, i27] = -c2 * O2 / (B + O2)

    # Drives of the Yao core.
    SM = Smax * E
    rSM = 1.0 / (KS + SM)
    J[iMC, iE] = kM * KS * Smax * rSM * rSM
    J[iMC, iMC] = -dMC
    hyp = 1.0 - hD * HIF
    SD = Smax * E * M * hyp
    rSD = 1.0 / (KS + SD)
    dCDsyn = kCDS * KS * rSD * rSD                     # d[kCDS·SD/(KS+SD)]/dSD
    J[iCD, iH] = dCDsyn * Smax * E * M * (-hD)
    J[iCD, iM] = dCDsyn * Smax * E * hyp
    J[iCD, iE] = dCDsyn * Smax * M * hyp

    # CKI-inhibited kinases: CDa = CD/(1 + I/KID), CEa = CE/(1 + I/KI), I = p21 + p27.
    # Each denominator is inverted once (r…): divisions dominate the cost of this function.
    I = p21 + p27
    rD = 1.0 / (KID + I)
    rE = 1.0 / (KI + I)
    qD = KID * rD
    qE = KI * rE
    CDa = CD * qD
    CEa = CE * qE
    dCDa_dI = -CDa * rD
    dCEa_dI = -CEa * rE

    # Michaelis–Menten factors x/(K + x) and their slopes K/(K + x)².
    rD_RE = 1.0 / (KD + RE)
    rE_RE = 1.0 / (KE + RE)
    rD_RB = 1.0 / (KD + RB)
    rE_RB = 1.0 / (KE + RB)
    rMC = 1.0 / (KMC + MC)
    rEF = 1.0 / (KEF + EF)
    mD_RE = RE * rD_RE
    mE_RE = RE * rE_RE
    mD_RB = RB * rD_RB
    mE_RB = RB * rE_RB
    myc = MC * rMC
    dmyc = KMC * rMC * rMC
    e2f = EF * rEF
    de2f = KEF * rEF * rEF

    # release = kRBPP·CDa·mD_RE + kRBPP·CEa·mE_RE  (RE → RP + EF)
    rel_CD = kRBPP * qD * mD_RE
    rel_CE = kRBPP * qE * mE_RE
    rel_I = kRBPP * (dCDa_dI * mD_RE + dCEa_dI * mE_RE)
    rel_RE = kRBPP * (CDa * KD * rD_RE * rD_RE + CEa * KE * rE_RE * rE_RE)
    # phos = kRBP·CDa·mD_RB + kRBP2·CEa·mE_RB  (RB → RP)
    ph_CD = kRBP * qD * mD_RB
    ph_CE = kRBP2 * qE * mE_RB
    ph_I = kRBP * dCDa_dI * mD_RB + kRBP2 * dCEa_dI * mE_RB
    ph_RB = kRBP * CDa * KD * rD_RB * rD_RB + kRBP2 * CEa * KE * rE_RB * rE_RB
    # bind = kRE·RB·EF;  dephos = kRBUP·RP/(Kp + RP)
    bd_RB = kRE * EF
    bd_EF = kRE * RB
    rP = 1.0 / (Kp + RP)
    dp_RP = kRBUP * Kp * rP * rP

    # EF
    J[iEF, iMC] = (kEF * e2f + kb) * dmyc
    J[iEF, iEF] = kEF * myc * de2f - bd_EF - dEF
    J[iEF, iCD] = rel_CD
    J[iEF, iCE] = rel_CE
    J[iEF, i21] = rel_I
    J[iEF, i27] = rel_I
    J[iEF, iRE] = rel_RE
    J[iEF, iRB] = -bd_RB
    # CD
    J[iCD, iMC] = kCD * dmyc
    J[iCD, iCD] = -dCD
    # CE
    J[iCE, iEF] = kCE * de2f
    J[iCE, iCE] = -dCE
    # RB
    J[iRB, iEF] = kRB * (1.0 - fRB0) * de2f - bd_EF
    J[iRB, iRB] = -bd_RB - ph_RB - dRB
    J[iRB, iCD] = -ph_CD
    J[iRB, iCE] = -ph_CE
    J[iRB, i21] = -ph_I
    J[iRB, i27] = -ph_I
    J[iRB, iRP] = dp_RP
    # RE
    J[iRE, iRE] = -rel_RE - dRE
    J[iRE, iCD] = -rel_CD
    J[iRE, iCE] = -rel_CE
    J[iRE, i21] = -rel_I
    J[iRE, i27] = -rel_I
    J[iRE, iRB] = bd_RB
    J[iRE, iEF] = bd_EF
    # RP
    J[iRP, iRE] = rel_RE
    J[iRP, iRB] = ph_RB
    J[iRP, iCD] = rel_CD + ph_CD
    J[iRP, iCE] = rel_CE + ph_CE
    J[iRP, i21] = rel_I + ph_I
    J[iRP, i27] = rel_I + ph_I
    J[iRP, iRP] = -dp_RP - dRP


NETWORK = Network(
    name="dormancy",
    doc=__doc__.split("\n\n")[0],
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    y0=dict(zip(SPECIES, y0.tolist())),
    rhs_reference=rhs_reference,
    rhs=rhs,
    jac=jac,
    observables={"e2f": "EF", "mtorc1": "mTORC1", "ampk": "AMPK", "p21": "p21", "hif": "HIF",
                 "hif_half_mmHg": "KH"},  # what the fate layer reads (docs/network.md §2)
    hooks={"energy": atp, "post_mitotic_reset": post_mitotic_reset},
    presets={
        "default": {},
        # Calibrated to REF fibroblasts (G0/G1 60.8 % → 80.4 % after 48 h hypoxia: Schmaltz et
        # al. 1998, O2 not stated; evaluated at 1 % O2 = 7.6 mmHg). tests/test_hypoxia_switch.py
        # measures 0.582 at 38 mmHg → 0.799 at 7.6 (+0.217) → 1.000 at 1.52 (all dormant,
        # reversible); G1 9.6 h at 38 mmHg, 23.6 h when cycling steadily at 7.6 mmHg.
        "hypoxia_sensitive": {
            "Smax": 5.0,  # design choice: half the default mitogenic drive (slower normoxic G1)
            "fRB0": 1.0,  # design choice: Rb synthesis independent of E2F
            "KID": 1.25,  # design choice: p21/p27 inhibit cyclin D–CDK4/6 more (normoxic G1 ~10 h)
            "kMH": 4.2,   # stronger HIF ⊣ mTORC1 (REDD1: Brugarolas et al. 2004 Genes Dev 18:2893;
                          # strength a design choice): less cyclin D at 1 % O2, and mTORC1 < 0.6
                          # keeps the hypoxic arrest dormant, not senescent (Leontieva et al. 2012)
        },
    },
)


def _daughter(y, p, u):
    """The post-mitotic daughter of a cell starting G1 in state ``y`` (see the comment on y0)."""
    from scipy.integrate import solve_ivp  # only to regenerate y0: keep it off the import path

    def committed(t, y):
        return y[iEF] - 0.5
    committed.terminal, committed.direction = True, 1.0

    def fun(t, y):
        return rhs_reference(y, p, u)
    g1 = solve_ivp(fun, (0.0, 200.0), y, method="Radau", rtol=1e-10, atol=1e-12, events=committed)
    sg2m = solve_ivp(fun, (0.0, 10.0), g1.y[:, -1], method="Radau", rtol=1e-10, atol=1e-12)
    daughter = sg2m.y[:, -1].copy()
    post_mitotic_reset(daughter, daughter)
    return daughter


if __name__ == "__main__":
    y = NETWORK.state_vector({s: 0.0 for s in SPECIES} | {"RE": 0.55})
    for _ in range(30):
        y = _daughter(y, NETWORK.parameter_vector(), NETWORK.input_vector())
    print("\n".join(f"    {v:.12e},  # {s}" for s, v in zip(SPECIES, y)))
