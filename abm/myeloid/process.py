"""The myeloid processes (step 7b, after the immune cells, before the blood):
:class:`Neutrophils` and :class:`Platelets`, each owning its agents' table and occupancy
(rules: :mod:`abm.myeloid.neutrophil_kernels`, :mod:`abm.myeloid.platelet_kernels`,
:mod:`abm.myeloid.signals`). The blood's shedding asks them for the escorts and the cloak of
each shed unit (:meth:`Neutrophils.take_escorts`, :meth:`Platelets.cloak`); a secondary site
asks its neutrophils for the NETs' reach (:attr:`Neutrophils.exposure`) and places arriving
escorts (:meth:`Neutrophils.place_near`).
"""
from __future__ import annotations

import numpy as np

from abm.core.agents import AgentMirror
from abm.core.process import Process
from abm.core.rng import STREAM_NEUTROPHIL_ARRIVAL_SITE, STREAM_NEUTROPHIL_HEADING, uniform
from abm.immune.kernels import choose_heading, entry_site
from abm.myeloid import neutrophil_kernels as nk
from abm.myeloid import platelet_kernels as pk
from abm.myeloid.agents import Neutrophil, Platelet
from abm.myeloid.signals import (disc_offsets, growth_signal, il6_source, inflammation,
                                 net_exposure, net_vessel_share)
from abm.myeloid.tables import NeutrophilTable, PlateletTable

NEUTROPHIL_FRAME_COLUMNS = ("time_min", "id", "x", "y", "net", "age_min", "birth_min")
"""Columns of ``events/neutrophils``: the live neutrophils at each frame (x, y in µm)."""
STEP_COUNTS = ("neutrophils_entered", "nets_formed", "neutrophils_escorting", "units_escorted")
"""The neutrophils' reporters counted over a step."""
PLATELET_FRAME_COLUMNS = ("time_min", "id", "x", "y", "birth_min")
"""Columns of ``events/platelets``: the adhered aggregates at each frame (x, y in µm)."""


class _AgentProcess(Process):
    """What both myeloid processes share: a row table on the lattice with its occupancy,
    the vessel sites in row-major order, thin agents, checkpoints and frame rows."""

    table_class: type
    agent_class: type
    frame_columns: tuple[str, ...]

    def __init__(self, model, snapshot):
        self.section = getattr(model.config, self.name)
        self.vessel_y, self.vessel_x = (a.astype(np.int64) for a in np.nonzero(model.vessels))
        key = f"{self.name}.occupancy"
        if snapshot is not None and key in snapshot:
            self.table = self.table_class.from_snapshot(snapshot)
            self.occupancy = np.asarray(snapshot[key], dtype=np.int32).copy()
        else:
            self.table = self.table_class(capacity=max(16, 2 * len(self.vessel_x)))
            self.occupancy = np.full(model.shape, -1, dtype=np.int32)
        self.mirror = (AgentMirror(model, self.agent_class) if model.config.run.thin_agents
                       else None)
        if self.mirror is not None:
            self.mirror.add(self.table.live_rows())

    def _entered_and_left(self, entered: np.ndarray, left: np.ndarray) -> None:
        if self.mirror is not None:
            self.mirror.add(entered)
            self.mirror.remove(left)

    def snapshot(self):
        snap = self.table.snapshot()
        snap[f"{self.name}.occupancy"] = self.occupancy.copy()
        return snap

    def frame_events(self, model):
        t = self.table
        rows = t.live_rows()
        values = {"time_min": np.full(len(rows), model.time_min),
                  "x": ((t.x[rows] + 0.5) * model.dx_um).astype(np.float32),
                  "y": ((t.y[rows] + 0.5) * model.dx_um).astype(np.float32)}
        return {self.name: {c: values[c] if c in values else getattr(t, c)[rows].copy()
                            for c in self.frame_columns}}


