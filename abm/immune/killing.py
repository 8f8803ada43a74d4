"""How immune cells kill: contacts, hits, additive damage, killing capacity and dysfunction
(:func:`engage_and_hit`, one serial numba pass over the immune rows per step).

- **Contacts.** A free cell attaches with probability 1 − exp(−P.ATTACH·dt) to an eligible
  tumour cell (alive, not apoptotic/necrotic, not killed this step, recognised) on its own
  site or one of the 8 neighbours, chosen uniformly; several immune cells may hold one
  target. A contact ends when the target dies or becomes ineligible, or after P.DETACH_MIN.
- **Hits.** While attached a cell delivers hits as a Poisson process of rate

      h = P.HIT_PER_MIN · ρ · (1 − P.PDL1_BRAKE·s) · f(dysfunction) · P.SERIAL_SLOWDOWN^kills

  where ρ = recognition[kind, phase]·(1 − w + w·MHC-I) (w = P.MHC1_DEPENDENCE: CD8 cells see
  antigen, NK cells stress ligands by phase), s = (1 − blockade)·PD-L1/(P.PDL1_K + PD-L1) the
  PD-1 signal, f the function left by dysfunction (1, P.PLASTIC_FUNCTION, P.FIXED_FUNCTION).
  The hits of a step are one Poisson draw (by inversion, so any dt is exact for a constant
  rate); attempts start the step after attachment.
- **Damage and death** (:mod:`abm.immune.damage`): each hit adds P.HIT_DAMAGE to the target's
  damage; at the lethal level the target dies, the hit that got it there is the killing hit,
  the cell is credited with the kill and is free again. Hits beyond the lethal one are not
  counted. Several cells hitting one target add up (cooperative kills).
- **Capacity.** At entry each cell draws how many kills it can make: negative binomial of
  mean P.CAPACITY_MEAN and shape P.CAPACITY_SHAPE (inf mean: no cap, nothing drawn). A cell
  that has made that many kills never attaches again.
- **Dysfunction** (CD8 exhaustion), a Markov chain per cell: functional → plastic at hazard
  ρ·(1 + P.PD1_DRIVE·s)/P.ANTIGEN_TO_PLASTIC_H while attached (so the chance of staying
  functional is exp(−cumulative stimulation)); plastic → functional at hazard
  P.REINVIGORATION_PER_D·blockade (PD-1 blockade restores plastic cells); plastic → fixed at
  hazard 1/P.PLASTIC_TO_FIXED_D. At most one transition per step (exact to O((hazard·dt)²)).

Every draw is counter-based, keyed by (seed, step, immune cell id, stream).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abm._numba import jit
from abm.core.lattice import MOORE_X, MOORE_Y
from abm.core.rng import (STREAM_IMMUNE_ATTACH, STREAM_IMMUNE_DYSFUNCTION, STREAM_IMMUNE_HIT,
                          STREAM_IMMUNE_TARGET, negative_binomial_by_inversion,
                          poisson_by_inversion, uniform)
from abm.core.rowtable import high_water_mark
from abm.immune.sections import ImmuneParam as P
from abm.tumor.cells import APOPTOTIC, NECROTIC

_REACH_X = np.concatenate(([0], MOORE_X))  # own site + Moore neighbours: contact reach
_REACH_Y = np.concatenate(([0], MOORE_Y))

FUNCTIONAL, PLASTIC, FIXED = 0, 1, 2
"""Dysfunction states of ``ImmuneTable.dysfunction``."""
DYSFUNCTION_STATES = {"functional": FUNCTIONAL, "plastic": PLASTIC, "fixed": FIXED}
_MIN_PER_H, _MIN_PER_D = 60.0, 1440.0


class Targets(NamedTuple):
    """The tumour cells an immune cell can reach: ``occupancy`` int32 ``[ny, nx]`` tumour row
    per site, and the tumour table's ``alive``, ``phase``, ``id``, ``pdl1``, ``mhc1`` columns
    (read) and ``immune_damage`` (hits, updated)."""

    occupancy: np.ndarray
    alive: np.ndarray
    phase: np.ndarray
    id: np.ndarray
    pdl1: np.ndarray
    mhc1: np.ndarray
    damage: np.ndarray


class KillEvents(NamedTuple):
    """Buffers :func:`engage_and_hit` writes one entry per kill into: the killer's id and
    kind code (1 CD8, 2 NK), the target's row, id, phase code, PD-L1 and MHC-I."""

    immune_id: np.ndarray
    immune_kind: np.ndarray
    target_row: np.ndarray
    target_id: np.ndarray
    target_phase: np.ndarray
    target_pdl1: np.ndarray
    target_mhc1: np.ndarray

    @classmethod
    def empty(cls, n: int) -> KillEvents:
        """Room for ``n`` kills."""
        return cls(np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n, np.int64),
                   np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n, np.float64),
                   np.empty(n, np.float64))


