"""Declared, not listed: the cell table, the run file's cell table, the reporters and the
field list derive from the column and field declarations; a field and a column registered
from outside the package (abm.extend) are created, solved, gathered, recorded and drawn."""
from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np
import pytest
from matplotlib.image import imread

from abm import TumorModel, load_config, load_run, run_scenario
from abm.core.columns import Column
from abm.config import param
from abm.extend import register_columns, register_field, register_section, unregister
from abm.fields.solutes import FIELDS, field_specs, uptake
from abm.fields.specs import MEAN_VIABLE, VMAX_VESSEL, FieldSpec, PlotStyle
from abm.memory import solved_fields
from abm.tumor.cells import CELL_COLUMNS, CellTable, cell_columns
from abm.viz.figures import plot
from abm.viz.movie import render_movie

from .helpers import TINY

ALL_FIELDS = ["sasp.field=true", "sasp_metabolic.field=true", "chemokine.field=true"]


# ---------------------------------------------------------------------------- derivations
def test_every_recorded_column_is_in_a_run_with_its_unit_dtype_and_enum(tmp_path):
    path = run_scenario(load_config(None, overrides=TINY + ["run.days=0.05"], seed=2),
                        tmp_path / "run.h5", progress=False)
    recorded = [c for c in CELL_COLUMNS if c.record]
    with load_run(path) as run:
        units = run.attrs["units"]["cells"]
        assert list(units)[:len(recorded)] == [c.name for c in recorded]  # declared order
        cells = run.cells(0)
    with h5py.File(path, "r") as f:
        for column in recorded:
            dset = f["cells"][column.name]
            assert units[column.name] == column.unit
            assert dset.dtype == np.dtype(column.record)
            assert ("enum" in dset.attrs) == (column.enum is not None)
    assert set(c.name for c in recorded) - {"id"} <= set(cells.columns)
    assert not {c.name for c in CELL_COLUMNS if not c.record} & set(units)


def test_the_table_division_and_reporters_follow_the_declarations():
    table = CellTable(capacity=16)
    assert all(getattr(table, c.name).dtype == np.dtype(c.dtype) for c in CELL_COLUMNS)
    rows = table.add(np.arange(2, dtype=np.int32), np.zeros(2, np.int32), phase=0, birth_min=0)
    table.pdl1[rows[0]], table.route[rows] = 0.25, 2
    table.divide(rows[:1], rows[1:])
    assert table.pdl1[rows[1]] == 0.25 and table.route[rows[1]] == 0
    names = TumorModel.reporter_names()
    by_columns = [f"{c.name}_mean_viable" for c in CELL_COLUMNS if c.report_mean_viable]
    by_fields = [name for spec in FIELDS for name in spec.reporter_names()]
    assert len(names) == len(set(names))
    assert [n for n in names if n.endswith("_mean_viable")] == [
        n for n in by_fields + by_columns if n.endswith("_mean_viable")]
    assert set(by_fields) <= set(names)
    assert not {c.name for c in CELL_COLUMNS if c.report_mean_viable} & {
        spec.column for spec in FIELDS}  # a gathered column is reported by its field


def test_a_gathered_column_has_its_field_unit():
    units = {c.name: c.unit for c in CELL_COLUMNS}
    for spec in FIELDS:
        if spec.column is not None:
            assert units[spec.column] == spec.unit


@pytest.mark.parametrize("overrides", [[], ["glucose.field=false"], ALL_FIELDS])
def test_the_model_builds_the_fields_the_declarations_enable(overrides):
    config = load_config(None, overrides=TINY + overrides, seed=1)
    names = [spec.name for spec in field_specs(config)]
    model = TumorModel(config)
    assert list(model.fields) == names == list(model.solutes) == solved_fields(config)
    assert names[0] == "oxygen"


