"""The immune cells' per-step rules as serial numba kernels over :class:`ImmuneTable` rows:
:func:`recruit`, :func:`move`, :func:`age_and_exit` (killing: :mod:`abm.immune.killing`).

Lattice walk (documented for :func:`move`)
------------------------------------------
Headings are the 8 Moore directions ``MOORE_X``/``MOORE_Y`` of :mod:`abm.core.lattice`
(even index: orthogonal, odd: diagonal). A diagonal move is √2 sites long; the treatment chosen is that every direction's
turning weight carries the factor 1/length (a diagonal move takes √2 longer to complete, so
it is chosen 1/√2 as often per move), and the move clock is normalised so that the mean
*path* speed of an unbiased walker is exactly ``speed``:

- unbiased heading distribution: orthogonal 4/(4 + 2√2) ≈ 0.586 in total, diagonal ≈ 0.414;
  mean step length ``MEAN_STEP_SITES`` = 4/(2 + √2) ≈ 1.172 sites; mean squared step
  ⟨s²⟩ = √2 sites²;
- time per move τ = MEAN_STEP_SITES·dx/speed; moves per step n = floor(dt/τ) plus one more
  with probability frac(dt/τ);
- before each move the heading is kept with probability q = exp(−τ/persistence), else a new
  heading is drawn (possibly the same one) with weights
  exp(χ·(C_nb − C_here)/(C_nb + C_here + ε)) / length; a neighbour outside the grid counts
  as C_nb = C_here;
- a move onto a vessel, onto a site with another immune cell or off the grid fails (the cell
  stays, keeping its new heading).

Successive steps of a free walker are then correlated as ⟨s_i·s_(i+k)⟩ = qᵏ⟨s²⟩, so without
chemotaxis and obstacles the effective diffusion coefficient is

    D_eff = ⟨s²⟩·dx² / (4τ) · (1 + q)/(1 − q) = (1 + √2)/8 · speed · dx · (1 + q)/(1 − q)

(µm²/min), and after N moves the mean squared displacement is
⟨s²⟩·dx²·[N(1 + q)/(1 − q) − 2q(1 − q^N)/(1 − q)²]. With the defaults (speed 1 µm/min,
persistence 10 min, dx 16.8 µm) τ ≈ 19.7 min, q ≈ 0.14 and D_eff ≈ 6.7 µm²/min; the continuum
persistent walk would give speed²·persistence/2 = 5 µm²/min — the lattice cannot resolve
persistence times shorter than τ.
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.core.lattice import MOORE_X, MOORE_Y
from abm.core.rowtable import _COUNTER_NFREE, high_water_mark, new_row
from abm.immune.killing import FUNCTIONAL, draw_capacity, function_left
from abm.immune.sections import ImmuneParam as P
from abm.core.rng import (STREAM_IMMUNE_CAPACITY, STREAM_IMMUNE_ENTRY_SITE, STREAM_IMMUNE_EXIT,
                          STREAM_IMMUNE_HEADING, STREAM_IMMUNE_MOVES, STREAM_IMMUNE_PERSIST,
                          STREAM_IMMUNE_RECRUIT, STREAM_IMMUNE_TURN, uniform)
_INV_LENGTH = np.array([1.0, 1.0 / np.sqrt(2.0)] * 4)
MEAN_STEP_SITES = 4.0 / (2.0 + np.sqrt(2.0))
"""Mean length (sites) of an unbiased move: the 1/length turning weights give orthogonal
moves 4/(4 + 2√2) of the time."""
MEAN_SQUARED_STEP_SITES2 = np.sqrt(2.0)
"""⟨s²⟩ (sites²) of an unbiased move."""
_EPS_CHEMOKINE = 1e-12
_SUBSTREAM = 1 << 32  # stream offset between sub-draws (kind or move index) of one purpose


def effective_diffusivity(speed_um_per_min: float, persistence_min: float,
                          dx_um: float) -> float:
    """D_eff (µm²/min) of a free walker without chemotaxis (module docstring)."""
    tau = MEAN_STEP_SITES * dx_um / speed_um_per_min
    q = np.exp(-tau / persistence_min) if persistence_min > 0 else 0.0
    return MEAN_SQUARED_STEP_SITES2 * dx_um ** 2 / (4.0 * tau) * (1.0 + q) / (1.0 - q)


@jit
def substream(stream, index):
    """Stream of the ``index``-th sub-draw of one purpose (independent of every other)."""
    return stream + index * _SUBSTREAM


@jit
def _turn_weight(x, y, d, chemokine, chi):
    """Turning weight of direction ``d`` at site ``(x, y)``: exp(χ·relative difference)/length."""
    ny, nx = chemokine.shape
    xx, yy = x + MOORE_X[d], y + MOORE_Y[d]
    bias = 0.0
    if chi != 0.0 and 0 <= xx < nx and 0 <= yy < ny:
        here = max(chemokine[y, x], 0.0)  # a solver's tiny negative values carry no signal
        there = max(chemokine[yy, xx], 0.0)
        bias = chi * (there - here) / (here + there + _EPS_CHEMOKINE)
    return np.exp(bias) * _INV_LENGTH[d]


@jit
def choose_heading(x, y, chemokine, chi, u):
    """A heading drawn with the turning weights (``u`` uniform in [0, 1))."""
    total = 0.0
    for d in range(8):
        total += _turn_weight(x, y, d, chemokine, chi)
    threshold = u * total
    acc = 0.0
    for d in range(8):
        acc += _turn_weight(x, y, d, chemokine, chi)
        if threshold < acc:
            return d
    return 7  # rounding: u·total ≥ the accumulated sum


@jit
def site_free(x, y, occupancy, vessels):
    """Whether an immune cell may stand on ``(x, y)`` (in the grid, no immune cell, no vessel)."""
    ny, nx = occupancy.shape
    return 0 <= x < nx and 0 <= y < ny and occupancy[y, x] < 0 and not vessels[y, x]


@jit
def move_count(moves_per_step, u):
    """floor(m) moves plus one more with probability frac(m)."""
    n = int(np.floor(moves_per_step))
    if u < moves_per_step - n:
        n += 1
    return n


@jit
def move(seed, step, dt_min, dx_um, chemokine, params, immune, occupancy, vessels):
    """Persistent biased random walk of every free (not engaged) live cell, in row order
    (rules and D_eff in the module docstring).

    Args:
        chemokine: float64 ``[ny, nx]`` (chemokine units). params: ``[2, N_PARAMS]``.
        immune: ``ImmuneTable.Arrays``; ``x``, ``y``, ``heading`` updated.
        occupancy: int32 ``[ny, nx]`` immune row per site (-1 empty), updated.
        vessels: bool ``[ny, nx]``.
    """
    ids, xs, ys, heading = immune.id, immune.x, immune.y, immune.heading
    for r in range(high_water_mark(immune)):
        if not immune.alive[r] or immune.target[r] >= 0:
            continue
        k = immune.kind[r] - 1
        speed = params[k, P.SPEED_UM_PER_MIN]
        if speed <= 0.0:
            continue
        tau = MEAN_STEP_SITES * dx_um / speed
        persistence = params[k, P.PERSISTENCE_MIN]
        keep = np.exp(-tau / persistence) if persistence > 0.0 else 0.0
        chi = params[k, P.CHEMOTAXIS] * function_left(params, k, immune.dysfunction[r])
        walk_row(seed, step, r, ids[r], 0, dt_min / tau, keep, chi, chemokine, xs, ys,
                 heading, occupancy, vessels)


@jit
def walk_row(seed, step, r, cell_id, stream_offset, moves_per_step, keep, chi, chemokine, xs,
             ys, heading, occupancy, vessels):
    """One step of the lattice walk (module docstring) of the walker in row ``r`` (id
    ``cell_id``; its draws use the immune walk's streams + ``stream_offset``, so that agents
    of another table, whose ids overlap, draw independently): ``moves_per_step`` = dt/τ moves
    on average, each keeping the heading with probability ``keep`` = exp(−τ/persistence),
    else turning with bias ``chi`` up ``chemokine``; ``xs``, ``ys``, ``heading`` and ``occupancy`` (walker row per site) are
    updated. Shared by every walking agent (immune cells, neutrophils)."""
    n_moves = move_count(moves_per_step,
                         uniform(seed, step, cell_id, STREAM_IMMUNE_MOVES + stream_offset))
    for j in range(n_moves):
        if uniform(seed, step, cell_id,
                   substream(STREAM_IMMUNE_PERSIST + stream_offset, j)) >= keep:
            u = uniform(seed, step, cell_id, substream(STREAM_IMMUNE_TURN + stream_offset, j))
            heading[r] = choose_heading(xs[r], ys[r], chemokine, chi, u)
        x_new = xs[r] + MOORE_X[heading[r]]
        y_new = ys[r] + MOORE_Y[heading[r]]
        if site_free(x_new, y_new, occupancy, vessels):
            occupancy[ys[r], xs[r]] = -1
            occupancy[y_new, x_new] = r
            xs[r] = x_new
            ys[r] = y_new


# ---------------------------------------------------------------------------- recruitment
@jit
def perivascular_chemokine(x, y, chemokine, vessels):
    """Mean chemokine over the in-grid non-vessel Moore neighbours of vessel site ``(x, y)``
    (0 if none): what the endothelium sees. Vessels drain the chemokine (0 on the vessel
    site itself, [chemokine]), so the vessel's own value would never recruit."""
    ny, nx = chemokine.shape
    total = 0.0
    n = 0
    for d in range(8):
        xx, yy = x + MOORE_X[d], y + MOORE_Y[d]
        if 0 <= xx < nx and 0 <= yy < ny and not vessels[yy, xx]:
            total += max(chemokine[yy, xx], 0.0)
            n += 1
    return total / n if n > 0 else 0.0


