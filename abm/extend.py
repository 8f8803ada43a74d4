"""The extension API: declarations added from outside the package.

A plugin module registers its declarations when it is imported, before a model is built::

    import numpy as np
    from abm.core.columns import Column
    from abm.extend import register_columns, register_field
    from abm.fields.specs import FieldSpec, PlotStyle

    register_columns("cells", Column("lactate", np.float64, unit="mM", record=np.float32,
                                     doc="local lactate, gathered each step"))
    register_field(FieldSpec("lactate", unit="mM", long_name="lactate concentration",
                             coupling=lactate_rates, column="lactate",
                             style=PlotStyle("lactate", figure=True)))

A registered field is then created and solved (multigrid, vessels as Dirichlet sites) by
every model whose config enables it, gathered into its column, recorded in the run file's
field group and drawn by ``abm plot`` and ``abm movie``; a registered cell column is part of
the cell table, its checkpoints and (with ``record``) the run file's cell table. See
:class:`abm.fields.specs.FieldSpec` and :class:`abm.core.columns.Column` for what a
declaration holds.

This module only keeps the registrations; it knows neither the model nor the built-in
declarations. Their users append the registered ones to the built-in ones
(:func:`abm.tumor.cells.cell_columns`, :func:`abm.fields.solutes.field_specs`), which refuse a
name declared twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from abm.config import registry
from abm.config.registry import check as register_check
from abm.config.registry import section as register_section

if TYPE_CHECKING:
    from abm.core.columns import Column
    from abm.core.process import Process
    from abm.fields.specs import FieldSpec

_FIELDS: dict[str, FieldSpec] = {}
_COLUMNS: dict[str, dict[str, Column]] = {}
_PROCESSES: dict[str, tuple[type[Process], str]] = {}

__all__ = ["register_check", "register_columns", "register_field", "register_process",
           "register_section", "registered_columns", "registered_fields",
           "registered_processes", "unregister"]

TABLES = ("cells",)
"""Row tables that take registered columns: ``cells`` (:class:`abm.tumor.cells.CellTable`)."""


def register_field(spec: FieldSpec) -> FieldSpec:
    """Add the diffusing field ``spec`` (solved after the built-in fields, in registration
    order); returns it. ValueError if a field of that name is already registered."""
    if spec.name in _FIELDS:
        raise ValueError(f"field {spec.name!r} is already registered")
    _FIELDS[spec.name] = spec
    return spec


def register_columns(table: str, *columns: Column) -> None:
    """Add ``columns`` to row table ``table`` (one of :data:`TABLES`), after its own columns.
    ValueError for an unknown table or a column name already registered for it."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables taking columns: {', '.join(TABLES)}")
    known = _COLUMNS.setdefault(table, {})
    for column in columns:
        if column.name in known:
            raise ValueError(f"column {column.name!r} of table {table!r} is already registered")
        known[column.name] = column


def register_process(kind: type[Process], after: str) -> type[Process]:
    """Add the :class:`abm.core.process.Process` subclass ``kind`` to the step of every model
    built from now on, right after the package's process named ``after`` (e.g. ``"immune"``;
    :data:`abm.model.STEP`). Its reporters follow the package's time-series columns, in
    registration order, so a run without plugins keeps its layout. Returns ``kind``.
    ValueError if a process of that name is already registered."""
    if kind.name in _PROCESSES:
        raise ValueError(f"process {kind.name!r} is already registered")
    _PROCESSES[kind.name] = (kind, after)
    return kind


def unregister(*names: str) -> None:
    """Remove the registered fields, columns (of every table), processes and config sections
    called ``names`` (names not registered are ignored): for tests and interactive sessions
    that load another plugin."""
    for name in names:
        _FIELDS.pop(name, None)
        _PROCESSES.pop(name, None)
        if name in registry.SECTIONS and registry.SECTIONS[name].__module__.split(".")[0] != "abm":
            registry.forget(name)
        for columns in _COLUMNS.values():
            columns.pop(name, None)


def registered_fields() -> tuple[FieldSpec, ...]:
    """The registered fields, in registration order."""
    return tuple(_FIELDS.values())


def registered_processes() -> tuple[tuple[type[Process], str], ...]:
    """The registered processes as ``(class, name of the process it follows)``, in
    registration order."""
    return tuple(_PROCESSES.values())


def registered_columns(table: str) -> tuple[Column, ...]:
    """The columns registered for row table ``table``, in registration order."""
    return tuple(_COLUMNS.get(table, {}).values())
