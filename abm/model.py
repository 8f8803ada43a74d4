"""``TumorModel``: the Mesa model that owns the tissue, the cells and the fields.

The arrays are the source of truth and Mesa is the shell (DESIGN.md): the model is a
``mesa.Model`` with its seeded rng, a ``DataCollector`` of model-level counts and thin agents
created on events; all per-cell work runs in numba kernels over the cell table.

One step (``dt_min``), in the order of DESIGN.md:

1. scatter viable cells' O2 and glucose uptake, and senescent cells' SASP secretion, onto
   rate maps;
2. advance each field by one backward-Euler step (multigrid);
3. gather local O2, glucose and SASP at every cell (:mod:`abm.solutes`);
4–5. the phenotype program advances every cell and emits events;
6. apply events: remove cleared debris, place daughters (or report contact inhibition),
   sync thin agents;
10. record counts (DataCollector) and notify observers (the HDF5 recorder).

Steps 7–9 (immune agents, blood, therapy) arrive with later issues.
"""
from __future__ import annotations

import functools
import json
import time

import mesa
import numpy as np

from .agents import AgentMirror
from .cells import PHASES, SENESCENCE_ROUTES, CellTable
from .config import Config, load_config
from .lattice_events import (count_by_phase, division_order, place_daughters, placement_shells,
                             remove_cells)
from .phenotype import EVENT_DIVIDE, EVENT_NAMES, EVENT_REMOVE, make_phenotype
from .cell_state import cell_state_params, update_cell_state
from .solutes import SECRETED_FIELDS, make_solutes
from .tissue import place_vessels, tumor_sites

INHERITED_COLUMNS = ("glucose", "sasp", "sasp_metabolic", "pdl1", "stemness", "dna_damage")
"""Cell-table columns a daughter copies from its mother (the place_daughters kernel copies
position-independent core columns; the local fields are re-gathered next step anyway)."""

TIMING_PHASES = ("field", "cells", "events", "output")
"""Phases of a step whose wall time is accumulated in ``model.timings`` (s)."""


