"""Issue 22's cost of the myeloid agents: ms per step and peak memory of a tumour model with
neutrophils and platelet aggregates (and their IL-6 and TGF-β fields) as a ratio to the same
model without them, measured side by side.

The case: a 1000×1000 tissue (16.8 µm sites, 282 mm²) with a tumour disc of ~100k cells
(``--quick``: 200×200, ~4k cells), built with ``bench_model.build`` and these overrides:

- ``cells.program = network``; ``run.thin_agents = false``; ``output.figure = false``;
- vessels ``pattern = random`` at ``density_per_mm2 = 15`` (:data:`VESSELS_PER_MM2`; tumour
  microvessel densities are tens per mm², the default 10 is at the low end);
- ``chemokine.field = true`` in every case (neutrophils need it), so with oxygen, glucose,
  sasp and sasp_metabolic the base model solves five fields; immune cells off;
- case ``base``: no myeloid agents; ``both``: ``neutrophils.enabled``, ``il6.field``,
  ``platelets.enabled``, ``tgfb.field`` (seven fields); ``neutrophils``: the neutrophils and
  IL-6 only; ``platelets``: the platelets and TGF-β only (:data:`CASES`).

So that the agents have their working population from the first timed step rather than the
few that enter in a handful of steps, every case is prepared alike after construction:

- 1 % of the tumour cells (a seeded random choice) are made senescent (phase ``senescent``,
  route ``geroconversion``: they secrete the SASP and the chemokine) and the secreted fields
  are solved to their steady state, as in bench_immune.py;
- neutrophils: each vessel site gets round(r·L) neutrophils (at most its 8 free neighbours,
  ``Neutrophils.place_near``), r the entry rate at its perivascular chemokine
  (``neutrophil_kernels.entry_rate``) and L the lifetime (min): the steady state of entry at
  rate r and exits at rate 1/L;
- platelets: one adhesion pass (``platelet_kernels.adhere``) with the probability of the
  steady occupancy of a tumour-adjacent vessel site, f = a·L/(1 + a·L) (a the adhesion
  hazard, L the lifetime);
- their sources are written (``il6_source``, ``release_tgfb``) and il6 and tgfb are solved
  to their steady state.

Timing: ``--warmup`` steps (JIT compile or cache load, solver start-up) run untimed; then
``--steps`` steps of 6 min are timed with the model's own ``model.timings`` (phases
``abm.model.TIMING_PHASES``; the two myeloid processes share the ``myeloid`` phase, the
fields are all in ``field``). No recorder is attached: this is the cost of the step, not of
the output. Memory: the worker's peak RSS (``ru_maxrss``), and the peak of the new
allocations traced by ``tracemalloc`` during one extra step after the timed ones (numpy
temporaries of a step, as bench_model's "peak B/cell"; numba's own allocations are not
traced), and the bytes of the myeloid state (tables, occupancy and exposure maps, the two
fields' values and source maps).

Every run is a fresh subprocess of this script in ``--worker`` mode (one case, its result as
JSON) with ``NUMBA_NUM_THREADS`` = ``--threads`` (1 by default) and ``PYTHONPATH`` = this
checkout. The machine is shared and noisy, so the result is ratios of runs made side by
side: ``--repeats`` rounds run one worker per case each, the order reversed every other
round, and every case is divided by the ``base`` run of its round. Printed: the median
ms/step per phase and of the whole step, the agents at the end, the peak RSS; the ratios to
``base`` of the step, of the peak RSS and of the traced step peak, as the median of the
per-round ratios (min–max); and the split of the extra ms/step into the extra field solves
(``field`` phase − base's), the agents' kernels (``myeloid`` phase) and the rest (mostly the
cells' phase: EMT from TGF-β, the growth signal). ``--figure PATH`` draws the ratios and the
split. No timed assertions.

Usage::

    python benchmarks/bench_myeloid.py [--quick] [--steps 5] [--warmup 3] [--repeats 3]
                                       [--threads 1] [--all] [--figure docs/bench_myeloid.png]

``--all`` adds the cases ``neutrophils`` and ``platelets`` to ``base`` and ``both``.
``docs/bench_myeloid.png`` comes from::

    python benchmarks/bench_myeloid.py --all --steps 15 --repeats 5 --figure docs/bench_myeloid.png

(about 5 min on a loaded 2-core machine; ``--quick --all`` takes about 30 s).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout this script belongs to: the abm the workers import."""
SIZES = {"large": (1000, 100_000), "quick": (200, 4_000)}
"""Lattice side and tumour cells of the full case and of ``--quick``."""
DX_UM = 16.8
VESSELS_PER_MM2 = 15.0
SENESCENT_FRACTION = 0.01
NEUTROPHILS = ("neutrophils.enabled=true", "il6.field=true")
PLATELETS = ("platelets.enabled=true", "tgfb.field=true")
CASES = {"base": (), "both": NEUTROPHILS + PLATELETS, "neutrophils": NEUTROPHILS,
         "platelets": PLATELETS}
