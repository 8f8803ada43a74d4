"""The secondary site (abm/metastasis): cells carry their whole state there bit for bit,
colonies are counted as defined, a resection removes the primary, runs with two sites are
deterministic and resume exactly, and bad site input is refused before anything runs."""
from __future__ import annotations

import numpy as np
import pytest

from abm.circulation.transit import TransitCells
from abm.errors import ConfigError
from abm.metastasis.site import SITE_ID_BASE, colony_counts
from abm.model import TumorModel
from abm.schema import load_config
from abm.tumor.cells import DORMANT, PROLIFERATING, CellTable

from ..helpers import config_from_text

TWO_SITES = """
[run]
days = 0.5
seed = 3
[grid]
nx = 60
ny = 60
[vessels]
density_per_mm2 = 8.0
min_spacing_um = 120.0
poorly_perfused_fraction = 0.5
[tumor]
radius_um = 500.0
[shedding]
enabled = true
rate_per_h = 1.0
[blood]
params = { arrest_per_min = 0.5 }
[secondary]
enabled = true
nx = 40
ny = 40
[chemokine]
field = true
"""
"""A small primary that sheds fast into blood where units arrest within minutes."""


def _model(**sections):
    return TumorModel(config_from_text(TWO_SITES, **sections))


def test_a_cell_arrives_at_the_site_exactly_as_it_left_the_primary(monkeypatch):
    """The row a cell had when it shed (captured as it enters the blood) equals, bit for bit,
    its first row at the site — every column but its site and founder, and the network
    state — and its founder is itself."""
    left = {}
    carry = TransitCells.carry

    def spy(self, source, rows):
        for r in rows:
            left[int(source.id[r])] = ({n: getattr(source, n)[r].copy() for n in source.dtypes()},
                                       source.state[r].copy())
        carry(self, source, rows)

    monkeypatch.setattr(TransitCells, "carry", spy)
    model = _model()
    site = model.process("dissemination").site.model
    seen = set()
    compared = 0
    for _ in range(60):
        model.step()
        c = site.cells
        live = c.live_rows()
        for r in live[~np.isin(c.id[live], list(seen))]:
            cell = int(c.id[r])
            seen.add(cell)
            if cell >= SITE_ID_BASE:
                continue  # born at the site
            columns, state = left[cell]
            for name, value in columns.items():
                if name in ("x", "y", "founder_id"):
                    continue
                assert np.array_equal(getattr(c, name)[r], value), (cell, name)
            assert np.array_equal(c.state[r], state)  # bitwise: no tolerance
            assert c.founder_id[r] == cell
            compared += 1
    assert compared >= 5


def test_same_seed_same_two_site_run_and_resume_is_exact():
    """Two runs of one seed give the same primary and site; a run rebuilt from its snapshot
    halfway continues to the same state (the site, the cells in the blood, the colonies)."""
    a, b = _model(), _model()
    for _ in range(30):
        a.step()
        b.step()
    resumed = TumorModel.from_checkpoint(a.config, a.seed, a.snapshot())
    for _ in range(30):
        a.step()
        b.step()
        resumed.step()
    snaps = [m.snapshot() for m in (a, b, resumed)]
    assert any(k.startswith("site.secondary.") for k in snaps[0])
    assert any(k.startswith("transit.") for k in snaps[0])
    for other in snaps[1:]:
        assert snaps[0].keys() == other.keys()
        for key in snaps[0]:
            if key.endswith("rng_state"):
                continue
            assert np.array_equal(np.asarray(snaps[0][key]), np.asarray(other[key])), key
    assert a.process("dissemination").site.model.cells.count > 0


