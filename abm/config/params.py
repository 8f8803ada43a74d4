"""The typed parameter declaration used by every config section.

A section is a frozen dataclass; each field is declared with :func:`param`, which stores its
unit, allowed range or choices, a one-line description and the *source* of the default
(a paper, a table, or "design choice" with the reason). The loader validates against this
metadata and ``abm params`` prints it, so the documentation cannot drift from the code.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

class Table(dict):
    """Type of a config key holding a free-form table (strings, numbers, inline tables),
    e.g. ``[intracellular] inputs``: the loader checks only that it is a table; the
    section's own check names what each entry may be."""


MAGNITUDE_LIMIT = 1e30
"""Largest magnitude of any number in a config (also inside tables and lists). Design choice:
no quantity of the model comes near it in its units (µm, min, mmHg, reference doses), and
products of up to ten such numbers (what derived quantities are) stay finite in float64
(1e308), so a value like 1e308 is refused here instead of overflowing to inf later."""


@dataclass(frozen=True)
class ParamInfo:
    """Metadata of one config key.

    ``path``: the value is a file path, made absolute against the scenario file's folder;
    a tuple of suffixes: only a value ending in one of them is a path (a key that takes a
    name or a file, e.g. ``[intracellular] network``).
    ``table``: for a key holding a table ``{name = number}``, the
    :class:`abm.config.tables.ParamTable` that declares its entries (None: the section's own
    check names what is allowed)."""

    unit: str
    doc: str
    source: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    choices: tuple[str, ...] | None = None
    path: bool | tuple[str, ...] = False
    table: Any = None

    def allowed(self) -> str:
        """Human-readable description of the allowed values (used in error messages)."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        bracket = "[" if self.low_inclusive else "("
        return f"a value in {bracket}{lo}, {hi}]"


def param(default: Any, *, unit: str = "", doc: str, source: str, low: float | None = None,
          high: float | None = None, low_inclusive: bool = True,
          choices: tuple[str, ...] | None = None, path: bool | tuple[str, ...] = False,
          table: Any = None) -> Any:
    """Declare a config key: its default plus the :class:`ParamInfo` metadata."""
    info = ParamInfo(unit=unit, doc=doc, source=source, low=low, high=high,
                     low_inclusive=low_inclusive, choices=choices, path=path, table=table)
    if isinstance(default, dict):  # a table of overrides: each instance gets its own copy
        return dataclasses.field(default_factory=lambda: dict(default), metadata={"info": info})
    return dataclasses.field(default=default, metadata={"info": info})


def info_of(field: dataclasses.Field) -> ParamInfo:
    """The :class:`ParamInfo` of a section field."""
    return field.metadata["info"]
