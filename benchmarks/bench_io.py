"""Write speed of the run file: one frame of a 1000×1000 float32 field and 100k cells × 8
columns, best and worst of 3 frames (was a timed assertion in tests/test_io.py; speed is
measured here, never asserted). Usage: ``python benchmarks/bench_io.py``."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from abm.io import RunWriter


def main() -> None:
    rng = np.random.default_rng(1)
    n, side = 100_000, 1000
    columns = {f"c{i}": (np.float32 if i % 2 else np.int32, "1", None) for i in range(7)} \
        | {"id": (np.int64, "1", None)}
    cells = {name: rng.integers(0, 1000, n).astype(spec[0]) for name, spec in columns.items()}
    # A smooth field (like oxygen) with noise in the low bits, as a solver produces.
    yy, xx = np.mgrid[0:side, 0:side]
    field = (40 * np.exp(-((xx - 500) ** 2 + (yy - 500) ** 2) / 2e5)
             + rng.normal(0, 1e-3, (side, side))).astype(np.float32)
    axis = np.arange(side) * 10.0
    with tempfile.TemporaryDirectory() as tmp:
        with RunWriter(Path(tmp) / "big.h5", config_toml="", seed=0, scenario="speed",
                       x_um=axis, y_um=axis, field_units={"oxygen": "mmHg"},
                       cell_columns=columns, timeseries_columns={}) as w:
            times = []
            for f in range(3):
                start = time.perf_counter()
                w.write_frame(f, {"oxygen": field}, cells)
                times.append(time.perf_counter() - start)
    print(f"write_frame 1000x1000 field + 100k x 8 cells: {min(times):.3f} s (best of 3), "
          f"{max(times):.3f} s worst")


if __name__ == "__main__":
    main()
