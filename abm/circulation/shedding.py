"""Shedding: tumour cells next to vessels intravasate as single CTCs or as clusters.

A viable, non-senescent tumour cell on a Moore neighbour of a vessel site (``perivascular``)
sheds during a step with probability 1 − exp(−h·dt), where

    h = rate × (F(t) if proliferating else quiescent_factor) × (1 + emt_gain·EMT)
          × (1 + hypoxia_gain·H)

F(t) is the circadian shedding factor of this step (:mod:`abm.circadian`, mean 1 over a
day) and H is 1 when the cell is hypoxic (O2 < ``oxygen.hypoxic_mmHg``: in practice next to a
poorly perfused vessel), else 0. A shed event is a cluster with probability
``cluster_probability``·(1 + ``cluster_hypoxia_gain``·H) (at most 1); its size is 2 + a
geometric number with mean ``cluster_extra_mean``·(1 + ``cluster_size_hypoxia_gain``·H), and
it takes that many cells with it: the shedding cell and then its eligible tumour neighbours,
breadth first over Moore neighbourhoods (clusters leave the tumour together; they are not
assembled in the blood: Aceto et al. 2014). A cluster can be smaller than drawn if fewer
neighbours are eligible. Hypoxia thus drives the intravasation of clusters, and hypoxic
clusters are larger (Donato et al. 2020 Cell Rep 32:108105).

Each unit carries to the blood its ``competence`` — the share of its cells that were
proliferating (rest-phase CTCs are the mitotic-gene-high ones that metastasise:
Diamantopoulou et al. 2022), which the model lowers when the unit leaves with melatonin low,
in the active phase (``active_competence_loss``) — and its ``anoikis_resistance``, the
members' mean EMT — and ``hypoxic``, the share of its members that were hypoxic when it left
(what a hypoxia marker on the CTCs would show).
Draws are counter-based on (seed, step, cell id), so the result does not depend on the
order of anything but the rows (which a resumed run restores).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm._numba import jit
from abm.core.lattice import MOORE_X, MOORE_Y
from abm.core.rowtable import high_water_mark
from abm.tumor.cells import DORMANT, PROLIFERATING, QUIESCENT
from abm.circulation.sections import SHEDDING_PARAMS
from abm.circulation.sections import SheddingParam as S
from abm.core.rng import STREAM_SHED, STREAM_SHED_CLUSTER, STREAM_SHED_SIZE, uniform



def shedding_params(config) -> np.ndarray:
    """Kernel parameter vector from a config's ``[shedding]`` (and ``oxygen.hypoxic_mmHg``),
    indexed by :data:`abm.circulation.sections.SheddingParam`."""
    return SHEDDING_PARAMS.values(config)


def perivascular_sites(vessels: np.ndarray) -> np.ndarray:
    """bool ``[ny, nx]``: non-vessel sites with a vessel among their 8 neighbours."""
    padded = np.pad(vessels, 1)
    near = np.zeros_like(vessels)
    ny, nx = vessels.shape
    for dx, dy in zip(MOORE_X, MOORE_Y):
        near |= padded[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx]
    return near & ~vessels


class ShedUnits(NamedTuple):
    """What :func:`shed` picked: unit ``i``'s cells are ``members[unit_start[i]:unit_start[i
    + 1]]`` (tumour rows, the shedding cell first), its competence ``competence[i]`` (0–1),
    anoikis resistance ``anoikis[i]`` (0–1) and hypoxic share ``hypoxic[i]`` (0–1)."""

    members: np.ndarray
    unit_start: np.ndarray
    competence: np.ndarray
    anoikis: np.ndarray
    hypoxic: np.ndarray

    @classmethod
    def empty(cls, n_cells: int) -> ShedUnits:
        """Room for every one of ``n_cells`` cells to leave, one unit each."""
        return cls(np.empty(n_cells, np.int64), np.empty(n_cells + 1, np.int64),
                   np.empty(n_cells), np.empty(n_cells), np.empty(n_cells))


@jit
def _eligible(r, alive, phase, taken):
    if r < 0 or not alive[r] or taken[r]:
        return False
    p = phase[r]
    return p == PROLIFERATING or p == QUIESCENT or p == DORMANT


@jit
def shed(seed, step, dt_h, clock_factor, params, cells, occupancy, perivascular, units):
    """Pick this step's shed units from ``cells`` (``CellTable.Arrays``) into ``units``
    (:class:`ShedUnits` with room for the table's high-water mark); returns their number.

    ``perivascular``: bool ``[ny, nx]`` (:func:`perivascular_sites`)."""
    hwm = high_water_mark(cells)
    alive, phase, xs, ys, emt = cells.alive, cells.phase, cells.x, cells.y, cells.emt
    members, unit_start = units.members, units.unit_start
    taken = np.zeros(hwm, np.uint8)  # cells already shed this step
    rate, quiescent, emt_gain = params[S.RATE_PER_H], params[S.QUIESCENT_FACTOR], params[S.EMT_GAIN]
    hypoxic_mmHg = params[S.HYPOXIC_MMHG]
    oxygen = cells.oxygen
    ny, nx = occupancy.shape
    n_units = 0
    n_members = 0
    unit_start[0] = 0
    for r in range(hwm):
        if not _eligible(r, alive, phase, taken) or not perivascular[ys[r], xs[r]]:
            continue
        factor = clock_factor if phase[r] == PROLIFERATING else quiescent
        hypoxic = 1.0 if oxygen[r] < hypoxic_mmHg else 0.0
        hazard = (rate * factor * (1.0 + emt_gain * emt[r])
                  * (1.0 + params[S.HYPOXIA_GAIN] * hypoxic))
        if uniform(seed, step, cells.id[r], STREAM_SHED) >= 1.0 - np.exp(-hazard * dt_h):
            continue
        p_cluster = params[S.CLUSTER_PROBABILITY] * (1.0 + params[S.CLUSTER_HYPOXIA_GAIN]
                                                     * hypoxic)
        extra_mean = params[S.CLUSTER_EXTRA_MEAN] * (1.0 + params[S.CLUSTER_SIZE_HYPOXIA_GAIN]
                                                     * hypoxic)
        q_geom = extra_mean / (1.0 + extra_mean)  # P(one more cell) of the geometric extra
        size = 1
        if uniform(seed, step, cells.id[r], STREAM_SHED_CLUSTER) < p_cluster:
            u = uniform(seed, step, cells.id[r], STREAM_SHED_SIZE)
            size = 2
            if q_geom > 0.0 and u > 0.0:
                size += int(np.floor(np.log(u) / np.log(q_geom))) if q_geom < 1.0 else 0
        first = n_members
        members[n_members] = r
        taken[r] = 1
        n_members += 1
        scan = first
        while n_members - first < size and scan < n_members:  # breadth first
            c = members[scan]
            for d in range(8):
                if n_members - first >= size:
                    break
                xx, yy = xs[c] + MOORE_X[d], ys[c] + MOORE_Y[d]
                if 0 <= xx < nx and 0 <= yy < ny:
                    nb = occupancy[yy, xx]
                    if _eligible(nb, alive, phase, taken):
                        members[n_members] = nb
                        taken[nb] = 1
                        n_members += 1
            scan += 1
        n_prolif = 0
        n_hypoxic = 0
        emt_sum = 0.0
        for j in range(first, n_members):
            n_prolif += phase[members[j]] == PROLIFERATING
            n_hypoxic += oxygen[members[j]] < hypoxic_mmHg
            emt_sum += emt[members[j]]
        units.competence[n_units] = n_prolif / (n_members - first)
        units.anoikis[n_units] = emt_sum / (n_members - first)
        units.hypoxic[n_units] = n_hypoxic / (n_members - first)
        n_units += 1
        unit_start[n_units] = n_members
    return n_units
