"""Issue 4's speed case: seconds per simulated day, phase by phase, with immune cells; with
``--baseline`` the same case side by side with another abm version (issue 16: the new immune
rules against the old ones).

The case of the issue: a 1000×1000 tissue (16.8 µm sites, 282 mm²) with ~100k tumour cells,
two SASP fields (``sasp``, ``sasp_metabolic``) plus the ``chemokine``, and 5,000 immune cells;
``--size small`` is a quick 250×250 check with ~6k cells and ~300 immune cells; ``--size huge``
is issue 20's large-scale case: 2000×2000 (1,129 mm²) with ~1M tumour cells and 20,000 immune
cells (the large case's immune density), whose peak RSS is printed against the issue's memory
budget of 1 KB per tumour cell plus 400 B per lattice site (:data:`BUDGET_BYTES_PER_CELL`,
:data:`BUDGET_BYTES_PER_SITE`).

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
  5,000 cells), so the count stays at its initial value (neither the old rules' exhaustion
  nor the new dysfunction removes cells: they keep walking);
- 1 % of the tumour cells (a seeded random choice) are made senescent after construction
  (phase ``senescent``, route ``geroconversion``, which secretes all three fields at full
  strength), and the three secreted fields are re-solved to their steady state, so the SASP
  fields and the chemokine have sources from the first timed step.

Timing: ``--warmup`` steps (JIT compile / cache load, solver start-up) run outside the timing;
then a :class:`abm.recorder.RunRecorder` on a temporary HDF5 file is attached (time series and
event rows every step, as in a real run) and ``--steps`` steps of 6 min are timed with the
model's own ``model.timings`` (phases ``abm.model.TIMING_PHASES``). One HDF5 frame and one
checkpoint are also written and timed once before, and ``output`` gets the share of them that
the configured intervals (frame every 360 min, checkpoint every 1440 min) would add to the
timed steps beyond the frames and checkpoints written inside them (``--steps 240`` from the
default warm-up times a whole simulated day, its 4 frames and 1 checkpoint included, and adds
nothing). Seconds per simulated
day = ms/step × (1440 / dt_min) / 1000. Peak RSS is the process's (``ru_maxrss``). The immune
activity of the timed steps is counted too: kills per step (``immune_kills_cd8`` +
``immune_kills_nk``), hits per step (the ``immune_hits`` event rows; only versions with
additive hits have them) and engaged immune cells (mean over the steps), so a reader sees
whether the two versions do the same work. No timed assertions.

Without ``--baseline`` the cases run in this process (small first, so its peak RSS is not
masked by the large one's) and one table of absolute timings is printed. With ``--baseline
DIR`` (a checkout of another abm version, e.g. a git worktree of an older commit) every run is
a fresh subprocess of this script in ``--worker`` mode (one case, its result printed as JSON),
with ``PYTHONPATH`` = this checkout (current) or DIR (baseline); the worker uses only what both
versions have (bench_model.build, the config keys above, ``model.timings``,
``model.counts``, ``model.step_events``, ``model.observers``, ``RunRecorder`` and the
recorder's ``EVENT_TABLES``). Per case, ``--repeats`` pairs run
interleaved in one invocation, the order alternating (current, baseline; baseline, current;
...) so a drift in the machine's load hits both alike. The machine is shared and noisy:
absolute times move from run to run, so the result is the ratios. Printed per case: the
median ms/step per phase of each version; current/baseline of every phase, of the whole step
and of the peak RSS as the median of the per-pair ratios (min–max over the pairs); s per
simulated day; the immune activity of both. ``--figure PATH`` draws grouped bars of ms/step
per phase, baseline against current, one panel per case, with the ratios on it.

Usage::

    python benchmarks/bench_immune.py [--size large|small|both] [--steps 20] [--warmup 3]
                                      [--threads N] [--no-glucose]
    python benchmarks/bench_immune.py --baseline DIR [--repeats 3] [--figure PATH] [...]

``docs/bench_immune.png`` compares the immune rules of issue 16 with the rules before them::

    git worktree add ../abm-immold 1dfe76d
    python benchmarks/bench_immune.py --size both --repeats 3 --threads 1 \\
        --baseline ../abm-immold --figure docs/bench_immune.png
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {  # lattice side, tumour cells, immune cells
    "small": (250, 6_000, 300),
    "large": (1000, 100_000, 5_000),
    "huge": (2000, 1_000_000, 20_000),
}
BUDGET_BYTES_PER_CELL, BUDGET_BYTES_PER_SITE = 1024, 400
"""Issue 20's memory budget for a whole run: at most 1 KB per tumour cell plus 400 B per site."""
SENESCENT_FRACTION = 0.01
CURRENT_ROOT = Path(__file__).resolve().parents[1]
"""The checkout this script belongs to: the ``current`` side of a comparison."""
MIN_RATIO_MS = 0.05
"""Phases below this in both versions (ms/step; e.g. blood and therapy, which are off here)
get no ratio, a ratio of microseconds of overhead being noise, and no bars."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="both", choices=("large", "small", "huge", "both"),
                        help="both: small and large (huge, 2000² with 1M cells, only on its own)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps (6 min each)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before timing")
    parser.add_argument("--threads", type=int, default=None,
                        help="NUMBA_NUM_THREADS (set before numba is imported; default: numba's)")
    parser.add_argument("--no-glucose", action="store_true",
                        help="glucose.field = false (every cell sees glucose.level)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="checkout of another abm version to run side by side")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved (current, baseline) pairs per case with --baseline")
    parser.add_argument("--figure", type=Path, default=None,
                        help="with --baseline: write the bar chart here (PNG, PDF, ...)")
    parser.add_argument("--worker", action="store_true",
                        help="internal: run one --size case and print its result as JSON")
    args = parser.parse_args(argv)
    if args.figure is not None and args.baseline is None:
        parser.error("--figure needs --baseline")
    if args.worker and args.size == "both":
        parser.error("--worker runs one case: --size small, large or huge")
    return args


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
    model.update_counts()  # the senescent cells in model.counts before the first step
    return model


class ImmuneTally:
    """A model observer that adds up the immune work of the steps it sees: kills (from the
    ``Deaths`` counters, which every version has), hits (summed over the rows of the
    ``immune_hits`` event table; None for a version without that table) and engaged immune
    cells."""

    def __init__(self, has_hits: bool):
        self.steps = self.kills = self.engaged = 0
        self.hits = 0 if has_hits else None

    def on_step(self, model) -> None:
        counts = model.counts
        self.steps += 1
        self.kills += counts["immune_kills_cd8"] + counts["immune_kills_nk"]
        self.engaged += counts["n_engaged"]
        if self.hits is not None and "immune_hits" in model.step_events:
            self.hits += int(model.step_events["immune_hits"]["hits"].sum())

    def per_step(self) -> dict:
        """Kills, hits (None without hits) and engaged cells, each per step."""
        n = max(self.steps, 1)
        return {"kills_per_step": self.kills / n, "engaged_per_step": self.engaged / n,
                "hits_per_step": None if self.hits is None else self.hits / n}


def bench_case(size: str, steps: int, warmup: int, glucose: bool) -> dict:
    """Build, warm up and time one case (module docstring); times in s, RSS in MB."""
    from bench_model import start_recording

    from abm.model import TIMING_PHASES
    from abm.io.recorder import EVENT_TABLES

    n_sites, n_cells, n_immune = SIZES[size]
    t0 = time.perf_counter()
    model = build_case(n_sites, n_cells, n_immune, glucose)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run_steps(warmup)
    warmup_s = time.perf_counter() - t0
    tally = ImmuneTally(has_hits="immune_hits" in EVENT_TABLES)
    with tempfile.TemporaryDirectory() as tmp:
        recorder, frame_s, checkpoint_s = start_recording(model, Path(tmp))
        model.observers += [recorder, tally]
        before, first = dict(model.timings), model.step_index
        start_counts = dict(model.counts)
        t0 = time.perf_counter()
        model.run_steps(steps)
        wall = (time.perf_counter() - t0) / steps
        model.observers.remove(recorder)
        model.observers.remove(tally)
        recorder.writer.close()
    per_step = {k: (model.timings[k] - before[k]) / steps for k in TIMING_PHASES}
    per_step["output"] += (unwritten(steps, first, recorder.frame_every) * frame_s
                           + unwritten(steps, first, recorder.checkpoint_every) * checkpoint_s
                           ) / steps
    total = sum(per_step.values())
    counts = model.counts
    return {
        "size": size, "lattice": f"{n_sites}²", "per_step": per_step, "total": total,
        "wall": wall, "s_per_day": total * (1440.0 / model.dt_min),
        "cells": counts["n_tumor"], "cells_start": start_counts["n_tumor"],
        "senescent": counts["n_senescent"], "immune": counts["n_cd8"] + counts["n_nk"],
        "immune_start": start_counts["n_cd8"] + start_counts["n_nk"],
        "engaged": counts["n_engaged"], "fields": len(model.solutes), **tally.per_step(),
        "build_s": build_s, "warmup_s": warmup_s, "frame_s": frame_s,
        "checkpoint_s": checkpoint_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def unwritten(steps: int, first: int, every: int) -> float:
    """Writes due every ``every`` steps over ``steps`` steps, less those the steps after
    step ``first`` wrote themselves (at step indices divisible by ``every``); ≥ 0."""
    written = (first + steps) // every - first // every
    return max(0.0, steps / every - written)


def print_table(rows: list[dict], phases: tuple[str, ...]) -> None:
    head = " ".join(f"{p:>8}" for p in phases)
    print(f"\n{'case':>6} {'lattice':>8} | {head} {'total':>8} ms/step | {'s/day':>7} | "
          f"{'cells':>7} {'senesc':>6} {'immune':>6} | {'RSS MB':>7}")
    for r in rows:
        p = r["per_step"]
        vals = " ".join(f"{p[k] * 1e3:8.1f}" for k in phases)
        print(f"{r['size']:>6} {r['lattice']:>8} | {vals} {r['total'] * 1e3:8.1f}         | "
              f"{r['s_per_day']:7.1f} | {r['cells']:>7} {r['senescent']:>6} {r['immune']:>6} | "
              f"{r['peak_rss_mb']:7.0f}" + (f" ({r['peak_rss_mb'] / budget_mb(r['size'], r['cells']):.2f} "
                                             "of budget)" if r["size"] == "huge" else ""))
    print(f"\n{'case':>6} share of step: " + " ".join(f"{p:>8}" for p in phases))
    for r in rows:
        p = r["per_step"]
        print(f"{r['size']:>6}                 " +
              " ".join(f"{100 * p[k] / r['total']:7.1f}%" for k in phases))
    print()
    for r in rows:
        print(f"{r['size']}: cells {r['cells_start']} → {r['cells']}, immune "
              f"{r['immune_start']} → {r['immune']} ({r['engaged']} engaged), {r['fields']} "
              f"fields; {activity_text(r)}; wall/step "
              f"{r['wall'] * 1e3:.1f} ms (timed steps, no amortised writes); build "
              f"{r['build_s']:.1f} s, warm-up {r['warmup_s']:.1f} s; HDF5 frame "
              f"{r['frame_s'] * 1e3:.0f} ms, checkpoint {r['checkpoint_s'] * 1e3:.0f} ms "
              f"(amortised into output)")


def activity_text(r: dict) -> str:
    """The immune work of a result's timed steps, per step."""
    hits = "no hits" if r["hits_per_step"] is None else f"{r['hits_per_step']:.2f} hits"
    return (f"{r['kills_per_step']:.2f} kills, {hits}, {r['engaged_per_step']:.1f} engaged "
            f"per step")


