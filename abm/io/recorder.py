"""The observer that stores a model's run: time series every step, frames and checkpoints.

The model never touches files; it calls ``observer.on_step(model)`` after each step
(py-pde's storage-behind-trackers pattern). The recorder maps the model's arrays onto the
generic :class:`abm.io.RunWriter`.
"""
from __future__ import annotations

import numpy as np

from abm.circulation.blood import EVENT_COLUMNS as CTC_UNIT_COLUMNS
from abm.tumor.cells import cell_columns
from abm.schema import to_toml
from abm.immune.layer import HIT_EVENT_COLUMNS, KILL_EVENT_COLUMNS, RECOVERY_EVENT_COLUMNS
from abm.errors import ConfigError
from abm.io import RunWriter


IMMUNE_FRAME_COLUMNS = ("time_min", "id", "kind", "x", "y", "kills", "hits", "kill_capacity",
                        "dysfunction", "pd1_min", "antigen_min", "birth_min", "target_id")
"""Columns of ``events/immune_cells`` (:func:`immune_frame`)."""

EVENT_TABLES = {
    "immune_kills": KILL_EVENT_COLUMNS,
    "immune_hits": HIT_EVENT_COLUMNS,
    "immune_recoveries": RECOVERY_EVENT_COLUMNS,
    "immune_cells": IMMUNE_FRAME_COLUMNS,
    "drug_deaths": ("time_min", "cell_id", "phase", "drug"),
    "doses": ("time_min", "drug", "dose"),
    "ctc": tuple(c for c in CTC_UNIT_COLUMNS if c != "fate") + ("fate", "time", "survived", "seeded"),
    "ctc_members": ("unit_id", "cell_id"),
}
"""The event tables a run can have and their columns (README "Output"). Stored with every run
(root attribute ``event_columns``): the writer refuses rows of a declared table with other
columns, and ``Run.events(table)`` of a declared table without rows is an empty frame with
these columns."""


def network_attrs(model) -> dict[str, str]:
    """What the run stores about the model's network file (root attributes
    ``network_file``, ``network_sha256``, ``network_text``; none for a named network or
    another cell program)."""
    return dict(getattr(model.phenotype, "run_attrs", {}))


def event_tables(model) -> dict[str, tuple[str, ...]]:
    """The event tables of a run of ``model``: :data:`EVENT_TABLES`, then those its plugin
    processes declare (:attr:`abm.core.process.Process.event_tables`)."""
    tables = dict(EVENT_TABLES)
    for process in model.processes:
        for name, columns in process.event_tables.items():
            if name in tables:
                raise ValueError(f"event table {name!r} of process {process.name!r} is "
                                 "declared twice")
            tables[name] = tuple(columns)
    return tables


def recorded_columns(model) -> dict[str, tuple]:
    """Columns of the HDF5 cell table: name → (dtype, units, enum or None): the cell table's
    recorded columns (:func:`abm.tumor.cells.cell_columns`), then the phenotype program's
    state columns (float32, no unit)."""
    columns = {c.name: (c.record, c.unit, c.enum) for c in cell_columns() if c.record}
    for name in model.phenotype.state_names:
        columns[name] = (np.float32, "", None)
    return columns


def immune_frame(model) -> dict[str, np.ndarray]:
    """The live immune cells at this frame, as rows of the ``events/immune_cells`` table
    (``time_min`` the frame time; x, y in µm; kills and hits so far; ``kill_capacity`` the kills it
    may make (inf: no cap); ``dysfunction`` 0 functional, 1 plastic, 2 fixed; ``pd1_min`` and
    ``antigen_min`` accumulated PD-1 signalling and antigen, min; ``birth_min`` entry time;
    ``target_id`` -1 when free)."""
    t = model.immune.table
    rows = t.live_rows()
    values = (np.full(len(rows), model.time_min), t.id[rows], t.kind[rows],
              ((t.x[rows] + 0.5) * model.dx_um).astype(np.float32),
              ((t.y[rows] + 0.5) * model.dx_um).astype(np.float32),
              t.kills[rows], t.hits[rows], t.kill_capacity[rows], t.dysfunction[rows],
              t.pd1_min[rows], t.antigen_min[rows], t.birth_min[rows],
              np.where(t.target[rows] >= 0, t.target_id[rows], -1))
    return dict(zip(IMMUNE_FRAME_COLUMNS, values, strict=True))


