"""Platelet aggregates at vessel walls: serial numba kernels over :class:`PlateletTable`
rows, with counter-based draws keyed by the vessel's flat site or the aggregate's id.

Rules (E the antiplatelet effect, 0–1):

- adhesion (:func:`adhere`): a vessel site without an aggregate and with a viable tumour
  cell (not apoptotic or necrotic) on one of its 8 neighbours gains one with probability
  1 − exp(−k_a·(1 − E)·dt);
- detachment (:func:`detach`): an aggregate leaves with probability 1 − exp(−dt/lifetime);
- release (:func:`release_tgfb`): an aggregate releases TGF-β at rate q·(1 − E), shared
  equally among the in-grid non-vessel sites of its Moore neighbourhood;
- cloak (:func:`touching_units`): a unit shed with a member next to (Moore neighbour of) an
  aggregate's vessel site enters the blood partly cloaked.
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.core.lattice import MOORE_X, MOORE_Y
from abm.core.rng import STREAM_PLATELET_ADHERE, STREAM_PLATELET_DETACH, uniform
from abm.core.rowtable import free_row, high_water_mark, new_row
from abm.tumor.cells import APOPTOTIC, NECROTIC


@jit
def _tumour_next_to(x, y, tumour_occupancy, alive, phase):
    """Whether a viable tumour cell sits on a Moore neighbour of ``(x, y)``."""
    ny, nx = tumour_occupancy.shape
    for d in range(8):
        xx, yy = x + MOORE_X[d], y + MOORE_Y[d]
        if 0 <= xx < nx and 0 <= yy < ny:
            c = tumour_occupancy[yy, xx]
            if c >= 0 and alive[c] and phase[c] != NECROTIC and phase[c] != APOPTOTIC:
                return True
    return False


@jit
def adhere(seed, step, dt_min, time_min, rate_per_min, vessel_x, vessel_y, tumour_occupancy,
           alive, phase, table, occupancy, rows_out):
    """Adhesion of new aggregates (module docstring) at ``rate_per_min`` (already × (1 − E)),
    vessel sites in the given order; ``occupancy``: int32 ``[ny, nx]`` aggregate row per
    vessel site (-1 none), updated. The caller made room for ``len(rows_out)`` rows.
    Returns how many adhered (``rows_out[:n]``)."""
    if rate_per_min <= 0.0:
        return 0
    p = 1.0 - np.exp(-rate_per_min * dt_min)
    nx = occupancy.shape[1]
    n_new = 0
    for i in range(vessel_x.shape[0]):
        if n_new >= rows_out.shape[0]:
            break
        x, y = vessel_x[i], vessel_y[i]
        if occupancy[y, x] >= 0 or not _tumour_next_to(x, y, tumour_occupancy, alive, phase):
            continue
        if uniform(seed, step, y * nx + x, STREAM_PLATELET_ADHERE) >= p:
            continue
        r = new_row(table)
        table.x[r] = x
        table.y[r] = y
        table.birth_min[r] = time_min
        occupancy[y, x] = r
        rows_out[n_new] = r
        n_new += 1
    return n_new


@jit
def detach(seed, step, dt_min, lifetime_min, table, occupancy, rows_out):
    """Detachment (module docstring); freed rows go on the free list in row order. Returns
    how many left (``rows_out[:n]``)."""
    p = 1.0 - np.exp(-dt_min / lifetime_min)
    n_out = 0
    for r in range(high_water_mark(table)):
        if not table.alive[r] or uniform(seed, step, table.id[r], STREAM_PLATELET_DETACH) >= p:
            continue
        free_row(table, r, occupancy)
        rows_out[n_out] = r
        n_out += 1
    return n_out


@jit
def release_tgfb(rate_per_min, table, vessels, source):
    """Write the aggregates' TGF-β release (units/min) into ``source`` (float64 ``[ny, nx]``,
    zeroed first): ``rate_per_min`` (already × (1 − E)) per aggregate, split equally among
    the in-grid non-vessel sites of its Moore neighbourhood."""
    source[:] = 0.0
    ny, nx = source.shape
    for r in range(high_water_mark(table)):
        if not table.alive[r]:
            continue
        n = 0
        for d in range(8):
            xx, yy = table.x[r] + MOORE_X[d], table.y[r] + MOORE_Y[d]
            if 0 <= xx < nx and 0 <= yy < ny and not vessels[yy, xx]:
                n += 1
        if n == 0:
            continue
        share = rate_per_min / n
        for d in range(8):
            xx, yy = table.x[r] + MOORE_X[d], table.y[r] + MOORE_Y[d]
            if 0 <= xx < nx and 0 <= yy < ny and not vessels[yy, xx]:
                source[yy, xx] += share


@jit
def touching_units(members, unit_start, n_units, cell_x, cell_y, occupancy, out):
    """``out[i]`` = 1 if a member of shed unit ``i`` (tumour rows
    ``members[unit_start[i]:unit_start[i + 1]]`` at ``cell_x``, ``cell_y``) has an aggregate
    on a Moore neighbour, else 0."""
    ny, nx = occupancy.shape
    for i in range(n_units):
        out[i] = 0
        for j in range(unit_start[i], unit_start[i + 1]):
            for d in range(8):
                xx, yy = cell_x[members[j]] + MOORE_X[d], cell_y[members[j]] + MOORE_Y[d]
                if 0 <= xx < nx and 0 <= yy < ny and occupancy[yy, xx] >= 0:
                    out[i] = 1