# ---------------------------------------------------------------- side by side (--baseline)
def run_worker(root: Path, args: argparse.Namespace, size: str) -> dict:
    """One case in a fresh ``--worker`` subprocess importing the abm of checkout ``root``;
    its result dict (bench_case's, plus the worker's abm path and thread count)."""
    env = dict(os.environ, PYTHONPATH=str(root))
    if args.threads is not None:
        env["NUMBA_NUM_THREADS"] = str(args.threads)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--size", size,
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
    if args.no_glucose:
        command.append("--no-glucose")
    from bench_model import worker_result
    return worker_result(command, env, root, f"for {root} ({size})")


def worker(args: argparse.Namespace) -> None:
    """``--worker``: run one case here and print its result as the last line of stdout."""
    import numba
    import numpy as np

    import abm

    np.seterr(all="raise", under="ignore")
    result = bench_case(args.size, args.steps, args.warmup, not args.no_glucose)
    result.update(abm=str(Path(abm.__file__).resolve().parent),
                  threads=numba.config.NUMBA_NUM_THREADS)
    print(json.dumps(result))


def interleaved_pairs(args: argparse.Namespace, size: str) -> list[tuple[dict, dict]]:
    """``args.repeats`` (current, baseline) result pairs of one case; odd pairs run the
    baseline first, so neither version always runs after the other."""
    roots = {"current": CURRENT_ROOT, "baseline": args.baseline.resolve()}
    pairs = []
    for i in range(args.repeats):
        order = ("current", "baseline") if i % 2 == 0 else ("baseline", "current")
        pair = {}
        for side in order:
            pair[side] = run_worker(roots[side], args, size)
            r = pair[side]
            print(f"  {size} pair {i + 1}/{args.repeats} {side:>8}: {r['total'] * 1e3:8.1f} "
                  f"ms/step, immune {r['per_step']['immune'] * 1e3:7.1f} ms/step", flush=True)
        pairs.append((pair["current"], pair["baseline"]))
    return pairs


