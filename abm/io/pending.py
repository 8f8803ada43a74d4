"""What one group of a run (its root, or a secondary site) has committed and has buffered.

:class:`abm.io.RunWriter` keeps one :class:`Pending` for the root and one per site, so that
the checks, the buffering of time-series and event rows and the counts that a checkpoint
records follow one code path wherever they are stored. Nothing here touches a file.
"""
from __future__ import annotations

import h5py
import numpy as np

from abm.io.schema import check_name


class Pending:
    """The columns, counts and buffered rows of one group of a run.

    ``label`` prefixes every error message (``""`` for the root, ``"site 'NAME': "`` for a
    site); ``specs`` are the group's skeleton specs (abm.io.layout.specs_of); ``declared`` its
    declared event tables {table: columns}; ``infos`` what the committed segments hold of it
    (abm.io.segment.SegmentInfo), so a resumed writer counts on from them.
    """

    def __init__(self, label: str, specs: dict, declared: dict, infos=()):
        self.label = label
        self.shape = (len(specs["y_um"]), len(specs["x_um"]))
        self.fields = list(specs["field_units"])
        self.cell_dtypes = {n: spec[0] for n, spec in specs["cell_columns"].items()}
        self.series = dict(specs["timeseries_columns"])
        self.declared = declared
        self.event_dtypes: dict[str, dict[str, np.dtype]] = {}
        for info in infos:
            for table, columns in info.events.items():
                self.event_dtypes[table] = {n: _buffer_dtype(d) for n, d in columns.items()}
        self.n_frames, self.n_timeseries, self.event_rows = self.found(infos)
        self.series_rows: list[tuple[float, dict]] = []
        self.event_buffer: dict[str, list[dict[str, np.ndarray]]] = {}

    def append_timeseries(self, time_min: float, values: dict) -> None:
        """Buffer one time-series row (ValueError naming a missing/unknown column or a bad dtype)."""
        self._check_keys("time-series row", values, self.series)
        row = {n: self._cast(f"time-series column {n!r}", np.asarray(v), self.series[n]) for n, v in values.items()}
        self.series_rows.append((float(time_min), row))

    def append_events(self, table: str, columns: dict) -> None:
        """Buffer rows of event table ``table`` (see :meth:`abm.io.RunWriter.append_events`)."""
        check_name(f"{self.label}event table", table)
        arrays = {name: np.atleast_1d(np.asarray(values)) for name, values in columns.items()}
        lengths = {name: a.shape for name, a in arrays.items()}
        if not arrays or any(a.ndim != 1 for a in arrays.values()) or len(set(lengths.values())) != 1:
            raise ValueError(f"{self.label}event table {table!r}: columns must be 1-D and of equal length, "
                             f"got shapes {lengths}")
        if table in self.declared and set(arrays) != set(self.declared[table]):
            self._check_keys(f"event table {table!r} (declared)", arrays, self.declared[table])
        known = self.event_dtypes.get(table)
        if known is None and not len(next(iter(arrays.values()))):
            return  # empty rows cannot fix the dtypes of a new table (np.array([]) is float)
        known = known or self._new_table_dtypes(table, arrays)
        self._check_keys(f"event table {table!r}", arrays, known)
        arrays = {n: self._cast(f"event table {table!r} column {n!r}", a, known[n]) for n, a in arrays.items()}
        self.event_dtypes[table] = known
        self.event_buffer.setdefault(table, []).append(arrays)

    def frame(self, time_min: float, fields: dict, cells: dict) -> tuple[float, dict, dict]:
        """The frame as a segment stores it: (time, {field: [y, x]}, {column: 1-D});
        ValueError naming the offending field or column. The fields keep their dtype (any
        that casts safely to float32): the segment casts each to float32 as it writes it, so
        that a frame of 4M-site fields never holds float32 copies of all of them at once."""
        self._check_keys("fields", fields, self.fields)
        self._check_keys("cells", cells, self.cell_dtypes)
        grids = {}
        for name, values in fields.items():
            values = np.asarray(values)
            if values.shape != self.shape:
                raise ValueError(f"{self.label}field {name!r} has shape {values.shape}, "
                                 f"expected (ny, nx) = {self.shape}")
            self._castable(f"field {name!r}", values, np.float32)
            grids[name] = values
        columns = {n: self._cast(f"cell column {n!r}", np.asarray(v), self.cell_dtypes[n]) for n, v in cells.items()}
        lengths = {n: c.shape for n, c in columns.items()}
        if any(c.ndim != 1 for c in columns.values()) or len(set(lengths.values())) != 1:
            raise ValueError(f"{self.label}cell columns must be 1-D and of equal length, got shapes {lengths}")
        return float(time_min), grids, columns

    def take(self) -> tuple[tuple | None, dict]:
        """The buffered rows as a segment takes them: (time series (times, {column: rows}) or
        None, {table: {column: rows}} of the tables with rows). The buffers stay until
        :meth:`committed`."""
        series = None
        if self.series_rows:
            series = (np.array([t for t, _ in self.series_rows]),
                      {n: np.array([row[n] for _, row in self.series_rows]) for n in self.series})
        events = {table: {n: np.concatenate([c[n] for c in chunks]) for n in self.event_dtypes[table]}
                  for table, chunks in self.event_buffer.items()}
        return series, {table: cols for table, cols in events.items() if len(next(iter(cols.values())))}

    def committed(self, frame: bool, series: tuple | None, events: dict) -> None:
        """Count what a durable segment took (``frame``: whether it holds a frame of this
        group) and empty the buffers."""
        self.n_frames += bool(frame)
        self.n_timeseries += 0 if series is None else len(series[0])
        for table, columns in events.items():
            self.event_rows[table] = self.event_rows.get(table, 0) + len(next(iter(columns.values())))
        self.series_rows, self.event_buffer = [], {}

    @staticmethod
    def found(infos) -> tuple[int, int, dict[str, int]]:
        """(frames, time-series rows, {table: event rows}) that the segments ``infos`` hold of a group."""
        rows: dict[str, int] = {}
        for info in infos:
            for table, n in info.event_rows.items():
                rows[table] = rows.get(table, 0) + n
        return sum(i.n_frames for i in infos), sum(i.series_rows for i in infos), rows

    def counts(self) -> dict:
        """What is committed: ``n_frames``, ``n_timeseries``, ``event_rows`` {table: rows}."""
        return {"n_frames": self.n_frames, "n_timeseries": self.n_timeseries, "event_rows": dict(self.event_rows)}

    def _new_table_dtypes(self, table: str, arrays: dict[str, np.ndarray]) -> dict[str, np.dtype]:
        """The column dtypes of a new event table from its first rows (str -> HDF5 str)."""
        for name, a in arrays.items():
            check_name(f"{self.label}event table {table!r} column", name)
            if a.dtype.kind not in "biufU":
                raise TypeError(f"{self.label}event table {table!r} column {name!r}: dtype {a.dtype} "
                                "is not numeric, bool or str")
        return {n: np.dtype(str) if a.dtype.kind == "U" else a.dtype for n, a in arrays.items()}

    def _check_keys(self, what: str, given, expected) -> None:
        check_keys(self.label + what, given, expected)

    def _cast(self, what: str, values: np.ndarray, dtype) -> np.ndarray:
        """``values`` as ``dtype``; ValueError if that changes its kind (e.g. float -> int)."""
        dtype = self._castable(what, values, dtype)
        return values.astype(str if dtype.kind == "U" else dtype, copy=False)

    def _castable(self, what: str, values: np.ndarray, dtype) -> np.dtype:
        """``dtype`` as a numpy dtype; ValueError if storing ``values`` as it would change
        their kind (e.g. float -> int)."""
        dtype = np.dtype(dtype)
        if dtype.kind == "U":  # event table str column (stored as UTF-8)
            ok = values.dtype.kind == "U" or values.size == 0
        else:
            ok = np.can_cast(values.dtype, dtype, casting="same_kind") or (
                values.dtype.kind in "biu" and dtype.kind in "biuf"
            )
        if not ok:
            raise ValueError(f"{self.label}{what}: cannot store dtype {values.dtype} as "
                             f"{'str' if dtype.kind == 'U' else dtype}")
        return dtype


def check_keys(what: str, given, expected) -> None:
    """Raise ValueError naming the missing and unexpected names of ``given``."""
    missing, extra = sorted(set(expected) - set(given)), sorted(set(given) - set(expected))
    if missing or extra:
        raise ValueError(f"{what}: missing {missing}, unexpected {extra} (expected exactly {sorted(expected)})")


def _buffer_dtype(dtype: np.dtype) -> np.dtype:
    """The in-memory dtype of a stored event column (fixed-length UTF-8 → numpy str)."""
    return np.dtype(str) if h5py.check_string_dtype(dtype) else dtype