# ---------------------------------------------------------------------------- a plugin
@dataclass(frozen=True)
class ToySection:
    """Solver settings of the toy field: a solute from the vessels, taken up by the cells."""

    field: bool = param(True, doc="solve the toy field", source="test plugin")
    diffusivity_um2_per_min: float = param(6000.0, unit="µm²/min", low=0.0, high=1e6,
                                           doc="diffusivity", source="test plugin")
    decay_per_min: float = param(0.0, unit="min⁻¹", low=0.0, high=1e3, doc="decay",
                                 source="test plugin")
    uptake_per_min: float = param(2.0, unit="min⁻¹", low=0.0, high=1e3,
                                  doc="uptake by a cell", source="test plugin")
    vessel_level: float = param(3.0, unit="toy units", low=0.0, high=1e3,
                                doc="level at vessel sites", source="test plugin")
    initial: str = param("vessel", choices=("vessel", "steady"), doc="initial state",
                         source="test plugin")
    rtol: float = param(1e-6, low=1e-12, high=0.1, doc="solver tolerance", source="test plugin")
    max_cycles: int = param(60, low=1, high=1000, doc="V-cycle limit", source="test plugin")

TOY_COLUMN = Column("toy", np.float64, unit="toy units", doc="local toy solute",
                    record=np.float32)
TOY_FIELD = FieldSpec("toy", "toy units", "toy solute", uptake,
                      PlotStyle("toy solute", cmap="cividis", vmax=VMAX_VESSEL, figure=True),
                      column="toy", vessel_key="vessel_level", reporters=(MEAN_VIABLE,))


@pytest.fixture
def toy_plugin():
    register_section("toy")(ToySection)
    register_columns("cells", TOY_COLUMN)
    register_field(TOY_FIELD)
    yield
    unregister("toy")


def _toy_config(*overrides: str):
    return load_config(None, overrides=TINY + ["run.days=0.1", "output.frame_every_min=60.0",
                                               *overrides], seed=3)


def test_a_registered_field_is_solved_gathered_recorded_and_drawn(toy_plugin, tmp_path):
    assert "toy" in [c.name for c in cell_columns()]
    assert "toy" not in [s.name for s in field_specs(_toy_config("toy.field=false"))]
    model = TumorModel(_toy_config())
    assert list(model.fields)[-1] == "toy" and "toy_mean_viable" in model.counts
    model.run_steps(2)
    toy, cells = model.fields["toy"], model.cells
    rows = cells.live_rows()
    rows = rows[cells.birth_min[rows] < model.time_min]  # alive when the field was gathered
    assert 0.0 < toy.min() < toy.max() == pytest.approx(3.0)  # taken up by the tumour
    assert np.array_equal(cells.toy[rows], toy[cells.y[rows], cells.x[rows]])
    assert model.counts["toy_mean_viable"] < 3.0

    path = run_scenario(_toy_config(), tmp_path / "toy.h5", progress=False)
    with load_run(path) as run:
        assert "toy" in run.field_names and run.attrs["units"]["fields"]["toy"] == "toy units"
        assert run.attrs["units"]["cells"]["toy"] == "toy units"
        assert "toy" in run.cells(-1).columns and "toy_mean_viable" in run.timeseries
        assert float(run.field("toy", -1).max()) == pytest.approx(3.0)
    figure = plot(path, tmp_path / "toy.png", kinds=["toy"], dpi=60)
    assert imread(figure).shape[0] > 100
    movie = render_movie(path, tmp_path / "toy.gif", fields=("phases", "toy"), frames=[0, -1],
                         dpi=40, progress=False)
    assert movie.stat().st_size > 0


def test_a_name_cannot_be_declared_twice(toy_plugin):
    with pytest.raises(ValueError, match="already registered"):
        register_field(TOY_FIELD)
    with pytest.raises(ValueError, match="already registered"):
        register_columns("cells", TOY_COLUMN)
    with pytest.raises(ValueError, match="unknown table"):
        register_columns("neurons", TOY_COLUMN)
    register_field(FieldSpec("oxygen", "mmHg", "again", uptake, PlotStyle("again")))
    try:
        with pytest.raises(ValueError, match="declared more than once"):
            field_specs()
    finally:
        unregister("oxygen")
    assert field_specs()[0] is FIELDS[0]
