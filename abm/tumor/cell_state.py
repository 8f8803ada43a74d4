"""Per-cell state driven by the environment and drugs besides the network: PD-L1, MHC-I,
stemness, DNA damage, EMT, NR2F1 and the time spent hypoxic, and the deaths that drugs cause.

The six ODE columns (``CellTable.pdl1``, ``mhc1``, ``stemness``, ``dna_damage``, ``emt``,
``nr2f1``) follow linear ODEs with
their inputs held over a step, so each step applies the exact solution
``X ← X∞ + (X − X∞)·exp(−b·dt)`` of ``dX/dt = a − b·X`` (``X∞ = a/b``): no step-size limit
and no Euler error (:class:`abm.tumor.cell_state_sections.CellStateSection` states the equations and the
sources of the rates).

Drugs (:mod:`abm.therapy` gives their effect each step) act here too: chemotherapy damages
the DNA of proliferating cells and kills cells in S/G2/M (the phenotype program says which
cells are there) with a hazard lowered by stemness; a senolytic kills senescent cells.
Dormant, quiescent and senescent cells are spared by chemotherapy (it needs DNA replication
and mitosis), and so are proliferating cells held in G1 by p21 (the damaged cells that may
senesce).
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.core.rowtable import high_water_mark
from abm.tumor.cells import DORMANT, PROLIFERATING, SENESCENT
from abm.core.rng import STREAM_CHEMO_KILL, STREAM_SENOLYTIC_KILL, uniform
from abm.tumor.cell_state_sections import CELL_STATE_PARAMS
from abm.tumor.cell_state_sections import CellStateParam as P

HIF_HALF_MMHG = 11.0
"""O2 (mmHg) at which the hypoxia drive h = 1/(1 + (O2/K)³) is one half for programs without
a network: the default network's HIF half-point (dormancy KH = 11 mmHg, nH = 3; a test keeps
the two equal), so PD-L1 follows HIF-1α for them too. A network program passes its own
(``Phenotype.hif_half_mmHg``)."""


HIF_HALF = len(P)
"""Index of the HIF half-point (mmHg) in :func:`cell_state_params`' vector: after the
entries of :data:`abm.tumor.cell_state_sections.CellStateParam`, since it comes from the network
program, not from the config."""


def cell_state_params(config, hif_half_mmHg: float = HIF_HALF_MMHG) -> np.ndarray:
    """Kernel parameter vector from a config's ``[cell_state]`` (and ``oxygen.hypoxic_mmHg``),
    indexed by :data:`abm.tumor.cell_state_sections.CellStateParam` (rates in h⁻¹), then the HIF
    half-point K (mmHg) of the hypoxia drive at :data:`HIF_HALF`."""
    return np.append(CELL_STATE_PARAMS.values(config), hif_half_mmHg)


@jit
def _relax(x, a, b, decay):
    """Exact solution after one step of dx/dt = a − b·x, where ``decay`` = exp(−b·dt)."""
    target = a / b
    return target + (x - target) * decay


@jit
def update_cell_state(cells, params, damage_per_h, dt_h):
    """Advance PD-L1, MHC-I, stemness, DNA damage, EMT, NR2F1 and the hours spent hypoxic of
    every live cell of ``cells`` (``CellTable.Arrays``) by ``dt_h`` (h).

    They follow the local fields ``sasp`` / ``sasp_metabolic`` (network units), ``tgfb``
    (EMT) and ``oxygen``; ``damage_per_h``: the chemotherapy DNA-damage rate (network units/h) this
    step, applied to proliferating cells only."""
    c = cells
    k_pdl1 = params[P.PDL1_TURNOVER_PER_H]
    k_stem = params[P.STEMNESS_DECAY_PER_H]
    k_repair = params[P.DNA_REPAIR_PER_H]
    decay_pdl1 = np.exp(-k_pdl1 * dt_h)
    k_mhc1 = params[P.MHC1_TURNOVER_PER_H]
    decay_mhc1 = np.exp(-k_mhc1 * dt_h)
    decay_repair = np.exp(-k_repair * dt_h)
    for r in range(high_water_mark(c)):
        if not c.alive[r]:
            continue
        ratio = max(c.oxygen[r], 0.0) / params[HIF_HALF]
        hypoxia = 1.0 / (1.0 + ratio * ratio * ratio)
        s = max(c.sasp[r], 0.0)
        drive = (params[P.PDL1_BASAL] + params[P.PDL1_HYPOXIA] * hypoxia
                 + params[P.PDL1_SASP] * s / (1.0 + s))
        c.pdl1[r] = _relax(c.pdl1[r], drive * k_pdl1, k_pdl1, decay_pdl1)
        presented = 1.0
        if c.phase[r] == DORMANT:
            presented = params[P.MHC1_DORMANT]
        elif c.phase[r] == SENESCENT:
            presented = params[P.MHC1_SENESCENT]
        c.mhc1[r] = _relax(c.mhc1[r], presented * k_mhc1, k_mhc1, decay_mhc1)
        gain = params[P.STEMNESS_RATE_PER_H] * (max(c.sasp[r], 0.0) + max(c.sasp_metabolic[r], 0.0))
        rate = gain + k_stem
        c.stemness[r] = _relax(c.stemness[r], gain, rate, np.exp(-rate * dt_h))
        damage = damage_per_h if c.phase[r] == PROLIFERATING else 0.0
        c.dna_damage[r] = _relax(c.dna_damage[r], damage, k_repair, decay_repair)
        tgfb = max(c.tgfb[r], 0.0)
        gain = (params[P.EMT_RATE_PER_H] * hypoxia
                + params[P.EMT_TGFB_RATE_PER_H] * tgfb / (params[P.EMT_TGFB_K] + tgfb))
        rate = gain + params[P.EMT_REVERSAL_PER_H]
        c.emt[r] = _relax(c.emt[r], gain, rate, np.exp(-rate * dt_h))
        gain = params[P.NR2F1_RATE_PER_H] * hypoxia
        rate = gain + params[P.NR2F1_DECAY_PER_H]
        c.nr2f1[r] = _relax(c.nr2f1[r], gain, rate, np.exp(-rate * dt_h))
        if c.oxygen[r] < params[P.HYPOXIC_MMHG]:
            c.hypoxic_h[r] += dt_h


@jit
def drug_deaths(cells, in_cycle, chemo_kill_per_h, chemo_tolerance, senolytic_kill_per_h, seed,
                step, dt_h, out):
    """Rows of ``cells`` (``CellTable.Arrays``) killed this step by chemotherapy (cells with
    ``in_cycle[r]``, i.e. in S/G2/M, hazard ``chemo_kill_per_h``·(1 − ``chemo_tolerance``·
    stemness)) or a senolytic (senescent cells, hazard ``senolytic_kill_per_h``), ascending,
    into ``out``; returns how many. Draws are counter-based on (seed, step, cell id)."""
    n = 0
    if chemo_kill_per_h <= 0.0 and senolytic_kill_per_h <= 0.0:
        return 0
    for r in range(high_water_mark(cells)):
        if not cells.alive[r]:
            continue
        if in_cycle[r] and chemo_kill_per_h > 0.0:
            hazard = chemo_kill_per_h * (1.0 - chemo_tolerance * cells.stemness[r])
            stream = STREAM_CHEMO_KILL
        elif cells.phase[r] == SENESCENT and senolytic_kill_per_h > 0.0:
            hazard = senolytic_kill_per_h
            stream = STREAM_SENOLYTIC_KILL
        else:
            continue
        if uniform(seed, step, cells.id[r], stream) < 1.0 - np.exp(-hazard * dt_h):
            out[n] = r
            n += 1
    return n
