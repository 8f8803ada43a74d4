"""Issue 4's speed case: seconds per simulated day, phase by phase, with immune cells.

The case of the issue: a 1000×1000 tissue (16.8 µm sites, 282 mm²) with ~100k tumour cells,
two SASP fields (``sasp``, ``sasp_metabolic``) plus the ``chemokine``, and 5,000 immune cells;
``--size small`` is a quick 250×250 check with ~6k cells and ~300 immune cells.

Set-up (``load_config`` overrides on top of the defaults, through bench_model.build):

- ``cells.program = network`` (the intracellular ODE network); ``glucose.field = true`` (the
  default: five fields are solved, oxygen, glucose, sasp, sasp_metabolic, chemokine;
  ``--no-glucose`` drops glucose); ``run.thin_agents = false``; ``output.figure = false``;
- a tumour disc of ~N cells (``tumor.radius_um`` from bench_model.build), vessels random at
  the default density;
- ``immune.enabled = true`` with ``initial_cd8_per_mm2`` = ``initial_nk_per_mm2`` = half the
  immune count / domain area: the model places them at random free sites over the *whole*
  domain (so most start outside the tumour, ~1/10 of the area); recruitment off
  (``recruit_per_min = 0``) and ``lifetime_min = 1e9`` (an expected 0.0001 exits per step in
  5,000 cells), so the count stays at its initial value — exhaustion (5 kills) does not
  remove cells, they keep walking;
- 1 % of the tumour cells (a seeded random choice) are made senescent after construction
  (phase ``senescent``, route ``geroconversion``, which secretes all three fields at full
  strength), and the three secreted fields are re-solved to their steady state, so the SASP
  fields and the chemokine have sources from the first timed step.

Timing: ``--warmup`` steps (JIT compile / cache load, solver start-up) run outside the timing;
then a :class:`abm.recorder.RunRecorder` on a temporary HDF5 file is attached (time series and
event rows every step, as in a real run) and ``--steps`` steps of 6 min are timed with the
model's own ``model.timings`` (phases ``abm.model.TIMING_PHASES``). One HDF5 frame and one
checkpoint are also written and timed once, and added to ``output`` amortised over the
configured intervals (frame every 360 min, checkpoint every 1440 min). Seconds per simulated
day = ms/step × (1440 / dt_min) / 1000. Peak RSS is the process's (``ru_maxrss``) after the
case (cases run small first, so a small figure is not masked by a large one). No timed
assertions.

Usage::

    python benchmarks/bench_immune.py [--size large|small|both] [--steps 20] [--warmup 3]
                                      [--threads N] [--no-glucose]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

SIZES = {  # lattice side, tumour cells, immune cells
    "small": (250, 6_000, 300),
    "large": (1000, 100_000, 5_000),
}
SENESCENT_FRACTION = 0.01


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="both", choices=("large", "small", "both"))
    parser.add_argument("--steps", type=int, default=20, help="timed steps (6 min each)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before timing")
    parser.add_argument("--threads", type=int, default=None,
                        help="NUMBA_NUM_THREADS (set before numba is imported; default: numba's)")
    parser.add_argument("--no-glucose", action="store_true",
                        help="glucose.field = false (every cell sees glucose.level)")
    return parser.parse_args(argv)


def build_case(n_sites: int, n_cells: int, n_immune: int, glucose: bool):
    """The model of one case (module docstring), with its senescent cells and steady fields."""
    import numpy as np
    from bench_model import build

    from abm.tumor.cells import GEROCONVERSION, PHASES
    from abm.fields.solutes import SECRETED_FIELDS

    dx = 16.8
    area_mm2 = n_sites * n_sites * (dx / 1000.0) ** 2
    density = (n_immune / 2) / area_mm2
    never = "{recruit_per_min = 0.0, lifetime_min = 1e9}"
    model = build(n_sites, n_cells, "network", extra=[
        f"grid.dx_um={dx}", f"glucose.field={str(glucose).lower()}",
        "sasp.field=true", "sasp_metabolic.field=true", "chemokine.field=true",
        "immune.enabled=true", f"immune.initial_cd8_per_mm2={density!r}",
        f"immune.initial_nk_per_mm2={density!r}", f"immune.cd8={never}", f"immune.nk={never}"])
    c = model.cells
    rows = c.live_rows()
    rng = np.random.default_rng(12345)
    chosen = rng.choice(rows, size=max(1, round(SENESCENT_FRACTION * len(rows))), replace=False)
    c.phase[chosen] = PHASES["senescent"]
    c.route[chosen] = GEROCONVERSION
    for name in SECRETED_FIELDS:
        model.solutes[name].update(c, np.inf)  # steady state with the new sources
    model._update_counts()  # the senescent cells in model.counts before the first step
    return model


def bench_case(size: str, steps: int, warmup: int, glucose: bool) -> dict:
    from abm.model import TIMING_PHASES
    from abm.io.recorder import RunRecorder

    n_sites, n_cells, n_immune = SIZES[size]
    t0 = time.perf_counter()
    model = build_case(n_sites, n_cells, n_immune, glucose)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run_steps(warmup)
    warmup_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        recorder = RunRecorder.create(model, Path(tmp) / "bench.h5")
        t0 = time.perf_counter()
        recorder.write_frame(model)
        frame_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        recorder.writer.write_checkpoint(model.time_min, model.snapshot())
        checkpoint_s = time.perf_counter() - t0
        model.observers.append(recorder)
        before = dict(model.timings)
        start_counts = dict(model.counts)
        t0 = time.perf_counter()
        model.run_steps(steps)
        wall = (time.perf_counter() - t0) / steps
        model.observers.remove(recorder)
        recorder.writer.close()
    per_step = {k: (model.timings[k] - before[k]) / steps for k in TIMING_PHASES}
    per_step["output"] += (frame_s / recorder.frame_every
                           + checkpoint_s / recorder.checkpoint_every)
    total = sum(per_step.values())
    counts = model.counts
    return {
        "size": size, "lattice": f"{n_sites}²", "per_step": per_step, "total": total,
        "wall": wall, "s_per_day": total * (1440.0 / model.dt_min),
        "cells": counts["n_tumor"], "cells_start": start_counts["n_tumor"],
        "senescent": counts["n_senescent"], "immune": counts["n_cd8"] + counts["n_nk"],
        "immune_start": start_counts["n_cd8"] + start_counts["n_nk"],
        "engaged": counts["n_engaged"], "fields": len(model.solutes),
        "build_s": build_s, "warmup_s": warmup_s, "frame_s": frame_s,
        "checkpoint_s": checkpoint_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def print_table(rows: list[dict], phases: tuple[str, ...]) -> None:
    head = " ".join(f"{p:>8}" for p in phases)
    print(f"\n{'case':>6} {'lattice':>8} | {head} {'total':>8} ms/step | {'s/day':>7} | "
          f"{'cells':>7} {'senesc':>6} {'immune':>6} | {'RSS MB':>7}")
    for r in rows:
        p = r["per_step"]
        vals = " ".join(f"{p[k] * 1e3:8.1f}" for k in phases)
        print(f"{r['size']:>6} {r['lattice']:>8} | {vals} {r['total'] * 1e3:8.1f}         | "
              f"{r['s_per_day']:7.1f} | {r['cells']:>7} {r['senescent']:>6} {r['immune']:>6} | "
              f"{r['peak_rss_mb']:7.0f}")
    print(f"\n{'case':>6} share of step: " + " ".join(f"{p:>8}" for p in phases))
    for r in rows:
        p = r["per_step"]
        print(f"{r['size']:>6}                 " +
              " ".join(f"{100 * p[k] / r['total']:7.1f}%" for k in phases))
    print()
    for r in rows:
        print(f"{r['size']}: cells {r['cells_start']} → {r['cells']}, immune {r['immune_start']} → "
              f"{r['immune']} ({r['engaged']} engaged), {r['fields']} fields; wall/step "
              f"{r['wall'] * 1e3:.1f} ms (timed steps, no amortised writes); build "
              f"{r['build_s']:.1f} s, warm-up {r['warmup_s']:.1f} s; HDF5 frame "
              f"{r['frame_s'] * 1e3:.0f} ms, checkpoint {r['checkpoint_s'] * 1e3:.0f} ms "
              f"(amortised into output)")


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)  # before numba is imported
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_model's helpers

    import numba
    import numpy as np

    from abm.model import TIMING_PHASES

    np.seterr(all="raise", under="ignore")
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    print(f"cell program: network, glucose field {'off' if args.no_glucose else 'on'}, "
          f"NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}, {args.warmup} warm-up + "
          f"{args.steps} timed steps of 6 min")
    rows = []
    for size in sizes:
        rows.append(bench_case(size, args.steps, args.warmup, not args.no_glucose))
        r = rows[-1]
        print(f"  {size}: {r['total'] * 1e3:.1f} ms/step, {r['s_per_day']:.1f} s/day", flush=True)
    print_table(rows, TIMING_PHASES)


if __name__ == "__main__":
    main()
