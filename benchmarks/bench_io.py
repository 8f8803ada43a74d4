"""Cost of the crash-safe store (abm.io.parts), side by side with a plain HDF5 append.

One frame is a 1000×1000 float32 field and 100k cells × 8 columns. For each of ``--frames``
frames the script times ``RunWriter.write_frame`` (a segment written, fsync'd and renamed)
and, in the same run, appending the same frame to one open HDF5 file with h5py and flushing
(what the earlier store did, which could tear); then ``close()`` (the finished file
assembled from the segments) against closing the plain file. Ratios are of medians taken in
one process, alternating the two, so a noisy machine affects both alike. Speed is measured
here, never asserted in tests. Usage: ``python benchmarks/bench_io.py [--frames 8]``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from abm.io import RunWriter


def frame_data(rng):
    n, side = 100_000, 1000
    columns = {f"c{i}": (np.float32 if i % 2 else np.int32, "1", None) for i in range(7)} \
        | {"id": (np.int64, "1", None)}
    cells = {name: rng.integers(0, 1000, n).astype(spec[0]) for name, spec in columns.items()}
    # A smooth field (like oxygen) with noise in the low bits, as a solver produces.
    yy, xx = np.mgrid[0:side, 0:side]
    field = (40 * np.exp(-((xx - 500) ** 2 + (yy - 500) ** 2) / 2e5)
             + rng.normal(0, 1e-3, (side, side))).astype(np.float32)
    return columns, cells, field, np.arange(side) * 10.0


def plain_file(path: Path, columns, side: int) -> h5py.File:
    """One growing HDF5 file, as the earlier store kept it (gzip field chunks, 1-D columns)."""
    f = h5py.File(path, "w")
    f.create_dataset("oxygen", shape=(0, side, side), maxshape=(None, side, side), dtype=np.float32,
                     chunks=(1, side, side), compression="gzip", compression_opts=4, shuffle=True)
    for name, spec in columns.items():
        f.create_dataset(name, shape=(0,), maxshape=(None,), dtype=spec[0], chunks=(8192,))
    return f


def append_plain(f: h5py.File, field, cells) -> None:
    n = f["oxygen"].shape[0]
    f["oxygen"].resize(n + 1, axis=0)
    f["oxygen"][n] = field
    for name, values in cells.items():
        m = f[name].shape[0]
        f[name].resize(m + len(values), axis=0)
        f[name][m:] = values
    f.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args()
    columns, cells, field, axis = frame_data(np.random.default_rng(1))
    store, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        writer = RunWriter(Path(tmp) / "store.h5", config_toml="", seed=0, scenario="speed",
                           x_um=axis, y_um=axis, field_units={"oxygen": "mmHg"},
                           cell_columns=columns, timeseries_columns={})
        h5 = plain_file(Path(tmp) / "plain.h5", columns, len(axis))
        for f in range(args.frames):
            start = time.perf_counter()
            writer.write_frame(f, {"oxygen": field}, cells)
            store.append(time.perf_counter() - start)
            start = time.perf_counter()
            append_plain(h5, field, cells)
            plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        writer.close()
        assembly = time.perf_counter() - start
        start = time.perf_counter()
        h5.close()
        plain_close = time.perf_counter() - start
        sizes = [(Path(tmp) / name).stat().st_size / 1e6 for name in ("store.h5", "plain.h5")]
    s, p = np.median(store), np.median(plain)
    print(f"frame = 1000x1000 float32 field + 100k cells x 8 columns, {args.frames} frames")
    print(f"commit per frame   : store {s * 1e3:7.1f} ms | plain h5py append {p * 1e3:7.1f} ms | ratio {s / p:.2f}")
    print(f"close (assembly)   : store {assembly:7.2f} s  | plain close {plain_close:7.2f} s"
          f" | assembly per frame {assembly / args.frames * 1e3:.0f} ms")
    print(f"file size          : store {sizes[0]:7.1f} MB | plain {sizes[1]:7.1f} MB")


if __name__ == "__main__":
    main()