def test_colonies_are_counted_by_founder():
    """Colonies of 1, 3, 4 and 120 cells (founders 10, 20, 30, 40), one dormant solitary
    cell: DTCs are the cells of colonies below 4 cells (4), one micro-, one macrometastasis."""
    section = load_config(None).secondary
    table = CellTable(capacity=256)
    sizes = {10: 1, 20: 3, 30: 4, 40: 120}
    rows = table.add(np.zeros(128, np.int32), np.zeros(128, np.int32), phase=PROLIFERATING,
                     birth_min=0.0)
    table.founder_id[rows] = np.repeat(list(sizes), list(sizes.values()))
    table.phase[rows[0]] = DORMANT
    counts = colony_counts(table, section)
    assert counts == {"n_dtc": 4, "n_dtc_dormant": 1, "n_colonies": 4, "n_micrometastases": 1,
                      "n_macrometastases": 1, "largest_colony": 120}


def test_resection_removes_the_primary_and_the_site_keeps_its_cells():
    model = TumorModel(config_from_text(TWO_SITES, [{"drug": "resection", "at_h": [3.0]}]))
    site = model.process("dissemination").site.model
    for _ in range(30):  # 3 h
        model.step()
    assert model.cells.count == 0 and model.counts["resected"] > 1000
    n_site = site.cells.count
    assert n_site > 0
    model.step()
    assert model.counts["resected"] == 0 and model.counts["ctc_shed_units"] == 0
    assert site.cells.count >= n_site - 5  # nothing removed there (a few may die)
    assert site.config.therapy == ()  # the site's config has no resection


@pytest.mark.parametrize("key, value, message", [
    ("secondary.nx", 4, "secondary.nx"),
    ("secondary.extravasation_probability", 1.5, "secondary.extravasation_probability"),
    ("secondary.vessel_mmHg", -1.0, "secondary.vessel_mmHg"),
    ("secondary.organ", "'brain'", "secondary.organ"),
    ("secondary.micrometastasis_cells", 200, "macrometastasis_cells"),
])
def test_bad_site_input_is_refused_naming_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides=["shedding.enabled=true", "secondary.enabled=true",
                                     f"{key}={value}"])


def test_a_site_needs_shedding():
    with pytest.raises(ConfigError, match="shedding.enabled"):
        load_config(None, overrides=["secondary.enabled=true"])


def test_the_run_file_holds_the_site_and_the_analyses_add_up(tmp_path):
    """A two-site run file: the site group has its frames, series and ``dtc`` arrivals; the
    fates of arrested cells partition them; the hypoxic shares are those of ``events/ctc``
    counted by hand."""
    from abm import run_scenario
    from abm.io import load_run
    from abm.metastasis.analysis import arrested_fates, hypoxic_shedding

    config = config_from_text(TWO_SITES, output={"frame_every_min": 60.0})
    path = run_scenario(config, tmp_path / "two.h5", progress=False)
    with load_run(path) as run:
        assert run.sites == ["secondary"]
        site = run.site("secondary")
        arrived = site.events("dtc")
        assert site.n_frames == run.n_frames and len(arrived) > 0
        series = site.timeseries
        for frame, t in enumerate(site.frame_times):  # every frame, arrivals included
            assert series.loc[t, "n_tumor"] == len(site.cells(frame)), t
        assert (series["n_dtc"] <= series["n_tumor"]).all()
        units = run.events("ctc")
    fates = arrested_fates(path, 0.0)
    parts = ("died_in_capillary", "died_after_extravasation", "solitary", "small_clusters",
             "micrometastases", "macrometastases")
    assert fates["cells"] == len(arrived)
    assert sum(fates[k] for k in parts) == pytest.approx(1.0)
    shed = units[units["parent_id"] == -1]
    cluster = shed["size_shed"].to_numpy() >= 2
    hypoxic = shed["hypoxic"].to_numpy() >= 0.5
    stats = hypoxic_shedding(path)
    assert stats["clusters"] == cluster.sum() and stats["singles"] == (~cluster).sum()
    assert stats["hypoxic_single_share"] == pytest.approx(hypoxic[~cluster].mean())
