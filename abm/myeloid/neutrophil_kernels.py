"""The neutrophils' per-step rules as serial numba kernels over :class:`NeutrophilTable`
rows, in row order, with counter-based draws (seed, step, id or vessel site, stream), so a
run does not depend on thread count and a resumed run equals an uninterrupted one.

Rules (rates in min⁻¹; C the chemokine next to a vessel site, :func:`abm.immune.kernels.
perivascular_chemokine`; I the inflammation pulse, 0–1; D the depletion, 0–1):

- entry (:func:`recruit`): at each vessel site one neutrophil enters per step with
  probability 1 − exp(−k·(C/(K + C) + g·I)·(1 − D)·dt), on a free Moore neighbour of the
  vessel (none free: no entry), with a random heading;
- walk (:func:`walk`): the persistent biased lattice walk of the immune cells
  (:func:`abm.immune.kernels.walk_row`) up the chemokine, at ``speed`` with ``persistence``
  and bias χ; a neutrophil that has cast a NET does not move;
- fate (:func:`fates`): a walking neutrophil dies (apoptosis, hazard h_d = 1/lifetime) or
  casts a NET (hazard h_N = k_N·S/(K_N + S)·(1 − E_NE), S = local SASP + I, E_NE the
  elastase inhibitor's effect) — competing risks, so a step ends in an event with
  probability 1 − exp(−(h_d + h_N)·dt), a NET with the share h_N/(h_d + h_N) of it; a NET is
  cleared (its row freed) with hazard 1/NET lifetime + the DNase digestion hazard;
- escort (:func:`escort`): when tumour cells shed, each walking neutrophil on a member's
  site or one of its 8 neighbours goes with the unit with probability p (independently),
  so a unit touched by m neutrophils takes Binomial(m, p) escorts (at most the blood's
  ``max_escorts``).
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.core.lattice import MOORE_X, MOORE_Y
from abm.core.rng import (STREAM_NEUTROPHIL_ENTRY_SITE, STREAM_NEUTROPHIL_ESCORT,
                          STREAM_NEUTROPHIL_FATE, STREAM_NEUTROPHIL_HEADING,
                          STREAM_NEUTROPHIL_RECRUIT, STREAM_NEUTROPHIL_WALK,
                          STREAM_NEUTROPHIL_WHICH, uniform)
from abm.core.rowtable import free_row, high_water_mark, new_row
from abm.immune.kernels import (MEAN_STEP_SITES, choose_heading, entry_site,
                                perivascular_chemokine, walk_row)


@jit
def entry_rate(k_per_min, recruit_k, chemokine_here, inflammation_gain, inflammation,
               depletion):
    """Entry rate (min⁻¹) at a vessel site: k·(C/(K + C) + g·I)·(1 − D)."""
    c = max(chemokine_here, 0.0)
    return k_per_min * (c / (recruit_k + c) + inflammation_gain * inflammation) * (1.0 - depletion)


@jit
def recruit(seed, step, dt_min, time_min, vessel_x, vessel_y, chemokine, k_per_min, recruit_k,
            inflammation_gain, inflammation, depletion, table, occupancy, vessels, rows_out):
    """Entry of new neutrophils next to vessels (module docstring), vessel sites in the given
    order, draws keyed by the vessel's flat site ``y·nx + x``; ``time_min`` is written to
    ``birth_min``. The caller made room for ``len(rows_out)`` rows. Returns how many entered
    (``rows_out[:n]``)."""
    nx = chemokine.shape[1]
    n_new = 0
    for i in range(vessel_x.shape[0]):
        if n_new >= rows_out.shape[0]:
            break
        vx, vy = vessel_x[i], vessel_y[i]
        rate = entry_rate(k_per_min, recruit_k, perivascular_chemokine(vx, vy, chemokine, vessels),
                          inflammation_gain, inflammation, depletion)
        key = vy * nx + vx
        p = 1.0 - np.exp(-rate * dt_min)
        if rate <= 0.0 or uniform(seed, step, key, STREAM_NEUTROPHIL_RECRUIT) >= p:
            continue
        x, y = entry_site(vx, vy, occupancy, vessels,
                          uniform(seed, step, key, STREAM_NEUTROPHIL_ENTRY_SITE))
        if x < 0:
            continue
        r = new_row(table)
        start(table, r, x, y, time_min,
              choose_heading(x, y, chemokine, 0.0,
                             uniform(seed, step, table.id[r], STREAM_NEUTROPHIL_HEADING)))
        occupancy[y, x] = r
        rows_out[n_new] = r
        n_new += 1
    return n_new


@jit
def start(table, r, x, y, time_min, heading):
    """Set new row ``r``: at ``(x, y)`` with ``heading``, walking, entered at ``time_min``."""
    table.x[r] = x
    table.y[r] = y
    table.heading[r] = heading
    table.net[r] = 0
    table.age_min[r] = 0.0
    table.birth_min[r] = time_min
    table.net_min[r] = np.nan


@jit
def walk(seed, step, dt_min, dx_um, chemokine, speed_um_per_min, persistence_min, chi, table,
         occupancy, vessels):
    """The walk of every live neutrophil without a NET (module docstring)."""
    if speed_um_per_min <= 0.0:
        return
    tau = MEAN_STEP_SITES * dx_um / speed_um_per_min
    keep = np.exp(-tau / persistence_min) if persistence_min > 0.0 else 0.0
    for r in range(high_water_mark(table)):
        if table.alive[r] and table.net[r] == 0:
            walk_row(seed, step, r, table.id[r], STREAM_NEUTROPHIL_WALK, dt_min / tau, keep, chi,
                     chemokine, table.x, table.y, table.heading, occupancy, vessels)


@jit
def net_hazard(net_per_min, net_k, signal, inhibition):
    """NET-formation hazard (min⁻¹) at inflammation signal S: k_N·S/(K_N + S)·(1 − E)."""
    s = max(signal, 0.0)
    return net_per_min * s / (net_k + s) * (1.0 - inhibition)


@jit
def fates(seed, step, dt_min, t_end, death_per_min, net_per_min, net_k, inhibition,
          clearance_per_min, sasp, inflammation, table, occupancy, rows_out):
    """Age every live neutrophil by ``dt_min``; walking ones die or cast a NET, NETs are
    cleared (module docstring). ``sasp``: float64 ``[ny, nx]`` (network units; zeros without
    the field). Freed rows go on the free list in row order; their sites are released.

    Returns:
        ``(n_freed, n_new_nets)``: rows freed (dead or cleared) in ``rows_out[:n_freed]``.
    """
    n_out = 0
    n_nets = 0
    for r in range(high_water_mark(table)):
        if not table.alive[r]:
            continue
        table.age_min[r] += dt_min
        u = uniform(seed, step, table.id[r], STREAM_NEUTROPHIL_FATE)
        if table.net[r] == 1:
            leave = u < 1.0 - np.exp(-clearance_per_min * dt_min)
        else:
            h_net = net_hazard(net_per_min, net_k, sasp[table.y[r], table.x[r]] + inflammation,
                               inhibition)
            total = death_per_min + h_net
            leave = False
            if u < 1.0 - np.exp(-total * dt_min):
                if uniform(seed, step, table.id[r], STREAM_NEUTROPHIL_WHICH) * total < h_net:
                    table.net[r] = 1
                    table.net_min[r] = t_end
                    n_nets += 1
                else:
                    leave = True
        if leave:
            free_row(table, r, occupancy)
            rows_out[n_out] = r
            n_out += 1
    return n_out, n_nets


@jit
def escort(seed, step, probability, max_escorts, members, unit_start, n_units, cell_x, cell_y,
           table, occupancy, escorts_out, rows_out):
    """Neutrophils that go with this step's shed units (module docstring): unit ``i``'s
    tumour rows are ``members[unit_start[i]:unit_start[i + 1]]`` (their sites in ``cell_x``,
    ``cell_y``, read before they leave). A neutrophil goes with the first unit it touches
    (its draw is made once), until the unit has ``max_escorts``; escorting neutrophils
    leave the tissue (rows freed, sites released). Writes the escorts per unit into
    ``escorts_out[:n_units]``; returns the number of freed rows (``rows_out[:n]``)."""
    ny, nx = occupancy.shape
    n_out = 0
    for i in range(n_units):
        escorts_out[i] = 0
        for j in range(unit_start[i], unit_start[i + 1]):
            x0, y0 = cell_x[members[j]], cell_y[members[j]]
            for d in range(9):  # its own site, then the 8 neighbours
                x = x0 if d == 8 else x0 + MOORE_X[d]
                y = y0 if d == 8 else y0 + MOORE_Y[d]
                if not (0 <= x < nx and 0 <= y < ny):
                    continue
                r = occupancy[y, x]
                if r < 0 or table.net[r] == 1 or escorts_out[i] >= max_escorts:
                    continue
                if uniform(seed, step, table.id[r], STREAM_NEUTROPHIL_ESCORT) >= probability:
                    continue
                escorts_out[i] += 1
                free_row(table, r, occupancy)
                rows_out[n_out] = r
                n_out += 1
    return n_out