@jit
def entry_site(x, y, occupancy, vessels, u):
    """A free Moore neighbour of ``(x, y)`` picked uniformly with ``u``; (-1, -1) if none."""
    n_free = 0
    for d in range(8):
        if site_free(x + MOORE_X[d], y + MOORE_Y[d], occupancy, vessels):
            n_free += 1
    if n_free == 0:
        return -1, -1
    pick = int(u * n_free)
    for d in range(8):
        xx, yy = x + MOORE_X[d], y + MOORE_Y[d]
        if site_free(xx, yy, occupancy, vessels):
            if pick == 0:
                return xx, yy
            pick -= 1
    return -1, -1


@jit
def recruit(seed, step, dt_min, time_min, vessel_x, vessel_y, chemokine, params, immune,
            occupancy, vessels, rows_out):
    """Entry of new immune cells next to vessels.

    For each vessel site (in the given order) and each kind (CD8 then NK), one cell enters
    with probability 1 − exp(−P.RECRUIT_PER_MIN·C/(P.RECRUIT_K + C)·dt), C =
    :func:`perivascular_chemokine`; it is placed on a free Moore neighbour of the vessel
    picked at random (no entry if none is free) with a random heading. Draws are keyed by
    the vessel's flat site index ``y·nx + x``. The caller has made room for
    ``len(rows_out)`` new rows; no more cells enter.

    Args:
        time_min: entry time (min), written to ``birth_min``. vessel_x/_y: int64 sites.
        chemokine: float64 ``[ny, nx]``. immune: ``ImmuneTable.Arrays`` (updated).
        occupancy: int32 ``[ny, nx]`` immune row per site (updated). rows_out: int64,
            filled with the new rows.

    Returns:
        The number of new cells (``rows_out[:n]``).
    """
    nx = chemokine.shape[1]
    n_max = rows_out.shape[0]
    n_new = 0
    for i in range(vessel_x.shape[0]):
        vx, vy = vessel_x[i], vessel_y[i]
        c = perivascular_chemokine(vx, vy, chemokine, vessels)
        key = vy * nx + vx
        for k in range(2):
            if n_new >= n_max or c <= 0.0:
                continue
            rate = params[k, P.RECRUIT_PER_MIN] * c / (params[k, P.RECRUIT_K] + c)
            if uniform(seed, step, key, substream(STREAM_IMMUNE_RECRUIT, k)) >= 1.0 - np.exp(-rate * dt_min):
                continue
            u = uniform(seed, step, key, substream(STREAM_IMMUNE_ENTRY_SITE, k))
            x, y = entry_site(vx, vy, occupancy, vessels, u)
            if x < 0:
                continue
            r = new_row(immune)
            immune.kind[r] = k + 1
            immune.x[r] = x
            immune.y[r] = y
            immune.heading[r] = choose_heading(
                x, y, chemokine, 0.0, uniform(seed, step, immune.id[r], STREAM_IMMUNE_HEADING))
            _start(immune, r, time_min, draw_capacity(
                params, k, uniform(seed, step, immune.id[r], STREAM_IMMUNE_CAPACITY)))
            occupancy[y, x] = r
            rows_out[n_new] = r
            n_new += 1
    return n_new


