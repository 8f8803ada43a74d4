"""What a network is: named species, parameters (units, sources), inputs, and two right-hand sides.

A network module (``intracellular/models/<name>.py``) defines, for an autonomous ODE
system dy/dt = f(y; p, u) with time in hours:

- ``rhs_reference(y, p, u)``: a readable NumPy function; ``y`` has shape ``(..., n_species)``,
  ``p`` a mapping-free vector ``(n_params,)`` and ``u`` ``(..., n_inputs)``; returns dy/dt of
  ``y``'s shape. It is the documentation of the equations and the reference for tests.
- ``rhs(y, p, u, out)``: the compiled twin for ONE cell (1-D arrays), writing dy/dt into
  ``out``; an agreement test checks it against ``rhs_reference``.
- ``jac(y, p, u, J)``: the analytic Jacobian ∂f/∂y (``J[i, j] = ∂f_i/∂y_j``), compiled, for
  the implicit integrator; a test checks it against finite differences of ``rhs``.

and a ``NETWORK = Network(...)`` object that the registry in ``intracellular/__init__.py``
collects. A network that drives cells also declares what a cell model may read and call
(:attr:`Network.observables`, :attr:`Network.hooks`), so that the model never imports the
network's module. Parameters are positional in ``p`` (the order of ``Network.parameters``), so kernels
never look names up; :meth:`Network.parameter_vector` turns a preset plus overrides into ``p``.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np


PARAMETER_CEILING = 1e6
"""Largest value of any network parameter (design choice): the shipped values lie within
0.003–180, so this is four decades above the largest; it keeps rates × concentrations, the
Jacobian and the integrator's W = I + γh·J far from float overflow, so an override cannot
turn a network into inf/NaN (``kMd = 1e300`` would)."""
MIN_DIVISOR = 1e-6
"""Smallest value of a parameter that divides (half-saturation and Michaelis constants, the
m* of a logistic growth; design choice): the smallest shipped one is 0.005, and at 1e-6 even
K⁴ (the AMPK switch) stays a normal float, so K/(K + x) never becomes 0/0 at x = 0."""
HILL_RANGE = (0.5, 10.0)
"""Allowed Hill exponents (design choice): cooperative binding gives ~1–4; 10 bounds
(O2/K)ⁿ below overflow for every allowed O2 and K."""


@dataclass(frozen=True)
class Parameter:
    """One rate constant or threshold: name, default value, unit and where the value comes
    from, and its allowed range [low, high] (by default: non-negative up to
    :data:`PARAMETER_CEILING`; rates, gains and thresholds of these networks are never
    negative: a negative degradation rate makes a species grow without bound)."""

    name: str
    value: float
    unit: str
    source: str
    low: float = 0.0
    high: float = PARAMETER_CEILING

    def allowed(self) -> str:
        """The allowed values, for messages: ``a value in [low, high] unit``."""
        unit = f" {self.unit}" if self.unit and self.unit != "dimensionless" else ""
        return f"a finite value in [{self.low:g}, {self.high:g}]{unit}"

    def problem(self, value: float) -> str | None:
        """What is wrong with ``value`` for this parameter, or None."""
        if not (math.isfinite(value) and self.low <= value <= self.high):
            return f"must be {self.allowed()}"
        return None


def with_bounds(parameters: tuple[Parameter, ...], *, divisors=(), fractions=(),
                hill=()) -> tuple[Parameter, ...]:
    """``parameters`` with the ranges of their roles: ``divisors`` (names) in
    [:data:`MIN_DIVISOR`, ceiling], ``fractions`` in [0, 1] (shares whose complement is
    used, e.g. 1 − hD·HIF), ``hill`` exponents in :data:`HILL_RANGE`; others keep the
    default range. Unknown names raise (a typo would silently drop a bound)."""
    roles = {**{n: (MIN_DIVISOR, PARAMETER_CEILING) for n in divisors},
             **{n: (0.0, 1.0) for n in fractions}, **{n: HILL_RANGE for n in hill}}
    names = {p.name for p in parameters}
    unknown = set(roles) - names
    if unknown:
        raise ValueError(f"with_bounds: no parameters {sorted(unknown)}")
    out = tuple(dataclasses.replace(p, low=roles[p.name][0], high=roles[p.name][1])
                if p.name in roles else p for p in parameters)
    for p in out:  # the shipped values must lie in their own ranges
        if p.problem(p.value):
            raise ValueError(f"default {p.name} = {p.value!r}: {p.problem(p.value)}")
    return out


class ParameterRangeError(ValueError):
    """Network parameters outside their allowed ranges: ``network`` and ``problems``, a list
    of ``(name, value, allowed, origin)`` (``allowed`` as text, ``origin`` "override" or
    "preset 'NAME'")."""

    def __init__(self, network: str, problems: list[tuple[str, float, str, str]]):
        self.network, self.problems = network, problems
        super().__init__(f"network {network!r}: " + "; ".join(
            f"parameter {name} = {value!r} ({origin}): must be {allowed}"
            for name, value, allowed, origin in problems))


@dataclass(frozen=True)
class Input:
    """An external signal held constant over an integration step (O2, GF, glucose, SASP, ...)."""

    name: str
    default: float
    unit: str
    doc: str


@dataclass(frozen=True)
class Network:
    """An intracellular ODE network (see the module docstring for the function contracts)."""

    name: str
    doc: str
    species: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    inputs: tuple[Input, ...]
    y0: Mapping[str, float]
    rhs_reference: Callable
    rhs: Callable
    jac: Callable
    presets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Named parameter sets (e.g. per cell line): name → {parameter: value} applied on the defaults."""
    observables: Mapping[str, str] = field(default_factory=dict)
    """Role → name of the species (a state readout, e.g. ``"e2f": "EF"``) or parameter (a
    constant, e.g. ``"hif_half_mmHg": "KH"``) that plays it, for a cell model that reads
    roles rather than this network's names (:meth:`species_for`, :meth:`parameter_for`)."""
    hooks: Mapping[str, Callable] = field(default_factory=dict)
    """Role → compiled function of ONE cell that a cell model calls, e.g. ``"energy"``:
    ``f(y, p, u) -> float`` the ATP supply (dimensionless, 1 = demand met), and
    ``"post_mitotic_reset"``: ``f(y, out)`` writes a daughter's state right after division
    into ``out`` (which may be ``y``); 1-D contiguous float64 arrays as in :attr:`rhs`."""
    events: Callable | None = None
    """Compiled ``events(y_start, y, p, u, apply) -> bool`` for ONE cell (1-D contiguous
    float64 arrays; ``apply`` a bool), or None (no events): True if some event's trigger is
    false at ``y_start`` (the state at the start of a step) and true at ``y`` (its end); with
    ``apply``, those events also fire, in definition order, each setting its targets in ``y``
    in place from the state before it fired."""
    time_unit_h: float = 1.0
    """Hours per model time unit: ``rhs`` gives change per model time unit; the integrator
    takes hours and converts (1.0 for networks written per hour)."""
    signed: tuple[str, ...] = ()
    """Species that may go negative (:attr:`intracellular.definition.Definition.signed`): the
    integrator's non-negativity guard skips them."""
    definition: object = None
    """The :class:`intracellular.definition.Definition` the network was generated from (None
    for a hand-written network); SBML export and content hashing read it."""

    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    def index(self, species: str) -> int:
        """Column of ``species`` in the state vector."""
        return self.species.index(self._check(species, self.species, "species"))

    def species_for(self, role: str) -> int:
        """Column of the species that plays observable ``role``."""
        return self.index(self.observables[self._check(role, self.observables, "observable")])

    def parameter_for(self, role: str) -> int:
        """Position in ``p`` of the parameter that plays observable ``role``."""
        name = self.observables[self._check(role, self.observables, "observable")]
        return self.parameter_names.index(self._check(name, self.parameter_names, "parameter"))

    def parameter_vector(self, preset: str | None = None,
                         overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Parameter vector ``p`` (float64, in ``parameters`` order): defaults, then the preset,
        then the overrides. Unknown names raise a ValueError with a suggestion; a value
        outside its parameter's range (:meth:`Parameter.problem`) raises a
        :class:`ParameterRangeError`."""
        values = {p.name: float(p.value) for p in self.parameters}
        origin = dict.fromkeys(values, "default")
        if preset is not None:
            if preset not in self.presets:
                options = ", ".join(sorted(self.presets)) or "none"
                raise ValueError(f"network {self.name!r} has no preset {preset!r}; presets: {options}")
            for name, value in self.presets[preset].items():
                values[self._check(name, values, "parameter")] = float(value)
                origin[name] = f"preset {preset!r}"
        for name, value in (overrides or {}).items():
            values[self._check(name, values, "parameter")] = float(value)
            origin[name] = "override"
        problems = [(p.name, values[p.name], p.allowed(), origin[p.name])
                    for p in self.parameters if p.problem(values[p.name])]
        if problems:
            raise ParameterRangeError(self.name, problems)
        return np.array([values[p.name] for p in self.parameters], dtype=np.float64)

    def input_vector(self, inputs: Mapping[str, float] | None = None) -> np.ndarray:
        """Input vector ``u`` (float64, in ``inputs`` order): defaults overridden by ``inputs``."""
        values = {i.name: float(i.default) for i in self.inputs}
        for name, value in (inputs or {}).items():
            values[self._check(name, values, "input")] = float(value)
        return np.array([values[i.name] for i in self.inputs], dtype=np.float64)

    def state_vector(self, y0: Mapping[str, float] | None = None) -> np.ndarray:
        """State vector (float64, in ``species`` order): the published initial state, then ``y0``."""
        values = {s: float(self.y0.get(s, 0.0)) for s in self.species}
        for name, value in (y0 or {}).items():
            values[self._check(name, values, "species")] = float(value)
        return np.array([values[s] for s in self.species], dtype=np.float64)

    def _check(self, name: str, known, what: str) -> str:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
            raise ValueError(f"network {self.name!r} has no {what} {name!r}{hint}")
        return name
