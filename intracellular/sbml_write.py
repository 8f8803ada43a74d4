"""A network's :class:`~intracellular.definition.Definition` → an SBML Level 3 Version 2 core file: :func:`save_sbml`.

The document: one compartment of size 1 holding every species (so a concentration equals an
amount and no rate is rescaled), each species with its ``initialConcentration`` and its rate
as a rate rule, the parameters and the inputs as constant parameters, the expressions as
assignment rules on non-constant parameters, the events with their triggers
(``initialValue``, ``persistent="true"``) and assignments, and the model's time unit as a
unit definition in seconds. What SBML core cannot say (inputs, units, sources and ranges of
parameters, presets, observables, division reset, readouts) goes into our annotation
(:mod:`intracellular.sbml_meta`), so :func:`~intracellular.sbml_read.read_sbml` gives back an
equal Definition.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import libsbml

from .sbml_math import free_name, to_ast
from .sbml_meta import write_metadata

LEVEL, VERSION = 3, 2
_TIME_UNIT = "model_time"


def save_sbml(network, path, *, overwrite: bool = False) -> Path:
    """Write ``network`` (a :class:`~intracellular.Network` generated from a Definition, or a
    Definition) to ``path`` as SBML L3V2 core; returns the path.
    Refuses a network without a definition (hand-written) and an existing file unless
    ``overwrite``. The file appears whole or not at all (a temporary file renamed)."""
    definition = getattr(network, "definition", network)
    if definition is None or not hasattr(definition, "rates"):
        raise ValueError(f"network {getattr(network, 'name', network)!r} has no definition "
                         "(a hand-written network): only a network generated from a "
                         "Definition can be exported to SBML")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    text = sbml_string(definition)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def sbml_string(definition) -> str:
    """The SBML document of ``definition`` (the text :func:`save_sbml` writes)."""
    doc = libsbml.SBMLDocument(LEVEL, VERSION)
    model = doc.createModel()
    model.setId(definition.name if libsbml.SyntaxChecker.isValidSBMLSId(definition.name)
                else "network")
    model.setName(definition.name)
    names = (set(definition.species) | set(definition.expressions)
             | {p.name for p in definition.parameters} | {i.name for i in definition.inputs})
    container = free_name("compartment", names)
    _time_unit(model, definition.time_unit_h)
    _check(model.createCompartment(), id=container, size=1.0, constant=True,
           spatialDimensions=3)
    for name in definition.species:
        _check(model.createSpecies(), id=name, compartment=container,
               initialConcentration=float(definition.y0.get(name, 0.0)),
               hasOnlySubstanceUnits=False, boundaryCondition=False, constant=False)
    for p in definition.parameters:
        _check(model.createParameter(), id=p.name, value=float(p.value), constant=True)
    for i in definition.inputs:
        _check(model.createParameter(), id=i.name, value=float(i.default), constant=True)
    for name in definition.expressions:
        _check(model.createParameter(), id=name, constant=False)
    for name, text in definition.expressions.items():
        _check(model.createAssignmentRule(), variable=name, math=to_ast(text))
    for name, text in definition.rates.items():
        _check(model.createRateRule(), variable=name, math=to_ast(text))
    for event in definition.events:
        _event(model, event)
    write_metadata(model, _metadata(definition, container))
    return libsbml.writeSBMLToString(doc)


def _metadata(definition, container: str) -> dict:
    return {
        "name": definition.name, "doc": definition.doc, "container": container,
        "time_unit_h": float(definition.time_unit_h),
        # exact values: libsbml writes attributes with 15 significant digits
        "values": {**{s: float(definition.y0.get(s, 0.0)) for s in definition.species},
                   **{p.name: float(p.value) for p in definition.parameters},
                   **{i.name: float(i.default) for i in definition.inputs}},
        "parameters": {p.name: {"unit": p.unit, "source": p.source, "low": p.low,
                                "high": p.high} for p in definition.parameters},
        "inputs": {i.name: {"unit": i.unit, "doc": i.doc} for i in definition.inputs},
        "species_units": dict(definition.species_units),
        "presets": {k: dict(v) for k, v in definition.presets.items()},
        "observables": dict(definition.observables),
        "division_reset": dict(definition.division_reset),
        "readouts": dict(definition.readouts), "signed": list(definition.signed)}


def _time_unit(model, hours: float) -> None:
    unit_def = model.createUnitDefinition()
    unit_def.setId(_TIME_UNIT)
    _check(unit_def.createUnit(), kind=libsbml.UNIT_KIND_SECOND, exponent=1, scale=0,
           multiplier=float(hours) * 3600.0)
    model.setTimeUnits(_TIME_UNIT)


def _event(model, event) -> None:
    e = model.createEvent()
    if event.name:
        e.setId(event.name)
    e.setUseValuesFromTriggerTime(True)
    _check(e.createTrigger(), math=to_ast(event.trigger), initialValue=bool(event.initial_value),
           persistent=True)
    for target, text in event.assignments.items():
        _check(e.createEventAssignment(), variable=target, math=to_ast(text))


def _check(element, **attributes) -> None:
    """Set each attribute with its libsbml setter; a refusal raises with libsbml's reason."""
    for key, value in attributes.items():
        status = getattr(element, "set" + key[0].upper() + key[1:])(value)
        if status != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise ValueError(f"SBML export: {element.getElementName()} {key} = {value!r}: "
                             f"{libsbml.OperationReturnValue_toString(status)}")
