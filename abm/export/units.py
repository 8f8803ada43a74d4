"""Units of the exported columns and arrays, from the run's stored ``units`` attribute.

The run file stores the units of its fields and cell columns (``run.attrs["units"]``); the
export adds those of the columns it makes (``frame``, ``time_min``, ``cell_id``, the site
positions). The run does not store units of time-series reporters or of event columns: for
those only times (``*_min``) and positions (``x``, ``y``) get units, as the reader documents
them (minutes, µm), and the rest are ``""`` (not stored; see docs/exports.md).
"""
from __future__ import annotations

import json
from pathlib import Path

from abm.io.layout import LENGTH_UNITS, TIME_UNITS

FRAME, TIME, CELL_ID = "frame", "time_min", "cell_id"
"""Columns the export adds: the 0-based frame index, the frame's time (min) and the cell's id
(the reader's index)."""
VESSEL_UNITS = "1 = vessel site"
"""The static vessel map is stored as 0/1 without units; the export says what its values mean."""


def added_units(column: str) -> str | None:
    """Units of a column the export adds or the reader documents (None: not one of them)."""
    if column in (FRAME, CELL_ID):
        return ""
    if column == TIME or column.endswith("_min"):
        return TIME_UNITS
    if column in ("x", "y"):
        return LENGTH_UNITS
    return None


def column_units(run, kind: str, columns) -> dict[str, str]:
    """{column: units} of the exported ``columns`` of ``kind`` (``cells``, ``fields``,
    ``timeseries`` or ``events_NAME``) of ``run``; ``""`` where the run stores none."""
    stored = run.attrs["units"]
    if kind == "cells":
        table = stored.get("cells", {})
    elif kind == "fields":
        table = {**stored.get("fields", {}), **{name: VESSEL_UNITS for name in stored.get("static_fields", {})}}
    else:
        table = {}
    out = {}
    for column in columns:
        known = table.get(column)
        out[column] = known if known is not None else (added_units(column) or "")
    return out


def write_units(path: Path, units: dict[str, dict[str, str]]) -> None:
    """Write the sidecar {kind: {column: units}} as UTF-8 JSON (µm stays readable)."""
    path.write_text(json.dumps(units, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
