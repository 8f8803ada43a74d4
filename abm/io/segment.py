"""One segment of a run (``.parts/seg_NNNNNNNN.h5``): what one commit adds, written once
(abm.io.parts.write_atomic) and never changed.

Contents, every dataset fletcher32-checksummed and absent where it would be empty:

``fields/NAME`` [k, y, x]
    the field frames of this commit (k is 0 or 1), chunked and filtered exactly like the
    run file's fields, so their chunks are copied into it as stored;
``frames`` [k]
    per frame: ``time`` (min) and ``count`` (cell rows);
``cells`` [rows], ``timeseries`` [r], ``events/TABLE`` [n]
    the cells of those frames, the time-series rows (``time`` and the reporters) and the
    event rows buffered since the previous commit, each table as one compound dataset (one
    field per column; strings as fixed-length UTF-8). One dataset per table, not per column,
    because opening an HDF5 object costs more than reading a few rows from it.

``sites/NAME/...``
    the same for each secondary site of the run (its frame, cells, time-series and event
    rows), in the same file, so that one commit holds every site or none. Absent for a site
    the commit adds nothing to, and in runs without sites.

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
from abm.io.schema import CELLS, EVENTS, FIELDS, SITES, TIMESERIES, RunFileError, create_part, open_h5

FRAMES = "frames"
FRAME_DTYPE = np.dtype([("time", np.float64), ("count", np.int64)])
BLOCK_BYTES = 4 << 20
"""Rows of a table are converted to the stored compound form and written this many bytes at
a time (rounded down to whole chunks). Design choice: large enough that h5py's per-write
overhead is small against copying 4 MiB, small against a 1M-cell frame's table (~200 MB)."""


def block_rows(dset: h5py.Dataset) -> int:
    """Rows of ``dset`` (a chunked 1-D table) per block of about :data:`BLOCK_BYTES`, a whole
    number of chunks, so that no chunk is read or written twice."""
    chunk = dset.chunks[0] if dset.chunks else 1
    return max(1, BLOCK_BYTES // (dset.dtype.itemsize * chunk)) * chunk


def write_segment(path: Path, *, index: int, final: bool, compression: int,
                  frame: tuple[float, dict, dict] | None = None,
                  series: tuple[np.ndarray, dict] | None = None,
                  events: dict[str, dict[str, np.ndarray]] | None = None,
                  sites: dict[str, tuple] | None = None) -> None:
    """Write segment ``path`` atomically.

    ``frame``: (time in min, {field: float [y, x], stored as float32}, {cell column: 1-D
    array}) or None.
    ``series``: (times in min [r], {column: [r]}) or None. ``events``: {table: {column: [n]}}
    (str columns as numpy str). ``sites``: {name: (frame, series, events)} of the same forms,
    written as ``sites/name``. Raises OSError (e.g. ENOSPC) with nothing left behind.
    """
    def write(tmp: Path) -> None:
        with create_part(tmp) as h5file:
            h5file.attrs["index"] = int(index)
            h5file.attrs["final"] = bool(final)
            _write_rows(h5file, compression, frame, series, events)
            for name, rows in (sites or {}).items():
                _write_rows(h5file.require_group(f"{SITES}/{name}"), compression, *rows)

    write_atomic(path, write)


def _write_rows(h5file: h5py.Group, compression: int, frame, series, events) -> None:
    """The frame, time-series rows and event rows of one commit, into the segment's root or a site's group."""
    if frame is not None:
        time_min, grids, columns = frame
        fields = h5file.create_group(FIELDS)
        for name, grid in grids.items():  # cast one at a time: one float32 copy alive
            create_field(fields, name, grid.shape, frames=1,
                         compression=compression)[0] = grid.astype(np.float32, copy=False)
        _put(h5file, FRAMES, {"time": np.array([time_min]), "count": np.array([len(columns["id"])])},
             FRAME_DTYPE)
        _put(h5file, CELLS, columns)
    if series is not None:
        _put(h5file, TIMESERIES, {"time": series[0], **series[1]})
    for table, columns in (events or {}).items():
        _put(h5file.require_group(EVENTS), table, columns)


def _put(group: h5py.Group, name: str, columns: dict[str, np.ndarray], dtype: np.dtype | None = None) -> None:
    """Store equal-length ``columns`` as one compound dataset ``group/name`` (str columns as
    fixed-length UTF-8); nothing if they are empty."""
    rows = len(next(iter(columns.values())))
    if not rows:
        return
    if dtype is None:
        dtype = np.dtype([(n, utf8_dtype(c) if c.dtype.kind == "U" else c.dtype) for n, c in columns.items()])
    dset = create_column(group, name, dtype, rows=rows)
    # Row blocks: the compound copy of a frame's cell table (207 B per cell, 1M cells) would
    # otherwise double the memory the frame's columns already take.
    block = block_rows(dset)
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        table = np.empty(stop - start, dtype)
        for n, c in columns.items():
            table[n] = encode_utf8(c[start:stop], dtype[n]) if c.dtype.kind == "U" else c[start:stop]
        dset[start:stop] = table


@dataclass
class SegmentInfo:
    """What a segment holds, read from its metadata (no data): frames, cell rows, time-series
    rows, event rows and column dtypes per table."""

    path: Path
    index: int
    final: bool
    n_frames: int = 0
    cell_rows: int = 0
    series_rows: int = 0
    events: dict[str, dict[str, np.dtype]] = field(default_factory=dict)
    event_rows: dict[str, int] = field(default_factory=dict)
    sites: dict[str, SegmentInfo] = field(default_factory=dict)
    """What the segment holds of each site, as SegmentInfos of their own (without sites)."""

    def site(self, name: str) -> SegmentInfo:
        """What the segment holds of site ``name`` (nothing, if it holds no group of it)."""
        return self.sites.get(name) or SegmentInfo(self.path, self.index, self.final)


def read_info(path: Path) -> SegmentInfo:
    """The :class:`SegmentInfo` of segment ``path``; RunFileError if it cannot be read."""
    try:
        with open_h5(path, "r") as h5file:
            index, final = int(h5file.attrs["index"]), bool(h5file.attrs["final"])
            info = _read_rows(h5file, SegmentInfo(path, index, final))
            for name, group in (h5file[SITES].items() if SITES in h5file else ()):
                info.sites[name] = _read_rows(group, SegmentInfo(path, index, final))
    except RunFileError:
        raise
    except (OSError, KeyError, ValueError) as err:
        raise RunFileError(f"{path}: damaged segment ({err})") from None
    return info


def _read_rows(h5file: h5py.Group, info: SegmentInfo) -> SegmentInfo:
    """Fill ``info`` with what the segment's root (or a site's group) ``h5file`` holds."""
    info.n_frames = len(h5file[FRAMES]) if FRAMES in h5file else 0
    info.cell_rows = len(h5file[CELLS]) if CELLS in h5file else 0
    info.series_rows = len(h5file[TIMESERIES]) if TIMESERIES in h5file else 0
    for table, dset in h5file.get(EVENTS, {}).items():
        info.events[table] = column_dtypes(dset.dtype)
        info.event_rows[table] = len(dset)
    return info


def column_dtypes(compound: np.dtype) -> dict[str, np.dtype]:
    """{column: dtype} of a segment table's compound dtype (UTF-8 fields as h5py string dtypes)."""
    out = {}
    for name in compound.names:
        dtype = compound[name]
        out[name] = h5py.string_dtype("utf-8", dtype.itemsize) if dtype.kind == "S" else dtype
    return out
