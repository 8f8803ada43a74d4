"""The run-file reader (abm.io.reader) as figures and movies use it: labelled lazy fields,
the vessel map, documented API, a run read while it is written, and every legacy file
(tests/resources, made by tests/resources/make_legacy_runs.py from old commits)."""
from __future__ import annotations

import gzip
import inspect
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from abm import load_run, run_scenario
from abm.schema import config_from_toml
from abm.io import Run, RunFileError, RunWriter, SchemaError, read_checkpoint

from ..helpers import TINY

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = Path(__file__).resolve().parents[1] / "resources"
LEGACY = sorted(RESOURCES.glob("legacy_*.h5.gz")) + sorted(RESOURCES.glob("run_v*.h5"))


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def model_run(tmp_path_factory) -> Path:
    """A 48×40-site, 12-hour run of the current model (13 frames)."""
    from abm.schema import load_config

    path = tmp_path_factory.mktemp("model") / "run.h5"
    return run_scenario(load_config(None, overrides=TINY, seed=5), path, progress=False)


@pytest.fixture(scope="module")
def legacy_dir(tmp_path_factory) -> Path:
    """The legacy files, unpacked (``.h5.gz``) or copied (``.h5``) into a temporary directory."""
    out = tmp_path_factory.mktemp("legacy")
    for source in LEGACY:
        target = out / source.name.removesuffix(".gz")
        with (gzip.open if source.suffix == ".gz" else open)(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return out


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, int]]:
    """Every h5py dataset read from now on, as (dataset name, bytes returned)."""
    log: list[tuple[str, int]] = []
    original = h5py.Dataset.__getitem__

    def counting(self, key, *args, **kwargs):
        out = original(self, key, *args, **kwargs)
        log.append((self.name, np.asarray(out).nbytes))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    return log


def big_run(path: Path, frames: int = 40, side: int = 200) -> Path:
    """A run file with one uncompressed field of ``frames`` × side² float32 (6.4 MB by default)."""
    axis = np.arange(side) * 10.0 + 5
    with RunWriter(path, config_toml="", seed=0, scenario="big", x_um=axis, y_um=axis,
                   field_units={"oxygen": "mmHg"}, cell_columns={"id": (np.int64, "", None)},
                   timeseries_columns={}, compression=0) as w:
        for f in range(frames):
            w.write_frame(30.0 * f, {"oxygen": np.full((side, side), f, np.float32)}, {"id": np.arange(3)})
    return path


# ---------------------------------------------------------------------- documented API
PUBLIC = ["frame_times", "x_um", "y_um", "field_names", "static_field_names", "field", "field_array",
          "frame_at", "vessels", "cells", "cell_columns", "cell_counts", "timeseries", "event_tables",
          "events", "config", "config_toml", "seed", "scenario", "status", "schema_version",
          "checkpoint_time", "summary", "attrs", "n_frames", "close"]


def test_every_public_member_of_run_is_documented():
    public = {name for name in dir(Run) if not name.startswith("_")}
    assert set(PUBLIC) <= public, set(PUBLIC) - public
    undocumented = [name for name in public if not (inspect.getdoc(getattr(Run, name)) or "").strip()]
    assert not undocumented
    module = sys.modules[Run.__module__]
    assert "load_run(" in module.__doc__ and "field_array(" in module.__doc__


# ---------------------------------------------------------------------- fields with coordinates
def test_field_array_has_coordinates_units_and_matches_field(model_run):
    xr = pytest.importorskip("xarray")
    with load_run(model_run) as run:
        da = run.field_array("oxygen")
        assert isinstance(da, xr.DataArray) and da.dims == ("time", "y", "x") and da.name == "oxygen"
        assert da.shape == (run.n_frames, len(run.y_um), len(run.x_um)) == (13, 40, 48)
        assert da.attrs == {"units": "mmHg", "long_name": "oxygen partial pressure"}
        assert da["time"].attrs["units"] == "min" and da["x"].attrs["units"] == "µm"
        np.testing.assert_array_equal(da["time"], run.frame_times)
        np.testing.assert_array_equal(da["x"], run.x_um)
        np.testing.assert_array_equal(da["y"], run.y_um)
        np.testing.assert_array_equal(da.sel(time=360.0).values, run.field("oxygen", 6))
        np.testing.assert_array_equal(da.values, run.field("oxygen")[:])
        # fancy selections: unsorted, repeated, negative steps (h5py itself accepts none of them)
        np.testing.assert_array_equal(da.isel(time=[5, 2, 5]).values, run.field("oxygen")[:][[5, 2, 5]])
        np.testing.assert_array_equal(da[::-3, 4:9, -1].values, run.field("oxygen")[:][::-3, 4:9, -1])

        one = run.field_array("glucose", -1)
        assert one.dims == ("y", "x") and float(one["time"]) == run.frame_times[-1] == 720.0
        assert one.attrs["units"] == run.attrs["units"]["fields"]["glucose"]
        np.testing.assert_array_equal(one.values, run.field("glucose", -1))
        with pytest.raises(KeyError, match="no field 'vessels'"):
            run.field_array("vessels")
        with pytest.raises(IndexError):
            run.field_array("oxygen", 13)


