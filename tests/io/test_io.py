"""Tests of the HDF5 run file layer (abm.io): layout, round trip, validation, crash safety, resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from abm.io import RunFileError, RunWriter, SchemaError, load_run, read_checkpoint
from abm.io.parts import committed_segments, parts_dir
from abm.io.schema import CHUNK_BYTES

NY, NX = 40, 50
PHASES = {"proliferating": 0, "dormant": 1, "senescent": 2, "apoptotic": 3, "necrotic": 4}
CELL_COLUMNS = {
    "id": (np.int64, "1", None),
    "x": (np.int32, "site", None),
    "phase": (np.int8, "1", PHASES),
    "oxygen": (np.float32, "mmHg", None),
}
SERIES = {"n_tumor": np.int64, "mean_oxygen": np.float64}
CONFIG = 'scenario = "test"\n[grid]\nnx = 50\nny = 40\n'
VESSELS = (np.add.outer(np.arange(NY), np.arange(NX)) % 7 == 0)
"""A static map written with every test file (as the recorder writes ``fields/vessels``)."""


def make_writer(path, **kw) -> RunWriter:
    args = dict(
        config_toml=CONFIG, seed=7, scenario="test", x_um=np.arange(NX) * 20.0 + 10, y_um=np.arange(NY) * 20.0 + 10,
        field_units={"oxygen": "mmHg", "sasp": "nM"}, cell_columns=CELL_COLUMNS, timeseries_columns=SERIES,
        static_fields={"vessels": (VESSELS, "")},
    )
    return RunWriter(path, **(args | kw))


def frame_data(f: int) -> tuple[dict, dict]:
    """Deterministic fields and cells of frame ``f`` (the number of cells varies by frame)."""
    grid = np.arange(NY * NX, dtype=np.float32).reshape(NY, NX)
    n = 30 + 7 * f
    fields = {"oxygen": grid % 61 + f, "sasp": grid / (f + 1)}
    cells = {"id": np.arange(n) + 3 * f, "x": np.arange(n, dtype=np.int32) % NX,
             "phase": (np.arange(n) % 5).astype(np.int8), "oxygen": np.linspace(0, f, n, dtype=np.float32)}
    return fields, cells


def step(writer: RunWriter, f: int) -> None:
    """One simulated frame: two time-series rows, events, then the frame."""
    for sub in range(2):
        writer.append_timeseries(10.0 * f + 5 * sub, {"n_tumor": 30 + 7 * f, "mean_oxygen": f + sub / 2})
    writer.append_events("deaths", {"time": np.full(f % 3, 10.0 * f), "cause": np.array(["hypoxia"] * (f % 3))})
    if f >= 4:  # a table that appears late (after the first checkpoint in the resume test)
        writer.append_events("ctc", {"time": [10.0 * f], "size": [f]})
    writer.write_frame(10.0 * f, *frame_data(f))


def state_at(f: int) -> dict:
    return {"step": f, "time": 10.0 * f, "grid": frame_data(f)[0]["oxygen"].astype(np.float64),
            "rng": {"key": 2**100 + f, "name": "philox", "raw": b"\x00\x01"}, "empty": None, "flag": True}


def check_frames(path, k: int) -> int:
    """Assert the run opens (its files with plain h5py, the run with load_run) and frames
    0..k-1 hold the right data; return n_frames."""
    parts = parts_dir(path)
    for file in [path] if path.exists() else [parts / "head.h5", *committed_segments(parts)]:
        with h5py.File(file, "r") as f:
            assert f.attrs.get("schema_version", 1) == 1
    with load_run(path) as run:
        assert run.n_frames >= k
        np.testing.assert_array_equal(run.vessels, VESSELS)
        everything = run.cells()
        _ = run.timeseries, [run.events(t) for t in run.event_tables]
        for f in range(k):
            fields, cells = frame_data(f)
            for name, grid in fields.items():
                np.testing.assert_array_equal(run.field(name, f), grid)
            one = run.cells(f)
            np.testing.assert_array_equal(one.index, cells["id"])
            np.testing.assert_array_equal(one["oxygen"], cells["oxygen"])
            np.testing.assert_array_equal(everything.loc[f].index, cells["id"])
        return run.n_frames


# ---------------------------------------------------------------------- round trip and layout
def test_round_trip(tmp_path):
    path = tmp_path / "run.h5"
    with make_writer(path, attrs={"command": "abm run x.toml", "params": {"a": 1}}) as w:
        for f in range(4):
            step(w, f)
        w.write_checkpoint(30.0, state_at(3))
    with load_run(path) as run:
        assert run.status == "complete" and run.seed == 7 and run.scenario == "test"
        assert run.schema_version == 1 and run.config == {"scenario": "test", "grid": {"nx": 50, "ny": 40}}
        assert run.attrs["command"] == "abm run x.toml" and json.loads(run.attrs["params"]) == {"a": 1}
        assert run.attrs["units"]["fields"] == {"oxygen": "mmHg", "sasp": "nM"}
        np.testing.assert_array_equal(run.frame_times, [0, 10, 20, 30])
        assert run.field_names == ["oxygen", "sasp"] and run.field("oxygen").shape == (4, NY, NX)
        assert run.static_field_names == ["vessels"] and run.attrs["units"]["static_fields"] == {"vessels": ""}
        np.testing.assert_array_equal(run.vessels, VESSELS)
        assert run.vessels.dtype == bool and "vessels: 286 sites (stored)" in run.summary()
        with pytest.raises(KeyError, match="no field 'vessels'"):
            run.field("vessels")  # a static map, not a [frame, y, x] field
        np.testing.assert_array_equal(run.x_um, np.arange(NX) * 20.0 + 10)
        one = run.cells(-1)
        assert list(one["phase"].cat.categories) == list(PHASES) and one["phase"].iloc[2] == "senescent"
        assert run.cells().index.names == ["frame", "cell_id"] and len(run.cells()) == sum(30 + 7 * f for f in range(4))
        series = run.timeseries
        assert series.index.name == "time" and len(series) == 8 and series["n_tumor"].dtype == np.int64
        assert list(run.events("deaths")["cause"]) == ["hypoxia"] * 3 and len(run.events("deaths")) == 3
        text = run.summary()
        for expected in ("seed 7", "frames: 4", "field oxygen: [4, 40, 50] float32 [mmHg]", "n_tumor=51", "checkpoint: t = 30"):
            assert expected in text
        with pytest.raises(KeyError, match="no field 'glucose'"):
            run.field("glucose")
        with pytest.raises(IndexError):
            run.field("oxygen", 4)
    check_frames(path, 4)


def test_fields_are_netcdf_dimension_scales(tmp_path):
    path = tmp_path / "run.h5"
    with make_writer(path) as w:
        step(w, 0)
    with h5py.File(path, "r") as f:
        oxygen = f["fields/oxygen"]
        assert [dim[0].name for dim in oxygen.dims] == ["/fields/time", "/fields/y", "/fields/x"]
        assert oxygen.chunks == (1, NY, NX) and oxygen.compression == "gzip" and oxygen.shuffle
        assert oxygen.maxshape == (None, NY, NX) and f["cells/id"].chunks == (CHUNK_BYTES // 8,)
        vessels = f["fields/vessels"]
        assert [dim[0].name for dim in vessels.dims] == ["/fields/y", "/fields/x"]
        assert vessels.dtype == np.uint8 and vessels.shape == (NY, NX) and vessels.compression == "gzip"
        assert list(vessels.attrs["flag_values"]) == [0, 1]
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf", group="fields") as ds:
        assert ds["oxygen"].dims == ("time", "y", "x") and ds["vessels"].dims == ("y", "x")
        np.testing.assert_array_equal(ds["vessels"].values, VESSELS)


def test_checkpoint_round_trip_types(tmp_path):
    path = tmp_path / "run.h5"
    with make_writer(path) as w:
        w.write_checkpoint(0.0, state_at(1))
        w.write_checkpoint(10.0, state_at(2))  # replaces the first
    got, want = read_checkpoint(path), state_at(2)
    np.testing.assert_array_equal(got.pop("grid"), want.pop("grid"))
    assert got == want and type(got["rng"]["key"]) is int and type(got["step"]) is int


# ---------------------------------------------------------------------- validation
def test_existing_file_and_bad_attributes(tmp_path):
    path = tmp_path / "run.h5"
    make_writer(path).close()
    with pytest.raises(FileExistsError):
        make_writer(path)
    make_writer(path, overwrite=True).close()
    bad = tmp_path / "bad.h5"
    for attrs, error in (({"when": object()}, TypeError), ({"d": {"x": {1, 2}}}, TypeError), ({"seed": 3}, ValueError)):
        with pytest.raises(error, match="when|'d'|seed"):
            make_writer(bad, attrs=attrs)
        assert not bad.exists()
    with pytest.raises(TypeError, match="checkpoint entry"):
        with make_writer(bad) as w:
            w.write_checkpoint(0.0, {"ok": 1, "bad": [1, 2]})


@pytest.mark.parametrize("static, error, message", [
    ({"vessels": (np.zeros((NX, NY), bool), "")}, ValueError, "static field 'vessels' has shape"),
    ({"oxygen": (VESSELS, "")}, ValueError, "clashes with the time-dependent field"),
    ({"x": (VESSELS, "")}, ValueError, "static field name 'x' is not allowed"),
    ({"vessels": VESSELS}, TypeError, r"spec must be \(\[y, x\] array, units\)"),
    ({"vessels": (VESSELS, None)}, TypeError, "units must be a str"),
    ({"vessels": (VESSELS.astype(str), "")}, TypeError, "is not numeric"),
])
def test_bad_static_field_raises_before_the_file_exists(tmp_path, static, error, message):
    path = tmp_path / "run.h5"
    with pytest.raises(error, match=message):
        make_writer(path, static_fields=static)
    assert not path.exists()


def test_static_fields_are_optional_and_not_frames(tmp_path):
    """A writer without static maps (as before fields/vessels) and one with a float map."""
    plain, extra = tmp_path / "plain.h5", tmp_path / "extra.h5"
    with make_writer(plain, static_fields=None) as w:
        step(w, 0)
    depth = np.linspace(0, 1, NY * NX, dtype=np.float32).reshape(NY, NX)
    with make_writer(extra, static_fields={"vessels": (VESSELS, ""), "depth": (depth, "mm")}) as w:
        step(w, 0)
        step(w, 1)
    with load_run(plain) as run:
        assert run.static_field_names == [] and "static_fields" not in run.attrs["units"]
        assert run.vessels is None  # no map and no [oxygen] vessel_mmHg in this config to fall back on
    with load_run(extra) as run:
        assert run.field_names == ["oxygen", "sasp"] and sorted(run.static_field_names) == ["depth", "vessels"]
        assert run.n_frames == 2
    with h5py.File(extra, "r") as f:
        np.testing.assert_array_equal(f["fields/depth"][()], depth)
        assert f["fields/depth"].attrs["units"] == "mm" and "flag_values" not in f["fields/depth"].attrs


@pytest.mark.parametrize("change, message", [
    (lambda fields, cells: cells.pop("x"), r"missing \['x'\]"),
    (lambda fields, cells: cells.update(age=np.zeros(len(cells["id"]))), r"unexpected \['age'\]"),
    (lambda fields, cells: fields.update(oxygen=np.zeros((NX, NY))), "field 'oxygen' has shape"),
    (lambda fields, cells: fields.pop("sasp"), r"fields: missing \['sasp'\]"),
    (lambda fields, cells: cells.update(x=np.zeros(3, np.int32)), "equal length"),
    (lambda fields, cells: cells.update(id=np.zeros(len(cells["id"]))), "cell column 'id'.*float64"),
])
def test_bad_frame_raises_before_writing(tmp_path, change, message):
    path = tmp_path / "run.h5"
    with make_writer(path) as w:
        step(w, 0)
        fields, cells = frame_data(1)
        change(fields, cells)
        with pytest.raises(ValueError, match=message):
            w.write_frame(10.0, fields, cells)
        with pytest.raises(ValueError, match="time-series row"):
            w.append_timeseries(10.0, {"n_tumor": 3})
        w.append_events("deaths", {"time": [1.0], "cause": ["hypoxia"]})
        with pytest.raises(ValueError, match="event table 'deaths'"):
            w.append_events("deaths", {"time": [1.0]})
        with pytest.raises(ValueError, match="column 'cause': cannot store dtype float64"):
            w.append_events("deaths", {"time": [1.0], "cause": [2.0]})
    with h5py.File(path, "r") as f:
        assert f["fields/oxygen"].shape[0] == 1 and len(f["cells/id"]) == 30 and len(f["cells/offsets"]) == 2
        assert len(f["events/deaths/cause"]) == 1


def test_schema_triage(tmp_path):
    path = tmp_path / "run.h5"
    make_writer(path).close()
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = 99
    with pytest.raises(SchemaError, match="schema_version 99 is unknown"):
        load_run(path)
    with h5py.File(tmp_path / "other.h5", "w"):
        pass
    with pytest.raises(SchemaError, match="not a tumour run file"):
        load_run(tmp_path / "other.h5")


# ---------------------------------------------------------------------- resume
def datasets(path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[...]) if isinstance(obj, h5py.Dataset) else None)
    return out


def test_resume_equals_uninterrupted_run(tmp_path):
    n, checkpoints = 9, {2, 5}
    straight, stopped = tmp_path / "straight.h5", tmp_path / "stopped.h5"
    for path, last in ((straight, n - 1), (stopped, 7)):  # 'stopped' dies two frames after the checkpoint at 5
        w = make_writer(path)
        for f in range(last + 1):
            step(w, f)
            if f in checkpoints:
                w.write_checkpoint(10.0 * f, state_at(f))
        w.close(complete=path is straight)
    writer, state = RunWriter.resume(stopped)
    assert state["step"] == 5 and load_run(stopped).n_frames == 6
    np.testing.assert_array_equal(load_run(stopped).vessels, VESSELS)  # static maps survive the cut
    with writer:
        for f in range(state["step"] + 1, n):
            step(writer, f)
            if f in checkpoints:
                writer.write_checkpoint(10.0 * f, state_at(f))
    a, b = datasets(straight), datasets(stopped)
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    assert load_run(stopped).status == "complete"


def test_resume_of_a_complete_run_is_refused(tmp_path):
    path = tmp_path / "run.h5"
    with make_writer(path) as w:
        step(w, 0)
        w.write_checkpoint(0.0, state_at(0))
    before = path.read_bytes()
    with pytest.raises(RunFileError, match="complete run: nothing to resume"):
        RunWriter.resume(path)
    assert path.read_bytes() == before


# ---------------------------------------------------------------------- other processes
def child(path: str, mode: str) -> None:
    """Writer process for the kill/reader tests: prints the frame index after each write_frame returns.

    mode 'loop' writes until killed (checkpoint every 5 frames); 'stepwise' waits for a line on
    stdin before each frame and stops at EOF.
    """
    w = make_writer(path, overwrite=True)
    f = 0
    while mode == "loop" or sys.stdin.readline():
        step(w, f)
        if mode == "loop" and f % 5 == 4:
            w.write_checkpoint(10.0 * f, state_at(f))
        print(f, flush=True)
        f += 1
    w.close()


def spawn(path, mode) -> subprocess.Popen:
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import test_io; test_io.child({str(path)!r}, {mode!r})"
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def kill_after(path, k: int, extra_delay: float = 0.0) -> int:
    """Start a looping writer, SIGKILL it after it reported ``k`` frames (+ delay); return frames reported."""
    proc = spawn(path, "loop")
    reported = [proc.stdout.readline() for _ in range(k)]
    time.sleep(extra_delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reported += proc.stdout.read().split()
    return len([line for line in reported if line.strip()])


def test_killed_writer_leaves_readable_file(tmp_path):
    path = tmp_path / "run.h5"
    k = kill_after(path, 12)
    assert k >= 12
    assert check_frames(path, k) >= k
    writer, state = RunWriter.resume(path)  # killed runs resume from their last checkpoint
    writer.close()
    assert state["step"] % 5 == 4 and load_run(path).n_frames == state["step"] + 1


def test_read_while_writing(tmp_path):
    path = tmp_path / "run.h5"
    proc = spawn(path, "stepwise")
    try:
        for f in range(3):
            proc.stdin.write("go\n")
            proc.stdin.flush()
            assert int(proc.stdout.readline()) == f
            check_frames(path, f + 1)
        # Readers that hold the file open (plain h5py with default locking, or load_run) do not
        # stop the writer. (One process cannot mix the two: HDF5 refuses differing lock flags.)
        head = parts_dir(path) / "head.h5"
        for f, opener in ((3, lambda: h5py.File(head, "r")), (4, lambda: load_run(path))):
            with opener():
                proc.stdin.write("go\n")
                proc.stdin.flush()
                assert int(proc.stdout.readline()) == f
            check_frames(path, f + 1)
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    assert load_run(path).status == "complete"


# ---------------------------------------------------------------------- stress (slow)
@pytest.mark.slow
def test_kill_stress(tmp_path):
    """Kill a writer at random moments 200 times; every file must open and hold the reported frames."""
    rng = np.random.default_rng(2)
    bad = []
    for trial in range(int(os.environ.get("ABM_KILLS", 200))):
        path = tmp_path / f"run{trial % 2}.h5"
        k = kill_after(path, 1, extra_delay=rng.uniform(0, 0.3))
        try:
            check_frames(path, k)
            if k >= 5:
                RunWriter.resume(path)[0].close()
        except Exception as err:  # noqa: BLE001 - count every kind of failure
            bad.append(f"trial {trial} (k={k}): {type(err).__name__}: {err}")
    print(f"{len(bad)} corrupted of {trial + 1}", *bad, sep="\n")
    assert not bad