"""Case → its overrides on top of the common ones (module docstring); ``base`` is the
denominator."""
SPLIT = ("field", "myeloid", "rest")
"""The parts of a case's extra ms/step over ``base`` (module docstring)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the small case (200², ~4k cells) instead of 1000², ~100k cells")
    parser.add_argument("--steps", type=int, default=5, help="timed steps (6 min each)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before timing")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds (one run of every case each)")
    parser.add_argument("--threads", type=int, default=1, help="NUMBA_NUM_THREADS of the workers")
    parser.add_argument("--all", action="store_true",
                        help="also the cases neutrophils only and platelets only")
    parser.add_argument("--figure", type=Path, default=None,
                        help="write the bar chart of the ratios here (PNG, PDF, ...)")
    parser.add_argument("--worker", choices=tuple(CASES), default=None,
                        help="internal: run one case and print its result as JSON")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 1 or args.repeats < 1:
        parser.error("--steps, --warmup and --repeats must be at least 1")
    return args


# ------------------------------------------------------------------------------ one case
def build_case(case: str, quick: bool):
    """The model of one case with its senescent cells, its agents at their steady
    population and all secreted fields at steady state (module docstring)."""
    import numpy as np
    from bench_model import build

    from abm.fields.solutes import SECRETED_FIELDS
    from abm.tumor.cells import GEROCONVERSION, PHASES

    n_sites, n_cells = SIZES["quick" if quick else "large"]
    model = build(n_sites, n_cells, "network", extra=[
        f"grid.dx_um={DX_UM}", "vessels.pattern=random",
        f"vessels.density_per_mm2={VESSELS_PER_MM2}", "chemokine.field=true",
        "sasp.field=true", "sasp_metabolic.field=true", "immune.enabled=false", *CASES[case]])
    c = model.cells
    rows = c.live_rows()
    rng = np.random.default_rng(12345)
    chosen = rng.choice(rows, size=max(1, round(SENESCENT_FRACTION * len(rows))), replace=False)
    c.phase[chosen] = PHASES["senescent"]
    c.route[chosen] = GEROCONVERSION
    for name in SECRETED_FIELDS:
        if name in model.solutes:
            model.solutes[name].update(c, np.inf)
    seed_neutrophils(model)
    seed_platelets(model)
    model.update_counts()
    return model


def seed_neutrophils(model) -> None:
    """Neutrophils at their steady count around every vessel site (module docstring), IL-6
    at the steady state of their secretion; nothing without neutrophils."""
    import numpy as np

    from abm.immune.kernels import perivascular_chemokine
    from abm.myeloid import neutrophil_kernels as nk
    from abm.myeloid.signals import il6_source

    process = model.process("neutrophils")
    if process is None:
        return
    s = process.section
    chemokine = model.fields["chemokine"]
    lifetime_min = s.lifetime_h * 60.0
    for x, y in zip(process.vessel_x, process.vessel_y):
        rate = nk.entry_rate(s.recruit_per_min, s.recruit_k,
                             perivascular_chemokine(x, y, chemokine, model.vessels),
                             s.inflammation_recruit_gain, 0.0, 0.0)
        n = min(8, round(rate * lifetime_min))  # a vessel site has 8 neighbours at most
        if n > 0:
            process.place_near(model, int(x), int(y), n, model.step_index, model.time_min)
    il6 = model.solutes["il6"]
    il6_source(s.il6_secretion_per_min, process.table.arrays(), il6.agent_source)
    il6.update(model.cells, np.inf)


def seed_platelets(model) -> None:
    """Aggregates at the steady occupancy of the tumour-adjacent vessel sites (module
    docstring), TGF-β at the steady state of their release; nothing without platelets."""
    import numpy as np

    from abm.myeloid import platelet_kernels as pk

    process = model.process("platelets")
    if process is None:
        return
    s, t = process.section, process.table
    a_l = s.adhesion_per_h * s.lifetime_h  # adhesion hazard × lifetime, both in h
    occupied = a_l / (1.0 + a_l)
    rate_per_min = -math.log1p(-occupied) / model.dt_min  # one pass adheres with p = occupied
    t.ensure_capacity(len(process.vessel_x))
    rows = np.empty(max(len(process.vessel_x), 1), dtype=np.int64)
    c = model.cells
    pk.adhere(model.seed, model.step_index, model.dt_min, model.time_min, rate_per_min,
              process.vessel_x, process.vessel_y, model.space.occupancy, c.alive, c.phase,
              t.arrays(), process.occupancy, rows)
    tgfb = model.solutes["tgfb"]
    pk.release_tgfb(s.tgfb_secretion_per_min, t.arrays(), model.vessels, tgfb.agent_source)
    tgfb.update(c, np.inf)


def myeloid_bytes(model) -> int:
    """Bytes of the myeloid state: the agents' table columns, occupancy and exposure maps,
    and the il6/tgfb fields' values, sink, source and agent-source maps (0 in ``base``)."""
    total = 0
    for name in ("neutrophils", "platelets"):
        process = model.process(name)
        if process is None:
            continue
        t = process.table
        total += sum(getattr(t, column).nbytes for column in t._COLUMNS)
        total += process.occupancy.nbytes
        if name == "neutrophils":
            total += process.exposure.nbytes
    for name in ("il6", "tgfb"):
        solute = model.solutes.get(name)
        if solute is not None:
            total += sum(a.nbytes for a in (solute.values, solute.sink, solute.source,
                                            solute.agent_source))
    return total


