"""``TumorModel``: the Mesa model that owns the tissue, the cells and the fields.

The arrays are the source of truth and Mesa is the shell (DESIGN.md): the model is a
``mesa.Model`` with its seeded rng, a ``DataCollector`` of model-level counts and thin agents
created on events; all per-cell work runs in numba kernels over the cell table.

One step (``dt_min``), in the order of DESIGN.md:

1. scatter viable cells' O2 and glucose uptake, and senescent cells' SASP secretion, onto
   rate maps;
2. advance each field by one backward-Euler step (multigrid);
3. gather local O2, glucose and SASP at every cell (:mod:`abm.solutes`);
3b. advance each cell's PD-L1, stemness and DNA damage (:mod:`abm.cell_state`; chemotherapy
   damages cycling cells);
4–5. the phenotype program advances every cell and emits events;
6. apply events: remove cleared debris, place daughters (or report contact inhibition),
   sync thin agents;
7. immune cells (:mod:`abm.immune`): enter from vessels, walk up the chemokine, kill;
8. blood (:mod:`abm.shedding`, :mod:`abm.blood`): perivascular tumour cells shed as single
   CTCs or clusters at a rate set by the circadian clock (:mod:`abm.circadian`); the shed
   units circulate (platelets, neutrophils, NK cells, shear, arrest) until they seed a
   metastasis or die;
9. drug deaths (chemotherapy, senolytic); the killed cells die (apoptotic for the network
   program, removed at once otherwise);
10. record counts (DataCollector) and notify observers (the HDF5 recorder), which also store
   this step's event rows (:attr:`TumorModel.step_events`).

The drugs' effects over the step (:class:`abm.therapy.TherapySchedule`) are evaluated first
and act in 1 (senomorphic: less secretion), 3b, 7 (anti-PD-L1), 8 (digoxin, platelet
inhibitor) and 9.
"""
from __future__ import annotations

import functools
import json
import time

import mesa
import numpy as np

from abm.core.agents import AgentMirror, CTC, ImmuneCell
from abm.tumor.cells import CD8, NK, PHASES, SENESCENCE_ROUTES, CellTable
from abm.config import Config, load_config
from abm.tumor.lattice_events import (count_by_phase, division_order, place_daughters, placement_shells,
                                      remove_cells)
from abm.tumor.phenotype import EVENT_DIVIDE, EVENT_NAMES, EVENT_REMOVE, make_phenotype
from abm.circulation.blood import EVENT_COLUMNS, Circulation
from abm.circulation.ctc_table import CTC_FATES
from abm.circulation.params import blood_params
from abm.tumor.cell_state import cell_state_params, drug_deaths, update_cell_state
from abm.circulation.circadian import CircadianClock
from abm.errors import ConfigError, NumericalError
from abm.fields.multigrid import SingularSteadyStateError
from abm.core.guards import check_model
from abm.immune.layer import ImmuneLayer
from abm.immune.params import params_from_mapping
from abm.core.rng import STREAM_IMMUNE_INITIAL, uniform_array
from abm.circulation.shedding import ShedUnits, perivascular_sites, shed, shedding_params
from abm.fields.solutes import SECRETED_FIELDS, make_solutes
from abm.therapy.schedule import DrugEffects, TherapySchedule
from abm.tumor.tissue import place_vessels, tumor_sites

INHERITED_COLUMNS = ("glucose", "sasp", "sasp_metabolic", "pdl1", "stemness", "dna_damage",
                     "emt")
"""Cell-table columns a daughter copies from its mother (the place_daughters kernel copies
position-independent core columns; the local fields are re-gathered next step anyway)."""

KILL_COUNTERS = ("immune_kills_cd8", "immune_kills_nk", "chemo_deaths", "senolytic_deaths")
"""Per-step counts of cells killed from outside (time-series reporters)."""
IMMUNE_COUNTERS = ("n_cd8", "n_nk", "n_engaged", "n_exhausted")
"""Immune-cell counts after each step (time-series reporters; 0 without immune cells)."""
DRUG_REPORTERS = ("chemo_kill_per_h", "chemo_damage_per_h", "senolytic_kill_per_h",
                  "sasp_secretion_scale", "pdl1_blockade")
