"""One segment of a run (``.parts/seg_NNNNNNNN.h5``): what one commit adds, in the run file's
own layout, written once (abm.io.parts.write_atomic) and never changed.

Contents, every dataset fletcher32-checksummed and absent where it would be empty:

``fields/time`` [k], ``fields/NAME`` [k, y, x]
    the frames of this commit (k is 0 or 1), chunked and filtered exactly like the run file's
    fields, so their chunks are copied into it as stored;
``cells/time`` [k], ``cells/count`` [k], ``cells/COLUMN`` [rows]
    the cells of those frames (``count``: rows per frame);
``timeseries/time`` [r], ``timeseries/COLUMN`` [r]
    the time-series rows buffered since the previous commit;
``events/TABLE/COLUMN`` [rows]
    the event rows buffered since then; strings as fixed-length UTF-8.

Root attributes: ``index`` (1-based) and ``final`` (True on the segment that closes a
complete run: everything after it is assembly).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from abm.io.columns import create_column, create_field, encode_utf8, utf8_dtype
from abm.io.parts import write_atomic
from abm.io.schema import CELLS, EVENTS, FIELDS, TIMESERIES, RunFileError, create_part, open_h5

COUNT = "count"


def write_segment(path: Path, *, index: int, final: bool, compression: int,
                  frame: tuple[float, dict, dict] | None = None,
                  series: tuple[np.ndarray, dict] | None = None,
                  events: dict[str, dict[str, np.ndarray]] | None = None) -> None:
    """Write segment ``path`` atomically.

    ``frame``: (time in min, {field: float32 [y, x]}, {cell column: 1-D array}) or None.
    ``series``: (times in min [r], {column: [r]}) or None. ``events``: {table: {column: [n]}}
    (str columns as numpy str). Raises OSError (e.g. ENOSPC) with nothing left behind.
    """
    def write(tmp: Path) -> None:
        with create_part(tmp) as h5file:
            h5file.attrs["index"] = int(index)
            h5file.attrs["final"] = bool(final)
            if frame is not None:
                time_min, grids, columns = frame
                fields = h5file.create_group(FIELDS)
                _put(fields, "time", np.array([time_min], np.float64))
                for name, grid in grids.items():
                    create_field(fields, name, grid.shape, frames=1, compression=compression)[0] = grid
                cells = h5file.create_group(CELLS)
                _put(cells, "time", np.array([time_min], np.float64))
                _put(cells, COUNT, np.array([len(columns["id"])], np.int64))
                for name, column in columns.items():
                    _put(cells, name, column)
            if series is not None and len(series[0]):
                group = h5file.create_group(TIMESERIES)
                _put(group, "time", np.asarray(series[0], np.float64))
                for name, column in series[1].items():
                    _put(group, name, column)
            for table, columns in (events or {}).items():
                group = h5file.require_group(EVENTS).create_group(table)
                for name, column in columns.items():
                    _put(group, name, column)

    write_atomic(path, write)


def _put(group: h5py.Group, name: str, values: np.ndarray) -> None:
    """Store 1-D ``values`` as ``group/name`` (str as fixed-length UTF-8); skip empty ones."""
    if not len(values):
        return
    if values.dtype.kind == "U":
        dtype = utf8_dtype(values)
        values = encode_utf8(values, dtype)
    else:
        dtype = values.dtype
    create_column(group, name, dtype, rows=len(values))[:] = values


@dataclass
class SegmentInfo:
    """What a segment holds, read from its metadata (no data): frames, cell rows, time-series
    rows, event rows and dtypes per table."""

    path: Path
    index: int
    final: bool
    n_frames: int = 0
    cell_rows: int = 0
    series_rows: int = 0
    events: dict[str, dict[str, np.dtype]] = field(default_factory=dict)
    event_rows: dict[str, int] = field(default_factory=dict)


def read_info(path: Path) -> SegmentInfo:
    """The :class:`SegmentInfo` of segment ``path``; RunFileError if it cannot be read."""
    try:
        with open_h5(path, "r") as h5file:
            info = SegmentInfo(path, int(h5file.attrs["index"]), bool(h5file.attrs["final"]))
            if FIELDS in h5file:
                info.n_frames = len(h5file[FIELDS]["time"])
                info.cell_rows = int(h5file[CELLS][COUNT][()].sum()) if COUNT in h5file[CELLS] else 0
            if TIMESERIES in h5file:
                info.series_rows = len(h5file[TIMESERIES]["time"])
            for table, group in h5file.get(EVENTS, {}).items():
                info.events[table] = {name: dset.dtype for name, dset in group.items()}
                info.event_rows[table] = max(len(d) for d in group.values())
    except (OSError, KeyError, ValueError) as err:
        raise RunFileError(f"{path}: damaged segment ({err})") from None
    return info
