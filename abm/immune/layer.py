"""Immune cells (CD8 T cells and NK cells): recruitment from vessels, a persistent biased
random walk on the lattice, contact killing of tumour cells, and exit.

The immune cells are a second layer over the tumour lattice: at most one immune cell per
site (``ImmuneLayer.occupancy``), never on a vessel, but an immune cell may sit on a site
that also holds a tumour cell (lymphocytes squeeze between tumour cells). Their state is a
structure-of-arrays (:class:`ImmuneTable`, stable rows + free list like the tumour table);
every per-cell rule is a serial numba kernel that visits rows in row order, so the outcome is
deterministic, and every random decision is a counter-based draw keyed by
(seed, step, immune cell id, stream) — or by the vessel's flat site index for recruitment —
so it does not depend on thread count or on how a sweep is spread over workers.

One step (:meth:`ImmuneLayer.step`): :func:`recruit` → :func:`move` →
:func:`engage_and_kill` → :func:`age_and_exit`.

Parameters are a float64 array ``params[kind_index, P.<NAME>]`` (kind_index 0 = CD8, 1 = NK,
i.e. the ``abm.cells.KINDS`` code − 1; ``P`` is :data:`abm.immune.sections.ImmuneParam`) and a
recognition table ``recognition[kind_index, phase]`` (phase codes of ``abm.cells.PHASES``).
Their defaults, units, ranges and sources are declared once, in the ``[immune] cd8``/``nk``
tables of :mod:`abm.immune.sections`; :func:`params_from_mapping` builds the arrays.

Lattice walk (documented for :func:`move`)
------------------------------------------
Headings are the 8 Moore directions ``DIR_X``/``DIR_Y`` (even index: orthogonal, odd:
diagonal). A diagonal move is √2 sites long; the treatment chosen is that every direction's
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

from dataclasses import dataclass, field

import numpy as np

from abm._numba import jit
from abm.core.rowtable import _COUNTER_NEXT_ID, _COUNTER_NFREE, RowTable, _claim_row
from abm.tumor.cells import APOPTOTIC, CD8, KINDS, NECROTIC, NK, PHASES
from abm.immune.sections import IMMUNE_TABLES
from abm.immune.sections import ImmuneParam as P
from abm.core.rng import (STREAM_IMMUNE_ATTACH, STREAM_IMMUNE_ENTRY_SITE, STREAM_IMMUNE_EXIT,
                          STREAM_IMMUNE_HEADING, STREAM_IMMUNE_KILL, STREAM_IMMUNE_MOVES,
                          STREAM_IMMUNE_PERSIST, STREAM_IMMUNE_RECRUIT, STREAM_IMMUNE_TARGET,
                          STREAM_IMMUNE_TURN, uniform)

# ---------------------------------------------------------------------------- parameters
N_PARAMS = len(P)
KIND_NAMES = tuple(IMMUNE_TABLES)
"""Kind of each parameter row: row ``i`` is ``abm.cells.KINDS[KIND_NAMES[i]] - 1``."""
_RECOGNITION_COLUMN = {code: IMMUNE_TABLES["cd8"].names.index(f"recognition_{phase}")
                       for phase, code in PHASES.items()}
"""Phase code → the column of its ``recognition_<phase>`` entry in a kind's table vector."""


