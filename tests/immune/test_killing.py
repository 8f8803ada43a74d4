"""Immune killing (abm/immune/killing.py, damage.py): each rule against its closed form —
hit accumulation and decay, Poisson hits per contact, the cooperative kill probability, the
dysfunction chain and the distribution of NK killing capacity — never against the code's
own output.

Statistical tolerances are 4 standard errors (a false alarm about once in 16 000 runs per
check); every run is seeded, so the checks are also reproducible.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.linalg import expm

from abm.immune.damage import DamageModel, damage_decay_min, decay_damage
from abm.immune.killing import FIXED, FUNCTIONAL, PLASTIC
from abm.immune.layer import HIT_EVENT_COLUMNS, KILL_EVENT_COLUMNS, ImmuneLayer
from abm.immune.params import default_params, params_from_mapping
from abm.immune.sections import PARAM_NAMES
from abm.tumor.cells import CD8, DORMANT, NK, PROLIFERATING, SENESCENT, CellTable

from .tumour import Tumour

DT = 6.0


def _within(observed, expected, se, n_se=4.0):
    assert abs(observed - expected) <= n_se * se, (observed, expected, se)


def _params(kind="cd8", **values):
    """Default (params, recognition) with ``name=value`` set for ``kind``."""
    return params_from_mapping({kind: dict(values)})


def _value(params, kind, name):
    return params[kind - 1, PARAM_NAMES.index(name)]


def _pairs(n_side, spacing=4, margin=1):
    """Sites ``spacing`` apart: each target has only its own partners in contact reach."""
    ys, xs = np.mgrid[margin:margin + spacing * n_side:spacing,
                      margin:margin + spacing * n_side:spacing]
    return xs.ravel(), ys.ravel(), (spacing * n_side + 2 * margin,) * 2


# ---------------------------------------------------------------------------- damage
@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_decay_time_puts_n_hits_at_the_lethal_interval_on_the_lethal_level(n):
    """n hits Δ apart leave Σ_{i<n} x^i, x = exp(−Δ/τ), which must equal n − 0.5: checked
    with the polynomial's root from numpy (n = 3: x = (√7 − 1)/2)."""
    roots = np.roots([1.0] * (n - 1) + [1.0 - (n - 0.5)])
    x = roots[(abs(roots.imag) < 1e-12) & (roots.real > 0) & (roots.real < 1)].real
    assert len(x) == 1
    assert damage_decay_min(n, 50.0) == pytest.approx(50.0 / np.log(1.0 / x[0]), rel=1e-10)
    if n == 3:
        assert x[0] == pytest.approx((np.sqrt(7.0) - 1.0) / 2.0, rel=1e-12)


def _damage_after_spaced_hits(interval_min, n_hits, model, dt=1.0):
    """Damage of one cell just after the n-th of hits ``interval_min`` apart (decay applied
    in steps of ``dt`` by ``decay_damage``), and the step of each recovery seen."""
    table = CellTable(capacity=16)
    table.add(np.zeros(1, np.int32), np.zeros(1, np.int32), phase=PROLIFERATING, birth_min=0.0)
    ids = np.empty(1, dtype=np.int64)
    decay = np.exp(-dt / model.decay_min)
    steps = round(interval_min / dt)
    for i in range(n_hits):
        if i:
            for _ in range(steps):
                assert decay_damage(table.arrays(), decay, model.recovered_below_hits, ids) == 0
        table.immune_damage[0] += 1.0
    return table.immune_damage[0]


@pytest.mark.parametrize("interval", [10.0, 45.0, 49.0, 51.0, 60.0, 120.0])
def test_three_hits_kill_only_when_less_than_50_min_apart(interval):
    """Weigelin et al. 2021: 3 hits with intervals below 50 min kill, longer ones do not.
    The damage after the third hit is 1 + x + x² exactly (x = exp(−Δ/τ))."""
    model = DamageModel()
    damage = _damage_after_spaced_hits(interval, 3, model)
    x = np.exp(-interval / model.decay_min)
    assert damage == pytest.approx(1.0 + x + x * x, rel=1e-12)
    assert (damage >= model.lethal) == (interval < 50.0)
    assert _damage_after_spaced_hits(0.0, 2, model) < model.lethal  # two hits never kill


