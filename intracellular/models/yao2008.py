"""Yao et al. 2008, the bistable Rb–E2F switch (Nat Cell Biol 10:476; BioModels BIOMD0000000318).

Species (dimensionless concentrations): MC (Myc), EF (free E2F), CD (cyclin D/Cdk4,6),
CE (cyclin E/Cdk2), RB (hypophosphorylated Rb), RE (Rb–E2F complex), RP (phospho-Rb).
Input S (serum / mitogen, dimensionless). Time in hours. Equations, parameters and the initial
state (all 0 except RE 0.55) as in ``docs/network.md`` §1a:

    dMC/dt = kM·S/(KS+S) − dMC·MC
    dEF/dt = kEF·MC/(KMC+MC)·EF/(KEF+EF) + kb·MC/(KMC+MC)
             + kRBPP·CD·RE/(KD+RE) + kRBPP·CE·RE/(KE+RE) − kRE·RB·EF − dEF·EF
    dCD/dt = kCDS·S/(KS+S) + kCD·MC/(KMC+MC) − dCD·CD
    dCE/dt = kCE·EF/(KEF+EF) − dCE·CE
    dRB/dt = kRB − kRE·RB·EF − kRBP·CD·RB/(KD+RB) − kRBP2·CE·RB/(KE+RB)
             + kRBUP·RP/(Kp+RP) − dRB·RB
    dRE/dt = −kRBPP·CD·RE/(KD+RE) − kRBPP·CE·RE/(KE+RE) + kRE·RB·EF − dRE·RE
    dRP/dt = kRBPP·CD·RE/(KD+RE) + kRBPP·CE·RE/(KE+RE) + kRBP·CD·RB/(KD+RB) + kRBP2·CE·RB/(KE+RB)
             − kRBUP·RP/(Kp+RP) − dRP·RP

Behaviour (computed in ``tests/test_yao2008.py``): a bistable, hysteretic E2F switch in S,
the restriction point. A starved cell (steady state at low S: a large Rb pool) switches E2F on
only above S ≈ 1.05, slowly near that threshold (~1400 h at S = 1.06, ~100 h at S = 2.1);
once on, E2F stays on down to S ≈ 0.2. The default input S = 1 lies inside the bistable range:
the published initial state (Rb all in the Rb–E2F complex, no free Rb) switches E2F on within
~20 h, a starved cell stays off. The Rb–E2F binding term kRE·RB·EF reaches ~500 h⁻¹, so the
system is stiff.
"""
from __future__ import annotations

from ..compile import compile_network
from ..definition import Definition
from ..network import Input, Parameter, with_bounds

SPECIES = ("MC", "EF", "CD", "CE", "RB", "RE", "RP")

_SOURCE = "Yao et al. 2008 (docs/network.md §1a)"
_H = "h⁻¹"
_DIMLESS = "dimensionless"
PARAMETERS = with_bounds(tuple(Parameter(name, value, unit, _SOURCE) for name, value, unit in (
    # Michaelis constants (dimensionless concentrations)
    ("KS", 0.5, _DIMLESS), ("KMC", 0.15, _DIMLESS), ("KEF", 0.15, _DIMLESS),
    ("KD", 0.92, _DIMLESS), ("KE", 0.92, _DIMLESS), ("Kp", 0.01, _DIMLESS),
    # synthesis rates
    ("kM", 1.0, _H), ("kCDS", 0.45, _H), ("kEF", 0.4, _H), ("kb", 0.003, _H),
    ("kCE", 0.35, _H), ("kCD", 0.03, _H), ("kRB", 0.18, _H),
    # (de)phosphorylation and Rb–E2F binding
    ("kRBPP", 18.0, _H), ("kRBP", 18.0, _H), ("kRBP2", 18.0, _H), ("kRE", 180.0, _H),
    ("kRBUP", 3.6, _H),
    # degradation
    ("dMC", 0.7, _H), ("dEF", 0.25, _H), ("dCE", 1.5, _H), ("dCD", 1.5, _H),
    ("dRB", 0.06, _H), ("dRP", 0.06, _H), ("dRE", 0.03, _H),
)), divisors=("KS", "KMC", "KEF", "KD", "KE", "Kp"))

INPUTS = (Input("S", 1.0, _DIMLESS,
                "serum / mitogen level; bistable for 0.2 ≲ S ≲ 1.05 (see the module docstring)"),)


EXPRESSIONS = {
    "serum": "S/(KS + S)",
    "myc": "MC/(KMC + MC)",
    "e2f": "EF/(KEF + EF)",
    "release": "kRBPP*CD*RE/(KD + RE) + kRBPP*CE*RE/(KE + RE)",  # RE → RP + EF
    "binding": "kRE*RB*EF",                                        # RB + EF → RE
    "phospho": "kRBP*CD*RB/(KD + RB) + kRBP2*CE*RB/(KE + RB)",     # RB → RP
    "dephospho": "kRBUP*RP/(Kp + RP)",                             # RP → RB
}

DEFINITION = Definition(
    name="yao2008",
    doc=__doc__,
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    expressions=EXPRESSIONS,
    rates={
        "MC": "kM*serum - dMC*MC",
        "EF": "kEF*myc*e2f + kb*myc + release - binding - dEF*EF",
        "CD": "kCDS*serum + kCD*myc - dCD*CD",
        "CE": "kCE*e2f - dCE*CE",
        "RB": "kRB - binding - phospho + dephospho - dRB*RB",
        "RE": "-release + binding - dRE*RE",
        "RP": "release + phospho - dephospho - dRP*RP",
    },
    y0={"RE": 0.55},
)

NETWORK = compile_network(DEFINITION)
rhs_reference, rhs, jac = NETWORK.rhs_reference, NETWORK.rhs, NETWORK.jac
