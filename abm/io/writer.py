"""RunWriter: append frames, time series, events and checkpoints to one run file.

Crash safety (kill -9 at any moment leaves a file that opens and holds every frame whose
``write_frame`` returned) rests on three habits, chosen after kill tests (see
tests/test_io.py::test_kill_stress):

* the file stays open with the default (oldest) file format, whose superblock has no
  "open for writing" flags, so a killed run opens with plain ``h5py.File(path)``
  (SWMR or ``libver="latest"`` files refuse that until ``h5clear`` is run);
* the file is touched only inside ``write_frame``/``write_checkpoint``/``close``: time
  series and events are buffered in memory between frames, so a kill between frames
  always finds the file as the last flush left it;
* each of those calls validates everything first, writes data before the time axes and
  offsets that make a frame visible, and flushes before returning;
* bytes of earlier frames are never rewritten: each field frame is its own (gzip) chunk and
  the 1-D columns are uncompressed, so appends only add bytes (see abm.io.columns).
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from abm.io import layout
from abm.io.checkpoint import checkpoint_counts, find_checkpoint, read_state, save_checkpoint
from abm.io.columns import append_rows, create_column, truncate
from abm.io.schema import (
    CELLS, CHECKPOINT, CHECKPOINT_NEXT, EVENTS, FIELDS, SCHEMA_VERSION, STATUS_COMPLETE,
    STATUS_RUNNING, TIMESERIES, SchemaError, check_name, current_layout, from_attr, open_h5,
)


class RunWriter:
    """Writer of one run file (layout: see DESIGN.md "Output" and abm.io.layout).

    Times are in min, lengths in µm. Fields are 2-D arrays [y, x] of shape
    ``(len(y_um), len(x_um))``; cells are 1-D columns of equal length (one row per cell).
    ``static_fields`` {name: ([y, x] array, units)} are maps that do not change during the run
    (the recorder stores ``vessels``): written once with the new file as ``fields/name``
    (bool maps as uint8 0/1), not part of any frame.
    """

    def __init__(self, path, *, config_toml: str, seed: int, scenario: str,
                 x_um: np.ndarray, y_um: np.ndarray, field_units: dict[str, str],
                 cell_columns: dict[str, tuple[np.dtype, str, dict | None]],
                 timeseries_columns: dict[str, np.dtype], attrs: dict | None = None,
                 compression: int = 4, overwrite: bool = False,
                 static_fields: dict[str, tuple[np.ndarray, str]] | None = None):
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True (or --out another file) to replace it")
        if not (isinstance(compression, int) and 0 <= compression <= 9):
            raise ValueError(f"compression must be a gzip level 0..9, got {compression!r}")
        x_um, y_um = layout.check_specs(x_um, y_um, field_units, cell_columns, timeseries_columns)
        static_fields = layout.check_static_fields(static_fields, (len(y_um), len(x_um)), field_units)
        root_attrs = layout.root_attrs(
            config_toml=config_toml, seed=seed, scenario=scenario, field_units=field_units,
            cell_columns=cell_columns, compression=compression, extra=attrs, static_fields=static_fields,
        )
        h5file = open_h5(path, "w")
        try:
            layout.create_skeleton(h5file, root_attrs, x_um, y_um, field_units, cell_columns,
                                   timeseries_columns, compression, static_fields)
            h5file.flush()
        except BaseException:
            h5file.close()
            path.unlink()
            raise
        self._bind(h5file)

    def _bind(self, h5file: h5py.File) -> None:
        """Take over the open ``h5file`` and learn the columns from it (new or resumed run)."""
        self._file = h5file
        self._compression = int(h5file.attrs["compression"])
        fields, cells, series = h5file[FIELDS], h5file[CELLS], h5file[TIMESERIES]
        self._shape = (len(fields["y"]), len(fields["x"]))
        self._fields = [n for n, d in fields.items() if layout.is_frame_field(n, d)]  # not static maps
        self._cell_dtypes = {n: d.dtype for n, d in cells.items() if n not in layout.CELL_AXES}
        self._series = {n: d.dtype for n, d in series.items() if n not in layout.SERIES_AXES}
        self._event_dtypes = {t: {c: d.dtype for c, d in g.items()} for t, g in h5file[EVENTS].items()}
        self._series_rows: list[tuple[float, dict]] = []
        self._event_buffer: dict[str, list[dict[str, np.ndarray]]] = {}

    @property
    def path(self) -> Path:
        return Path(self._file.filename)

    # ------------------------------------------------------------------ buffered appends
    def append_timeseries(self, time_min: float, values: dict[str, float | int]) -> None:
        """Buffer one time-series row (one per model step); written by the next frame/checkpoint/close."""
        _check_keys("time-series row", values, self._series)
        row = {n: _cast(f"time-series column {n!r}", np.asarray(v), self._series[n]) for n, v in values.items()}
        self._series_rows.append((float(time_min), row))

    def append_events(self, table: str, columns: dict[str, np.ndarray]) -> None:
        """Buffer rows of event table ``table`` (columns: 1-D arrays of equal length, or scalars).

        The first rows of a table fix its columns and dtypes (numeric, bool or str).
        """
        check_name("event table", table)
        arrays = {name: np.atleast_1d(np.asarray(values)) for name, values in columns.items()}
        lengths = {name: a.shape for name, a in arrays.items()}
        if not arrays or any(a.ndim != 1 for a in arrays.values()) or len(set(lengths.values())) != 1:
            raise ValueError(f"event table {table!r}: columns must be 1-D and of equal length, got shapes {lengths}")
        known = self._event_dtypes.get(table)
        if known is None and not len(next(iter(arrays.values()))):
            return  # empty rows cannot fix the dtypes of a new table (np.array([]) is float)
        known = known or _new_table_dtypes(table, arrays)
        _check_keys(f"event table {table!r}", arrays, known)
        arrays = {n: _cast(f"event table {table!r} column {n!r}", a, known[n]) for n, a in arrays.items()}
        self._event_dtypes[table] = known
        self._event_buffer.setdefault(table, []).append(arrays)

    # ------------------------------------------------------------------ durable writes
    def write_frame(self, time_min: float, fields: dict[str, np.ndarray], cells: dict[str, np.ndarray]) -> None:
        """Append one frame, write buffered rows, and flush; the frame survives a kill once this returns.

        ``fields``: {name: [y, x] array}, exactly the field names of the run.
        ``cells``: {column: 1-D array}, exactly the cell columns, all of one length.
        Raises ValueError naming the offending field/column before anything is written.
        """
        _check_keys("fields", fields, self._fields)
        _check_keys("cells", cells, self._cell_dtypes)
        grids = {}
        for name, values in fields.items():
            values = np.asarray(values)
            if values.shape != self._shape:
                raise ValueError(f"field {name!r} has shape {values.shape}, expected (ny, nx) = {self._shape}")
            grids[name] = _cast(f"field {name!r}", values, np.float32)
        columns = {n: _cast(f"cell column {n!r}", np.asarray(v), self._cell_dtypes[n]) for n, v in cells.items()}
        lengths = {n: c.shape for n, c in columns.items()}
        if any(c.ndim != 1 for c in columns.values()) or len(set(lengths.values())) != 1:
            raise ValueError(f"cell columns must be 1-D and of equal length, got shapes {lengths}")

        self._write_buffers()
        group = self._file[FIELDS]
        for name, grid in grids.items():
            append_rows(group[name], grid[np.newaxis])
        cell_group = self._file[CELLS]
        for name, column in columns.items():
            append_rows(cell_group[name], column)
        # Time axes and offsets last: a reader counts frames by them.
        offsets = cell_group["offsets"]
        append_rows(offsets, [offsets[-1] + len(columns["id"])])
        append_rows(cell_group["time"], [float(time_min)])
        append_rows(group["time"], [float(time_min)])
        self._file.flush()

    def write_checkpoint(self, time_min: float, state: dict[str, object]) -> None:
        """Write buffered rows, then replace the checkpoint by ``state``; durable on return.

        ``state``: (nested) dict of numpy arrays and bool/int/float/str/bytes/None; returned
        equal by :meth:`resume` and :func:`abm.io.read_checkpoint`.
        """
        self._write_buffers()
        counts = {
            "time_min": float(time_min),
            "n_frames": len(self._file[FIELDS]["time"]),
            "n_timeseries": len(self._file[TIMESERIES]["time"]),
            "event_rows": {t: len(next(iter(g.values()))) for t, g in self._file[EVENTS].items()},
        }
        save_checkpoint(self._file, state, counts, self._compression, self._file.flush)

    def close(self, complete: bool = True) -> None:
        """Write buffered rows, mark the run complete (or still running) and close the file."""
        if not self._file:
            return
        self._write_buffers()
        self._file.attrs["status"] = STATUS_COMPLETE if complete else STATUS_RUNNING
        self._file.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)

    def _write_buffers(self) -> None:
        """Append the buffered time-series rows and event rows to the file."""
        if self._series_rows:
            group = self._file[TIMESERIES]
            append_rows(group["time"], np.array([t for t, _ in self._series_rows]))
            for name in self._series:
                append_rows(group[name], np.array([row[name] for _, row in self._series_rows]))
            self._series_rows = []
        for table, chunks in self._event_buffer.items():
            group = self._file[EVENTS].require_group(table)
            for name, dtype in self._event_dtypes[table].items():
                dset = group[name] if name in group else create_column(group, name, dtype)
                append_rows(dset, np.concatenate([c[name] for c in chunks]))
        self._event_buffer = {}

    # ------------------------------------------------------------------ restart
    @classmethod
    def resume(cls, path) -> tuple[RunWriter, dict]:
        """Reopen the run at ``path`` (complete or killed) to continue from its last checkpoint.

        Frames, time-series rows and event rows written after the checkpoint are cut off, so
        that writing them again gives the same datasets as an uninterrupted run. Returns the
        writer and the checkpoint state. Raises NoCheckpointError if there is none.
        """
        h5file = open_h5(path, "r+")
        try:
            current_layout(h5file)
            version = from_attr(h5file.attrs["schema_version"])
            if version != SCHEMA_VERSION:
                raise SchemaError(f"{path}: cannot append to a schema_version {version} file (this abm writes {SCHEMA_VERSION})")
            checkpoint = find_checkpoint(h5file)
            if checkpoint.name != "/" + CHECKPOINT:
                h5file.move(CHECKPOINT_NEXT, CHECKPOINT)
            elif CHECKPOINT_NEXT in h5file:  # partial one from a kill while checkpointing
                del h5file[CHECKPOINT_NEXT]
            checkpoint = h5file[CHECKPOINT]
            counts, state = checkpoint_counts(checkpoint), read_state(checkpoint["state"])
            _truncate_run(h5file, counts)
            h5file.attrs["status"] = STATUS_RUNNING
            h5file.flush()
        except BaseException:
            h5file.close()
            raise
        writer = cls.__new__(cls)
        writer._bind(h5file)
        return writer, state


def _truncate_run(h5file: h5py.File, counts: dict) -> None:
    """Cut every growable dataset to the lengths recorded with a checkpoint."""
    n_frames = counts["n_frames"]
    for name, dset in h5file[FIELDS].items():
        if name == "time" or layout.is_frame_field(name, dset):  # static maps [y, x] stay whole
            truncate(dset, n_frames)
    cells = h5file[CELLS]
    truncate(cells["offsets"], n_frames + 1)
    truncate(cells["time"], n_frames)
    n_rows = int(cells["offsets"][n_frames])
    for name, dset in cells.items():
        if name not in layout.CELL_AXES:
            truncate(dset, n_rows)
    for dset in h5file[TIMESERIES].values():
        truncate(dset, counts["n_timeseries"])
    events = h5file[EVENTS]
    for table in list(events):
        if table not in counts["event_rows"]:  # created after the checkpoint
            del events[table]
            continue
        for dset in events[table].values():
            truncate(dset, counts["event_rows"][table])


def _new_table_dtypes(table: str, arrays: dict[str, np.ndarray]) -> dict[str, np.dtype]:
    """Return the column dtypes of a new event table from its first rows (str -> HDF5 str)."""
    for name, a in arrays.items():
        check_name(f"event table {table!r} column", name)
        if a.dtype.kind not in "biufU":
            raise TypeError(f"event table {table!r} column {name!r}: dtype {a.dtype} is not numeric, bool or str")
    return {n: h5py.string_dtype() if a.dtype.kind == "U" else a.dtype for n, a in arrays.items()}


def _check_keys(what: str, given, expected) -> None:
    """Raise ValueError naming the missing and unexpected names of ``given``."""
    missing, extra = sorted(set(expected) - set(given)), sorted(set(given) - set(expected))
    if missing or extra:
        raise ValueError(f"{what}: missing {missing}, unexpected {extra} (expected exactly {sorted(expected)})")


def _cast(what: str, values: np.ndarray, dtype) -> np.ndarray:
    """Return ``values`` as ``dtype``; raise ValueError if that changes its kind (e.g. float -> int)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "O":  # h5py variable-length str
        ok = values.dtype.kind == "U" or values.size == 0
    else:
        ok = np.can_cast(values.dtype, dtype, casting="same_kind") or (
            values.dtype.kind in "biu" and dtype.kind in "biuf"
        )
    if not ok:
        raise ValueError(f"{what}: cannot store dtype {values.dtype} as {'str' if dtype.kind == 'O' else dtype}")
    return values.astype(dtype, copy=False)
