"""Kernels that change who sits where: division placement, removal, and cell↔field coupling.

Division is serial by necessity (two mothers may want the same free site); mothers are
processed in an order drawn from the counter-based rng, so no direction or row range is
favoured and the outcome does not depend on row layout or thread count.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm._numba import jit
from abm.core.rowtable import new_row
from abm.tumor.cells import NECROTIC
from abm.core.rng import STREAM_DIVISION_ORDER, STREAM_DIVISION_SITE, uniform, uniform_array


def division_order(rows: np.ndarray, ids: np.ndarray, seed: int, step: int) -> np.ndarray:
    """The dividing rows in a random order keyed by (seed, step, cell id)."""
    keys = uniform_array(seed, step, ids[rows], STREAM_DIVISION_ORDER)
    return rows[np.argsort(keys, kind="stable")]


class Shells(NamedTuple):
    """Site offsets of the placement disc (:func:`placement_shells`), int64 arrays."""

    off_x: np.ndarray
    off_y: np.ndarray
    shell_start: np.ndarray


def placement_shells(radius: float) -> Shells:
    """Site offsets within Euclidean ``radius`` (sites), grouped by distance.

    Returns :class:`Shells`: offsets sorted by squared distance, and the index where each
    shell of equal distance starts (plus the end). Nearest-first placement over Euclidean
    shells keeps growth isotropic; Chebyshev rings would grow a square tumour.
    """
    r = int(np.floor(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    d2 = (dx * dx + dy * dy).ravel()
    keep = (d2 > 0) & (d2 <= radius * radius)
    d2, dx, dy = d2[keep], dx.ravel()[keep], dy.ravel()[keep]
    order = np.lexsort((dx, dy, d2))
    d2, dx, dy = d2[order], dx[order], dy[order]
    shell_start = np.concatenate([[0], np.flatnonzero(np.diff(d2)) + 1, [len(d2)]])
    return Shells(dx.astype(np.int64), dy.astype(np.int64), shell_start.astype(np.int64))


@jit
def place_daughters(cells, mothers, occupancy, vessels, shells, seed, step, time_min,
                    daughters_out, blocked_out):
    """Place one daughter per mother on the nearest free site (see :func:`placement_shells`).

    Ties within the nearest shell that has a free site are broken uniformly at random. The
    daughter row starts as a copy of the mother's (the phenotype program resets both
    afterwards); it reuses a free row if any, else the high-water mark grows (the caller has
    ensured capacity).

    Args:
        cells: ``CellTable.Arrays``, updated. mothers: rows in processing order.
        occupancy: int32 [ny, nx] row per site (-1 empty), updated. vessels: bool [ny, nx],
            never occupied. shells: :class:`Shells`. time_min: the daughters' birth time.
        daughters_out: int64 [len(mothers)], filled with the daughter row of each placed
            mother, in the order placed. blocked_out: int64, filled with mothers that found
            no site.

    Returns:
        (number placed, number blocked); ``daughters_out[:placed]`` pairs with the placed
        mothers, which are ``mothers`` minus the blocked ones, in order.
    """
    ny, nx = occupancy.shape
    off_x, off_y, shell_start = shells
    xs, ys, state = cells.x, cells.y, cells.state
    max_shell = 0  # loops, not np.max(np.diff(…)): those cost seconds of first compile
    for k in range(shell_start.shape[0] - 1):
        max_shell = max(max_shell, shell_start[k + 1] - shell_start[k])
    cand_y = np.empty(max_shell, dtype=np.int64)
    cand_x = np.empty(max_shell, dtype=np.int64)
    n_placed = 0
    n_blocked = 0
    for m in mothers:
        mx, my = xs[m], ys[m]
        n_cand = 0
        for shell in range(shell_start.shape[0] - 1):
            for k in range(shell_start[shell], shell_start[shell + 1]):
                y = my + off_y[k]
                x = mx + off_x[k]
                if 0 <= y < ny and 0 <= x < nx and occupancy[y, x] < 0 and not vessels[y, x]:
                    cand_y[n_cand] = y
                    cand_x[n_cand] = x
                    n_cand += 1
            if n_cand > 0:
                break
        if n_cand == 0:
            blocked_out[n_blocked] = m
            n_blocked += 1
            continue
        pick = int(uniform(seed, step, cells.id[m], STREAM_DIVISION_SITE) * n_cand)
        d = new_row(cells)
        cells.parent_id[d] = cells.id[m]
        xs[d] = cand_x[pick]
        ys[d] = cand_y[pick]
        cells.kind[d] = cells.kind[m]
        cells.phase[d] = cells.phase[m]
        cells.birth_min[d] = time_min
        cells.oxygen[d] = cells.oxygen[m]
        for j in range(state.shape[1]):  # a slice copy would compile its shape-error path
            state[d, j] = state[m, j]
        occupancy[cand_y[pick], cand_x[pick]] = d
        daughters_out[n_placed] = d
        n_placed += 1
    return n_placed, n_blocked


@jit
def has_free_site(x, y, occupancy, vessels, off_x, off_y):
    """Whether any site within the placement disc of site ``(x, y)`` is free (not a vessel)."""
    ny, nx = occupancy.shape
    for k in range(off_x.shape[0]):
        yy = y + off_y[k]
        xx = x + off_x[k]
        if 0 <= yy < ny and 0 <= xx < nx and occupancy[yy, xx] < 0 and not vessels[yy, xx]:
            return True
    return False


def remove_cells(table, occupancy: np.ndarray, rows: np.ndarray) -> None:
    """Free the sites and then the rows of ``rows`` (in order, so row reuse is deterministic)."""
    rows = np.asarray(rows, dtype=np.int64)
    occupancy[table.y[rows], table.x[rows]] = -1
    table.release(rows)


@jit
def scatter_by_phase(hwm, alive, phase, xs, ys, site_rate, out):
    """Rate map of the live cells: ``out[y, x] += site_rate[phase]`` per cell (``out`` is
    zeroed first). Used for uptake (min⁻¹) and secretion (concentration/min).

    Accumulating into a separate array makes the coupling independent of visiting order
    (HAL's delta buffer). ``site_rate`` [n_phases] is 0 for phases that do not take part
    (necrotic debris takes up nothing; only senescent cells secrete SASP).
    """
    out[:, :] = 0.0
    for r in range(hwm):
        if alive[r]:
            out[ys[r], xs[r]] += site_rate[phase[r]]


@jit
def scatter_by_phase_and_route(hwm, alive, phase, route, xs, ys, site_rate, out):
    """Like :func:`scatter_by_phase` with ``site_rate`` [n_phases, n_routes] indexed by each
    cell's phase and senescence route (secretion that depends on how a cell senesced)."""
    out[:, :] = 0.0
    for r in range(hwm):
        if alive[r]:
            out[ys[r], xs[r]] += site_rate[phase[r], route[r]]


@jit
def gather(hwm, alive, xs, ys, field, out):
    """``out[r] = field[y_r, x_r]`` for live rows (local concentration at each cell)."""
    for r in range(hwm):
        if alive[r]:
            out[r] = field[ys[r], xs[r]]


@jit
def count_by_phase(hwm, alive, phase, oxygen, hypoxic_mmHg, n_phases, counts):
    """``counts[:n_phases]`` = live cells per phase; ``counts[n_phases]`` = viable hypoxic cells."""
    counts[:] = 0
    for r in range(hwm):
        if alive[r]:
            counts[phase[r]] += 1
            if phase[r] != NECROTIC and oxygen[r] < hypoxic_mmHg:
                counts[n_phases] += 1
