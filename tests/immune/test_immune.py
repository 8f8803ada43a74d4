"""Immune layer (abm/immune): each rule checked against its closed form, not against the
code's own output.

Statistical tolerances are 4 standard errors of the quantity tested (a false alarm about
once in 16 000 runs per check); every run is seeded, so the checks are also reproducible.
"""
from __future__ import annotations

import mesa
import numpy as np
import pytest

from abm.core.agents import AgentMirror, ImmuneCell
from abm.tumor.cells import CD8, DORMANT, NK, PHASES, PROLIFERATING
from abm.immune.kernels import effective_diffusivity
from abm.immune.layer import ImmuneLayer
from abm.immune.params import PARAMETER_DOCS, default_params, params_from_mapping
from abm.immune.sections import PARAM_NAMES
from abm.immune.table import ImmuneTable
from .tumour import Tumour

SQRT2 = np.sqrt(2.0)
LENGTH = np.array([1.0, SQRT2] * 4)  # step length (sites) of the 8 Moore directions
DIR_X = np.array([1, 1, 0, -1, -1, -1, 0, 1])
MEAN_STEP = 8.0 / (4.0 + 2.0 * SQRT2)  # ⟨length⟩ under weights ∝ 1/length (4 orth + 4 diag)


def _params(**values):
    """Default (params, recognition) with ``name=value`` set for both kinds."""
    return params_from_mapping({kind: dict(values) for kind in ("cd8", "nk")})


def _speed_for(moves_per_step, dx_um, dt_min):
    """The speed that makes ``moves_per_step`` the expected number of moves in one step
    (documented move clock: τ = ⟨length⟩·dx/speed)."""
    return MEAN_STEP * dx_um * moves_per_step / dt_min


def _spaced_sites(shape, spacing, margin):
    """Sites on a square array ``spacing`` apart, ``margin`` from the edges."""
    ys, xs = np.mgrid[margin:shape[0] - margin:spacing, margin:shape[1] - margin:spacing]
    return xs.ravel(), ys.ravel()


def _walk(params, recognition, *, shape, spacing, margin, steps, dx=10.0, dt=1.0,
          chemokine=None, seed=5):
    """Displacements (sites) of free walkers after ``steps`` steps, spread far apart so that
    they never meet and never reach an edge (the closed forms assume free space)."""
    layer = ImmuneLayer(shape, dx, np.zeros(shape, dtype=bool), params, recognition, seed)
    xs, ys = _spaced_sites(shape, spacing, margin)
    rows = layer.place(CD8, xs, ys)
    tumour = Tumour(shape)
    for k in range(steps):
        tumour.step(layer, k, dt, chemokine)
    return layer.table.x[rows] - xs, layer.table.y[rows] - ys


def _within(observed, expected, se, n_se=4.0):
    assert abs(observed - expected) <= n_se * se, (observed, expected, se)


# ---------------------------------------------------------------------------- movement
def test_unbiased_walk_msd_is_4_deff_t():
    """Chemotaxis 0, persistence 0: MSD = E[moves]·⟨s²⟩ with ⟨s²⟩ = √2 sites², i.e.
    4·D_eff·t with D_eff = (1 + √2)/8 · speed · dx. 2401 walkers: the standard error of the
    mean r² is ≈ 2 % (r² of a 2D walk has sd ≈ its mean)."""
    dx, dt, steps, m = 10.0, 1.0, 10, 4.5  # 4.5 moves per step: 4 + a Bernoulli(0.5)
    speed = _speed_for(m, dx, dt)
    params, rec = _params(speed_um_per_min=speed, persistence_min=0.0, chemotaxis=0.0,
                          lifetime_min=np.inf)
    ddx, ddy = _walk(params, rec, shape=(1600, 1600), spacing=32, margin=40, steps=steps)
    r2_um2 = (ddx ** 2 + ddy ** 2) * dx ** 2
    d_eff = (1.0 + SQRT2) / 8.0 * speed * dx
    assert effective_diffusivity(speed, 0.0, dx) == pytest.approx(d_eff)
    _within(r2_um2.mean(), 4.0 * d_eff * steps * dt, r2_um2.std() / np.sqrt(len(r2_um2)))
    for d in (ddx, ddy):  # no drift
        _within(d.mean(), 0.0, d.std() / np.sqrt(len(d)))


def _persistent_msd(n_moves, q):
    """MSD (sites²) of N correlated unit-heading moves, ⟨s_i·s_(i+k)⟩ = qᵏ⟨s²⟩."""
    return SQRT2 * (n_moves * (1 + q) / (1 - q) - 2 * q * (1 - q ** n_moves) / (1 - q) ** 2)