def spread(values: list[float]) -> dict:
    """Median, min and max of ``values`` (NaNs dropped; all NaN when none is left)."""
    values = [v for v in values if v == v]
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan")}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def ratio(a: float, b: float) -> float:
    """a / b, NaN when b is 0 (a phase the baseline does not spend time in)."""
    return a / b if b > 0 else float("nan")


def summarise(size: str, pairs: list[tuple[dict, dict]]) -> dict:
    """Per case: each version's medians (ms/step per phase and total, s/day, RSS, immune
    activity) and current/baseline per phase, step and RSS as median of the pair ratios."""
    phases = list(dict.fromkeys(k for cur, base in pairs for k in (*base["per_step"],
                                                                   *cur["per_step"])))
    sides = {}
    for index, side in enumerate(("current", "baseline")):
        runs = [pair[index] for pair in pairs]
        hits = [r["hits_per_step"] for r in runs if r["hits_per_step"] is not None]
        sides[side] = {
            "ms": {k: statistics.median(1e3 * r["per_step"].get(k, 0.0) for r in runs)
                   for k in phases},
            "total_ms": statistics.median(1e3 * r["total"] for r in runs),
            "s_per_day": statistics.median(r["s_per_day"] for r in runs),
            "rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
            "kills": statistics.median(r["kills_per_step"] for r in runs),
            "hits": statistics.median(hits) if hits else None,
            "engaged": statistics.median(r["engaged_per_step"] for r in runs),
            "cells": statistics.median(r["cells"] for r in runs),
            "threads": sorted({r["threads"] for r in runs}),
        }
    timed = [k for k in phases if max(sides["current"]["ms"][k],
                                      sides["baseline"]["ms"][k]) >= MIN_RATIO_MS]
    ratios = {k: spread([ratio(c["per_step"].get(k, 0.0), b["per_step"].get(k, 0.0))
                         for c, b in pairs] if k in timed else []) for k in phases}
    ratios["total"] = spread([ratio(c["total"], b["total"]) for c, b in pairs])
    ratios["rss"] = spread([ratio(c["peak_rss_mb"], b["peak_rss_mb"]) for c, b in pairs])
    return {"size": size, "lattice": pairs[0][0]["lattice"], "phases": phases,
            "timed": timed, "sides": sides, "ratios": ratios, "pairs": len(pairs)}