def params_from_mapping(values: dict[str, dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``(params, recognition)`` from ``{kind: {name: value}}`` (kinds :data:`KIND_NAMES`,
    names those of the kind's table, :data:`abm.immune.sections.IMMUNE_TABLES`); missing
    names keep their defaults.

    Returns:
        ``params`` float64 ``[2, N_PARAMS]`` (row 0 CD8, row 1 NK, columns
        :data:`~abm.immune.sections.ImmuneParam`) and ``recognition`` float64
        ``[2, len(PHASES)]`` (columns: phase codes).

    Raises:
        ConfigError (a ValueError): naming every unknown ``immune.<kind>.<name>`` and value
            out of range.
    """
    vectors = np.array([IMMUNE_TABLES[kind].vector(values.get(kind, {})) for kind in KIND_NAMES])
    recognition = np.zeros((len(KIND_NAMES), len(PHASES)))
    for code, column in _RECOGNITION_COLUMN.items():
        recognition[:, code] = vectors[:, column]
    return vectors[:, :N_PARAMS].copy(), recognition


def default_params() -> tuple[np.ndarray, np.ndarray, dict]:
    """The default ``(params, recognition)`` (as :func:`params_from_mapping`) and their
    documentation :data:`PARAMETER_DOCS`."""
    return *params_from_mapping({}), PARAMETER_DOCS


def check_params(params: np.ndarray, recognition: np.ndarray) -> None:
    """Raise ValueError naming the offending ``immune.<kind>.<name>`` if the arrays have the
    wrong shape or a value outside its allowed range."""
    if params.shape != (2, N_PARAMS) or recognition.shape != (2, len(PHASES)):
        raise ValueError(f"immune params must have shape (2, {N_PARAMS}) and recognition "
                         f"(2, {len(PHASES)}); got {params.shape} and {recognition.shape}")
    for i, kind in enumerate(KIND_NAMES):
        vector = np.empty(len(IMMUNE_TABLES[kind].names))
        vector[:N_PARAMS] = params[i]
        for code, column in _RECOGNITION_COLUMN.items():
            vector[column] = recognition[i, code]
        IMMUNE_TABLES[kind].check_vector(vector)


# ---------------------------------------------------------------------------- the table
class ImmuneTable(RowTable):
    """The immune cells; row ``r`` is one cell while ``alive[r]``.

    Columns (length ``capacity``): ``alive`` bool; ``id`` int64 (own monotonic ids);
    ``kind`` int8 (``abm.cells.CD8`` = 1 or ``NK`` = 2); ``x``, ``y`` int32 lattice site;
    ``heading`` int8 (0–7, index into ``DIR_X``/``DIR_Y``, kept between steps for
    persistence); ``target`` int64 tumour-table row of the engaged target (-1 if free) and
    ``target_id`` int64 that target's cell id (rows are reused, ids are not: a mismatch means
    the target is gone); ``engaged_min`` float64 time engaged with the current target (min);
    ``kills`` int32; ``age_min`` float64 time since entry (min); ``birth_min`` float64 entry
    time (min); ``pd1_min`` float64 accumulated PD-1 signalling (min of full signal: engaged
    time × (1 − blockade)·PD-L1/(P.PDL1_K + PD-L1) of the target). No ``state`` columns.
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "kind": np.int8, "x": np.int32,
                "y": np.int32, "heading": np.int8, "target": np.int64, "target_id": np.int64,
                "engaged_min": np.float64, "kills": np.int32, "age_min": np.float64,
                "birth_min": np.float64, "pd1_min": np.float64}
    _PREFIX = "immune"

    def __init__(self, capacity: int = 16, n_state: int = 0):
        super().__init__(capacity, n_state)

    def add(self, kind, xs: np.ndarray, ys: np.ndarray, birth_min: float) -> np.ndarray:
        """New free cells of ``kind`` (a code or an array of codes) at sites ``(xs, ys)``;
        returns their rows. Free rows are reused last-freed-first (as :func:`recruit` and
        ``CellTable.append_copies`` do), then the high-water mark grows. Headings start at 0
        (:meth:`ImmuneLayer.place` draws them); the occupancy is the caller's."""
        xs = np.asarray(xs, dtype=np.int32)
        rows = self.claim(len(xs))
        self.kind[rows], self.x[rows], self.y[rows] = kind, xs, ys
        self.heading[rows] = 0
        self.target[rows], self.target_id[rows] = -1, -1
        self.engaged_min[rows], self.kills[rows], self.age_min[rows] = 0.0, 0, 0.0
        self.birth_min[rows], self.pd1_min[rows] = birth_min, 0.0
        return rows


# ---------------------------------------------------------------------------- lattice walk
DIR_X = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
DIR_Y = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
"""The 8 Moore directions, counter-clockwise from +x (even: orthogonal, odd: diagonal)."""
_REACH_X = np.concatenate(([0], DIR_X))  # own site + Moore neighbours: contact reach
_REACH_Y = np.concatenate(([0], DIR_Y))
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
def _substream(stream, index):
    """Stream of the ``index``-th sub-draw of one purpose (independent of every other)."""
    return stream + index * _SUBSTREAM


@jit
def _turn_weight(x, y, d, chemokine, chi):
    """Turning weight of direction ``d`` at site ``(x, y)``: exp(χ·relative difference)/length."""
    ny, nx = chemokine.shape
    xx, yy = x + DIR_X[d], y + DIR_Y[d]
    bias = 0.0
    if chi != 0.0 and 0 <= xx < nx and 0 <= yy < ny:
        here = max(chemokine[y, x], 0.0)  # a solver's tiny negative values carry no signal
        there = max(chemokine[yy, xx], 0.0)
        bias = chi * (there - here) / (here + there + _EPS_CHEMOKINE)
    return np.exp(bias) * _INV_LENGTH[d]


@jit
def _choose_heading(x, y, chemokine, chi, u):
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
def _site_free(x, y, occupancy, vessels):
    """Whether an immune cell may stand on ``(x, y)`` (in the grid, no immune cell, no vessel)."""
    ny, nx = occupancy.shape
    return 0 <= x < nx and 0 <= y < ny and occupancy[y, x] < 0 and not vessels[y, x]


@jit
def _move_count(moves_per_step, u):
    """floor(m) moves plus one more with probability frac(m)."""
    n = int(np.floor(moves_per_step))
    if u < moves_per_step - n:
        n += 1
    return n


@jit
def move(seed, step, dt_min, dx_um, chemokine, params, hwm, alive, ids, kind, xs, ys,
         heading, target, occupancy, vessels):
    """Persistent biased random walk of every free (not engaged) live cell, in row order
    (rules and D_eff in the module docstring).

    Args:
        chemokine: float64 ``[ny, nx]`` (chemokine units). params: ``[2, N_PARAMS]``.
        hwm: rows to visit. xs, ys, heading: updated. target: -1 for free cells.
        occupancy: int32 ``[ny, nx]`` immune row per site (-1 empty), updated.
        vessels: bool ``[ny, nx]``.
    """
    for r in range(hwm):
        if not alive[r] or target[r] >= 0:
            continue
        k = kind[r] - 1
        speed = params[k, P.SPEED_UM_PER_MIN]
        if speed <= 0.0:
            continue
        tau = MEAN_STEP_SITES * dx_um / speed
        persistence = params[k, P.PERSISTENCE_MIN]
        keep = np.exp(-tau / persistence) if persistence > 0.0 else 0.0
        chi = params[k, P.CHEMOTAXIS]
        n_moves = _move_count(dt_min / tau, uniform(seed, step, ids[r], STREAM_IMMUNE_MOVES))
        for j in range(n_moves):
            if uniform(seed, step, ids[r], _substream(STREAM_IMMUNE_PERSIST, j)) >= keep:
                u = uniform(seed, step, ids[r], _substream(STREAM_IMMUNE_TURN, j))
                heading[r] = _choose_heading(xs[r], ys[r], chemokine, chi, u)
            x_new = xs[r] + DIR_X[heading[r]]
            y_new = ys[r] + DIR_Y[heading[r]]
            if _site_free(x_new, y_new, occupancy, vessels):
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
        xx, yy = x + DIR_X[d], y + DIR_Y[d]
        if 0 <= xx < nx and 0 <= yy < ny and not vessels[yy, xx]:
            total += max(chemokine[yy, xx], 0.0)
            n += 1
    return total / n if n > 0 else 0.0


@jit
def _entry_site(x, y, occupancy, vessels, u):
    """A free Moore neighbour of ``(x, y)`` picked uniformly with ``u``; (-1, -1) if none."""
    n_free = 0
    for d in range(8):
        if _site_free(x + DIR_X[d], y + DIR_Y[d], occupancy, vessels):
            n_free += 1
    if n_free == 0:
        return -1, -1
    pick = int(u * n_free)
    for d in range(8):
        xx, yy = x + DIR_X[d], y + DIR_Y[d]
        if _site_free(xx, yy, occupancy, vessels):
            if pick == 0:
                return xx, yy
            pick -= 1
    return -1, -1


@jit
def recruit(seed, step, dt_min, time_min, vessel_sites_x, vessel_sites_y, chemokine, params,
            alive, ids, kind, xs, ys, heading, target, target_id, engaged_min, kills,
            age_min, birth_min, pd1_min, free, immune_occupancy, vessels, counters, rows_out,
            n_max):
    """Entry of new immune cells next to vessels.

    For each vessel site (in the given order) and each kind (CD8 then NK), one cell enters
    with probability 1 − exp(−P.RECRUIT_PER_MIN·C/(P.RECRUIT_K + C)·dt), C =
    :func:`perivascular_chemokine`; it is placed on a free Moore neighbour of the vessel
    picked at random (no entry if none is free) with a random heading. Draws are keyed by
    the vessel's flat site index ``y·nx + x``. The caller has made room for ``n_max`` rows.

    Args:
        time_min: entry time (min), written to ``birth_min``. vessel_sites_x/_y: int64 sites.
        chemokine: float64 ``[ny, nx]``. alive … birth_min, free, counters: the table's
            arrays (updated). immune_occupancy: int32 ``[ny, nx]`` (updated).
        rows_out: int64 ``[≥ n_max]``, filled with the new rows.

    Returns:
        The number of new cells (``rows_out[:n]``).
    """
    nx = chemokine.shape[1]
    n_new = 0
    for i in range(vessel_sites_x.shape[0]):
        vx, vy = vessel_sites_x[i], vessel_sites_y[i]
        c = perivascular_chemokine(vx, vy, chemokine, vessels)
        key = vy * nx + vx
        for k in range(2):
            if n_new >= n_max or c <= 0.0:
                continue
            rate = params[k, P.RECRUIT_PER_MIN] * c / (params[k, P.RECRUIT_K] + c)
            if uniform(seed, step, key, _substream(STREAM_IMMUNE_RECRUIT, k)) >= 1.0 - np.exp(-rate * dt_min):
                continue
            u = uniform(seed, step, key, _substream(STREAM_IMMUNE_ENTRY_SITE, k))
            x, y = _entry_site(vx, vy, immune_occupancy, vessels, u)
            if x < 0:
                continue
            r = _claim_row(free, counters)
            alive[r] = True
            ids[r] = counters[_COUNTER_NEXT_ID]
            counters[_COUNTER_NEXT_ID] += 1
            kind[r] = k + 1
            xs[r] = x
            ys[r] = y
            heading[r] = _choose_heading(x, y, chemokine, 0.0,
                                         uniform(seed, step, ids[r], STREAM_IMMUNE_HEADING))
            target[r] = -1
            target_id[r] = -1
            engaged_min[r] = 0.0
            kills[r] = 0
            age_min[r] = 0.0
            birth_min[r] = time_min
            pd1_min[r] = 0.0
            immune_occupancy[y, x] = r
            rows_out[n_new] = r
            n_new += 1
    return n_new


@jit
def initial_headings(seed, ids):
    """Unbiased headings (int8) for cells placed by hand, keyed by their ids (step 0)."""
    out = np.empty(ids.shape[0], dtype=np.int8)
    dummy = np.zeros((1, 1))
    for i in range(ids.shape[0]):
        out[i] = _choose_heading(0, 0, dummy, 0.0, uniform(seed, 0, ids[i], STREAM_IMMUNE_HEADING))
    return out


# ---------------------------------------------------------------------------- killing
@jit
def kill_rate(params, recognition, k, phase, pdl1, blockade):
    """Kill hazard (min⁻¹) of kind index ``k`` on a target of ``phase`` with PD-L1 ``pdl1``:
    P.KILL·recognition·(1 − P.PDL1_BRAKE·(1 − blockade)·pdl1/(P.PDL1_K + pdl1))."""
    p = max(pdl1, 0.0)
    brake = 0.0
    if p > 0.0:
        brake = params[k, P.PDL1_BRAKE] * (1.0 - blockade) * p / (params[k, P.PDL1_K] + p)
    return params[k, P.KILL_PER_MIN] * recognition[k, phase] * (1.0 - brake)


@jit
def pd1_signal(params, k, pdl1, blockade):
    """PD-1 signalling (0–1) of kind index ``k`` engaged with a target of PD-L1 ``pdl1``:
    (1 − blockade)·pdl1/(P.PDL1_K + pdl1), the occupancy behind the kill brake."""
    p = max(pdl1, 0.0)
    return (1.0 - blockade) * p / (params[k, P.PDL1_K] + p)


@jit
def _eligible(t, k, recognition, tumour_alive, tumour_phase, killed):
    """Whether tumour row ``t`` can be engaged by kind index ``k`` now."""
    if t < 0 or not tumour_alive[t] or killed[t] != 0:
        return False
    phase = tumour_phase[t]
    return phase != APOPTOTIC and phase != NECROTIC and recognition[k, phase] > 0.0


@jit
def _pick_target(x, y, k, u, recognition, tumour_occupancy, tumour_alive, tumour_phase,
                 killed):
    """An eligible tumour row at ``(x, y)`` or its 8 neighbours, uniformly with ``u``; -1 if
    none. Candidates are scanned own site first, then ``DIR_X``/``DIR_Y`` order."""
    ny, nx = tumour_occupancy.shape
    n = 0
    for d in range(9):
        xx, yy = x + _REACH_X[d], y + _REACH_Y[d]
        if 0 <= xx < nx and 0 <= yy < ny and _eligible(tumour_occupancy[yy, xx], k, recognition,
                                                       tumour_alive, tumour_phase, killed):
            n += 1
    pick = int(u * n)
    for d in range(9):
        xx, yy = x + _REACH_X[d], y + _REACH_Y[d]
        if 0 <= xx < nx and 0 <= yy < ny and _eligible(tumour_occupancy[yy, xx], k, recognition,
                                                       tumour_alive, tumour_phase, killed):
            if pick == 0:
                return np.int64(tumour_occupancy[yy, xx])
            pick -= 1
    return np.int64(-1)


@jit
def engage_and_kill(seed, step, dt_min, params, recognition, blockade, hwm, alive, ids, kind,
                    xs, ys, target, target_id, engaged_min, kills, pd1_min, tumour_occupancy,
                    tumour_alive, tumour_phase, tumour_id, tumour_pdl1, killed,
                    ev_immune_id, ev_kind, ev_target_row, ev_target_id, ev_phase, ev_pdl1):
    """Attachment, killing and detachment, for every live immune cell in row order.

    - An engaged cell first checks its target: dead, removed, replaced in its row (id
      mismatch), apoptotic/necrotic, no longer recognised, or killed this step by another
      cell → detach. Otherwise engaged_min += dt and it kills with probability
      1 − exp(−k·dt), k = :func:`kill_rate`; on a kill the event is recorded, kills += 1,
      ``killed[target] = 1`` (no second kill this step) and the cell is free again. Without
      a kill it detaches once engaged_min ≥ P.DETACH_MIN. Kill attempts therefore start the
      step after attachment: over a full engagement the kill probability is
      1 − exp(−k·P.DETACH_MIN) when P.DETACH_MIN is a multiple of dt.
    - A free cell with kills < P.MAX_KILLS attaches with probability 1 − exp(−P.ATTACH·dt)
      to an eligible tumour cell (alive, not apoptotic/necrotic, not killed this step,
      recognition > 0) on its own site or the 8 neighbours, chosen uniformly. Several immune
      cells may engage one target (as in PhysiCell).
    - Exhaustion: a cell with kills ≥ P.MAX_KILLS (Kather et al. 2018's killing capacity) or
      with accumulated PD-1 signalling ``pd1_min`` ≥ P.PD1_EXHAUSTION_MIN never attaches
      again (it still moves and ages out). While engaged, ``pd1_min`` grows by
      dt·:func:`pd1_signal` of the target, so PD-L1-high targets exhaust T cells early and
      anti-PD-L1 (``blockade``) spares them.

    Args:
        blockade: 0–1, the anti-PD-L1 effect this step (1 removes the PD-L1 brake).
        tumour_*: the tumour table's columns and occupancy (rows). killed: uint8
            ``[tumour capacity]``, zero on entry, set for killed rows.
        ev_*: preallocated event arrays (≥ number of live immune cells): immune id, kind
            code (1 CD8, 2 NK), target row, target id, target phase, target PD-L1.

    Returns:
        The number of kill events written.
    """
    n_events = 0
    for r in range(hwm):
        if not alive[r]:
            continue
        k = kind[r] - 1
        t = target[r]
        if t >= 0:
            if not (_eligible(t, k, recognition, tumour_alive, tumour_phase, killed)
                    and tumour_id[t] == target_id[r]):
                target[r] = -1
                target_id[r] = -1
                continue
            engaged_min[r] += dt_min
            pd1_min[r] += dt_min * pd1_signal(params, k, tumour_pdl1[t], blockade)
            rate = kill_rate(params, recognition, k, tumour_phase[t], tumour_pdl1[t], blockade)
            if uniform(seed, step, ids[r], STREAM_IMMUNE_KILL) < 1.0 - np.exp(-rate * dt_min):
                ev_immune_id[n_events] = ids[r]
                ev_kind[n_events] = kind[r]
                ev_target_row[n_events] = t
                ev_target_id[n_events] = tumour_id[t]
                ev_phase[n_events] = tumour_phase[t]
                ev_pdl1[n_events] = tumour_pdl1[t]
                n_events += 1
                kills[r] += 1
                killed[t] = 1
                target[r] = -1
                target_id[r] = -1
            elif engaged_min[r] >= params[k, P.DETACH_MIN] * (1.0 - 1e-12):
                target[r] = -1
                target_id[r] = -1
        elif kills[r] < params[k, P.MAX_KILLS] and pd1_min[r] < params[k, P.PD1_EXHAUSTION_MIN]:
            p_attach = 1.0 - np.exp(-params[k, P.ATTACH_PER_MIN] * dt_min)
            if uniform(seed, step, ids[r], STREAM_IMMUNE_ATTACH) >= p_attach:
                continue
            u = uniform(seed, step, ids[r], STREAM_IMMUNE_TARGET)
            t = _pick_target(xs[r], ys[r], k, u, recognition, tumour_occupancy, tumour_alive,
                             tumour_phase, killed)
            if t >= 0:
                target[r] = t
                target_id[r] = tumour_id[t]
                engaged_min[r] = 0.0
    return n_events


# ---------------------------------------------------------------------------- exit
@jit
def age_and_exit(seed, step, dt_min, params, hwm, alive, ids, kind, xs, ys, target,
                 target_id, age_min, free, counters, immune_occupancy, rows_out):
    """Ageing and exit (death or emigration) of every live cell, in row order.

    age += dt; the cell leaves with probability 1 − exp(−dt/P.LIFETIME_MIN) (exponential
    residence time of mean P.LIFETIME_MIN). Leaving cells release their site and their row
    (pushed on the free list in row order, as ``RowTable.release``).

    Returns:
        The number of exited rows (``rows_out[:n]``, ascending).
    """
    n_out = 0
    for r in range(hwm):
        if not alive[r]:
            continue
        age_min[r] += dt_min
        p_exit = 1.0 - np.exp(-dt_min / params[kind[r] - 1, P.LIFETIME_MIN])
        if uniform(seed, step, ids[r], STREAM_IMMUNE_EXIT) >= p_exit:
            continue
        alive[r] = False
        immune_occupancy[ys[r], xs[r]] = -1
        target[r] = -1
        target_id[r] = -1
        free[counters[_COUNTER_NFREE]] = r
        counters[_COUNTER_NFREE] += 1
        rows_out[n_out] = r
        n_out += 1
    return n_out


# ---------------------------------------------------------------------------- orchestration
KILL_EVENT_COLUMNS = ("time_min", "immune_id", "immune_kind", "target_id", "target_phase",
                      "target_pdl1")
"""Keys of :attr:`StepResult.kill_events`."""


@dataclass
class StepResult:
    """What one :meth:`ImmuneLayer.step` did.

    Attributes:
        killed_rows: int64 tumour rows killed this step, ascending (the model applies the
            death).
        kill_events: column name (:data:`KILL_EVENT_COLUMNS`) → 1-D array, one entry per
            kill in immune row order: time_min (min, end of the step), immune_id, immune_kind
            (1 CD8, 2 NK), target_id, target_phase (phase code), target_pdl1.
        entered_rows, exited_rows: int64 immune rows that entered / left this step. A row
            may be in both (entered and left in one step): add agents for ``entered_rows``
            before removing those of ``exited_rows``. Exited rows are reused only from the
            next step on.
        n_cd8, n_nk, n_engaged, n_exhausted: live counts after the step.
    """

    killed_rows: np.ndarray
    kill_events: dict[str, np.ndarray]
    entered_rows: np.ndarray
    exited_rows: np.ndarray
    n_cd8: int = 0
    n_nk: int = 0
    n_engaged: int = 0
    n_exhausted: int = 0
    counts: dict[str, int] = field(init=False)

    def __post_init__(self):
        self.counts = {"n_cd8": self.n_cd8, "n_nk": self.n_nk, "n_engaged": self.n_engaged,
                       "n_exhausted": self.n_exhausted}


class ImmuneLayer:
    """The immune cells of one tissue: table, occupancy and the per-step orchestration.

    Args:
        shape: ``(ny, nx)`` of the lattice. dx_um: site size (µm).
        vessels: bool ``[ny, nx]`` (entry points; never stood on).
        params, recognition: as from :func:`default_params` (checked).
        seed: the run's seed (all draws are keyed by it).

    Attributes:
        table: the :class:`ImmuneTable`. occupancy: int32 ``[ny, nx]`` immune row per site
            (-1 empty), kept consistent with the table by every kernel.
        vessel_x, vessel_y: int64 vessel sites in row-major order (the recruitment order).
    """

    def __init__(self, shape: tuple[int, int], dx_um: float, vessels: np.ndarray,
                 params: np.ndarray, recognition: np.ndarray, seed: int):
        self.shape = (int(shape[0]), int(shape[1]))
        vessels = np.ascontiguousarray(vessels, dtype=np.bool_)
        if vessels.shape != self.shape:
            raise ValueError(f"vessels has shape {vessels.shape}, the lattice is {self.shape}")
        self.params = np.ascontiguousarray(params, dtype=np.float64).copy()
        self.recognition = np.ascontiguousarray(recognition, dtype=np.float64).copy()
        check_params(self.params, self.recognition)
        self.dx_um = float(dx_um)
        self.vessels = vessels
        self.seed = int(seed)
        self.vessel_y, self.vessel_x = (a.astype(np.int64) for a in np.nonzero(vessels))
        self.table = ImmuneTable(capacity=max(16, 2 * len(self.vessel_x)))
        self.occupancy = np.full(self.shape, -1, dtype=np.int32)
        self._zero_chemokine = np.zeros(self.shape)

    # -------------------------------------------------------------- seeding and checkpoints
    def place(self, kind: int, xs: np.ndarray, ys: np.ndarray, time_min: float = 0.0) -> np.ndarray:
        """Put cells of ``kind`` (``abm.cells.CD8``/``NK``) on free non-vessel sites
        ``(xs, ys)`` (an initial infiltrate, tests); returns their rows."""
        xs, ys = np.asarray(xs, dtype=np.int64), np.asarray(ys, dtype=np.int64)
        if kind not in (CD8, NK):
            raise ValueError(f"kind = {kind!r}: must be abm.cells.CD8 ({CD8}) or NK ({NK})")
        ny, nx = self.shape
        inside = (xs >= 0) & (xs < nx) & (ys >= 0) & (ys < ny)
        if not inside.all():
            raise ValueError(f"sites outside the {nx}×{ny} lattice: {np.flatnonzero(~inside)[:5]}")
        flat = ys * nx + xs
        taken = (self.occupancy[ys, xs] >= 0) | self.vessels[ys, xs]
        if taken.any() or len(np.unique(flat)) != len(flat):
            raise ValueError("immune cells need distinct sites without a vessel or another "
                             "immune cell")
        rows = self.table.add(kind, xs, ys, time_min)
        self.table.heading[rows] = initial_headings(self.seed, self.table.id[rows])
        self.occupancy[ys, xs] = rows
        return rows

    def snapshot(self) -> dict[str, np.ndarray]:
        """The table and the occupancy, for checkpoints (keys ``immune.*``)."""
        snap = self.table.snapshot()
        snap["immune.occupancy"] = self.occupancy.copy()
        return snap

    @classmethod
    def from_snapshot(cls, snap: dict, dx_um: float, vessels: np.ndarray, params: np.ndarray,
                      recognition: np.ndarray, seed: int) -> ImmuneLayer:
        """Rebuild a layer saved by :meth:`snapshot`; stepping it continues exactly."""
        layer = cls(np.shape(vessels), dx_um, vessels, params, recognition, seed)
        layer.table = ImmuneTable.from_snapshot(snap)
        layer.occupancy[:] = snap["immune.occupancy"]
        return layer

    # -------------------------------------------------------------- one step
    def step(self, step_index: int, dt_min: float, time_min: float, chemokine: np.ndarray | None,
             tumour_occupancy: np.ndarray, tumour_alive: np.ndarray, tumour_phase: np.ndarray,
             tumour_id: np.ndarray, tumour_pdl1: np.ndarray, blockade: float) -> StepResult:
        """Advance the immune cells by ``dt_min``: recruit → move → engage_and_kill →
        age_and_exit.

        Args:
            step_index: the model's step (keys the draws). time_min: time at the start of
                the step (min); entries and kills are stamped ``time_min + dt_min``.
            chemokine: float64 ``[ny, nx]`` (chemokine units), or None (no chemokine: no
                recruitment, no chemotaxis).
            tumour_occupancy: int32 ``[ny, nx]`` tumour row per site. tumour_alive, _phase,
                _id, _pdl1: the tumour table's columns (read only).
            blockade: anti-PD-L1 effect this step, 0–1.
        """
        if not 0.0 <= blockade <= 1.0:
            raise ValueError(f"blockade = {blockade!r}: must be in [0, 1]")
        chem = self._zero_chemokine if chemokine is None else chemokine
        if chem.shape != self.shape or tumour_occupancy.shape != self.shape:
            raise ValueError(f"chemokine {chem.shape} and tumour occupancy "
                             f"{tumour_occupancy.shape} must match the lattice {self.shape}")
        t_end = time_min + dt_min
        entered = self._recruit(step_index, dt_min, t_end, chem)
        t = self.table
        move(self.seed, step_index, dt_min, self.dx_um, chem, self.params, t.hwm, t.alive, t.id,
             t.kind, t.x, t.y, t.heading, t.target, self.occupancy, self.vessels)
        killed_rows, events = self._engage_and_kill(step_index, dt_min, t_end, blockade,
                                                    tumour_occupancy, tumour_alive,
                                                    tumour_phase, tumour_id, tumour_pdl1)
        exited = self._age_and_exit(step_index, dt_min)
        return StepResult(killed_rows, events, entered, exited, **self.counts())

    def counts(self) -> dict[str, int]:
        """Live CD8 and NK cells, engaged cells, and exhausted cells (kills ≥ P.MAX_KILLS or
        PD-1 signalling ≥ P.PD1_EXHAUSTION_MIN)."""
        t = self.table
        h = t.hwm
        alive, kind = t.alive[:h], t.kind[:h]
        row = np.clip(kind.astype(np.int64) - 1, 0, 1)
        exhausted = ((t.kills[:h] >= self.params[row, P.MAX_KILLS])
                     | (t.pd1_min[:h] >= self.params[row, P.PD1_EXHAUSTION_MIN]))
        return {"n_cd8": int(np.count_nonzero(alive & (kind == CD8))),
                "n_nk": int(np.count_nonzero(alive & (kind == NK))),
                "n_engaged": int(np.count_nonzero(alive & (t.target[:h] >= 0))),
                "n_exhausted": int(np.count_nonzero(alive & exhausted))}

    def _recruit(self, step_index, dt_min, t_end, chem) -> np.ndarray:
        n_max = 2 * len(self.vessel_x)  # at most one cell per kind and vessel site
        if n_max == 0:
            return np.zeros(0, dtype=np.int64)
        t = self.table
        t.ensure_capacity(n_max)
        rows = np.empty(n_max, dtype=np.int64)
        n = recruit(self.seed, step_index, dt_min, t_end, self.vessel_x, self.vessel_y, chem,
                    self.params, t.alive, t.id, t.kind, t.x, t.y, t.heading, t.target,
                    t.target_id, t.engaged_min, t.kills, t.age_min, t.birth_min, t.pd1_min,
                    t.free,
                    self.occupancy, self.vessels, t.counters, rows, n_max)
        return rows[:n]

    def _engage_and_kill(self, step_index, dt_min, t_end, blockade, tumour_occupancy,
                         tumour_alive, tumour_phase, tumour_id, tumour_pdl1):
        t = self.table
        killed = np.zeros(tumour_alive.shape[0], dtype=np.uint8)
        n_max = max(t.count, 1)  # each immune cell kills at most once per step
        ev = (np.empty(n_max, np.int64), np.empty(n_max, np.int8), np.empty(n_max, np.int64),
              np.empty(n_max, np.int64), np.empty(n_max, np.int8), np.empty(n_max, np.float64))
        n = engage_and_kill(self.seed, step_index, dt_min, self.params, self.recognition,
                            float(blockade), t.hwm, t.alive, t.id, t.kind, t.x, t.y, t.target,
                            t.target_id, t.engaged_min, t.kills, t.pd1_min, tumour_occupancy,
                            tumour_alive,
                            tumour_phase, tumour_id, tumour_pdl1, killed, *ev)
        immune_id, kind, _, target_id, phase, pdl1 = (a[:n].copy() for a in ev)
        events = {"time_min": np.full(n, t_end), "immune_id": immune_id, "immune_kind": kind,
                  "target_id": target_id, "target_phase": phase, "target_pdl1": pdl1}
        return np.flatnonzero(killed).astype(np.int64), events

    def _age_and_exit(self, step_index, dt_min) -> np.ndarray:
        t = self.table
        rows = np.empty(max(t.count, 1), dtype=np.int64)
        n = age_and_exit(self.seed, step_index, dt_min, self.params, t.hwm, t.alive, t.id,
                         t.kind, t.x, t.y, t.target, t.target_id, t.age_min, t.free, t.counters,
                         self.occupancy, rows)
        return rows[:n]


KIND_CODES = {name: KINDS[name] for name in KIND_NAMES}
"""Kind name → ``abm.cells.KINDS`` code (the ``kind`` column)."""

PARAMETER_DOCS = {kind: table.docs for kind, table in IMMUNE_TABLES.items()}
"""``{kind: {name: (default value, unit, source)}}`` for the config docs."""
