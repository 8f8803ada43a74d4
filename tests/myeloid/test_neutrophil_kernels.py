"""The neutrophils' kernels (abm/myeloid/neutrophil_kernels.py) against their closed forms:
entry next to vessels, lifetime and NETs as competing risks, NET clearance, the lattice walk
(mean squared displacement and chemotactic drift) and the escorts of shed units.

Expected values are written out here from the rules in the module docstrings, never read
from the code under test; the tolerances are 4.5 standard errors (tests/myeloid/stats.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from abm.core.lattice import MOORE_X, MOORE_Y
from abm.immune.kernels import effective_diffusivity
from abm.myeloid import neutrophil_kernels as nk
from abm.myeloid.tables import NeutrophilTable
from abm.schema import load_config

from .stats import binomial, within

SECTION = load_config(None).neutrophils
SEED = 11


# ---------------------------------------------------------------------------- helpers
def _table_at(xs, ys, shape, net=0):
    """A neutrophil table with one walking (or netting) neutrophil per site ``(xs, ys)``,
    and its occupancy."""
    n = len(xs)
    table = NeutrophilTable(capacity=n)
    rows = table.claim(n)
    table.x[rows], table.y[rows] = xs, ys
    table.net[rows] = net
    table.net_min[rows] = np.nan
    occupancy = np.full(shape, -1, dtype=np.int32)
    occupancy[ys, xs] = rows
    return table, occupancy


def _vessel_lattice(nx_vessels, ny_vessels, spacing=3):
    """Isolated vessel sites on a square lattice ``spacing`` apart (spacing 3: the Moore
    neighbourhoods of two vessels never overlap), returned with the grid shape."""
    vy, vx = np.mgrid[0:ny_vessels, 0:nx_vessels]
    vx = (spacing * vx.ravel() + 1).astype(np.int64)
    vy = (spacing * vy.ravel() + 1).astype(np.int64)
    shape = (spacing * ny_vessels, spacing * nx_vessels)
    vessels = np.zeros(shape, dtype=bool)
    vessels[vy, vx] = True
    return vx, vy, vessels, shape


# ---------------------------------------------------------------------------- entry
def _expected_entry_rate(k, big_k, c, g, inflammation, depletion):
    """k·(C/(K + C) + g·I)·(1 − D) (min⁻¹), the entry rule of the module docstring."""
    return k * (c / (big_k + c) + g * inflammation) * (1.0 - depletion)


@pytest.mark.parametrize("c, inflammation, depletion", [
    (0.0, 0.0, 0.0), (0.1, 0.0, 0.0), (2.0, 0.0, 0.0), (0.1, 0.5, 0.0), (0.3, 1.0, 0.7),
    (-0.5, 0.2, 0.0)])
def test_entry_rate_is_the_formula(c, inflammation, depletion):
    s = SECTION
    got = nk.entry_rate(s.recruit_per_min, s.recruit_k, c, s.inflammation_recruit_gain,
                        inflammation, depletion)
    # a negative chemokine (solver noise) counts as none
    expected = _expected_entry_rate(s.recruit_per_min, s.recruit_k, max(c, 0.0),
                                    s.inflammation_recruit_gain, inflammation, depletion)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("c, inflammation, depletion, dt", [
    (0.1, 0.0, 0.0, 60.0),   # half-maximal chemokine, no inflammation
    (1.0, 0.0, 0.0, 40.0),
    (0.1, 0.3, 0.0, 6.0),    # an inflammation pulse multiplies entry
    (0.1, 0.3, 0.6, 6.0),    # depletion removes 60 % of it
    (0.0, 0.0, 0.0, 60.0),   # no chemokine, no pulse: nobody enters
])
def test_entries_per_vessel_follow_the_entry_probability(c, inflammation, depletion, dt):
    """2000 isolated vessel sites in uniform chemokine C over 3 steps: the share of
    (vessel, step) pairs with an entry is 1 − exp(−k·(C/(K + C) + g·I)·(1 − D)·dt); each
    newcomer stands on a free Moore neighbour of a vessel, walking, born at the step's end."""
    s = SECTION
    vx, vy, vessels, shape = _vessel_lattice(50, 40)
    chemokine = np.full(shape, c)
    chemokine[vessels] = 0.0  # vessels drain the chemokine; only the neighbours count
    table = NeutrophilTable(capacity=16)
    occupancy = np.full(shape, -1, dtype=np.int32)
    n_steps, entered = 3, 0
    for step in range(n_steps):
        table.ensure_capacity(len(vx))
        rows = np.empty(len(vx), dtype=np.int64)
        t_end = (step + 1) * dt
        n = nk.recruit(SEED, step, dt, t_end, vx, vy, chemokine, s.recruit_per_min,
                       s.recruit_k, s.inflammation_recruit_gain, inflammation, depletion,
                       table.arrays(), occupancy, vessels, rows)
        new = rows[:n]
        entered += n
        assert np.all(table.birth_min[new] == t_end) and np.all(table.net[new] == 0)
        assert np.all(occupancy[table.y[new], table.x[new]] == new)
    rate = _expected_entry_rate(s.recruit_per_min, s.recruit_k, c, s.inflammation_recruit_gain,
                                inflammation, depletion)
    p = 1.0 - np.exp(-rate * dt)
    if p == 0.0:
        assert entered == 0
        return
    binomial(entered, n_steps * len(vx), p)
    # the grid tiles into the vessels' 3×3 neighbourhoods: nobody stands on a vessel, and
    # each vessel has admitted at most one neutrophil per step
    live = table.live_rows()
    assert not vessels[table.y[live], table.x[live]].any()
    per_vessel = np.bincount((table.y[live] // 3) * 50 + table.x[live] // 3, minlength=len(vx))
    assert per_vessel.max() <= n_steps
    assert np.count_nonzero(occupancy >= 0) == len(live) == entered


def test_entry_needs_a_free_neighbour():
    """A vessel whose 8 neighbours are taken admits nobody, whatever the rate."""
    vx, vy, vessels, shape = _vessel_lattice(1, 1)
    around_x = vx[0] + MOORE_X
    around_y = vy[0] + MOORE_Y
    table, occupancy = _table_at(around_x, around_y, shape)
    table.ensure_capacity(1)
    rows = np.empty(1, dtype=np.int64)
    n = nk.recruit(SEED, 0, 60.0, 60.0, vx, vy, np.ones(shape), 10.0, 0.1, 0.0, 0.0, 0.0,
                   table.arrays(), occupancy, vessels, rows)
    assert n == 0 and table.count == 8


# ---------------------------------------------------------------------------- fates
def _grid_of(n, width=200):
    """``n`` distinct sites in rows of ``width``."""
    i = np.arange(n)
    return (i % width).astype(np.int32), (i // width).astype(np.int32), (n // width + 1, width)


def _run_fates(table, occupancy, sasp, n_steps, dt, death, net_per_min, net_k, inhibition,
               clearance, inflammation, record=()):
    """Step :func:`fates` ``n_steps`` times; returns the live count after each step in
    ``record`` and the NETs formed in total."""
    alive_at, nets = {}, 0
    for step in range(n_steps):
        out = np.empty(max(table.hwm, 1), dtype=np.int64)
        _, n_nets = nk.fates(SEED, step, dt, (step + 1) * dt, death, net_per_min, net_k,
                             inhibition, clearance, sasp, inflammation, table.arrays(),
                             occupancy, out)
        nets += n_nets
        if step + 1 in record:
            alive_at[step + 1] = table.count
    return alive_at, nets


def test_without_inflammation_neutrophils_live_an_exponential_lifetime():
    """20 000 walking neutrophils, no SASP, no pulse: none casts a NET; the share alive after
    t is exp(−t/lifetime), and the time in tissue (age at death, a whole number of steps) has
    the geometric mean dt/(1 − exp(−dt/lifetime)) ≈ lifetime + dt/2."""
    n, dt = 20_000, 30.0
    lifetime = SECTION.lifetime_h * 60.0
    xs, ys, shape = _grid_of(n)
    table, occupancy = _table_at(xs, ys, shape)
    sasp = np.zeros(shape)
    checkpoints = (24, 48, 96)
    n_steps = 1200  # 25 lifetimes: everyone is gone
    alive_at, nets = _run_fates(table, occupancy, sasp, n_steps, dt, 1.0 / lifetime,
                                SECTION.net_per_h / 60.0, SECTION.net_k, 0.0, 0.0, 0.0,
                                record=checkpoints)
    assert nets == 0
    for k in checkpoints:
        binomial(alive_at[k], n, np.exp(-k * dt / lifetime))
    assert table.count == 0 and np.all(occupancy == -1)
    p = 1.0 - np.exp(-dt / lifetime)
    mean, sd = dt / p, dt * np.sqrt(1.0 - p) / p
    within(table.age_min[:n].mean(), mean, sd / np.sqrt(n))
    assert abs(mean - (lifetime + dt / 2.0)) < 1.0  # the geometric mean is the lifetime + dt/2


@pytest.mark.parametrize("inhibition", [0.0, 0.5])
def test_nets_and_deaths_are_competing_risks(inhibition):
    """Walking neutrophils with SASP 0.1 (left half) or 2.0 (right half) at their site and a
    pulse I = 0.2: S = SASP + I, h_N = k_N·S/(K_N + S)·(1 − E), h_d = 1/lifetime; the share
    that has cast a NET by t is h_N/(h_N + h_d)·(1 − exp(−(h_N + h_d)t)) in each half (no
    NET clearance here, so the NETs stay), and the share still in the tissue (walking or
    netting) is exp(−(h_N + h_d)t) + that share."""
    n, dt, n_steps, pulse = 20_000, 6.0, 120, 0.2
    xs, ys, shape = _grid_of(n)
    table, occupancy = _table_at(xs, ys, shape)
    sasp = np.where(np.arange(shape[1]) < shape[1] // 2, 0.1, 2.0)[None, :].repeat(shape[0], 0)
    h_d = 1.0 / (SECTION.lifetime_h * 60.0)
    k_n = SECTION.net_per_h / 60.0
    _, nets = _run_fates(table, occupancy, sasp, n_steps, dt, h_d, k_n, SECTION.net_k,
                         inhibition, 0.0, pulse)
    t = n_steps * dt
    live = table.alive[:n]
    netted = live & (table.net[:n] == 1)
    assert nets == np.count_nonzero(netted)
    assert np.all(table.net_min[:n][netted] > 0.0) and np.all(table.net_min[:n][netted] <= t)
    for half, s_local in ((xs < shape[1] // 2, 0.1), (xs >= shape[1] // 2, 2.0)):
        s = s_local + pulse
        h_n = k_n * s / (SECTION.net_k + s) * (1.0 - inhibition)
        total = h_n + h_d
        binomial(np.count_nonzero(netted & half), np.count_nonzero(half),
                 h_n / total * (1.0 - np.exp(-total * t)))
        binomial(np.count_nonzero(live & half), np.count_nonzero(half),
                 np.exp(-total * t) + h_n / total * (1.0 - np.exp(-total * t)))


@pytest.mark.parametrize("dnase_per_h", [0.0, 0.1])
def test_nets_are_cleared_at_the_nets_lifetime_plus_dnase(dnase_per_h):
    """20 000 NETs: a NET survives exp(−(1/τ_NET + k_DNase)·t); a NET neither dies by
    apoptosis nor casts another NET."""
    n, dt = 20_000, 6.0
    xs, ys, shape = _grid_of(n)
    table, occupancy = _table_at(xs, ys, shape, net=1)
    clearance = 1.0 / (SECTION.net_lifetime_h * 60.0) + dnase_per_h / 60.0
    checkpoints = (60, 240, 480)
    alive_at, nets = _run_fates(table, occupancy, np.full(shape, 5.0), 480, dt,
                                1.0 / (SECTION.lifetime_h * 60.0), 1.0, SECTION.net_k, 0.0,
                                clearance, 1.0, record=checkpoints)
    assert nets == 0
    for k in checkpoints:
        binomial(alive_at[k], n, np.exp(-clearance * k * dt))
    assert np.count_nonzero(occupancy >= 0) == table.count


# ---------------------------------------------------------------------------- walk
_LENGTH = np.hypot(MOORE_X, MOORE_Y)
_UNBIASED = (1.0 / _LENGTH) / np.sum(1.0 / _LENGTH)  # heading distribution of an unbiased walker


def _walkers(n_cols, n_rows, spacing, margin, rng):
    """Walkers on a square lattice ``spacing`` apart (far enough not to meet in a few
    moves), headings drawn from the unbiased (stationary) distribution."""
    gy, gx = np.mgrid[0:n_rows, 0:n_cols]
    xs = (margin + spacing * gx.ravel()).astype(np.int32)
    ys = (margin + spacing * gy.ravel()).astype(np.int32)
    shape = (2 * margin + spacing * (n_rows - 1) + 1, 2 * margin + spacing * (n_cols - 1) + 1)
    table, occupancy = _table_at(xs, ys, shape)
    table.heading[:len(xs)] = rng.choice(8, size=len(xs), p=_UNBIASED)
    return table, occupancy, shape


def _walk_once(table, occupancy, shape, chemokine, n_moves, chi, dx_um=20.0, speed=10.0,
               persistence=3.0):
    """One step of :func:`walk` lasting exactly ``n_moves`` moves (dt a hair above
    n·τ, so the fractional extra move has probability 1e-9). Returns the displacement (sites)
    and q = exp(−τ/persistence)."""
    tau = 4.0 / (2.0 + np.sqrt(2.0)) * dx_um / speed  # mean move length 4/(2+√2) sites
    x0, y0 = table.x[:table.hwm].astype(float), table.y[:table.hwm].astype(float)
    nk.walk(SEED, 0, (n_moves + 1e-9) * tau, dx_um, chemokine, speed, persistence, chi,
            table.arrays(), occupancy, np.zeros(shape, dtype=bool))
    q = np.exp(-tau / persistence) if persistence > 0 else 0.0  # no persistence: always turn
    return table.x[:table.hwm] - x0, table.y[:table.hwm] - y0, q, tau


def test_unbiased_walk_has_the_persistent_walk_msd_and_d_eff():
    """Without chemotaxis, after N moves of a walker whose heading starts stationary:
    ⟨r²⟩ = ⟨s²⟩·dx²·[N(1 + q)/(1 − q) − 2q(1 − q^N)/(1 − q)²] with ⟨s²⟩ = √2 sites² (the
    1/length turning weights) and q = exp(−τ/persistence); its long-time slope ⟨r²⟩/(4t) is
    ``effective_diffusivity``. The mean displacement is zero."""
    rng = np.random.default_rng(5)
    n_moves, dx = 12, 20.0
    table, occupancy, shape = _walkers(50, 50, 30, 20, rng)
    rx, ry, q, tau = _walk_once(table, occupancy, shape, np.zeros(shape), n_moves, 0.0,
                                dx_um=dx)
    s2 = np.sum(_UNBIASED * _LENGTH ** 2)
    assert s2 == pytest.approx(np.sqrt(2.0))
    expected = s2 * (n_moves * (1 + q) / (1 - q) - 2 * q * (1 - q ** n_moves) / (1 - q) ** 2)
    r2 = rx ** 2 + ry ** 2
    within(r2.mean(), expected, r2.std() / np.sqrt(len(r2)))
    within(rx.mean(), 0.0, rx.std() / np.sqrt(len(rx)))
    within(ry.mean(), 0.0, ry.std() / np.sqrt(len(ry)))
    d_eff = s2 * dx ** 2 / (4.0 * tau) * (1 + q) / (1 - q)
    assert effective_diffusivity(10.0, 3.0, dx) == pytest.approx(d_eff, rel=1e-12)
    # the finite-N MSD is 4·D_eff·t less the persistence transient
    t = n_moves * tau
    transient = s2 * dx ** 2 * 2 * q * (1 - q ** n_moves) / (1 - q) ** 2
    assert expected * dx ** 2 == pytest.approx(4 * d_eff * t - transient, rel=1e-12)


def test_a_fresh_heading_is_diagonal_in_proportion_to_its_weight():
    """Without persistence every move draws a new heading with weights 1/length: a move is
    diagonal with probability 4/√2 / (4 + 4/√2) = √2 − 1, and each of the 8 directions has
    its weight's share; after N such moves ⟨r²⟩ = N·√2 sites²."""
    rng = np.random.default_rng(9)
    table, occupancy, shape = _walkers(60, 60, 8, 10, rng)
    rx, ry, _, _ = _walk_once(table, occupancy, shape, np.zeros(shape), 1, 0.0, persistence=0.0)
    n = len(rx)
    binomial(np.count_nonzero((np.abs(rx) == 1) & (np.abs(ry) == 1)), n, np.sqrt(2.0) - 1.0)
    for d in range(8):
        binomial(np.count_nonzero((rx == MOORE_X[d]) & (ry == MOORE_Y[d])), n, _UNBIASED[d])


def _biased_mean_step(chi, g):
    """Mean move (sites, x and y) of a heading drawn from the turning weights
    exp(χ·(C_nb − C)/(C_nb + C))/length in C = exp(g·x), where the relative difference is
    tanh(g·Δx/2) at every site."""
    w = np.exp(chi * np.tanh(g * MOORE_X / 2.0)) / _LENGTH
    return np.sum(w * MOORE_X) / w.sum(), np.sum(w * MOORE_Y) / w.sum()


@pytest.mark.parametrize("chi", [0.0, 1.0, 3.0])
def test_chemotaxis_drifts_up_the_gradient_by_the_closed_form(chi):
    """Chemokine C = exp(g·x) has the same relative difference to each neighbour at every
    site, so every redrawn heading has the same mean m(χ) (:func:`_biased_mean_step`); a
    heading is redrawn with probability 1 − q before each move, so starting from the
    unbiased distribution the mean displacement after N moves is m(χ)·(N − q(1 − q^N)/(1 −
    q)) — zero for χ = 0, rising with χ; none across the gradient."""
    rng = np.random.default_rng(7)
    g, n_moves = 0.5, 12
    table, occupancy, shape = _walkers(10, 200, 30, 20, rng)
    chemokine = np.exp(g * np.arange(shape[1], dtype=float))[None, :].repeat(shape[0], 0)
    rx, ry, q, _ = _walk_once(table, occupancy, shape, chemokine, n_moves, chi)
    mx, my = _biased_mean_step(chi, g)
    factor = n_moves - q * (1 - q ** n_moves) / (1 - q)
    within(rx.mean(), mx * factor, rx.std() / np.sqrt(len(rx)))
    within(ry.mean(), 0.0, ry.std() / np.sqrt(len(ry)))
    assert my == pytest.approx(0.0, abs=1e-15)
    if chi > 0:
        assert mx > 0 and mx * factor > 4.5 * rx.std() / np.sqrt(len(rx))  # detectable


def test_netting_neutrophils_stay_put():
    rng = np.random.default_rng(3)
    table, occupancy, shape = _walkers(10, 10, 30, 20, rng)
    table.net[:50] = 1
    rx, ry, _, _ = _walk_once(table, occupancy, shape, np.zeros(shape), 12, 0.0)
    assert np.all(rx[:50] == 0) and np.all(ry[:50] == 0)
    assert np.count_nonzero(rx[50:] ** 2 + ry[50:] ** 2) > 0


# ---------------------------------------------------------------------------- escort
def _units_with_neutrophils(ms, members_per_unit, spacing=6, netting=0):
    """One shed unit per entry of ``ms``: ``members_per_unit`` tumour cells side by side
    (1 or 2), with ``ms[i]`` walking neutrophils on distinct sites of the union of their own
    sites and Moore neighbourhoods, then ``netting`` netting neutrophils on further sites of
    it. Units are ``spacing`` apart (their neighbourhoods never overlap)."""
    n_units = len(ms)
    width = int(np.ceil(np.sqrt(n_units)))
    shape = (spacing * (n_units // width + 1), spacing * width)
    ux = 2 + spacing * (np.arange(n_units) % width)
    uy = 2 + spacing * (np.arange(n_units) // width)
    cell_x = np.repeat(ux, members_per_unit) + np.tile(np.arange(members_per_unit), n_units)
    cell_y = np.repeat(uy, members_per_unit)
    # the union of the members' own sites and their neighbours, in a fixed order
    offsets = sorted({(dx + m, dy) for m in range(members_per_unit)
                      for dx in (-1, 0, 1) for dy in (-1, 0, 1)})
    xs, ys, net = [], [], []
    for i, m in enumerate(ms):
        for k in range(m + netting):
            xs.append(ux[i] + offsets[k][0])
            ys.append(uy[i] + offsets[k][1])
            net.append(1 if k >= m else 0)
    table, occupancy = _table_at(np.array(xs, np.int32), np.array(ys, np.int32), shape)
    table.net[:len(net)] = net
    members = np.arange(n_units * members_per_unit, dtype=np.int64)
    unit_start = np.arange(0, n_units * members_per_unit + 1, members_per_unit, dtype=np.int64)
    return (table, occupancy, members, unit_start, cell_x.astype(np.int32),
            cell_y.astype(np.int32), len(offsets))


@pytest.mark.parametrize("members_per_unit", [1, 2])
def test_escorts_per_unit_are_binomial(members_per_unit):
    """Units touched by m = 0..9 walking neutrophils (m up to 12 for two-cell units, whose
    neighbourhoods share sites) plus 2 netting ones: the escorts per unit are Binomial(m, p)
    — in total Σ m·p, P(0 escorts) = (1 − p)^m for each m, the full distribution for the
    largest m — netting neutrophils never go, and the escorts leave the table and the
    occupancy."""
    p = SECTION.escort_probability
    top = 9 - 2 if members_per_unit == 1 else 12 - 2
    ms = np.tile(np.arange(top + 1), 500)
    table, occupancy, members, unit_start, cx, cy, _ = _units_with_neutrophils(
        ms, members_per_unit, netting=2)
    n_before = table.count
    escorts = np.zeros(len(ms), dtype=np.int32)
    rows = np.empty(n_before, dtype=np.int64)
    n_out = nk.escort(SEED, 0, p, 100, members, unit_start, len(ms), cx, cy, table.arrays(),
                      occupancy, escorts, rows)
    assert n_out == escorts.sum() == n_before - table.count
    gone = rows[:n_out]
    assert not table.alive[gone].any() and np.all(table.net[gone] == 0)
    assert np.count_nonzero(occupancy >= 0) == table.count
    assert np.all(table.alive[table.net[:table.hwm] == 1])  # every NET stays
    assert np.all(escorts <= ms)
    within(escorts.sum(), ms.sum() * p, np.sqrt(ms.sum() * p * (1 - p)))
    for m in range(top + 1):
        these = ms == m
        binomial(np.count_nonzero(escorts[these] == 0), np.count_nonzero(these), (1 - p) ** m)
    these = escorts[ms == top]
    for k in range(top + 1):
        prob = float(np.prod(np.arange(top - k + 1, top + 1)) / np.prod(np.arange(1, k + 1))) \
            * p ** k * (1 - p) ** (top - k)
        binomial(np.count_nonzero(these == k), len(these), prob)


def test_escorts_stop_at_the_cap():
    """With the blood's cap c, a unit touched by m walking neutrophils takes min(B, c)
    escorts, B ~ Binomial(m, p): P(c escorts) = P(B ≥ c)."""
    p, cap, m = SECTION.escort_probability, 2, 7
    ms = np.full(3000, m)
    table, occupancy, members, unit_start, cx, cy, _ = _units_with_neutrophils(ms, 1, netting=0)
    escorts = np.zeros(len(ms), dtype=np.int32)
    rows = np.empty(table.count, dtype=np.int64)
    nk.escort(SEED, 0, p, cap, members, unit_start, len(ms), cx, cy, table.arrays(), occupancy,
              escorts, rows)
    assert escorts.max() == cap
    below = sum(float(np.prod(np.arange(m - k + 1, m + 1)) / np.prod(np.arange(1, k + 1)))
                * p ** k * (1 - p) ** (m - k) for k in range(cap))
    binomial(np.count_nonzero(escorts == cap), len(ms), 1.0 - below)
