"""Issue 17's cost of a secondary site: ms per step of the metastasis scenario with its
secondary site, as a ratio to the same primary alone, measured side by side.

The case: ``scenarios/metastasis.toml`` (a 120×120 primary, 2 mm at 16.8 µm, with a hypoxic
tumour disc that sheds cells and clusters into the blood; a 100×100 lung-like secondary site
with its own vessels, fields and immune cells), loaded with ``abm.load_config`` and these
overrides on top of the scenario:

- ``shedding.rate_per_h = 0.08`` (the scenario's 0.02 × 4), so that after the warm-up the site
  holds a few hundred cells (~335 at 48 h with seed 1, rather than ~100), and its tissue has
  work to do; ``output.figure = false``;
- variant ``site``: the scenario as is (primary + site);
- variant ``alone``: ``secondary.enabled = false``, the primary alone (shedding and the blood
  still on: arrested units are counted but go nowhere);
- variant ``site300`` (``--sizes``): ``secondary.nx = secondary.ny = 300`` (5 mm), to show how
  the cost scales with the site's lattice (9× the sites of ``site``).

Timing: ``--warmup-days`` (2) simulated days run untimed (JIT compile or cache load, and the
time for shed cells to reach the site); then a :class:`abm.io.recorder.RunRecorder` on a
temporary HDF5 file is attached (time series and event rows of the primary and the site every
step, as in a real run) and ``--steps`` steps of 6 min are timed with the model's own
``model.timings`` (phases ``abm.model.TIMING_PHASES``; the site's whole step, arrivals
included, is the ``site`` phase). One HDF5 frame and one checkpoint (both with the site's
group) are written and timed once and added to ``output`` amortised over the scenario's
intervals (a frame every 720 min, a checkpoint every 1440 min); the timed steps must fit
between two frames so that none is counted twice. The site's own tissue model keeps its own
``timings`` too: the ``site`` phase is split into the site tissue's phases and ``arrivals``
(the rest: the arrested cells' rows copied into the site's table, their landing sites).

Every run is a fresh subprocess of this script in ``--worker`` mode (one variant, its result
printed as JSON), with ``NUMBA_NUM_THREADS`` = ``--threads`` (1 by default) for all. The
machine is shared and noisy, so the result is ratios of runs made side by side: ``--repeats``
rounds run one worker per variant each, the order reversed every other round, and each
variant's time is divided by the ``alone`` run of the same round. No timed assertions.

Printed: per variant the median ms/step of every phase and of the whole step, the site's
phases, cells in the primary and at the site (and the site's immune cells) at the end of the
timed steps, the peak RSS; the ratio to ``alone`` of the whole step and of the peak RSS as the
median of the per-round ratios (min–max), and the site phase's share of the step.

Usage::

    python benchmarks/bench_site.py [--steps 40] [--repeats 3] [--threads 1] [--sizes]
                                    [--warmup-days 2]
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout this script belongs to: the abm the workers import."""
SCENARIO = ROOT / "scenarios" / "metastasis.toml"
COMMON = ("shedding.rate_per_h=0.08", "output.figure=false")
"""Overrides of every variant (module docstring: faster shedding fills the site)."""
VARIANTS = {
    "alone": ("secondary.enabled=false",),
    "site": (),
    "site300": ("secondary.nx=300", "secondary.ny=300"),
}
"""Variant → its overrides on top of :data:`COMMON`; ``alone`` is the denominator."""
ARRIVALS = "arrivals"
"""The part of the ``site`` phase outside the site tissue's own step."""
MIN_MS = 0.05
"""Phases below this (ms/step) in every variant are not printed (e.g. the primary's immune
phase, off in the scenario, or the site tissue's blood: microseconds of overhead)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps (6 min each)")
    parser.add_argument("--warmup-days", type=float, default=2.0,
                        help="simulated days run before the timing")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds (one run of every variant each)")
    parser.add_argument("--threads", type=int, default=1,
                        help="NUMBA_NUM_THREADS of every worker")
    parser.add_argument("--sizes", action="store_true",
                        help="also the variant site300 (a 300×300 site)")
    parser.add_argument("--worker", choices=tuple(VARIANTS), default=None,
                        help="internal: run one variant and print its result as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.steps < 120:  # the scenario's frame interval, 720 min of 6-min steps
        parser.error("--steps must be 1–119: the timed steps fit between two frames")
    return args


def bench_variant(variant: str, steps: int, warmup_days: float) -> dict:
    """Build, warm up and time one variant (module docstring); times in s, RSS in MB."""
    from bench_model import start_recording

    from abm import TumorModel, load_config
    from abm.model import TIMING_PHASES

    config = load_config(SCENARIO, overrides=[*COMMON, *VARIANTS[variant]])
    model = TumorModel(config)
    t0 = time.perf_counter()
    model.run_steps(round(warmup_days * 1440.0 / model.dt_min))
    warmup_s = time.perf_counter() - t0
    process = model.process("dissemination")
    site = None if process is None else process.site.model
    with tempfile.TemporaryDirectory() as tmp:
        recorder, frame_s, checkpoint_s = start_recording(model, Path(tmp))
        model.observers.append(recorder)
        before = dict(model.timings)
        site_before = {} if site is None else dict(site.timings)
        model.run_steps(steps)
        model.observers.remove(recorder)
        recorder.writer.close()
    per_step = {k: (model.timings[k] - before[k]) / steps for k in TIMING_PHASES}
    per_step["output"] += frame_s / recorder.frame_every + checkpoint_s / recorder.checkpoint_every
    site_phases = {}
    if site is not None:
        site_phases = {k: (site.timings[k] - site_before[k]) / steps for k in TIMING_PHASES}
        site_phases[ARRIVALS] = per_step["site"] - sum(site_phases.values())
    return {
        "variant": variant, "per_step": per_step, "total": sum(per_step.values()),
        "site_phases": site_phases, "site_lattice": f"{config.secondary.nx}²",
        "cells": model.counts["n_tumor"],
        "site_cells": None if site is None else site.counts["n_tumor"],
        "site_immune": None if site is None else site.counts["n_cd8"] + site.counts["n_nk"],
        "warmup_s": warmup_s, "frame_s": frame_s, "checkpoint_s": checkpoint_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def worker(args: argparse.Namespace) -> None:
    """``--worker``: run one variant here and print its result as the last line of stdout."""
    import numba
    import numpy as np

    np.seterr(all="raise", under="ignore")
    result = bench_variant(args.worker, args.steps, args.warmup_days)
    result["threads"] = numba.config.NUMBA_NUM_THREADS
    print(json.dumps(result))


def run_worker(variant: str, args: argparse.Namespace) -> dict:
    """One variant in a fresh ``--worker`` subprocess on this checkout's abm."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS=str(args.threads))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", variant,
               "--steps", str(args.steps), "--warmup-days", str(args.warmup_days)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"worker {variant} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def interleaved_rounds(variants: list[str], args: argparse.Namespace) -> list[dict]:
    """``args.repeats`` rounds, variant → result; odd rounds run the variants in reverse
    order, so none always runs after another."""
    rounds = []
    for i in range(args.repeats):
        order = variants if i % 2 == 0 else variants[::-1]
        results = {}
        for variant in order:
            r = results[variant] = run_worker(variant, args)
            print(f"  round {i + 1}/{args.repeats} {variant:>8}: {r['total'] * 1e3:7.1f} ms/step, "
                  f"site {r['per_step']['site'] * 1e3:6.1f} ms/step", flush=True)
        rounds.append(results)
    return rounds