def test_persistence_lengthens_the_walk_as_a_correlated_random_walk():
    """Persistence P keeps the heading with probability q = exp(−τ/P) per move: the MSD
    after N moves follows the correlated-walk formula and exceeds the uncorrelated walk."""
    dx, dt, steps, m = 10.0, 1.0, 5, 4.0  # exactly 20 moves
    speed = _speed_for(m, dx, dt)
    tau = MEAN_STEP * dx / speed
    q = 0.6
    persistence = -tau / np.log(q)
    results = {}
    for p in (0.0, persistence):
        params, rec = _params(speed_um_per_min=speed, persistence_min=p, chemotaxis=0.0,
                              lifetime_min=np.inf)
        ddx, ddy = _walk(params, rec, shape=(1600, 1600), spacing=32, margin=40, steps=steps)
        results[p] = (ddx ** 2 + ddy ** 2).astype(float)
    n_moves = int(steps * m)
    for p, qq in ((0.0, 0.0), (persistence, q)):
        r2 = results[p]
        _within(r2.mean(), _persistent_msd(n_moves, qq), r2.std() / np.sqrt(len(r2)))
    assert results[persistence].mean() > 2.0 * results[0.0].mean()
    d_fast = effective_diffusivity(speed, persistence, dx)
    assert d_fast == pytest.approx((1 + SQRT2) / 8 * speed * dx * (1 + q) / (1 - q))


def _expected_step_x(chi, relative_gradient):
    """Mean x step and mean length (sites) of one move at a site whose neighbours hold
    C·(1 + g)^dx_d (a constant relative gradient), persistence 0: the documented turning
    weights."""
    c1 = (1.0 + relative_gradient) ** DIR_X
    w = np.exp(chi * (c1 - 1.0) / (c1 + 1.0)) / LENGTH
    return (w * DIR_X).sum() / w.sum(), (w * LENGTH).sum() / w.sum()


@pytest.mark.calibration
def test_chemotaxis_drifts_up_the_gradient_at_the_predicted_rate():
    """In C = 1.1^x (10 % per site) the mean x step per move matches the turning weights,
    and the default χ gives a drift of half the path speed (PhysiCell's bias 0.5)."""
    dx, dt, steps, m = 10.0, 1.0, 10, 4.0
    g = 0.1
    shape = (400, 1600)
    # from 1 up (values ≪ 1e-12 would be below the documented ε of the relative difference)
    chemokine = np.broadcast_to(np.exp(np.log1p(g) * np.arange(shape[1])), shape).copy()
    chi = default_params()[0][0, PARAM_NAMES.index("chemotaxis")]
    mean_x, mean_length = _expected_step_x(chi, g)
    assert mean_x / mean_length == pytest.approx(0.5, abs=0.02)
    params, rec = _params(speed_um_per_min=_speed_for(m, dx, dt), persistence_min=0.0,
                          lifetime_min=np.inf)
    ddx, _ = _walk(params, rec, shape=shape, spacing=32, margin=60, steps=steps,
                   chemokine=chemokine)
    per_move = ddx / (steps * m)
    _within(per_move.mean(), mean_x, per_move.std() / np.sqrt(len(per_move)))


def test_linear_gradient_gives_drift_only_with_chemotaxis():
    """C = x + 1: with the default χ the mean x displacement is many standard errors up the
    gradient; with χ = 0 it is 0 within 4 standard errors (784 walkers, 80 moves each)."""
    dx, dt, steps, m = 10.0, 1.0, 20, 4.0
    shape = (600, 600)
    chemokine = np.broadcast_to(1.0 + np.arange(shape[1], dtype=float), shape).copy()
    for chi in (default_params()[0][0, PARAM_NAMES.index("chemotaxis")], 0.0):
        params, rec = _params(speed_um_per_min=_speed_for(m, dx, dt), persistence_min=0.0,
                              chemotaxis=chi, lifetime_min=np.inf)
        ddx, ddy = _walk(params, rec, shape=shape, spacing=20, margin=20, steps=steps,
                         chemokine=chemokine)
        se = ddx.std() / np.sqrt(len(ddx))
        if chi > 0:
            assert ddx.mean() > 6 * se
        else:
            _within(ddx.mean(), 0.0, se)
        _within(ddy.mean(), 0.0, ddy.std() / np.sqrt(len(ddy)))


# ---------------------------------------------------------------------------- lifetime, entry
def test_cohort_survival_is_exponential():
    lifetime, dt = 600.0, 6.0
    params, rec = _params(speed_um_per_min=0.0, lifetime_min=lifetime)
    shape = (80, 80)
    layer = ImmuneLayer(shape, 16.8, np.zeros(shape, dtype=bool), params, rec, seed=4)
    ys, xs = np.divmod(np.arange(4000), shape[1])
    layer.place(CD8, xs, ys)
    tumour = Tumour(shape)
    n0 = layer.table.count
    exited = []
    for k in range(200):
        exited.append(tumour.step(layer, k, dt).exited_rows)
        if (k + 1) % 50 == 0:
            p = np.exp(-(k + 1) * dt / lifetime)
            _within(layer.table.count, n0 * p, np.sqrt(n0 * p * (1 - p)))
    gone = np.concatenate(exited)
    assert len(gone) == n0 - layer.table.count and len(np.unique(gone)) == len(gone)
    assert np.count_nonzero(layer.occupancy >= 0) == layer.table.count