def test_one_hit_recovers_after_tau_ln_of_its_damage_over_the_recovery_level():
    """A lone hit decays as exp(−t/τ) and is recovered (reset to 0, one event) in the first
    step where it is below recovered_below_hits: t = τ·ln(1/0.1)."""
    model = DamageModel()
    table = CellTable(capacity=16)
    table.add(np.zeros(2, np.int32), np.zeros(2, np.int32), phase=PROLIFERATING, birth_min=0.0)
    table.immune_damage[:2] = [1.0, 0.0]
    ids = np.empty(2, dtype=np.int64)
    decay = np.exp(-DT / model.decay_min)
    expected_step = int(np.ceil(model.decay_min * np.log(1.0 / model.recovered_below_hits) / DT))
    for step in range(1, expected_step + 5):
        n = decay_damage(table.arrays(), decay, model.recovered_below_hits, ids)
        if step < expected_step:
            assert n == 0
            assert table.immune_damage[0] == pytest.approx(np.exp(-step * DT / model.decay_min))
        elif step == expected_step:
            assert n == 1 and ids[0] == table.id[0] and table.immune_damage[0] == 0.0
        else:
            assert n == 0  # recovered once; the undamaged cell never


# ---------------------------------------------------------------------------- hits
def _contact_trial(kind=CD8, phase=PROLIFERATING, pdl1=0.0, mhc1=1.0, blockade=0.0,
                   kills=0, n_side=50, seed=11, **values):
    """2500 isolated immune–tumour pairs on one site each, immediate attachment, no
    movement, damage per hit 0 (no target dies), no capacity cap (an NK cell that drew 0
    would never attach): the hits delivered in one 60-min contact."""
    params, rec = _params("cd8" if kind == CD8 else "nk", speed_um_per_min=0.0,
                          attach_per_min=1e9, detach_min=60.0, lifetime_min=np.inf,
                          hit_damage=0.0, capacity_mean=np.inf, **values)
    xs, ys, shape = _pairs(n_side)
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed)
    rows = layer.place(kind, xs, ys)
    layer.table.kills[rows] = kills
    tumour = Tumour(shape, xs, ys, phase=phase, pdl1=pdl1, mhc1=mhc1)
    hit_rows = []
    for k in range(11):  # attach in step 0, hits in steps 1..10 (60 min), detach at 60 min
        result = tumour.step(layer, k, DT, blockade=blockade)
        hit_rows.append(result.hit_events)
    assert layer.counts()["n_engaged"] == 0 and tumour.alive.all()
    return layer.table.hits[rows], params, rec, hit_rows


@pytest.mark.parametrize("kind, phase, pdl1, mhc1, blockade, kills", [
    (CD8, PROLIFERATING, 0.0, 1.0, 0.0, 0), (CD8, PROLIFERATING, 0.6, 1.0, 0.0, 0),
    (CD8, PROLIFERATING, 0.6, 1.0, 1.0, 0), (CD8, DORMANT, 0.0, 0.5, 0.0, 0),
    (CD8, PROLIFERATING, 0.0, 0.1, 0.0, 0), (NK, PROLIFERATING, 0.6, 0.2, 0.0, 0),
    (NK, DORMANT, 0.0, 1.0, 0.0, 0), (NK, SENESCENT, 0.5, 1.5, 0.0, 0),
    (NK, PROLIFERATING, 0.0, 1.0, 0.0, 2)])
