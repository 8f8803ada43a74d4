"""Blood compartment (abm/blood.py): each rule checked against its closed form or the claim it
stands for (docs/targets.md, "Circulating tumour cells"), not against the code's own output.

Statistical tolerances are 4 standard errors of the quantity tested (a false alarm about
once in 16 000 runs per check); every run is seeded, so the checks are also reproducible.
"""
from __future__ import annotations

import numpy as np
import pytest

from abm.circulation.blood import EVENT_COLUMNS, Circulation, seeding_efficiency
from abm.circulation.ctc_table import (ARRESTED_FAILED, CIRCULATING, CTC_FATES, DIED, DISSOCIATED,
                                       KILLED_NK, SEEDED)
from abm.circulation.params import PARAMETER_DOCS, blood_params, default_params
from abm.circulation.sections import BloodParam as P

DT = 6.0  # tissue step (min)
FAST_CLOAK = 1e9  # min⁻¹: coverage 1 from the first instant on


def _within(observed, expected, se, n_se=4.0):
    assert abs(observed - expected) <= n_se * se, (observed, expected, se)


def _binomial(count, n, p):
    """``count`` successes of ``n`` trials agree with probability ``p`` (4 SE)."""
    _within(count, n * p, np.sqrt(n * p * (1.0 - p)))


def _two_samples(x, n_x, y, n_y):
    """Two binomial counts agree with one common probability (4 SE of the difference)."""
    p = (x + y) / (n_x + n_y)
    _within(x / n_x - y / n_y, 0.0, np.sqrt(p * (1 - p) * (1 / n_x + 1 / n_y)))


def _shed_sizes(n_units, p_cluster=0.04, seed=2):
    """Shed units as the model sheds them: a cluster with probability ``p_cluster``, its size
    2 + Geometric(mean 2) (mostly 2–6 cells; Aceto et al. 2014)."""
    rng = np.random.default_rng(seed)
    sizes = np.ones(n_units, dtype=np.int64)
    clusters = rng.random(n_units) < p_cluster
    sizes[clusters] = 1 + rng.geometric(1.0 / 3.0, clusters.sum())
    return sizes


def _singles_and_clusters(n_singles, n_clusters, seed=2):
    """``n_singles`` singles, then ``n_clusters`` clusters of size 2 + Geometric(mean 2)."""
    clusters = 1 + np.random.default_rng(seed).geometric(1.0 / 3.0, n_clusters)
    return np.concatenate([np.ones(n_singles, dtype=np.int64), clusters])


def _run(params, batches, *, seed=1, dt=DT, n_substeps=1, nk_on=True, inhibition=0.0,
         digoxin=0.0, competence=1.0, resistance=0.0, escorts=0):
    """Shed ``batches[k]`` (unit sizes; ``escorts`` neutrophils already attached) at the
    start of step k, then step until no unit circulates. Returns the ended units' columns
    (concatenated), the per-step counts and the ids of the singles made by dissociation."""
    circ = Circulation(params, seed)
    events, counts, new_ids = [], [], []
    k = 0
    while k < len(batches) or circ.counts()["n_units"] > 0:
        if k < len(batches):
            rows = circ.add_units(batches[k], k * dt, 0.0, competence, resistance)
            circ.table.neutrophils[rows] = escorts
        result = circ.step(k, dt, k * dt, nk_on, inhibition, digoxin, n_substeps)
        events.append(result.ended)
        counts.append(result.counts)
        new_ids.append(circ.table.id[result.new_rows])
        k += 1
    return ({c: np.concatenate([e[c] for e in events]) for c in EVENT_COLUMNS}, counts,
            np.concatenate(new_ids))


def _fraction(ev, fate, mask=None):
    mask = np.ones(len(ev["fate"]), dtype=bool) if mask is None else mask
    return np.count_nonzero(ev["fate"][mask] == fate), np.count_nonzero(mask)


