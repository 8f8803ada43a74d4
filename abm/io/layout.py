"""Create the empty skeleton of a run file: root attributes, groups and growable datasets.

Everything the caller gives is checked by :func:`check_specs` and :func:`root_attrs`
before the file exists, so bad input never leaves a file behind.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import h5py
import numpy as np

import abm
from abm.io.columns import append_rows, create_column, create_field
from abm.io.schema import (
    CELLS, EVENTS, FIELDS, SCHEMA, SCHEMA_VERSION, STATUS_RUNNING, TIMESERIES, check_name, to_attr,
)

# Dataset names inside the groups that are axes, not data.
FIELD_AXES = ("time", "x", "y")
# Besides the axes, fields/ holds two kinds of datasets, told apart by their rank:
# time-dependent fields [frame, y, x] (growable, one chunk per frame) and static maps [y, x]
# written once when the file is created (e.g. ``vessels``). Static maps were added to version-1
# files without a version change (see abm.io.schema): readers that list fields by rank never
# mistake one for a field, and older files simply have none.
FRAME_FIELD_NDIM, STATIC_FIELD_NDIM = 3, 2
CELL_AXES = ("time", "offsets")
SERIES_AXES = ("time",)

LENGTH_UNITS, TIME_UNITS = "µm", "min"


def is_frame_field(name: str, dset: h5py.Dataset) -> bool:
    """True for a time-dependent field ``fields/name`` [frame, y, x] (not an axis or a static map)."""
    return name not in FIELD_AXES and isinstance(dset, h5py.Dataset) and dset.ndim == FRAME_FIELD_NDIM


def is_static_field(name: str, dset: h5py.Dataset) -> bool:
    """True for a static map ``fields/name`` [y, x] written once at creation (e.g. ``vessels``)."""
    return name not in FIELD_AXES and isinstance(dset, h5py.Dataset) and dset.ndim == STATIC_FIELD_NDIM


def check_static_fields(static_fields, shape: tuple[int, int], field_units) -> dict[str, tuple[np.ndarray, str]]:
    """Raise ValueError/TypeError on a bad static-map spec {name: ([y, x] array, units)}; return
    it with the arrays as numpy arrays (bool maps become uint8 0/1: netCDF has no bool)."""
    checked = {}
    for name, spec in (static_fields or {}).items():
        check_name("static field", name, FIELD_AXES)
        if name in field_units:
            raise ValueError(f"static field {name!r} clashes with the time-dependent field of that name")
        if not (isinstance(spec, tuple) and len(spec) == 2):
            raise TypeError(f"static field {name!r}: spec must be ([y, x] array, units), got {type(spec).__name__}")
        values, units = np.asarray(spec[0]), spec[1]
        _check_units(f"static field {name!r}", units)
        if values.shape != shape:
            raise ValueError(f"static field {name!r} has shape {values.shape}, expected (ny, nx) = {shape}")
        _check_numeric(f"static field {name!r}", values.dtype)
        checked[name] = (values.astype(np.uint8) if values.dtype.kind == "b" else values, units)
    return checked


def check_specs(x_um, y_um, field_units, cell_columns, timeseries_columns) -> tuple[np.ndarray, np.ndarray]:
    """Raise ValueError/TypeError on a bad grid or column spec; return the grid axes as float64."""
    axes = []
    for name, values in (("x_um", x_um), ("y_um", y_um)):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"{name} must be a non-empty 1-D array of finite cell-centre positions (µm)")
        axes.append(values)
    for name, units in field_units.items():
        check_name("field", name, FIELD_AXES)
        _check_units(f"field {name!r}", units)
    if "id" not in cell_columns:
        raise ValueError("cell_columns must include 'id' (the cell identity used to index frames)")
    for name, spec in cell_columns.items():
        check_name("cell column", name, CELL_AXES)
        if not (isinstance(spec, tuple) and len(spec) == 3):
            raise TypeError(f"cell column {name!r}: spec must be (dtype, units, enum or None), got {spec!r}")
        dtype, units, enum = spec
        _check_numeric(f"cell column {name!r}", dtype)
        _check_units(f"cell column {name!r}", units)
        if enum is not None and not (
            isinstance(enum, dict) and enum and all(isinstance(k, str) and isinstance(v, int) for k, v in enum.items())
        ):
            raise TypeError(f"cell column {name!r}: enum must be a non-empty dict {{name: int code}}, got {enum!r}")
    for name, dtype in timeseries_columns.items():
        check_name("time-series column", name, SERIES_AXES)
        _check_numeric(f"time-series column {name!r}", dtype)
    return axes[0], axes[1]


def _check_numeric(what: str, dtype) -> None:
    if np.dtype(dtype).kind not in "biuf":
        raise TypeError(f"{what}: dtype {np.dtype(dtype)} is not numeric (bool, int, uint or float)")


def _check_units(what: str, units) -> None:
    if not isinstance(units, str):
        raise TypeError(f"{what}: units must be a str, got {units!r}")


def root_attrs(*, config_toml, seed, scenario, field_units, cell_columns, compression, extra,
               static_fields=None, event_columns=None) -> dict:
    """Return the root attributes of a new run; raise TypeError on any that cannot be stored.

    ``event_columns`` {table: column names}, when given, is stored as JSON (``event_columns``).

    ``units`` (JSON) maps ``length``, ``time``, ``fields`` {name: units}, ``cells`` {column:
    units} and, when the run has static maps, ``static_fields`` {name: units}.
    """
    if not isinstance(config_toml, str):
        raise TypeError(f"config_toml must be the resolved config as TOML text, got {type(config_toml).__name__}")
    units = {
        "length": LENGTH_UNITS,
        "time": TIME_UNITS,
        "fields": dict(field_units),
        "cells": {name: spec[1] for name, spec in cell_columns.items()},
    }
    if static_fields:
        units["static_fields"] = {name: spec[1] for name, spec in static_fields.items()}
    attrs = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "package_version": abm.__version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": int(seed),
        "scenario": str(scenario),
        "config_toml": config_toml,
        "units": json.dumps(units, ensure_ascii=False),
        "status": STATUS_RUNNING,
        "compression": int(compression),
    }
    if event_columns:
        for table, columns in event_columns.items():
            check_name("event table", table)
            for name in columns:
                check_name(f"event table {table!r} column", name)
        attrs["event_columns"] = json.dumps({t: list(c) for t, c in event_columns.items()})
    clash = set(attrs) & set(extra or {})
    if clash:
        raise ValueError(f"attrs may not set the reserved root attributes {sorted(clash)}")
    attrs.update({name: to_attr(name, value) for name, value in (extra or {}).items()})
    return attrs


def event_columns(attrs) -> dict[str, list[str]]:
    """The declared event tables {table: column names} of a run's root ``attrs`` ({} if none)."""
    text = attrs.get("event_columns")
    return json.loads(text) if text else {}


