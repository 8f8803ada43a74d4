"""The myeloid agents in a whole (small) two-site model: a run is determined by its seed, a
run resumed from its snapshot equals the uninterrupted one, and a config whose agents lack
their fields is refused naming the keys."""
from __future__ import annotations

import re

import numpy as np
import pytest

from abm.errors import ConfigError
from abm.model import TumorModel
from abm.schema import load_config

MYELOID = ["chemokine.field=true", "neutrophils.enabled=true", "il6.field=true",
           "platelets.enabled=true", "tgfb.field=true"]
SMALL = ["run.seed=3", "grid.nx=40", "grid.ny=40", "vessels.density_per_mm2=8.0",
         "vessels.min_spacing_um=120.0", "tumor.radius_um=300.0", "shedding.enabled=true",
         "shedding.rate_per_h=1.0", "blood.params={ arrest_per_min = 0.5 }",
         "secondary.enabled=true", "secondary.nx=30", "secondary.ny=30",
         # an inflammation pulse at the start fills both tissues with neutrophils and NETs
         "neutrophils.inflammation_at_h=0.0", "secondary.inflammation_at_h=0.0",
         # every neutrophil touching a shed cell goes with it (the pulse turns many into NETs)
         "neutrophils.escort_probability=1.0",
         "output.figure=false"]
"""A 40×40 primary that sheds fast into blood where units arrest within minutes, with a
30×30 secondary site; 120 steps are 12 h."""
HALF_DAY = 120

TABLE_KEYS = ("neutrophils.", "platelets.", "site.secondary.neutrophils.",
              "site.secondary.platelets.")


def _model():
    return TumorModel(load_config(None, overrides=SMALL + MYELOID))


def _step(models, n):
    """Step every model ``n`` times; the myeloid step counts of each step, per model."""
    names = ("neutrophils_entered", "nets_formed", "neutrophils_escorting", "units_escorted",
             "platelets_adhered", "units_cloaked", "n_neutrophils", "n_nets", "n_platelets")
    series = [[] for _ in models]
    for _ in range(n):
        for m, s in zip(models, series):
            m.step()
            s.append([m.counts[k] for k in names])
    return [np.array(s) for s in series]


def _assert_same_state(snap_a, snap_b):
    """Two snapshots hold the same arrays (the rng's JSON state aside)."""
    assert snap_a.keys() == snap_b.keys()
    differ = []
    for key in snap_a:
        if key.endswith("rng_state"):
            continue
        a, b = np.asarray(snap_a[key]), np.asarray(snap_b[key])
        if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
            differ.append(key)
    assert not differ, f"these arrays differ: {differ}"


@pytest.fixture(scope="module")
def day_runs():
    """Two runs of one seed for a day, with the first's snapshot at 12 h."""
    a, b = _model(), _model()
    first = _step((a, b), HALF_DAY)
    # a copy: the snapshot holds some live arrays (the fields, the tissue occupancy), which
    # the run goes on changing; a checkpoint file is written at once, so it does not care
    middle = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.snapshot().items()}
    second = _step((a, b), HALF_DAY)
    return {"a": a, "middle": middle, "end": [a.snapshot(), b.snapshot()],
            "series": [np.concatenate([f, s]) for f, s in zip(first, second)]}


def test_same_seed_same_myeloid_run(day_runs):
    """Two runs of one seed hold identical neutrophil and platelet tables and occupancies
    (primary and site), and everything else, after a day; the run exercised the agents."""
    end_a, end_b = day_runs["end"]
    keys = [k for k in end_a if k.startswith(TABLE_KEYS)]
    assert any(k.startswith("site.secondary.neutrophils.") for k in keys)
    assert "neutrophils.occupancy" in keys and "platelets.occupancy" in keys
    _assert_same_state(end_a, end_b)
    series_a, series_b = day_runs["series"]
    np.testing.assert_array_equal(series_a, series_b)
    a = day_runs["a"]
    site = a.process("dissemination").site.model
    for tissue in (a, site):
        table = tissue.process("neutrophils").table
        assert table.count > 0 and np.any(table.net[:table.hwm][table.alive[:table.hwm]] == 1)
    assert series_a[:, 0].sum() > 0 and series_a[:, 1].sum() > 0  # entries, NETs
    assert series_a[:, 3].sum() > 0  # escorted units
    assert a.process("platelets").table.count + series_a[:, 4].sum() > 0


def test_resume_from_a_snapshot_equals_the_uninterrupted_run(day_runs):
    """A run rebuilt at 12 h from the snapshot continues to the same state as the
    uninterrupted run at 24 h: tables, occupancies, fields, cells, site, and the step counts
    of every step after the resume."""
    a = day_runs["a"]
    resumed = TumorModel.from_checkpoint(a.config, a.seed, day_runs["middle"])
    series = _step((resumed,), HALF_DAY)[0]
    np.testing.assert_array_equal(series, day_runs["series"][0][HALF_DAY:])
    _assert_same_state(day_runs["end"][0], resumed.snapshot())


@pytest.mark.parametrize("off, needs", [("il6.field=false", "il6.field"),
                                        ("chemokine.field=false", "chemokine.field"),
                                        ("tgfb.field=false", "tgfb.field")])
def test_agents_without_their_field_are_refused_naming_both_keys(off, needs):
    owner = "platelets.enabled" if needs == "tgfb.field" else "neutrophils.enabled"
    with pytest.raises(ConfigError) as error:
        load_config(None, overrides=MYELOID + [off])
    message = str(error.value)
    assert re.search(re.escape(owner), message) and re.search(re.escape(needs), message)