# ---------------------------------------------------------------------------- singles
@pytest.mark.parametrize("coverage", [0.0, 0.3, 1.0])
def test_singles_follow_the_competing_hazards_closed_form(coverage):
    """Coverage held at 0 (no cloaking), 1 (instant cloaking) or 0.3 (instant cloaking with
    a platelet inhibition of 0.7, which caps the cloak at 1 − 0.7): a single's arrest, NK
    lysis and shear/anoikis death are competing exponential hazards a, k(1 − s·c) and
    d(1 − p·AR), so P(each fate) = its hazard / H and the time in blood is Exp(H).
    Escorts attach at r up to the cap, independently: P(≥ j escorts at the end) = ρ^j,
    ρ = r/(r + H); an arrested single seeds with q·competence·(1 + g·escorts)."""
    r, cap, gain, q, comp, ar = 0.01, 2, 0.5, 0.3, 0.6, 0.4
    params = blood_params(cloak_per_min=FAST_CLOAK if coverage else 0.0,
                          neutrophil_attach_per_min=r, max_escorts=cap, neutrophil_gain=gain,
                          outgrowth=q)
    n = 40_000
    inhibition = 1.0 - coverage if coverage else 0.0
    ev, *_ = _run(params, [np.ones(n, dtype=np.int64)], competence=comp, resistance=ar,
                  inhibition=inhibition)
    assert len(ev["fate"]) == n and np.all(ev["parent_id"] == -1)
    a = params[P.ARREST_PER_MIN]
    nk = params[P.NK_KILL_PER_MIN] * (1 - params[P.PLATELET_SHIELD] * coverage)
    shear = params[P.SHEAR_DEATH_PER_MIN] * (1 - params[P.ANOIKIS_PROTECTION] * ar)
    total = a + nk + shear
    arrested = np.count_nonzero((ev["fate"] == SEEDED) | (ev["fate"] == ARRESTED_FAILED))
    _binomial(arrested, n, a / total)
    _binomial(_fraction(ev, KILLED_NK)[0], n, nk / total)
    _binomial(_fraction(ev, DIED)[0], n, shear / total)
    _within(ev["age_min"].mean(), 1 / total, 1 / total / np.sqrt(n))
    assert np.allclose(ev["end_min"] - ev["shed_min"], ev["age_min"])
    rho = r / (r + total)
    p_escorts = np.array([1 - rho, rho * (1 - rho), rho ** 2])
    for j in (1, 2):
        _binomial(np.count_nonzero(ev["neutrophils"] >= j), n, rho ** j)
    assert ev["neutrophils"].max() == cap
    p_seed = a / total * np.sum(p_escorts * q * comp * (1 + gain * np.arange(3)))
    _binomial(_fraction(ev, SEEDED)[0], n, p_seed)
    assert np.allclose(ev["platelets"], coverage)
    assert np.all(ev["size"][(ev["fate"] == KILLED_NK) | (ev["fate"] == DIED)] == 0)
    assert np.all(ev["size"][(ev["fate"] == SEEDED) | (ev["fate"] == ARRESTED_FAILED)] == 1)


def test_a_cloak_formed_before_a_platelet_inhibitor_dose_stays():
    """Inhibited platelets no longer coat, but the cloak a unit already has stays: coverage
    after one minute is 1 − exp(−k) and does not fall when the inhibition starts."""
    params = blood_params(arrest_per_min=0.0, shear_death_per_min=0.0, nk_kill_per_min=0.0,
                          neutrophil_attach_per_min=0.0)
    circ = Circulation(params, 1)
    circ.add_units(np.ones(10, dtype=np.int64), 0.0, 0.0, 1.0, 0.0)
    circ.step(0, 1.0, 0.0, True, 0.0, 0.0, 1)
    before = circ.table.platelets[circ.table.live_rows()].copy()
    assert np.allclose(before, 1.0 - np.exp(-params[P.CLOAK_PER_MIN]))
    circ.step(1, 6.0, 1.0, True, 0.9, 0.0, 1)
    assert np.array_equal(circ.table.platelets[circ.table.live_rows()], before)


