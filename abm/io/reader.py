"""Lazy reader of run files: ``load_run(path)`` returns a :class:`Run`.

Opening reads only attributes; fields, cells and events are read when asked for. A run
that is still being written can be opened between frames; it shows the frames that were
flushed when it was opened (open it again to see newer ones).
"""
from __future__ import annotations

import json
import tomllib
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from abm.io.checkpoint import checkpoint_counts, find_checkpoint
from abm.io.layout import CELL_AXES, FIELD_AXES
from abm.io.schema import CELLS, EVENTS, FIELDS, TIMESERIES, NoCheckpointError, current_layout, from_attr, open_h5


def load_run(path: str | Path) -> Run:
    """Open the run file at ``path`` for reading (raises SchemaError for unknown versions)."""
    return Run(path)


class Run:
    """A run file opened for reading; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = open_h5(self.path, "r")
        try:
            self._root = current_layout(self._file)
        except BaseException:
            self._file.close()
            raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Run {self.path.name}: {self.scenario!r} seed={self.seed} frames={self.n_frames} {self.status}>"

    # ------------------------------------------------------------------ metadata
    @cached_property
    def attrs(self) -> dict:
        """Root attributes as plain Python values (``units`` decoded from JSON)."""
        attrs = {name: from_attr(value) for name, value in self._root.attrs.items()}
        attrs["units"] = json.loads(attrs["units"])
        return attrs

    seed = property(lambda self: self.attrs["seed"], doc="The run's seed (int).")
    scenario = property(lambda self: self.attrs["scenario"], doc="Scenario name.")
    status = property(lambda self: self.attrs["status"], doc="'running' (or killed) or 'complete'.")
    schema_version = property(lambda self: self.attrs["schema_version"], doc="Schema version of the file.")
    config_toml = property(lambda self: self.attrs["config_toml"], doc="The fully resolved config (TOML text).")

    @cached_property
    def config(self) -> dict:
        """The resolved config as a dict."""
        return tomllib.loads(self.config_toml)

    # ------------------------------------------------------------------ fields
    @cached_property
    def n_frames(self) -> int:
        """Number of complete frames (a kill mid-frame can leave one longer dataset; it is ignored)."""
        fields, cells = self._root[FIELDS], self._root[CELLS]
        lengths = [len(fields["time"]), len(cells["time"]), len(cells["offsets"]) - 1]
        lengths += [fields[name].shape[0] for name in self.field_names]
        return min(lengths)

    @property
    def frame_times(self) -> np.ndarray:
        """Frame times (min), shape (n_frames,)."""
        return self._root[FIELDS]["time"][: self.n_frames]

    x_um = property(lambda self: self._root[FIELDS]["x"][:], doc="Cell-centre x positions (µm), shape (nx,).")
    y_um = property(lambda self: self._root[FIELDS]["y"][:], doc="Cell-centre y positions (µm), shape (ny,).")

    @cached_property
    def field_names(self) -> list[str]:
        return [name for name in self._root[FIELDS] if name not in FIELD_AXES]

    def field(self, name: str, frame: int | None = None):
        """Field ``name``: frame ``frame`` as a [y, x] float32 array, or (frame=None) the lazy
        h5py dataset [frame, y, x] to slice (only the slices asked for are read)."""
        if name not in self.field_names:
            raise KeyError(f"no field {name!r} in {self.path.name}; fields: {self.field_names}")
        dset = self._root[FIELDS][name]
        return dset if frame is None else dset[self._frame_index(frame)]

    def _frame_index(self, frame: int) -> int:
        """``frame`` as a non-negative index (negative counts from the end); IndexError if out of range."""
        n = self.n_frames
        if not -n <= frame < n:
            raise IndexError(f"frame {frame} out of range: {self.path.name} has {n} frames")
        return frame % n

    # ------------------------------------------------------------------ cells
    def cells(self, frame: int | None = None) -> pd.DataFrame:
        """Cells of one frame (index ``cell_id``) or of all frames (index ``(frame, cell_id)``).

        Enum columns (``kind``, ``phase``, …) come back as pandas Categoricals of their names.
        """
        group = self._root[CELLS]
        offsets = group["offsets"][: self.n_frames + 1]
        if frame is None:
            rows = slice(0, int(offsets[-1]))
            frames = np.repeat(np.arange(self.n_frames), np.diff(offsets))
        else:
            f = self._frame_index(frame)
            rows = slice(int(offsets[f]), int(offsets[f + 1]))
        data = {name: _decode_enum(dset, dset[rows]) for name, dset in group.items() if name not in CELL_AXES}
        ids = data.pop("id")
        if frame is None:
            index = pd.MultiIndex.from_arrays([frames, ids], names=["frame", "cell_id"])
        else:
            index = pd.Index(ids, name="cell_id")
        return pd.DataFrame(data, index=index)

    @property
    def cell_columns(self) -> list[str]:
        return [name for name in self._root[CELLS] if name not in CELL_AXES]

    def cell_counts(self) -> np.ndarray:
        """Number of cells in each frame, shape (n_frames,)."""
        return np.diff(self._root[CELLS]["offsets"][: self.n_frames + 1])

    # ------------------------------------------------------------------ time series, events
    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per model step, indexed by ``time`` (min), one column per reporter."""
        group = self._root[TIMESERIES]
        n = min(len(dset) for dset in group.values())
        data = {name: dset[:n] for name, dset in group.items() if name != "time"}
        return pd.DataFrame(data, index=pd.Index(group["time"][:n], name="time"))

    @property
    def event_tables(self) -> list[str]:
        return list(self._root[EVENTS])

    def events(self, table: str) -> pd.DataFrame:
        """Event table ``table`` (e.g. ``ctc``, ``deaths``), one row per event."""
        if table not in self._root[EVENTS]:
            raise KeyError(f"no event table {table!r} in {self.path.name}; tables: {self.event_tables}")
        group = self._root[EVENTS][table]
        n = min(len(dset) for dset in group.values())
        return pd.DataFrame({
            name: dset.asstr()[:n] if h5py.check_string_dtype(dset.dtype) else dset[:n]
            for name, dset in group.items()
        })

    @property
    def checkpoint_time(self) -> float | None:
        """Time (min) of the last checkpoint, or None if the run has none."""
        try:
            return checkpoint_counts(find_checkpoint(self._root))["time_min"]
        except NoCheckpointError:
            return None

    def summary(self) -> str:
        """A human-readable, multi-line description of the run (used by ``abm info``)."""
        from abm.io.summary import summarize

        return summarize(self)


def _decode_enum(dset: h5py.Dataset, codes: np.ndarray):
    """Codes of an enum column as a Categorical of names (unknown codes -> NaN); others as they are."""
    if "enum" not in dset.attrs:
        return codes
    enum = json.loads(dset.attrs["enum"])
    names = sorted(enum, key=enum.get)
    known = np.array([enum[n] for n in names])
    position = np.searchsorted(known, codes).clip(0, len(known) - 1)
    return pd.Categorical.from_codes(np.where(known[position] == codes, position, -1), categories=names)