def test_hits_in_a_contact_are_poisson_at_the_documented_rate(kind, phase, pdl1, mhc1,
                                                              blockade, kills):
    """Hits in 60 min of contact ~ Poisson(h·60), h = hit·ρ·(1 − brake·s)·slowdown^kills,
    ρ = recognition[phase]·(1 − w + w·MHC-I), s = (1 − blockade)·p/(K + p): the mean within
    4 SE and the whole distribution by a χ² test (p > 1e-4)."""
    hits, params, rec, _ = _contact_trial(kind, phase, pdl1, mhc1, blockade, kills,
                                          hit_per_min=0.05)
    w = _value(params, kind, "mhc1_dependence")
    rho = rec[kind - 1, phase] * (1 - w + w * mhc1)
    s = (1 - blockade) * pdl1 / (_value(params, kind, "pdl1_k") + pdl1)
    mean = (0.05 * rho * (1 - _value(params, kind, "pdl1_brake") * s)
            * _value(params, kind, "serial_slowdown") ** kills * 60.0)
    _within(hits.mean(), mean, np.sqrt(mean / len(hits)))
    top = max(3, int(stats.poisson.ppf(0.999, mean)))
    observed = np.bincount(np.minimum(hits, top), minlength=top + 1)
    expected = stats.poisson.pmf(np.arange(top + 1), mean) * len(hits)
    expected[top] = stats.poisson.sf(top - 1, mean) * len(hits)
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


def test_dormant_cells_are_hit_less_through_their_mhc1_and_pdl1_blockade_restores_hits():
    means = {}
    for label, phase, pdl1, mhc1, blockade in (("plain", PROLIFERATING, 0.0, 1.0, 0.0),
                                               ("dormant", DORMANT, 0.0, 0.5, 0.0),
                                               ("pdl1", PROLIFERATING, 0.6, 1.0, 0.0),
                                               ("blocked", PROLIFERATING, 0.6, 1.0, 1.0)):
        means[label] = _contact_trial(CD8, phase, pdl1, mhc1, blockade, hit_per_min=0.05)[0].mean()
    se = np.sqrt(3.0 / 2500)  # Poisson SE of a mean of 3 hits
    assert means["dormant"] < means["plain"] - 10 * se
    assert means["pdl1"] < means["plain"] - 10 * se
    _within(means["blocked"], means["plain"], np.sqrt(2) * se)


# ---------------------------------------------------------------------------- kills
def _cooperative_trial(m, hit_per_min, n_targets=1600, seed=21):
    """``m`` CD8 cells around each isolated target (no decay: lethal interval 1e6 min),
    immediate attachment, one 60-min contact: the targets killed, the kill and hit events."""
    params, rec = _params(speed_um_per_min=0.0, attach_per_min=1e9, detach_min=60.0,
                          lifetime_min=np.inf, hit_per_min=hit_per_min)
    n_side = int(np.sqrt(n_targets))
    xs, ys, shape = _pairs(n_side, margin=2)
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed,
                        DamageModel(lethal_hit_interval_min=1e6))
    neighbours = [(0, 0), (1, 0), (0, 1)][:m]
    for dx, dy in neighbours:
        layer.place(CD8, xs + dx, ys + dy)
    tumour = Tumour(shape, xs, ys)
    kills, hits = [], []
    for k in range(11):
        result = tumour.step(layer, k, DT)
        kills.append(result.kill_events)
        hits.append(result.hit_events)
    return tumour, _joined(kills), _joined(hits)


def _joined(events: list[dict]) -> dict:
    """One step's event columns after another, as one table."""
    return {c: np.concatenate([e[c] for e in events]) for c in events[0]}