# ---------------------------------------------------------------------------- clusters
def test_cluster_fates_follow_the_size_chain():
    """Clusters of 4 at full coverage: the living size m falls at D_m = m·(k(1 − s) +
    d·m^−α) and the cluster arrests at A_m = a·m^β; the arrest-size distribution, the seeded
    fraction Σ P(arrest at m)·(1 − (1 − q)^m) and the last-member causes follow the chain."""
    q = 0.2
    params = blood_params(cloak_per_min=FAST_CLOAK, neutrophil_attach_per_min=0.0,
                          outgrowth=q)
    n, m0 = 20_000, 4
    ev, *_ = _run(params, [np.full(n, m0, dtype=np.int64)])
    nk = params[P.NK_KILL_PER_MIN] * (1 - params[P.PLATELET_SHIELD])
    reach, arrest_at = 1.0, {}
    seeded = 0.0
    for m in range(m0, 0, -1):
        arrest = params[P.ARREST_PER_MIN] * m ** params[P.ARREST_SIZE_EXPONENT]
        loss = m * (nk + params[P.SHEAR_DEATH_PER_MIN] * m ** -params[P.CLUSTER_PROTECTION])
        arrest_at[m] = reach * arrest / (arrest + loss)
        seeded += arrest_at[m] * (1 - (1 - q) ** m)
        reach *= loss / (arrest + loss)
    # from a single survivor the last death is NK's with probability k(1 − s)/(k(1 − s) + d)
    p_nk = reach * nk / (nk + params[P.SHEAR_DEATH_PER_MIN])
    is_arrest = (ev["fate"] == SEEDED) | (ev["fate"] == ARRESTED_FAILED)
    for m, p in arrest_at.items():
        _binomial(np.count_nonzero(is_arrest & (ev["size"] == m)), n, p)
    _binomial(_fraction(ev, SEEDED)[0], n, seeded)
    _binomial(_fraction(ev, KILLED_NK)[0], n, p_nk)
    _binomial(_fraction(ev, DIED)[0], n, reach - p_nk)
    assert np.all(ev["size_shed"] == m0)


@pytest.mark.calibration
def test_clusters_seed_23_to_50_times_more_than_singles_with_defaults():
    """Aceto et al. 2014: clusters have 23–50× the metastatic potential of single CTCs.
    Shed units of the model's mix, competence 1, NK on, no drugs; with escorts off (the
    calibration case) and on (all defaults). Singles' half-life in blood (the median time to
    arrest or death) 25–30 min and clusters' 6–10 min (Aceto 2014)."""
    sizes = _singles_and_clusters(200_000, 20_000)
    for values in ({"max_escorts": 0}, {}):
        ev, *_ = _run(blood_params(**values), [sizes])
        eff = seeding_efficiency(ev)
        assert eff["n_singles"] == 200_000 and eff["n_clusters"] == 20_000
        assert eff["seeds_singles"] > 200  # enough seeds for a ratio
        assert 23.0 <= eff["ratio"] <= 50.0, (values, eff)
        single = ev["size_shed"] == 1
        assert 25.0 <= np.median(ev["age_min"][single]) <= 30.0
        assert 6.0 <= np.median(ev["age_min"][~single]) <= 10.0
        assert np.mean(ev["fate"][single] == DIED) + np.mean(ev["fate"][single] == KILLED_NK) > 0.85
    assert not np.any(ev["fate"] == DISSOCIATED)


# ---------------------------------------------------------------------------- platelets, NK
@pytest.mark.calibration
def test_platelet_inhibition_lowers_seeding_only_when_nk_cells_kill():
    """Nieswandt et al. 1999: platelets shield CTCs from NK lysis, so platelet inhibition
    lowers seeding with NK killing on, and with it off changes no fate at all (the coverage
    acts only on NK lysis; the draws are the same)."""
    sizes = _shed_sizes(100_000)
    seeds = {}
    for inhibition in (0.0, 1.0):
        ev, *_ = _run(blood_params(), [sizes], inhibition=inhibition)
        seeds[inhibition] = np.count_nonzero(ev["fate"] == SEEDED)
    assert seeds[1.0] < seeds[0.0] - 4 * np.sqrt(seeds[0.0] + seeds[1.0]), seeds
    small = _shed_sizes(20_000)
    off = [_run(blood_params(), [small], nk_on=False, inhibition=i)[0] for i in (0.0, 1.0)]
    for column in EVENT_COLUMNS:
        if column != "platelets":
            assert np.array_equal(off[0][column], off[1][column], equal_nan=True), column
    assert np.all(off[1]["platelets"] == 0.0) and off[0]["platelets"].mean() > 0.9
    assert not np.any(off[0]["fate"] == KILLED_NK)