"""The drugs' effects during each step (:class:`abm.therapy.DrugEffects`)."""

BLOOD_REPORTERS = ("ctc_shed_units", "ctc_shed_cells", "ctc_shed_clusters", "n_ctc_units",
                   "n_ctc_cells", "n_ctc_clusters", "ctc_seeded", "ctc_killed_nk", "ctc_died")
"""CTC counts per step: shed this step, circulating after it, and fates reached in it."""
CLOCK_REPORTERS = ("clock_h", "body_clock_h", "melatonin", "glucocorticoid", "sex_hormone",
                   "shedding_factor")
"""The room's and the body's clock time (h) and the hormones at the end of each step."""

TIMING_PHASES = ("field", "cells", "events", "immune", "blood", "therapy", "output")
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
        if _checkpoint is None or "cells.glucose" not in _checkpoint:
            self.cells.glucose[:] = config.glucose.level  # the level without a field
        self._cell_state_params = cell_state_params(config.cell_state)
        for name, solute in self.solutes.items():
            if _checkpoint is None and getattr(config, name).initial == "steady":
                try:
                    solute.update(self.cells, np.inf)
                except SingularSteadyStateError as exc:
                    raise ConfigError(
                        f"{name}.initial = 'steady': {exc}; with no vessel site "
                        f"(vessels.pattern = {config.vessels.pattern!r}) and no uptake, "
                        f"{name}.decay_per_min must be > 0, or set {name}.initial = "
                        "'vessel'") from None
            else:
                solute.gather(self.cells)

        self.phenotype.bind_lattice(self.occupancy, self.vessels, self._shells)
        self.therapy = TherapySchedule.from_config(config)
        self.effects = DrugEffects()
        self.immune = self._make_immune(_checkpoint)
        self.circadian = CircadianClock(config.circadian, config.run.start_clock_h)
        self.blood = self._make_blood(_checkpoint)
        self.ctc_members = _members_from_snapshot(_checkpoint)
        self._blood_counts = dict.fromkeys(BLOOD_REPORTERS, 0)
        self.agents_mirror = AgentMirror(self) if config.run.thin_agents else None
        self.immune_mirror = (AgentMirror(self, ImmuneCell)
                              if config.run.thin_agents and self.immune is not None else None)
        if self.agents_mirror is not None:
            self.agents_mirror.add(self.cells.live_rows())
        if self.immune_mirror is not None:
            self.immune_mirror.add(self.immune.table.live_rows())
        self.ctc_mirror = (AgentMirror(self, CTC)
                           if config.run.thin_agents and self.blood is not None else None)
        if self.ctc_mirror is not None:
            self.ctc_mirror.add(self.blood.table.live_rows())
        self.step_events: dict[str, dict[str, np.ndarray]] = {}
        self._kill_counts = dict.fromkeys(KILL_COUNTERS, 0)
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

    def _make_immune(self, snap: dict | None) -> ImmuneLayer | None:
        """The immune layer when ``immune.enabled`` (restored from ``snap`` when resuming)."""
        im = self.config.immune
        if not im.enabled:
            return None
        if not self.config.chemokine.field:
            raise ConfigError("immune.enabled = true needs chemokine.field = true (immune cells "
                              "enter and navigate by the chemokine)")
        try:
            params, recognition = params_from_mapping({"cd8": im.cd8, "nk": im.nk})
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if snap is not None:
            return ImmuneLayer.from_snapshot(snap, self.dx_um, self.vessels, params, recognition,
                                             self.seed)
        layer = ImmuneLayer(self.shape, self.dx_um, self.vessels, params, recognition, self.seed)
        area_mm2 = self.shape[0] * self.shape[1] * (self.dx_um / 1000.0) ** 2
        free = np.flatnonzero(~self.vessels.ravel())
        draws = uniform_array(self.seed, 0, free.astype(np.int64), STREAM_IMMUNE_INITIAL)
        order = free[np.argsort(draws, kind="stable")]  # a seeded random order of free sites
        start = 0
        for kind, density in ((CD8, im.initial_cd8_per_mm2), (NK, im.initial_nk_per_mm2)):
            n = min(round(density * area_mm2), len(order) - start)
            sites = order[start:start + n]
            layer.place(kind, sites % self.shape[1], sites // self.shape[1], 0.0)
            start += n
        return layer

    def _make_blood(self, snap: dict | None) -> Circulation | None:
        """The blood compartment when ``shedding.enabled`` (restored when resuming)."""
        if not self.config.shedding.enabled:
            return None
        try:
            params = blood_params(self.config.blood.params)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self._shed_params = shedding_params(self.config.shedding)
        self.perivascular = perivascular_sites(self.vessels)
        if snap is not None and "ctc.counters" in snap:
            return Circulation.from_snapshot(snap, params, self.seed)
        return Circulation(params, self.seed)

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
        if self.immune is not None:
            snap.update(self.immune.snapshot())
        if self.blood is not None:
            snap.update(self.blood.snapshot())
            units = list(self.ctc_members)
            snap["ctc_members.unit"] = np.repeat(np.array(units, dtype=np.int64),
                                                 [len(self.ctc_members[u]) for u in units])
            snap["ctc_members.cell"] = np.concatenate(
                [self.ctc_members[u] for u in units] + [np.zeros(0, np.int64)])
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
        self.step_events = {}
        effects = self.effects = self.therapy.step_effects(self.time_min, self.time_min + dt)
        self._log_doses()
        for name in SECRETED_FIELDS:
            if name in self.solutes:
                self.solutes[name].secretion_scale = effects.sasp_secretion_scale
        try:
            for solute in self.solutes.values():
                solute.update(cells, dt)
        except NumericalError as exc:  # the solver names field and site; add the time
            raise NumericalError(f"{exc}, in the step from t = {self.time_min:g} min (step "
                                 f"{self.step_index})") from exc
        update_cell_state(cells.arrays(), self._cell_state_params, effects.chemo_damage_per_h,
                          dt / 60.0)
        t1 = time.perf_counter()

        if self._events.shape[0] < cells.capacity:
            self._events = np.zeros(cells.capacity, dtype=np.int8)
        events = self._events
        self.phenotype.advance(cells, self.step_index, dt, events)
        t2 = time.perf_counter()

        self._apply_events(events[: cells.hwm])
        t3 = time.perf_counter()
        self._step_immune()
        t4 = time.perf_counter()
        self._step_blood()
        t5 = time.perf_counter()
        self._drug_deaths()
        self.step_index += 1
        self.time_min = self.step_index * dt
        t6 = time.perf_counter()

        check_model(self)  # before anything is recorded

        self._update_counts()
        self.datacollector.collect(self)
        for observer in self.observers:
            observer.on_step(self)
        t7 = time.perf_counter()
        for name, seconds in zip(TIMING_PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4,
                                                 t6 - t5, t7 - t6)):
            self.timings[name] += seconds

    def run_steps(self, n: int) -> None:
        """Take ``n`` steps."""
        for _ in range(int(n)):
            self.step()

    def _log_doses(self) -> None:
        """Doses given during this step, as event rows (a dose at t = 0 goes to step 0)."""
        start = -np.inf if self.step_index == 0 else self.time_min
        doses = self.therapy.events_between(start, self.time_min + self.dt_min)
        if doses:
            times, drugs, amounts = zip(*doses)
            self.step_events["doses"] = {"time_min": np.array(times),
                                         "drug": np.array(drugs, dtype=str),
                                         "dose": np.array(amounts)}

    def _step_immune(self) -> None:
        """Step 7: immune cells enter, move and kill; their targets die."""
        if self.immune is None:
            return
        c = self.cells
        result = self.immune.step(self.step_index, self.dt_min, self.time_min,
                                  self.fields["chemokine"], self.occupancy, c.alive, c.phase,
                                  c.id, c.pdl1, self.effects.pdl1_blockade)
        if self.immune_mirror is not None:
            self.immune_mirror.add(result.entered_rows)
            self.immune_mirror.remove(result.exited_rows)
        kinds = result.kill_events["immune_kind"]
        self._kill_counts["immune_kills_cd8"] = int(np.count_nonzero(kinds == CD8))
        self._kill_counts["immune_kills_nk"] = int(np.count_nonzero(kinds == NK))
        if len(kinds):
            self.step_events["immune_kills"] = result.kill_events
        self._kill(result.killed_rows)

    def _step_blood(self) -> None:
        """Step 8: shedding into the blood, then one circulation step of every unit."""
        if self.blood is None:
            return
        c, dt, t = self.cells, self.dt_min, self.time_min
        n_max = c.hwm
        members, start, competence, anoikis = units = ShedUnits.empty(n_max)
        n = shed(self.seed, self.step_index, dt / 60.0,
                 float(self.circadian.shedding_factor(t + dt / 2)), self._shed_params,
                 c.arrays(), self.occupancy, self.perivascular, units)
        rows, sizes = members[:start[n]], np.diff(start[:n + 1])
        self._blood_counts.update(ctc_shed_units=n, ctc_shed_cells=len(rows),
                                  ctc_shed_clusters=int(np.count_nonzero(sizes >= 2)))
        if n:
            cell_ids = c.id[rows].copy()
            melatonin = float(self.circadian.hormones(t)["melatonin"])
            loss = self.config.shedding.active_competence_loss * (1.0 - melatonin)
            units = self.blood.add_units(sizes, t, float(self.circadian.internal_clock_h(t)),
                                         competence[:n] * (1.0 - loss), anoikis[:n])
            unit_ids = self.blood.table.id[units]
            for i, unit in enumerate(unit_ids.tolist()):
                self.ctc_members[unit] = cell_ids[start[i]:start[i + 1]]
            self.step_events["ctc_members"] = {"unit_id": np.repeat(unit_ids, sizes),
                                               "cell_id": cell_ids}
            if self.agents_mirror is not None:
                self.agents_mirror.remove(rows)
            remove_cells(c, self.occupancy, rows)
            if self.ctc_mirror is not None:
                self.ctc_mirror.add(units)
        e = self.effects
        result = self.blood.step(self.step_index, dt, t, self.config.blood.nk_killing,
                                 e.platelet_inhibition, e.digoxin_effect,
                                 self.config.blood.substeps)
        self._split_members(result.new_rows)
        if self.ctc_mirror is not None:
            self.ctc_mirror.add(result.new_rows)
            self.ctc_mirror.remove(result.ended_rows)
        ended = result.ended
        for unit in ended["id"].tolist():
            self.ctc_members.pop(unit, None)
        if len(result.ended_rows):
            self.step_events["ctc"] = _ctc_event_columns(ended)
        counts = result.counts
        self._blood_counts.update(n_ctc_units=counts["n_units"], n_ctc_cells=counts["n_cells"],
                                  n_ctc_clusters=counts["n_clusters"],
                                  ctc_seeded=counts["n_seeded"],
                                  ctc_killed_nk=counts["n_killed_nk"], ctc_died=counts["n_died"])

    def circulating_ctc_events(self) -> dict[str, np.ndarray] | None:
        """``events/ctc`` rows (fate ``circulating``, ``end_min`` NaN) for the units still in
        the blood, written when a run ends so that the table holds one row per shed unit;
        None without shedding or with none circulating."""
        if self.blood is None:
            return None
        t = self.blood.table
        rows = np.flatnonzero(t.alive[:t.hwm] & (t.fate[:t.hwm] == CTC_FATES["circulating"]))
        if not len(rows):
            return None
        return _ctc_event_columns({c: getattr(t, c)[rows].copy() for c in EVENT_COLUMNS})

    def _split_members(self, new_rows: np.ndarray) -> None:
        """Singles from a dissociated cluster take its members in turn."""
        table = self.blood.table
        handed: dict[int, int] = {}
        for row in new_rows.tolist():
            parent = int(table.parent_id[row])
            k = handed.get(parent, 0)
            cluster = self.ctc_members.get(parent, np.zeros(0, np.int64))
            self.ctc_members[int(table.id[row])] = cluster[k:k + 1]
            handed[parent] = k + 1

    def _drug_deaths(self) -> None:
        """Step 9: chemotherapy and senolytic deaths (counter-based draws per cell)."""
        e, c = self.effects, self.cells
        if e.chemo_kill_per_h <= 0.0 and e.senolytic_kill_per_h <= 0.0:
            self._kill_counts["chemo_deaths"] = self._kill_counts["senolytic_deaths"] = 0
            return
        out = np.empty(c.hwm, dtype=np.int64)
        n = drug_deaths(c.arrays(), self.phenotype.in_cycle(c), e.chemo_kill_per_h,
                        self.config.cell_state.stemness_chemo_tolerance,
                        e.senolytic_kill_per_h, self.seed, self.step_index, self.dt_min / 60.0,
                        out)
        rows = out[:n]
        senescent = c.phase[rows] == PHASES["senescent"]
        self._kill_counts["chemo_deaths"] = int(np.count_nonzero(~senescent))
        self._kill_counts["senolytic_deaths"] = int(np.count_nonzero(senescent))
        if n:
            self.step_events["drug_deaths"] = {
                "time_min": np.full(n, self.time_min + self.dt_min), "cell_id": c.id[rows],
                "phase": c.phase[rows],
                "drug": np.where(senescent, "senolytic", "chemo").astype(str)}
        self._kill(rows)

    def _kill(self, rows: np.ndarray) -> None:
        """Cells killed from outside (immune lysis, drugs): the phenotype program makes them
        die; rows it hands back are removed now."""
        if not len(rows):
            return
        remove = self.phenotype.kill(self.cells, rows, self.step_index)
        if len(remove):
            if self.agents_mirror is not None:
                self.agents_mirror.remove(remove)
            remove_cells(self.cells, self.occupancy, remove)

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
                cells.arrays(), mothers, self.occupancy, self.vessels, self._shells, self.seed,
                step, self.time_min + self.dt_min, daughters, blocked)
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
                   "stemness_mean_viable", "dna_damage_mean_viable", "emt_mean_viable"]
                + [f"n_senescent_{route}" for route in SENESCENCE_ROUTES if route != "none"]
                + list(EVENT_NAMES.values())
                + ["contact_inhibited", "solver_cycles", "glucose_solver_cycles"]
                + list(KILL_COUNTERS) + list(IMMUNE_COUNTERS) + list(DRUG_REPORTERS)
                + list(BLOOD_REPORTERS) + list(CLOCK_REPORTERS))

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
        for column in ("glucose", "sasp", "sasp_metabolic", "pdl1", "stemness", "dna_damage",
                       "emt"):
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
        counts.update(self._kill_counts)
        counts.update(self.immune.counts() if self.immune is not None
                      else dict.fromkeys(IMMUNE_COUNTERS, 0))
        counts.update({name: getattr(self.effects, name) for name in DRUG_REPORTERS})
        counts.update(self._blood_counts)
        clock = self.circadian
        counts.update({"clock_h": float(clock.external_clock_h(self.time_min)),
                       "body_clock_h": float(clock.internal_clock_h(self.time_min)),
                       "shedding_factor": float(clock.shedding_factor(self.time_min)),
                       **{k: float(v) for k, v in clock.hormones(self.time_min).items()}})
        self.counts = counts