@jit
def _start(immune, r, time_min, capacity):
    """Reset the state of new row ``r``: free, no kills or hits, functional, entered at
    ``time_min`` with ``capacity`` kills."""
    immune.target[r] = -1
    immune.target_id[r] = -1
    immune.engaged_min[r] = 0.0
    immune.kills[r] = 0
    immune.hits[r] = 0
    immune.kill_capacity[r] = capacity
    immune.dysfunction[r] = FUNCTIONAL
    immune.age_min[r] = 0.0
    immune.birth_min[r] = time_min
    immune.pd1_min[r] = 0.0
    immune.antigen_min[r] = 0.0


@jit
def start_rows(seed, params, immune, rows, time_min):
    """Start the cells of ``rows`` placed by hand (kinds and sites set) at ``time_min``, as
    :func:`recruit` starts the cells it brings in, with an unbiased heading: draws keyed by
    their ids at step 0."""
    no_chemokine = np.zeros((1, 1))
    for r in rows:
        immune.heading[r] = choose_heading(
            0, 0, no_chemokine, 0.0, uniform(seed, 0, immune.id[r], STREAM_IMMUNE_HEADING))
        _start(immune, r, time_min, draw_capacity(
            params, immune.kind[r] - 1, uniform(seed, 0, immune.id[r], STREAM_IMMUNE_CAPACITY)))


