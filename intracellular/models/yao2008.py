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

import numpy as np

from .._numba import jit
from ..network import Input, Network, Parameter, with_bounds

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


def rhs_reference(y, p, u):
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


@jit
def rhs(y, p, u, out):
    """Compiled dy/dt for one cell: ``y`` [7], ``p`` [25], ``u`` [1] → ``out`` [7] (h⁻¹)."""
    (KS, KMC, KEF, KD, KE, Kp, kM, kCDS, kEF, kb, kCE, kCD, kRB, kRBPP, kRBP, kRBP2, kRE, kRBUP,
     dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    MC, EF, CD, CE, RB, RE, RP = y[0], y[1], y[2], y[3], y[4], y[5], y[6]
    serum = u[0] / (KS + u[0])
    myc = MC / (KMC + MC)
    e2f = EF / (KEF + EF)
    release = kRBPP * CD * RE / (KD + RE) + kRBPP * CE * RE / (KE + RE)
    binding = kRE * RB * EF
    phospho = kRBP * CD * RB / (KD + RB) + kRBP2 * CE * RB / (KE + RB)
    dephospho = kRBUP * RP / (Kp + RP)
    out[0] = kM * serum - dMC * MC
    out[1] = kEF * myc * e2f + kb * myc + release - binding - dEF * EF
    out[2] = kCDS * serum + kCD * myc - dCD * CD
    out[3] = kCE * e2f - dCE * CE
    out[4] = kRB - binding - phospho + dephospho - dRB * RB
    out[5] = -release + binding - dRE * RE
    out[6] = release + phospho - dephospho - dRP * RP


@jit
def jac(y, p, u, J):
    """Analytic Jacobian ``J[i, j] = ∂f_i/∂y_j`` (h⁻¹) for one cell, written into ``J`` [7, 7]."""
    # the serum terms and the constant Rb synthesis do not depend on y
    (_KS, KMC, KEF, KD, KE, Kp, _kM, _kCDS, kEF, kb, kCE, kCD, _kRB, kRBPP, kRBP, kRBP2, kRE, kRBUP,
     dMC, dEF, dCE, dCD, dRB, dRP, dRE) = p
    MC, EF, CD, CE, RB, RE, RP = y[0], y[1], y[2], y[3], y[4], y[5], y[6]
    myc, dmyc = MC / (KMC + MC), KMC / (KMC + MC) ** 2           # saturation and its slope
    e2f, de2f = EF / (KEF + EF), KEF / (KEF + EF) ** 2
    reD, dreD = RE / (KD + RE), KD / (KD + RE) ** 2
    reE, dreE = RE / (KE + RE), KE / (KE + RE) ** 2
    rbD, drbD = RB / (KD + RB), KD / (KD + RB) ** 2
    rbE, drbE = RB / (KE + RB), KE / (KE + RB) ** 2
    drp = Kp / (Kp + RP) ** 2
    release_RE = kRBPP * (CD * dreD + CE * dreE)                 # ∂release/∂RE
    phospho_RB = kRBP * CD * drbD + kRBP2 * CE * drbE            # ∂phospho/∂RB
    J[:, :] = 0.0
    J[0, 0] = -dMC
    J[1, 0] = (kEF * e2f + kb) * dmyc
    J[1, 1] = kEF * myc * de2f - kRE * RB - dEF
    J[1, 2] = kRBPP * reD
    J[1, 3] = kRBPP * reE
    J[1, 4] = -kRE * EF
    J[1, 5] = release_RE
    J[2, 0] = kCD * dmyc
    J[2, 2] = -dCD
    J[3, 1] = kCE * de2f
    J[3, 3] = -dCE
    J[4, 1] = -kRE * RB
    J[4, 2] = -kRBP * rbD
    J[4, 3] = -kRBP2 * rbE
    J[4, 4] = -kRE * EF - phospho_RB - dRB
    J[4, 6] = kRBUP * drp
    J[5, 1] = kRE * RB
    J[5, 2] = -kRBPP * reD
    J[5, 3] = -kRBPP * reE
    J[5, 4] = kRE * EF
    J[5, 5] = -release_RE - dRE
    J[6, 2] = kRBPP * reD + kRBP * rbD
    J[6, 3] = kRBPP * reE + kRBP2 * rbE
    J[6, 4] = phospho_RB
    J[6, 5] = release_RE
    J[6, 6] = -kRBUP * drp - dRP


NETWORK = Network(
    name="yao2008",
    doc=__doc__,
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    y0={"RE": 0.55},
    rhs_reference=rhs_reference,
    rhs=rhs,
    jac=jac,
)