def bench_case(case: str, quick: bool, steps: int, warmup: int) -> dict:
    """Build, warm up and time one case (module docstring); times in s, memory in bytes or
    MB as named."""
    from abm.model import TIMING_PHASES

    t0 = time.perf_counter()
    model = build_case(case, quick)
    build_s = time.perf_counter() - t0
    start = dict(model.counts)
    t0 = time.perf_counter()
    model.run_steps(warmup)
    warmup_s = time.perf_counter() - t0
    before = dict(model.timings)
    t0 = time.perf_counter()
    model.run_steps(steps)
    wall = (time.perf_counter() - t0) / steps
    per_step = {k: (model.timings[k] - before[k]) / steps for k in TIMING_PHASES}
    tracemalloc.start()
    model.run_steps(1)
    _, step_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counts = model.counts
    return {
        "case": case, "lattice": f"{model.shape[1]}²", "per_step": per_step,
        "total": sum(per_step.values()), "wall": wall, "fields": len(model.solutes),
        "cells": counts["n_tumor"], "vessels": int(model.vessels.sum()),
        "neutrophils_start": start.get("n_neutrophils"),
        "neutrophils": counts.get("n_neutrophils"), "nets": counts.get("n_nets"),
        "platelets_start": start.get("n_platelets"), "platelets": counts.get("n_platelets"),
        "myeloid_bytes": myeloid_bytes(model), "step_peak_bytes": step_peak,
        "build_s": build_s, "warmup_s": warmup_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def worker(args: argparse.Namespace) -> None:
    """``--worker``: run one case here and print its result as the last line of stdout."""
    import numba
    import numpy as np

    import abm

    np.seterr(all="raise", under="ignore")
    result = bench_case(args.worker, args.quick, args.steps, args.warmup)
    result.update(abm=str(Path(abm.__file__).resolve().parent),
                  threads=numba.config.NUMBA_NUM_THREADS)
    print(json.dumps(result))


# --------------------------------------------------------------------- side by side runs
def run_worker(case: str, args: argparse.Namespace) -> dict:
    """One case in a fresh ``--worker`` subprocess on this checkout's abm."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS=str(args.threads))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", case,
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
    if args.quick:
        command.append("--quick")
    from bench_model import worker_result
    return worker_result(command, env, ROOT, case)


def interleaved_rounds(cases: list[str], args: argparse.Namespace) -> list[dict]:
    """``args.repeats`` rounds, case → result; odd rounds run the cases in reverse order,
    so none always runs after another."""
    rounds = []
    for i in range(args.repeats):
        order = cases if i % 2 == 0 else cases[::-1]
        results = {}
        for case in order:
            r = results[case] = run_worker(case, args)
            print(f"  round {i + 1}/{args.repeats} {case:>11}: {r['total'] * 1e3:8.1f} ms/step, "
                  f"field {r['per_step']['field'] * 1e3:7.1f}, myeloid "
                  f"{r['per_step']['myeloid'] * 1e3:6.2f} ms/step, RSS "
                  f"{r['peak_rss_mb']:.0f} MB", flush=True)
        rounds.append(results)
    return rounds


# ---------------------------------------------------------------------------- summary
def spread(values: list[float]) -> dict:
    """Median, min and max of ``values``."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def spread_text(s: dict) -> str:
    return f"{s['median']:.3f} ({s['min']:.3f}–{s['max']:.3f})"


def extra_split(run: dict, base: dict) -> dict:
    """A case's extra s/step over ``base`` of the same round, in the parts of :data:`SPLIT`:
    the field phase's difference, the myeloid phase, and the rest of the difference."""
    field = run["per_step"]["field"] - base["per_step"]["field"]
    myeloid = run["per_step"]["myeloid"] - base["per_step"]["myeloid"]
    return {"field": field, "myeloid": myeloid,
            "rest": run["total"] - base["total"] - field - myeloid}


def median_count(runs: list[dict], key: str) -> float | None:
    """The median of a count of ``runs``, None for a count the case has not."""
    return None if runs[0][key] is None else statistics.median(r[key] for r in runs)


def summarise(cases: list[str], rounds: list[dict]) -> dict:
    """Per case: medians over the rounds (ms/step per phase and whole, agents, memory) and,
    against ``base`` of the same round, the ratio spreads of the step, the peak RSS and the
    traced step peak, and the extra ms/step split (median of each part over the rounds)."""
    out = {}
    for case in cases:
        runs = [r[case] for r in rounds]
        bases = [r["base"] for r in rounds]
        splits = [extra_split(r, b) for r, b in zip(runs, bases)]
        out[case] = {
            "ms": {k: statistics.median(1e3 * r["per_step"][k] for r in runs)
                   for k in runs[0]["per_step"]},
            "total_ms": statistics.median(1e3 * r["total"] for r in runs),
            "step_ratio": spread([r["total"] / b["total"] for r, b in zip(runs, bases)]),
            "rss_ratio": spread([r["peak_rss_mb"] / b["peak_rss_mb"]
                                 for r, b in zip(runs, bases)]),
            "alloc_ratio": spread([r["step_peak_bytes"] / b["step_peak_bytes"]
                                   for r, b in zip(runs, bases)]),
            "split_ms": {k: statistics.median(1e3 * s[k] for s in splits) for k in SPLIT},
            "extra_ms": spread([1e3 * (r["total"] - b["total"]) for r, b in zip(runs, bases)]),
            "rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
            "step_peak_mb": statistics.median(r["step_peak_bytes"] / 2 ** 20 for r in runs),
            "myeloid_mb": statistics.median(r["myeloid_bytes"] / 2 ** 20 for r in runs),
            **{k: median_count(runs, k) for k in ("cells", "vessels", "fields",
                                                  "neutrophils_start", "neutrophils", "nets",
                                                  "platelets_start", "platelets")},
            "build_s": statistics.median(r["build_s"] for r in runs),
            "warmup_s": statistics.median(r["warmup_s"] for r in runs),
            "threads": sorted({r["threads"] for r in runs}),
            "lattice": runs[0]["lattice"],
        }
    return out


def count_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def print_summary(cases: list[str], s: dict, repeats: int) -> None:
    """The table of :func:`summarise` (module docstring)."""
    def row(label, values):
        print(f"{label:>24} " + " ".join(f"{v:>22}" for v in values))

    def ratio(case, key):
        return "—" if case == "base" else spread_text(s[case][key])

    print(f"\nmedians of {repeats} interleaved rounds; ratios to base: median of the per-round "
          f"ratios (min–max)")
    row("", cases)
    row("lattice / fields", [f"{s[c]['lattice']} / {s[c]['fields']:.0f}" for c in cases])
    phases = [k for k in s[cases[0]]["ms"] if max(s[c]["ms"][k] for c in cases) >= 0.05]
    for k in phases:
        row(f"{k} ms/step", [f"{s[c]['ms'][k]:.2f}" for c in cases])
    row("step ms/step", [f"{s[c]['total_ms']:.1f}" for c in cases])
    row("step / base", [ratio(c, "step_ratio") for c in cases])
    row("peak RSS MB", [f"{s[c]['rss_mb']:.0f}" for c in cases])
    row("peak RSS / base", [ratio(c, "rss_ratio") for c in cases])
    row("traced step peak MB", [f"{s[c]['step_peak_mb']:.1f}" for c in cases])
    row("traced step peak / base", [ratio(c, "alloc_ratio") for c in cases])
    row("myeloid state MB", [f"{s[c]['myeloid_mb']:.1f}" for c in cases])
    row("tumour cells (end)", [count_text(s[c]["cells"]) for c in cases])
    row("vessel sites", [count_text(s[c]["vessels"]) for c in cases])
    row("neutrophils start→end", [f"{count_text(s[c]['neutrophils_start'])} → "
                                  f"{count_text(s[c]['neutrophils'])}" for c in cases])
    row("NETs (end)", [count_text(s[c]["nets"]) for c in cases])
    row("platelets start→end", [f"{count_text(s[c]['platelets_start'])} → "
                                f"{count_text(s[c]['platelets'])}" for c in cases])
    row("build / warm-up s", [f"{s[c]['build_s']:.1f} / {s[c]['warmup_s']:.1f}" for c in cases])
    others = [c for c in cases if c != "base"]
    print("\nthe extra ms/step over base (median of the per-round differences, min–max) and "
          "its split (medians of each part)")
    row("", others)
    row("extra ms/step", [f"{s[c]['extra_ms']['median']:.1f} ({s[c]['extra_ms']['min']:.1f}–"
                          f"{s[c]['extra_ms']['max']:.1f})" for c in others])
    for k, label in zip(SPLIT, ("extra field solves", "agents' kernels", "rest (cells, ...)")):
        row(f"{label} ms/step", [f"{s[c]['split_ms'][k]:.1f} ({share(s[c], k)})"
                                 for c in others])


def share(case_summary: dict, part: str) -> str:
    """A part of the split as a percentage of the sum of the parts' medians."""
    total = sum(case_summary["split_ms"].values())
    return "—" if total == 0 else f"{100 * case_summary['split_ms'][part] / total:.0f} %"


def save_figure(cases: list[str], s: dict, repeats: int, path: Path) -> None:
    """Left: the ratios to base (step, peak RSS) per case, bars at the median with min–max
    whiskers and the numbers; right: the extra ms/step of each case stacked by part. 7.2 in
    wide, text 7–8 pt."""
    from matplotlib.figure import Figure

    others = [c for c in cases if c != "base"]
    fig = Figure(figsize=(7.2, 3.0), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.3, 1))
    width = 0.38
    for j, (key, label, color) in enumerate((("step_ratio", "ms/step", "tab:blue"),
                                             ("rss_ratio", "peak RSS", "0.6"))):
        xs = [i + (j - 0.5) * width for i in range(len(others))]
        med = [s[c][key]["median"] for c in others]
        err = [[m - s[c][key]["min"] for m, c in zip(med, others)],
               [s[c][key]["max"] - m for m, c in zip(med, others)]]
        left.bar(xs, med, width, yerr=err, capsize=2, color=color, label=label)
        for x, m, hi in zip(xs, med, err[1]):
            left.text(x, m + hi + 0.01, f"{m:.2f}", ha="center", va="bottom", fontsize=7)
    left.axhline(1.0, color="k", lw=0.6)
    top = max(s[c][k]["max"] for c in others for k in ("step_ratio", "rss_ratio"))
    left.set_ylim(0, 1.3 * top)
    left.set_xticks(range(len(others)), others, fontsize=7)
    left.set_ylabel("ratio to base (no agents)", fontsize=8)
    left.legend(fontsize=7, frameon=False, loc="upper right", ncols=2)
    colors = {"field": "tab:orange", "myeloid": "tab:green", "rest": "0.7"}
    labels = {"field": "extra field solves", "myeloid": "agents' kernels",
              "rest": "rest (cells, ...)"}
    for i, c in enumerate(others):
        up = down = 0.0  # a negative part (noise, or a saving) stacks below 0
        for k in SPLIT:
            v = s[c]["split_ms"][k]
            right.bar(i, v, 0.6, bottom=up if v >= 0 else down, color=colors[k],
                      label=labels[k] if i == 0 else None)
            up, down = (up + v, down) if v >= 0 else (up, down + v)
        e = s[c]["extra_ms"]
        right.text(i, up, f"{e['median']:+.0f} ms\n({e['min']:+.0f} to {e['max']:+.0f})",
                   ha="center", va="bottom", fontsize=7)
    right.axhline(0.0, color="k", lw=0.6)
    right.set_xticks(range(len(others)), others, fontsize=7)
    right.set_ylabel("extra ms per 6-min step (median)", fontsize=8)
    right.legend(fontsize=7, frameon=False, loc="upper right")
    ymin, ymax = right.get_ylim()
    right.set_ylim(ymin, ymax * 1.45)
    for ax in (left, right):
        ax.tick_params(axis="y", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    b = s["base"]
    fig.suptitle(f"neutrophils and platelets (+ IL-6, TGF-β fields) against base: "
                 f"{b['lattice']} sites, ~{b['cells'] / 1000:.0f}k tumour cells, "
                 f"{b['vessels']:.0f} vessel sites,\nbase {b['total_ms']:.0f} ms/step (5 fields, "
                 f"NUMBA_NUM_THREADS {','.join(map(str, b['threads']))}); median of {repeats} "
                 f"interleaved rounds (min–max)",
                 fontsize=8)
    fig.savefig(path, dpi=200)


def main(argv=None) -> None:
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_model's helpers
    if args.worker is not None:
        worker(args)
        return
    cases = list(CASES) if args.all else ["base", "both"]
    n_sites, n_cells = SIZES["quick" if args.quick else "large"]
    print(f"{n_sites}² sites, ~{n_cells:,} tumour cells, vessels random at "
          f"{VESSELS_PER_MM2:g}/mm², chemokine field on; {args.warmup} warm-up + "
          f"{args.steps} timed steps of 6 min; "
          f"{args.repeats} interleaved rounds of {', '.join(cases)}; "
          f"NUMBA_NUM_THREADS={args.threads}")
    t0 = time.perf_counter()
    rounds = interleaved_rounds(cases, args)
    summary = summarise(cases, rounds)
    threads = sorted({n for c in cases for n in summary[c]["threads"]})
    print(f"workers' numba threads: {', '.join(map(str, threads))}; "
          f"{time.perf_counter() - t0:.0f} s in all")
    print_summary(cases, summary, args.repeats)
    if args.figure is not None:
        save_figure(cases, summary, args.repeats, args.figure)
        print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