class Neutrophils(_AgentProcess):
    """Neutrophils when ``neutrophils.enabled``; reports walking neutrophils, NETs, entries,
    new NETs, escorting neutrophils and escorted shed units of the step, and the share of
    vessel sites a NET reaches.

    Attributes:
        table: the :class:`NeutrophilTable`; occupancy: int32 ``[ny, nx]`` its row per site.
        exposure: int32 ``[ny, nx]`` NETs within ``net_radius_um`` of each site (this step).
    """

    name, timing = "neutrophils", "myeloid"
    reporters = ("n_neutrophils", "n_nets", "neutrophils_entered", "nets_formed",
                 "neutrophils_escorting", "units_escorted", "net_vessel_share")
    event_tables = {"neutrophils": NEUTROPHIL_FRAME_COLUMNS}
    table_class, agent_class, frame_columns = NeutrophilTable, Neutrophil, NEUTROPHIL_FRAME_COLUMNS

    def __init__(self, model, snapshot):
        super().__init__(model, snapshot)
        self.offsets = disc_offsets(self.section.net_radius_um, model.dx_um)
        self.exposure = np.zeros(model.shape, dtype=np.int32)
        net_exposure(self.table.arrays(), *self.offsets, self.exposure)
        self._no_sasp = np.zeros(model.shape)
        self._step_counts = dict.fromkeys(STEP_COUNTS, 0)

    @classmethod
    def from_config(cls, model, snapshot):
        if not model.config.neutrophils.enabled:
            return None
        return cls(model, snapshot)

    def step(self, model):
        s, e, t = self.section, model.effects, self.table
        dt = model.dt_min
        t_end = model.time_min + dt
        pulse = inflammation(s, model.time_min)
        chemokine = model.fields["chemokine"]
        t.ensure_capacity(len(self.vessel_x))
        entered = np.empty(max(len(self.vessel_x), 1), dtype=np.int64)
        n_in = nk.recruit(model.seed, model.step_index, dt, t_end, self.vessel_x, self.vessel_y,
                          chemokine, s.recruit_per_min, s.recruit_k,
                          s.inflammation_recruit_gain, pulse, e.neutrophil_depletion,
                          t.arrays(), self.occupancy, model.vessels, entered)
        nk.walk(model.seed, model.step_index, dt, model.dx_um, chemokine, s.speed_um_per_min,
                s.persistence_min, s.chemotaxis, t.arrays(), self.occupancy, model.vessels)
        left = np.empty(max(t.hwm, 1), dtype=np.int64)
        clearance = 1.0 / (s.net_lifetime_h * 60.0) + e.net_digestion_per_h / 60.0
        n_out, n_nets = nk.fates(model.seed, model.step_index, dt, t_end,
                                 1.0 / (s.lifetime_h * 60.0), s.net_per_h / 60.0, s.net_k,
                                 e.net_inhibition, clearance,
                                 model.fields.get("sasp", self._no_sasp), pulse, t.arrays(),
                                 self.occupancy, left)
        self._entered_and_left(entered[:n_in], left[:n_out])
        il6_source(s.il6_secretion_per_min, t.arrays(), model.solutes["il6"].agent_source)
        net_exposure(t.arrays(), *self.offsets, self.exposure)
        growth_signal(model.cells, self.exposure, s)
        self._step_counts = {**dict.fromkeys(STEP_COUNTS, 0), "neutrophils_entered": n_in,
                             "nets_formed": n_nets}

    def take_escorts(self, model, members: np.ndarray, unit_start: np.ndarray,
                     n_units: int, max_escorts: int) -> np.ndarray:
        """Neutrophils that go with this step's ``n_units`` shed units (tumour rows
        ``members[unit_start[i]:unit_start[i + 1]]``, still on the lattice), at most
        ``max_escorts`` each (the blood's cap): int32 escorts per unit; the escorts leave
        the tissue."""
        escorts = np.zeros(max(n_units, 1), dtype=np.int32)
        left = np.empty(max(self.table.count, 1), dtype=np.int64)
        n = nk.escort(model.seed, model.step_index, self.section.escort_probability,
                      max_escorts, members, unit_start, n_units, model.cells.x, model.cells.y,
                      self.table.arrays(),
                      self.occupancy, escorts, left)
        self._entered_and_left(np.zeros(0, np.int64), left[:n])
        self._step_counts["neutrophils_escorting"] += int(escorts[:n_units].sum())
        self._step_counts["units_escorted"] += int(np.count_nonzero(escorts[:n_units]))
        return escorts[:n_units]

    def place_near(self, model, x: int, y: int, n: int, step: int, time_min: float) -> int:
        """Put up to ``n`` arriving escorts on free Moore neighbours of vessel site ``(x, y)``
        (a unit's landing vessel at a secondary site) at ``time_min``, draws keyed by
        ``step`` and each new neutrophil's id; returns how many found a site."""
        t = self.table
        t.ensure_capacity(n)
        placed = []
        for _ in range(n):
            u = uniform(model.seed, step, t.next_id, STREAM_NEUTROPHIL_ARRIVAL_SITE)
            xx, yy = entry_site(x, y, self.occupancy, model.vessels, u)
            if xx < 0:
                break
            row = t.claim(1)[0]
            heading = choose_heading(xx, yy, self._no_sasp, 0.0, uniform(
                model.seed, step, t.id[row], STREAM_NEUTROPHIL_HEADING))
            nk.start(t.arrays(), row, xx, yy, time_min, heading)
            self.occupancy[yy, xx] = row
            placed.append(row)
        self._entered_and_left(np.array(placed, dtype=np.int64), np.zeros(0, np.int64))
        return len(placed)

    def counts(self, model):
        t = self.table
        h = t.hwm
        live, net = t.alive[:h], t.net[:h] == 1
        return {"n_neutrophils": int(np.count_nonzero(live & ~net)),
                "n_nets": int(np.count_nonzero(live & net)), **self._step_counts,
                "net_vessel_share": net_vessel_share(self.exposure, model.vessels)}


