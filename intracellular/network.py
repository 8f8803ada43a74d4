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
collects. Parameters are positional in ``p`` (the order of ``Network.parameters``), so kernels
never look names up; :meth:`Network.parameter_vector` turns a preset plus overrides into ``p``.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """One rate constant or threshold: name, default value, unit and where the value comes from."""

    name: str
    value: float
    unit: str
    source: str


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

    def parameter_vector(self, preset: str | None = None,
                         overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Parameter vector ``p`` (float64, in ``parameters`` order): defaults, then the preset,
        then the overrides. Unknown names raise a ValueError with a suggestion."""
        values = {p.name: float(p.value) for p in self.parameters}
        if preset is not None:
            if preset not in self.presets:
                options = ", ".join(sorted(self.presets)) or "none"
                raise ValueError(f"network {self.name!r} has no preset {preset!r}; presets: {options}")
            values.update(self.presets[preset])
        for name, value in (overrides or {}).items():
            values[self._check(name, values, "parameter")] = float(value)
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
