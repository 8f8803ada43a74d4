"""What the viewer shows, read the same way from a stored run and from a live model.

:class:`StoredRun` reads frames of a run file (the last few kept in memory, so that going
back and forth or switching maps does not read the file again); :class:`LiveView` reads
the arrays of a running :class:`abm.TumorModel`, whose one frame is its present state.
Both offer: ``label``, ``shape`` (ny, nx), ``x_um``, ``y_um`` (site centres, µm),
``vessels``, ``field_names``, ``field_units``, ``cell_units``, ``frame_times`` (min),
``species`` (the network species among the cell columns; none without a network),
``map_cells(frame)`` (a frame's cells with at least the columns a map needs, a DataFrame
indexed by ``cell_id`` as :meth:`abm.io.Run.cells`), ``cell(frame, cell_id)`` (its row with
every column, or none), ``field(name, frame)`` (float ``[ny, nx]``), ``vmax(name)`` (upper
colour limit), ``timeseries`` (reporters by time in min), ``history(cell_id)`` (a cell's
rows over the frames, by time in min), ``token`` (a number no other source of this process
has: cache keys) and ``lock`` (held while reading it from several threads).
"""
from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from abm.fields.specs import VMAX_VESSEL
from abm.io import load_run
from abm.io.recorder import frame_cells, recorded_columns
from abm.tumor.cells import cell_columns
from abm.tumor.phenotype.network_fate import FATE_COLUMNS, NetworkFate
from abm.viz.style import colour_max, declared_field

_TOKENS = itertools.count()
"""Numbers that tell sources apart for as long as the server runs (``id()`` is reused once
an object is gone, and a cache keyed by it could hand a new source an old picture)."""

MAP_COLUMNS = ("x", "y", "kind", "phase")
"""The cell columns the phase map and the choice of a clicked cell read (``kind``: files
with other kinds of cell)."""

FRAMES_KEPT = 8
"""Frames (their map columns, selected cells and every field asked for) a :class:`StoredRun`
keeps in memory (design choice: the frames around the one shown while scrubbing; about
8 × 10 MB at 1000² sites, 400k cells)."""


def stored_species(phenotype: str | None, columns) -> list[str]:
    """The network species among a run's cell ``columns``: those of the phenotype program's
    state that are not its fate timers, when the run's program (root attribute
    ``phenotype``) is the network one (:class:`NetworkFate`); none for another program,
    whose state columns are not species."""
    if phenotype != NetworkFate.__name__:
        return []
    table = {c.name for c in cell_columns()}
    return [name for name in columns if name not in table and name not in FATE_COLUMNS]


class StoredRun:
    """The frames of run file ``path`` (opened for reading until :meth:`close`)."""

    def __init__(self, path: str | Path):
        self.run = load_run(path)
        self.token = next(_TOKENS)
        self.lock = threading.RLock()  # its caches and the file, read by every page's thread
        self.label = f"{Path(path).name}: {self.run.scenario} (seed {self.run.seed})"
        self.x_um, self.y_um = self.run.x_um, self.run.y_um
        self.shape = (len(self.y_um), len(self.x_um))
        self.vessels = self.run.vessels
        self.field_names = list(self.run.field_names)
        self.cell_units = self.run.attrs["units"].get("cells", {})
        self.field_units = self.run.attrs["units"].get("fields", {})
        self.frame_times = np.asarray(self.run.frame_times, dtype=np.float64)
        self.timeseries = self.run.timeseries
        self.species = stored_species(self.run.attrs.get("phenotype"), self.run.cell_columns)
        self._map_columns = [c for c in MAP_COLUMNS if c in self.run.cell_columns]
        self._kept: OrderedDict[tuple, object] = OrderedDict()
        self._vmax: dict[str, float] = {}
        self._histories: OrderedDict[int, pd.DataFrame] = OrderedDict()

    def close(self) -> None:
        self.run.close()

    def _cached(self, key: tuple, read):
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        value = self._kept[key] = read()
        frames = {k[1] for k in self._kept}
        while len(frames) > FRAMES_KEPT:  # forget the frame used longest ago, whole
            oldest = next(iter(self._kept))[1]
            for k in [k for k in self._kept if k[1] == oldest]:
                del self._kept[k]
            frames.discard(oldest)
        return value

    def map_cells(self, frame: int) -> pd.DataFrame:
        """The columns a map and a click need (:data:`MAP_COLUMNS`) of frame ``frame``: a
        tenth of the reading of all columns (a 400k-cell frame: ~0.4 s for all)."""
        return self._cached(("map", frame),
                            lambda: self.run.cells(frame, columns=self._map_columns))

    def field(self, name: str, frame: int) -> np.ndarray:
        return self._cached((name, frame), lambda: self.run.field(name, frame))

    def vmax(self, name: str) -> float:
        """The field's colour limit over the whole run (fixed while scrubbing)."""
        if name not in self._vmax:
            self._vmax[name] = colour_max(self.run, declared_field(name),
                                          list(range(self.run.n_frames)))
        return self._vmax[name]

    def frame_at(self, time_min: float) -> int:
        """The frame nearest ``time_min`` (min)."""
        return int(np.argmin(np.abs(self.frame_times - time_min)))

    def cell(self, frame: int, cell_id: int) -> pd.DataFrame:
        """Cell ``cell_id``'s row of frame ``frame`` (every column; no row if it is not
        alive then): only the parts of the file that hold it are read."""
        return self._cached(("cell", frame, cell_id),
                            lambda: self.run.cells(frame, cell_ids=[cell_id]))

    def history(self, cell_id: int) -> pd.DataFrame:
        """Cell ``cell_id``'s rows in every frame it lives in, indexed by time (min), read
        at once and only where the file holds them; the last few asked for are kept."""
        if cell_id not in self._histories:
            rows = self.run.cells(None, cell_ids=[cell_id])
            times = self.frame_times[rows.index.get_level_values("frame")]
            self._histories[cell_id] = rows.set_axis(pd.Index(times, name="time"))
            while len(self._histories) > FRAMES_KEPT:
                self._histories.popitem(last=False)
        return self._histories[cell_id]


