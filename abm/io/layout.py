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
    CELLS, EVENTS, FIELDS, SCHEMA, SCHEMA_VERSION, SITES, STATUS_RUNNING, TIMESERIES, check_name, to_attr,
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
    axes = check_axes(x_um, y_um)
    check_field_units(field_units)
    check_cell_columns(cell_columns)
    check_series_columns(timeseries_columns)
    return axes


def check_axes(x_um, y_um) -> tuple[np.ndarray, np.ndarray]:
    """The grid axes (cell-centre positions, µm) as float64; ValueError if not 1-D, finite, non-empty."""
    axes = []
    for name, values in (("x_um", x_um), ("y_um", y_um)):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"{name} must be a non-empty 1-D array of finite cell-centre positions (µm)")
        axes.append(values)
    return axes[0], axes[1]


def check_field_units(field_units) -> None:
    """Raise on a bad {field: units} spec."""
    for name, units in field_units.items():
        check_name("field", name, FIELD_AXES)
        _check_units(f"field {name!r}", units)


def check_cell_columns(cell_columns) -> None:
    """Raise on a bad {column: (dtype, units, enum or None)} spec (it must include ``id``)."""
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


def check_series_columns(timeseries_columns) -> None:
    """Raise on a bad {time-series column: dtype} spec."""
    for name, dtype in timeseries_columns.items():
        check_name("time-series column", name, SERIES_AXES)
        _check_numeric(f"time-series column {name!r}", dtype)


def check_event_columns(event_columns) -> str | None:
    """Raise on a bad {table: column names} declaration; return it as JSON (None if empty)."""
    if not event_columns:
        return None
    for table, columns in event_columns.items():
        check_name("event table", table)
        if isinstance(columns, str):
            raise TypeError(f"event table {table!r}: columns must be a sequence of names, got the str {columns!r}")
        for name in columns:
            check_name(f"event table {table!r} column", name)
    return json.dumps({t: list(c) for t, c in event_columns.items()})


SITE_KEYS = ("x_um", "y_um", "field_units", "cell_columns", "timeseries_columns")
SITE_OPTIONAL_KEYS = ("static_fields", "event_columns")
_SITE_DICTS = ("field_units", "cell_columns", "timeseries_columns", "static_fields", "event_columns")


def check_sites(sites) -> dict[str, dict]:
    """Raise ValueError/TypeError (naming the site and the key) on a bad ``sites`` spec.

    ``sites`` {name: spec}: each spec a dict with the keys :data:`SITE_KEYS` and optionally
    :data:`SITE_OPTIONAL_KEYS`, each meaning what the run's own argument of that name means.
    Return {name: checked spec} with ``x_um``, ``y_um`` (float64), ``field_units``,
    ``cell_columns``, ``timeseries_columns``, ``static_fields`` (as from
    :func:`check_static_fields`) and ``attrs`` (the site group's ``units`` and
    ``event_columns``), the form :func:`create_skeleton` and :func:`specs_of` use.
    """
    checked = {}
    for name, spec in (sites or {}).items():
        check_name("site", name)
        if not isinstance(spec, dict):
            raise TypeError(f"site {name!r}: spec must be a dict with keys {list(SITE_KEYS)}, got {type(spec).__name__}")
        missing = [k for k in SITE_KEYS if k not in spec]
        unknown = sorted(set(spec) - set(SITE_KEYS) - set(SITE_OPTIONAL_KEYS))
        if missing or unknown:
            raise ValueError(f"site {name!r}: missing keys {missing}, unknown keys {unknown} (required "
                             f"{list(SITE_KEYS)}, optional {list(SITE_OPTIONAL_KEYS)})")
        for key in _SITE_DICTS:
            if spec.get(key) is not None and not isinstance(spec[key], dict):
                raise TypeError(f"site {name!r}, key {key!r}: must be a dict, got {type(spec[key]).__name__}")

        def at(key, check, *args):
            try:
                return check(*args)
            except (TypeError, ValueError) as err:
                raise type(err)(f"site {name!r}, key {key!r}: {err}") from None

        x_um, y_um = at("x_um/y_um", check_axes, spec["x_um"], spec["y_um"])
        field_units, cell_columns = spec["field_units"], spec["cell_columns"]
        at("field_units", check_field_units, field_units)
        at("cell_columns", check_cell_columns, cell_columns)
        at("timeseries_columns", check_series_columns, spec["timeseries_columns"])
        static = at("static_fields", check_static_fields, spec.get("static_fields"), (len(y_um), len(x_um)), field_units)
        declared = at("event_columns", check_event_columns, spec.get("event_columns"))
        checked[name] = {
            "x_um": x_um, "y_um": y_um, "field_units": dict(field_units), "cell_columns": dict(cell_columns),
            "timeseries_columns": dict(spec["timeseries_columns"]), "static_fields": static,
            "attrs": group_attrs(field_units, cell_columns, static, declared),
        }
    return checked


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
    group = group_attrs(field_units, cell_columns, static_fields, check_event_columns(event_columns))
    attrs = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "package_version": abm.__version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": int(seed),
        "scenario": str(scenario),
        "config_toml": config_toml,
        "units": group.pop("units"),
        "status": STATUS_RUNNING,
        "compression": int(compression),
        **group,  # event_columns, when declared
    }
    clash = set(attrs) & set(extra or {})
    if clash:
        raise ValueError(f"attrs may not set the reserved root attributes {sorted(clash)}")
    attrs.update({name: to_attr(name, value) for name, value in (extra or {}).items()})
    return attrs