# ---------------------------------------------------------------------------- neutrophils
def test_neutrophil_escorts_raise_seeding():
    """Szczerba et al. 2019: neutrophil-escorted CTCs seed more. Gain 0 against the default
    gain with the same draws: every unit's fate is the same except that some arrested units
    now seed (none the other way), as many as Σ over arrested units of the rise of their
    outgrowth probability (each seeds iff its draw falls between the two)."""
    sizes = _shed_sizes(100_000)
    base, *_ = _run(blood_params(neutrophil_gain=0.0), [sizes])
    params = blood_params()
    escorted, *_ = _run(params, [sizes])
    assert np.array_equal(base["id"], escorted["id"])
    assert np.array_equal(base["neutrophils"], escorted["neutrophils"])
    gained = (escorted["fate"] == SEEDED) & (base["fate"] == ARRESTED_FAILED)
    assert np.array_equal(escorted["fate"] == SEEDED, (base["fate"] == SEEDED) | gained)
    arrested = (base["fate"] == SEEDED) | (base["fate"] == ARRESTED_FAILED)
    q = params[P.OUTGROWTH]
    g = params[P.NEUTROPHIL_GAIN]
    size, esc = base["size"][arrested], base["neutrophils"][arrested]
    rise = (1 - (1 - np.minimum(q * (1 + g * esc), 1)) ** size) - (1 - (1 - q) ** size)
    p = rise[rise > 0]
    assert gained.sum() > 20
    _within(gained.sum(), p.sum(), np.sqrt(np.sum(p * (1 - p))))
    assert np.mean(base["neutrophils"] > 0) > 0.1  # escorts are common enough to matter


# ---------------------------------------------------------------------------- digoxin
def test_digoxin_dissociates_clusters_into_singles():
    """Clusters of 3 with no death: P(dissociate before arrest) = h/(h + a·3^β) at full
    digoxin effect; each dissociation makes 3 singles that carry the cluster's id as parent,
    its shed size, time, clock phase, competence and resistance; the first takes the escorts."""
    params = blood_params(nk_kill_per_min=0.0, shear_death_per_min=0.0,
                          neutrophil_attach_per_min=0.0)
    n = 20_000
    ev, _, new = _run(params, [np.full(n, 3)], seed=4, dt=60.0, digoxin=1.0, competence=0.7,
                      resistance=0.2, escorts=2)
    clusters = ev["parent_id"] == -1
    dissociated = ev["id"][clusters & (ev["fate"] == DISSOCIATED)]
    h = params[P.DIGOXIN_DISSOCIATION_PER_MIN]
    _binomial(len(dissociated), n, h / (h + params[P.ARREST_PER_MIN] * 3 ** params[
        P.ARREST_SIZE_EXPONENT]))
    daughters = ~clusters
    assert np.array_equal(np.sort(new), np.sort(ev["id"][daughters]))
    assert np.array_equal(np.unique(ev["parent_id"][daughters], return_counts=True)[0],
                          np.sort(dissociated))
    assert np.all(np.unique(ev["parent_id"][daughters], return_counts=True)[1] == 3)
    assert np.all(ev["size_shed"] == 3) and np.all(ev["size"][daughters] == 1)
    for column, value in (("shed_min", 0.0), ("shed_clock_h", 0.0), ("competence", 0.7),
                          ("anoikis_resistance", 0.2)):
        assert np.all(ev[column] == value), column
    order = np.lexsort((ev["id"][daughters], ev["parent_id"][daughters]))
    escorts = ev["neutrophils"][daughters][order].reshape(-1, 3)
    assert np.all(escorts == [2, 0, 0])
    assert np.all(ev["fate"][daughters] != DISSOCIATED)