class Platelets(_AgentProcess):
    """Platelet aggregates when ``platelets.enabled``; reports the adhered aggregates, the
    adhesions of the step and the units it cloaked."""

    name, timing = "platelets", "myeloid"
    reporters = ("n_platelets", "platelets_adhered", "units_cloaked")
    event_tables = {"platelets": PLATELET_FRAME_COLUMNS}
    table_class, agent_class, frame_columns = PlateletTable, Platelet, PLATELET_FRAME_COLUMNS

    def __init__(self, model, snapshot):
        super().__init__(model, snapshot)
        self._step_counts = {"platelets_adhered": 0, "units_cloaked": 0}

    @classmethod
    def from_config(cls, model, snapshot):
        if not model.config.platelets.enabled:
            return None
        return cls(model, snapshot)

    def step(self, model):
        s, t = self.section, self.table
        active = 1.0 - model.effects.platelet_inhibition
        c = model.cells
        t.ensure_capacity(len(self.vessel_x))
        adhered = np.empty(max(len(self.vessel_x), 1), dtype=np.int64)
        n_in = pk.adhere(model.seed, model.step_index, model.dt_min,
                         model.time_min + model.dt_min, s.adhesion_per_h / 60.0 * active,
                         self.vessel_x, self.vessel_y, model.space.occupancy, c.alive, c.phase,
                         t.arrays(), self.occupancy, adhered)
        left = np.empty(max(t.hwm, 1), dtype=np.int64)
        n_out = pk.detach(model.seed, model.step_index, model.dt_min, s.lifetime_h * 60.0,
                          t.arrays(), self.occupancy, left)
        self._entered_and_left(adhered[:n_in], left[:n_out])
        pk.release_tgfb(s.tgfb_secretion_per_min * active, t.arrays(), model.vessels,
                        model.solutes["tgfb"].agent_source)
        self._step_counts = {"platelets_adhered": n_in, "units_cloaked": 0}

    def cloak(self, model, members: np.ndarray, unit_start: np.ndarray,
              n_units: int) -> np.ndarray:
        """Platelet coverage (0–1) each of this step's shed units enters the blood with:
        ``cloak_coverage`` × (1 − antiplatelet effect) where a member touches an aggregate,
        else 0."""
        touching = np.zeros(max(n_units, 1), dtype=np.int8)
        pk.touching_units(members, unit_start, n_units, model.cells.x, model.cells.y,
                          self.occupancy, touching)
        self._step_counts["units_cloaked"] += int(touching[:n_units].sum())
        return (touching[:n_units] * self.section.cloak_coverage
                * (1.0 - model.effects.platelet_inhibition))

    def counts(self, model):
        return {"n_platelets": self.table.count, **self._step_counts}

