"""Issue 5's speed: the blood compartment alone, and what shedding adds to a model step.

1. ``kernel``: a :class:`abm.blood.Circulation` fed a steady stream of shed units (the
   model's mix: 4 % clusters of 2 + Geometric(mean 2) cells) until the number in the blood is
   steady (units live ~40 min, so ~6.6 tissue steps' worth of shedding circulates), then
   ``--steps`` 6-min steps timed. Printed: circulating units, µs per step, ns per unit per
   step, and the cost of 12 substeps against 6 (the default): the event-driven kernel draws
   one waiting time per unit per substep plus the draws of its events, so its cost grows
   with the substeps while the statistics do not change.
2. ``model``: ``scenarios/ctc_circadian.toml`` (100×100 sites, a vascularised tumour of ~5k
   cells, shedding 25× the default) with shedding on and off; ms per step by phase
   (``model.timings``) over ``--model-steps`` steps after a warm-up; the ratio on/off.

No timed assertions. Usage::

    python benchmarks/bench_blood.py [--steps 200] [--model-steps 240] [--part kernel|model|both]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHED_PER_STEP = (100, 1_000, 10_000)
"""Units shed per 6-min step in the kernel cases (~6.6× that circulate)."""


def _shed_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    sizes = np.ones(n, dtype=np.int64)
    clusters = rng.random(n) < 0.04
    sizes[clusters] = 1 + rng.geometric(1.0 / 3.0, clusters.sum())
    return sizes


def bench_kernel(shed_per_step: int, steps: int, substeps: int) -> dict:
    from abm.circulation.blood import Circulation

    rng = np.random.default_rng(1)
    circ = Circulation(seed=1)
    dt = 6.0
    warm = 40  # ≫ the ~7 steps units live: steady state
    elapsed = 0.0
    circulating = []
    for k in range(warm + steps):
        circ.add_units(_shed_sizes(shed_per_step, rng), k * dt, 2.0, 1.0, 0.0)
        t0 = time.perf_counter()
        circ.step(k, dt, k * dt, True, 0.0, 0.0, substeps)
        if k >= warm:
            elapsed += time.perf_counter() - t0
            circulating.append(circ.counts()["n_units"])
    per_step = elapsed / steps
    units = float(np.mean(circulating))
    return {"units": units, "us_per_step": 1e6 * per_step, "ns_per_unit": 1e9 * per_step / units}


def bench_model(steps: int, shedding: bool) -> dict:
    from abm import TumorModel, load_config
    from abm.model import TIMING_PHASES

    config = load_config(ROOT / "scenarios/ctc_circadian.toml", overrides=[
        f"shedding.enabled={str(shedding).lower()}", "run.thin_agents=false"])
    model = TumorModel(config)
    model.run_steps(5)  # compile / cache load
    before = dict(model.timings)
    t0 = time.perf_counter()
    model.run_steps(steps)
    wall = time.perf_counter() - t0
    phases = {p: 1e3 * (model.timings[p] - before.get(p, 0.0)) / steps for p in TIMING_PHASES}
    return {"ms_per_step": 1e3 * wall / steps, "phases": phases,
            "n_tumor": int(model.counts["n_tumor"]),
            "shed_units": int(model.counts.get("ctc_shed_units", 0))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="timed kernel steps")
    parser.add_argument("--model-steps", type=int, default=240, help="timed model steps")
    parser.add_argument("--part", default="both", choices=("kernel", "model", "both"))
    args = parser.parse_args(argv)
    if args.part in ("kernel", "both"):
        bench_kernel(10, 3, 6)  # compile outside the timing
        print("blood kernel (6-min steps, steady state):")
        for shed in SHED_PER_STEP:
            r6, r12 = (bench_kernel(shed, args.steps, n) for n in (6, 12))
            print(f"  {shed:>6} shed/step, {r6['units']:>8.0f} circulating: "
                  f"{r6['us_per_step']:>9.0f} µs/step = {r6['ns_per_unit']:>5.0f} ns/unit/step; "
                  f"12 substeps {r12['ns_per_unit']:>5.0f} ns/unit/step "
                  f"(×{r12['us_per_step'] / r6['us_per_step']:.2f})")
    if args.part in ("model", "both"):
        print(f"model, scenarios/ctc_circadian.toml, {args.model_steps} steps:")
        runs = {on: bench_model(args.model_steps, on) for on in (False, True)}
        for on, r in runs.items():
            phases = ", ".join(f"{p} {ms:.2f}" for p, ms in r["phases"].items())
            print(f"  shedding {'on ' if on else 'off'}: {r['ms_per_step']:.1f} ms/step "
                  f"({r['n_tumor']} cells; {phases} ms)")
        ratio = runs[True]["ms_per_step"] / runs[False]["ms_per_step"]
        print(f"  shedding on / off: ×{ratio:.2f}; blood phase "
              f"{runs[True]['phases']['blood']:.2f} ms/step")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
