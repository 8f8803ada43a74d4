"""The tumour cells' processes: cell state, fate, events, deaths from outside, census.

The same classes drive the tissue model and the well-mixed culture; the host's ``space``
(:mod:`abm.tumor.space`) decides what removing a cell and placing a daughter mean. Per step,
in the host's order:

- :class:`CellState`: PD-L1, stemness, DNA damage and EMT of every live cell
  (:mod:`abm.tumor.cell_state`; chemotherapy damages cycling cells);
- :class:`Fate`: the phenotype program advances every cell and emits at most one event each;
- :class:`Events`: cleared debris is removed, mothers divide (or are contact-inhibited);
- :class:`Deaths`: the one way other processes kill tumour cells (immune lysis, drugs), and
  its per-step kill counters;
- :class:`Census`: only reports (cells per phase, hypoxia, mean columns of viable cells).
"""
from __future__ import annotations

import numpy as np

from abm.core.process import Process
from abm.tumor.cell_state import cell_state_params, update_cell_state
from abm.fields.solutes import field_counts, field_reporters
from abm.tumor.cells import (PHASES, SENESCENCE_ROUTES, mean_viable_counts,
                             mean_viable_reporters)
from abm.tumor.lattice_events import count_by_phase
from abm.tumor.phenotype import EVENT_DIVIDE, EVENT_NAMES, EVENT_REMOVE

class CellState(Process):
    """Step 3b: the per-cell state besides the network (:mod:`abm.tumor.cell_state`)."""

    name, timing = "cell_state", "field"

    def __init__(self, params: np.ndarray):
        self.params = params

    @classmethod
    def from_config(cls, model, snapshot):
        return cls(cell_state_params(model.config, model.phenotype.hif_half_mmHg))

    def step(self, model):
        update_cell_state(model.cells.arrays(), self.params, model.effects.chemo_damage_per_h,
                          model.dt_min / 60.0)


class Fate(Process):
    """Steps 4–5: the phenotype program advances every live cell and writes one event code
    per row into :attr:`events` (int8 ``[capacity]``, valid below ``cells.hwm``)."""

    name, timing = "fate", "cells"

    def __init__(self, capacity: int):
        self.events = np.zeros(capacity, dtype=np.int8)

    @classmethod
    def from_config(cls, model, snapshot):
        model.space.bind(model.phenotype)
        return cls(model.cells.capacity)

    def step(self, model):
        if self.events.shape[0] < model.cells.capacity:
            self.events = np.zeros(model.cells.capacity, dtype=np.int8)
        model.phenotype.advance(model.cells, model.step_index, model.dt_min, self.events)


class Events(Process):
    """Step 6: act on the fate's events. Removals free rows (and sites); mothers divide in
    the host's space; the program resets sisters and contact-inhibited mothers. Reports the
    events of the step (``divisions`` counts daughters placed)."""

    name, timing = "events", "events"
    reporters = tuple(EVENT_NAMES.values()) + ("contact_inhibited",)

    def __init__(self, fate: Fate):
        self.fate = fate
        self._counts = dict.fromkeys(self.reporters, 0)

    @classmethod
    def from_config(cls, model, snapshot):
        return cls(model.process("fate"))

    def step(self, model):
        cells, space, step = model.cells, model.space, model.step_index
        events = self.fate.events[: cells.hwm]
        counts = np.bincount(events, minlength=max(EVENT_NAMES) + 1)
        for code, name in EVENT_NAMES.items():
            self._counts[name] = int(counts[code])
        removed = np.flatnonzero(events == EVENT_REMOVE)
        if len(removed):
            space.remove(cells, removed)
        mothers = np.flatnonzero(events == EVENT_DIVIDE)
        n_blocked = 0
        if len(mothers):
            placed, daughters, blocked = space.divide(cells, mothers, model.seed, step,
                                                      model.time_min + model.dt_min)
            model.phenotype.on_division(cells, placed, daughters, step)
            model.phenotype.on_contact_inhibited(cells, blocked, step)
            n_blocked = len(blocked)
        self._counts["divisions"] = len(mothers) - n_blocked
        self._counts["contact_inhibited"] = n_blocked

    def counts(self, model):
        return dict(self._counts)


class Deaths(Process):
    """Tumour cells killed from outside (immune lysis, drugs): the phenotype program makes
    them die, and the rows it hands back leave the space at once. The killers record how
    many they killed each step under their own counter names (:data:`reporters`)."""

    name, timing = "deaths", "events"
    reporters = ("immune_kills_cd8", "immune_kills_nk", "chemo_deaths", "senolytic_deaths")

    def __init__(self):
        self._counts = dict.fromkeys(self.reporters, 0)

    def record(self, **counts: int) -> None:
        """Set this step's counters (names of :data:`reporters`)."""
        unknown = set(counts) - set(self.reporters)
        if unknown:
            raise KeyError(f"unknown kill counters {sorted(unknown)}")
        self._counts.update(counts)

    def kill(self, model, rows: np.ndarray) -> None:
        """Cells ``rows`` die now (the program decides how; see ``Phenotype.kill``)."""
        if not len(rows):
            return
        remove = model.phenotype.kill(model.cells, rows, model.step_index)
        if len(remove):
            model.space.remove(model.cells, remove)

    def counts(self, model):
        return dict(self._counts)


class Census(Process):
    """Reports the tumour after a step: cells (all, viable, per phase, hypoxic below
    ``oxygen.hypoxic_mmHg``), the fields' declared statistics (:func:`abm.fields.solutes.
    field_reporters`: e.g. the tissue's mean O2, the largest SASP; 0 without the field), the
    means over viable cells of the cell columns that declare one, and senescent cells per
    route; 0 for every mean without viable cells."""

    name, timing = "census", "output"

    @classmethod
    def reporter_names(cls):
        return (("n_tumor", "n_viable") + tuple(f"n_{p}" for p in PHASES)
                + ("n_hypoxic", "hypoxic_fraction") + tuple(field_reporters())
                + tuple(mean_viable_reporters())
                + tuple(f"n_senescent_{route}" for route in SENESCENCE_ROUTES
                        if route != "none"))

    def __init__(self):
        self._phase_counts = np.zeros(len(PHASES) + 1, dtype=np.int64)

    def counts(self, model):
        c, pc = model.cells, self._phase_counts
        count_by_phase(c.hwm, c.alive, c.phase, c.oxygen, model.config.oxygen.hypoxic_mmHg,
                       len(PHASES), pc)
        n_viable = c.count - int(pc[PHASES["necrotic"]])
        viable = c.alive[: c.hwm] & (c.phase[: c.hwm] != PHASES["necrotic"])
        out = {"n_tumor": c.count, "n_viable": n_viable}
        out.update({f"n_{p}": int(pc[code]) for p, code in PHASES.items()})
        out.update({
            "n_hypoxic": int(pc[len(PHASES)]),
            "hypoxic_fraction": float(pc[len(PHASES)]) / n_viable if n_viable else 0.0,
        })
        out.update(field_counts(model.fields, c, viable, n_viable))
        out.update(mean_viable_counts(c, viable, n_viable))
        senescent = c.alive[: c.hwm] & (c.phase[: c.hwm] == PHASES["senescent"])
        routes = np.bincount(c.route[: c.hwm][senescent], minlength=len(SENESCENCE_ROUTES))
        for route, code in SENESCENCE_ROUTES.items():
            if route != "none":
                out[f"n_senescent_{route}"] = int(routes[code])
        return out  # built in the order of reporter_names()