def ratio_text(s: dict) -> str:
    """``median (min–max)`` of a :func:`spread`, or ``—`` without a ratio."""
    if s["median"] != s["median"]:
        return "—"
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def print_comparison(summaries: list[dict]) -> None:
    """One table per case: baseline and current medians, current/baseline ratios."""
    for s in summaries:
        cur, base, r = s["sides"]["current"], s["sides"]["baseline"], s["ratios"]
        _, n_cells, n_immune = SIZES[s["size"]]
        print(f"\n{s['size']} ({s['lattice']}, ~{n_cells:,} tumour cells, {n_immune:,} immune "
              f"cells), {s['pairs']} interleaved pairs: medians, and current/baseline as the "
              f"median of the pair ratios (min–max)")
        print(f"{'':>18} {'baseline':>10} {'current':>10}   current/baseline")
        for k in s["phases"]:
            print(f"{k + ' ms/step':>18} {base['ms'][k]:10.1f} {cur['ms'][k]:10.1f}   "
                  f"{ratio_text(r[k])}")
        print(f"{'step ms/step':>18} {base['total_ms']:10.1f} {cur['total_ms']:10.1f}   "
              f"{ratio_text(r['total'])}")
        print(f"{'s per sim. day':>18} {base['s_per_day']:10.1f} {cur['s_per_day']:10.1f}")
        print(f"{'peak RSS MB':>18} {base['rss_mb']:10.0f} {cur['rss_mb']:10.0f}   "
              f"{ratio_text(r['rss'])}")
        budget = budget_mb(s["size"], cur["cells"])
        if s["size"] == "huge":  # the budget is the 1M-cell case's; small runs are start-up bound
            print(f"{'RSS / budget':>18} {base['rss_mb'] / budget:10.2f} {cur['rss_mb'] / budget:10.2f}"
                  f"   (budget {budget:,.0f} MB: 1 KB per tumour cell + 400 B per site)")
        print(f"{'kills/step':>18} {base['kills']:10.2f} {cur['kills']:10.2f}")
        print(f"{'hits/step':>18} {hit_text(base['hits']):>10} {hit_text(cur['hits']):>10}")
        print(f"{'engaged/step':>18} {base['engaged']:10.1f} {cur['engaged']:10.1f}")
        print(f"{'tumour cells, end':>18} {base['cells']:10.0f} {cur['cells']:10.0f}")


