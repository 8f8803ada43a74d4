"""The placeholder cell cycle, used until the intracellular network drives fates.

Rules (parameters and sources in ``[cycle]``, see ``abm params``):

- **Cycle.** Progress ``p`` advances by ``dt/T · O2/(K + O2)`` per step (hours), with an
  individual cycle time ``T = cycle_time_h · exp(σ·z)``, ``σ = √ln(1 + cv²)``, drawn at birth
  from the counter-based rng; ``p ≥ 1`` asks to divide.
- **Hypoxic arrest.** Below ``arrest_mmHg`` progress stops and the cell is quiescent; it
  resumes when O2 returns.
- **Contact inhibition.** A cell ready to divide with no free site nearby is quiescent and
  retries at rate ``1/cells.retry_min``.
- **Energy and necrosis.** ``ATP = min(1, oxphos_atp·O2/(Kox + O2) + glycolytic_atp)``; the
  reserve ``E ∈ [0, 1]`` follows ``dE/dt = (ATP − atp_demand)/cells.energy_time_h``; ``E = 0``
  is necrosis. Necrotic cells take up no O2 and their debris frees the site after
  ``cells.necrotic_clearance_h``.
"""
from __future__ import annotations

import math

import numpy as np

from abm._numba import jit
from abm.tumor.cells import NECROTIC, PROLIFERATING, QUIESCENT
from abm.tumor.sections import CYCLE_PARAMS, CellsSection, CycleSection
from abm.tumor.sections import CycleParam as P
from abm.core.rng import (STREAM_CYCLE_TIME, STREAM_INITIAL_PROGRESS, STREAM_RETRY, normal,
                          uniform)
from abm.tumor.phenotype.base import EVENT_DIVIDE, EVENT_NECROSIS, EVENT_NONE, EVENT_REMOVE, Phenotype

PROGRESS, CYCLE_H, ENERGY, NECROTIC_MIN, BLOCKED = range(5)


class PlaceholderCycle(Phenotype):
    """O2-dependent cycle, hypoxic arrest and energy-based necrosis (see module docstring)."""

    state_names = ("progress", "cycle_time_h", "energy", "necrotic_min", "contact_inhibited")

    def __init__(self, p: CycleSection, cells: CellsSection, seed: int):
        self.seed = int(seed)
        self.sigma = math.sqrt(math.log1p(p.cycle_time_cv ** 2))
        self._params = CYCLE_PARAMS.values(cycle=p, cells=cells)
        self.cycle_time_h = p.cycle_time_h

    def initialize(self, table, rows, step):
        _init_founders(rows, table.id, table.phase, table.state, self.cycle_time_h, self.sigma,
                       self.seed, step)
        table.demand[rows] = 1.0  # no growth signal: every cell demands as a cycling one

    def advance(self, table, step, dt_min, events):
        _advance(table.hwm, table.alive, table.id, table.phase, table.oxygen, table.state,
                 events, self._params, self.seed, step, dt_min)

    def on_division(self, table, mothers, daughters, step):
        _reset_after_division(mothers, daughters, table.id, table.phase, table.state,
                              self.cycle_time_h, self.sigma, self.seed, step)

    def on_contact_inhibited(self, table, rows, step):
        table.state[rows, BLOCKED] = 1.0
        table.phase[rows] = QUIESCENT


@jit
def _draw_cycle_time(median_h, sigma, seed, step, cell_id):
    """Cycle time (h) of the cycle a cell starts at ``step`` (log-normal around the median)."""
    return median_h * np.exp(sigma * normal(seed, step, cell_id, STREAM_CYCLE_TIME))


@jit
def _init_founders(rows, ids, phase, state, median_h, sigma, seed, step):
    for r in rows:
        state[r, PROGRESS] = uniform(seed, step, ids[r], STREAM_INITIAL_PROGRESS)
        state[r, CYCLE_H] = _draw_cycle_time(median_h, sigma, seed, step, ids[r])
        state[r, ENERGY] = 1.0
        state[r, NECROTIC_MIN] = 0.0
        state[r, BLOCKED] = 0.0
        phase[r] = PROLIFERATING


@jit
def _advance(hwm, alive, ids, phase, oxygen, state, events, params, seed, step, dt_min):
    k_half, arrest, oxphos, kox = (params[P.O2_HALF_MMHG], params[P.ARREST_MMHG],
                                   params[P.OXPHOS_ATP], params[P.ATP_O2_HALF_MMHG])
    glyco, demand, tau_h = params[P.GLYCOLYTIC_ATP], params[P.ATP_DEMAND], params[P.ENERGY_TIME_H]
    clearance_min, retry_min = params[P.NECROTIC_CLEARANCE_MIN], params[P.RETRY_MIN]
    dt_h = dt_min / 60.0
    p_retry = 1.0 - np.exp(-dt_min / retry_min)
    for r in range(hwm):
        events[r] = EVENT_NONE
        if not alive[r]:
            continue
        if phase[r] == NECROTIC:
            state[r, NECROTIC_MIN] += dt_min
            if state[r, NECROTIC_MIN] >= clearance_min:
                events[r] = EVENT_REMOVE
            continue
        c = oxygen[r]
        atp = min(1.0, oxphos * c / (kox + c) + glyco)
        energy = min(1.0, max(0.0, state[r, ENERGY] + dt_h * (atp - demand) / tau_h))
        state[r, ENERGY] = energy
        if energy <= 0.0:
            phase[r] = NECROTIC
            state[r, NECROTIC_MIN] = 0.0
            events[r] = EVENT_NECROSIS
            continue
        if c < arrest:
            phase[r] = QUIESCENT
            continue
        if state[r, BLOCKED] > 0.0:
            phase[r] = QUIESCENT
            if uniform(seed, step, ids[r], STREAM_RETRY) < p_retry:
                events[r] = EVENT_DIVIDE
            continue
        phase[r] = PROLIFERATING
        state[r, PROGRESS] += dt_h / state[r, CYCLE_H] * c / (k_half + c)
        if state[r, PROGRESS] >= 1.0:
            events[r] = EVENT_DIVIDE


@jit
def _reset_after_division(mothers, daughters, ids, phase, state, median_h, sigma, seed, step):
    for i in range(mothers.shape[0]):
        m, d = mothers[i], daughters[i]
        state[m, PROGRESS] = 0.0
        state[d, PROGRESS] = 0.0
        state[m, BLOCKED] = 0.0
        state[d, BLOCKED] = 0.0
        state[m, CYCLE_H] = _draw_cycle_time(median_h, sigma, seed, step, ids[m])
        state[d, CYCLE_H] = _draw_cycle_time(median_h, sigma, seed, step, ids[d])
        phase[m] = PROLIFERATING
        phase[d] = PROLIFERATING
