"""Join a run's head, segments and checkpoint (abm.io.parts) into one run file.

The same function makes the finished ``RUN.h5`` (on disk, written once and renamed into
place) and the view of a run still in its ``.parts`` directory that :class:`abm.io.Run`
reads (an in-memory HDF5 file), so a live run and a finished one read alike.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import h5py
import numpy as np

from abm.io import layout
from abm.io.checkpoint import find_checkpoint
from abm.io.columns import create_column
from abm.io.parts import CHECKPOINT_FILE, HEAD, committed_segments
from abm.io.schema import (
    CELLS, CHECKPOINT, EVENTS, FIELDS, METADATA_DIGEST, SITES, TIMESERIES, NoCheckpointError, RunFileError,
    check_metadata, current_layout, metadata_digest, open_h5,
)
from abm.io.segment import FRAME_DTYPE, FRAMES, SegmentInfo, block_rows, read_info


def read_head(parts: Path) -> tuple[dict, dict]:
    """(root attributes, skeleton specs) of the run in ``parts``; RunFileError if unreadable."""
    if not (parts / HEAD).exists():
        raise RunFileError(f"{parts}: the run was stopped before it committed anything (no head); "
                           "start it again with `abm run --overwrite`")
    try:
        with open_h5(parts / HEAD, "r") as head:
            current_layout(head)
            check_metadata(head)
            return dict(head.attrs), layout.specs_of(head)
    except RunFileError:
        raise
    except (OSError, KeyError, ValueError) as err:
        raise RunFileError(f"{parts / HEAD}: damaged or missing run head ({err})") from None


def segment_infos(parts: Path) -> list[SegmentInfo]:
    """The committed segments of ``parts`` with what each holds."""
    return [read_info(path) for path in committed_segments(parts)]


def assemble(parts: Path, target: h5py.File, *, status: str, with_state: bool,
             infos: list[SegmentInfo] | None = None) -> None:
    """Write the run in ``parts`` into the new, empty ``target`` with root attribute ``status``.

    ``with_state``: copy the checkpoint's model state too (the finished file keeps it;
    a reader's view needs only its counts). Raises RunFileError naming a damaged file.
    """
    attrs, specs = read_head(parts)
    infos = segment_infos(parts) if infos is None else infos
    attrs["status"] = status
    attrs.pop(METADATA_DIGEST, None)
    compression = specs["compression"]
    layout.create_skeleton(target, attrs, specs["x_um"], specs["y_um"], specs["field_units"],
                           specs["cell_columns"], specs["timeseries_columns"], compression,
                           specs["static_fields"], specs["sites"])
    # The root and each site are filled alike, each from its part of every segment.
    groups = {"": _Group(target, specs, infos, compression)}
    for name, site in specs["sites"].items():
        where = f"{SITES}/{name}"
        groups[where] = _Group(target[where], site, [info.site(name) for info in infos], compression)
    for info in infos:
        try:
            with open_h5(info.path, "r") as segment:
                for where, group in groups.items():
                    if not where or where in segment:
                        group.copy(segment[where] if where else segment)
        except RunFileError:
            raise
        except (OSError, KeyError, ValueError) as err:
            raise RunFileError(f"{info.path}: damaged segment ({err})") from None
    for group in groups.values():
        group.finish()
    _checkpoint(parts, target, with_state)
    target.attrs[METADATA_DIGEST] = metadata_digest(target.attrs)


class _Group:
    """The assembly of the run's root or of one site's group ``target`` from its part of
    every segment (``infos``: what each segment holds of it)."""

    def __init__(self, target: h5py.Group, specs: dict, infos: list[SegmentInfo], compression: int):
        self.target = target
        _size(target, infos, specs)
        _event_tables(target[EVENTS], infos, compression)
        self.rows = _Rows(target)
        self.frame, self.offsets = 0, [0]

    def copy(self, segment: h5py.Group) -> None:
        """Add the part of one segment (its root, or the site's group in it)."""
        self.frame = _copy_segment(segment, self.target, self.rows, self.frame, self.offsets)

    def finish(self) -> None:
        self.rows.flush()
        self.target[CELLS]["offsets"][:] = np.array(self.offsets, np.int64)


def _size(target: h5py.Group, infos: list[SegmentInfo], specs: dict) -> None:
    """Give every growable dataset its final length."""
    n_frames = sum(i.n_frames for i in infos)
    cell_rows = sum(i.cell_rows for i in infos)
    series_rows = sum(i.series_rows for i in infos)
    fields, cells = target[FIELDS], target[CELLS]
    fields["time"].resize(n_frames, axis=0)
    for name in specs["field_units"]:
        fields[name].resize(n_frames, axis=0)
    cells["time"].resize(n_frames, axis=0)
    cells["offsets"].resize(n_frames + 1, axis=0)
    for name in specs["cell_columns"]:
        cells[name].resize(cell_rows, axis=0)
    for dset in target[TIMESERIES].values():
        dset.resize(series_rows, axis=0)


def _event_tables(events: h5py.Group, infos: list[SegmentInfo], compression: int) -> None:
    """Create every event table at its final length; a str column is as wide as its longest
    value in any segment."""
    dtypes: dict[str, dict[str, np.dtype]] = {}
    rows: dict[str, int] = {}
    for info in infos:
        for table, columns in info.events.items():
            known = dtypes.setdefault(table, {})
            for name, dtype in columns.items():
                if h5py.check_string_dtype(dtype) and name in known:
                    dtype = max(dtype, known[name], key=lambda d: d.itemsize)
                known[name] = dtype
            rows[table] = rows.get(table, 0) + info.event_rows[table]
    for table, columns in dtypes.items():
        group = events.create_group(table)
        for name, dtype in columns.items():
            create_column(group, name, dtype, rows=rows[table], compression=compression)


class _Rows:
    """Rows bound for the 1-D datasets of ``target``, gathered across segments and written in
    large blocks (a write per column per segment costs more than the copying)."""

    FLUSH_BYTES = 64 << 20

    def __init__(self, target: h5py.Group):
        self.target = target
        self.at: dict[str, int] = {}
        self.pending: dict[str, list[np.ndarray]] = {}
        self.nbytes = 0

    def add(self, name: str, values: np.ndarray) -> None:
        self.pending.setdefault(name, []).append(values)
        self.nbytes += values.nbytes
        if self.nbytes > self.FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for name, blocks in self.pending.items():
            start = self.at.get(name, 0)
            values = np.concatenate(blocks)
            self.target[name][start:start + len(values)] = values
            self.at[name] = start + len(values)
        self.pending, self.nbytes = {}, 0


def _copy_segment(segment: h5py.Group, target: h5py.Group, rows: _Rows, frame: int,
                  offsets: list[int]) -> int:
    """Copy one segment: its field frames (as stored chunks) at ``frame``, its table rows into
    ``rows``, its cell counts onto ``offsets``; return the next frame index. ``segment`` and
    ``target`` are the roots of the files, or a site's group in each."""
    if FRAMES not in segment:
        frames = np.empty(0, FRAME_DTYPE)
    else:
        frames = segment[FRAMES][()]
        for name, dset in segment[FIELDS].items():
            # The stored chunk (compressed, checksummed) as it is: no decoding, no encoding.
            mask, chunk = dset.id.read_direct_chunk((0, 0, 0))
            target[FIELDS][name].id.write_direct_chunk((frame, 0, 0), chunk, mask)
        rows.add(f"{FIELDS}/time", frames["time"])
        rows.add(f"{CELLS}/time", frames["time"])
        offsets.extend((offsets[-1] + np.cumsum(frames["count"])).tolist())
    for name in (CELLS, TIMESERIES):
        if name in segment:
            _add_table(rows, segment[name], name)
    for name, dset in segment.get(EVENTS, {}).items():
        _add_table(rows, dset, f"{EVENTS}/{name}")
    return frame + len(frames)


def _add_table(rows: _Rows, table: h5py.Dataset, prefix: str) -> None:
    """Add each column of a segment's compound ``table`` to ``rows`` as ``prefix/column``,
    reading :data:`~abm.io.segment.BLOCK_BYTES` of rows at a time: a 1M-cell frame's table
    (~200 MB) read whole set the memory peak of a large run's assembly."""
    block = block_rows(table)
    for start in range(0, len(table), block):
        values = table[start:start + block]
        for column in values.dtype.names:
            rows.add(f"{prefix}/{column}", values[column])


def _checkpoint(parts: Path, target: h5py.File, with_state: bool) -> None:
    """Copy the checkpoint's counts (and, ``with_state``, its state) into ``target``."""
    path = parts / CHECKPOINT_FILE
    if not path.exists():
        return
    try:
        with open_h5(path, "r") as h5file:
            source = find_checkpoint(h5file)
            group = target.create_group(CHECKPOINT)
            for key, value in source.attrs.items():
                group.attrs[key] = value
            if with_state:
                h5file.copy(source["state"], group, "state")
            else:
                group.create_group("state")
    except (OSError, KeyError, NoCheckpointError) as err:
        raise RunFileError(f"{path}: damaged checkpoint ({err})") from None


def assemble_in_memory(parts: Path, status: str) -> h5py.File:
    """The run in ``parts`` as an in-memory HDF5 file (nothing written to disk)."""
    name = f"{parts}.view-{uuid.uuid4().hex}"  # HDF5 keys open files by name: never reuse one
    h5file = h5py.File(name, "w", driver="core", backing_store=False)
    try:
        assemble(parts, h5file, status=status, with_state=False)
    except BaseException:
        h5file.close()
        raise
    return h5file