@pytest.mark.calibration
def test_digoxin_lowers_the_cluster_fraction_and_seeding():
    """Gkountela et al. 2019, Kurzeder et al. 2025: digoxin dissociates CTC clusters. Full
    digoxin effect lowers the fraction of circulating units that are clusters and the seeds
    per shed cluster (the singles it makes mostly die before they arrest), so the seeds per
    shed cell; shed singles are untouched (their draws and fates are the same)."""
    sizes = _singles_and_clusters(20_000, 20_000)
    out = {}
    for digoxin in (0.0, 1.0):
        ev, counts, _ = _run(blood_params(), [sizes], digoxin=digoxin)
        fraction = sum(c["n_clusters"] for c in counts) / sum(c["n_units"] for c in counts)
        shed_singles = (ev["parent_id"] == -1) & (ev["size_shed"] == 1)
        order = np.argsort(ev["id"][shed_singles])
        out[digoxin] = (fraction, seeding_efficiency(ev),
                        {c: ev[c][shed_singles][order] for c in EVENT_COLUMNS})
    (f0, e0, singles0), (f1, e1, singles1) = out[0.0], out[1.0]
    assert f1 < 0.5 * f0, (f0, f1)
    for column in EVENT_COLUMNS:
        assert np.array_equal(singles0[column], singles1[column]), column
    s0, s1 = e0["seeds_clusters"], e1["seeds_clusters"]
    assert s1 < s0 - 4 * np.sqrt(s0 + s1), (s0, s1)
    assert e1["per_cell"] < e0["per_cell"]
    assert e0["cells_clusters"] == e1["cells_clusters"] and e0["n_clusters"] == 20_000


# ---------------------------------------------------------------------------- time steps
def test_halving_the_blood_step_keeps_the_statistics():
    """The blood step is exact in continuous time: 1 or 2 substeps of a 6-min tissue step
    and 8 substeps of a 12-min one give the same fate fractions, seeded fraction and mean
    time to arrest (independent seeds; two-sample 4-SE checks)."""
    sizes = _shed_sizes(60_000)
    runs = {}
    for seed, (dt, n_sub) in enumerate(((DT, 1), (DT, 2), (2 * DT, 8)), start=1):
        runs[(dt, n_sub)], *_ = _run(blood_params(), [sizes], seed=seed, dt=dt,
                                    n_substeps=n_sub)
    ref = runs[(DT, 1)]
    shed_ref = ref["parent_id"] == -1
    for ev in runs.values():
        shed = ev["parent_id"] == -1
        assert shed.sum() == len(sizes)
        for code in CTC_FATES.values():
            if code != CIRCULATING:
                _two_samples(*_fraction(ref, code, shed_ref), *_fraction(ev, code, shed))
        arrest = [(e["fate"] == SEEDED) | (e["fate"] == ARRESTED_FAILED) for e in (ref, ev)]
        times = [e["end_min"][a] - e["shed_min"][a] for e, a in zip((ref, ev), arrest)]
        se = np.sqrt(sum(t.var() / len(t) for t in times))
        _within(times[0].mean() - times[1].mean(), 0.0, se)


def test_units_start_at_their_shedding_time():
    """A unit shed inside a step circulates from then on; one shed at the end waits."""
    params = blood_params(arrest_per_min=0.0, shear_death_per_min=0.0,
                          neutrophil_attach_per_min=0.0)
    circ = Circulation(params, seed=3)
    rows = circ.add_units([1, 3, 1], [100.0 + 2.5, 100.0 + DT, 100.0], 0.0, 1.0, 0.0)
    circ.step(7, DT, 100.0, nk_on=False)
    assert np.allclose(circ.table.age_min[rows], [DT - 2.5, 0.0, DT])
    assert np.allclose(circ.table.platelets[rows], 1 - np.exp(-np.array([DT - 2.5, 0.0, DT])))


# ---------------------------------------------------------------------------- bookkeeping
def _scenario(seed, n_steps=40, resume_at=None):
    """Steady shedding with clusters, escorts, digoxin and platelet inhibition; returns the
    final snapshot and every ended unit's columns."""
    params = blood_params()
    circ = Circulation(params, seed)
    rng = np.random.default_rng(0)
    events = []
    for k in range(n_steps):
        if k == resume_at:
            circ = Circulation.from_snapshot(circ.snapshot(), params, seed)
        sizes = _shed_sizes(300, p_cluster=0.2, seed=k)
        circ.add_units(sizes, k * DT + rng.random(len(sizes)) * DT, (k * DT / 60) % 24,
                       rng.random(len(sizes)), rng.random(len(sizes)))
        result = circ.step(k, DT, k * DT, True, 0.3, 0.5, 2)
        events.append(result.ended)
        _check_invariants(circ, result)
    return circ.snapshot(), {c: np.concatenate([e[c] for e in events]) for c in EVENT_COLUMNS}


