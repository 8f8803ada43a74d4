"""What the myeloid agents do to the tumour cells, against closed forms: the inflammation
pulse, the growth signal from IL-6 and NETs, NET exposure (against a brute-force count),
the platelets' TGF-β release, and EMT driven by TGF-β (abm/myeloid/signals.py,
abm/myeloid/platelet_kernels.py, abm/tumor/cell_state.py)."""
from __future__ import annotations

import numpy as np
import pytest

from abm.core.lattice import MOORE_X, MOORE_Y
from abm.myeloid.platelet_kernels import release_tgfb
from abm.myeloid.signals import disc_offsets, growth_signal, inflammation, net_exposure
from abm.myeloid.tables import NeutrophilTable, PlateletTable
from abm.schema import load_config
from abm.tumor.cell_state import HIF_HALF_MMHG, cell_state_params, update_cell_state
from abm.tumor.cells import PHASES, CellTable

CONFIG = load_config(None)


# ---------------------------------------------------------------------------- pulse
def test_inflammation_pulse_halves_every_half_life_from_its_start():
    """I(t) = 2^(−(t − t₀)/t½) from t₀ on, 0 before it and 0 without a pulse (t₀ = −1)."""
    section = load_config(None, overrides=["neutrophils.inflammation_at_h=10.0",
                                           "neutrophils.inflammation_half_life_h=6.0"]).neutrophils
    for hours in (0.0, 5.0, 9.99):
        assert inflammation(section, hours * 60.0) == 0.0
    for hours, expected in ((10.0, 1.0), (16.0, 0.5), (22.0, 0.25), (13.0, 2 ** -0.5)):
        assert inflammation(section, hours * 60.0) == pytest.approx(expected, rel=1e-12)
    assert CONFIG.neutrophils.inflammation_at_h < 0
    for minutes in (0.0, 600.0, 1e5):
        assert inflammation(CONFIG.neutrophils, minutes) == 0.0


# ---------------------------------------------------------------------------- growth signal
def test_growth_signal_is_the_saturating_sum_of_il6_and_nets():
    """gf_signal = g_IL6·I/(K + I) + g_NET·n/(n + 1) for each live cell, I its gathered IL-6
    (negative solver noise counts as 0) and n the NETs reaching its site; dead rows keep
    theirs."""
    s = CONFIG.neutrophils
    il6 = np.array([0.0, s.il6_k, 1.0, -0.01, 0.02, 5.0])
    n_nets = np.array([0, 0, 1, 2, 3, 0])
    cells = CellTable(capacity=8)
    rows = cells.add(np.arange(6, dtype=np.int32), np.zeros(6, np.int32),
                     phase=PHASES["proliferating"], birth_min=0.0)
    cells.il6[rows] = il6
    exposure = np.zeros((2, 8), dtype=np.int32)
    exposure[0, :6] = n_nets
    cells.alive[rows[5]] = False
    cells.gf_signal[rows[5]] = -7.0
    growth_signal(cells, exposure, s)
    i = np.maximum(il6, 0.0)
    expected = s.il6_gf_gain * i / (s.il6_k + i) + s.net_gf_gain * n_nets / (n_nets + 1.0)
    np.testing.assert_allclose(cells.gf_signal[rows[:5]], expected[:5], rtol=1e-12)
    assert cells.gf_signal[rows[1]] == pytest.approx(s.il6_gf_gain / 2)  # half-maximal IL-6
    assert cells.gf_signal[rows[5]] == -7.0


# ---------------------------------------------------------------------------- NET exposure
@pytest.mark.parametrize("radius_um, dx_um", [(40.0, 16.8), (16.8, 16.8), (5.0, 16.8),
                                              (100.0, 20.0)])
def test_net_exposure_counts_the_nets_within_the_radius(radius_um, dx_um):
    """Against brute force: each site counts the NETs (not the walking neutrophils, not the
    dead rows) whose site centre lies within ``radius_um`` of its centre, edges included."""
    rng = np.random.default_rng(4)
    shape = (30, 41)
    n = 60
    table = NeutrophilTable(capacity=n)
    rows = table.claim(n)
    table.x[rows] = rng.integers(0, shape[1], n)
    table.y[rows] = rng.integers(0, shape[0], n)
    table.net[rows] = rng.random(n) < 0.5
    table.alive[rows[::7]] = False
    out = np.full(shape, 99, dtype=np.int32)
    net_exposure(table.arrays(), *disc_offsets(radius_um, dx_um), out)
    nets = rows[table.alive[rows] & (table.net[rows] == 1)]
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    expected = np.zeros(shape, dtype=int)
    for r in nets:
        d2 = ((xx - table.x[r]) ** 2 + (yy - table.y[r]) ** 2) * dx_um ** 2
        expected += d2 <= radius_um ** 2 * (1 + 1e-12)
    np.testing.assert_array_equal(out, expected)
    assert out.max() >= 1


