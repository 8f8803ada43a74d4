"""A plugin from outside the package: a diffusing field with its own config section and a toy
agent type, registered through the public extension API (:mod:`abm.extend`) and run by the
unchanged model, recorder, reader and figures.

The plugin (everything above the tests) is what a user would put in a module of their own:
- ``[toxin]``: a toxin that proliferating cells release, diffusing and decaying, drained at
  vessels, gathered into a cell column ``toxin`` and reported as ``toxin_max``;
- ``[macrophages]``: walkers that start on random free sites and take one Moore step in a
  random direction per ABM step (never onto a vessel), recorded at every frame as rows of the
  event table ``macrophages``, counted as ``n_macrophages``, checkpointed with the run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from matplotlib.image import imread

from abm import TumorModel, load_config, load_run, run_scenario
from abm.config import param
from abm.core.columns import Column
from abm.core.process import Process
from abm.core.rng import uniform_array
from abm.core.rowtable import RowTable
from abm.extend import (register_columns, register_field, register_process, register_section,
                        unregister)
from abm.fields.specs import MAX, FieldSpec, PlotStyle
from abm.schema import to_toml
from abm.tumor.cells import PHASES, SENESCENCE_ROUTES
from abm.viz.figures import plot

from .helpers import TINY


# ---------------------------------------------------------------------------- the plugin
@dataclass(frozen=True)
class ToxinSection:
    """A toxin released by proliferating cells."""

    field: bool = param(True, doc="solve the toxin field", source="test plugin")
    diffusivity_um2_per_min: float = param(6000.0, unit="µm²/min", low=0.0, high=1e6,
                                           doc="diffusivity", source="test plugin")
    decay_per_min: float = param(0.05, unit="min⁻¹", low=0.0, high=1e3, doc="decay",
                                 source="test plugin")
    release_per_min: float = param(0.2, unit="toxin units/min", low=0.0, high=1e3,
                                   doc="release by a site holding a proliferating cell",
                                   source="test plugin")
    initial: str = param("vessel", choices=("vessel", "steady"), doc="initial state",
                         source="test plugin")
    rtol: float = param(1e-6, low=1e-12, high=0.1, doc="solver tolerance", source="test plugin")
    max_cycles: int = param(60, low=1, high=1000, doc="solver cycle limit",
                            source="test plugin")


def toxin_coupling(config, spec):
    """No uptake; proliferating cells release toxin (units/min per site, any route)."""
    release = np.zeros((len(PHASES), len(SENESCENCE_ROUTES)))
    release[PHASES["proliferating"], :] = config.toxin.release_per_min
    return np.zeros(len(PHASES)), release


TOXIN = FieldSpec("toxin", "toxin units", "toxin concentration", toxin_coupling,
                  PlotStyle("toxin", cmap="cividis", figure=True), column="toxin",
                  secreted=True, reporters=(MAX,))
TOXIN_COLUMN = Column("toxin", np.float64, unit="toxin units", doc="local toxin",
                      record=np.float32)


@dataclass(frozen=True)
class MacrophageSection:
    """Toy walkers."""

    enabled: bool = param(False, doc="place macrophages", source="test plugin")
    count: int = param(20, low=0, high=10_000, doc="how many", source="test plugin")


class MacrophageTable(RowTable):
    """Macrophages at lattice sites."""

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "x": np.int32, "y": np.int32}
    _PREFIX = "macrophages"


STREAM_PLACE, STREAM_WALK = 9001, 9002  # the plugin's own counter-based rng streams
MOORE = np.array([(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)])


class Macrophages(Process):
    """Places ``macrophages.count`` walkers on random free sites; each step every walker
    moves to a random Moore neighbour unless that is a vessel or off the lattice."""

    name, timing = "macrophages", "immune"
    reporters = ("n_macrophages",)
    event_tables = {"macrophages": ("time_min", "id", "x", "y")}

    def __init__(self, table: MacrophageTable):
        self.table = table

    @classmethod
    def from_config(cls, model, snapshot):
        if not model.config.macrophages.enabled:
            return None
        if snapshot is not None:
            return cls(MacrophageTable.from_snapshot(snapshot))
        free = np.flatnonzero(~model.vessels.ravel())
        draws = uniform_array(model.seed, 0, free.astype(np.int64), STREAM_PLACE)
        sites = free[np.argsort(draws, kind="stable")][: model.config.macrophages.count]
        table = MacrophageTable(capacity=len(sites))
        rows = table.claim(len(sites))
        table.x[rows], table.y[rows] = sites % model.shape[1], sites // model.shape[1]
        return cls(table)

    def step(self, model):
        t = self.table
        rows = t.live_rows()
        move = MOORE[(uniform_array(model.seed, model.step_index, t.id[rows], STREAM_WALK)
                      * 8).astype(np.int64)]
        ny, nx = model.shape
        x, y = t.x[rows] + move[:, 0], t.y[rows] + move[:, 1]
        ok = (x >= 0) & (x < nx) & (y >= 0) & (y < ny)
        ok[ok] &= ~model.vessels[y[ok], x[ok]]
        t.x[rows[ok]], t.y[rows[ok]] = x[ok], y[ok]

    def snapshot(self):
        return self.table.snapshot()

    def frame_events(self, model):
        t = self.table
        rows = t.live_rows()
        return {"macrophages": {"time_min": np.full(len(rows), model.time_min), "id": t.id[rows],
                                "x": ((t.x[rows] + 0.5) * model.dx_um).astype(np.float32),
                                "y": ((t.y[rows] + 0.5) * model.dx_um).astype(np.float32)}}

    def counts(self, model):
        return {"n_macrophages": self.table.count}


def register_plugin():
    """What the plugin module does when imported."""
    register_section("toxin")(ToxinSection)
    register_section("macrophages")(MacrophageSection)
    register_columns("cells", TOXIN_COLUMN)
    register_field(TOXIN)
    register_process(Macrophages, after="immune")


# ---------------------------------------------------------------------------- the tests
@pytest.fixture
def plugin():
    register_plugin()
    yield
    unregister("toxin", "macrophages")


OVERRIDES = TINY + ["run.days=0.25", "output.frame_every_min=60.0", "macrophages.enabled=true",
                    "toxin.decay_per_min=0.02"]


def test_the_plugin_field_and_agents_run_and_are_recorded(plugin, tmp_path):
    config = load_config(None, overrides=OVERRIDES, seed=4)
    assert config.toxin.decay_per_min == 0.02  # the plugin's section is part of the schema
    assert "[toxin]" in to_toml(config) and "[macrophages]" in to_toml(config)

    path = run_scenario(config, tmp_path / "plugin.h5", progress=False)
    with load_run(path) as run:
        assert run.attrs["units"]["fields"]["toxin"] == "toxin units"
        assert run.attrs["units"]["cells"]["toxin"] == "toxin units"
        toxin = run.field("toxin", -1)
        vessels = run.vessels
        cells = run.cells(-1)
        series = run.timeseries
        walkers = run.events("macrophages")
    # solved: released where the tumour is, drained at vessels, recorded each frame
    assert float(np.max(toxin)) > 0.0 and np.all(toxin[vessels] == 0.0)
    assert series["toxin_max"].iloc[-1] == pytest.approx(float(np.max(toxin)), rel=1e-6)
    # gathered: a proliferating cell's column holds the toxin at its site (float32 frame)
    proliferating = cells[cells["phase"] == PHASES["proliferating"]]
    assert (proliferating["toxin"] > 0).all()
    # the agents: counted, recorded at every frame, and they moved between frames
    assert (series["n_macrophages"] == 20).all()
    frames = walkers.groupby("time_min")
    assert frames.ngroups == len(run_frames := sorted(walkers["time_min"].unique())) >= 4
    first = walkers[walkers["time_min"] == run_frames[0]].set_index("id")
    last = walkers[walkers["time_min"] == run_frames[-1]].set_index("id")
    assert len(first) == 20 and (first[["x", "y"]] != last[["x", "y"]]).any(axis=None)
    # plotted by the package's figure code, from the declaration
    figure = plot(path, tmp_path / "toxin.png", kinds=["toxin"], dpi=60)
    assert imread(figure).shape[0] > 100


def test_a_model_with_the_plugin_resumes_exactly(plugin):
    config = load_config(None, overrides=OVERRIDES, seed=5)
    model = TumorModel(config)
    model.run_steps(3)
    again = TumorModel.from_checkpoint(config, 5, model.snapshot())
    model.run_steps(4)
    again.run_steps(4)
    a, b = model.process("macrophages").table, again.process("macrophages").table
    assert np.array_equal(a.x[: a.hwm], b.x[: b.hwm]) and np.array_equal(a.y[: a.hwm], b.y[: b.hwm])
    assert np.array_equal(model.fields["toxin"], again.fields["toxin"])
    assert model.counts == again.counts


def test_unregistering_restores_the_package(plugin):
    unregister("toxin", "macrophages")
    config = load_config(None, overrides=TINY, seed=1)
    assert not hasattr(config, "toxin") and "[toxin]" not in to_toml(config)
    model = TumorModel(config)
    assert "toxin" not in model.fields and model.process("macrophages") is None
    assert "n_macrophages" not in model.counts