class LiveView:
    """The present state of ``model`` (a :class:`abm.TumorModel`), read from its arrays on
    every call; its one frame is ``0``, at ``model.time_min``."""

    def __init__(self, model):
        self.model = model
        self.token = next(_TOKENS)
        self.lock = model.lock  # held while the model steps (LiveModel): read between steps
        self.label = f"{model.config.name} (seed {model.seed}), live"
        ny, nx = model.shape
        self.shape = (ny, nx)
        self.x_um = (np.arange(nx) + 0.5) * model.dx_um
        self.y_um = (np.arange(ny) + 0.5) * model.dx_um
        self.vessels = model.vessels
        self.field_names = list(model.fields)
        self.field_units = {name: solute.units for name, solute in model.solutes.items()}
        columns = recorded_columns(model)
        # the network program's state: its species, then its fate timers (n_species first)
        self.species = list(model.phenotype.state_names[:getattr(model.phenotype, "n_species", 0)])
        self.cell_units = {name: unit for name, (_, unit, _) in columns.items()}
        self._enums = {name: enum for name, (_, _, enum) in columns.items() if enum}
        self._followed: tuple[int | None, dict] = (None, {})

    @property
    def frame_times(self) -> np.ndarray:
        return np.array([self.model.time_min])

    @property
    def timeseries(self) -> pd.DataFrame:
        series = self.model.datacollector.get_model_vars_dataframe()
        # one row per collect: step 0, then each step, as in a run file's time series
        return series.set_axis(np.arange(len(series)) * self.model.dt_min).rename_axis("time")

    def cells(self, frame: int = 0) -> pd.DataFrame:
        columns = frame_cells(self.model)
        ids = columns.pop("id")
        for name, enum in self._enums.items():
            names = sorted(enum, key=enum.get)
            columns[name] = pd.Categorical(pd.Series(columns[name]).map(
                {enum[n]: n for n in names}), categories=names)
        return pd.DataFrame(columns, index=pd.Index(ids, name="cell_id"))

    def cell(self, frame: int, cell_id: int) -> pd.DataFrame:
        cells = self.cells(frame)
        return cells.loc[cells.index == cell_id]

    def field(self, name: str, frame: int = 0) -> np.ndarray:
        return self.model.fields[name]

    def map_cells(self, frame: int = 0) -> pd.DataFrame:
        return self.cells(frame)

    def vmax(self, name: str) -> float:
        """The field's colour limit now: its vessel level, else its present maximum."""
        spec = declared_field(name)
        level = getattr(getattr(self.model.config, spec.section, None), spec.vessel_key or "", None)
        if spec.style.vmax == VMAX_VESSEL and level is not None:
            return float(level)
        top = float(np.max(self.model.fields[name]))
        return top if top > 0 else 1.0

    def history(self, cell_id: int) -> pd.DataFrame:
        """Cell ``cell_id``'s rows at the times it was asked for since it was first asked for
        (a live model keeps no past frames: the viewer asks at every step it shows); one
        cell is followed at a time."""
        if self._followed[0] != cell_id:
            self._followed = (cell_id, {})
        rows = self._followed[1]
        cells = self.cells()
        if cell_id in cells.index:
            rows[self.model.time_min] = cells.loc[cell_id]
        return pd.DataFrame(rows.values(), index=pd.Index(list(rows), name="time"))
