"""The run store (abm.io.parts): nothing committed is lost or rewritten, damage is detected,
a full disk stops a run cleanly, and a resume trusts nothing it has not checked."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from abm.io import RunFileError, RunWriter, StorageError, load_run
from abm.io.checkpoint import CHECKPOINT_FILE, find_checkpoint
from abm.io.parts import committed_segments, parts_dir, segment_path
from abm.io.schema import metadata_digest

from ..helpers import assert_same_run
from .test_io import check_frames, make_writer, state_at, step

CHECKPOINTS = {2, 5}


def write_run(path, frames: int, complete: bool = True, writer=None) -> RunWriter:
    """Frames 0..frames-1 with checkpoints after frames 2 and 5 (as test_io's resume test)."""
    writer = writer or make_writer(path)
    for f in range(frames):
        step(writer, f)
        if f in CHECKPOINTS:
            writer.write_checkpoint(10.0 * f, state_at(f))
    writer.close(complete=complete)
    return writer


def finish(path, frames: int = 9) -> None:
    """Resume ``path`` and write it to ``frames`` frames, as an uninterrupted run would."""
    writer, state = RunWriter.resume(path)
    with writer:
        for f in range(state["step"] + 1, frames):
            step(writer, f)
            if f in CHECKPOINTS:
                writer.write_checkpoint(10.0 * f, state_at(f))


def flip_bit(path: Path, offset: int, bit: int = 3) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ (1 << bit)]))


# ---------------------------------------------------------------------- layout and status
def test_a_run_in_progress_lives_in_its_parts_and_is_read_as_a_run(tmp_path):
    path = tmp_path / "run.h5"
    writer = make_writer(path)
    for f in range(3):
        step(writer, f)
    assert not path.exists() and parts_dir(path).is_dir()
    assert [p.name for p in committed_segments(parts_dir(path))] == [f"seg_0000000{i}.h5" for i in (1, 2, 3)]
    with load_run(path) as run:
        assert run.status == "running" and run.n_frames == 3
    check_frames(path, 3)
    with pytest.raises(RunFileError, match="being written by another process"):
        RunWriter.resume(path)  # a live writer holds the lock
    writer.close(complete=False)
    with load_run(path) as run:
        assert run.status == "interrupted" and run.n_frames == 3
        assert "interrupted" in run.summary()


def test_a_complete_run_is_one_plain_hdf5_file_with_checksums(tmp_path):
    path = write_run(tmp_path / "run.h5", 4).path
    assert not parts_dir(path).exists() and not list(tmp_path.glob(".*partial*"))
    with h5py.File(path, "r") as f:  # plain h5py, default settings
        assert f.attrs["status"] == "complete"
        assert f["fields/oxygen"].fletcher32 and f["cells/x"].fletcher32 and f["checkpoint/state/grid"].fletcher32
        assert f["events/deaths/cause"].dtype.kind == "S"  # fixed-length UTF-8, not a heap
    with load_run(path) as run:
        assert list(run.events("deaths")["cause"]) == ["hypoxia"] * 3


def test_an_existing_run_is_never_replaced_without_overwrite(tmp_path):
    path = write_run(tmp_path / "run.h5", 2).path
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="exists"):
        make_writer(path)
    assert path.read_bytes() == before
    other = tmp_path / "other.h5"
    write_run(other, 2, complete=False)
    with pytest.raises(FileExistsError, match="other.h5.parts exists"):
        make_writer(other)
    make_writer(path, overwrite=True).close()
    with load_run(path) as run:
        assert run.n_frames == 0


def test_segments_past_a_gap_are_not_part_of_the_run(tmp_path):
    path = tmp_path / "run.h5"
    write_run(path, 4, complete=False)
    parts = parts_dir(path)
    os.rename(segment_path(parts, 4), segment_path(parts, 6))
    (parts / ".seg_00000005.0123abcd.partial.h5").write_bytes(b"half a file")  # a killed write
    with load_run(path) as run:
        assert run.n_frames == 3


# ---------------------------------------------------------------------- resume
def test_resume_cuts_what_came_after_the_checkpoint_and_equals_an_uninterrupted_run(tmp_path):
    straight = write_run(tmp_path / "straight.h5", 9).path
    stopped = tmp_path / "stopped.h5"
    write_run(stopped, 8, complete=False)  # killed two frames after the checkpoint at 5
    finish(stopped)
    assert_same_run(straight, stopped)


def test_a_run_killed_while_its_file_was_assembled_is_only_assembled(tmp_path, monkeypatch):
    straight = write_run(tmp_path / "straight.h5", 9).path
    path = tmp_path / "run.h5"
    import abm.io.writer as writer_module
    def killed(*args, **kwargs):
        (tmp_path / ".run.0123abcd.partial.h5").write_bytes(b"a half-written file")
        raise KeyboardInterrupt  # stands for the kill: nothing after this ran
    monkeypatch.setattr(writer_module, "assemble", killed)
    with pytest.raises(KeyboardInterrupt):
        write_run(path, 9)
    monkeypatch.undo()
    assert not path.exists()
    writer, state = RunWriter.resume(path)
    assert writer.finished and state is None
    assert not list(tmp_path.glob(".*partial*"))  # the half-written file is removed
    writer.close()
    assert_same_run(straight, path)