class HitEvents(NamedTuple):
    """Buffers :func:`engage_and_hit` writes one entry per (immune cell, step) with hits into:
    the cell's id and kind code, the target's id, the number of hits, the target's damage
    after them (hits) and whether they killed it."""

    immune_id: np.ndarray
    immune_kind: np.ndarray
    target_id: np.ndarray
    hits: np.ndarray
    damage: np.ndarray
    lethal: np.ndarray

    @classmethod
    def empty(cls, n: int) -> HitEvents:
        """Room for ``n`` entries."""
        return cls(np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n, np.int64),
                   np.empty(n, np.int32), np.empty(n, np.float64), np.empty(n, np.bool_))


@jit
def function_left(params, k, state):
    """The fraction of function (hits and chemotaxis) kind index ``k`` keeps in dysfunction
    ``state``."""
    if state == PLASTIC:
        return params[k, P.PLASTIC_FUNCTION]
    if state == FIXED:
        return params[k, P.FIXED_FUNCTION]
    return 1.0


@jit
def draw_capacity(params, k, u):
    """The killing capacity (kills) of a new cell of kind index ``k`` from the uniform ``u``:
    inf when P.CAPACITY_MEAN is inf, else a negative binomial draw."""
    mean = params[k, P.CAPACITY_MEAN]
    if not np.isfinite(mean):
        return np.inf
    return float(negative_binomial_by_inversion(u, mean, params[k, P.CAPACITY_SHAPE]))


@jit
def pd1_signal(params, k, pdl1, blockade):
    """PD-1 signalling (0–1) of kind index ``k`` engaged with a target of PD-L1 ``pdl1``:
    (1 − blockade)·pdl1/(P.PDL1_K + pdl1)."""
    p = max(pdl1, 0.0)
    return (1.0 - blockade) * p / (params[k, P.PDL1_K] + p)


@jit
def recognition_of(params, recognition, k, phase, mhc1):
    """ρ: how well kind index ``k`` recognises a target of ``phase`` and MHC-I ``mhc1``."""
    w = params[k, P.MHC1_DEPENDENCE]
    return recognition[k, phase] * (1.0 - w + w * max(mhc1, 0.0))