def budget_mb(size: str, cells: float) -> float:
    """Issue 20's memory budget (MB) of a case with ``cells`` tumour cells."""
    side = SIZES[size][0]
    return (BUDGET_BYTES_PER_CELL * cells + BUDGET_BYTES_PER_SITE * side * side) / 2**20


def hit_text(hits: float | None) -> str:
    """Hits per step, or ``—`` for a version without hits."""
    return "—" if hits is None else f"{hits:.2f}"


def save_figure(summaries: list[dict], versions: dict[str, str], path: Path) -> None:
    """Grouped bars of ms/step per phase (baseline, current), one panel per case, each
    phase's median pair ratio above its bars, the step's and immune phase's in the title,
    the immune work (kills, hits, engaged cells per step) in a corner; 7.2 in wide, text
    7–8 pt."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 3.2), layout="constrained")
    axes = fig.subplots(1, len(summaries), squeeze=False)[0]
    for ax, s in zip(axes, summaries):
        draw_case(ax, s)
    axes[0].set_ylabel("ms per 6-min step (median)", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="upper right")
    fig.suptitle(f"current ({versions['current']}) against baseline "
                 f"({versions['baseline']}); ×: current/baseline, median of interleaved pairs "
                 f"(min–max)", fontsize=8)
    fig.savefig(path, dpi=200)


def draw_case(ax, s: dict) -> None:
    """One case's panel of :func:`save_figure`."""
    cur, base, r = s["sides"]["current"], s["sides"]["baseline"], s["ratios"]
    phases = s["timed"]
    x = range(len(phases))
    width = 0.38
    ax.bar([i - width / 2 for i in x], [base["ms"][k] for k in phases], width,
           color="0.65", label="baseline")
    ax.bar([i + width / 2 for i in x], [cur["ms"][k] for k in phases], width,
           color="tab:blue", label="current")
    top = max(max(cur["ms"][k], base["ms"][k]) for k in phases)
    for i, k in enumerate(phases):
        height = max(cur["ms"][k], base["ms"][k])
        ax.text(i, height + 0.02 * top, f"×{r[k]['median']:.2f}", ha="center", va="bottom",
                fontsize=7)
    ax.text(0.98, 0.80, f"per step, baseline → current:\nkills {base['kills']:.2f} → "
            f"{cur['kills']:.2f}\nhits {hit_text(base['hits'])} → {hit_text(cur['hits'])}\n"
            f"engaged {base['engaged']:.0f} → {cur['engaged']:.0f}", transform=ax.transAxes,
            ha="right", va="top", fontsize=7)
    ax.set_ylim(0, 1.15 * top)
    ax.set_xticks(list(x), phases, fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    _, n_cells, n_immune = SIZES[s["size"]]
    ax.set_title(f"{s['size']}: {s['lattice']}, ~{n_cells // 1000}k cells, {n_immune:,} immune\n"
                 f"step ×{ratio_text(r['total'])}, immune ×{ratio_text(r['immune'])}",
                 fontsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def version(root: Path) -> str:
    """The checkout's commit (``git describe --always --dirty``), or its directory name
    outside git, so the printout and the figure say what was compared."""
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else root.resolve().name


def compare(args: argparse.Namespace, sizes: list[str]) -> None:
    """``--baseline``: every case as interleaved subprocess pairs, then the tables (and the
    figure)."""
    versions = {"current": version(CURRENT_ROOT), "baseline": version(args.baseline)}
    print(f"current {CURRENT_ROOT} ({versions['current']}) against baseline "
          f"{args.baseline.resolve()} ({versions['baseline']}); cell program network, glucose "
          f"field {'off' if args.no_glucose else 'on'}, {args.warmup} warm-up + {args.steps} "
          f"timed steps of 6 min, {args.repeats} interleaved pairs per case")
    summaries = [summarise(size, interleaved_pairs(args, size)) for size in sizes]
    threads = sorted({n for s in summaries for side in s["sides"].values()
                      for n in side["threads"]})
    print(f"NUMBA_NUM_THREADS in the workers: {', '.join(map(str, threads))}")
    print_comparison(summaries)
    if args.figure is not None:
        save_figure(summaries, versions, args.figure)
        print(f"\nfigure: {args.figure}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)  # before numba is imported
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_model's helpers
    if args.worker:
        worker(args)
        return
    sizes = ["small", "large"] if args.size == "both" else [args.size]
    if args.baseline is not None:
        compare(args, sizes)
        return

    import numba
    import numpy as np

    from abm.model import TIMING_PHASES

    np.seterr(all="raise", under="ignore")
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
