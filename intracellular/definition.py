"""A network written once, as equations: :class:`Definition` (and :class:`Event`).

A definition holds everything that makes a network, as data: named species, parameters
(values, units, sources, ranges), inputs, and the equations as expression strings. The
readable NumPy reference, the compiled one-cell ``rhs``, the analytic Jacobian, the event
function and the division reset are all generated from it (:mod:`intracellular.codegen`), so
the equations are written in exactly one place. SBML import (:mod:`intracellular.sbml`) and
the TOML network file (:mod:`intracellular.files`) produce definitions; SBML export reads one.

Expressions are strings in Python/SymPy syntax over the names of the species, parameters,
inputs and earlier :attr:`Definition.expressions`: ``+ - * / **``, numbers, and the
functions ``exp log sqrt abs min max floor ceiling sin cos tan`` (and the other SymPy
elementary functions), ``Piecewise((value, condition), ..., (otherwise, True))``, and in
conditions ``< <= > >= Eq Ne And Or Not``. Time is model time (:attr:`Definition.
time_unit_h` hours per unit): the networks are autonomous; a model that reads time carries
it as a species with rate 1 (the SBML importer does this for ``csymbol time``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .network import Input, Parameter


@dataclass(frozen=True)
class Event:
    """A discrete change of state: when ``trigger`` (a boolean expression) turns from false to
    true, every ``assignments`` target (a species) is set to its expression, all evaluated on
    the state just before the event (SBML semantics without delay or priority).

    ``initial_value``: the trigger's value just before time 0 (SBML ``initialValue``): with
    False, an event whose trigger holds at time 0 fires then."""

    trigger: str
    assignments: Mapping[str, str]
    initial_value: bool = True
    name: str = ""


@dataclass(frozen=True)
class Definition:
    """An intracellular ODE network as equations (module docstring)."""

    name: str
    doc: str
    species: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    inputs: tuple[Input, ...]
    rates: Mapping[str, str]
    """Species → dy/dt (species units per model time unit); a species absent here is constant
    (rate 0) except through events."""
    y0: Mapping[str, float]
    """Species → initial value (0 where absent)."""
    expressions: Mapping[str, str] = field(default_factory=dict)
    """Named intermediate quantities, in order; each may use the species, parameters, inputs
    and the expressions before it (SBML assignment rules; readable sub-terms)."""
    events: tuple[Event, ...] = ()
    time_unit_h: float = 1.0
    """Hours per model time unit (1.0: the rates are per hour)."""
    species_units: Mapping[str, str] = field(default_factory=dict)
    """Species → unit of its value (documentation; e.g. ``µM``)."""
    presets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Named parameter sets (as :attr:`intracellular.Network.presets`)."""
    observables: Mapping[str, str] = field(default_factory=dict)
    """Role → species or parameter name (as :attr:`intracellular.Network.observables`)."""
    division_reset: Mapping[str, str] = field(default_factory=dict)
    """Species → expression of the mother's state at division: a daughter's state right after
    it (species absent here are inherited unchanged). Generates the ``post_mitotic_reset``
    hook."""
    signed: tuple[str, ...] = ()
    """Species that may take negative values (a membrane potential, a parameter carried as
    state, time): the integrator's blow-up guard, which stops a run when a species goes
    negative beyond its error tolerance, does not watch them. Every other species is a
    non-negative amount or concentration."""
    readouts: Mapping[str, str] = field(default_factory=dict)
    """Hook role → name of an expression (or species) returned by a generated compiled
    ``f(y, p, u) -> float`` (e.g. ``"energy": "ATP"``)."""
