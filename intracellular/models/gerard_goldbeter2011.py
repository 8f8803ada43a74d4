"""Gérard & Goldbeter 2011, skeleton model of the mammalian Cdk network
(Interface Focus 1:24; BioModels BIOMD0000000941; ``docs/network.md`` §1c).

Species (µM): Md (cyclin D/Cdk4–6), E2F (free E2F), Me (cyclin E/Cdk2), Ma (cyclin A/Cdk2),
Mb (cyclin B/Cdk1), Cdc20 (active Cdc20). Input GF (growth factor, µM like Kgf). Time in
hours, as published. Equations:

    dMd/dt    = vsd·GF/(Kgf+GF) − Vdd·Md/(Kdd+Md)
    dE2F/dt   = V1e2f·(E2Ftot−E2F)/(K1e2f+E2Ftot−E2F)·(Md+Me) − V2e2f·E2F/(K2e2f+E2F)·Ma
    dMe/dt    = vse·E2F − Vde·Ma·Me/(Kde+Me)
    dMa/dt    = vsa·E2F − Vda·Cdc20·Ma/(Kda+Ma)
    dMb/dt    = vsb·Ma − Vdb·Cdc20·Mb/(Kdb+Mb)
    dCdc20/dt = V1cdc20·Mb·(Cdc20tot−Cdc20)/(K1cdc20+Cdc20tot−Cdc20) − V2cdc20·Cdc20/(K2cdc20+Cdc20)

Md depends on GF only, so it settles to a GF-set level and gates the rest: Md (with Me)
activates E2F, E2F drives the synthesis of cyclins E and A, Ma drives Mb, Mb activates Cdc20,
and Cdc20 degrades Ma and Mb (the negative feedback closing the loop; Ma also inactivates
E2F and degrades Me). Published behaviour: GF switches a stable steady state (quiescence)
into sustained oscillations (proliferation) through a Hopf bifurcation, and the Cdk
complexes peak in sequence D → E → A → B. Measured with the published parameters
(``tests/test_gerard_goldbeter2011.py``): the Hopf point at GF ≈ 0.00165; at GF = 1 the
oscillation of Mb has a period of 23.6 h and an amplitude of ≈ 3 µM; after a GF step from
the all-zero state Md rises first, then Me, Ma and Mb peak in that order.
"""
from __future__ import annotations

from ..compile import compile_network
from ..definition import Definition
from ..network import Input, Parameter, with_bounds

SPECIES = ("Md", "E2F", "Me", "Ma", "Mb", "Cdc20")

_SOURCE = "Gérard & Goldbeter 2011 Interface Focus 1:24, BIOMD0000000941 (docs/network.md §1c)"
_UM = "µM"
_UM_H = "µM·h⁻¹"
_H = "h⁻¹"
PARAMETERS = with_bounds(tuple(Parameter(name, value, unit, _SOURCE) for name, value, unit in (
    # cyclin D/Cdk4–6: GF-driven synthesis, saturable degradation
    ("vsd", 0.175, _UM_H), ("Vdd", 0.245, _UM_H), ("Kdd", 0.1, _UM), ("Kgf", 0.1, _UM),
    # E2F: activation by Md + Me, inactivation by Ma; total E2F
    ("V1e2f", 0.805, _H), ("V2e2f", 0.7, _H),
    ("K1e2f", 0.01, _UM), ("K2e2f", 0.01, _UM), ("E2Ftot", 3.0, _UM),
    # cyclin E/Cdk2: E2F-driven synthesis, degradation by Ma
    ("vse", 0.21, _H), ("Vde", 0.35, _H), ("Kde", 0.1, _UM),
    # cyclin A/Cdk2: E2F-driven synthesis, degradation by Cdc20
    ("vsa", 0.175, _H), ("Vda", 0.245, _H), ("Kda", 0.1, _UM),
    # cyclin B/Cdk1: Ma-driven synthesis, degradation by Cdc20
    ("vsb", 0.21, _H), ("Vdb", 0.28, _H), ("Kdb", 0.005, _UM),
    # Cdc20: activation by Mb, inactivation; total Cdc20
    ("V1cdc20", 0.21, _H), ("V2cdc20", 0.35, _UM_H),
    ("K1cdc20", 1.0, _UM), ("K2cdc20", 1.0, _UM), ("Cdc20tot", 5.0, _UM),
)), divisors=("Kdd", "Kgf", "K1e2f", "K2e2f", "Kde", "Kda", "Kdb", "K1cdc20",
                "K2cdc20"))

INPUTS = (Input("GF", 1.0, _UM,
                "growth factor; above the Hopf point (≈ 0.00165 with the published parameters) "
                "the network oscillates with a period of about a day (23.6 h at GF = 1)"),)


DEFINITION = Definition(
    name="gerard_goldbeter2011",
    doc=__doc__,
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    # conserved totals: free + inactivated
    expressions={"inactive_e2f": "E2Ftot - E2F", "inactive_cdc20": "Cdc20tot - Cdc20"},
    rates={
        "Md": "vsd*GF/(Kgf + GF) - Vdd*Md/(Kdd + Md)",
        "E2F": "V1e2f*inactive_e2f/(K1e2f + inactive_e2f)*(Md + Me) - V2e2f*E2F/(K2e2f + E2F)*Ma",
        "Me": "vse*E2F - Vde*Ma*Me/(Kde + Me)",
        "Ma": "vsa*E2F - Vda*Cdc20*Ma/(Kda + Ma)",
        "Mb": "vsb*Ma - Vdb*Cdc20*Mb/(Kdb + Mb)",
        "Cdc20": "V1cdc20*Mb*inactive_cdc20/(K1cdc20 + inactive_cdc20) "
                 "- V2cdc20*Cdc20/(K2cdc20 + Cdc20)",
    },
    y0={"Md": 0.7205, "E2F": 2.4855, "Me": 2.0, "Ma": 2.6, "Mb": 1.0, "Cdc20": 0.5},
)

NETWORK = compile_network(DEFINITION)
rhs_reference, rhs, jac = NETWORK.rhs_reference, NETWORK.rhs, NETWORK.jac