def test_field_array_is_lazy_and_reads_only_the_frames_selected(tmp_path, reads):
    pytest.importorskip("xarray")
    path = big_run(tmp_path / "big.h5")
    with load_run(path) as run:
        da = run.field_array("oxygen")
        text = repr(da)
        assert da.shape == (40, 200, 200) and "values with dtype=float32" in text
        assert [r for r in reads if r[0] == "/fields/oxygen"] == []  # 6.4 MB, none of it read
        last = da.isel(time=-1).values
        assert [r for r in reads if r[0] == "/fields/oxygen"] == [("/fields/oxygen", 200 * 200 * 4)]
        assert (last == 39).all()
        assert float(da.sel(time=95.0, method="nearest").mean()) == 3.0  # frame at 90 min
    with pytest.raises(ValueError, match="is closed: load the values"):
        da.isel(time=0).values  # the lazy array lives as long as its Run


def test_field_array_ignores_a_frame_cut_by_a_kill(tmp_path):
    """A dataset one frame longer than the frame axes (kill mid-frame) shows n_frames frames."""
    pytest.importorskip("xarray")
    path = big_run(tmp_path / "big.h5", frames=3, side=8)
    with h5py.File(path, "r+") as f:
        oxygen = f["fields/oxygen"]
        oxygen.resize(4, axis=0)
        oxygen[3] = -1.0
    with load_run(path) as run:
        da = run.field_array("oxygen")
        assert run.n_frames == 3 and da.shape == (3, 8, 8) and run.field("oxygen").shape == (4, 8, 8)
        assert (da.isel(time=-1).values == 2).all() and (da.values >= 0).all()