def test_recruitment_matches_the_entry_probability():
    """Entries per vessel site and kind are Bernoulli(1 − exp(−R·C/(K + C)·dt)) per step,
    C = mean chemokine over the vessel's neighbours (the vessel itself drains to 0). Cells
    leave at the end of every step (lifetime → 0) so that every entry finds a free site."""
    shape, dt, n_steps = (60, 60), 6.0, 400
    vessels = np.zeros(shape, dtype=bool)
    vessels[5::10, 5::10] = True
    chemokine = np.broadcast_to(0.02 + 0.01 * np.arange(shape[1]), shape).copy()
    chemokine[vessels] = 0.0
    rates = {"cd8": 0.01, "nk": 0.004}
    params, rec = params_from_mapping({kind: {"recruit_per_min": r, "recruit_k": 0.1,
                                              "lifetime_min": 1e-9, "speed_um_per_min": 0.0}
                                       for kind, r in rates.items()})
    layer = ImmuneLayer(shape, 16.8, vessels, params, rec, seed=9)
    tumour = Tumour(shape)
    entered = {CD8: 0, NK: 0}
    for k in range(n_steps):
        result = tumour.step(layer, k, dt, chemokine)
        rows = result.entered_rows
        x, y = layer.table.x[rows], layer.table.y[rows]
        assert not vessels[y, x].any()
        near = np.zeros(len(rows), dtype=bool)  # each entry sits next to a vessel
        for oy in (-1, 0, 1):
            for ox in (-1, 0, 1):
                near |= vessels[np.clip(y + oy, 0, 59), np.clip(x + ox, 0, 59)]
        assert near.all()
        for kind in entered:
            entered[kind] += int(np.count_nonzero(layer.table.kind[rows] == kind))
        assert sorted(result.exited_rows) == sorted(rows)
    vx = np.nonzero(vessels)[1]
    c = 0.02 + 0.01 * vx  # the mean of x ± 1 around the vessel is its own x
    for kind, name in ((CD8, "cd8"), (NK, "nk")):
        p = 1 - np.exp(-rates[name] * c / (0.1 + c) * dt)
        mean, var = n_steps * p.sum(), n_steps * (p * (1 - p)).sum()
        _within(entered[kind], mean, np.sqrt(var))


def test_no_entry_without_a_free_neighbour_or_chemokine():
    shape = (9, 9)
    vessels = np.zeros(shape, dtype=bool)
    vessels[4, 4] = True
    params, rec = _params(recruit_per_min=1e9, speed_um_per_min=0.0, lifetime_min=np.inf)
    layer = ImmuneLayer(shape, 16.8, vessels, params, rec, seed=1)
    tumour = Tumour(shape)
    assert len(tumour.step(layer, 0, 6.0, None).entered_rows) == 0  # no chemokine
    first = tumour.step(layer, 1, 6.0, np.ones(shape)).entered_rows
    assert len(first) == 2  # one CD8 and one NK
    ys, xs = np.mgrid[3:6, 3:6]
    free = (layer.occupancy[ys, xs] < 0) & ~vessels[ys, xs]
    layer.place(CD8, xs[free], ys[free])
    assert len(tumour.step(layer, 2, 6.0, np.ones(shape)).entered_rows) == 0


# ---------------------------------------------------------------------------- whole layer
def _scenario(seed, n_steps=150, resume_at=None):
    """Vessels, a chemokine hill on a tumour disc, recruitment, walking and killing; checks
    the lattice invariants after every step. Returns the final snapshot and kill events."""
    shape = (50, 60)
    vessels = np.zeros(shape, dtype=bool)
    vessels[5::12, 6::12] = True
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    disc = ((xx - 30) ** 2 + (yy - 25) ** 2 < 15 ** 2) & ~vessels
    tumour = Tumour(shape, xx[disc], yy[disc], pdl1=0.3)
    tumour.phase[::7] = DORMANT
    tumour.cells.mhc1[:tumour.n:7] = 0.5
    chemokine = np.exp(-np.hypot(xx - 30, yy - 25) / 10.0)
    chemokine[vessels] = 0.0
    params, rec = _params(recruit_per_min=0.05, speed_um_per_min=3.0)
    layer = ImmuneLayer(shape, 16.8, vessels, params, rec, seed)
    kills = []
    for k in range(n_steps):
        if k == resume_at:
            layer = ImmuneLayer.from_snapshot(layer.snapshot(), 16.8, vessels, params, rec, seed)
        kills.append(tumour.step(layer, k, 6.0, chemokine, blockade=0.5).kill_events["immune_id"])
        _check_invariants(layer, vessels)
    return layer.snapshot(), np.concatenate(kills)


