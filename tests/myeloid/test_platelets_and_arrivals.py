"""Platelet aggregates against their closed forms (adhesion next to viable tumour cells,
detachment, the cloak of shed units) and the escorts and cells that arrive at a secondary
site (arrival time, no growth signal carried from the primary, all of a model's agents
mirrored by thin agents)."""
from __future__ import annotations

import numpy as np

from abm.myeloid import platelet_kernels as pk
from abm.myeloid.tables import PlateletTable
from abm.schema import load_config
from abm.tumor.cells import PHASES

from .stats import binomial
from .test_model import _model, day_runs  # noqa: F401  (the shared two-site run)

SEED = 5
DT = 6.0


def _vessels_with_tumour(n_vessels, phase):
    """Isolated vessel sites 3 apart, each with one tumour cell in ``phase`` east of it."""
    vx = np.arange(n_vessels, dtype=np.int64) * 3 + 1
    vy = np.ones(n_vessels, dtype=np.int64)
    shape = (3, 3 * n_vessels)
    tumour = np.full(shape, -1, dtype=np.int32)
    tumour[vy, vx + 1] = np.arange(n_vessels, dtype=np.int32)
    alive = np.ones(n_vessels, dtype=bool)
    phases = np.full(n_vessels, PHASES[phase], dtype=np.int8)
    return vx, vy, tumour, alive, phases, shape


def test_aggregates_adhere_with_the_adhesion_probability_next_to_viable_cells():
    """A vessel site with a viable tumour neighbour gains an aggregate in a step with
    probability 1 − exp(−k·Δt); next to a necrotic or apoptotic cell, or none, never."""
    k = 0.05  # min⁻¹
    n = 4000
    vx, vy, tumour, alive, phases, shape = _vessels_with_tumour(n, "dormant")
    table, occupancy = PlateletTable(capacity=n), np.full(shape, -1, dtype=np.int32)
    rows = np.empty(n, dtype=np.int64)
    got = pk.adhere(SEED, 0, DT, DT, k, vx, vy, tumour, alive, phases, table.arrays(),
                    occupancy, rows)
    binomial(got, n, 1.0 - np.exp(-k * DT))
    assert np.all(occupancy[vy[:0], vx[:0]] == -1)
    assert np.count_nonzero(occupancy >= 0) == got == table.count
    for dead in ("necrotic", "apoptotic"):
        vx, vy, tumour, alive, phases, shape = _vessels_with_tumour(50, dead)
        table, occupancy = PlateletTable(capacity=50), np.full(shape, -1, dtype=np.int32)
        assert pk.adhere(SEED, 0, DT, DT, 10.0, vx, vy, tumour, alive, phases,
                         table.arrays(), occupancy, np.empty(50, np.int64)) == 0


def test_aggregates_detach_after_an_exponential_time():
    """After t an aggregate is still adhered with probability exp(−t/lifetime)."""
    lifetime = 120.0
    n = 5000
    table = PlateletTable(capacity=n)
    rows = table.claim(n)
    table.x[rows], table.y[rows] = np.arange(n) % 100, np.arange(n) // 100
    occupancy = np.full((n // 100, 100), -1, dtype=np.int32)
    occupancy[table.y[rows], table.x[rows]] = rows
    steps = 20
    out = np.empty(n, dtype=np.int64)
    for step in range(steps):
        pk.detach(SEED, step, DT, lifetime, table.arrays(), occupancy, out)
    binomial(table.count, n, np.exp(-steps * DT / lifetime))
    assert np.count_nonzero(occupancy >= 0) == table.count


def test_units_shed_next_to_an_aggregate_enter_the_blood_cloaked():
    """touching_units flags a shed unit with a member on a Moore neighbour of an aggregate;
    the cloak is platelets.cloak_coverage × (1 − the antiplatelet effect) there, else 0."""
    occupancy = np.full((10, 10), -1, dtype=np.int32)
    occupancy[5, 5] = 0  # an aggregate at (5, 5)
    cell_x = np.array([6, 1, 4, 9], dtype=np.int32)  # member 0 touches, 1 does not, ...
    cell_y = np.array([6, 1, 5, 9], dtype=np.int32)
    members = np.array([1, 0, 3, 2], dtype=np.int64)  # units: [1, 0] touches, [3] no, [2] yes
    unit_start = np.array([0, 2, 3, 4], dtype=np.int64)
    out = np.zeros(3, dtype=np.int8)
    pk.touching_units(members, unit_start, 3, cell_x, cell_y, occupancy, out)
    assert out.tolist() == [1, 0, 1]
    assert load_config(None).platelets.cloak_coverage == 0.5


def test_agents_are_born_by_the_clock_and_mirrored_by_thin_agents(day_runs):  # noqa: F811
    """In the shared two-site run: no neutrophil or aggregate was born after its tissue's
    clock (escorts arriving at the site are placed at the step's end time, which the clock
    has then reached), and the thin agents mirror the live rows of every agent table."""
    model = day_runs["a"]
    site = model.process("dissemination").site.model
    for tissue in (model, site):
        for name in ("neutrophils", "platelets"):
            process = tissue.process(name)
            t = process.table
            assert np.all(t.birth_min[t.live_rows()] <= tissue.time_min)
            if process.mirror is not None:
                mirrored = [r for r, agent in enumerate(process.mirror.by_row)
                            if agent is not None]
                assert mirrored == t.live_rows().tolist()


def test_arriving_cells_carry_no_growth_signal_from_the_primary():
    """Cells that arrive at the site start with gf_signal 0 (the site computes its own in its
    next step), though cells at the primary had one when they left."""
    model = _model()
    arrived = 0
    for _ in range(60):
        model.step()
        site = model.process("dissemination").site
        ids = site.arrivals["cell_id"][site.arrivals["placed"].astype(bool)].astype(np.int64)
        cells = site.model.cells
        rows = cells.live_rows()
        new = rows[np.isin(cells.id[rows], ids)]
        assert np.all(cells.gf_signal[new] == 0.0)
        arrived += len(new)
    assert arrived > 0
    assert model.cells.gf_signal[model.cells.live_rows()].max() > 0.0
