"""The blood's processes (step 8): the circadian clock, and shedding plus circulation.

- :class:`Clock` reports the room's and the body's clock time and the hormones
  (:class:`abm.circulation.circadian.CircadianClock`); it has no state of its own beyond the
  config, so it needs no snapshot.
- :class:`Circulation` (when ``shedding.enabled``): perivascular tumour cells shed as single
  CTCs or clusters at a rate set by the clock (:mod:`abm.circulation.shedding`); the shed
  units circulate (:class:`abm.circulation.blood.Circulation`) until they seed a metastasis
  or die. It keeps which tumour cells left in which unit (:attr:`Circulation.members`)
  and, with a secondary site, the cells' whole rows (:class:`abm.circulation.transit.
  TransitCells`) until their unit arrests there (:attr:`Circulation.arrivals`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm.circulation import blood
from abm.circulation.circadian import CircadianClock
from abm.circulation.ctc_table import CTC_FATES
from abm.circulation.params import blood_params
from abm.circulation.sections import BloodParam
from abm.circulation.shedding import ShedUnits, perivascular_sites, shed, shedding_params
from abm.circulation.transit import TransitCells
from abm.core.agents import CTC, AgentMirror
from abm.core.process import Process
from abm.errors import ConfigError


class Clock(Process):
    """The circadian clock; reports it at the end of each step (clock times in h)."""

    name, timing = "clock", "blood"
    reporters = ("clock_h", "body_clock_h", "melatonin", "glucocorticoid", "sex_hormone",
                 "shedding_factor")

    def __init__(self, clock: CircadianClock):
        self.clock = clock

    @classmethod
    def from_config(cls, model, snapshot):
        return cls(CircadianClock(model.config.circadian, model.config.run.start_clock_h))

    def counts(self, model):
        t, clock = model.time_min, self.clock
        out = {"clock_h": float(clock.external_clock_h(t)),
               "body_clock_h": float(clock.internal_clock_h(t)),
               "shedding_factor": float(clock.shedding_factor(t)),
               **{k: float(v) for k, v in clock.hormones(t).items()}}
        return {name: out[name] for name in self.reporters}


class Circulation(Process):
    """Shedding into the blood, then one circulation step of every unit; reports CTC counts
    per step: shed this step, circulating after it, and fates reached in it.

    Attributes:
        blood: the :class:`abm.circulation.blood.Circulation` (``model.blood``).
        members: unit id → int64 ids of the tumour cells that left the tissue in it, for the
            units still circulating.
        transit: the shed cells' rows (:class:`TransitCells`) with a secondary site, else
            None.
        arrivals: with a secondary site, the units that arrested in it this step
            (:class:`Arrival`); the site process takes their cells from :attr:`transit`. A
            cluster that lost cells in the blood keeps its first members (which ones died
            is not tracked).
        mirror: thin agents of the units (``run.thin_agents``), or None.
    """

    name, timing = "blood", "blood"
    reporters = ("ctc_shed_units", "ctc_shed_cells", "ctc_shed_clusters", "n_ctc_units",
                 "n_ctc_cells", "n_ctc_clusters", "ctc_seeded", "ctc_killed_nk", "ctc_died",
                 "ctc_arrested")

    def __init__(self, model, circulation: blood.Circulation, members: dict[int, np.ndarray],
                 transit: TransitCells | None):
        self.blood, self.members, self.transit = circulation, members, transit
        self.arrivals: list[Arrival] = []
        self.clock = model.process("clock").clock
        self.params = shedding_params(model.config)
        self.perivascular = perivascular_sites(model.vessels)
        self._counts = dict.fromkeys(self.reporters, 0)
        self.mirror = AgentMirror(model, CTC) if model.config.run.thin_agents else None
        if self.mirror is not None:
            self.mirror.add(circulation.table.live_rows())

    @classmethod
    def from_config(cls, model, snapshot):
        if not model.config.shedding.enabled:
            return None
        try:
            params = blood_params(model.config.blood.params)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if snapshot is not None and "ctc.counters" in snapshot:
            circulation = blood.Circulation.from_snapshot(snapshot, params, model.seed)
        else:
            circulation = blood.Circulation(params, model.seed)
        transit = None
        if model.config.secondary.enabled:
            transit = (TransitCells.from_snapshot(snapshot)
                       if snapshot is not None and "transit.counters" in snapshot
                       else TransitCells(n_state=len(model.phenotype.state_names)))
        return cls(model, circulation, _members_from_snapshot(snapshot), transit)

    def step(self, model):
        self._shed(model)
        e, cfg = model.effects, model.config.blood
        site = model.process("dissemination")
        result = self.blood.step(model.step_index, model.dt_min, model.time_min, cfg.nk_killing,
                                 e.platelet_inhibition, e.digoxin_effect, cfg.substeps,
                                 to_site=self.transit is not None,
                                 arrest_factor=1.0 if site is None else site.site.arrest_factor(),
                                 neutrophil_depletion=e.neutrophil_depletion)
        self._split_members(result.new_rows)
        if self.mirror is not None:
            self.mirror.add(result.new_rows)
            self.mirror.remove(result.ended_rows)
        self.arrivals = []
        ended = result.ended
        for unit, fate, size, platelets, escorts in zip(
                ended["id"].tolist(), ended["fate"].tolist(), ended["size"].tolist(),
                ended["platelets"].tolist(), ended["neutrophils"].tolist()):
            cells = self.members.pop(unit, np.zeros(0, np.int64))
            if self.transit is None:
                continue
            # the living cells of an arrested unit go to the site, those of a dissociated
            # cluster go on in its singles; the rest died in the blood
            kept = size if fate in (CTC_FATES["arrested"], CTC_FATES["dissociated"]) else 0
            if fate == CTC_FATES["arrested"]:
                self.arrivals.append(Arrival(unit, cells[:kept], platelets, escorts))
            self.transit.drop(cells[kept:])
        if len(result.ended_rows):
            model.step_events["ctc"] = ctc_event_columns(result.ended)
        counts = result.counts
        self._counts.update(n_ctc_units=counts["n_units"], n_ctc_cells=counts["n_cells"],
                            n_ctc_clusters=counts["n_clusters"], ctc_seeded=counts["n_seeded"],
                            ctc_killed_nk=counts["n_killed_nk"], ctc_died=counts["n_died"],
                            ctc_arrested=counts["n_arrested"])

    def _shed(self, model) -> None:
        """Perivascular cells leave the tissue as new units (members recorded, rows freed)."""
        c, dt, t = model.cells, model.dt_min, model.time_min
        n_max = c.hwm
        shed_units = ShedUnits.empty(n_max)
        members, start, competence, anoikis = shed_units[:4]
        n = shed(model.seed, model.step_index, dt / 60.0,
                 float(self.clock.shedding_factor(t + dt / 2)), self.params, c.arrays(),
                 model.space.occupancy, self.perivascular, shed_units)
        rows, sizes = members[:start[n]], np.diff(start[:n + 1])
        self._counts.update(ctc_shed_units=n, ctc_shed_cells=len(rows),
                            ctc_shed_clusters=int(np.count_nonzero(sizes >= 2)))
        if not n:
            return
        cell_ids = c.id[rows].copy()
        melatonin = float(self.clock.hormones(t)["melatonin"])
        loss = model.config.shedding.active_competence_loss * (1.0 - melatonin)
        escorts, cloak = _from_the_tissue(model, members, start, n,
                                          int(self.blood.params[BloodParam.MAX_ESCORTS]))
        units = self.blood.add_units(sizes, t, float(self.clock.internal_clock_h(t)),
                                     competence[:n] * (1.0 - loss), anoikis[:n],
                                     shed_units.hypoxic[:n], cloak, escorts)
        unit_ids = self.blood.table.id[units]
        for i, unit in enumerate(unit_ids.tolist()):
            self.members[unit] = cell_ids[start[i]:start[i + 1]]
        model.step_events["ctc_members"] = {"unit_id": np.repeat(unit_ids, sizes),
                                            "cell_id": cell_ids}
        if self.transit is not None:
            self.transit.carry(c, rows)
        model.space.remove(c, rows)
        if self.mirror is not None:
            self.mirror.add(units)

    def _split_members(self, new_rows: np.ndarray) -> None:
        """Singles from a dissociated cluster take its members in turn."""
        table = self.blood.table
        handed: dict[int, int] = {}
        for row in new_rows.tolist():
            parent = int(table.parent_id[row])
            k = handed.get(parent, 0)
            cluster = self.members.get(parent, np.zeros(0, np.int64))
            self.members[int(table.id[row])] = cluster[k:k + 1]
            handed[parent] = k + 1

    def circulating_events(self) -> dict[str, np.ndarray] | None:
        """``events/ctc`` rows (fate ``circulating``, ``end_min`` NaN) for the units still in
        the blood, written when a run ends so that the table holds one row per shed unit;
        None with none circulating."""
        t = self.blood.table
        rows = np.flatnonzero(t.alive[:t.hwm]
                              & (t.fate[:t.hwm] == CTC_FATES["circulating"]))
        if not len(rows):
            return None
        return ctc_event_columns({c: getattr(t, c)[rows].copy() for c in blood.EVENT_COLUMNS})

    def snapshot(self):
        snap = self.blood.snapshot()
        if self.transit is not None:
            snap.update(self.transit.snapshot())
        units = list(self.members)
        snap["ctc_members.unit"] = np.repeat(np.array(units, dtype=np.int64),
                                             [len(self.members[u]) for u in units])
        snap["ctc_members.cell"] = np.concatenate(
            [self.members[u] for u in units] + [np.zeros(0, np.int64)])
        return snap

    def counts(self, model):
        return dict(self._counts)


def ctc_event_columns(units: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows of ``events/ctc`` for ``units`` (columns of
    :data:`abm.circulation.blood.EVENT_COLUMNS`): the fate as its name, ``time`` = the
    shedding time (min), ``survived`` = arrested alive (seeded, failed to grow out, or
    arrested at a secondary site),
    ``seeded``."""
    names = {code: name for name, code in CTC_FATES.items()}
    fate = np.array([names[int(f)] for f in units["fate"]], dtype=str)
    return {**{k: v for k, v in units.items() if k != "fate"}, "fate": fate,
            "time": units["shed_min"],
            "survived": np.isin(fate, ("seeded", "arrested_failed", "arrested")),
            "seeded": fate == "seeded"}


