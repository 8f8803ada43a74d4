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

The equations are written once, as strings (``DEFINITION``); ``NETWORK`` and every function
below are generated from them (:mod:`intracellular.codegen`). Module contents besides
``NETWORK`` (see ``intracellular.network`` for ``rhs_reference``, ``rhs`` and ``jac``; the next
two are its hooks ``energy`` and ``post_mitotic_reset``):

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

from ..compile import compile_network, generated_module
from ..definition import Definition
from ..network import Input, Parameter, with_bounds
from .yao2008 import PARAMETERS as YAO_PARAMETERS

SPECIES = ("HIF", "AMPK", "mTORC1", "ERK", "p38", "p21", "p27",
           "MC", "EF", "CD", "CE", "RB", "RE", "RP")

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


EXPRESSIONS = {
    # Upstream signalling. Negative O2 (a field solver's undershoot) is read as 0.
    "oxygen": "max(O2, 0.0)",
    "HIF_ss": "1.0/(1.0 + (oxygen/KH)**nH)",
    # ATP supply: respiration (working mitochondria) + HIF-boosted glycolysis, capped at demand.
    "ATP": "min(1.0, aOX*(1.0 - mito)*oxygen/(Kox + oxygen) + aGLY*glc*(fGLY0 + (1.0 - fGLY0)*HIF))",
    "e": "1.0 - ATP",  # energy deficit, 0–1
    # Drives of the Yao core (Yao's S/(KS+S) becomes SM/(KS+SM) for Myc, SD/(KS+SD) for CycD),
    # and the CKI-free kinase activities that phosphorylate Rb.
    "SM": "Smax*ERK",
    "SD": "Smax*ERK*mTORC1*(1.0 - hD*HIF)",
    "CDa": "CD/(1.0 + (p21 + p27)/KID)",
    "CEa": "CE/(1.0 + (p21 + p27)/KI)",
    # Yao et al. 2008 core fluxes.
    "myc": "MC/(KMC + MC)",
    "e2f": "EF/(KEF + EF)",
    "release": "kRBPP*CDa*RE/(KD + RE) + kRBPP*CEa*RE/(KE + RE)",  # RE → RP + EF
    "phos": "kRBP*CDa*RB/(KD + RB) + kRBP2*CEa*RB/(KE + RB)",      # RB → RP
    "bind": "kRE*RB*EF",                                           # RB + EF → RE
    "dephos": "kRBUP*RP/(Kp + RP)",                                # RP → RB
}

RATES = {
    "HIF": "kH*(HIF_ss - HIF)",
    "AMPK": "kA*e**4/(KAe**4 + e**4)*(1.0 - AMPK) - (kAd + kAM*mTORC1)*AMPK",
    "mTORC1": "kMa*GF*(1.0 - mTORC1) - (kMd + kMA*AMPK + kMH*HIF)*mTORC1",
    "ERK": "kEa*GF/(KGF + GF)*(1.0 - ERK) - (kEd + kEP*p38)*ERK",
    "p38": "kPa*(bP + sH*HIF*e + sS*SASP)*(1.0 - p38) - kPd*p38",
    "p21": "k21*(b21 + a21A*(1.0 + a21M*mito)*AMPK + a21P*p38 + a21S*SASP + a21D*DNA) - d21*p21",
    "p27": "c1*(1.0 + c27H*HIF) - c2*oxygen/(B + oxygen)*p27",
    "MC": "kM*SM/(KS + SM) - dMC*MC",
    "EF": "kEF*myc*e2f + kb*myc + release - bind - dEF*EF",
    "CD": "kCDS*SD/(KS + SD) + kCD*myc - dCD*CD",
    "CE": "kCE*e2f - dCE*CE",
    "RB": "kRB*(fRB0 + (1.0 - fRB0)*e2f) - bind - phos + dephos - dRB*RB",
    "RE": "-release + bind - dRE*RE",
    "RP": "release + phos - dephos - dRP*RP",
}

DEFINITION = Definition(
    name="dormancy",
    doc=__doc__.split("\n\n")[0],
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    rates=RATES,
    y0=dict(zip(SPECIES, y0.tolist())),
    expressions=EXPRESSIONS,
    observables={"e2f": "EF", "mtorc1": "mTORC1", "ampk": "AMPK", "p21": "p21", "hif": "HIF",
                 "hif_half_mmHg": "KH"},  # what the fate layer reads (docs/network.md §2)
    readouts={"energy": "ATP"},
    # the fate table of docs/network.md: phospho-Rb dephosphorylated, E2F and cyclin E at 5 %
    division_reset={"RB": "RB + RP", "RP": "0.0", "EF": "0.05*EF", "CE": "0.05*CE"},
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

NETWORK = compile_network(DEFINITION)
rhs_reference, rhs, jac = NETWORK.rhs_reference, NETWORK.rhs, NETWORK.jac
atp = NETWORK.hooks["energy"]
atp_reference = generated_module(DEFINITION).READOUT_REFERENCES["energy"]
post_mitotic_reset = NETWORK.hooks["post_mitotic_reset"]


def _daughter(y, p, u):
    """The post-mitotic daughter of a cell starting G1 in state ``y`` (see the comment on y0)."""
    from scipy.integrate import solve_ivp  # only to regenerate y0: keep it off the import path

    def committed(t, y):
        return y[SPECIES.index("EF")] - 0.5
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