def create_skeleton(h5file: h5py.File, attrs: dict, x_um, y_um, field_units, cell_columns,
                    timeseries_columns, compression: int, static_fields=None) -> None:
    """Write ``attrs``, the static maps and the empty groups/datasets of a run into the new ``h5file``.

    ``static_fields``: {name: ([y, x] array, units)} as returned by :func:`check_static_fields`;
    each becomes ``fields/name`` (gzip, one chunk, y and x dimension scales attached).
    ``cell_columns`` {name: (dtype, units, enum or None)}, ``timeseries_columns`` {name: dtype}.
    Every dataset is checksummed (fletcher32); fields and columns are gzip-compressed at level
    ``compression`` (0: not compressed).
    """
    h5file.attrs.update(attrs)
    fields = h5file.create_group(FIELDS)
    # Dimension scales make fields/ a netCDF4 group: xarray (engine h5netcdf) reads it.
    time = _axis(fields, "time", TIME_UNITS, compression)
    time.make_scale("time")
    x = fields.create_dataset("x", data=x_um)
    y = fields.create_dataset("y", data=y_um)
    for axis, name in ((x, "x"), (y, "y")):
        axis.attrs["units"] = LENGTH_UNITS
        axis.make_scale(name)
    shape = (len(y_um), len(x_um))
    for name, units in field_units.items():
        dset = create_field(fields, name, shape, compression=compression)
        dset.attrs["units"] = units
        for dim, scale in enumerate((time, y, x)):
            dset.dims[dim].attach_scale(scale)
    for name, (values, units) in (static_fields or {}).items():
        dset = fields.create_dataset(
            name, data=values, chunks=shape, compression="gzip", compression_opts=max(1, compression),
            shuffle=values.dtype.itemsize > 1, fletcher32=True,
        )
        dset.attrs["units"] = units
        if values.dtype == np.uint8 and values.max(initial=0) <= 1:
            dset.attrs["flag_values"] = np.array([0, 1], np.uint8)  # CF: a 0/1 mask
            dset.attrs["flag_meanings"] = "false true"
        for dim, scale in enumerate((y, x)):
            dset.dims[dim].attach_scale(scale)

    cells = h5file.create_group(CELLS)
    _axis(cells, "time", TIME_UNITS, compression)
    append_rows(create_column(cells, "offsets", np.int64, compression=compression), np.zeros(1, np.int64))
    for name, (dtype, units, enum) in cell_columns.items():
        dset = create_column(cells, name, dtype, compression=compression)
        dset.attrs["units"] = units
        if enum is not None:
            dset.attrs["enum"] = json.dumps(enum)

    series = h5file.create_group(TIMESERIES)
    _axis(series, "time", TIME_UNITS, compression)
    for name, dtype in timeseries_columns.items():
        create_column(series, name, dtype, compression=compression)
    h5file.create_group(EVENTS)


def specs_of(h5file: h5py.File) -> dict:
    """The arguments of :func:`create_skeleton` read back from a run file made by it (the
    ``head.h5`` of a run): ``x_um``, ``y_um``, ``field_units``, ``cell_columns``,
    ``timeseries_columns``, ``compression``, ``static_fields``."""
    fields, cells, series = h5file[FIELDS], h5file[CELLS], h5file[TIMESERIES]
    units = json.loads(h5file.attrs["units"])
    cell_columns = {}
    for name, dset in cells.items():
        if name not in CELL_AXES:
            enum = json.loads(dset.attrs["enum"]) if "enum" in dset.attrs else None
            cell_columns[name] = (dset.dtype, units["cells"].get(name, ""), enum)
    return {
        "x_um": fields["x"][()], "y_um": fields["y"][()],
        "field_units": {n: units["fields"].get(n, "") for n, d in fields.items() if is_frame_field(n, d)},
        "cell_columns": cell_columns,
        "timeseries_columns": {n: d.dtype for n, d in series.items() if n not in SERIES_AXES},
        "compression": int(h5file.attrs["compression"]),
        "static_fields": {n: (d[()], units.get("static_fields", {}).get(n, ""))
                          for n, d in fields.items() if is_static_field(n, d)},
    }


def _axis(group: h5py.Group, name: str, units: str, compression: int) -> h5py.Dataset:
    """A growable float64 time axis with ``units``."""
    dset = create_column(group, name, np.float64, compression=compression)
    dset.attrs["units"] = units
    return dset