def spread(values: list[float]) -> dict:
    """Median, min and max of ``values``."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def median_of(runs: list[dict], value) -> float:
    """The median of ``value(run)`` over ``runs``."""
    return statistics.median(value(r) for r in runs)


def spread_text(s: dict) -> str:
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def summarise(variants: list[str], rounds: list[dict]) -> dict:
    """Per variant: medians over the rounds (ms/step per phase and of the site's phases, cells,
    RSS) and, against ``alone`` of the same round, the step's and the RSS's ratio spreads."""
    out = {}
    for v in variants:
        runs = [r[v] for r in rounds]
        alone = [r["alone"] for r in rounds]
        median = functools.partial(median_of, runs)
        out[v] = {
            "ms": {k: median(lambda r, k=k: 1e3 * r["per_step"][k]) for k in runs[0]["per_step"]},
            "site_ms": {k: median(lambda r, k=k: 1e3 * r["site_phases"][k])
                        for k in runs[0]["site_phases"]},
            "total_ms": median(lambda r: 1e3 * r["total"]),
            "site_share": median(lambda r: r["per_step"]["site"] / r["total"]),
            "step_ratio": spread([r["total"] / a["total"] for r, a in zip(runs, alone)]),
            "rss_ratio": spread([r["peak_rss_mb"] / a["peak_rss_mb"] for r, a in zip(runs, alone)]),
            "rss_mb": median(lambda r: r["peak_rss_mb"]),
            "cells": median(lambda r: r["cells"]),
            "site_cells": median_count(runs, "site_cells"),
            "site_immune": median_count(runs, "site_immune"),
            "site_lattice": runs[0]["site_lattice"] if runs[0]["site_phases"] else "—",
            "warmup_s": median(lambda r: r["warmup_s"]),
            "frame_ms": median(lambda r: 1e3 * r["frame_s"]),
            "checkpoint_ms": median(lambda r: 1e3 * r["checkpoint_s"]),
            "threads": sorted({r["threads"] for r in runs}),
        }
    return out


def print_summary(variants: list[str], s: dict, repeats: int) -> None:
    """The table of :func:`summarise` (module docstring)."""
    def row(label, values):
        print(f"{label:>26} " + " ".join(f"{v:>22}" for v in values))

    print(f"\nmedians of {repeats} interleaved rounds; ratios to alone: median of the per-round "
          f"ratios (min–max)")
    row("", variants)
    row("site lattice", [s[v]["site_lattice"] for v in variants])
    for k in shown(s, variants, "ms"):
        row(f"{k} ms/step", [f"{s[v]['ms'][k]:.2f}" for v in variants])
    row("step ms/step", [f"{s[v]['total_ms']:.2f}" for v in variants])
    row("step / alone", [ratio_text(s, v, "step_ratio") for v in variants])
    row("site share of step", [f"{100 * s[v]['site_share']:.1f} %" for v in variants])
    row("peak RSS MB", [f"{s[v]['rss_mb']:.0f}" for v in variants])
    row("peak RSS / alone", [ratio_text(s, v, "rss_ratio") for v in variants])
    row("primary cells (end)", [f"{s[v]['cells']:.0f}" for v in variants])
    row("site cells (end)", [count_text(s[v]["site_cells"]) for v in variants])
    row("site immune cells (end)", [count_text(s[v]["site_immune"]) for v in variants])
    row("frame / checkpoint ms", [f"{s[v]['frame_ms']:.0f} / {s[v]['checkpoint_ms']:.0f}"
                                  for v in variants])
    row("warm-up s", [f"{s[v]['warmup_s']:.1f}" for v in variants])
    with_site = [v for v in variants if s[v]["site_ms"]]
    print("\nthe site phase split: the site tissue's own phases and the arrivals (ms/step)")
    row("", with_site)
    for k in shown(s, with_site, "site_ms"):
        row(f"site {k} ms/step", [f"{s[v]['site_ms'][k]:.2f}" for v in with_site])
    print(f"(phases below {MIN_MS} ms/step in every variant are left out, but the arrivals)")


def shown(s: dict, variants: list[str], key: str) -> list[str]:
    """The phases of ``s[v][key]`` that reach :data:`MIN_MS` in some variant, and the
    arrivals always (the split's point)."""
    return [k for k in s[variants[0]][key]
            if k == ARRIVALS or max(s[v][key][k] for v in variants) >= MIN_MS]


def ratio_text(s: dict, variant: str, key: str) -> str:
    """A ratio to ``alone`` as median (min–max); ``—`` for ``alone`` itself."""
    return "—" if variant == "alone" else spread_text(s[variant][key])


def median_count(runs: list[dict], key: str) -> float | None:
    """The median of a count of ``runs``, None for a count a variant has not (no site)."""
    return None if runs[0][key] is None else statistics.median(r[key] for r in runs)


def count_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker is not None:
        worker(args)
        return
    variants = ["alone", "site"] + (["site300"] if args.sizes else [])
    print(f"{SCENARIO.relative_to(ROOT)} with {', '.join(COMMON)}; {args.warmup_days:g} "
          f"warm-up days, then {args.steps} timed steps of 6 min; {args.repeats} interleaved "
          f"rounds of {', '.join(variants)}; NUMBA_NUM_THREADS={args.threads}")
    t0 = time.perf_counter()
    rounds = interleaved_rounds(variants, args)
    summary = summarise(variants, rounds)
    threads = sorted({n for v in variants for n in summary[v]["threads"]})
    print(f"workers' numba threads: {', '.join(map(str, threads))}; "
          f"{time.perf_counter() - t0:.0f} s in all")
    print_summary(variants, summary, args.repeats)


if __name__ == "__main__":
    main()
