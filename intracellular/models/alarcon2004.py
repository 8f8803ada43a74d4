"""Alarcón, Byrne & Maini 2004, oxygen → p27 control of the G1/S transition, normal cells
(J Theor Biol 229:395; ``docs/network.md`` §1b).

Species (dimensionless): x (Cdh1–APC), y (cyclin–CDK), z (p27), m (cell mass), u
(unphosphorylated Rb). Input O2: oxygen normalised to 1 at the supply, i.e. the local pO2
divided by the supply (vessel) pO2, so 1 = normoxia and 0 = anoxia. Equations as published,
with time in minutes:

    dx/dt = (1 + b3·u)(1 − x)/(J3 + 1 − x) − b4·m·x·y/(J4 + x)
    dy/dt = a4 − (a1 + a2·x + a3·z)·y
    dz/dt = c1·(1 − m/m*) − c2·O2·z/(B + O2)
    dm/dt = η·m·(1 − m/m*)
    du/dt = d1 − (d2 + d1·y)·u

Time unit: the paper's rates are per minute; the functions below return each right-hand side
multiplied by 60 (as Chaste's ``Alarcon2004OxygenBasedCellCycleOdeSystem`` does) so that time
is in HOURS like every other network. The parameters keep their published per-minute values.

Variant: the normal-cell p27 equation, whose synthesis c1·(1 − m/m*) falls as the cell grows.
The paper's cancer-cell variant (constant synthesis, other constants) is not shipped: its
constants are doubtful (docs/network.md §1b).

G1 exit (division) is an event the caller tests: x < 0.004 and y > 0.2. Growth of m drives it
(b4·m·x·y inactivates Cdh1, which frees cyclin–CDK). Oxygen acts through p27 only: its
degradation c2·O2/(B + O2) is slower under hypoxia, so p27 builds up, holds cyclin–CDK down
and delays the event; at O2 = 0 p27 is not degraded at all, so it accumulates up to
(c1/η)·ln(m*/m0) (6.93 from m0 = m*/2) while the mass saturates at m*, and the cell arrests in
G1. At division Chaste restarts all five species from the initial state, so m returns to
m*/2, which is half the mother's mass (m ≈ m* at the event). Measured from y0 with the
published parameters (``tests/test_alarcon2004.py``): the event at 9.29 h for O2 = 1, 9.75 h
for 0.1, 14.5 h for 0.01, 66.5 h for 0.001, never for O2 = 0.
"""
from __future__ import annotations

from ..compile import compile_network
from ..definition import Definition
from ..network import Input, Parameter, with_bounds

SPECIES = ("x", "y", "z", "m", "u")

MINUTES_PER_HOUR = 60.0
"""Factor on every right-hand side: the published rates are per minute, network time is hours."""

X_THRESHOLD = 0.004
"""G1 exit needs Cdh1–APC below this (and cyclin–CDK above :data:`Y_THRESHOLD`)."""
Y_THRESHOLD = 0.2
"""G1 exit needs cyclin–CDK above this (and Cdh1–APC below :data:`X_THRESHOLD`)."""

_SOURCE = ("Alarcón, Byrne & Maini 2004 J Theor Biol 229:395 (docs/network.md §1b); "
           "per minute as published, RHS ×60 for hours")
_PER_MIN = "min⁻¹ (RHS ×60 → h⁻¹)"
_DIMLESS = "dimensionless"
PARAMETERS = with_bounds(tuple(Parameter(name, value, unit, _SOURCE) for name, value, unit in (
    # cyclin–CDK: synthesis a4, degradation basal (a1), by Cdh1–APC (a2), p27 inhibition (a3)
    ("a1", 0.05, _PER_MIN), ("a2", 1.0, _PER_MIN), ("a3", 0.25, _PER_MIN), ("a4", 0.04, _PER_MIN),
    # Cdh1–APC: activation boosted by Rb (b3, multiplies u), inactivation by cyclin–CDK (b4)
    ("b3", 10.0, _DIMLESS), ("b4", 5.5, _PER_MIN),
    # p27: mass-dependent synthesis (c1), oxygen-dependent degradation (c2)
    ("c1", 0.1, _PER_MIN), ("c2", 0.01, _PER_MIN),
    # Rb: synthesis/phosphorylation (d1), dephosphorylated-form turnover (d2)
    ("d1", 0.01, _PER_MIN), ("d2", 0.1, _PER_MIN),
    # Michaelis constants of Cdh1–APC (de)activation
    ("J3", 0.04, _DIMLESS), ("J4", 0.04, _DIMLESS),
    # logistic growth of the mass: rate and maximum
    ("eta", 0.01, _PER_MIN), ("m_star", 10.0, _DIMLESS),
    # O2 at which p27 degradation is half-maximal (normalised O2)
    ("B", 0.01, _DIMLESS),
)), divisors=("J3", "J4", "m_star", "B"))

INPUTS = (Input("O2", 1.0, "dimensionless (pO2 / supply pO2)",
                "oxygen normalised to 1 at the supply (local pO2 divided by the vessel pO2): "
                "1 = normoxia; hypoxia slows p27 degradation and delays G1 exit; 0 arrests"),)


_PER_HOUR = f"{MINUTES_PER_HOUR!r}*"  # the published per-minute right-hand sides, ×60

DEFINITION = Definition(
    name="alarcon2004",
    doc=__doc__,
    species=SPECIES,
    parameters=PARAMETERS,
    inputs=INPUTS,
    expressions={"growth": "1.0 - m/m_star"},  # vanishes as the mass saturates
    rates={
        "x": _PER_HOUR + "((1.0 + b3*u)*(1.0 - x)/(J3 + 1.0 - x) - b4*m*x*y/(J4 + x))",
        "y": _PER_HOUR + "(a4 - (a1 + a2*x + a3*z)*y)",
        "z": _PER_HOUR + "(c1*growth - c2*O2*z/(B + O2))",
        "m": _PER_HOUR + "(eta*m*growth)",
        "u": _PER_HOUR + "(d1 - (d2 + d1*y)*u)",
    },
    y0={"x": 0.9, "y": 0.01, "z": 0.0, "m": 5.0, "u": 1.0},  # m = m*/2
)

NETWORK = compile_network(DEFINITION)
rhs_reference, rhs, jac = NETWORK.rhs_reference, NETWORK.rhs, NETWORK.jac
