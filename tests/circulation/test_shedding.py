"""Shedding kernel (abm/shedding.py) against its hazard and size distribution."""
import numpy as np
import pytest

from abm.tumor.cells import PHASES, CellTable
from abm.circulation.shedding import ShedUnits, perivascular_sites, shed

RATE, QUIESCENT, EMT_GAIN = 0.5, 0.2, 1.0
HYPOXIC_MMHG = 10.0


def _tissue(n=120, phase="proliferating", emt=0.0, oxygen=38.0):
    """An n×n lattice full of cells, with a vessel at every 4th site of every 4th row (so
    most cells are perivascular)."""
    vessels = np.zeros((n, n), dtype=bool)
    vessels[::4, ::4] = True
    ys, xs = np.nonzero(~vessels)
    cells = CellTable(capacity=len(xs))
    rows = cells.add(xs.astype(np.int32), ys.astype(np.int32), phase=PHASES[phase], birth_min=0.0)
    cells.id[rows] += 1000
    cells.emt[rows] = emt
    cells.oxygen[rows] = oxygen
    occupancy = np.full((n, n), -1, dtype=np.int32)
    occupancy[ys, xs] = rows
    return dict(vessels=vessels, cells=cells, xs=cells.x, ys=cells.y, occupancy=occupancy,
                phase=cells.phase, emt=cells.emt)


def _shed(t, clock_factor=1.0, p_cluster=0.0, extra=2.0, dt_h=0.1, seed=1, step=0,
          gains=(0.0, 0.0, 0.0)):
    """Shedding with ``gains`` = (hazard, cluster probability, cluster size) hypoxia gains;
    returns members, unit starts, competence, anoikis resistance and hypoxic share."""
    params = np.array([RATE, QUIESCENT, EMT_GAIN, p_cluster, extra, *gains, HYPOXIC_MMHG])
    units = ShedUnits.empty(t["cells"].hwm)
    k = shed(seed, step, dt_h, clock_factor, params, t["cells"].arrays(), t["occupancy"],
             perivascular_sites(t["vessels"]), units)
    members, start, comp, anoikis, hypoxic = units
    return members[:start[k]], start[:k + 1], comp[:k], anoikis[:k], hypoxic[:k]


def _n_perivascular(t):
    peri = perivascular_sites(t["vessels"])
    return int(peri[t["ys"], t["xs"]].sum())


@pytest.mark.parametrize("phase, clock, emt, factor", [
    ("proliferating", 2.0, 0.0, 2.0), ("proliferating", 0.5, 0.5, 0.5 * 1.5),
    ("dormant", 2.0, 0.0, QUIESCENT)])
def test_single_shedding_follows_its_hazard(phase, clock, emt, factor):
    """P(shed in dt) = 1 − exp(−rate·factor·dt) for every perivascular cell, where the
    circadian factor applies to proliferating cells only; binomial tolerance (4 SE)."""
    t = _tissue(phase=phase, emt=emt)
    members, start, comp, _, _ = _shed(t, clock_factor=clock)
    n = _n_perivascular(t)
    p = 1 - np.exp(-RATE * factor * 0.1)
    assert abs(len(members) - n * p) < 4 * np.sqrt(n * p * (1 - p))
    assert np.all(np.diff(start) == 1)  # singles only
    peri = perivascular_sites(t["vessels"])
    assert peri[t["ys"][members], t["xs"][members]].all()
    assert np.all(comp == (1.0 if phase == "proliferating" else 0.0))


def test_cluster_sizes_are_two_plus_a_geometric_number():
    """With every event a cluster and neighbours to spare: size − 2 ~ geometric, mean 2,
    P(size = 2) = 1/3; members are distinct and each is a Moore neighbour of an earlier one."""
    sizes = []
    for step in range(12):
        t = _tissue()
        members, start, _, _, _ = _shed(t, p_cluster=1.0, dt_h=0.02, step=step)
        sizes.extend(np.diff(start))
        assert len(np.unique(members)) == len(members)
        for i in range(len(start) - 1):
            unit = members[start[i]:start[i + 1]]
            for j in range(1, len(unit)):
                dx = np.abs(t["xs"][unit[j]] - t["xs"][unit[:j]])
                dy = np.abs(t["ys"][unit[j]] - t["ys"][unit[:j]])
                assert np.any((dx <= 1) & (dy <= 1))
    sizes = np.array(sizes)
    n = len(sizes)
    assert n > 700
    assert abs(sizes.mean() - 4.0) < 4 * np.sqrt(6.0 / n)  # var of the geometric: m(1 + m) = 6
    assert abs(np.mean(sizes == 2) - 1 / 3) < 4 * np.sqrt(2 / 9 / n)


def test_competence_is_the_proliferating_share_and_anoikis_the_mean_emt():
    t = _tissue()
    rng = np.random.default_rng(0)
    t["phase"][rng.random(len(t["phase"])) < 0.5] = PHASES["quiescent"]
    t["emt"][:] = rng.random(len(t["emt"]))
    members, start, comp, anoikis, _ = _shed(t, p_cluster=1.0, dt_h=0.05)
    for i in range(len(start) - 1):
        unit = members[start[i]:start[i + 1]]
        assert comp[i] == pytest.approx(np.mean(t["phase"][unit] == PHASES["proliferating"]))
        assert anoikis[i] == pytest.approx(t["emt"][unit].mean())


def test_hypoxia_raises_shedding_and_cluster_probability_and_size():
    """Hypoxic cells (O2 2 mmHg < 10) with gains (2, 5, 1): singles shed with P = 1 −
    exp(−rate·3·dt); a shed event is a cluster with P = 0.1·6 = 0.6 and its mean extra size
    is 2·2 = 4 (mean cluster size 6, neighbours to spare); every unit is fully hypoxic.
    Normoxic cells (38 mmHg) ignore the gains. Tolerances of 4 SE."""
    gains = (2.0, 5.0, 1.0)
    t = _tissue(oxygen=2.0)
    members, start, _, _, hypoxic = _shed(t, dt_h=0.1, gains=gains)  # singles only
    n = _n_perivascular(t)
    p = 1 - np.exp(-RATE * 3.0 * 0.1)
    assert abs(len(members) - n * p) < 4 * np.sqrt(n * p * (1 - p))
    assert np.all(hypoxic == 1.0)
    n_units, n_clusters, cluster_sizes = 0, 0, []
    for step in range(6):
        _, start, _, _, hypoxic = _shed(_tissue(oxygen=2.0), p_cluster=0.1, dt_h=0.02,
                                        step=step, gains=gains)
        sizes = np.diff(start)
        n_units += len(sizes)
        n_clusters += int(np.count_nonzero(sizes >= 2))
        cluster_sizes.extend(sizes[sizes >= 2])
        assert np.all(hypoxic == 1.0)
    assert abs(n_clusters / n_units - 0.6) < 4 * np.sqrt(0.24 / n_units)
    sizes = np.array(cluster_sizes)
    assert abs(sizes.mean() - 6.0) < 4 * np.sqrt(4.0 * 5.0 / len(sizes))  # var m(1 + m)
    _, start, _, _, hypoxic = _shed(_tissue(oxygen=38.0), p_cluster=0.1, dt_h=0.02,
                                    gains=gains)
    sizes = np.diff(start)
    assert np.all(hypoxic == 0.0)
    assert abs(np.mean(sizes >= 2) - 0.1) < 4 * np.sqrt(0.09 / len(sizes))