def test_a_run_killed_before_its_first_checkpoint_starts_again(tmp_path):
    """No checkpoint yet (the first is after frame 2): resume removes every segment and
    starts from step 0 (the stored config and seed determine it)."""
    straight = write_run(tmp_path / "straight.h5", 9).path
    path = tmp_path / "run.h5"
    write_run(path, 2, complete=False)
    writer, state = RunWriter.resume(path)
    assert state is None and not writer.finished
    with load_run(path) as run:
        assert run.n_frames == 0
    write_run(path, 9, writer=writer)
    assert_same_run(straight, path)


@pytest.mark.parametrize("with_digest", [True, False], ids=["edited", "damaged"])
def test_resume_refuses_an_edited_stored_config(tmp_path, with_digest):
    """Whether the edit also updated the attribute checksum (a deliberate edit) or not (a
    damaged byte), the config the checkpoint was taken with must be the one resumed."""
    path = tmp_path / "run.h5"
    write_run(path, 7, complete=False)
    head = parts_dir(path) / "head.h5"
    with h5py.File(head, "r+") as f:
        f.attrs["config_toml"] = f.attrs["config_toml"].replace("nx = 50", "nx = 60")
        if with_digest:
            f.attrs["metadata_sha256"] = metadata_digest(f.attrs)
    segments = sorted(p.name for p in parts_dir(path).iterdir())
    match = "stored config differs" if with_digest else "do not match their checksum"
    with pytest.raises(RunFileError, match=match):
        RunWriter.resume(path)
    assert sorted(p.name for p in parts_dir(path).iterdir()) == segments  # nothing cut


# ---------------------------------------------------------------------- damage
def _chunk_offset(path: Path, name: str) -> int:
    with h5py.File(path, "r") as f:
        return f[name].id.get_chunk_info(0).byte_offset


@pytest.mark.parametrize("name", ["cells/x", "fields/oxygen", "timeseries/n_tumor", "checkpoint/state/grid"])
def test_a_flipped_bit_in_the_data_is_detected(tmp_path, name):
    path = write_run(tmp_path / "run.h5", 4).path
    flip_bit(path, _chunk_offset(path, name) + 5)
    with load_run(path) as run, pytest.raises(RunFileError, match="damaged"):
        if name.startswith("cells"):
            run.cells()
        elif name.startswith("fields"):
            run.field("oxygen", 0)
        elif name.startswith("timeseries"):
            run.timeseries
        else:
            from abm.io import read_checkpoint
            read_checkpoint(path)


def test_a_flipped_bit_in_the_checkpoint_stops_the_resume(tmp_path):
    path = tmp_path / "run.h5"
    write_run(path, 7, complete=False)
    checkpoint = parts_dir(path) / "checkpoint.h5"
    flip_bit(checkpoint, _chunk_offset(checkpoint, "checkpoint/state/grid") + 11)
    with pytest.raises(RunFileError, match="damaged checkpoint"):
        RunWriter.resume(path)


def test_a_flipped_bit_in_the_root_attributes_is_detected(tmp_path):
    path = write_run(tmp_path / "run.h5", 2).path
    with h5py.File(path, "r+") as f:
        f.attrs["seed"] = 8  # as a flipped bit would (the checksum is not updated)
    with pytest.raises(RunFileError, match="do not match their checksum"):
        load_run(path)


# ---------------------------------------------------------------------- a full disk
def test_a_full_disk_ends_the_run_with_every_committed_frame_kept(tmp_path, monkeypatch):
    """ENOSPC on the 7th frame: StorageError saying so; frames 0-5 readable; after space is
    freed, resume gives the uninterrupted run."""
    straight = write_run(tmp_path / "straight.h5", 9).path
    path = tmp_path / "run.h5"
    import abm.io.segment as segment_module
    original = segment_module.write_atomic

    def full_disk(target, write):
        if target.name == "seg_00000007.h5":  # one segment per frame here: the 7th frame
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(target, write)
    monkeypatch.setattr(segment_module, "write_atomic", full_disk)
    writer = make_writer(path)
    with pytest.raises(StorageError, match="the disk is full.*abm resume"):
        write_run(path, 9, writer=writer)
    writer.close(complete=False)  # what the runner does on any error: never raises for the disk
    monkeypatch.undo()
    with load_run(path) as run:
        assert run.status == "interrupted" and run.n_frames == 6
    check_frames(path, 6)
    finish(path)
    assert_same_run(straight, path)


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                            capture_output=True)
    return result.returncode == 0


