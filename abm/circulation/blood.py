"""The intravascular journey of circulating tumour cells (CTCs): a well-mixed blood
compartment in which every shed unit (a single CTC or a cluster) is cloaked by platelets,
escorted by neutrophils, attacked by NK cells and by shear/anoikis, and finally arrests in a
capillary bed, where it either grows out (a metastatic seed) or fails.

The units are a structure-of-arrays (:class:`CTCTable`, stable rows + free list like the
tumour table) and one numba kernel, :func:`circulate`, advances all of them; every random
decision is a counter-based draw keyed by (seed, step, unit id, stream + substep index ×
2³² + event index × 2¹²), so the outcome does not depend on thread count or visiting order.
:class:`Circulation` orchestrates it for the model (shed units in, fates out).

Rules of one unit (hazards in min⁻¹; ``n`` living member cells, ``c`` platelet coverage)
---------------------------------------------------------------------------------------
- platelet cloaking towards the coverage the platelets can reach, c_max = 1 − inhibition:
  dc/dt = k_plt·(c_max − c) while c < c_max, so over a time τ
  c → c_max − (c_max − c)·exp(−k_plt·τ) (deterministic, exact). Inhibited platelets do not
  coat (aspirin blocks their activation; Palumbo et al. 2005), so the drug lowers the cloak
  a unit ends up with, not only its speed; a cloak formed before a dose stays (coverage
  never falls, which keeps the NK hazard non-increasing for the thinning below);
- digoxin dissociation of a cluster (n ≥ 2): h_dig·digoxin_effect. The cluster ends (fate
  ``dissociated``) and its n living cells go on as n singles (new rows, ``parent_id`` = the
  cluster's id, same shedding time, clock phase, competence, anoikis resistance, coverage,
  age and shed size; the escorts go to the first single);
- neutrophil attachment: r_neu per unit while it has fewer than ``max_escorts`` escorts;
- NK lysis of each member cell: k_nk·(1 − shield·c), only while NK killing is on;
- shear/anoikis death of each member cell: d·n^−α·(1 − protection·anoikis_resistance)
  (cell–cell contacts protect cluster cells from anoikis: Aceto et al. 2014);
- the unit whose last member dies ends as ``killed_nk`` or ``died`` (the cause of that last
  death);
- arrest in a capillary bed: a·n^β. The arrested unit grows out (fate ``seeded``, else
  ``arrested_failed``) with probability 1 − (1 − p)^n, p = min(1, q·competence·(1 + g·
  escorts)) (:func:`outgrowth_probability`): any living member may found the metastasis.

Time stepping: exact in continuous time
---------------------------------------
Every rate above is constant between events except the NK hazard, which only falls as the
coverage rises. Each unit is therefore advanced by an event-driven (Gillespie) simulation
with thinning (Lewis & Shedler 1979): the next event is proposed at the total rate with the
NK hazard taken at the current coverage (an upper bound for the rest of the interval); a
proposed NK lysis is accepted with probability h_NK(now)/(that bound), else nothing
happens. The resulting process is the exact continuous-time process for *any* step, so the
blood step (``dt_tissue_min / n_substeps``) and the tissue step are consistent by
construction: substeps only change which draws are used, never the statistics
(``tests/test_blood.py`` halves the blood step and compares). This replaces the
operator-split sequence "dissociate → cloak → attach → NK → shear → arrest, each with
1 − exp(−h·dt)": that sequence lets death pre-empt arrest within a step, which at a 6-min
step with the defaults lowers P(arrest before death) by 7 % for a single and by 15 % for a
4-cell cluster, by an amount that changes with the step. Two events never coincide, so no
order of precedence is needed.

A unit shed at ``shed_min`` inside the step starts circulating at that time (a unit with
``shed_min`` ≥ the end of the step waits for the next one).

Calibration (closed forms; defaults, AR = anoikis resistance 0, competence 1, no escorts)
-----------------------------------------------------------------------------------------
With the coverage at 1 (cloaking takes a minute or two, the journey tens of minutes) a
single's hazards are constant: arrest a = 0.0022, death d + k_nk·(1 − shield) = 0.015 +
0.04·0.2 = 0.023, total H₁ = 0.0252 min⁻¹, so

- mean time in blood 1/H₁ = 39.7 min, half-life ln2/H₁ = 27.5 min (Aceto et al. 2014: 25–30
  min for single CTCs in mouse blood);
- P(arrest before death) = a/H₁ = 0.087, P(seed) = q·a/H₁ = 0.025·0.087 = 2.18e-3; 91 % of
  singles die in the blood (d/H₁ = 60 % by shear/anoikis, k_nk·(1 − shield)/H₁ = 32 % by NK).

A cluster of m living cells loses a member at D_m = m·(k_nk·(1 − shield) + d·m^−α) and
arrests at A_m = a·m^β; its expected number of seeds E_m obeys
E_m = A_m/(A_m + D_m)·(1 − (1 − q)^m) + D_m/(A_m + D_m)·E_(m−1), E_0 = 0. With α = 1,
β = 3: E_2 = 0.0193, E_3 = 0.0518, E_4 = 0.0852, E_6 = 0.138 (8.8, 23.7, 39.0 and 63.1 × a
single); for shed clusters of size 2 + Geometric(mean 2) (mostly 2–6 cells; Aceto 2014:
clusters of 2–50, most small) the mean is 35.4 × a single, inside the 23–50× of Aceto et al.
2014 — and it comes from the rules (clusters arrest within minutes, are protected from
anoikis, and any member may grow out), not from a multiplier. The same mix leaves the blood
with a half-life of 8.3 min (Aceto 2014: 6–10 min for clusters).

Simulated with escorts off and the finite default cloaking rate (units meet NK cells
unshielded in their first minute), 10⁶ singles and 10⁵ clusters of that mix: seeds per
shed single 2.06e-3, per shed cluster 0.074, ratio 35.9 (35.5 from the expected seeds of
the arrested units); singles' median time in blood 26.2 min (mean 38.4 min), clusters'
8.8 min; singles' fates 58 % shear/anoikis, 34 % NK, 8.2 % arrested and failed, 0.21 %
seeded. Neutrophil escorts (on by default; 16 % of units leave the blood escorted) help the
long-circulating singles more than the clusters: seeds per single 2.51e-3, per cluster
0.076, ratio 30.3.

The three targets (single half-life, cluster half-life, ratio) set a, β and the death hazard
d + k_nk·(1 − shield); the split between NK and shear is a design choice that makes platelet
inhibition more than halve single-cell seeding when NK cells are on (P(arrest) of an
unshielded single a/(a + d + k_nk) = 0.038 against 0.087; Nieswandt et al. 1999) and change
nothing when they are off (coverage acts only on NK lysis). Simulated with all defaults and
the shed mix above (4 % clusters), full platelet inhibition lowers the seeds per shed unit
from 5.5e-3 to 3.5e-3 with NK cells on, and leaves them at 7.4e-3 with NK cells off.

Parameters: :mod:`abm.circulation.params`; the units' table: :mod:`abm.circulation.ctc_table`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm._numba import jit
from abm.circulation.ctc_table import (ARRESTED, ARRESTED_FAILED, CIRCULATING, CTC_FATES,
                                       DIED, DISSOCIATED, KILLED_NK, SEEDED, CTCTable)
from abm.circulation.params import check_params, default_params
from abm.circulation.sections import BloodParam as P
from abm.core.rowtable import high_water_mark, new_row
from abm.core.rng import STREAM_CTC_EVENT, STREAM_CTC_SEED, STREAM_CTC_WAIT, uniform


# ---------------------------------------------------------------------------- kernels
_SUBSTEP = 1 << 32  # stream offset of a substep
_EVENT = 1 << 12  # stream offset of an event within a substep


@jit
def _key(stream, substep, event):
    """Stream of the ``event``-th draw of ``substep`` for one purpose."""
    return stream + substep * _SUBSTEP + event * _EVENT


@jit
def outgrowth_probability(params, size, competence, neutrophils):
    """P(an arrested unit of ``size`` living cells grows out): 1 − (1 − p)^size with the
    per-cell p = min(1, q·competence·(1 + gain·neutrophils))."""
    p = params[P.OUTGROWTH] * competence * (1.0 + params[P.NEUTROPHIL_GAIN] * neutrophils)
    p = min(p, 1.0)
    return 1.0 - (1.0 - p) ** size


@jit
def _cover(c, k_cloak, c_max, tau):
    """Platelet coverage after ``tau`` min of cloaking at rate ``k_cloak`` from ``c``
    towards ``c_max`` (unchanged if already at or above it)."""
    if c >= c_max:
        return c
    return c_max - (c_max - c) * np.exp(-k_cloak * tau)


@jit
def _advance_unit(seed, step, r, t, k, n_sub, dt, params, nk_on, inhibition, digoxin,
                  time_min, units, to_site):
    """Event-driven simulation of unit ``r`` of ``units`` (``CTCTable.Arrays``, updated) from
    local time ``t`` (min after the step's start) in substep ``k`` to the end of the step or
    its fate (module docstring).

    Returns:
        ``(t_dissociated, substep)``: the time and substep of a digoxin dissociation (the
        cluster's fate is set; the caller creates the singles), or ``(-1.0, -1)``.
    """
    size, neutrophils = units.size, units.neutrophils
    uid = units.id[r]
    h = dt / n_sub
    k_cloak = params[P.CLOAK_PER_MIN]
    c_max = 1.0 - inhibition
    k_nk = params[P.NK_KILL_PER_MIN] if nk_on else 0.0
    shield = params[P.PLATELET_SHIELD]
    max_escorts = params[P.MAX_ESCORTS]
    h_dig = params[P.DIGOXIN_DISSOCIATION_PER_MIN] * digoxin
    shear = params[P.SHEAR_DEATH_PER_MIN] * (
        1.0 - params[P.ANOIKIS_PROTECTION] * units.anoikis_resistance[r])
    c = units.platelets[r]
    t_start = t
    end = -1
    while k < n_sub:
        t_end = dt if k == n_sub - 1 else (k + 1) * h
        j = 0
        while end < 0:
            n = size[r]
            rate_dig = h_dig if n >= 2 else 0.0
            rate_neu = params[P.NEUTROPHIL_ATTACH_PER_MIN] if neutrophils[r] < max_escorts \
                else 0.0
            rate_nk = n * k_nk * (1.0 - shield * c)  # an upper bound from now on
            rate_shear = n * shear * n ** (-params[P.CLUSTER_PROTECTION])
            rate_arrest = params[P.ARREST_PER_MIN] * n ** params[P.ARREST_SIZE_EXPONENT]
            cum_neu = rate_dig + rate_neu  # cumulative: the events' intervals on [0, total)
            cum_nk = cum_neu + rate_nk
            cum_shear = cum_nk + rate_shear
            total = cum_shear + rate_arrest
            if total <= 0.0:
                break
            u = uniform(seed, step, uid, _key(STREAM_CTC_WAIT, k, j))
            tau = -np.log(1.0 - u) / total
            if t + tau >= t_end:
                break
            t += tau
            c = _cover(c, k_cloak, c_max, tau)
            v = uniform(seed, step, uid, _key(STREAM_CTC_EVENT, k, j)) * total
            j += 1
            if v < rate_dig:
                end = DISSOCIATED
            elif v < cum_neu:
                neutrophils[r] += 1
            elif v < cum_nk:
                if v - cum_neu < n * k_nk * (1.0 - shield * c):  # thinning: accept
                    size[r] -= 1
                    if size[r] == 0:
                        end = KILLED_NK
            elif v < cum_shear:
                size[r] -= 1
                if size[r] == 0:
                    end = DIED
            elif to_site:  # the secondary site decides what follows
                end = ARRESTED
            else:
                p = outgrowth_probability(params, n, units.competence[r], neutrophils[r])
                u_seed = uniform(seed, step, uid, _key(STREAM_CTC_SEED, k, j))
                end = SEEDED if u_seed < p else ARRESTED_FAILED
        if end >= 0:
            break
        c = _cover(c, k_cloak, c_max, t_end - t)
        t = t_end
        k += 1
    units.platelets[r] = c
    units.age_min[r] += t - t_start
    if end < 0:
        return -1.0, -1
    units.fate[r] = end
    units.end_min[r] = time_min + t
    if end == DISSOCIATED:
        return t, k
    return -1.0, -1


(K_NEW, K_ENDED) = range(2)
N_COUNTS = 2 + len(CTC_FATES)
"""Length of :func:`circulate`'s counts: new singles, ended units, then one per fate code
(index ``2 + code``; the ``circulating`` entry stays 0)."""


@jit
def circulate(seed, step, dt_tissue_min, n_substeps, params, nk_on, platelet_inhibition,
              digoxin_effect, time_min, units, new_rows, ended_rows, to_site):
    """Advance every circulating unit of ``units`` (``CTCTable.Arrays``, updated in place) by
    ``dt_tissue_min`` in ``n_substeps`` blood substeps (rules and the exact event-driven
    scheme in the module docstring), in row order.

    Units with ``fate != CIRCULATING`` are skipped (their rows wait for release); a unit
    with ``shed_min`` inside the step starts at that time, one shed at or after the end of the
    step waits. Singles from a dissociation claim rows from the free list (last freed first,
    then the high-water mark: the caller makes room for all living cells of circulating
    clusters) and circulate from the moment of dissociation on.

    Args:
        time_min: time at the start of the step (min). nk_on: NK killing in the blood.
        to_site: arrested units end as ``arrested`` (a simulated secondary site takes them)
            instead of the outgrowth draw.
        platelet_inhibition, digoxin_effect: 0–1, the drugs' effects over the step.
        new_rows: int64 output, the rows of new singles, in creation order.
        ended_rows: int64 output, the rows that reached a fate this step (a dissociated
            cluster, then its singles that ended), in the order reached in row order.

    Returns:
        int64 ``[N_COUNTS]``: new singles, ended units, then ended units by fate code
        (``counts[2 + code]``).
    """
    u = units
    hwm = high_water_mark(u)
    counts = np.zeros(N_COUNTS, dtype=np.int64)
    rows = np.flatnonzero(u.alive[:hwm] & (u.fate[:hwm] == CIRCULATING))
    h = dt_tissue_min / n_substeps
    for r in rows:
        t0 = max(u.shed_min[r] - time_min, 0.0)
        if t0 >= dt_tissue_min:
            continue
        k0 = min(int(t0 / h), n_substeps - 1)
        t_d, k_d = _advance_unit(seed, step, r, t0, k0, n_substeps, dt_tissue_min, params,
                                 nk_on, platelet_inhibition, digoxin_effect, time_min, u,
                                 to_site)
        if u.fate[r] == CIRCULATING:
            continue
        ended_rows[counts[K_ENDED]] = r
        counts[K_ENDED] += 1
        counts[2 + u.fate[r]] += 1
        if t_d < 0.0:
            continue
        for i in range(u.size[r]):
            s = new_row(u)
            u.parent_id[s] = u.id[r]
            u.size[s] = 1
            u.size_shed[s] = u.size_shed[r]
            u.shed_min[s] = u.shed_min[r]
            u.shed_clock_h[s] = u.shed_clock_h[r]
            u.competence[s] = u.competence[r]
            u.anoikis_resistance[s] = u.anoikis_resistance[r]
            u.hypoxic[s] = u.hypoxic[r]
            u.platelets[s] = u.platelets[r]
            u.neutrophils[s] = u.neutrophils[r] if i == 0 else 0
            u.age_min[s] = u.age_min[r]
            u.fate[s] = CIRCULATING
            u.end_min[s] = np.nan
            new_rows[counts[K_NEW]] = s
            counts[K_NEW] += 1
            _advance_unit(seed, step, s, t_d, k_d, n_substeps, dt_tissue_min, params, nk_on,
                          platelet_inhibition, digoxin_effect, time_min, u, to_site)
            if u.fate[s] != CIRCULATING:
                ended_rows[counts[K_ENDED]] = s
                counts[K_ENDED] += 1
                counts[2 + u.fate[s]] += 1
    return counts


# ---------------------------------------------------------------------------- orchestration
EVENT_COLUMNS = ("id", "parent_id", "size", "size_shed", "shed_min", "shed_clock_h",
                 "competence", "anoikis_resistance", "hypoxic", "platelets", "neutrophils",
                 "age_min", "fate", "end_min")
"""Keys of :attr:`StepResult.ended` (the table's columns of the ended units)."""


@dataclass
class StepResult:
    """What one :meth:`Circulation.step` did.

    Attributes:
        ended_rows: int64 rows that reached a fate this step (for the event table and to
            remove Mesa agents), in the order reached. They stay readable until the next
            :meth:`Circulation.step` (which releases them first) or :meth:`Circulation.
            release`.
        ended: column (:data:`EVENT_COLUMNS`) → copies for ``ended_rows``: a metastatic
            seed (fate ``seeded``) is recorded with its size (living cells at arrest),
            escorts, time of shedding and clock phase; ``end_min`` is the arrest time.
        new_rows: int64 rows of singles from digoxin dissociation (add agents for them
            before removing those of ``ended_rows``: a new single may have ended already).
        counts: ``n_units``, ``n_cells``, ``n_clusters`` (size ≥ 2), ``n_singles``
            circulating after the step; ``n_new_singles``, ``n_ended`` and ``n_<fate>`` for
            each fate of :data:`CTC_FATES` reached this step.
    """

    ended_rows: np.ndarray
    ended: dict[str, np.ndarray]
    new_rows: np.ndarray
    counts: dict[str, int]


class Circulation:
    """The blood compartment: the CTC table and the per-step orchestration.

    Args:
        params: as from :func:`blood_params` (checked); None for the defaults.
        seed: the run's seed (all draws are keyed by it).
        capacity: initial rows (the table grows as needed).
    """

    def __init__(self, params: np.ndarray | None = None, seed: int = 0, capacity: int = 64):
        self.params = (default_params()[0] if params is None
                       else np.ascontiguousarray(params, dtype=np.float64).copy())
        check_params(self.params)
        self.seed = int(seed)
        self.table = CTCTable(capacity)

    def add_units(self, size, shed_min, shed_clock_h, competence, anoikis_resistance,
                  hypoxic=0.0, platelets=0.0, neutrophils=0) -> np.ndarray:
        """Shed units into the blood (vectorised; scalars broadcast); returns their rows.
        A unit starts circulating at ``shed_min`` (min); ``shed_clock_h`` is the body's
        clock time then (h); ``competence``, ``anoikis_resistance`` and ``hypoxic`` (share
        of members hypoxic when shed) are 0–1; ``platelets`` (0–1) and ``neutrophils`` the
        cloak and escorts it brings from the tissue."""
        return self.table.add(size, shed_min, shed_clock_h, competence, anoikis_resistance,
                              hypoxic, platelets, neutrophils)

    def release(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Free ``rows`` (default: every unit that has reached a fate); returns the rows
        freed. :meth:`step` calls it first, so ended rows stay readable between steps."""
        t = self.table
        h = t.hwm
        if rows is None:
            rows = np.flatnonzero(t.alive[:h] & (t.fate[:h] != CIRCULATING))
        rows = np.asarray(rows, dtype=np.int64)
        if np.any(~t.alive[rows]) or np.any(t.fate[rows] == CIRCULATING):
            raise ValueError("only live rows that reached a fate can be released")
        t.release(rows)
        return rows

    def step(self, step_index: int, dt_min: float, time_min: float, nk_on: bool = True,
             platelet_inhibition: float = 0.0, digoxin_effect: float = 0.0,
             n_substeps: int = 1, to_site: bool = False, arrest_factor: float = 1.0,
             neutrophil_depletion: float = 0.0) -> StepResult:
        """Release last step's ended units, then advance the circulating ones by ``dt_min``
        (from ``time_min``) in ``n_substeps`` blood substeps (:func:`circulate`).

        Args:
            step_index: the model's step (keys the draws). nk_on: NK killing in the blood.
            platelet_inhibition: 0–1, the antiplatelet effect (the share of a full cloak
                the platelets cannot form). digoxin_effect: 0–1, scales the dissociation hazard.
            to_site: arrested units end ``arrested`` for a secondary site to take.
            arrest_factor: ≥ 1, multiplies the arrest hazard (NETs at the secondary site).
            neutrophil_depletion: 0–1, the share of neutrophil attachment prevented.
        """
        for key, value in (("platelet_inhibition", platelet_inhibition),
                           ("digoxin_effect", digoxin_effect),
                           ("neutrophil_depletion", neutrophil_depletion)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} = {value!r}: must be in [0, 1]")
        if not 1.0 <= arrest_factor < np.inf:
            raise ValueError(f"arrest_factor = {arrest_factor!r}: must be finite and ≥ 1")
        params = self.params
        if arrest_factor != 1.0 or neutrophil_depletion != 0.0:
            params = params.copy()
            params[P.ARREST_PER_MIN] *= arrest_factor
            params[P.NEUTROPHIL_ATTACH_PER_MIN] *= 1.0 - neutrophil_depletion
        if not (dt_min > 0 and np.isfinite(dt_min)) or int(n_substeps) != n_substeps \
                or n_substeps < 1:
            raise ValueError(f"dt_min = {dt_min!r} must be > 0 and n_substeps = "
                             f"{n_substeps!r} a whole number ≥ 1")
        self.release()
        t = self.table
        h = t.hwm
        circulating = t.alive[:h] & (t.fate[:h] == CIRCULATING)
        n_new_max = 0
        if digoxin_effect > 0 and self.params[P.DIGOXIN_DISSOCIATION_PER_MIN] > 0:
            sizes = t.size[:h][circulating]
            n_new_max = int(sizes[sizes >= 2].sum())
        t.ensure_capacity(n_new_max)
        new_rows = np.empty(max(n_new_max, 1), dtype=np.int64)
        ended_rows = np.empty(int(circulating.sum()) + n_new_max + 1, dtype=np.int64)
        counts = circulate(self.seed, int(step_index), float(dt_min), int(n_substeps),
                           params, bool(nk_on), float(platelet_inhibition),
                           float(digoxin_effect), float(time_min), t.arrays(), new_rows,
                           ended_rows, bool(to_site))
        ended_rows = ended_rows[:counts[K_ENDED]].copy()
        summary = {"n_new_singles": int(counts[K_NEW]), "n_ended": int(counts[K_ENDED])}
        for name, code in CTC_FATES.items():
            if code != CIRCULATING:
                summary[f"n_{name}"] = int(counts[2 + code])
        return StepResult(ended_rows, {c: getattr(t, c)[ended_rows].copy()
                                       for c in EVENT_COLUMNS},
                          new_rows[:counts[K_NEW]].copy(), {**self.counts(), **summary})

    def counts(self) -> dict[str, int]:
        """Circulating units, their cells, clusters (size ≥ 2) and singles."""
        t = self.table
        h = t.hwm
        sizes = t.size[:h][t.alive[:h] & (t.fate[:h] == CIRCULATING)]
        return {"n_units": len(sizes), "n_cells": int(sizes.sum()),
                "n_clusters": int(np.count_nonzero(sizes >= 2)),
                "n_singles": int(np.count_nonzero(sizes == 1))}

    def snapshot(self) -> dict[str, np.ndarray]:
        """The table (keys ``ctc.*``), for checkpoints; ended rows not yet released are in
        it (alive, with their fate) and are released by the next step as usual."""
        return self.table.snapshot()

    @classmethod
    def from_snapshot(cls, snap: dict, params: np.ndarray | None = None,
                      seed: int = 0) -> Circulation:
        """Rebuild a compartment saved by :meth:`snapshot`; stepping it continues exactly."""
        circ = cls(params, seed)
        circ.table = CTCTable.from_snapshot(snap)
        return circ


def seeding_efficiency(records) -> dict[str, float]:
    """Metastatic seeds per shed unit, singles against clusters.

    Args:
        records: a :class:`CTCTable` (its live rows) or a mapping of arrays with at least
            ``parent_id``, ``size_shed`` and ``fate`` (e.g. the concatenated
            :attr:`StepResult.ended` of a run, plus the still circulating units if they
            should count as shed). A shed unit is a record with ``parent_id`` -1; singles
            from a dissociated cluster count towards the cluster (their ``size_shed`` is
            the cluster's), so digoxin's effect shows up per shed cluster.

    Returns:
        ``n_singles``, ``n_clusters`` (shed units), ``cells_singles``, ``cells_clusters``
        (shed cells), ``seeds_singles``, ``seeds_clusters``, ``per_single``,
        ``per_cluster`` (seeds per shed unit), ``per_cell`` (all seeds per shed cell) and
        ``ratio`` = per_cluster / per_single (NaN where undefined).
    """
    if isinstance(records, CTCTable):
        live = records.live_rows()
        get = {c: getattr(records, c)[live] for c in ("parent_id", "size_shed", "fate")}
    else:
        get = {c: np.asarray(records[c]) for c in ("parent_id", "size_shed", "fate")}
    shed = get["parent_id"] == -1
    seeded = get["fate"] == SEEDED
    cluster = get["size_shed"] >= 2
    out = {"n_singles": int(np.count_nonzero(shed & ~cluster)),
           "n_clusters": int(np.count_nonzero(shed & cluster)),
           "cells_singles": int(get["size_shed"][shed & ~cluster].sum()),
           "cells_clusters": int(get["size_shed"][shed & cluster].sum()),
           "seeds_singles": int(np.count_nonzero(seeded & ~cluster)),
           "seeds_clusters": int(np.count_nonzero(seeded & cluster))}
    with np.errstate(divide="ignore", invalid="ignore"):
        per_single = np.float64(out["seeds_singles"]) / out["n_singles"]
        per_cluster = np.float64(out["seeds_clusters"]) / out["n_clusters"]
        per_cell = np.float64(out["seeds_singles"] + out["seeds_clusters"]) / (
            out["cells_singles"] + out["cells_clusters"])
        ratio = per_cluster / per_single
    out.update(per_single=float(per_single), per_cluster=float(per_cluster),
               per_cell=float(per_cell), ratio=float(ratio))
    return out
