"""Whole-model throughput: seconds per ABM step by phase, in the units users compare tools by.

For each (lattice, cell count) it builds a model with a tumour disc of about that many cells
(random vessels at the default density, thin agents off), warms up the JIT, times ``--steps``
steps and one HDF5 frame, and prints:

- seconds per step split by phase (field, cells, events, output = time series + amortised frames);
- cell-steps per second of the cell program + events, and field voxel-updates per second;
- µs per cell per simulated minute (whole step) and µs per voxel per simulated minute (field),
  next to PhysiCell 1.14.2's 21–28 µs/cell/min and 3.0 µs/voxel/min (one thread, this machine
  class, 20 µm voxels; the issue's reference numbers);
- bytes per cell: the cell table's arrays per live cell, and the traced peak of new allocations
  during the timed steps per cell.

It also times PhysiCell's reference case: 1 mm² of tissue with ~1,000 cells over one day
(PhysiCell: ~41 s).

Usage: ``python benchmarks/bench_model.py [--steps 10] [--cases 250:10000,1000:100000]``
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np

from abm import TumorModel, load_config
from abm.model import TIMING_PHASES
from abm.io.recorder import RunRecorder

PHYSICELL_US_PER_CELL_MIN = (21.0, 28.0)
PHYSICELL_US_PER_VOXEL_MIN = 3.0
PHYSICELL_1MM2_DAY_S = 41.0


def build(n_sites: int, n_cells: int, program: str, extra=()):
    dx = 16.8
    radius = math.sqrt(n_cells / math.pi) * dx * 1.02  # vessels take ~1-2% of the disc
    config = load_config(None, overrides=[
        f"grid.nx={n_sites}", f"grid.ny={n_sites}", f"tumor.radius_um={radius!r}",
        "run.thin_agents=false", "output.figure=false", f"cells.program={program}", *extra])
    return TumorModel(config)


def worker_result(command: list[str], env: dict, root: Path, label: str) -> dict:
    """Run a benchmark's ``--worker`` subprocess and return the JSON dict it prints as the
    last line of stdout, after checking that it imported the abm of checkout ``root`` (an
    installed abm, e.g. an editable install of another checkout, must not win)."""
    import json
    import subprocess
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"worker {label} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["abm"]).is_relative_to(root):
        raise RuntimeError(f"the worker {label} imported {result['abm']}, not {root}'s abm")
    return result


def start_recording(model, folder: Path) -> tuple[RunRecorder, float, float]:
    """A recorder of ``model`` on a run file in ``folder``, with one frame and one checkpoint
    written and timed (s) once — the benchmarks amortise them over the configured intervals
    instead of timing steps that happen to write one."""
    recorder = RunRecorder.create(model, Path(folder) / "bench.h5")
    t0 = time.perf_counter()
    recorder.write_frame(model)
    frame_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if hasattr(recorder, "write_checkpoint"):  # as the run writes it (and with its memory)
        recorder.write_checkpoint(model)
    else:  # versions before RunRecorder.write_checkpoint (a --baseline checkout)
        recorder.writer.write_checkpoint(model.time_min, model.snapshot())
    return recorder, frame_s, time.perf_counter() - t0


def table_bytes(model) -> int:
    c = model.cells
    arrays = [c.alive, c.id, c.parent_id, c.x, c.y, c.kind, c.phase, c.birth_min, c.oxygen,
              c.state, c.free]
    return sum(a.nbytes for a in arrays)


def bench_case(n_sites: int, n_cells: int, steps: int, program: str) -> dict:
    model = build(n_sites, n_cells, program)
    model.run_steps(2)  # JIT warm-up and first solver steps
    with tempfile.TemporaryDirectory() as tmp:
        recorder = RunRecorder.create(model, Path(tmp) / "bench.h5")
        t0 = time.perf_counter()
        recorder.write_frame(model)
        frame_s = time.perf_counter() - t0
        recorder.writer.close()
    frame_every = round(model.config.output.frame_every_min / model.dt_min)
    before = dict(model.timings)
    tracemalloc.start()
    t0 = time.perf_counter()
    model.run_steps(steps)
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_step = {k: (model.timings[k] - before[k]) / steps for k in TIMING_PHASES}
    per_step["output"] += frame_s / frame_every
    n = model.cells.count
    voxels = n_sites * n_sites
    total = sum(per_step.values())
    return {
        "lattice": f"{n_sites}²", "cells": n, "per_step": per_step, "total": total, "wall": wall / steps,
        "cell_steps_per_s": n / (per_step["cells"] + per_step["events"]),
        "voxel_updates_per_s": voxels / per_step["field"],
        "us_cell_min": total / (n * model.dt_min) * 1e6,
        "us_voxel_min": per_step["field"] / (voxels * model.dt_min) * 1e6,
        "table_bytes_per_cell": table_bytes(model) / n,
        "peak_alloc_per_cell": peak / n,
        "frame_s": frame_s,
        "cycles": model.solutes["oxygen"].cycles,
    }


def bench_physicell_case(program: str) -> float:
    """1 mm² (60 × 60 sites of 16.8 µm) with ~1,000 cells, one simulated day, thin agents on."""
    model = build(60, 1000, program, extra=["run.thin_agents=true"])
    model.run_steps(2)
    model = build(60, 1000, program, extra=["run.thin_agents=true"])
    t0 = time.perf_counter()
    model.run_steps(240)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--cases", default="250:10000,1000:10000,1000:100000,2000:100000",
                        help="comma-separated lattice_side:cells")
    parser.add_argument("--program", default="network", choices=("network", "placeholder"),
                        help="cell program (cells.program)")
    args = parser.parse_args()
    print(f"cell program: {args.program}, NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}")
    cases = [tuple(int(v) for v in c.split(":")) for c in args.cases.split(",")]
    rows = [bench_case(n, c, args.steps, args.program) for n, c in cases]

    print(f"{'lattice':>8} {'cells':>8} | {'field':>8} {'cells':>8} {'events':>8} {'output':>8} "
          f"{'total':>8} ms/step | {'Mcell-st/s':>10} {'Mvox/s':>7} | {'µs/cell/min':>11} "
          f"{'µs/vox/min':>10} | {'B/cell':>7} {'peak B/cell':>11} | cycles")
    for r in rows:
        p = r["per_step"]
        print(f"{r['lattice']:>8} {r['cells']:>8} | {p['field'] * 1e3:8.2f} {p['cells'] * 1e3:8.2f} "
              f"{p['events'] * 1e3:8.2f} {p['output'] * 1e3:8.2f} {r['total'] * 1e3:8.2f}         | "
              f"{r['cell_steps_per_s'] / 1e6:10.1f} {r['voxel_updates_per_s'] / 1e6:7.1f} | "
              f"{r['us_cell_min']:11.4f} {r['us_voxel_min']:10.4f} | {r['table_bytes_per_cell']:7.0f} "
              f"{r['peak_alloc_per_cell']:11.0f} | {r['cycles']}")
    lo, hi = PHYSICELL_US_PER_CELL_MIN
    best = min(r["us_cell_min"] for r in rows)
    field = min(r["us_voxel_min"] for r in rows)
    print(f"\nPhysiCell 1.14.2 reference: {lo:g}–{hi:g} µs/cell/min → ours {lo / best:,.0f}–{hi / best:,.0f}× "
          f"faster at best; {PHYSICELL_US_PER_VOXEL_MIN} µs/voxel/min → ours "
          f"{PHYSICELL_US_PER_VOXEL_MIN / field:,.0f}× faster at best")
    print("HDF5 frame write (fields + cell table): " +
          ", ".join(f"{r['lattice']}/{r['cells']}: {r['frame_s'] * 1e3:.0f} ms" for r in rows))
    seconds = bench_physicell_case(args.program)
    print(f"1 mm², ~1,000 cells, 1 day (240 steps, thin agents on): {seconds:.2f} s "
          f"(PhysiCell ~{PHYSICELL_1MM2_DAY_S:g} s → {PHYSICELL_1MM2_DAY_S / seconds:,.0f}× faster)")


if __name__ == "__main__":
    np.seterr(all="raise", under="ignore")
    main()