def _check_invariants(circ, result):
    t = circ.table
    live = t.live_rows()
    assert len(np.unique(t.id[live])) == len(live)
    assert np.all(t.fate[result.ended_rows] != CIRCULATING)
    assert not np.isnan(t.end_min[result.ended_rows]).any()
    circulating = live[t.fate[live] == CIRCULATING]
    assert np.isnan(t.end_min[circulating]).all() and np.all(t.size[circulating] >= 1)
    counts = circ.counts()
    assert counts["n_units"] == len(circulating) == result.counts["n_units"]
    assert counts["n_cells"] == t.size[circulating].sum()
    assert result.counts["n_ended"] == len(result.ended_rows) == sum(
        result.counts[f"n_{name}"] for name in CTC_FATES if name != "circulating")


def test_same_seed_same_run_other_seed_differs_and_resume_is_exact():
    snap_a, ev_a = _scenario(seed=1)
    snap_b, ev_b = _scenario(seed=1)
    snap_r, ev_r = _scenario(seed=1, resume_at=20)
    assert snap_a.keys() == snap_b.keys() == snap_r.keys()
    for other_snap, other_ev in ((snap_b, ev_b), (snap_r, ev_r)):
        for key in snap_a:
            assert np.array_equal(snap_a[key], other_snap[key], equal_nan=True), key
        for column in EVENT_COLUMNS:
            assert np.array_equal(ev_a[column], other_ev[column], equal_nan=True), column
    assert np.count_nonzero(ev_a["fate"] == DISSOCIATED) > 10
    assert np.count_nonzero(ev_a["fate"] == SEEDED) > 0
    _, ev_c = _scenario(seed=2)
    assert not np.array_equal(ev_a["fate"][:500], ev_c["fate"][:500])


def test_ended_rows_stay_readable_until_the_next_step_then_are_reused():
    params = blood_params(arrest_per_min=1e6)  # every unit arrests at once
    circ = Circulation(params, seed=1)
    rows = circ.add_units([1, 2, 1], 0.0, 0.0, 1.0, 0.0)
    result = circ.step(0, DT, 0.0)
    assert sorted(result.ended_rows) == sorted(rows)
    assert np.all(circ.table.alive[rows]) and np.all(circ.table.fate[rows] != CIRCULATING)
    assert np.array_equal(result.ended["id"], circ.table.id[result.ended_rows])
    new = circ.add_units([1], DT, 0.0, 1.0, 0.0)  # ended rows are not reused before release
    assert new[0] == 3
    circ.step(1, DT, DT)
    assert not circ.table.alive[rows].any()
    again = circ.add_units([1, 1], 2 * DT, 0.0, 1.0, 0.0)
    assert set(again) <= set(rows) | {3}  # freed rows are reused, ids are not
    assert circ.table.id[again].min() == 4
    with pytest.raises(ValueError, match="reached a fate"):
        circ.release(again)


def test_parameters_documented_and_checked():
    params, docs = default_params()
    assert list(docs) == [p.name.lower() for p in P] and docs == PARAMETER_DOCS
    for name, (value, unit, source) in docs.items():
        assert value == params[P[name.upper()]] and unit and len(source) > 20, name
    with pytest.raises(ValueError, match=r"blood\.params\.platelet_shield = 1\.5"):
        blood_params(platelet_shield=1.5)
    with pytest.raises(ValueError, match=r"blood\.params\.nonsense"):
        blood_params(nonsense=1.0)
    with pytest.raises(ValueError, match=r"blood\.params\.max_escorts = 1\.5"):
        blood_params(max_escorts=1.5)
    with pytest.raises(ValueError, match="competence"):
        Circulation().add_units([1], 0.0, 0.0, 1.5, 0.0)
    with pytest.raises(ValueError, match="digoxin_effect"):
        Circulation().step(0, DT, 0.0, digoxin_effect=2.0)