def _check_invariants(layer, vessels):
    t = layer.table
    live = t.live_rows()
    assert np.array_equal(layer.occupancy[t.y[live], t.x[live]], live)  # each cell on its site
    assert np.count_nonzero(layer.occupancy >= 0) == len(live)  # so one cell per site
    assert not vessels[t.y[live], t.x[live]].any() and np.all(layer.occupancy[vessels] < 0)


def test_same_seed_same_run_other_seed_differs_and_resume_is_exact():
    snap_a, kills_a = _scenario(seed=1)
    snap_b, kills_b = _scenario(seed=1)
    assert snap_a.keys() == snap_b.keys()
    for key in snap_a:
        assert np.array_equal(snap_a[key], snap_b[key]), key
    assert np.array_equal(kills_a, kills_b) and len(kills_a) > 0
    assert snap_a["immune.counters"][0] > 20  # cells entered, walked, killed
    snap_r, kills_r = _scenario(seed=1, resume_at=75)
    for key in snap_a:
        assert np.array_equal(snap_a[key], snap_r[key]), key
    assert np.array_equal(kills_a, kills_r)
    snap_c, _ = _scenario(seed=2)
    assert not all(np.array_equal(snap_a[k], snap_c[k]) for k in snap_a
                   if snap_a[k].shape == snap_c[k].shape)


def test_table_reuses_freed_rows_last_freed_first():
    table = ImmuneTable()
    rows = table.add(CD8, np.arange(6), np.zeros(6))
    assert list(rows) == list(range(6)) and list(table.id[rows]) == list(range(6))
    table.release(np.array([1, 4]))
    again = table.add(NK, [7, 8, 9], [1, 1, 1])
    assert list(again) == [4, 1, 6] and list(table.id[again]) == [6, 7, 8]
    assert np.all(table.kind[again] == NK)
    restored = ImmuneTable.from_snapshot(table.snapshot())
    for name in ImmuneTable._COLUMNS:
        assert np.array_equal(getattr(restored, name)[:table.hwm], getattr(table, name)[:table.hwm])


# ---------------------------------------------------------------------------- agents, params
class _Host(mesa.Model):
    def __init__(self, layer):
        super().__init__(rng=0)
        self.immune = layer


def test_immune_agents_mirror_rows():
    params, rec = default_params()[:2]
    layer = ImmuneLayer((10, 10), 16.8, np.zeros((10, 10), dtype=bool), params, rec, seed=0)
    model = _Host(layer)
    mirror = AgentMirror(model, ImmuneCell)
    rows = np.concatenate([layer.place(CD8, [1, 2], [3, 3]), layer.place(NK, [5], [6])])
    mirror.add(rows)
    agents = model.agents_by_type[ImmuneCell]
    assert len(agents) == 3
    nk = mirror.by_row[rows[2]]
    assert (nk.kind, nk.site, nk.kills, nk.engaged) == ("nk", (5, 6), 0, False)
    assert (nk.hits, nk.dysfunction) == (0, "functional")
    assert nk.cell_id == layer.table.id[rows[2]]
    mirror.remove(rows[:1])
    assert len(model.agents_by_type[ImmuneCell]) == 2


def test_defaults_are_documented_and_checked():
    params, rec, docs = default_params()
    assert docs == PARAMETER_DOCS
    for i, kind in enumerate(("cd8", "nk")):
        for j, name in enumerate(PARAM_NAMES):
            value, unit, source = docs[kind][name]
            assert value == params[i, j] and unit and len(source) > 10
        for phase, code in PHASES.items():
            assert docs[kind][f"recognition_{phase}"][0] == rec[i, code]
    # NK recognise senescent cells best; dormant cells hide from NK by their ligands and from
    # CD8 by their MHC-I (a cell state, abm.tumor.cell_state), not by a phase constant.
    assert rec[1, PHASES["senescent"]] == rec[1].max() and rec[1, DORMANT] < rec[1, PROLIFERATING]
    assert rec[0, DORMANT] == rec[0, PROLIFERATING]
    assert params[1, PARAM_NAMES.index("pdl1_brake")] < params[0, PARAM_NAMES.index("pdl1_brake")]
    with pytest.raises(ValueError, match="immune.nk.pdl1_brake"):
        params_from_mapping({"nk": {"pdl1_brake": 1.5}})
    with pytest.raises(ValueError, match="immune.cd8.speed"):
        params_from_mapping({"cd8": {"speed_um_per_min": -1.0}})
    with pytest.raises(ValueError, match="unknown"):
        params_from_mapping({"cd8": {"sped": 1.0}})