class RunRecorder:
    """Writes ``model`` to ``writer``: every step's counts, a frame every ``frame_every``
    steps, a checkpoint every ``checkpoint_every`` steps (both counted from step 0)."""

    def __init__(self, writer: RunWriter, frame_every: int, checkpoint_every: int):
        self.writer = writer
        self.frame_every = int(frame_every)
        self.checkpoint_every = int(checkpoint_every)
        self.last_frame_step = -1

    @classmethod
    def create(cls, model, path, overwrite: bool = True) -> "RunRecorder":
        """Start a new run file for ``model`` (which must be at step 0) and record step 0.
        The model's other tissues (:meth:`abm.core.process.Process.sites`) go to groups
        ``sites/<name>`` with their own fields, cells, time series and events."""
        cfg = model.config
        writer = RunWriter(
            path, config_toml=to_toml(cfg), seed=model.seed, scenario=cfg.name,
            attrs={"dt_min": model.dt_min, "dx_um": model.dx_um,
                   "phenotype": type(model.phenotype).__name__, **network_attrs(model)},
            compression=cfg.output.compression, overwrite=overwrite,
            sites={name: group_spec(site.model, site.reporter_names(),
                                    extra_events=site.event_tables)
                   for name, site in sites_of(model).items()} or None,
            **group_spec(model, model.reporter_names()))
        recorder = cls.for_model(writer, model)
        recorder.on_step(model)
        return recorder

    @classmethod
    def for_model(cls, writer: RunWriter, model) -> "RunRecorder":
        """A recorder with the model's configured frame and checkpoint intervals.

        Raises:
            ConfigError: the run was recorded with a network file whose content has changed
                since (a resumed run would mix two networks).
        """
        stored = writer.attrs.get("network_sha256")
        now = network_attrs(model).get("network_sha256")
        if stored is not None and stored != now:
            raise ConfigError(
                f"intracellular.network = {writer.attrs['network_file']!r}: the file has "
                f"changed since the run started (sha256 {stored} then, {now} now); restore it "
                f"(the run stores its text, attribute network_text) or start a new run")
        out = model.config.output
        return cls(writer, round(out.frame_every_min / model.dt_min),
                   round(out.checkpoint_every_min / model.dt_min))

    def on_step(self, model) -> None:
        """Record the state after a step (or the initial state at step 0)."""
        self.writer.append_timeseries(model.time_min, model.counts)
        for table, columns in model.step_events.items():
            self.writer.append_events(table, columns)
        for name, site in sites_of(model).items():
            self.writer.append_timeseries(model.time_min, site.counts(), site=name)
            for table, columns in site.step_events().items():
                self.writer.append_events(table, columns, site=name)
        if model.step_index % self.frame_every == 0:
            self.write_frame(model)
        if model.step_index % self.checkpoint_every == 0:
            self.write_checkpoint(model)

    def write_frame(self, model) -> None:
        """Append the fields and the live cells of the model and of its sites as one frame."""
        sites = {}
        for name, site in sites_of(model).items():
            sites[name] = _frame(site.model, lambda table, columns, n=name:
                                 self.writer.append_events(table, columns, site=n))
        fields, cells = _frame(model, self.writer.append_events)
        self.writer.write_frame(model.time_min, fields, cells, sites=sites or None)
        self.last_frame_step = model.step_index

    def write_checkpoint(self, model) -> None:
        """Commit the buffered rows and replace the checkpoint by the model's state, written
        from views of its cell table (no copy: nothing changes the model while it is
        written)."""
        self.writer.write_checkpoint(model.time_min, model.snapshot(copy=False))

    def finish(self, model) -> None:
        """Write a last frame if the run did not end on one and the CTC units still in the
        blood (fate ``circulating``), and close the file as complete."""
        if self.last_frame_step != model.step_index:
            self.write_frame(model)
        blood = model.process("blood")
        circulating = None if blood is None else blood.circulating_events()
        if circulating is not None:
            self.writer.append_events("ctc", circulating)
        self.writer.close(complete=True)


def group_spec(model, reporters, extra_events=None) -> dict:
    """The writer's description of one tissue (the run's, or a site's group): grid axes (µm),
    field units, cell columns, time-series columns (``reporters``), static maps (the vessel
    sites, and the poorly perfused ones when there are any) and event tables."""
    ny, nx = model.shape
    static = {"vessels": (model.vessels, "")}  # O2/glucose sources, never occupied
    if model.poor_vessels.any():
        static["poor_vessels"] = (model.poor_vessels, "")
    return {"x_um": (np.arange(nx) + 0.5) * model.dx_um,
            "y_um": (np.arange(ny) + 0.5) * model.dx_um,
            "field_units": {name: solute.units for name, solute in model.solutes.items()},
            "cell_columns": recorded_columns(model),
            "timeseries_columns": {name: np.float64 for name in reporters},
            "static_fields": static,
            "event_columns": {**event_tables(model), **(extra_events or {})}}


def sites_of(model) -> dict:
    """The model's other tissues, name → site (:meth:`abm.core.process.Process.sites`)."""
    return {name: site for process in model.processes for name, site in process.sites().items()}


def frame_cells(model) -> dict[str, np.ndarray]:
    """The live cells of ``model`` as a frame stores them: column name → values, one per
    live cell (:func:`recorded_columns`: positions in µm, enums as codes, network state)."""
    c = model.cells
    rows = c.live_rows()
    cells = {column.name: column.recorded(getattr(c, column.name)[rows], model.dx_um)
             for column in cell_columns() if column.record}
    for j, name in enumerate(model.phenotype.state_names):
        cells[name] = c.state[rows, j].astype(np.float32)
    return cells


def _frame(model, append_events) -> tuple[dict, dict]:
    """The fields and live cells of ``model`` for a frame; its per-frame event rows (the
    immune cells', the processes') go to ``append_events(table, columns)``."""
    cells = frame_cells(model)
    fields = {name: solute.values for name, solute in model.solutes.items()}
    if model.immune is not None:
        append_events("immune_cells", immune_frame(model))
    for process in model.processes:
        for table, columns in process.frame_events(model).items():
            append_events(table, columns)
    return fields, cells
