"""Are a change's outputs statistically unchanged? Replicate runs of scenarios with two
checkouts of the code, compared metric by metric across seeds.

A change that alters floating-point results (another integrator, a field tolerance, a field
solved every few steps) cannot keep the outputs bit for bit: once any number differs, the
random draws of the two runs part ways. What it must keep is their distribution. For each
scenario this script runs seeds 1 … N with this checkout and with ``--base DIR`` (e.g. a
``git worktree`` of the commit before the change), each as ``python -m abm run`` in a process
importing that checkout's code, and compares, for every numeric column of the run's time
series, its end-of-run value and its mean over the run:

- both sides' mean and sample SD over the seeds;
- the difference of the means in units of the pooled seed-to-seed SD (an effect size);
- Welch's t-test p-value; the smallest p of a scenario is also given Bonferroni-corrected
  over its metrics (a change is flagged when that corrected p is below 0.01).

Columns that are constant and equal on both sides are counted as identical and not listed.
Columns naming ``--ignore`` (default ``solver_cycles``: the V-cycles a field solver took, which
read 0 on steps that do not solve a field when ``solve_every`` > 1) are the solver's own
bookkeeping, not model output, and are left out of the comparison.
With ``--show N`` the N metrics of smallest p are printed per scenario. No timed parts.

Usage::

    python benchmarks/output_statistics.py --base ../before [--seeds 5] [--jobs 2]
        [--scenarios quickstart senescence_sasp immune_pdl1] [--days D] [--set KEY=VALUE]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
FLAG_P = 0.01
"""Bonferroni-corrected p below which a scenario's outputs are reported as changed."""


def run_one(tree: Path, scenario: str, seed: int, out: Path, days: float | None,
            sets: list[str]) -> Path:
    """One ``abm run`` of ``tree``'s code; returns the run file."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, "-m", "abm", "run", str(tree / "scenarios" / f"{scenario}.toml"),
               "--seed", str(seed), "--out", str(out), "--no-progress",
               "--set", "output.figure=false"]
    if days is not None:
        command += ["--days", repr(days)]
    for item in sets:
        command += ["--set", item]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tree)
    if done.returncode != 0:
        raise RuntimeError(f"{tree} {scenario} seed {seed} failed:\n{done.stderr[-2000:]}")
    return out


def metrics(path: Path) -> dict[str, float]:
    """End-of-run value (``end:``) and mean over the run (``mean:``) of every numeric
    time-series column of a run file."""
    import abm

    with abm.load_run(path) as run:
        table = run.timeseries
    out = {}
    for column in table.columns:
        values = table[column].to_numpy()
        if column in ("time_min", "step") or not np.issubdtype(values.dtype, np.number):
            continue
        out[f"end:{column}"] = float(values[-1])
        out[f"mean:{column}"] = float(np.mean(values))
    return out


def compare(before: list[dict], after: list[dict]) -> tuple[list[tuple], int]:
    """Per metric (name, mean ± SD before, after, effect size, Welch p), sorted by p; and the
    number of metrics identical and constant on both sides."""
    rows, identical = [], 0
    for name in sorted(set(before[0]) & set(after[0])):
        a = np.array([m[name] for m in before])
        b = np.array([m[name] for m in after])
        if np.all(a == a[0]) and np.all(b == a[0]):
            identical += 1
            continue
        pooled = np.sqrt(0.5 * (a.var(ddof=1) + b.var(ddof=1)))
        effect = (b.mean() - a.mean()) / pooled if pooled > 0 else np.inf
        p = stats.ttest_ind(a, b, equal_var=False).pvalue if pooled > 0 else 0.0
        rows.append((name, a.mean(), a.std(ddof=1), b.mean(), b.std(ddof=1), effect,
                     float(np.nan_to_num(p, nan=1.0))))
    rows.sort(key=lambda r: r[-1])
    return rows, identical


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout before the change")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1 … N per side")
    parser.add_argument("--scenarios", nargs="+",
                        default=["quickstart", "senescence_sasp", "immune_pdl1"])
    parser.add_argument("--days", type=float, default=None, help="override run.days")
    parser.add_argument("--set", dest="sets", action="append", default=[],
                        help="config override for both sides (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--show", type=int, default=8, help="metrics listed per scenario")
    parser.add_argument("--ignore", nargs="*", default=["solver_cycles"],
                        help="leave out columns whose name contains one of these")
    args = parser.parse_args(argv)
    trees = {"base": args.base.resolve(), "this": ROOT}
    seeds = range(1, args.seeds + 1)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        jobs = {(side, scenario, seed): pool.submit(
                    run_one, tree, scenario, seed, Path(tmp) / f"{side}_{scenario}_{seed}.h5",
                    args.days, args.sets)
                for scenario in args.scenarios for seed in seeds
                for side, tree in trees.items()}
        results = {key: metrics(job.result()) for key, job in jobs.items()}
    print(f"this tree against {trees['base']}: seeds 1–{args.seeds}, "
          f"days {args.days or 'as the scenario'}, overrides {args.sets or 'none'}")
    for scenario in args.scenarios:
        def kept(metrics: dict) -> dict:
            return {k: v for k, v in metrics.items() if not any(i in k for i in args.ignore)}
        before = [kept(results["base", scenario, s]) for s in seeds]
        after = [kept(results["this", scenario, s]) for s in seeds]
        rows, identical = compare(before, after)
        corrected = min(1.0, rows[0][-1] * len(rows)) if rows else 1.0
        verdict = "CHANGED" if corrected < FLAG_P else "no significant change"
        print(f"\n{scenario}: {len(rows)} metrics differ between seeds or sides, {identical} "
              f"identical; smallest p {rows[0][-1] if rows else 1.0:.3g}, Bonferroni-"
              f"corrected {corrected:.3g}: {verdict}")
        print(f"  {'metric':<38} {'base mean ± SD':>22} {'this mean ± SD':>22} "
              f"{'Δ/SD':>6} {'p':>8}")
        for name, ma, sa, mb, sb, effect, p in rows[:args.show]:
            print(f"  {name:<38} {ma:12.4g} ± {sa:<8.3g} {mb:12.4g} ± {sb:<8.3g} "
                  f"{effect:6.2f} {p:8.3g}")


if __name__ == "__main__":
    main()
