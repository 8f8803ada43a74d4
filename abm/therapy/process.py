"""The drugs' processes: their effects over a step (first), and the deaths they cause (step 9).

:class:`DrugEffects` evaluates the schedule (:class:`abm.therapy.schedule.TherapySchedule`)
over the step before anything else moves and leaves the result in ``model.effects``, which
the fields (senomorphic: less secretion), the cell state (chemotherapy damage), the immune
cells (anti-PD-L1) and the blood (digoxin, platelet inhibitor) read; the neutrophils and NETs
(abm/myeloid) read neutrophil_depletion, net_digestion_per_h, net_inhibition; the tissue
platelets read platelet_inhibition. It also logs the doses given in the step.
:class:`DrugDeaths` kills with chemotherapy and senolytics.
"""
from __future__ import annotations

import numpy as np

from abm.core.process import Process
from abm.therapy.schedule import DrugEffects as Effects
from abm.therapy.schedule import TherapySchedule
from abm.tumor.cell_state import drug_deaths
from abm.tumor.cells import PHASES


class DrugEffects(Process):
    """Sets ``model.effects`` for the step and logs its doses (``events/doses``); reports the
    effects named in ``reporters`` (fields of :class:`abm.therapy.schedule.DrugEffects`, listed
    by hand: new ones at the end, so existing run files keep their column order)."""

    name, timing = "drug_effects", "field"
    reporters = ("chemo_kill_per_h", "chemo_damage_per_h", "senolytic_kill_per_h",
                 "sasp_secretion_scale", "pdl1_blockade", "neutrophil_depletion",
                 "net_digestion_per_h", "net_inhibition")

    def __init__(self, therapy: TherapySchedule):
        self.therapy = therapy

    @classmethod
    def from_config(cls, model, snapshot):
        model.effects = Effects()  # no drug before the first step
        return cls(TherapySchedule.from_config(model.config))

    def step(self, model):
        t, dt = model.time_min, model.dt_min
        model.effects = self.therapy.step_effects(t, t + dt)
        start = -np.inf if model.step_index == 0 else t  # a dose at t = 0 goes to step 0
        doses = self.therapy.events_between(start, t + dt)
        if doses:
            times, drugs, amounts = zip(*doses)
            model.step_events["doses"] = {"time_min": np.array(times),
                                          "drug": np.array(drugs, dtype=str),
                                          "dose": np.array(amounts)}

    def counts(self, model):
        return {name: getattr(model.effects, name) for name in self.reporters}


class DrugDeaths(Process):
    """Step 9: chemotherapy kills cells in S/G2/M, a senolytic senescent cells (counter-based
    draws per cell, :func:`abm.tumor.cell_state.drug_deaths`); the killed cells die through
    the tumour's ``Deaths`` (counters ``chemo_deaths``, ``senolytic_deaths``). A resection
    removes every tumour cell of the tissue (reported as ``resected``)."""

    name, timing = "drug_deaths", "therapy"
    reporters = ("resected",)

    def __init__(self):
        self.resected = 0

    def step(self, model):
        e, c, deaths = model.effects, model.cells, model.process("deaths")
        self.resected = 0
        if e.resection:
            rows = c.live_rows()
            self.resected = len(rows)
            model.space.remove(c, rows)
        if e.chemo_kill_per_h <= 0.0 and e.senolytic_kill_per_h <= 0.0:
            deaths.record(chemo_deaths=0, senolytic_deaths=0)
            return
        out = np.empty(c.hwm, dtype=np.int64)
        n = drug_deaths(c.arrays(), model.phenotype.in_cycle(c), e.chemo_kill_per_h, model.config.cell_state.stemness_chemo_tolerance,
                        e.senolytic_kill_per_h, model.seed, model.step_index,
                        model.dt_min / 60.0, out)
        rows = out[:n]
        senescent = c.phase[rows] == PHASES["senescent"]
        deaths.record(chemo_deaths=int(np.count_nonzero(~senescent)),
                      senolytic_deaths=int(np.count_nonzero(senescent)))
        if n:
            model.step_events["drug_deaths"] = {
                "time_min": np.full(n, model.time_min + model.dt_min), "cell_id": c.id[rows],
                "phase": c.phase[rows],
                "drug": np.where(senescent, "senolytic", "chemo").astype(str)}
        deaths.kill(model, rows)

    def counts(self, model):
        return {"resected": self.resected}