# ---------------------------------------------------------------------------- TGF-β
def test_platelet_release_is_shared_among_the_non_vessel_neighbours():
    """Each aggregate's release q is split equally among the in-grid non-vessel sites of its
    Moore neighbourhood (an interior one, one beside other vessels, one in a corner), and
    the release of all of them adds up to q per aggregate; detached rows release nothing."""
    shape = (12, 15)
    vessels = np.zeros(shape, dtype=bool)
    sites = [(5, 5), (10, 3), (0, 0), (8, 9)]  # (x, y); the last one detaches
    for x, y in sites:
        vessels[y, x] = True
    vessels[4, 11] = vessels[2, 9] = True  # two vessel neighbours of the aggregate at (10, 3)
    table = PlateletTable(capacity=4)
    rows = table.claim(len(sites))
    table.x[rows] = [x for x, _ in sites]
    table.y[rows] = [y for _, y in sites]
    table.alive[rows[3]] = False
    q = 20.0
    source = np.full(shape, 3.0)
    release_tgfb(q, table.arrays(), vessels, source)
    expected = np.zeros(shape)
    for x, y in sites[:3]:
        targets = [(x + dx, y + dy) for dx, dy in zip(MOORE_X, MOORE_Y)
                   if 0 <= x + dx < shape[1] and 0 <= y + dy < shape[0]
                   and not vessels[y + dy, x + dx]]
        for tx, ty in targets:
            expected[ty, tx] += q / len(targets)
    np.testing.assert_allclose(source, expected, rtol=1e-12)
    assert source.sum() == pytest.approx(3 * q, rel=1e-12)
    assert source[3, 11] == pytest.approx(q / 6)  # 8 neighbours less 2 vessels
    assert source[1, 1] == pytest.approx(q / 3)  # a corner has 3 neighbours


@pytest.mark.parametrize("oxygen", [100.0, 38.0])
def test_emt_follows_the_exact_solution_with_tgfb(oxygen):
    """Cells at fixed O2 (hypoxia drive h = 1/(1 + (O2/K)³)) and fixed TGF-β T: EMT after t
    is E(t) = a/(a + b)·(1 − exp(−(a + b)t)) from E = 0, the solution of dE/dt = a(1 − E) −
    bE with a = k·h + kT·T/(KT + T) and b = ln2/t½ (the config's defaults); whatever the
    step (0.25 h or 6 h)."""
    s = CONFIG.cell_state
    tgfb = np.array([0.0, s.emt_tgfb_k, 1.0, 10.0, -0.5])
    h = 1.0 / (1.0 + (oxygen / HIF_HALF_MMHG) ** 3)
    t_total = 48.0
    t_pos = np.maximum(tgfb, 0.0)
    a = s.emt_rate_per_h * h + s.emt_tgfb_rate_per_h * t_pos / (s.emt_tgfb_k + t_pos)
    b = np.log(2.0) / s.emt_half_life_h
    expected = a / (a + b) * (1.0 - np.exp(-(a + b) * t_total))
    params = cell_state_params(CONFIG)
    for dt_h in (0.25, 6.0):
        cells = CellTable(capacity=len(tgfb))
        cells.add(np.zeros(len(tgfb), np.int32), np.zeros(len(tgfb), np.int32),
                  phase=PHASES["proliferating"], birth_min=0.0)
        cells.oxygen[:], cells.tgfb[:len(tgfb)] = oxygen, tgfb
        for _ in range(round(t_total / dt_h)):
            update_cell_state(cells.arrays(), params, 0.0, dt_h)
        np.testing.assert_allclose(cells.emt[:len(tgfb)], expected, rtol=1e-9, atol=1e-14)
    # TGF-β at its half-point adds half the maximal TGF-β gain
    assert a[1] - a[0] == pytest.approx(s.emt_tgfb_rate_per_h / 2)
    assert expected[3] > expected[2] > expected[1] > expected[0] == expected[4]
