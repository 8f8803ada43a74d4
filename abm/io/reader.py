"""Lazy reader of run files: ``load_run(path)`` returns a :class:`Run`.

Opening reads only attributes; fields, cells and events are read when asked for, and only
the frames asked for. Every run file this project has written is read (schema version 1 in
all its contents: with or without glucose and secreted fields, event tables, network-state
cell columns or ``fields/vessels``; tests/test_reader.py keeps one of each).

Example::

    from abm import load_run

    with load_run("outputs/quickstart.h5") as run:
        print(run.summary())                    # what the file holds (also: abm info FILE)
        f = run.frame_at(24 * 60)               # index of the frame nearest t = 1 day
        oxygen = run.field("oxygen", f)         # float32 [y, x], mmHg (run.attrs["units"])
        x_um, y_um = run.x_um, run.y_um         # site centres of axes 1 and 0 (µm)
        vessels = run.vessels                   # bool [y, x]
        cells = run.cells(f)                    # DataFrame, index cell_id, x/y in µm
        history = run.cells()                   # all frames, index (frame, cell_id)
        n_tumor = run.timeseries["n_tumor"]     # one row per model step, index time (min)
        kills = run.events("immune_kills") if "immune_kills" in run.event_tables else None
        # With xarray installed (the ``xarray`` extra): a lazy labelled array
        da = run.field_array("oxygen")          # dims (time, y, x), coords in min and µm
        day1 = da.sel(time=1440, method="nearest").values   # reads that one frame
        for name in run.sites:                  # secondary sites ([] for most runs)
            site = run.site(name)               # read like the run: its own grid and columns
            site_cells = site.cells(-1)

Units: times are in min and lengths in µm; each field's and cell column's units are in
``run.attrs["units"]`` (``["fields"][name]``, ``["cells"][column]``).

Reading a run that is still being written, or was interrupted, works: until a run is complete
it lives in ``RUN.h5.parts/`` (abm.io.parts), whose committed segments never change. A Run of
it reads them once into an in-memory view laid out like the finished file, so it shows the
frames committed when it was opened (``status`` ``running``, or ``interrupted`` when no
writer is alive any more): open it again to see newer ones. Everything the store writes is
checksummed: damaged data raises RunFileError naming the file and the object, never silently
wrong values.
"""
from __future__ import annotations

import json
import tomllib
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np

from abm.io.assemble import assemble_in_memory
from abm.io.checkpoint import checkpoint_counts, find_checkpoint
from abm.io.group_reader import VESSELS_LONG_NAME, RunGroup, Site, _NotInFile, _reading
from abm.io.parts import no_such_run, parts_dir, writer_alive
from abm.io.schema import (
    FIELDS, SITES, STATUS_INTERRUPTED, STATUS_RUNNING, NoCheckpointError, RunFileError, SchemaError,
    check_metadata, current_layout, from_attr, open_h5,
)

__all__ = ["Run", "Site", "load_run", "VESSELS_LONG_NAME"]


def load_run(path: str | Path) -> Run:
    """Open the run at ``path`` for reading (complete, running or interrupted); raises
    FileNotFoundError, SchemaError (not a run, unknown version) or RunFileError (damaged)."""
    return Run(path)


def _open_run(path: Path) -> h5py.File:
    """The finished file at ``path``, or the in-memory view of its ``.parts`` directory."""
    try:
        return _open_once(path)
    except (RunFileError, OSError):
        if not path.is_file():
            raise
        # The writer assembled the file and removed the parts while we read them.
        return _open_once(path)


def _open_once(path: Path) -> h5py.File:
    if path.is_dir():
        raise RunFileError(f"{path} is a directory, not a run file")
    if path.exists():
        try:
            return open_h5(path, "r")
        except OSError as err:
            raise SchemaError(f"{path}: not a readable HDF5 run file ({err})") from None
    parts = parts_dir(path)
    if not parts.is_dir():
        raise no_such_run(path)
    return assemble_in_memory(parts, STATUS_RUNNING if writer_alive(parts) else STATUS_INTERRUPTED)


