"""``abm export``: the tables read back by pandas (CSV, Parquet) and the VTK files read back by
VTK's own XML readers and by meshio, compared with the run as ``load_run`` reads it; outputs
never overwritten unless asked; bad arguments named before anything is written."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import load_config, load_run, run_scenario
from abm.cli import main
from abm.errors import OutputError
from abm.export import ExportArgumentError, export_run
from abm.export.request import parse_frames
from abm.export.vtk_run import grid_geometry

from ..helpers import TINY

pq = pytest.importorskip("pyarrow.parquet")  # the test extra installs pyarrow, vtk and meshio
meshio = pytest.importorskip("meshio")
vtk_io = pytest.importorskip("vtkmodules.vtkIOXML")  # VTK's readers, without its rendering libraries
from vtkmodules.util.numpy_support import vtk_to_numpy  # noqa: E402

THERAPY = '[[therapy]]\ndrug = "chemo"\ndose = 1.0\nat_h = [3.0]\n'
"""One chemotherapy dose, so the run has a ``doses`` table (a text column) and drug deaths."""
IMMUNE = ["run.days=1.0", "output.frame_every_min=180.0", "chemokine.field=true", "immune.enabled=true"]
"""The tiny tissue for one day, a frame every 3 h (9 frames), with CD8 and NK cells (event tables)."""


@pytest.fixture(scope="session")
def run_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export_run")
    scenario = folder / "therapy.toml"
    scenario.write_text(THERAPY)
    config = load_config(scenario, overrides=TINY + IMMUNE, seed=2)
    return run_scenario(config, folder / "run.h5", progress=False)


@pytest.fixture(scope="session")
def run(run_path):
    with load_run(run_path) as opened:
        yield opened


@pytest.fixture(scope="session")
def exported(run_path, tmp_path_factory) -> dict[str, Path]:
    """The folder of each format's export: all frames and everything a format holds; ``vtk``
    with the default compression, ``vtk0`` without."""
    out = {}
    for key, fmt, what, compress in (("csv", "csv", "cells,timeseries,events,fields", None),
                                     ("parquet", "parquet", "cells,timeseries,events,fields", None),
                                     ("vtk", "vtk", "fields,cells", None), ("vtk0", "vtk", "fields,cells", 0)):
        out[key] = tmp_path_factory.mktemp(key)
        export_run(run_path, fmt, what=what, out_dir=out[key], compress=compress)
    return out


def test_the_run_has_what_the_tests_need(run):
    assert run.n_frames == 9
    assert {"immune_kills", "immune_cells", "doses"} <= set(run.event_tables)
    assert {"kind", "phase", "route"} <= set(run.cell_columns)
    assert run.vessels.any()


# ---------------------------------------------------------------------- tables
def _read(fmt: str, path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)


def _assert_same_column(back: pd.Series, original: pd.Series, exact_dtype: bool, where: str):
    if isinstance(original.dtype, pd.CategoricalDtype) or original.dtype == object or pd.api.types.is_string_dtype(original):
        assert list(back.astype(object).where(back.notna(), None)) == \
            list(original.astype(object).where(original.notna(), None)), where
        return
    if exact_dtype:
        assert back.dtype == original.dtype, where
    # CSV: the shortest decimal text of each value reads back to the same value in its dtype
    values = back.to_numpy().astype(original.dtype)
    assert np.array_equal(values, original.to_numpy(), equal_nan=original.dtype.kind == "f"), where


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cells_table_is_every_frame_of_the_run(run, exported, fmt):
    table = _read(fmt, exported[fmt] / f"cells.{fmt}")
    assert list(table.columns[:3]) == ["frame", "time_min", "cell_id"]
    assert len(table) == run.cell_counts().sum()
    for f in range(run.n_frames):
        rows = table[table.frame == f].reset_index(drop=True)
        cells = run.cells(f)
        assert (rows.time_min == run.frame_times[f]).all()
        assert np.array_equal(rows.cell_id.to_numpy(), cells.index.to_numpy())
        assert list(rows.columns[3:]) == list(cells.columns)
        for column in cells.columns:
            _assert_same_column(rows[column], cells[column].reset_index(drop=True), fmt == "parquet",
                                f"{fmt} frame {f} column {column}")


def test_parquet_cells_keep_categories_units_and_one_row_group_per_frame(run, exported):
    path = exported["parquet"] / "cells.parquet"
    table = pd.read_parquet(path)
    assert isinstance(table.phase.dtype, pd.CategoricalDtype)
    assert list(table.phase.cat.categories) == list(run.cells(0).phase.cat.categories)
    schema = pq.read_schema(path)
    stored = run.attrs["units"]["cells"]
    assert schema.field("oxygen").metadata[b"units"].decode() == stored["oxygen"] == "mmHg"
    assert schema.field("x").metadata[b"units"].decode() == "µm"
    assert schema.field("time_min").metadata[b"units"].decode() == "min"
    assert pq.ParquetFile(path).num_row_groups == run.n_frames  # written one frame at a time


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_timeseries_table_is_the_run_timeseries(run, exported, fmt):
    table = _read(fmt, exported[fmt] / f"timeseries.{fmt}")
    series = run.timeseries
    assert np.array_equal(table.time_min.to_numpy(), series.index.to_numpy())
    assert list(table.columns[1:]) == list(series.columns)
    for column in series.columns:
        _assert_same_column(table[column], series[column].reset_index(drop=True), fmt == "parquet", column)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_event_tables_are_the_run_event_tables(run, exported, fmt):
    written = sorted(p.name for p in exported[fmt].glob(f"events_*.{fmt}"))
    assert written == sorted(f"events_{t}.{fmt}" for t in run.event_tables)
    for name in run.event_tables:
        events = run.events(name)
        table = _read(fmt, exported[fmt] / f"events_{name}.{fmt}")
        assert list(table.columns) == list(events.columns) and len(table) == len(events) > 0
        for column in events.columns:
            _assert_same_column(table[column], events[column], fmt == "parquet", f"{name}.{column}")
    assert set(run.events("doses").drug) == {"chemo"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_fields_table_holds_each_site(run, exported, fmt):
    table = _read(fmt, exported[fmt] / f"fields.{fmt}")
    ny, nx = len(run.y_um), len(run.x_um)
    assert len(table) == run.n_frames * ny * nx
    rng = np.random.default_rng(0)
    for f in (0, run.n_frames - 1):
        rows = table[table.frame == f]
        for j, i in zip(rng.integers(0, ny, 5), rng.integers(0, nx, 5)):
            site = rows[(rows.x.astype(np.float64) == run.x_um[i]) & (rows.y.astype(np.float64) == run.y_um[j])]
            assert len(site) == 1
            for name in run.field_names:
                assert np.float32(site[name].iloc[0]) == run.field(name, f)[j, i]
            assert site.vessels.iloc[0] == run.vessels[j, i]
    assert table[table.frame == 0].vessels.sum() == run.vessels.sum()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "vtk"])
def test_units_sidecar_has_the_run_units(run, exported, fmt):
    units = json.loads((exported[fmt] / "units.json").read_text(encoding="utf-8"))
    stored = run.attrs["units"]
    for name, unit in stored["cells"].items():
        if name != "id":
            assert units["cells"][name] == unit
    assert units["cells"]["cell_id"] == ""
    for name, unit in stored["fields"].items():
        assert units["fields"][name] == unit
    if fmt != "vtk":
        assert units["cells"]["time_min"] == units["timeseries"]["time_min"] == "min"
        assert units["events_immune_kills"]["time_min"] == "min"


# ---------------------------------------------------------------------- VTK
def _vtk_read(reader_class, path: Path):
    reader = reader_class()
    reader.SetFileName(str(path))
    reader.Update()
    return reader.GetOutput()


def _pvd(path: Path) -> list[tuple[float, str]]:
    return [(float(e.get("timestep")), e.get("file")) for e in ET.parse(path).getroot().iter("DataSet")]


@pytest.mark.parametrize("key", ["vtk", "vtk0"])
def test_vti_is_the_fields_on_an_image_in_um(run, exported, key):
    ny, nx = len(run.y_um), len(run.x_um)
    dx = run.attrs["dx_um"]
    for f in range(run.n_frames):
        image = _vtk_read(vtk_io.vtkXMLImageDataReader, exported[key] / f"fields_{f:04d}.vti")
        assert image.GetDimensions() == (nx + 1, ny + 1, 1)
        assert image.GetSpacing()[:2] == pytest.approx((dx, dx), rel=1e-12)
        # the image's corner: half a site before the first site centre
        assert image.GetOrigin()[:2] == pytest.approx((run.x_um[0] - dx / 2, run.y_um[0] - dx / 2), abs=1e-9)
        data = image.GetCellData()
        for name in run.field_names:
            values = vtk_to_numpy(data.GetArray(name))
            assert np.array_equal(values.reshape(ny, nx), run.field(name, f))
        assert np.array_equal(vtk_to_numpy(data.GetArray("vessels")).reshape(ny, nx), run.vessels)
        assert vtk_to_numpy(image.GetFieldData().GetArray("TimeValue"))[0] == run.frame_times[f]


def test_vti_pixel_at_a_site_centre_holds_that_site(run, exported):
    """Located by VTK from physical coordinates, not from array order."""
    f = run.n_frames - 1
    image = _vtk_read(vtk_io.vtkXMLImageDataReader, exported["vtk"] / f"fields_{f:04d}.vti")
    oxygen = vtk_to_numpy(image.GetCellData().GetArray("oxygen"))
    field = run.field("oxygen", f)
    vessel_j, vessel_i = np.argwhere(run.vessels)[0]
    for j, i in [(0, 0), (len(run.y_um) - 1, len(run.x_um) - 1), (3, 17), (vessel_j, vessel_i)]:
        ijk, pcoords = [0, 0, 0], [0.0, 0.0, 0.0]
        assert image.ComputeStructuredCoordinates((run.x_um[i], run.y_um[j], 0.0), ijk, pcoords) == 1
        assert ijk == [i, j, 0] and pcoords[:2] == pytest.approx([0.5, 0.5])  # the pixel's centre
        assert oxygen[image.ComputeCellId(ijk)] == field[j, i]
    assert field[vessel_j, vessel_i] == field.max()  # the vessel site holds the blood level


@pytest.mark.parametrize("key", ["vtk", "vtk0"])
def test_vtu_is_the_cells_as_points(run, exported, key):
    for f in (0, run.n_frames - 1):
        cells = run.cells(f)
        grid = _vtk_read(vtk_io.vtkXMLUnstructuredGridReader, exported[key] / f"cells_{f:04d}.vtu")
        assert grid.GetNumberOfPoints() == grid.GetNumberOfCells() == len(cells)
        assert {grid.GetCellType(k) for k in range(grid.GetNumberOfCells())} == {1}  # VTK_VERTEX
        points = vtk_to_numpy(grid.GetPoints().GetData())
        assert np.array_equal(points[:, 0], cells.x) and np.array_equal(points[:, 1], cells.y)
        assert not points[:, 2].any()
        data = grid.GetPointData()
        assert np.array_equal(vtk_to_numpy(data.GetArray("cell_id")), cells.index)
        table = grid.GetFieldData()
        for column in cells.columns:
            values = vtk_to_numpy(data.GetArray(column))
            if isinstance(cells[column].dtype, pd.CategoricalDtype):
                code_of = {table.GetArrayName(k).split("=", 1)[1]: int(vtk_to_numpy(table.GetArray(k))[0])
                           for k in range(table.GetNumberOfArrays())
                           if table.GetArrayName(k).startswith(f"{column}=")}
                name_of = {code: name for name, code in code_of.items()}
                assert set(code_of) == set(cells[column].cat.categories)
                assert [name_of[c] for c in values] == list(cells[column].astype(str))
            else:
                assert np.array_equal(values, cells[column].to_numpy()), column
        assert vtk_to_numpy(table.GetArray("TimeValue"))[0] == run.frame_times[f]


@pytest.mark.parametrize("key", ["vtk", "vtk0"])
def test_meshio_reads_the_cells(run, exported, key):
    f = run.n_frames - 1
    cells = run.cells(f)
    mesh = meshio.read(exported[key] / f"cells_{f:04d}.vtu")
    assert [block.type for block in mesh.cells] == ["vertex"] and len(mesh.cells[0].data) == len(cells)
    assert np.array_equal(mesh.points[:, :2], cells[["x", "y"]].to_numpy())
    assert np.array_equal(mesh.point_data["oxygen"], cells.oxygen)
    assert np.array_equal(mesh.point_data["birth_min"], cells.birth_min)
    necrotic = int(mesh.field_data["phase=necrotic"][0])
    assert (mesh.point_data["phase"] == necrotic).sum() == (cells.phase == "necrotic").sum()


def test_compressed_files_say_so_and_are_smaller(run, exported):
    for name in ("fields_0008.vti", "cells_0008.vtu"):
        compressed, plain = (exported[key] / name for key in ("vtk", "vtk0"))
        assert b'compressor="vtkZLibDataCompressor"' in compressed.read_bytes()[:300]
        assert b"compressor" not in plain.read_bytes()[:300]
        assert compressed.stat().st_size < 0.7 * plain.stat().st_size


def test_pvd_collections_list_the_frames_with_their_times(run, exported):
    for kind, suffix in (("fields", "vti"), ("cells", "vtu")):
        entries = _pvd(exported["vtk"] / f"{kind}.pvd")
        assert [t for t, _ in entries] == list(run.frame_times)
        assert [name for _, name in entries] == [f"{kind}_{f:04d}.{suffix}" for f in range(run.n_frames)]
        assert all((exported["vtk"] / name).is_file() for _, name in entries)


def test_frames_select_the_files_and_rows(run_path, run, tmp_path):
    files = export_run(run_path, "vtk", frames="0,-1", out_dir=tmp_path / "v")
    last = run.n_frames - 1
    assert sorted(p.name for p in files) == sorted(
        ["fields_0000.vti", f"fields_{last:04d}.vti", "fields.pvd", "cells_0000.vtu", f"cells_{last:04d}.vtu",
         "cells.pvd", "units.json"])
    assert [t for t, _ in _pvd(tmp_path / "v" / "cells.pvd")] == [run.frame_times[0], run.frame_times[last]]
    export_run(run_path, "csv", frames="::4", what="cells", out_dir=tmp_path / "c")
    assert sorted(pd.read_csv(tmp_path / "c" / "cells.csv").frame.unique()) == [0, 4, 8]


def test_cells_are_read_one_frame_at_a_time(run_path, tmp_path, monkeypatch):
    from abm.io.group_reader import RunGroup

    asked = []
    original = RunGroup.cells

    def spy(self, frame=None):
        asked.append(frame)
        return original(self, frame)

    monkeypatch.setattr(RunGroup, "cells", spy)
    export_run(run_path, "parquet", what="cells", out_dir=tmp_path / "p")
    export_run(run_path, "vtk", what="cells", out_dir=tmp_path / "v")
    assert asked == list(range(9)) * 2  # never None (every frame at once)


# ---------------------------------------------------------------------- refusals
def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "vtk"])
def test_existing_file_is_refused_before_anything_is_written(run_path, tmp_path, fmt):
    out = tmp_path / "out"
    out.mkdir()
    (out / "units.json").write_text("someone's notes")
    before = _snapshot(out)
    with pytest.raises(OutputError, match=r"units\.json.*exists; pass --overwrite"):
        export_run(run_path, fmt, out_dir=out)
    assert _snapshot(out) == before
    files = export_run(run_path, fmt, out_dir=out, overwrite=True)
    assert json.loads((out / "units.json").read_text(encoding="utf-8"))["cells"]["x"] == "µm"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "xlsx"}, r"--format = 'xlsx' is not a known format; allowed: csv, parquet, vtk"),
    ({"fmt": "csv", "frames": "9"}, r"--frames: frame 9 is out of range; allowed: frame numbers -9 … 8"),
    ({"fmt": "vtk", "frames": "-10"}, r"--frames: frame -10 is out of range"),
    ({"fmt": "csv", "frames": "1;2"}, r"--frames: '1;2' is not a frame number or slice"),
    ({"fmt": "csv", "frames": "::0"}, r"--frames: '::0' is not a frame number or slice"),
    ({"fmt": "csv", "frames": "5:2"}, r"--frames = '5:2' selects no frame"),
    ({"fmt": "csv", "what": "cells,events.kills"},
     r"--what: no event table 'kills' in run.h5; allowed: .*events\.immune_kills"),
    ({"fmt": "parquet", "what": "cell"}, r"--what: 'cell' is not something --format parquet exports; allowed: cells,"),
    ({"fmt": "vtk", "compress": 10}, r"--compress = 10 is not a zlib level; allowed: 0 \(none\) … 9"),
    ({"fmt": "csv", "compress": 1}, r"--compress = 1: only --format vtk takes a compression level"),
    ({"fmt": "vtk", "what": "timeseries"}, r"'timeseries' is not something --format vtk exports \(time series and "
                                           r"events are tables: use --format csv or parquet\); allowed: fields, cells"),
])
def test_bad_arguments_are_named_before_anything_is_written(run_path, tmp_path, kwargs, message):
    kwargs = dict(kwargs)
    with pytest.raises(ExportArgumentError, match=message):
        export_run(run_path, kwargs.pop("fmt"), out_dir=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_parquet_without_pyarrow_says_what_to_install(run_path, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(ExportArgumentError, match=r"needs pyarrow: pip install 'tumor-abm\[export\]'"):
        export_run(run_path, "parquet", out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_frame_selection():
    assert parse_frames(None, 5) == parse_frames("all", 5) == (0, 1, 2, 3, 4)
    assert parse_frames("::2", 5) == (0, 2, 4)
    assert parse_frames("-1,0,0", 5) == (0, 4)
    assert parse_frames("-2:", 5) == (3, 4)
    assert parse_frames([1, 3], 5) == (1, 3)
    assert parse_frames(2, 5) == parse_frames(np.int64(2), 5) == (2,)
    with pytest.raises(ExportArgumentError, match="'1.5' is not a frame number"):
        parse_frames("1.5", 5)
    with pytest.raises(ExportArgumentError, match="1:2:3:4"):
        parse_frames("1:2:3:4", 5)


def test_grid_geometry():
    x = (np.arange(4) + 0.5) * 10.0
    assert grid_geometry(x, x[:2], 10.0) == ((0.0, 0.0), (10.0, 10.0))
    assert grid_geometry(x + 3.0, x, None) == ((3.0, 0.0), (10.0, 10.0))
    assert grid_geometry(x[:1], x, 10.0) == ((0.0, 0.0), (10.0, 10.0))
    with pytest.raises(ExportArgumentError, match="x site positions are not evenly spaced"):
        grid_geometry(np.array([0.0, 1.0, 3.0]), x, None)
    with pytest.raises(ExportArgumentError, match="one site and the run stores no dx_um"):
        grid_geometry(x, x[:1], None)


# ---------------------------------------------------------------------- command line
def test_cli_exports_and_reports_errors_in_one_line(run_path, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["export", str(run_path), "--format", "csv", "--what", "timeseries", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 2 files to {out}"
    assert sorted(p.name for p in out.iterdir()) == ["timeseries.csv", "units.json"]
    assert main(["export", str(run_path), "--format", "csv", "--what", "timeseries", "--out", str(out)]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert main(["export", str(run_path), "--format", "csv", "--frames", "99", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error: --frames: frame 99 is out of range") and "\n" not in err
    assert not (tmp_path / "x").exists()


def test_default_folder_is_beside_the_run(run_path, tmp_path):
    run_copy = tmp_path / "mine.h5"
    run_copy.write_bytes(run_path.read_bytes())
    files = export_run(run_copy, "csv", what="timeseries")
    assert {p.parent for p in files} == {tmp_path / "mine_csv"}


# ---------------------------------------------------------------------- secondary sites
@pytest.fixture(scope="module")
def site_run(tmp_path_factory) -> Path:
    """The synthetic run of tests/io/test_sites.py: sites ``liver`` (9 × 12 sites of 30 µm,
    a vessel map, frames without cells) and ``lung`` (a uint8 enum column, text events)."""
    from .test_sites import write_site_run

    path = tmp_path_factory.mktemp("sites") / "run.h5"
    write_site_run(path, frames=6)
    return path


def test_site_fields_as_images(site_run, tmp_path):
    from .test_sites import LIVER_VESSELS, liver_frame

    files = export_run(site_run, "vtk", site="liver", what="fields", out_dir=tmp_path)
    assert len(files) == 6 + 2
    for f in range(6):
        image = _vtk_read(vtk_io.vtkXMLImageDataReader, tmp_path / f"fields_{f:04d}.vti")
        assert image.GetDimensions() == (10, 13, 1)
        assert image.GetSpacing()[:2] == (30.0, 30.0) and image.GetOrigin()[:2] == (0.0, 0.0)
        data = image.GetCellData()
        assert np.array_equal(vtk_to_numpy(data.GetArray("oxygen")).reshape(12, 9), liver_frame(f)[0]["oxygen"])
        assert np.array_equal(vtk_to_numpy(data.GetArray("vessels")).reshape(12, 9), LIVER_VESSELS)
    assert [t for t, _ in _pvd(tmp_path / "fields.pvd")] == [10.0 * f for f in range(6)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_site_tables(site_run, tmp_path, fmt):
    from .test_sites import KINDS, lung_events, lung_frame

    export_run(site_run, fmt, site="lung", out_dir=tmp_path)
    cells = _read(fmt, tmp_path / f"cells.{fmt}")
    names = {code: name for name, code in KINDS.items()}
    for f in range(6):
        rows, expected = cells[cells.frame == f], lung_frame(f)[1]
        assert len(rows) == len(expected["id"])  # frame 2 has none
        assert list(rows.cell_id) == list(expected["id"])
        assert list(rows.kind.astype(str)) == [names[k] for k in expected["kind"]]
        assert np.array_equal(rows.damage.to_numpy(np.float32), expected["damage"])
    deaths = _read(fmt, tmp_path / f"events_deaths.{fmt}")
    assert list(deaths.cause) == [c for f in range(6) for c in lung_events(f)["cause"]]
    assert json.loads((tmp_path / "units.json").read_text(encoding="utf-8"))["cells"]["y"] == "µm"


def test_site_errors(site_run, tmp_path):
    with pytest.raises(ExportArgumentError, match=r"--site = 'kidney': no such site in run.h5; allowed: liver, lung"):
        export_run(site_run, "csv", site="kidney", out_dir=tmp_path / "a")
    with pytest.raises(ExportArgumentError, match=r"--what = cells: the cells of site 'lung' of run.h5 have no x and y columns"):
        export_run(site_run, "vtk", site="lung", out_dir=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    files = export_run(site_run, "csv", site="lung", what="timeseries")
    assert files[0].parent == site_run.with_name("run_site_lung_csv")


# ---------------------------------------------------------------------- the VTK writer alone
@pytest.mark.parametrize("level", [0, 1, 9])
def test_points_file_of_every_dtype_and_of_no_points(tmp_path, level):
    from abm.export.vtk_xml import write_points

    arrays = {"i8": np.array([-3, 0, 7], np.int8), "u8": np.array([0, 200, 255], np.uint8),
              "flag": np.array([True, False, True]), "big": np.array([2**40, -1, 5], np.int64),
              "f8": np.array([1e-300, np.nan, -2.5]), "f4": np.array([0.1, 1e30, -0.0], np.float32)}
    points = np.array([[0.0, 1.0, 0.0], [2.5, 3.5, 0.0], [1e6, -4.0, 0.0]])
    write_points(tmp_path / "p.vtu", points, arrays.items(), [("note", np.array([42], np.int32))], level)
    grid = _vtk_read(vtk_io.vtkXMLUnstructuredGridReader, tmp_path / "p.vtu")
    assert np.array_equal(vtk_to_numpy(grid.GetPoints().GetData()), points)
    for name, values in arrays.items():
        back = vtk_to_numpy(grid.GetPointData().GetArray(name))
        assert np.array_equal(back, values.astype(np.uint8) if values.dtype == bool else values, equal_nan=True)
    assert vtk_to_numpy(grid.GetFieldData().GetArray("note"))[0] == 42
    write_points(tmp_path / "none.vtu", np.zeros((0, 3), np.float32), [("x", np.zeros(0, np.float32))], level=level)
    empty = _vtk_read(vtk_io.vtkXMLUnstructuredGridReader, tmp_path / "none.vtu")
    assert empty.GetNumberOfPoints() == empty.GetNumberOfCells() == 0  # (meshio 5.3 reads no empty grid)


def test_compressed_array_of_many_blocks(tmp_path):
    """Values over several 32-KiB blocks, the last one partial, read back by VTK and meshio."""
    from abm.export.vtk_xml import BLOCK_BYTES, write_points

    n = 3 * BLOCK_BYTES // 8 + 5  # float64: three full blocks and 40 bytes
    values = np.random.default_rng(1).normal(size=n)
    points = np.zeros((n, 3), np.float32)
    write_points(tmp_path / "b.vtu", points, [("v", values)], level=6)
    grid = _vtk_read(vtk_io.vtkXMLUnstructuredGridReader, tmp_path / "b.vtu")
    assert np.array_equal(vtk_to_numpy(grid.GetPointData().GetArray("v")), values)
    assert np.array_equal(meshio.read(tmp_path / "b.vtu").point_data["v"], values)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_declared_table_never_written_is_an_empty_table(site_run, tmp_path, fmt):
    export_run(site_run, fmt, site="liver", what="events.never", out_dir=tmp_path)
    table = _read(fmt, tmp_path / f"events_never.{fmt}")
    assert list(table.columns) == ["time_min"] and len(table) == 0