@pytest.mark.parametrize("m", [1, 2, 3])
def test_cooperative_kill_probability_is_that_of_three_poisson_hits(m):
    """Without decay, a target dies at its 3rd hit (damage 3 ≥ 2.5): with m cells hitting
    at rate h each for 60 min, P(death) = P(Poisson(m·h·60) ≥ 3) (Halle et al. 2016: more
    contacts raise the death probability). Kills and hits are in the event tables, and with
    m ≥ 2 killed targets carry hits from several cells."""
    h = 0.02
    tumour, kills, hits = _cooperative_trial(m, h)
    p = stats.poisson.sf(2, m * h * 60.0)
    n = tumour.n
    dead = np.count_nonzero(~tumour.alive)
    _within(dead, n * p, np.sqrt(n * p * (1 - p)))
    assert set(kills) == set(KILL_EVENT_COLUMNS) and set(hits) == set(HIT_EVENT_COLUMNS)
    assert sorted(kills["target_id"]) == sorted(tumour.id[~tumour.alive])
    lethal = hits["lethal"]
    assert np.array_equal(np.sort(hits["target_id"][lethal]), np.sort(kills["target_id"]))
    per_target = {t: hits["hits"][hits["target_id"] == t].sum() for t in kills["target_id"]}
    assert all(total == 3 for total in per_target.values())  # hits past the lethal one uncounted
    hitters = [len(set(hits["immune_id"][hits["target_id"] == t])) for t in kills["target_id"]]
    assert (max(hitters) >= 2) == (m >= 2) and max(hitters) <= m


def test_more_contacts_kill_more():
    dead = [np.mean(~_cooperative_trial(m, 0.02)[0].alive) for m in (1, 2, 3)]
    assert dead[0] < dead[1] < dead[2]


def test_no_cell_kills_more_than_its_drawn_capacity():
    """Targets everywhere, lethal hits at once: each cell kills exactly its capacity (a
    negative binomial draw at entry) and then never attaches again."""
    shape = (40, 40)
    ys, xs = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
    tumour = Tumour(shape, xs, ys)
    params, rec = params_from_mapping({kind: {"speed_um_per_min": 5.0, "attach_per_min": 1e9,
                                              "hit_per_min": 1e3, "hit_damage": 3.0,
                                              "capacity_mean": 2.0, "capacity_shape": 1.0,
                                              "lifetime_min": np.inf}
                                       for kind in ("cd8", "nk")})
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed=2)
    layer.place(CD8, np.arange(5, 35, 2), np.full(15, 20))
    layer.place(NK, np.arange(5, 35, 2), np.full(15, 10))
    t = layer.table
    live = t.live_rows()
    assert len(np.unique(t.kill_capacity[live])) > 1  # drawn, not one value
    for k in range(100):
        result = tumour.step(layer, k, DT)
        assert np.all(t.kills[live] <= t.kill_capacity[live])
    assert np.array_equal(t.kills[live], t.kill_capacity[live]) and result.counts["n_engaged"] == 0


# ---------------------------------------------------------------------------- capacity
def test_nk_capacity_is_negative_binomial_with_about_half_zero():
    """Capacities of 20 000 NK cells follow NB(mean μ, shape κ) (scipy's nbinom(κ, κ/(κ+μ))):
    each of the first probabilities within 4 SE; by default P(0) = (κ/(κ+μ))^κ ≈ 0.45, the
    'about half kill none' of Vanherberghen et al. 2013 before any encounter counts."""
    params, rec = default_params()[:2]
    shape = (200, 100)
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed=8)
    ys, xs = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
    rows = layer.place(NK, xs, ys)
    capacity = layer.table.kill_capacity[rows]
    mu, kappa = _value(params, NK, "capacity_mean"), _value(params, NK, "capacity_shape")
    law = stats.nbinom(kappa, kappa / (kappa + mu))
    n = len(capacity)
    for j in range(8):
        p = law.pmf(j)
        _within(np.count_nonzero(capacity == j), n * p, np.sqrt(n * p * (1 - p)))
    assert 0.4 < law.pmf(0) < 0.5
    assert np.isinf(_value(params, CD8, "capacity_mean"))  # CD8 cells: no cap is drawn