def test_a_real_full_disk(tmp_path):
    """The same on a 256 kB tmpfs (root only): the writer stops with StorageError, every segment
    on the disk is whole, and growing the file system lets the run finish identically."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "256k"):
        pytest.skip("mounting a tmpfs needs root")
    try:
        straight = write_run(tmp_path / "straight.h5", 30).path
        path = disk / "run.h5"
        writer = make_writer(path)
        with pytest.raises(StorageError, match="disk is full"):
            write_run(path, 30, writer=writer)
        writer.close(complete=False)
        assert not list(parts_dir(path).glob(".*partial*"))
        with load_run(path) as run:
            n = run.n_frames
        assert 3 <= n < 30
        check_frames(path, n)
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        finish(path, frames=30)
        assert_same_run(straight, path)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# ---------------------------------------------------------------------- declared event tables
def test_declared_event_tables_are_enforced_and_read_empty(tmp_path):
    path = tmp_path / "run.h5"
    declared = {"deaths": ("time", "cause"), "ctc": ("time", "size"), "seeds": ("time", "unit_id")}
    with make_writer(path, event_columns=declared) as writer:
        with pytest.raises(ValueError, match=r"declared.*missing \['cause'\]"):
            writer.append_events("deaths", {"time": [1.0]})
        for f in range(5):
            step(writer, f)
    with load_run(path) as run:
        assert "seeds" not in run.event_tables
        seeds = run.events("seeds")
        assert len(seeds) == 0 and list(seeds.columns) == ["time", "unit_id"]
        assert list(run.events("ctc").columns) == ["time", "size"] and len(run.events("ctc")) == 1
        with pytest.raises(KeyError, match="no event table 'seed'.*'seeds'"):
            run.events("seed")


def test_a_killed_file_of_the_earlier_store_is_read_but_not_continued(tmp_path):
    """The earlier store left a killed run as one file with status "running" (and no
    checksums): it stays readable, and resume says why it cannot continue it."""
    path = write_run(tmp_path / "run.h5", 3).path
    with h5py.File(path, "r+") as f:
        del f.attrs["metadata_sha256"]
        f.attrs["status"] = "running"
    with load_run(path) as run:
        assert run.n_frames == 3 and run.status == "running"
    with pytest.raises(RunFileError, match="earlier run store"):
        RunWriter.resume(path)


def test_a_live_run_opens_every_time_while_it_is_written(tmp_path):
    """150 opens of a run while another process commits frames (one asked for every fifth
    open, and not waited for): every open succeeds, and the frame count never goes back."""
    from .test_io import spawn

    path = tmp_path / "run.h5"
    proc = spawn(path, "stepwise")
    try:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        proc.stdout.readline()  # the first frame is committed
        counts = []
        for i in range(150):
            if i % 5 == 0:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            with load_run(path) as run:
                counts.append(run.n_frames)
                assert run.status == "running"
                run.cells(-1), run.timeseries  # noqa: B018 - reading is the test
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert counts == sorted(counts) and counts[-1] > counts[0]
    with load_run(path) as run:
        assert run.status == "complete" and run.n_frames == 31


def test_a_run_killed_while_it_was_created_leaves_no_run(tmp_path):
    """The parts folder is made under a temporary name and renamed once its head is in it: a
    kill before that leaves only the hidden staging folder, which is no run, and the next
    writer of that path removes it."""
    path = tmp_path / "run.h5"
    staging = tmp_path / ".run.h5.0123abcd.partial-parts"
    staging.mkdir()
    (staging / "lock").write_text("4242")
    with pytest.raises(FileNotFoundError, match="no such run"):
        load_run(path)
    with pytest.raises(FileNotFoundError, match="no such run"):
        RunWriter.resume(path)
    write_run(path, 2)
    assert not staging.exists() and path.is_file()


def test_a_checkpoint_gzips_its_integer_arrays_and_stores_floats_raw(tmp_path):
    path = tmp_path / "run.h5"
    writer = make_writer(path)
    n = 100_000  # 800 kB arrays: above the size worth a filter
    state = {"occupancy": (np.arange(n) % 7).astype(np.int32), "alive": np.arange(n) % 3 == 0,
             "state": np.random.default_rng(1).uniform(0, 1, (n // 4, 4)), "step": 3}
    writer.write_checkpoint(30.0, state)
    with h5py.File(parts_dir(path) / CHECKPOINT_FILE, "r") as f:
        stored = find_checkpoint(f)["state"]
        assert stored["occupancy"].compression == "gzip" and stored["alive"].compression == "gzip"
        assert stored["state"].compression is None
        assert all(stored[k].fletcher32 for k in ("occupancy", "alive", "state"))
    writer.close(complete=False)
    _, restored = RunWriter.resume(path)
    assert restored["step"] == 3
    for key in ("occupancy", "alive", "state"):
        assert np.array_equal(restored[key], state[key]) and restored[key].dtype == state[key].dtype