@jit
def hit_rate(params, k, rho, signal, state, kills):
    """Hit rate (min⁻¹) of kind index ``k`` at recognition ``rho``, PD-1 signal ``signal``,
    dysfunction ``state``, after ``kills`` kills (module docstring)."""
    return (params[k, P.HIT_PER_MIN] * rho * (1.0 - params[k, P.PDL1_BRAKE] * signal)
            * function_left(params, k, state) * params[k, P.SERIAL_SLOWDOWN] ** kills)


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
    none. Candidates are scanned own site first, then ``MOORE_X``/``MOORE_Y`` order."""
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
def next_dysfunction(params, k, state, stimulation, blockade, dt_min, u):
    """The dysfunction state after a step of ``dt_min`` in ``state`` with antigen stimulation
    ``stimulation`` (ρ·(1 + P.PD1_DRIVE·s) while attached, else 0) and ``blockade``, from the
    uniform ``u`` (module docstring)."""
    if state == FUNCTIONAL:
        hazard = stimulation / (params[k, P.ANTIGEN_TO_PLASTIC_H] * _MIN_PER_H)
        if hazard > 0.0 and u < 1.0 - np.exp(-hazard * dt_min):
            return PLASTIC
        return FUNCTIONAL
    if state == PLASTIC:
        back = params[k, P.REINVIGORATION_PER_D] * blockade / _MIN_PER_D
        on = 1.0 / (params[k, P.PLASTIC_TO_FIXED_D] * _MIN_PER_D)
        total = back + on
        if total <= 0.0:
            return PLASTIC
        p = 1.0 - np.exp(-total * dt_min)
        if u < p * back / total:
            return FUNCTIONAL
        if u < p:
            return FIXED
    return state


@jit
def engage_and_hit(seed, step, dt_min, params, recognition, blockade, lethal, immune, tumour,
                   killed, kill_events, hit_events):
    """Contacts, hits, kills and dysfunction of every live immune cell, in row order (rules in
    the module docstring).

    Args:
        blockade: 0–1, the anti-PD-L1 effect this step. lethal: the lethal damage (hits).
        immune: ``ImmuneTable.Arrays`` (updated). tumour: :class:`Targets` (its damage
            updated). killed: uint8 ``[tumour capacity]``, zero on entry, set for killed rows.
        kill_events, hit_events: :class:`KillEvents`, :class:`HitEvents` with room for every
            live immune cell.

    Returns:
        ``(n_kills, n_hit_entries)`` written.
    """
    # Columns into locals once: the helpers called per neighbour take arrays (a tuple argument
    # made the kernel ~2× slower, measured), and so does the loop.
    alive, ids, kind, xs, ys = immune.alive, immune.id, immune.kind, immune.x, immune.y
    target, target_id, engaged_min = immune.target, immune.target_id, immune.engaged_min
    kills, hits, capacity = immune.kills, immune.hits, immune.kill_capacity
    pd1_min, antigen_min, dysfunction = immune.pd1_min, immune.antigen_min, immune.dysfunction
    tumour_occupancy, tumour_alive, tumour_phase = tumour.occupancy, tumour.alive, tumour.phase
    tumour_id, tumour_pdl1, tumour_mhc1, damage = (tumour.id, tumour.pdl1, tumour.mhc1,
                                                   tumour.damage)
    n_kills = 0
    n_hits = 0
    for r in range(high_water_mark(immune)):
        if not alive[r]:
            continue
        k = kind[r] - 1
        t = target[r]
        stimulation = 0.0
        if t >= 0 and not (_eligible(t, k, recognition, tumour_alive, tumour_phase, killed)
                           and tumour_id[t] == target_id[r]):
            target[r] = -1
            target_id[r] = -1
        elif t >= 0:
            engaged_min[r] += dt_min
            signal = pd1_signal(params, k, tumour_pdl1[t], blockade)
            rho = recognition_of(params, recognition, k, tumour_phase[t], tumour_mhc1[t])
            pd1_min[r] += dt_min * signal
            antigen_min[r] += dt_min * rho
            stimulation = rho * (1.0 + params[k, P.PD1_DRIVE] * signal)
            mean = hit_rate(params, k, rho, signal, dysfunction[r], kills[r]) * dt_min
            n = poisson_by_inversion(uniform(seed, step, ids[r], STREAM_IMMUNE_HIT), mean)
            if n > 0:
                per_hit = params[k, P.HIT_DAMAGE]
                needed = n
                if per_hit > 0.0:  # the hits up to the lethal one count, no more
                    needed = max(1, int(np.ceil((lethal - damage[t]) / per_hit - 1e-12)))
                dead = per_hit > 0.0 and needed <= n
                delivered = needed if dead else n
                damage[t] += delivered * per_hit
                hits[r] += delivered
                hit_events.immune_id[n_hits] = ids[r]
                hit_events.immune_kind[n_hits] = kind[r]
                hit_events.target_id[n_hits] = tumour_id[t]
                hit_events.hits[n_hits] = delivered
                hit_events.damage[n_hits] = damage[t]
                hit_events.lethal[n_hits] = dead
                n_hits += 1
                if dead:
                    kill_events.immune_id[n_kills] = ids[r]
                    kill_events.immune_kind[n_kills] = kind[r]
                    kill_events.target_row[n_kills] = t
                    kill_events.target_id[n_kills] = tumour_id[t]
                    kill_events.target_phase[n_kills] = tumour_phase[t]
                    kill_events.target_pdl1[n_kills] = tumour_pdl1[t]
                    kill_events.target_mhc1[n_kills] = tumour_mhc1[t]
                    n_kills += 1
                    kills[r] += 1
                    killed[t] = 1
                    target[r] = -1
                    target_id[r] = -1
            if target[r] >= 0 and engaged_min[r] >= params[k, P.DETACH_MIN] * (1.0 - 1e-12):
                target[r] = -1
                target_id[r] = -1
        elif kills[r] < capacity[r]:
            p_attach = 1.0 - np.exp(-params[k, P.ATTACH_PER_MIN] * dt_min)
            if uniform(seed, step, ids[r], STREAM_IMMUNE_ATTACH) < p_attach:
                u = uniform(seed, step, ids[r], STREAM_IMMUNE_TARGET)
                t = _pick_target(xs[r], ys[r], k, u, recognition, tumour_occupancy,
                                 tumour_alive, tumour_phase, killed)
                if t >= 0:
                    target[r] = t
                    target_id[r] = tumour_id[t]
                    engaged_min[r] = 0.0
        dysfunction[r] = next_dysfunction(
            params, k, dysfunction[r], stimulation, blockade, dt_min,
            uniform(seed, step, ids[r], STREAM_IMMUNE_DYSFUNCTION))
    return n_kills, n_hits