def test_field_array_without_xarray_returns_numpy_and_the_lazy_dataset(model_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray now raises ImportError
    with load_run(model_run) as run:
        one = run.field_array("oxygen", 3)
        assert type(one) is np.ndarray and one.shape == (40, 48) and one.dtype == np.float32
        np.testing.assert_array_equal(one, run.field("oxygen", 3))
        whole = run.field_array("oxygen")
        assert isinstance(whole, h5py.Dataset) and whole.shape == (13, 40, 48)
        assert len(run.frame_times) == 13 and len(run.y_um) == 40 and len(run.x_um) == 48


def test_frame_at_is_the_nearest_frame(model_run):
    with load_run(model_run) as run:  # frames every 60 min, 0 … 720
        assert run.frame_at(0) == 0 and run.frame_at(-50) == 0 and run.frame_at(1e9) == 12
        assert run.frame_at(61) == 1 and run.frame_at(119.0) == 2
        assert run.frame_at(90) == 1  # a tie goes to the earlier frame
        with pytest.raises(ValueError, match="finite"):
            run.frame_at(float("nan"))


# ---------------------------------------------------------------------- vessel map
def test_vessel_map_is_stored_and_equals_the_model_and_the_fallback(model_run):
    with load_run(model_run) as run:
        vessels = run.vessels
        assert vessels.dtype == bool and vessels.shape == (40, 48) and vessels.sum() > 0
        assert "vessels" not in run.field_names and run.static_field_names == ["vessels"]
        np.testing.assert_array_equal(vessels, read_checkpoint(model_run)["tissue.vessels"])
        level = np.float32(run.config["oxygen"]["vessel_mmHg"])
        np.testing.assert_array_equal(vessels, run.field("oxygen", 0) >= level)  # the old guess agreed
        vessels[:] = False
        assert run.vessels.any()  # a copy each call
    with h5py.File(model_run, "r") as f:
        assert f["fields/vessels"].dtype == np.uint8


# ---------------------------------------------------------------------- a run being written
def test_reading_a_run_while_it_is_written(tmp_path):
    """A real run in another process: its file is read (fields, cells, time series, vessels,
    the summary figure) while the writer is still appending frames to it."""
    from abm.viz import summary_figure

    path = tmp_path / "live.h5"
    command = [sys.executable, "-m", "abm", "run", "scenarios/quickstart.toml", "--out", str(path),
               "--no-progress"]
    for item in ("grid.nx=64", "grid.ny=64", "run.days=3", "vessels.avascular_radius_um=0.0",
                 "output.frame_every_min=60", "output.figure=false"):
        command += ["--set", item]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300  # a cold numba cache compiles for a while first
        frames = 0
        while frames < 2:
            assert proc.poll() is None, f"the run ended before it could be read live: {proc.communicate()}"
            assert time.monotonic() < deadline, "no second frame within 300 s"
            time.sleep(0.05)
            try:
                with load_run(path) as run:
                    frames = run.n_frames
            except (OSError, SchemaError, RunFileError):  # not created yet
                continue

        with load_run(path) as run:
            assert run.status == "running" and run.n_frames >= 2
            n = run.n_frames
            oxygen = run.field("oxygen", -1)
            assert oxygen.shape == (64, 64) and np.isfinite(oxygen).all()
            assert run.field("glucose").shape[0] >= n
            cells = run.cells(-1)
            assert len(cells) == run.cell_counts()[-1] > 0 and cells.index.name == "cell_id"
            series = run.timeseries
            assert len(series) >= (n - 1) * 10 + 1 and series.index[0] == 0.0
            vessels = run.vessels
            assert vessels.shape == (64, 64) and vessels.any()
            assert "frames:" in run.summary()
            if _has_xarray():
                assert run.field_array("oxygen").isel(time=-1).shape == (64, 64)
        out = summary_figure(path, tmp_path / "live.png")
        assert out.stat().st_size > 20_000
        assert proc.poll() is None, "the run ended while it was read: make it longer"
    except BaseException:
        proc.kill()
        raise
    finally:
        _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    with load_run(path) as run:
        assert run.status == "complete" and run.n_frames == 3 * 24 + 1 > n


def _has_xarray() -> bool:
    try:
        import xarray  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------- legacy files
def test_every_legacy_file_is_described_in_the_readme():
    readme = (RESOURCES / "README.md").read_text()
    assert len(LEGACY) >= 4
    for path in LEGACY:
        assert f"`{path.name}`" in readme, path.name
    script = (RESOURCES / "make_legacy_runs.py").read_text()
    for path in RESOURCES.glob("legacy_*.h5.gz"):
        commit = path.name.removeprefix("legacy_").removesuffix(".h5.gz")
        assert f'"{commit}"' in script, f"{path.name} is not reproduced by make_legacy_runs.py"
    assert all(path.stat().st_size < 250_000 for path in RESOURCES.glob("legacy_*.h5.gz"))


# What each legacy file is known to hold (make_legacy_runs.py): the reader must handle all of it.
EXPECTED = {
    "legacy_e3d44f2.h5": dict(fields=["oxygen"], tables=[], columns={"HIF", "p21"}),
    "legacy_8b22bd7.h5": dict(fields=["chemokine", "glucose", "oxygen", "sasp", "sasp_metabolic"],
                              tables=[], columns={"route", "pdl1", "stemness", "dna_damage"}),
    "legacy_4b146e8.h5": dict(fields=["chemokine", "glucose", "oxygen", "sasp", "sasp_metabolic"],
                              tables=["ctc", "ctc_members", "doses", "drug_deaths", "immune_cells",
                                      "immune_kills"], columns={"emt", "route"}),
    "run_v1.h5": dict(fields=["oxygen"], tables=[], columns={"progress", "cycle_time_h"}),
}


@pytest.mark.parametrize("name", [p.name.removesuffix(".gz") for p in LEGACY])
def test_legacy_file_reads_completely(legacy_dir, name):
    expected = EXPECTED[name]
    with load_run(legacy_dir / name) as run:
        # metadata
        assert run.schema_version == 1 and run.status == "complete" and run.scenario == "quickstart"
        assert isinstance(run.seed, int) and isinstance(run.config, dict) and "grid" in run.config
        config = config_from_toml(run.config_toml)  # old configs migrate
        ny, nx = config.grid.ny, config.grid.nx
        assert run.attrs["units"]["fields"]["oxygen"] == "mmHg"
        assert run.checkpoint_time is not None and name in repr(run)
        # frames and axes
        n = run.n_frames
        assert n >= 4 and run.frame_times.shape == (n,) and run.frame_times[0] == 0.0
        assert run.frame_at(run.frame_times[-1] + 1) == n - 1
        assert run.x_um.shape == (nx,) and run.y_um.shape == (ny,)
        # fields
        assert run.field_names == expected["fields"] and run.static_field_names == []
        for field in run.field_names:
            assert run.field(field, -1).shape == (ny, nx) and run.field(field).shape == (n, ny, nx)
            one = run.field_array(field, 1)
            np.testing.assert_array_equal(np.asarray(one), run.field(field, 1))
        if _has_xarray():
            da = run.field_array("oxygen")
            assert da.dims == ("time", "y", "x") and da.shape == (n, ny, nx) and da.attrs["units"] == "mmHg"
            np.testing.assert_array_equal(da.isel(time=-1).values, run.field("oxygen", -1))
        # cells
        assert expected["columns"] <= set(run.cell_columns)
        assert {"id", "x", "y", "kind", "phase", "oxygen"} <= set(run.cell_columns)
        counts = run.cell_counts()
        assert counts.shape == (n,) and counts.min() > 0
        every = run.cells()
        assert every.index.names == ["frame", "cell_id"] and len(every) == counts.sum()
        assert set(every.columns) == set(run.cell_columns) - {"id"}
        last = run.cells(-1)
        assert last.index.name == "cell_id" and last.index.is_unique and len(last) == counts[-1]
        pd.testing.assert_frame_equal(every.loc[n - 1], last)
        assert isinstance(last["phase"].dtype, pd.CategoricalDtype) and not last["phase"].isna().any()
        some = run.cells(-1, columns=["phase", "x"])  # only these, in this order
        assert list(some.columns) == ["phase", "x"]
        pd.testing.assert_frame_equal(some, last[["phase", "x"]])
        with pytest.raises(KeyError, match="no cell column"):
            run.cells(-1, columns=["x", "colour"])
        with pytest.raises(ValueError, match=r"\['x'\] asked for more than once"):
            run.cells(-1, columns=["x", "phase", "x"])  # not a two-column frame
        assert (last["x"] > 0).all() and (last["x"] < nx * config.grid.dx_um).all()
        # time series and events
        series = run.timeseries
        assert series.index.name == "time" and len(series) == round(config.run.days * 1440 / config.run.dt_min) + 1
        assert "n_tumor" in series and series["n_tumor"].iloc[0] == counts[0]
        assert run.event_tables == expected["tables"]
        for table in run.event_tables:
            events = run.events(table)
            assert len(events) > 0 and len(events.columns) >= 2
        with pytest.raises(KeyError, match="no event table"):
            run.events("no_such_table")
        # vessels: no stored map in these files; the fallback finds the vessel array
        vessels = run.vessels
        assert vessels.dtype == bool and vessels.shape == (ny, nx) and vessels.sum() == 12
        text = run.summary()
        assert "vessels: 12 sites (oxygen frame 0 at the vessel level)" in text and f"frames: {n}" in text


@pytest.mark.parametrize("name", [p.name.removesuffix(".gz") for p in LEGACY])
def test_legacy_file_gets_a_summary_figure(legacy_dir, name, tmp_path):
    from abm.viz import summary_figure

    out = summary_figure(legacy_dir / name, tmp_path / "summary.png")
    assert out.stat().st_size > 20_000


@pytest.mark.parametrize("point_rows", [1000, 2])  # h5py point selection, and the span read
def test_cells_of_chosen_ids_equal_the_rows_of_a_whole_read(model_run, monkeypatch,
                                                            point_rows):
    """``cells(frame, cell_ids=...)`` (read frame by frame, only those rows) equals the rows
    of those cells in a whole read, with every frame's index; one frame, and all frames;
    ids no frame holds give no rows."""
    monkeypatch.setattr("abm.io.group_reader.POINT_ROWS", point_rows)
    with load_run(model_run) as run:
        whole = run.cells(None)
        ids = whole.index.get_level_values("cell_id")
        chosen = [int(ids[0]), int(ids[len(ids) // 2]), int(ids[-1]), -7]
        picked = run.cells(None, cell_ids=chosen)
        expected = whole[ids.isin(chosen)]
        pd.testing.assert_frame_equal(picked, expected)
        assert picked.index.get_level_values("frame").nunique() > 1  # the frames were told
        last = run.cells(-1)
        pd.testing.assert_frame_equal(run.cells(-1, cell_ids=chosen),
                                      last[last.index.isin(chosen)])
        assert run.cells(-1, cell_ids=[-7]).empty
