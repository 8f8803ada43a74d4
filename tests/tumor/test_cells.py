"""Cell table, counter-based rng, and the division/removal kernels."""
from __future__ import annotations

import numpy as np
from scipy import stats

from abm.tumor.cells import CellTable
from abm.tumor.lattice_events import place_daughters, placement_shells, remove_cells
from abm.core.rng import normal, uniform_array


def test_rng_is_uniform_keyed_and_stream_independent():
    ids = np.arange(100_000, dtype=np.int64)
    a = uniform_array(7, 3, ids, 1)
    assert stats.kstest(a, "uniform").pvalue > 1e-3
    assert np.array_equal(a, uniform_array(7, 3, ids, 1))
    b = uniform_array(7, 3, ids, 2)
    c = uniform_array(7, 4, ids, 1)
    d = uniform_array(8, 3, ids, 1)
    for other in (b, c, d):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.02
    # Order independence: drawing for a permutation of ids gives the permuted draws.
    perm = np.random.default_rng(0).permutation(ids)
    assert np.array_equal(uniform_array(7, 3, perm, 1), a[perm])
    z = np.array([normal(1, 2, i, 3) for i in range(20000)])
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_table_rows_free_list_and_snapshot():
    table = CellTable(capacity=16, n_state=2)
    rows = table.add(np.arange(10, dtype=np.int32), np.zeros(10, dtype=np.int32),
                     phase=0, birth_min=0.0)
    assert list(rows) == list(range(10)) and table.count == 10 and table.next_id == 10
    occupancy = np.full((4, 12), -1, dtype=np.int32)
    occupancy[0, :10] = rows
    remove_cells(table, occupancy, np.array([3, 7]))
    assert table.count == 8 and occupancy[0, 3] == -1 and list(table.live_rows()) == [0, 1, 2, 4, 5, 6, 8, 9]
    table.ensure_capacity(100)
    assert table.capacity >= 10 + 100 - 2 and table.count == 8
    restored = CellTable.from_snapshot(table.snapshot())
    for name in ("alive", "id", "x", "y", "phase", "state"):
        assert np.array_equal(getattr(restored, name)[:table.hwm], getattr(table, name)[:table.hwm])
    assert np.array_equal(restored.counters, table.counters)


def test_a_snapshot_without_copies_holds_the_same_values_as_views():
    table = CellTable(capacity=16, n_state=2)
    table.add(np.arange(6, dtype=np.int32), np.zeros(6, dtype=np.int32), phase=0, birth_min=0.0)
    table.state[:6] = np.arange(12.0).reshape(6, 2)
    copied, views = table.snapshot(), table.snapshot(copy=False)
    assert sorted(copied) == sorted(views)
    for key, values in copied.items():
        assert np.array_equal(views[key], values) and views[key].dtype == values.dtype
    assert all(np.shares_memory(views[k], table.state) for k in views if k.endswith(".state"))
    table.state[0, 0] = -1.0  # the copy keeps the state it was taken with; a view does not
    assert copied["cells.state"][0, 0] == 0.0 and views["cells.state"][0, 0] == -1.0


def _divide(table, occupancy, vessels, mothers, radius=2.0, step=0):
    table.ensure_capacity(len(mothers))
    daughters = np.empty(len(mothers), dtype=np.int64)
    blocked = np.empty(len(mothers), dtype=np.int64)
    placed, n_blocked = place_daughters(
        table.arrays(), np.asarray(mothers, dtype=np.int64), occupancy, vessels,
        placement_shells(radius), 11, step, 6.0, daughters, blocked)
    return daughters[:placed], blocked[:n_blocked]


def test_daughter_goes_to_the_nearest_free_site_reusing_free_rows():
    table = CellTable(capacity=16, n_state=1)
    occupancy = np.full((9, 9), -1, dtype=np.int32)
    vessels = np.zeros((9, 9), dtype=bool)
    # Mother at the centre, its 4 edge neighbours taken: the nearest free sites are diagonal.
    xs = np.array([4, 3, 5, 4, 4, 0], dtype=np.int32)
    ys = np.array([4, 4, 4, 3, 5, 0], dtype=np.int32)
    rows = table.add(xs, ys, phase=0, birth_min=0.0)
    occupancy[ys, xs] = rows
    remove_cells(table, occupancy, np.array([5]))
    table.state[0, 0] = 0.75
    daughters, blocked = _divide(table, occupancy, vessels, [0])
    d = daughters[0]
    assert len(blocked) == 0 and d == 5  # the freed row is reused
    assert abs(table.x[d] - 4) == 1 and abs(table.y[d] - 4) == 1
    assert occupancy[table.y[d], table.x[d]] == d
    assert table.parent_id[d] == table.id[0] and table.id[d] == 6 and table.state[d, 0] == 0.75


def test_no_free_site_within_radius_is_contact_inhibition():
    table = CellTable(capacity=64, n_state=1)
    yy, xx = np.mgrid[0:7, 0:7]
    rows = table.add(xx.ravel().astype(np.int32), yy.ravel().astype(np.int32), phase=0, birth_min=0.0)
    occupancy = rows.reshape(7, 7).astype(np.int32)
    vessels = np.zeros((7, 7), dtype=bool)
    centre = occupancy[3, 3]
    daughters, blocked = _divide(table, occupancy, vessels, [centre], radius=2.0)
    assert len(daughters) == 0 and list(blocked) == [centre] and table.count == 49
    occupancy_with_hole = occupancy.copy()
    # A vessel site is never used even when it is the only "free" one.
    vessels[1, 1] = True
    remove_cells(table, occupancy_with_hole, np.array([occupancy[1, 1]]))
    daughters, blocked = _divide(table, occupancy_with_hole, vessels, [centre], radius=3.0)
    assert len(daughters) == 0 and list(blocked) == [centre]


def test_growth_from_one_cell_is_isotropic():
    n = 121
    table = CellTable(capacity=16, n_state=1)
    occupancy = np.full((n, n), -1, dtype=np.int32)
    vessels = np.zeros((n, n), dtype=bool)
    rows = table.add(np.array([n // 2], dtype=np.int32), np.array([n // 2], dtype=np.int32),
                     phase=0, birth_min=0.0)
    occupancy[n // 2, n // 2] = rows[0]
    for step in range(14):  # every cell divides each round, nearest free site within 5 sites
        _divide(table, occupancy, vessels, table.live_rows(), radius=5.0, step=step)
    live = table.live_rows()
    dx = table.x[live] - n // 2
    dy = table.y[live] - n // 2
    assert table.count > 2000
    r_axis = np.percentile(np.abs(np.concatenate([dx[np.abs(dy) <= 1], dy[np.abs(dx) <= 1]])), 99)
    on_diagonal = np.abs(np.abs(dx) - np.abs(dy)) <= 1
    r_diag = np.percentile(np.hypot(dx[on_diagonal], dy[on_diagonal]), 99)
    assert abs(r_diag / r_axis - 1) < 0.1, (r_axis, r_diag)
