"""The read API of one group of a run file: the run's root, or a secondary site's group.

:class:`RunGroup` holds every read that works on a group laid out like a run (fields, cells,
time series, events); :class:`abm.io.reader.Run` is the RunGroup of the file's root (plus the
run's identity, status and checkpoint), :class:`Site` the RunGroup of ``sites/NAME``. One
code path reads both, so a site reads exactly like a run.
"""
from __future__ import annotations

import functools
import json
from functools import cached_property

import h5py
import numpy as np
import pandas as pd

from abm.io.layout import (CELL_AXES, LENGTH_UNITS, TIME_UNITS, event_columns, is_frame_field,
                           is_static_field)
from abm.io.schema import CELLS, EVENTS, FIELDS, TIMESERIES, RunFileError, from_attr
from abm.io.xarray_frames import lazy_frames, xarray_module

VESSELS_LONG_NAME = "vessel sites"
"""``long_name`` of the static ``fields/vessels`` map (:attr:`Run.vessels`); the solved
fields' long names are their declarations' (:class:`abm.fields.specs.FieldSpec`)."""


class _NotInFile(KeyError):
    """A name the caller asked for is not in the file."""


class _AskedTwice(ValueError):
    """A name the caller asked for more than once (not a damaged file)."""


def _reading(method):
    """Report a failed HDF5 read (a checksum that does not match, a damaged object) as
    RunFileError naming the run, instead of h5py's OSError."""
    @functools.wraps(method)
    def read(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (_NotInFile, _AskedTwice, RunFileError):
            raise
        except (OSError, KeyError, RuntimeError, TypeError, ValueError, AttributeError) as err:
            # h5py meets damaged metadata with any of these (a dataspace read as None, …)
            raise RunFileError(f"{self.path}: damaged run file: {method.__name__} failed "
                               f"({err})") from None
    return read


class RunGroup:
    """The reads of a group laid out like a run (the run's root, or a site's group).

    Subclasses set ``path`` (the run file), ``_file`` (the open h5py file), ``_root`` (the
    group), ``_where`` (how messages name it) and ``attrs`` (its attributes, ``units``
    decoded), and call :meth:`_fix_shape` once open.
    """

    path: object
    _where: str
    _series: pd.DataFrame | None = None  # the time series, once read

    def _fix_shape(self) -> None:
        _ = self.attrs, self.n_frames, self.field_names  # fixed now, as the run is at opening

    # ------------------------------------------------------------------ frames and axes
    @cached_property
    @_reading
    def n_frames(self) -> int:
        """Number of complete frames when the run was opened (in files of the earlier store,
        a kill mid-frame could leave one dataset a frame longer: that frame is ignored)."""
        fields, cells = self._root[FIELDS], self._root[CELLS]
        lengths = [len(fields["time"]), len(cells["time"]), len(cells["offsets"]) - 1]
        lengths += [fields[name].shape[0] for name in self.field_names]
        return min(lengths)

    @property
    @_reading
    def frame_times(self) -> np.ndarray:
        """Frame times (min since the start of the run), float64, shape (n_frames,)."""
        return self._root[FIELDS]["time"][: self.n_frames]

    def frame_at(self, time_min: float) -> int:
        """Index of the frame nearest ``time_min`` (min; the earlier one on a tie).

        Raises ValueError if the run has no frame yet or ``time_min`` is not finite.
        """
        time_min = float(time_min)
        if not np.isfinite(time_min):
            raise ValueError(f"time_min must be finite, got {time_min!r}")
        times = self.frame_times
        if not len(times):
            raise ValueError(f"{self._where} has no frame yet")
        return int(np.argmin(np.abs(times - time_min)))  # argmin: first of equal distances

    @property
    @_reading
    def x_um(self) -> np.ndarray:
        """Site-centre x positions (µm), float64, shape (nx,): the coordinate of field axis 1."""
        return self._root[FIELDS]["x"][:]

    @property
    @_reading
    def y_um(self) -> np.ndarray:
        """Site-centre y positions (µm), float64, shape (ny,): the coordinate of field axis 0."""
        return self._root[FIELDS]["y"][:]

    # ------------------------------------------------------------------ fields
    @cached_property
    @_reading
    def field_names(self) -> list[str]:
        """Names of the time-dependent fields ([frame, y, x] datasets, e.g. ``oxygen``,
        ``glucose``), in file order. Static maps such as ``vessels`` are not fields."""
        return [name for name, dset in self._root[FIELDS].items() if is_frame_field(name, dset)]

    @property
    def fields(self) -> list[str]:
        """The same as :attr:`field_names`."""
        return self.field_names

    @cached_property
    @_reading
    def static_field_names(self) -> list[str]:
        """Names of the static [y, x] maps written when the run was created (``["vessels"]``
        in files since the vessel map was stored, ``[]`` in older ones)."""
        return [name for name, dset in self._root[FIELDS].items() if is_static_field(name, dset)]

    def field(self, name: str, frame: int | None = None):
        """Field ``name`` as stored: no coordinates, no copy until read.

        ``frame`` an int (negative counts from the end): that frame as a float32 numpy array
        of shape (ny, nx), indexed [y, x]. ``frame=None``: the lazy h5py dataset of shape
        (frames, ny, nx) to slice (only the slices asked for are read; its first ``n_frames``
        frames are complete; in files of the earlier store a killed run may have one more).
        Units: ``run.attrs["units"]["fields"][name]``; coordinates: :attr:`frame_times`,
        :attr:`y_um`, :attr:`x_um` (or use :meth:`field_array`). Reads through the raw
        dataset raise h5py's OSError on damaged data; ``field(name, frame)`` and
        :meth:`field_array` raise RunFileError.
        """
        if frame is None:
            return self._field_dataset(name)
        return self._read_frame(name, self.frame_index(frame))

    @_reading
    def _read_frame(self, name: str, frame: int) -> np.ndarray:
        return self._field_dataset(name)[frame]

    def field_array(self, name: str, frame: int | None = None):
        """Field ``name`` with its coordinates, as an ``xarray.DataArray`` when xarray is installed.

        ``frame=None``: dims ``("time", "y", "x")``, shape (n_frames, ny, nx), **lazy**: nothing
        of the field is read until values are asked for (``.values``, ``.load()``, plotting),
        and then only the frames selected (``da.isel(time=-1)``, ``da.sel(time=1440,
        method="nearest")``). The lazy array reads through this Run's file: load what you
        need before :meth:`close`. ``frame`` an int: that frame, dims ``("y", "x")``, read
        now, with a scalar ``time`` coordinate.

        Coordinates: ``time`` (min), ``y`` and ``x`` (µm, site centres). Attributes: ``units``
        (from the file's ``units`` attribute) and ``long_name``. dtype float32.

        Without xarray: the same as :meth:`field` (a numpy [y, x] array for one frame, the lazy
        h5py dataset [frame, y, x] for all); the coordinates are :attr:`frame_times`,
        :attr:`y_um` and :attr:`x_um`, the units ``run.attrs["units"]["fields"][name]``.
        """
        dset = self._field_dataset(name)
        xr = xarray_module()
        if xr is None:
            return self.field(name, frame)
        long_name = _long_name(name, dset)
        attrs = {"units": self.attrs["units"].get("fields", {}).get(name, ""),
                 "long_name": long_name}
        coords = {"y": ("y", self.y_um, {"units": LENGTH_UNITS, "long_name": "y (site centre)"}),
                  "x": ("x", self.x_um, {"units": LENGTH_UNITS, "long_name": "x (site centre)"})}
        time_attrs = {"units": TIME_UNITS, "long_name": "time since the start of the run"}
        if frame is not None:
            f = self.frame_index(frame)
            coords["time"] = ((), self.frame_times[f], time_attrs)
            return xr.DataArray(self.field(name, f), dims=("y", "x"), coords=coords, name=name,
                                attrs=attrs)
        coords["time"] = ("time", self.frame_times, time_attrs)
        data = xr.Variable(("time", "y", "x"), lazy_frames(self, name, dset), attrs=attrs)
        return xr.DataArray(data, coords=coords, name=name)

    def _field_dataset(self, name: str) -> h5py.Dataset:
        if name not in self.field_names:
            raise _NotInFile(f"no field {name!r} in {self._where}; fields: {self.field_names}")
        return self._root[FIELDS][name]

    def frame_index(self, frame: int) -> int:
        """``frame`` (an int; negative counts from the end) as an index in ``0 … n_frames - 1``;
        IndexError if out of range."""
        n = self.n_frames
        if not -n <= frame < n:
            raise IndexError(f"frame {frame} out of range: {self._where} has {n} frames")
        return frame % n

    @cached_property
    @_reading
    def _vessels(self) -> np.ndarray | None:
        if "vessels" in self.static_field_names:
            return self._root[FIELDS]["vessels"][()] != 0
        return self._derived_vessels()

    def _derived_vessels(self) -> np.ndarray | None:
        """The vessel sites of a group that stores no map (None: unknown)."""
        return None

    @property
    def vessels(self) -> np.ndarray | None:
        """The vessel sites, bool, shape (ny, nx), indexed [y, x] (True: a vessel).

        Read from ``fields/vessels`` (written when the run was created); files from before that
        map was stored get the sites at the blood O2 level, ``oxygen`` frame 0 ≥
        ``config["oxygen"]["vessel_mmHg"]`` (the solver holds exactly that value there and less
        everywhere else). None if a file has neither (no frame yet). A new array each call.
        """
        vessels = self._vessels
        return None if vessels is None else vessels.copy()

    # ------------------------------------------------------------------ cells
    @_reading
    def cells(self, frame: int | None = None, columns=None, cell_ids=None) -> pd.DataFrame:
        """The live cells of one frame or of all frames, one row per cell.

        ``frame`` an int (negative counts from the end): index ``cell_id`` (int64, unique in
        the frame). ``frame=None``: all frames, MultiIndex ``(frame, cell_id)`` (frame the
        0-based frame index; ``run.frame_times[frame]`` is its time). Columns: :attr:`cell_columns`
        less ``id``: ``x``, ``y`` (µm, site centres), ``kind``, ``phase``, ``oxygen`` (mmHg), …
        (units: ``run.attrs["units"]["cells"]``). Enum columns (``kind``, ``phase``, ``route``)
        come back as pandas Categoricals of their names. ``columns``: only these columns (a
        sequence of names, in that order; the others are not read), KeyError naming the
        stored ones for a name the file lacks, ValueError for a name given twice (a
        DataFrame's columns are unique); None: all. ``cell_ids``: only the rows of these
        cells (a sequence of ids; only the parts of the file that hold them are read, e.g.
        one cell's history is ``cells(None, cell_ids=[i])``); None: every cell.
        """
        group = self._root[CELLS]
        stored = [name for name in group if name not in CELL_AXES and name != "id"]
        if columns is None:
            columns = stored
        else:
            columns = list(columns)
            unknown = [name for name in columns if name not in stored]
            if unknown:
                raise _NotInFile(f"no cell column(s) {unknown} in {self._where}; "
                                 f"columns: {stored}")
            twice = sorted({name for name in columns if columns.count(name) > 1})
            if twice:
                raise _AskedTwice(f"cell column(s) {twice} asked for more than once")
        offsets = group["offsets"][: self.n_frames + 1]
        if frame is None:
            spans = list(range(self.n_frames))
            rows = slice(0, int(offsets[-1]))
        else:
            spans = [self.frame_index(frame)]
            rows = slice(int(offsets[spans[0]]), int(offsets[spans[0] + 1]))
        if cell_ids is None:
            ids = group["id"][rows]
            if frame is None:
                frames = np.repeat(np.arange(self.n_frames), np.diff(offsets))
        else:
            rows, ids = _rows_of(group["id"], offsets, spans, cell_ids)
            # each row's frame: the last frame starting at or before it
            frames = np.searchsorted(offsets, rows, side="right") - 1
        data = {name: _decode_enum(group[name], _read_rows(group[name], rows))
                for name in columns}
        if frame is None:
            index = pd.MultiIndex.from_arrays([frames, ids], names=["frame", "cell_id"])
        else:
            index = pd.Index(ids, name="cell_id")
        return pd.DataFrame(data, index=index)

    @property
    @_reading
    def cell_columns(self) -> list[str]:
        """Names of the stored cell columns, ``id`` included (file order; older files have
        fewer)."""
        return [name for name in self._root[CELLS] if name not in CELL_AXES]

    @_reading
    def cell_counts(self) -> np.ndarray:
        """Number of cells in each frame, int64, shape (n_frames,)."""
        return np.diff(self._root[CELLS]["offsets"][: self.n_frames + 1])

    # ------------------------------------------------------------------ time series, events
    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per model step (step 0 included), indexed by ``time`` (min), one column
        per reporter (``n_tumor``, ``hypoxic_fraction``, …; which ones depends on the run).
        Read once and a copy handed out on every access (metrics and figures read it many
        times)."""
        if self._series is None:
            self._series = self._read_timeseries()
        return self._series.copy()

    @_reading
    def _read_timeseries(self) -> pd.DataFrame:
        group = self._root[TIMESERIES]
        n = min(len(dset) for dset in group.values())
        data = {name: dset[:n] for name, dset in group.items() if name != "time"}
        return pd.DataFrame(data, index=pd.Index(group["time"][:n], name="time"))

    @property
    @_reading
    def timeseries_columns(self) -> list[str]:
        """Names of the time-series columns (reporters), without reading them."""
        return [name for name in self._root[TIMESERIES] if name != "time"]

    @property
    @_reading
    def event_tables(self) -> list[str]:
        """Names of the event tables in the file (``[]`` if the run had no events): e.g.
        ``immune_kills``, ``drug_deaths``, ``doses``, ``immune_cells``, ``ctc``, ``ctc_members``.
        A table exists once its first row was written."""
        return list(self._root[EVENTS]) if EVENTS in self._root else []

    def events(self, table: str) -> pd.DataFrame:
        """Event table ``table``, one row per event (RangeIndex), one column per stored column
        (times in min, positions in µm; strings as str), in the declared order where the run
        declares its tables (else the file's). A table the run declares but never
        wrote a row to (e.g. ``ctc`` of a run without shedding) is an empty frame with its
        columns; an unknown name raises KeyError."""
        declared = event_columns(self.attrs)
        if table not in self.event_tables:
            if table in declared:
                return pd.DataFrame({name: pd.Series(dtype=object) for name in declared[table]})
            raise _NotInFile(f"no event table {table!r} in {self._where}; tables: "
                             f"{sorted(set(self.event_tables) | set(declared))}")
        frame = self._read_table(table)
        return frame[declared[table]] if table in declared else frame

    @_reading
    def _read_table(self, table: str) -> pd.DataFrame:
        return _read_table(self._root[EVENTS][table])


def _read_table(group: h5py.Group) -> pd.DataFrame:
    """An event table's columns (strings as str), cut to the shortest column."""
    n = min(len(dset) for dset in group.values())
    return pd.DataFrame({
        name: dset.asstr()[:n] if h5py.check_string_dtype(dset.dtype) else dset[:n]
        for name, dset in group.items()
    })


def _rows_of(id_column: h5py.Dataset, offsets: np.ndarray, frames: list[int], cell_ids
             ) -> tuple[np.ndarray, np.ndarray]:
    """The row numbers (increasing, int64) and ids of the rows of ``id_column`` whose id is
    among ``cell_ids``, in ``frames`` (indices; frame f holds rows ``offsets[f]`` to
    ``offsets[f + 1]``). The ids are read one frame at a time, so memory stays that of one
    frame's ids however many frames the run has."""
    wanted = np.asarray(cell_ids, dtype=id_column.dtype)
    rows, ids = [np.empty(0, np.int64)], [np.empty(0, id_column.dtype)]
    for f in frames:
        start = int(offsets[f])
        frame_ids = id_column[start:int(offsets[f + 1])]
        hit = np.flatnonzero(np.isin(frame_ids, wanted))
        rows.append(hit + start)
        ids.append(frame_ids[hit])
    return np.concatenate(rows), np.concatenate(ids)


def _read_rows(dataset, rows: slice | np.ndarray) -> np.ndarray:
    """``dataset``'s values at ``rows`` (a slice, or increasing row numbers; h5py refuses
    an empty list of rows, so none reads an empty array of its dtype). Many rows are read
    as the span that holds them and picked in memory: h5py's point selection costs per row
    (design choice: above :data:`POINT_ROWS` rows)."""
    if isinstance(rows, slice):
        return dataset[rows]
    if len(rows) == 0:
        return np.empty(0, dtype=dataset.dtype)
    if len(rows) > POINT_ROWS:
        return dataset[int(rows[0]):int(rows[-1]) + 1][rows - rows[0]]
    return dataset[rows]


POINT_ROWS = 1000
"""Most rows read by h5py's point selection; more are read as their span (design choice:
point selection is fast for one cell's history, slow for thousands of rows)."""


def _decode_enum(dset: h5py.Dataset, codes: np.ndarray):
    """Codes of an enum column as a Categorical of names (unknown codes -> NaN); others as
    they are."""
    if "enum" not in dset.attrs:
        return codes
    enum = json.loads(dset.attrs["enum"])
    names = sorted(enum, key=enum.get)
    known = np.array([enum[n] for n in names])
    position = np.searchsorted(known, codes).clip(0, len(known) - 1)
    return pd.Categorical.from_codes(np.where(known[position] == codes, position, -1),
                                     categories=names)


def _long_name(name: str, dset: h5py.Dataset) -> str:
    stored = dset.attrs.get("long_name")
    if stored is not None:
        return from_attr(stored)
    if name == "vessels":
        return VESSELS_LONG_NAME
    # Not at import time: reading a run does not import the model's kernels.
    from abm.fields.solutes import field_spec

    spec = field_spec(name)
    return name.replace("_", " ") if spec is None else spec.long_name


class Site(RunGroup):
    """Secondary site ``name`` of an open run (``run.site(name)``): the group ``sites/NAME``,
    read with the same API as the run (``timeseries``, ``frame_times``, ``cells(frame)``,
    ``field(name, frame)``, ``vessels``, ``events(table)``, ``x_um``, ``y_um``, …).

    ``attrs`` are the site group's: ``units`` (decoded, as ``Run.attrs["units"]``) and, when
    the site declares event tables, ``event_columns``. It reads through the run's open file:
    read what you need before closing the run.
    """

    def __init__(self, run, name: str, group: h5py.Group):
        self.name = name
        self.path, self._file, self._root = run.path, run._file, group
        self._where = f"site {name!r} of {run.path.name}"
        self._fix_shape()

    def __repr__(self) -> str:
        return f"<Site {self.name!r} of {self.path.name}: frames={self.n_frames}>"

    @cached_property
    @_reading
    def attrs(self) -> dict:
        """The site group's attributes as plain Python values (``units`` decoded from JSON)."""
        attrs = {name: from_attr(value) for name, value in self._root.attrs.items()}
        attrs["units"] = json.loads(attrs["units"])
        return attrs