class Arrival(NamedTuple):
    """A unit that arrested at the secondary site this step: its id, the int64 ids of its
    living cells, its platelet coverage (0–1) and its escorting neutrophils."""

    unit_id: int
    cell_ids: np.ndarray
    platelets: float
    neutrophils: int


def _from_the_tissue(model, members: np.ndarray, unit_start: np.ndarray, n: int,
                     max_escorts: int) -> tuple[np.ndarray, np.ndarray]:
    """Escorting neutrophils (at most ``max_escorts`` per unit) and platelet coverage each
    of the ``n`` shed units takes from the tissue (zeros without those agents), asked before
    the cells leave the lattice."""
    neutrophils, platelets = model.process("neutrophils"), model.process("platelets")
    escorts = (np.zeros(n, np.int32) if neutrophils is None
               else neutrophils.take_escorts(model, members, unit_start, n, max_escorts))
    cloak = (np.zeros(n) if platelets is None
             else platelets.cloak(model, members, unit_start, n))
    return escorts, cloak


def _members_from_snapshot(snap: dict | None) -> dict[int, np.ndarray]:
    """Unit id → member cell ids of the circulating CTC units (empty for a new run)."""
    if snap is None or "ctc_members.unit" not in snap:
        return {}
    units = np.asarray(snap["ctc_members.unit"])
    cells = np.asarray(snap["ctc_members.cell"])
    return {int(u): cells[units == u] for u in np.unique(units)}