def _ctc_event_columns(units: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows of ``events/ctc`` for ``units`` (columns of :data:`abm.blood.EVENT_COLUMNS`):
    the fate as its name, ``time`` = the shedding time (min), ``survived`` = arrested alive
    (seeded or failed to grow out), ``seeded``."""
    names = {code: name for name, code in CTC_FATES.items()}
    fate = np.array([names[int(f)] for f in units["fate"]], dtype=str)
    return {**{k: v for k, v in units.items() if k != "fate"}, "fate": fate,
            "time": units["shed_min"],
            "survived": (fate == "seeded") | (fate == "arrested_failed"),
            "seeded": fate == "seeded"}


def _members_from_snapshot(snap: dict | None) -> dict[int, np.ndarray]:
    """Unit id → member cell ids of the circulating CTC units (empty for a new run)."""
    if snap is None or "ctc_members.unit" not in snap:
        return {}
    units = np.asarray(snap["ctc_members.unit"])
    cells = np.asarray(snap["ctc_members.cell"])
    return {int(u): cells[units == u] for u in np.unique(units)}


def _read_count(model: TumorModel, name: str):
    """DataCollector reporter: one entry of ``model.counts`` (bound with functools.partial,
    which Mesa 3.3–3.5 call with the model)."""
    return model.counts[name]


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