class Run(RunGroup):
    """A run opened for reading; use as a context manager or call :meth:`close`.

    ``path`` is the run file; a run that is not complete yet is read from its ``.parts``
    directory (see the module docstring). Arrays and data sets handed out lazily
    (``field(name)``, ``field_array(name)``) read from this Run's open file: read what you
    need before closing it. Raises FileNotFoundError if there is no such run, SchemaError for
    a file that is not a run of a known version, RunFileError for a damaged one.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._where = self.path.name
        self._site_views: dict[str, Site] = {}
        self._file = _open_run(self.path)
        try:
            self._root = current_layout(self._file)
            check_metadata(self._file)
            self._fix_shape()
        except RunFileError:
            self.close()
            raise
        except BaseException as err:
            self.close()
            if isinstance(err, (OSError, KeyError, TypeError, ValueError, AttributeError)):
                raise RunFileError(f"{self.path}: damaged run file ({type(err).__name__}: {err})") from None
            raise

    def close(self) -> None:
        """Close the file (lazy data sets and lazy DataArrays of this Run stop working)."""
        self._file.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Run {self.path.name}: {self.scenario!r} seed={self.seed} frames={self.n_frames} {self.status}>"

    # ------------------------------------------------------------------ metadata
    @cached_property
    @_reading
    def attrs(self) -> dict:
        """Root attributes as plain Python values (``units`` decoded from JSON).

        Always present: ``schema``, ``schema_version``, ``package_version``, ``created_utc``,
        ``seed``, ``scenario``, ``config_toml``, ``units``, ``status``, ``compression``; runs of
        the model add ``dt_min``, ``dx_um`` and ``phenotype``. ``units`` is a dict: ``length``
        ("µm"), ``time`` ("min"), ``fields`` {field: units}, ``cells`` {column: units} and,
        in files with static maps, ``static_fields`` {name: units}.
        """
        attrs = {name: from_attr(value) for name, value in self._root.attrs.items()}
        attrs["units"] = json.loads(attrs["units"])
        return attrs

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self.attrs["seed"]

    @property
    def scenario(self) -> str:
        """The scenario name (the config's ``name``)."""
        return self.attrs["scenario"]

    @property
    def status(self) -> str:
        """``"complete"``; ``"running"`` while a writer is committing it; ``"interrupted"`` for a
        run whose writer is gone before the end (``abm resume`` continues it)."""
        return self.attrs["status"]

    @property
    def schema_version(self) -> int:
        """Schema version of the file (this package writes :data:`abm.io.SCHEMA_VERSION`)."""
        return self.attrs["schema_version"]

    @property
    def config_toml(self) -> str:
        """The fully resolved config the run was made with, as TOML text (as that version of
        abm wrote it: ``abm.schema.config_from_toml`` migrates an old one to a Config)."""
        return self.attrs["config_toml"]

    @cached_property
    def config(self) -> dict:
        """The resolved config as a nested dict of plain values (sections → keys), as stored."""
        return tomllib.loads(self.config_toml)

    @cached_property
    @_reading
    def sites(self) -> list[str]:
        """Names of the run's secondary sites (``[]`` for a run without sites)."""
        return list(self._root[SITES]) if SITES in self._root else []

    def site(self, name: str) -> Site:
        """Site ``name`` (:class:`abm.io.group_reader.Site`), read like the run; KeyError
        listing the sites if the run has no such site."""
        if name not in self.sites:
            raise _NotInFile(f"no site {name!r} in {self.path.name}; sites: {self.sites}")
        if name not in self._site_views:
            self._site_views[name] = self._open_site(name)
        return self._site_views[name]

    @_reading
    def _open_site(self, name: str) -> Site:
        return Site(self, name, self._root[SITES][name])

    def _derived_vessels(self) -> np.ndarray | None:
        # Older files: the vessel sites are the oxygen solver's Dirichlet sites, held at exactly
        # oxygen.vessel_mmHg (every other site is lower).
        level = self.config.get("oxygen", {}).get("vessel_mmHg")
        if level is None or "oxygen" not in self.field_names or self.n_frames == 0:
            return None
        return self._root[FIELDS]["oxygen"][0] >= np.float32(level)

    @property
    @_reading
    def checkpoint_time(self) -> float | None:
        """Time (min) of the last complete checkpoint (where ``abm resume`` restarts), or None
        if the run has none."""
        try:
            return checkpoint_counts(find_checkpoint(self._root))["time_min"]
        except NoCheckpointError:
            return None

    @_reading
    def summary(self) -> str:
        """A human-readable, multi-line description of the run (used by ``abm info``)."""
        from abm.io.summary import summarize

        return summarize(self)

