"""CSV and Parquet tables of a run: cells, time series, event tables and (opt-in) field sites.

Layout (docs/exports.md): one long table per kind rather than one file per frame, because
that is what pandas users filter and group (``df[df.frame == 3]``, ``df.groupby("frame")``)
and what Parquet readers skip through by row group:

- ``cells``: one row per cell per chosen frame; ``frame``, ``time_min``, ``cell_id`` then the
  run's cell columns (``x``, ``y`` in µm, ``phase`` …). Written frame by frame (one Parquet
  row group per frame), so only one frame is ever in memory.
- ``timeseries``: one row per model step; ``time_min`` then one column per reporter.
- ``events_NAME``: the event table NAME as stored.
- ``fields``: one row per lattice site per chosen frame; ``frame``, ``time_min``, ``x``, ``y``
  (site centre, µm), one column per field, and ``vessels`` (0/1).

Categorical columns (``kind``, ``phase``, ``route``) are written as their names (CSV) or as
dictionary-encoded strings (Parquet; pandas reads them back as Categoricals). Units are in
``units.json`` and, in Parquet, in each field's metadata (key ``units``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from abm.export.units import CELL_ID, FRAME, TIME, column_units
from abm.io.outputs import write_atomically

UNITS_KEY = b"units"
"""Parquet field-metadata key holding a column's units."""


def cell_chunks(run, frames) -> Iterator[pd.DataFrame]:
    """The cells of each frame in ``frames``, one DataFrame per frame (read one at a time)."""
    times = run.frame_times
    for f in frames:
        cells = run.cells(f)
        head = pd.DataFrame({FRAME: np.full(len(cells), f, np.int64),
                             TIME: np.full(len(cells), times[f], np.float64),
                             CELL_ID: cells.index.to_numpy()})
        yield pd.concat([head, cells.reset_index(drop=True)], axis=1)


def field_chunks(run, frames) -> Iterator[pd.DataFrame]:
    """Every site of each frame in ``frames``: frame, time, site centre (µm), each field's
    value and the vessel map (0/1; absent if the run has none). Row order: x fastest."""
    times = run.frame_times
    y, x = np.meshgrid(run.y_um, run.x_um, indexing="ij")
    vessels = run.vessels
    for f in frames:
        data = {FRAME: np.full(x.size, f, np.int64), TIME: np.full(x.size, times[f], np.float64),
                "x": x.ravel(), "y": y.ravel()}
        data.update({name: run.field(name, f).ravel() for name in run.field_names})
        if vessels is not None:
            data["vessels"] = vessels.ravel().astype(np.uint8)
        yield pd.DataFrame(data)


def series_chunks(run, frames=()) -> Iterator[pd.DataFrame]:
    """The time series as one table, its index (min) as the first column ``time_min``
    (``frames`` is not used: the time series is always whole)."""
    series = run.timeseries
    yield series.rename_axis(TIME).reset_index()


CHUNKS: dict[str, Callable] = {"cells": cell_chunks, "fields": field_chunks, "timeseries": series_chunks}


def write_tables(run, plan) -> dict[str, dict[str, str]]:
    """Write the tables of ``plan`` (:class:`abm.export.request.ExportPlan`, format csv or
    parquet) from the open ``run``, each file complete or not at all; return the units
    {kind: {column: units}} of what was written."""
    units = {}
    for kind in plan.items:
        units[kind] = _write(plan.out_dir / f"{kind}.{plan.fmt}", plan.fmt,
                             CHUNKS[kind](run, plan.frames), lambda cols, k=kind: column_units(run, k, cols))
    for table in plan.event_tables:
        kind = f"events_{table}"
        units[kind] = _write(plan.out_dir / f"{kind}.{plan.fmt}", plan.fmt, iter([run.events(table)]),
                             lambda cols, k=kind: column_units(run, k, cols))
    return units


def _write(path: Path, fmt: str, chunks: Iterator[pd.DataFrame], units_of) -> dict[str, str]:
    """Write ``chunks`` (DataFrames of the same columns) to one table file; return its units."""
    found = {}

    def write(tmp: Path) -> None:
        first = next(chunks)
        found.update(units_of(list(first.columns)))
        if fmt == "csv":
            _write_csv(tmp, first, chunks)
        else:
            _write_parquet(tmp, first, chunks, found)

    write_atomically(path, write)
    return found


def _write_csv(tmp: Path, first: pd.DataFrame, rest) -> None:
    # The shortest repr of each float (pandas' default) reads back to the same value in the
    # column's dtype: float32 columns round-trip exactly once cast back.
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        first.to_csv(handle, index=False, lineterminator="\n")
        for chunk in rest:
            chunk.to_csv(handle, index=False, header=False, lineterminator="\n")


def _write_parquet(tmp: Path, first: pd.DataFrame, rest, units: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(first, preserve_index=False)
    schema = pa.schema([field.with_metadata({UNITS_KEY: units[field.name].encode()}) for field in table.schema],
                       metadata=table.schema.metadata)
    with pq.ParquetWriter(tmp, schema) as writer:
        writer.write_table(table.cast(schema))
        for chunk in rest:
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