def group_attrs(field_units, cell_columns, static_fields, event_columns_json: str | None) -> dict:
    """The ``units`` (JSON) and, when tables are declared, ``event_columns`` (JSON, from
    :func:`check_event_columns`) attributes of the run's root or of a site's group."""
    units = {
        "length": LENGTH_UNITS,
        "time": TIME_UNITS,
        "fields": dict(field_units),
        "cells": {name: spec[1] for name, spec in cell_columns.items()},
    }
    if static_fields:
        units["static_fields"] = {name: spec[1] for name, spec in static_fields.items()}
    attrs = {"units": json.dumps(units, ensure_ascii=False)}
    if event_columns_json is not None:
        attrs["event_columns"] = event_columns_json
    return attrs


def event_columns(attrs) -> dict[str, list[str]]:
    """The declared event tables {table: column names} of a run's root ``attrs`` ({} if none)."""
    text = attrs.get("event_columns")
    return json.loads(text) if text else {}


def create_skeleton(h5file: h5py.Group, attrs: dict, x_um, y_um, field_units, cell_columns,
                    timeseries_columns, compression: int, static_fields=None, sites=None) -> None:
    """Write ``attrs``, the static maps and the empty groups/datasets of a run into the new
    ``h5file`` (the root of a file, or a site's group).

    ``static_fields``: {name: ([y, x] array, units)} as returned by :func:`check_static_fields`;
    each becomes ``fields/name`` (gzip, one chunk, y and x dimension scales attached).
    ``cell_columns`` {name: (dtype, units, enum or None)}, ``timeseries_columns`` {name: dtype}.
    Every dataset is checksummed (fletcher32); fields and columns are gzip-compressed at level
    ``compression`` (0: not compressed). ``sites`` {name: spec} (from :func:`check_sites` or
    :func:`specs_of`): each becomes the group ``sites/name``, made by this same function with
    the spec's ``attrs``; no ``sites`` group when there are none.
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
    if sites:
        group = h5file.create_group(SITES)
        for name, spec in sites.items():
            create_skeleton(group.create_group(name), spec["attrs"], spec["x_um"], spec["y_um"], spec["field_units"],
                            spec["cell_columns"], spec["timeseries_columns"], compression, spec["static_fields"])


def specs_of(h5file: h5py.Group) -> dict:
    """The arguments of :func:`create_skeleton` read back from a run file made by it (the
    ``head.h5`` of a run): ``x_um``, ``y_um``, ``field_units``, ``cell_columns``,
    ``timeseries_columns``, ``compression``, ``static_fields`` and ``sites`` ({name: the same
    specs of ``sites/name`` less ``compression``, plus its group ``attrs``}; {} without sites)."""
    specs = _group_specs(h5file)
    specs["compression"] = int(h5file.attrs["compression"])
    specs["sites"] = {name: {**_group_specs(group), "attrs": dict(group.attrs)}
                      for name, group in (h5file[SITES].items() if SITES in h5file else ())}
    return specs


def _group_specs(h5file: h5py.Group) -> dict:
    """The skeleton specs of the run's root or of a site's group (no ``compression``)."""
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
        "static_fields": {n: (d[()], units.get("static_fields", {}).get(n, ""))
                          for n, d in fields.items() if is_static_field(n, d)},
    }


def _axis(group: h5py.Group, name: str, units: str, compression: int) -> h5py.Dataset:
    """A growable float64 time axis with ``units``."""
    dset = create_column(group, name, np.float64, compression=compression)
    dset.attrs["units"] = units
    return dset
