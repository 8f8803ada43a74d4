"""Secondary sites in a run file (issue 17): a group per site with its own grid, fields,
cells, time series and events, committed with the run's frames and resumed with it.

Every expectation is built from the data the test writes (the ``*_frame``, ``*_series`` and
``*_events`` functions below), never from what the code wrote.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from abm.io import RunFileError, RunWriter, load_run
from abm.io.parts import committed_segments, parts_dir

from ..helpers import assert_same_run
from .test_io import frame_data, make_writer, state_at

ROOT = Path(__file__).resolve().parents[2]
PHASES = {"proliferating": 0, "dormant": 1, "necrotic": 4}
KINDS = {"tumor": 0, "nk": 1, "cd8": 2}

LIVER_SHAPE, LUNG_SHAPE = (12, 9), (7, 15)  # (ny, nx), both unlike the root's 40 × 50
LIVER_VESSELS = np.add.outer(np.arange(12), np.arange(9)) % 4 == 1
SITES = {
    "liver": {
        "x_um": np.arange(9) * 30.0 + 15, "y_um": np.arange(12) * 30.0 + 15,
        "field_units": {"oxygen": "mmHg"},
        "cell_columns": {"id": (np.int64, "1", None), "x": (np.float32, "µm", None),
                         "phase": (np.int8, "1", PHASES)},
        "timeseries_columns": {"n_tumor": np.int64},
        "static_fields": {"vessels": (LIVER_VESSELS, "")},
        "event_columns": {"arrivals": ("time_min", "unit_id"), "never": ("time_min",)},
    },
    "lung": {
        "x_um": np.arange(15) * 10.0 + 5, "y_um": np.arange(7) * 10.0 + 5,
        "field_units": {"oxygen": "mmHg", "drug": "µM"},
        "cell_columns": {"id": (np.int64, "1", None), "y": (np.float64, "µm", None),
                         "kind": (np.uint8, "1", KINDS), "damage": (np.float32, "1", None)},
        "timeseries_columns": {"n_cells": np.int64, "mean_o2": np.float64},
        "event_columns": {"deaths": ("time_min", "cause")},
    },
}
CHECKPOINTS = {2, 5}


def liver_frame(f: int) -> tuple[dict, dict]:
    n = (3 * f) % 4  # 0, 3, 2, 1, 0, 3, …: frames 0 and 4 have no cells
    grid = np.arange(12 * 9, dtype=np.float32).reshape(LIVER_SHAPE)
    return ({"oxygen": grid * 0.5 + f},
            {"id": np.arange(n, dtype=np.int64) + 100 * f, "x": np.linspace(15, 255, n, dtype=np.float32),
             "phase": np.array([0, 1, 4], np.int8)[np.arange(n) % 3]})


def lung_frame(f: int) -> tuple[dict, dict]:
    n = 0 if f == 2 else f + 1
    grid = np.arange(7 * 15, dtype=np.float32).reshape(LUNG_SHAPE)
    return ({"oxygen": grid + f, "drug": np.full(LUNG_SHAPE, f / 8, np.float32)},
            {"id": np.arange(n, dtype=np.int64) + 1000 * f, "y": np.arange(n) * 10.0 + 5,
             "kind": (np.arange(n) % 3).astype(np.uint8), "damage": np.full(n, 0.25 * f, np.float32)})


def liver_series(f: int) -> dict:
    return {"n_tumor": len(liver_frame(f)[1]["id"])}


def lung_series(f: int) -> dict:
    return {"n_cells": len(lung_frame(f)[1]["id"]), "mean_o2": f + 0.5}


def liver_events(f: int) -> dict:
    return {"time_min": np.full(f % 2, 10.0 * f), "unit_id": np.arange(f % 2, dtype=np.int64) + f}


def lung_events(f: int) -> dict:
    return {"time_min": np.full(f % 3, 10.0 * f), "cause": np.array(["anoikis", "nk"] * 2)[: f % 3]}


def site_step(writer: RunWriter, f: int) -> None:
    """One frame of the run with both sites: the root's rows (as test_io.step), a time-series
    row and events per site, then the frame carrying every site."""
    writer.append_timeseries(10.0 * f, {"n_tumor": 30 + 7 * f, "mean_oxygen": float(f)})
    writer.append_events("deaths", {"time": np.full(f % 3, 10.0 * f), "cause": np.array(["hypoxia"] * (f % 3))})
    writer.append_timeseries(10.0 * f, liver_series(f), site="liver")
    writer.append_timeseries(10.0 * f, lung_series(f), site="lung")
    writer.append_events("arrivals", liver_events(f), site="liver")
    writer.append_events("deaths", lung_events(f), site="lung")
    writer.write_frame(10.0 * f, *frame_data(f), sites={"liver": liver_frame(f), "lung": lung_frame(f)})


def write_site_run(path, frames: int, complete: bool = True, writer: RunWriter | None = None) -> RunWriter:
    writer = writer or make_writer(path, sites=SITES)
    for f in range(frames):
        site_step(writer, f)
        if f in CHECKPOINTS:
            writer.write_checkpoint(10.0 * f, state_at(f))
    writer.close(complete=complete)
    return writer


def expected_events(events, frames: int) -> pd.DataFrame:
    """The event rows of frames 0..frames-1 as one table."""
    return pd.DataFrame({name: np.concatenate([events(f)[name] for f in range(frames)])
                         for name in events(0)})


def check_sites(run, frames: int) -> None:
    """Every site of ``run`` holds exactly what frames 0..frames-1 wrote."""
    assert run.sites == ["liver", "lung"]
    times = 10.0 * np.arange(frames)
    for name, frame, series, events, table in (
        ("liver", liver_frame, liver_series, liver_events, "arrivals"),
        ("lung", lung_frame, lung_series, lung_events, "deaths"),
    ):
        site, spec = run.site(name), SITES[name]
        np.testing.assert_array_equal(site.x_um, spec["x_um"])
        np.testing.assert_array_equal(site.y_um, spec["y_um"])
        assert site.n_frames == frames
        np.testing.assert_array_equal(site.frame_times, times)
        assert site.fields == site.field_names == sorted(spec["field_units"])
        assert site.attrs["units"]["fields"] == spec["field_units"]
        assert site.attrs["units"]["cells"] == {c: s[1] for c, s in spec["cell_columns"].items()}
        assert json.loads(site.attrs["event_columns"]) == {t: list(c) for t, c in spec["event_columns"].items()}
        assert site.cell_columns == sorted(spec["cell_columns"])
        np.testing.assert_array_equal(site.cell_counts(), [len(frame(f)[1]["id"]) for f in range(frames)])
        for f in range(frames):
            fields, cells = frame(f)
            for field, values in fields.items():
                got = site.field(field, f)
                assert got.dtype == np.float32 and got.shape == values.shape
                np.testing.assert_array_equal(got, values)
            table_f = site.cells(f)
            assert len(table_f) == len(cells["id"])
            np.testing.assert_array_equal(table_f.index, cells["id"])
            for column, (dtype, _, enum) in spec["cell_columns"].items():
                if column == "id":
                    continue
                if enum is None:
                    assert table_f[column].dtype == dtype
                    np.testing.assert_array_equal(table_f[column], cells[column])
                else:
                    names = {code: label for label, code in enum.items()}
                    assert list(table_f[column].astype(object)) == [names[c] for c in cells[column]]
        everything = site.cells()
        assert len(everything) == sum(len(frame(f)[1]["id"]) for f in range(frames))
        ts = site.timeseries
        np.testing.assert_array_equal(ts.index, times)
        assert site.timeseries_columns == list(ts.columns) == sorted(spec["timeseries_columns"])
        for column, dtype in spec["timeseries_columns"].items():
            assert ts[column].dtype == dtype
            np.testing.assert_array_equal(ts[column], [series(f)[column] for f in range(frames)])
        got = site.events(table)
        assert list(got.columns) == list(spec["event_columns"][table])
        pd.testing.assert_frame_equal(got, expected_events(events, frames), check_dtype=False)
        assert got["time_min"].dtype == np.float64
    liver, lung = run.site("liver"), run.site("lung")
    np.testing.assert_array_equal(liver.vessels, LIVER_VESSELS)
    assert liver.static_field_names == ["vessels"] and lung.vessels is None
    assert liver.events("arrivals")["unit_id"].dtype == np.int64
    assert lung.events("deaths")["cause"].tolist() == expected_events(lung_events, frames)["cause"].tolist()
    assert list(liver.events("never").columns) == ["time_min"] and len(liver.events("never")) == 0
    assert liver.event_tables == ["arrivals"] and lung.event_tables == ["deaths"]


def test_two_sites_read_back_exactly_what_was_written(tmp_path):
    path = tmp_path / "run.h5"
    write_site_run(path, 5)
    with load_run(path) as run:
        check_sites(run, 5)
        assert run.n_frames == 5 and run.field_names == ["oxygen", "sasp"]  # the root as before
        np.testing.assert_array_equal(run.field("oxygen", 3), frame_data(3)[0]["oxygen"])
        assert run.timeseries_columns == ["mean_oxygen", "n_tumor"]
        assert run.event_tables == ["deaths"]  # the sites' tables stay in their groups
        with pytest.raises(KeyError, match=r"no site 'kidney'.*\['liver', 'lung'\]"):
            run.site("kidney")
        summary = run.summary()
    assert "site liver: grid 12 × 9 (y × x), 5 frames, cells 0 in the first frame" in summary
    assert "site lung: grid 7 × 15" in summary and "    events deaths: 4 rows" in summary
    with h5py.File(path, "r") as h5:  # plain HDF5, laid out like the root
        liver = h5["sites/liver"]
        assert liver["fields/oxygen"].shape == (5, *LIVER_SHAPE)
        assert liver["fields/vessels"].dtype == np.uint8
        assert liver["fields/oxygen"].attrs["units"] == "mmHg"
        assert json.loads(liver["cells/phase"].attrs["enum"]) == PHASES
        np.testing.assert_array_equal(liver["cells/offsets"][()], np.cumsum([0] + [len(liver_frame(f)[1]["id"])
                                                                                   for f in range(5)]))
        assert h5["checkpoint"].attrs["n_frames"] == 3
        assert json.loads(h5["checkpoint"].attrs["sites"])["lung"]["event_rows"] == {"deaths": 3}


def test_every_commit_holds_every_site(tmp_path):
    path = tmp_path / "run.h5"
    write_site_run(path, 3, complete=False)
    for segment in committed_segments(parts_dir(path)):
        with h5py.File(segment, "r") as h5:
            if "frames" in h5:
                assert sorted(h5["sites"]) == ["liver", "lung"]
                for name in ("liver", "lung"):
                    assert h5[f"sites/{name}/frames"]["time"][0] == h5["frames"]["time"][0]


@pytest.mark.parametrize("sites, message", [
    (lambda f: {"liver": liver_frame(f)}, r"sites of the frame: missing \['lung'\]"),
    (lambda f: {"liver": liver_frame(f), "lung": lung_frame(f), "bone": lung_frame(f)},
     r"unexpected \['bone'\]"),
    (lambda f: {"liver": liver_frame(f), "lung": ({"oxygen": np.zeros(LIVER_SHAPE), "drug": np.zeros(LUNG_SHAPE)},
                                                  lung_frame(f)[1])},
     r"site 'lung': field 'oxygen' has shape \(12, 9\)"),
    (lambda f: {"liver": (liver_frame(f)[0], {**liver_frame(f)[1], "kind": np.zeros(len(liver_frame(f)[1]["id"]))}),
                "lung": lung_frame(f)},
     r"site 'liver': cells: missing \[\], unexpected \['kind'\]"),
    (lambda f: {"liver": liver_frame(f), "lung": (lung_frame(f)[0], {**lung_frame(f)[1], "damage": np.zeros(9)})},
     r"site 'lung': cell columns must be 1-D and of equal length"),
])
def test_a_bad_site_frame_is_refused_and_nothing_is_written(tmp_path, sites, message):
    path = tmp_path / "run.h5"
    writer = make_writer(path, sites=SITES)
    for f in range(2):
        site_step(writer, f)
    before = committed_segments(parts_dir(path))
    with pytest.raises(ValueError, match=message):
        writer.write_frame(20.0, *frame_data(2), sites=sites(2))
    assert committed_segments(parts_dir(path)) == before
    writer.close(complete=False)
    with load_run(path) as run:
        assert run.n_frames == 2 and run.site("liver").n_frames == run.site("lung").n_frames == 2


def test_unknown_site_rows_are_refused(tmp_path):
    writer = make_writer(tmp_path / "run.h5", sites=SITES)
    with pytest.raises(ValueError, match=r"no site 'bone'.*\['liver', 'lung'\]"):
        writer.append_timeseries(0.0, {"n_tumor": 1}, site="bone")
    with pytest.raises(ValueError, match=r"site 'liver': time-series row: missing \['n_tumor'\]"):
        writer.append_timeseries(0.0, {"n_cells": 1}, site="liver")
    with pytest.raises(ValueError, match=r"site 'lung': event table 'deaths' \(declared\)"):
        writer.append_events("deaths", {"time_min": [1.0]}, site="lung")
    writer.close(complete=False)


def _without(spec: dict, key: str) -> dict:
    return {k: v for k, v in spec.items() if k != key}


@pytest.mark.parametrize("sites, error, message", [
    ({"liver": _without(SITES["liver"], "cell_columns")}, ValueError, r"site 'liver': missing keys \['cell_columns'\]"),
    ({"liver": {**SITES["liver"], "colour": 1}}, ValueError, r"site 'liver': .*unknown keys \['colour'\]"),
    ({"liver": {**SITES["liver"], "static_fields": {"vessels": (np.zeros((3, 3), bool), "")}}}, ValueError,
     r"site 'liver', key 'static_fields': static field 'vessels' has shape \(3, 3\)"),
    ({"lung": {**SITES["lung"], "cell_columns": {"y": (np.float64, "µm", None)}}}, ValueError,
     r"site 'lung', key 'cell_columns': cell_columns must include 'id'"),
    ({"lung": {**SITES["lung"], "x_um": []}}, ValueError, r"site 'lung', key 'x_um/y_um': x_um must be"),
    ({"lung": {**SITES["lung"], "timeseries_columns": {"n": str}}}, TypeError,
     r"site 'lung', key 'timeseries_columns': time-series column 'n'"),
    ({"lung": {**SITES["lung"], "event_columns": {"a/b": ("t",)}}}, ValueError,
     r"site 'lung', key 'event_columns': event table name 'a/b'"),
    ({"lung": {**SITES["lung"], "field_units": ["oxygen"]}}, TypeError, r"site 'lung', key 'field_units': must be a dict"),
    ({"a/b": SITES["lung"]}, ValueError, r"site name 'a/b' is not allowed"),
    ({"lung": [1]}, TypeError, r"site 'lung': spec must be a dict"),
])
def test_a_bad_site_spec_is_refused_before_anything_exists(tmp_path, sites, error, message):
    path = tmp_path / "run.h5"
    with pytest.raises(error, match=message):
        make_writer(path, sites=sites)
    assert list(tmp_path.iterdir()) == []


def _killed_run(path: Path, frames: int) -> None:
    """Frames 0..frames-1 (checkpoints at 2 and 5) and a buffered row, in another process
    that then ends without closing the writer (the kernel drops its lock, as on kill -9)."""
    code = (f"import os\nfrom tests.io.test_sites import make_writer, SITES\n"
            f"from tests.io.test_sites import site_step, CHECKPOINTS, state_at\n"
            f"w = make_writer({str(path)!r}, sites=SITES)\n"
            f"for f in range({frames}):\n"
            f"    site_step(w, f)\n"
            f"    if f in CHECKPOINTS: w.write_checkpoint(10.0 * f, state_at(f))\n"
            f"w.append_timeseries(10.0 * {frames}, {{'n_tumor': 1}}, site='liver')\n"
            f"os._exit(0)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


def test_a_killed_run_with_sites_resumes_to_the_uninterrupted_file(tmp_path):
    straight = write_site_run(tmp_path / "straight.h5", 9).path
    stopped = tmp_path / "stopped.h5"
    _killed_run(stopped, 8)  # killed two frames after the checkpoint at frame 5
    with load_run(stopped) as run:  # the interrupted run shows its sites as committed
        assert run.status == "interrupted" and run.site("lung").n_frames == run.n_frames == 8
    writer, state = RunWriter.resume(stopped)
    assert state["step"] == 5 and writer.sites == ["liver", "lung"]
    with writer:
        for f in range(6, 9):
            site_step(writer, f)
    assert_same_run(straight, stopped)  # every dataset, the sites' included
    with h5py.File(straight, "r") as a, h5py.File(stopped, "r") as b:
        for name in ("liver", "lung"):
            assert dict(a[f"sites/{name}"].attrs) == dict(b[f"sites/{name}"].attrs)
        assert json.loads(a["checkpoint"].attrs["sites"]) == json.loads(b["checkpoint"].attrs["sites"])
    with load_run(stopped) as run:
        check_sites(run, 9)


def test_resume_refuses_a_checkpoint_whose_site_counts_do_not_match(tmp_path):
    path = tmp_path / "run.h5"
    write_site_run(path, 4, complete=False)
    checkpoint = parts_dir(path) / "checkpoint.h5"
    with h5py.File(checkpoint, "r+") as h5:
        counts = json.loads(h5["checkpoint"].attrs["sites"])
        counts["liver"]["n_timeseries"] += 1
        h5["checkpoint"].attrs["sites"] = json.dumps(counts)
    with pytest.raises(RunFileError, match="of site 'liver', the checkpoint counted"):
        RunWriter.resume(path)


def test_a_run_without_sites_has_no_sites_group(tmp_path):
    path = tmp_path / "run.h5"
    writer = make_writer(path)
    writer.write_frame(0.0, *frame_data(0))
    writer.write_checkpoint(0.0, state_at(0))
    parts = parts_dir(path)
    for file in [parts / "head.h5", *committed_segments(parts), parts / "checkpoint.h5"]:
        with h5py.File(file, "r") as h5:
            assert "sites" not in h5 and "sites" not in h5.get("checkpoint", h5).attrs
    writer.close()
    with h5py.File(path, "r") as h5:
        assert "sites" not in h5 and "sites" not in h5["checkpoint"].attrs
    with load_run(path) as run:
        assert run.sites == []
        with pytest.raises(KeyError, match=r"no site 'liver'.*sites: \[\]"):
            run.site("liver")
        assert "site " not in run.summary()
    with pytest.raises(ValueError, match=r"sites of the frame: missing \[\], unexpected \['liver'\]"):
        make_writer(tmp_path / "other.h5").write_frame(0.0, *frame_data(0), sites={"liver": liver_frame(0)})


def test_a_live_run_shows_its_sites(tmp_path):
    path = tmp_path / "run.h5"
    writer = make_writer(path, sites=SITES)
    for f in range(3):
        site_step(writer, f)
    with load_run(path) as run:  # read from the .parts directory while the writer is alive
        assert run.status == "running"
        check_sites(run, 3)
    writer.close()
    with load_run(path) as run:
        assert run.status == "complete"
        check_sites(run, 3)