class TumorModel(mesa.Model):
    """A vascularised 2D tissue in which a tumour grows.

    Args:
        config: a :class:`abm.config.Config` (from :func:`abm.load_config`), or a path to a
            scenario TOML file, or None for the defaults.
        seed: overrides ``config.run.seed``; one seed makes the whole run.

    Attributes:
        cells: the :class:`abm.cells.CellTable` of tumour cells.
        occupancy: int32 ``[ny, nx]`` row of the cell at each site, -1 if empty.
        vessels: bool ``[ny, nx]`` vessel sites (O2 sources, never occupied).
        fields: name → float64 ``[ny, nx]`` field: ``oxygen`` (mmHg), and ``glucose``
            (fraction of plasma) and ``sasp`` (network units) when their ``field`` key is on.
        solutes: name → :class:`abm.solutes.Solute`, the coupling of each field to the cells.
        oxygen, glucose: shortcuts to ``fields`` (glucose None without its field).
        time_min: simulated time (min); ``step_index`` the number of steps taken.
        counts: the latest model-level reporters (also in ``datacollector``).
        timings: accumulated wall time (s) per step phase, keys :data:`TIMING_PHASES`.
    """

    def __init__(self, config: Config | str | None = None, seed: int | None = None, *,
                 _checkpoint: dict | None = None):
        if not isinstance(config, Config):
            config = load_config(config, seed=seed)
        self.seed = int(config.run.seed if seed is None else seed)
        super().__init__(rng=self.seed)
        self.config = config
        self.dt_min = config.run.dt_min
        g = config.grid
        self.shape = (g.ny, g.nx)
        self.dx_um = g.dx_um
        self.phenotype = make_phenotype(config, self.seed)
        self.observers: list = []
        self.timings = dict.fromkeys(TIMING_PHASES, 0.0)
        self._shells = placement_shells(config.cells.division_radius)

        if _checkpoint is None:
            self._build_initial()
        else:
            self._restore(_checkpoint)
        self.solutes = make_solutes(config, self.vessels, self.fields)
        self.cells.glucose[:] = config.glucose.level  # the levels without a field
        self.cells.sasp[:] = 0.0
        self.cells.sasp_metabolic[:] = 0.0
        self._cell_state_params = cell_state_params(config.cell_state)
        for name, solute in self.solutes.items():
            if _checkpoint is None and getattr(config, name).initial == "steady":
                solute.update(self.cells, np.inf)
            else:
                solute.gather(self.cells)

        self.phenotype.bind_lattice(self.occupancy, self.vessels, self._shells)
        self.agents_mirror = AgentMirror(self) if config.run.thin_agents else None
        if self.agents_mirror is not None:
            self.agents_mirror.add(self.cells.live_rows())
        self._events = np.zeros(self.cells.capacity, dtype=np.int8)
        self._phase_counts = np.zeros(len(PHASES) + 1, dtype=np.int64)
        self._event_counts = dict.fromkeys(EVENT_NAMES.values(), 0)
        self._event_counts["contact_inhibited"] = 0
        self.counts: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: functools.partial(_read_count, name=name)
                             for name in self.reporter_names()})
        self._update_counts()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction
    def _build_initial(self) -> None:
        cfg = self.config
        self.time_min = 0.0
        self.step_index = 0
        self.vessels = place_vessels(cfg, self.rng)
        self.occupancy = np.full(self.shape, -1, dtype=np.int32)
        xs, ys = tumor_sites(cfg, self.vessels)
        self.cells = CellTable(capacity=2 * len(xs) + 1024, n_state=len(self.phenotype.state_names))
        rows = self.cells.add(xs, ys, phase=PHASES["proliferating"], birth_min=0.0)
        self.occupancy[ys, xs] = rows
        self.phenotype.initialize(self.cells, rows, 0)
        self.fields = {"oxygen": np.full(self.shape, cfg.oxygen.vessel_mmHg)}
        if cfg.glucose.field:
            self.fields["glucose"] = np.full(self.shape, cfg.glucose.vessel_level)
        for name in SECRETED_FIELDS:
            if getattr(cfg, name).field:
                self.fields[name] = np.zeros(self.shape)  # vessels drain it: 0 there

    def _restore(self, snap: dict) -> None:
        self.step_index = int(snap["model.step_index"])
        self.time_min = self.step_index * self.dt_min
        self.vessels = np.asarray(snap["tissue.vessels"], dtype=np.bool_)
        self.occupancy = np.asarray(snap["tissue.occupancy"], dtype=np.int32).copy()
        cfg = self.config
        names = ["oxygen"] + [n for n in ("glucose",) + SECRETED_FIELDS if getattr(cfg, n).field]
        self.fields = {n: np.asarray(snap[f"fields.{n}"], dtype=np.float64).copy() for n in names}
        self.cells = CellTable.from_snapshot(snap)
        self.rng.bit_generator.state = json.loads(_as_str(snap["model.rng_state"]))

    @classmethod
    def from_checkpoint(cls, config: Config, seed: int, snapshot: dict) -> "TumorModel":
        """Rebuild a model from :meth:`snapshot` output; stepping it continues the run exactly."""
        return cls(config, seed=seed, _checkpoint=snapshot)

    def snapshot(self) -> dict:
        """Everything needed to continue the run bit for bit (written to checkpoints)."""
        snap = self.cells.snapshot()
        snap.update({
            "model.step_index": self.step_index,
            "model.rng_state": json.dumps(self.rng.bit_generator.state),
            "tissue.vessels": self.vessels,
            "tissue.occupancy": self.occupancy,
        })
        snap.update({f"fields.{name}": values for name, values in self.fields.items()})
        return snap

    @property
    def oxygen(self) -> np.ndarray:
        return self.fields["oxygen"]

    @property
    def glucose(self) -> np.ndarray | None:
        return self.fields.get("glucose")

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        """Advance the tissue by ``dt_min`` (see the module docstring for the order)."""
        cells, dt = self.cells, self.dt_min
        t0 = time.perf_counter()
        for solute in self.solutes.values():
            solute.update(cells, dt)
        update_cell_state(cells.hwm, cells.alive, cells.phase, cells.oxygen, cells.sasp,
                          cells.sasp_metabolic, cells.pdl1, cells.stemness, cells.dna_damage,
                          self._cell_state_params, 0.0, dt / 60.0)
        t1 = time.perf_counter()

        if self._events.shape[0] < cells.capacity:
            self._events = np.zeros(cells.capacity, dtype=np.int8)
        events = self._events
        self.phenotype.advance(cells, self.step_index, dt, events)
        t2 = time.perf_counter()

        self._apply_events(events[: cells.hwm])
        self.step_index += 1
        self.time_min = self.step_index * dt
        t3 = time.perf_counter()

        self._update_counts()
        self.datacollector.collect(self)
        for observer in self.observers:
            observer.on_step(self)
        t4 = time.perf_counter()
        for name, seconds in zip(TIMING_PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            self.timings[name] += seconds

    def run_steps(self, n: int) -> None:
        """Take ``n`` steps."""
        for _ in range(int(n)):
            self.step()

    def _apply_events(self, events: np.ndarray) -> None:
        cells, step = self.cells, self.step_index
        counts = np.bincount(events, minlength=max(EVENT_NAMES) + 1)
        for code, name in EVENT_NAMES.items():
            self._event_counts[name] = int(counts[code])

        removed = np.flatnonzero(events == EVENT_REMOVE)
        if len(removed):
            if self.agents_mirror is not None:
                self.agents_mirror.remove(removed)
            remove_cells(cells, self.occupancy, removed)

        mothers = np.flatnonzero(events == EVENT_DIVIDE)
        n_blocked = 0
        if len(mothers):
            mothers = division_order(mothers, cells.id, self.seed, step)
            cells.ensure_capacity(len(mothers))
            daughters = np.empty(len(mothers), dtype=np.int64)
            blocked = np.empty(len(mothers), dtype=np.int64)
            n_placed, n_blocked = place_daughters(
                mothers, self.occupancy, self.vessels, *self._shells, self.seed, step,
                self.time_min + self.dt_min, cells.alive, cells.id, cells.parent_id, cells.x, cells.y, cells.kind,
                cells.phase, cells.birth_min, cells.oxygen, cells.state, cells.free,
                cells.counters, daughters, blocked)
            blocked = blocked[:n_blocked]
            placed_mothers = mothers[~np.isin(mothers, blocked)]
            daughters = daughters[:n_placed]
            for column in INHERITED_COLUMNS:
                values = getattr(cells, column)
                values[daughters] = values[placed_mothers]
            cells.route[daughters] = 0  # a reused row may hold a dead cell's route
            self.phenotype.on_division(cells, placed_mothers, daughters, step)
            self.phenotype.on_contact_inhibited(cells, blocked, step)
            if self.agents_mirror is not None:
                self.agents_mirror.add(daughters)
        self._event_counts["divisions"] = len(mothers) - n_blocked
        self._event_counts["contact_inhibited"] = n_blocked

    # ------------------------------------------------------------------ reporting
    @staticmethod
    def reporter_names() -> list[str]:
        """Names of the model-level reporters (DataCollector columns and HDF5 time series)."""
        return (["n_tumor", "n_viable"] + [f"n_{p}" for p in PHASES]
                + ["n_hypoxic", "hypoxic_fraction", "o2_mean_tissue", "o2_mean_viable",
                   "glucose_mean_viable", "sasp_mean_viable", "sasp_max",
                   "sasp_metabolic_mean_viable", "chemokine_max", "pdl1_mean_viable",
                   "stemness_mean_viable", "dna_damage_mean_viable"]
                + [f"n_senescent_{route}" for route in SENESCENCE_ROUTES if route != "none"]
                + list(EVENT_NAMES.values())
                + ["contact_inhibited", "solver_cycles", "glucose_solver_cycles"])

    def _update_counts(self) -> None:
        c, pc = self.cells, self._phase_counts
        count_by_phase(c.hwm, c.alive, c.phase, c.oxygen, self.config.oxygen.hypoxic_mmHg,
                       len(PHASES), pc)
        n_necrotic = int(pc[PHASES["necrotic"]])
        n_viable = c.count - n_necrotic
        counts = {"n_tumor": c.count, "n_viable": n_viable}
        counts.update({f"n_{p}": int(pc[code]) for p, code in PHASES.items()})
        viable = c.alive[: c.hwm] & (c.phase[: c.hwm] != PHASES["necrotic"])
        counts.update({
            "n_hypoxic": int(pc[len(PHASES)]),
            "hypoxic_fraction": float(pc[len(PHASES)]) / n_viable if n_viable else 0.0,
            "o2_mean_tissue": float(self.oxygen.mean()),
            "o2_mean_viable": float(c.oxygen[: c.hwm][viable].mean()) if n_viable else 0.0,
            "sasp_max": float(self.fields["sasp"].max()) if "sasp" in self.fields else 0.0,
            "chemokine_max": (float(self.fields["chemokine"].max())
                              if "chemokine" in self.fields else 0.0),
        })
        for column in ("glucose", "sasp", "sasp_metabolic", "pdl1", "stemness", "dna_damage"):
            values = getattr(c, column)[: c.hwm][viable]
            counts[f"{column}_mean_viable"] = float(values.mean()) if n_viable else 0.0
        senescent_routes = c.route[: c.hwm][c.alive[: c.hwm] & (c.phase[: c.hwm] == PHASES["senescent"])]
        route_counts = np.bincount(senescent_routes, minlength=len(SENESCENCE_ROUTES))
        for route, code in SENESCENCE_ROUTES.items():
            if route != "none":
                counts[f"n_senescent_{route}"] = int(route_counts[code])
        counts.update(self._event_counts)
        counts["solver_cycles"] = self.solutes["oxygen"].cycles
        counts["glucose_solver_cycles"] = (self.solutes["glucose"].cycles
                                           if "glucose" in self.solutes else 0)
        self.counts = counts


def _read_count(model: TumorModel, name: str):
    """DataCollector reporter: one entry of ``model.counts`` (bound with functools.partial,
    which Mesa 3.3–3.5 call with the model)."""
    return model.counts[name]


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
