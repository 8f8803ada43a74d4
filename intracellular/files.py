"""The network file: a :class:`~intracellular.definition.Definition` as TOML.

:func:`load_definition` reads one (every key checked: one message naming the file, the key,
the value and what is allowed), :func:`save_definition` writes one (tomli-w; save → load
gives an equal Definition), :func:`load_network` compiles it. The format, with an example,
is in docs/network_definitions.md: top-level ``name``, ``doc``, ``time_unit_h``, ``species``;
arrays of tables ``[[parameters]]``, ``[[inputs]]``, ``[[events]]``; tables ``[rates]``,
``[expressions]`` (in order), ``[y0]``, ``[species_units]``, ``[presets.NAME]``,
``[observables]``, ``[division_reset]``, ``[readouts]``.
"""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

from .definition import Definition, Event
from .network import PARAMETER_CEILING, Input, Network, Parameter

_TOP = {"name": str, "doc": str, "time_unit_h": float, "species": list, "parameters": list,
        "inputs": list, "rates": dict, "y0": dict, "expressions": dict, "events": list,
        "species_units": dict, "presets": dict, "observables": dict, "division_reset": dict,
        "readouts": dict, "signed": list}
_REQUIRED = ("name", "species", "rates")
_PARAMETER = {"name": str, "value": float, "unit": str, "source": str, "low": float,
              "high": float}
_INPUT = {"name": str, "default": float, "unit": str, "doc": str}
_EVENT = {"trigger": str, "assignments": dict, "initial_value": bool, "name": str}


class NetworkFileError(ValueError):
    """A bad network file (the message names the file, the key, the value, what is allowed)."""


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, value, allowed: str):
        raise NetworkFileError(f"network file {str(self.path)!r}: {key} = {value!r}: {allowed}")

    def value(self, key: str, value, kind):
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(key, value, "must be a number")
            return float(value)
        if not isinstance(value, kind):
            self.fail(key, value, f"must be a {_KIND[kind]}")
        return value

    def table(self, key: str, table, fields: dict, required=()) -> dict:
        if not isinstance(table, dict):
            self.fail(key, table, "must be a table")
        for name in table:
            if name not in fields:
                self.fail(f"{key}.{name}" if key else name, table[name],
                          f"unknown key; allowed: {', '.join(fields)}")
        for name in required:
            if name not in table:
                self.fail(f"{key}.{name}" if key else name, None, "is required")
        return {name: self.value(f"{key}.{name}" if key else name, v, fields[name])
                for name, v in table.items()}

    def names(self, key: str, names, allowed) -> list[str]:
        """``names`` (an array, or a table's keys) checked against ``allowed`` (species)."""
        if not isinstance(names, (list, dict)):
            self.fail(key, names, "must be an array of species names")
        for name in names:
            if name not in allowed:
                self.fail(key, name, f"is not a species; species: {', '.join(allowed)}")
        return [str(name) for name in names]

    def strings(self, key: str, table, kind=str) -> dict:
        if not isinstance(table, dict):
            self.fail(key, table, "must be a table")
        return {str(k): self.value(f"{key}.{k}", v, kind) for k, v in table.items()}


_KIND = {str: "string", list: "array", dict: "table", bool: "boolean (true/false)"}


def load_definition(path) -> Definition:
    """The :class:`Definition` in the TOML network file ``path``."""
    path = Path(path)
    check = _Checker(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise NetworkFileError(f"network file {str(path)!r}: cannot be read "
                               f"({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise NetworkFileError(f"network file {str(path)!r}: not valid TOML ({exc})") from None
    top = check.table("", data, _TOP, _REQUIRED)
    species = tuple(check.value(f"species[{i}]", s, str) for i, s in enumerate(top["species"]))
    for key in ("rates", "y0", "species_units", "division_reset"):  # tables keyed by species
        check.names(key, top.get(key, {}), species)
    parameters = []
    for i, entry in enumerate(top.get("parameters", [])):
        p = check.table(f"parameters[{i}]", entry, _PARAMETER, ("name", "value"))
        parameters.append(Parameter(p["name"], p["value"], p.get("unit", ""),
                                    p.get("source", ""), p.get("low", 0.0),
                                    p.get("high", PARAMETER_CEILING)))
        problem = parameters[-1].problem(parameters[-1].value)
        if problem:
            check.fail(f"parameters[{i}].value", p["value"], problem)
    inputs = []
    for i, entry in enumerate(top.get("inputs", [])):
        q = check.table(f"inputs[{i}]", entry, _INPUT, ("name", "default"))
        inputs.append(Input(q["name"], q["default"], q.get("unit", ""), q.get("doc", "")))
    events = []
    for i, entry in enumerate(top.get("events", [])):
        e = check.table(f"events[{i}]", entry, _EVENT, ("trigger", "assignments"))
        events.append(Event(e["trigger"], check.strings(f"events[{i}].assignments",
                                                        e["assignments"]),
                            e.get("initial_value", True), e.get("name", "")))
    presets = {}
    for name, table in top.get("presets", {}).items():
        presets[name] = check.strings(f"presets.{name}", table, float)
    unit = top.get("time_unit_h", 1.0)
    if not (math.isfinite(unit) and unit > 0):
        check.fail("time_unit_h", unit, "must be a finite number of hours > 0")
    return Definition(
        name=top["name"], doc=top.get("doc", ""), species=species,
        parameters=tuple(parameters), inputs=tuple(inputs),
        rates=check.strings("rates", top["rates"]), y0=check.strings("y0", top.get("y0", {}), float),
        expressions=check.strings("expressions", top.get("expressions", {})),
        events=tuple(events), time_unit_h=unit,
        species_units=check.strings("species_units", top.get("species_units", {})),
        presets=presets, observables=check.strings("observables", top.get("observables", {})),
        division_reset=check.strings("division_reset", top.get("division_reset", {})),
        readouts=check.strings("readouts", top.get("readouts", {})),
        signed=tuple(check.names("signed", top.get("signed", []), species)))


def save_definition(definition: Definition, path) -> None:
    """Write ``definition`` to ``path`` as a TOML network file."""
    import tomli_w  # only for writing: loading needs the standard library alone
    d = definition
    data = {"name": d.name, "doc": d.doc, "time_unit_h": float(d.time_unit_h),
            "species": list(d.species),
            "parameters": [{"name": p.name, "value": float(p.value), "unit": p.unit,
                            "source": p.source, "low": float(p.low), "high": float(p.high)}
                           for p in d.parameters],
            "inputs": [{"name": i.name, "default": float(i.default), "unit": i.unit,
                        "doc": i.doc} for i in d.inputs],
            "expressions": dict(d.expressions), "rates": dict(d.rates),
            "y0": {k: float(v) for k, v in d.y0.items()},
            "events": [{"trigger": e.trigger, "assignments": dict(e.assignments),
                        "initial_value": bool(e.initial_value), "name": e.name}
                       for e in d.events],
            "species_units": dict(d.species_units),
            "presets": {k: {n: float(v) for n, v in t.items()} for k, t in d.presets.items()},
            "observables": dict(d.observables), "division_reset": dict(d.division_reset),
            "readouts": dict(d.readouts), "signed": list(d.signed)}
    Path(path).write_text(tomli_w.dumps(data), encoding="utf-8")


def load_network(path) -> Network:
    """The compiled network of the TOML network file ``path``."""
    from .compile import compile_network
    try:
        return compile_network(load_definition(path))
    except NetworkFileError:
        raise
    except ValueError as exc:  # an expression or name the generator refuses: name the file
        raise NetworkFileError(f"network file {str(path)!r}: {exc}") from None