# ---------------------------------------------------------------------------- dysfunction
def _chain_step(a, b, c, dt):
    """One step of the documented chain (F, P, X): F → P with probability 1 − e^(−a·dt); from
    P, back (b) or on (c) with total probability 1 − e^(−(b+c)·dt) split b : c."""
    pf = 1 - np.exp(-a * dt)
    pp = 1 - np.exp(-(b + c) * dt)
    back, on = (pp * b / (b + c), pp * c / (b + c)) if b + c > 0 else (0.0, 0.0)
    return np.array([[1 - pf, pf, 0.0], [back, 1 - back - on, on], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("pdl1, blockade", [(0.0, 0.0), (0.6, 0.0), (0.6, 0.9)])
def test_dysfunction_follows_the_functional_plastic_fixed_chain(pdl1, blockade):
    """CTLs held in contact with targets that never die: the shares functional / plastic /
    fixed follow the chain with F → P at ρ(1 + drive·s)/A, P → F at r·blockade, P → X at
    1/T (per min), within 4 binomial SE at every checkpoint; and the chain itself is
    within 0.01 of the continuous-time solution expm(Q·t)."""
    a_h, t_d, r_d = 3.0, 0.25, 8.0  # fast, so that 2 days of steps show the whole course
    params, rec = _params(speed_um_per_min=0.0, attach_per_min=1e9, detach_min=np.inf,
                          lifetime_min=np.inf, hit_damage=0.0, antigen_to_plastic_h=a_h,
                          plastic_to_fixed_d=t_d, reinvigoration_per_d=r_d)
    xs, ys, shape = _pairs(70, spacing=2, margin=0)
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed=5)
    rows = layer.place(CD8, xs, ys)
    tumour = Tumour(shape, xs, ys, pdl1=pdl1)
    s = (1 - blockade) * pdl1 / (_value(params, CD8, "pdl1_k") + pdl1)
    a = (1 + _value(params, CD8, "pd1_drive") * s) / (a_h * 60.0)
    b, c = r_d * blockade / 1440.0, 1.0 / (t_d * 1440.0)
    step = _chain_step(a, b, c, DT)
    generator = np.array([[-a, a, 0.0], [b, -b - c, c], [0.0, 0.0, 0.0]])
    share = np.array([1.0, 0.0, 0.0])
    n = len(rows)
    tumour.step(layer, 0, DT, blockade=blockade)  # attach: no stimulation yet
    assert np.all(layer.table.dysfunction[rows] == FUNCTIONAL)
    for k in range(1, 481):
        tumour.step(layer, k, DT, blockade=blockade)
        share = share @ step
        if k % 60 == 0:
            state = layer.table.dysfunction[rows]
            for code in (FUNCTIONAL, PLASTIC, FIXED):
                p = share[code]
                _within(np.count_nonzero(state == code), n * p, np.sqrt(n * p * (1 - p)) + 1e-9)
            exact = np.array([1.0, 0.0, 0.0]) @ expm(generator * k * DT)
            assert np.abs(share - exact).max() < 0.01
    assert np.all(layer.table.antigen_min[rows] == pytest.approx(480 * DT))
    assert np.allclose(layer.table.pd1_min[rows], 480 * DT * s)


def test_dysfunction_slows_hits():
    """A plastic cell hits at plastic_function × the rate, a fixed one at fixed_function ×
    (Poisson means within 4 SE). (The same factor on chemotaxis is in ``move``; the walk's
    drift against χ is tested in test_immune.py.)"""
    for state, name in ((PLASTIC, "plastic_function"), (FIXED, "fixed_function")):
        params, rec = _params(speed_um_per_min=0.0, attach_per_min=1e9, detach_min=60.0,
                              lifetime_min=np.inf, hit_damage=0.0, hit_per_min=0.1,
                              antigen_to_plastic_h=np.inf, plastic_to_fixed_d=np.inf)
        xs, ys, shape = _pairs(50)
        layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed=3)
        rows = layer.place(CD8, xs, ys)
        layer.table.dysfunction[rows] = state
        tumour = Tumour(shape, xs, ys)
        for k in range(11):
            tumour.step(layer, k, DT)
        mean = 0.1 * _value(params, CD8, name) * 60.0
        hits = layer.table.hits[rows]
        _within(hits.mean(), mean, np.sqrt(mean / len(hits)))
