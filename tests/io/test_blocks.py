"""Tables are written to segments and read back into the run file a block of rows at a time,
and fields are cast to float32 one at a time (the memory of a 1M-cell frame): the blocks
must not change what is stored."""
from __future__ import annotations

import h5py
import numpy as np

from abm.io import load_run, segment
from abm.io.parts import committed_segments, parts_dir

from ..helpers import assert_same_run
from .test_io import NX, NY, check_frames, frame_data, make_writer
from .test_store import write_run


def test_tables_in_blocks_of_one_chunk_store_the_same_run(tmp_path, monkeypatch):
    whole = write_run(tmp_path / "whole.h5", 9).path
    # 1 byte: every block is one chunk of rows, so a table longer than a chunk is written
    # and read in several (the assembly reads every segment table this way)
    monkeypatch.setattr(segment, "BLOCK_BYTES", 1)
    blocks = write_run(tmp_path / "blocks.h5", 9).path
    check_frames(blocks, 9)
    assert_same_run(whole, blocks)


def test_a_segment_table_spans_many_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "BLOCK_BYTES", 1)
    writer = make_writer(tmp_path / "run.h5")
    fields, _ = frame_data(0)
    n = 5000  # rows of 17 B: three chunks of 32 KiB
    cells = {"id": np.arange(n), "x": (np.arange(n) % NX).astype(np.int32),
             "phase": (np.arange(n) % 5).astype(np.int8),
             "oxygen": np.linspace(0.0, 1.0, n, dtype=np.float32)}
    # An event table with a text column (stored as fixed-length UTF-8) over many chunks too.
    causes = np.array(["hypoxia", "immune kill", "drug"])[np.arange(n) % 3]
    writer.append_events("deaths", {"time": np.arange(n, dtype=float), "cause": causes})
    writer.write_frame(0.0, fields, cells)
    (seg,) = committed_segments(parts_dir(writer.path))
    with h5py.File(seg, "r") as f:
        table = f["cells"]
        assert table.chunks[0] < n  # the table is written in more than one block
        for name, values in cells.items():
            np.testing.assert_array_equal(table[name], values)
        assert f["events/deaths"].chunks[0] < n
    writer.close()
    with load_run(writer.path) as run:
        one = run.cells(0)
        np.testing.assert_array_equal(one.index, cells["id"])
        np.testing.assert_array_equal(one["oxygen"], cells["oxygen"])
        deaths = run.events("deaths")
        assert list(deaths["cause"]) == list(causes)
        np.testing.assert_array_equal(deaths["time"], np.arange(n, dtype=float))


def test_float64_fields_are_stored_as_their_float32_values(tmp_path):
    writer = make_writer(tmp_path / "run.h5")
    rng = np.random.default_rng(3)
    fields = {"oxygen": rng.uniform(0, 60, (NY, NX)), "sasp": rng.uniform(0, 1e-3, (NY, NX))}
    writer.write_frame(0.0, fields, frame_data(0)[1])
    writer.close()
    with load_run(writer.path) as run:
        for name, values in fields.items():
            stored = run.field(name, 0)
            assert stored.dtype == np.float32
            np.testing.assert_array_equal(stored, values.astype(np.float32))