# ---------------------------------------------------------------------------- exit
@jit
def age_and_exit(seed, step, dt_min, params, immune, occupancy, rows_out):
    """Ageing and exit (death or emigration) of every live cell of ``immune``
    (``ImmuneTable.Arrays``, updated), in row order.

    age += dt; the cell leaves with probability 1 − exp(−dt/P.LIFETIME_MIN) (exponential
    residence time of mean P.LIFETIME_MIN). Leaving cells release their site in
    ``occupancy`` and their row (pushed on the free list in row order, as
    ``RowTable.release``).

    Returns:
        The number of exited rows (``rows_out[:n]``, ascending).
    """
    counters = immune.counters
    n_out = 0
    for r in range(high_water_mark(immune)):
        if not immune.alive[r]:
            continue
        immune.age_min[r] += dt_min
        p_exit = 1.0 - np.exp(-dt_min / params[immune.kind[r] - 1, P.LIFETIME_MIN])
        if uniform(seed, step, immune.id[r], STREAM_IMMUNE_EXIT) >= p_exit:
            continue
        immune.alive[r] = False
        occupancy[immune.y[r], immune.x[r]] = -1
        immune.target[r] = -1
        immune.target_id[r] = -1
        immune.free[counters[_COUNTER_NFREE]] = r
        counters[_COUNTER_NFREE] += 1
        rows_out[n_out] = r
        n_out += 1
    return n_out
