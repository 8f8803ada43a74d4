"""What SBML core cannot say about a network, kept in our own annotation; and the model's time unit.

- :func:`read_metadata` / :func:`write_metadata`: a JSON object in an ``<abm:definition>``
  annotation (namespace :data:`NAMESPACE`) of the model: the network's name and doc, which
  parameters are inputs (with unit and doc), each parameter's unit, source and range,
  species units, presets, observables, division reset, readouts, the id of the container
  compartment and the exact ``time_unit_h``. Other tools ignore it; :func:`read_sbml`
  restores the Definition from it, so export → import gives an equal Definition.
- :func:`time_unit_h`: hours per model time unit from the model's declared time unit.
"""
from __future__ import annotations

import json
from xml.sax.saxutils import escape

import libsbml

NAMESPACE = "urn:abm:intracellular:definition:1"
"""XML namespace of our annotation (design choice: a URN; it names, it does not resolve)."""
_TAG = "definition"
_SECONDS_PER_HOUR = 3600.0


def read_metadata(model) -> dict:
    """The JSON object of our annotation on ``model`` ({} if it has none)."""
    annotation = model.getAnnotation()
    for i in range(annotation.getNumChildren() if annotation is not None else 0):
        node = annotation.getChild(i)
        if node.getURI() == NAMESPACE and node.getName() == _TAG:
            text = "".join(node.getChild(j).getCharacters() for j in range(node.getNumChildren()))
            return json.loads(text)
    return {}


def write_metadata(model, meta: dict) -> None:
    """Append our annotation with ``meta`` (a JSON-able dict) to ``model``."""
    text = escape(json.dumps(meta, ensure_ascii=False, sort_keys=False))
    status = model.appendAnnotation(f'<abm:{_TAG} xmlns:abm="{NAMESPACE}">{text}</abm:{_TAG}>')
    if status != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsbml refused the annotation (status {status})")


def time_unit_h(model, meta: dict, refuse) -> float:
    """Hours per model time unit: from L3 ``timeUnits`` or the L2 unit definition ``time``
    (product of (multiplier·10^scale)^exponent of its units, which must amount to seconds);
    1.0 when none is declared (the importer then takes the rates as per hour, as written).
    Our annotation's exact value wins when it agrees with the declared unit to 1e-12.
    ``refuse(kind, id, why)`` raises the importer's error (it names the file)."""
    if model.getLevel() > 2:
        unit_id = model.getTimeUnits() if model.isSetTimeUnits() else ""
    else:
        unit_id = "time" if model.getUnitDefinition("time") is not None else ""
    if not unit_id:
        hours = 1.0
    elif unit_id == "second":
        hours = 1.0 / _SECONDS_PER_HOUR
    else:
        hours = _definition_hours(model.getUnitDefinition(unit_id), unit_id, refuse)
    exact = meta.get("time_unit_h")
    return float(exact) if exact is not None and abs(exact - hours) <= 1e-12 * hours else hours


def _definition_hours(definition, unit_id: str, refuse) -> float:
    if definition is None:
        refuse("model timeUnits", unit_id, "no such unit definition")
    seconds, exponent = 1.0, 0.0
    for unit in definition.getListOfUnits():
        kind = libsbml.UnitKind_toString(unit.getKind())
        if kind not in ("second", "dimensionless"):
            refuse("unitDefinition", unit_id, f"a time unit made of {kind!r}; the time unit "
                   "must be a multiple of seconds")
        e = unit.getExponentAsDouble()
        seconds *= (unit.getMultiplier() * 10.0 ** unit.getScale()) ** e
        exponent += e if kind == "second" else 0.0
    if exponent != 1.0:
        refuse("unitDefinition", unit_id, f"seconds to the power {exponent:g}; the time unit "
               "must be a multiple of seconds")
    return seconds / _SECONDS_PER_HOUR
