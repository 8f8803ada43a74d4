"""Hypoxia switch: G0/G1 fraction of a culture after a switch from 38 mmHg to lower O2.

For each preset (``default``, ``hypoxia_sensitive``) and each O2 level (38 mmHg is the
normoxic control), a culture of 1,000 cells is pre-cultured 96 h at 38 mmHg — founders start
from one post-mitotic state, and it takes that long for cycle-time noise to damp the
synchrony — then switched to the level and followed for ``--hours``, with replicate seeds 1 … N
(``--replicates``, default 3; the cultures run on the engines of a sweep: ``--workers``,
``--dask``, ``--dask-cluster``). Writes ``outputs/hypoxia_switch_comparison.h5`` (one group
per preset, level and seed, ``<preset>/<level>mmHg/seed<k>``, one dataset per recorded
column, the resolved config in the root attributes; ``abm run hypoxia_switch.toml`` writes
``outputs/hypoxia_switch.h5``, a run file, never this) and
``outputs/hypoxia_switch_comparison.png`` (mean ± sample SD over the seeds; ``--replot``:
redrawn from the results file, nothing run).

Published observations (docs/targets.md): glioblastoma lines and primary cells cycle normally over
24–96 h at 1–8% O2 and arrest transiently only near 0.1% (Richards et al. 2016) — the default
preset; REF fibroblasts go from 60.8% to 80.4% G0/G1 after 48 h of hypoxia (Schmaltz et al.
1998, O2 level not stated) — the hypoxia-sensitive preset.

    python scenarios/hypoxia_switch.py [--levels 7.6 1.52 0.76 0.38] [--hours 96] [--replicates 3]
                                       [--workers 2] [--out outputs/hypoxia_switch.h5]
                                       [--replot] [--overwrite]
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from abm import load_config
from abm.culture import run_culture
from abm.errors import UserError
from abm.io.outputs import check_output, write_atomically
from abm.schema import to_toml
from abm.study.engines import open_engine
from abm.study.replicates import add_engine_arguments, engine_options, script_errors, seeds_of
from abm.study.script_outputs import (add_output_arguments, comparison_file, figure_paths,
                                      save_figure)
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd, show
from abm.viz.style import mean_band

HERE = Path(__file__).resolve().parent
PRESETS = ("default", "hypoxia_sensitive")
PRE_CULTURE_H = 96.0
SCHMALTZ = (0.608, 0.804)  # G0/G1 before and after 48 h hypoxia, REF fibroblasts


def run(levels, hours, out: Path, seeds: list[int], executor=None) -> dict:
    """Run every (preset, level, seed) culture, on ``executor`` (None: in this process);
    returns {(preset, level): {seed: DataFrame}}."""
    levels = sorted(set(levels) | {38.0}, reverse=True)
    base = load_config(HERE / "hypoxia_switch.toml")
    jobs = {}
    for preset in PRESETS:
        config = dataclasses.replace(
            base, intracellular=dataclasses.replace(base.intracellular, preset=preset))
        for level in levels:
            schedule = [(0.0, 38.0), (PRE_CULTURE_H, level)]
            for seed in seeds:
                jobs[(preset, level, seed)] = (config, schedule, PRE_CULTURE_H + hours, seed)
    if executor is None:
        frames = {key: culture(*job) for key, job in jobs.items()}
    else:
        futures = {key: executor.submit(culture, *job) for key, job in jobs.items()}
        frames = {key: future.result() for key, future in futures.items()}
    results: dict = {}
    for (preset, level, seed), frame in frames.items():
        results.setdefault((preset, level), {})[seed] = frame

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(schema="tumor-abm-culture", schema_version=2, seeds=seeds,
                           config_toml=to_toml(base), pre_culture_h=PRE_CULTURE_H,
                           units='{"time_h": "h", "o2_mmHg": "mmHg"}')
            for (preset, level), per_seed in results.items():
                for seed, frame in per_seed.items():
                    group = f.create_group(f"{preset}/{level:g}mmHg/seed{seed}")
                    group.attrs["o2_mmHg"] = level
                    for column in frame.columns:
                        group.create_dataset(column, data=frame[column].to_numpy())

    write_atomically(out, write)  # the final name appears only when the file is complete
    return results


def culture(config, schedule, hours: float, seed: int):
    """One culture of 1,000 founders (a worker's task); its record table with
    ``hours_after_switch``."""
    frame = run_culture(config, schedule, hours, n_cells=1000, max_cells=3000, seed=seed)
    frame["hours_after_switch"] = frame["time_h"] - PRE_CULTURE_H
    return frame


def read_results(path: Path) -> dict:
    """What :func:`run` returned, read back from its file: {(preset, level): {seed:
    DataFrame}}."""
    results: dict = {}
    with h5py.File(path, "r") as f:
        for preset in f:
            for name, group in f[preset].items():
                level = float(name.removesuffix("mmHg"))  # as run() names it
                results[(preset, level)] = {
                    int(key.removeprefix("seed")): pd.DataFrame({c: d[:] for c, d in seed.items()})
                    for key, seed in group.items()}
    return results


MARKERS = ("o", "s", "^", "D", "v", "P", "X")
COINCIDE = 0.02
"""Curves whose means differ by less than this G0/G1 fraction at every time after the switch
are said to coincide (design choice: a third of the band's typical half-width, below what
the eye separates at print size)."""


def figure(results: dict, figures: list[Path]) -> list[Path]:
    """G0/G1 fraction against time after the switch, one panel per preset: the mean over the
    seeds with a ± SD band, each level with its own marker at staggered times, so that
    curves which coincide stay visible (and are named in the panel)."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 2.9), layout="constrained")
        axes = fig.subplots(1, 3, width_ratios=[1, 1, 0.62])
        levels = sorted({level for _, level in results}, reverse=True)
        colors = dict(zip(levels, ["0.3", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00",
                                   "#CC79A7"]))
        for ax, preset in zip(axes, PRESETS):
            means = {}
            for i, level in enumerate(levels):
                curves = [frame.set_index("hours_after_switch")["g0g1_fraction"]
                          for frame in results[(preset, level)].values()]
                mean_band(ax, curves, colors[level], None)
                mean = curves[0].index.to_numpy(), mean_sd(np.vstack(curves), axis=0)[0]
                means[level] = mean
                step = max(1, len(mean[0]) // 8)
                ax.plot(*mean, ls="none", marker=MARKERS[i], ms=3.5, color=colors[level],
                        mec="black", mew=0.4, markevery=(step * i // len(levels), step))
            groups = _coinciding(means)
            note = "; ".join(", ".join(f"{lv:g}" for lv in g) + " mmHg coincide" for g in groups)
            ax.axvline(0, color="0.5", lw=0.8, ls=":")
            ax.set(xlim=(-24, None), ylim=(0, 1.05), xlabel="time after the switch (h)",
                   title=f"preset: {preset}" + (f"\n({note})" if note else "\n"))
        axes[1].plot([0, 48], SCHMALTZ, "ks", ms=4)
        axes[0].set_ylabel("G0/G1 fraction of viable cells")
        axes[1].sharey(axes[0])
        handles = [Line2D([], [], color=colors[lv], marker=MARKERS[i], ms=3.5, mec="black",
                          mew=0.4) for i, lv in enumerate(levels)]
        labels = [f"{lv:g} mmHg ({lv / 7.6:.2g} % O$_2$)" for lv in levels]
        legend_panel(axes[2], handles + [Line2D([], [], ls="none", marker="s", color="black")],
                     labels + ["REF fibroblasts, 0 → 48 h\n(Schmaltz et al. 1998)"])
        n = len(next(iter(results.values())))
        fig.suptitle(f"Cultures of 1,000 cells switched from 38 mmHg (mean ± SD of {n} seeds)")
        return save_figure(fig, figures)


def _coinciding(means: dict) -> list[list[float]]:
    """Groups of levels (≥ 2) whose mean curves coincide after the switch (:data:`COINCIDE`)."""
    groups: list[list[float]] = []
    for level, (t, y) in means.items():
        after = t >= 0
        for group in groups:
            t0, y0 = means[group[0]]
            if len(y0) == len(y) and np.nanmax(np.abs(y0[after] - y[after])) < COINCIDE:
                group.append(level)
                break
        else:
            groups.append([level])
    return [g for g in groups if len(g) > 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[7.6, 1.52, 0.76, 0.38])
    parser.add_argument("--hours", type=float, default=96.0)
    parser.add_argument("--out", type=Path, default=Path("outputs/hypoxia_switch.h5"),
                        help="base path: the cultures go to <stem>_comparison.h5, the figure "
                             "to <stem>_comparison.png")
    add_engine_arguments(parser, default_replicates=3, reuse=False)
    add_output_arguments(parser, docs=None)
    args = parser.parse_args()
    data = comparison_file(args.out, ".h5")
    with script_errors(parser):  # every output is checked before hours of cultures are run
        seeds = seeds_of(args)
        figures = figure_paths(args.out, args)
        if args.replot:
            if not data.exists():
                raise UserError(f"--replot: no results file {str(data)!r}")
            results = read_results(data)
        else:
            options = engine_options(args)
            check_output(data, overwrite=args.overwrite, what="results file")
            with open_engine(*options) as executor:
                results = run(args.levels, args.hours, data, seeds, executor)
            print(f"wrote {data}")
    for written in figure(results, figures):
        print(f"wrote {written}")
    for (preset, level), per_seed in sorted(results.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        at = {h: [np.interp(h, f["hours_after_switch"], f["g0g1_fraction"])
                  for f in per_seed.values()] for h in (0.0, 48.0)}
        print(f"{preset:>17} {level:6g} mmHg: G0/G1 {show(at[0.0], '.3f')} at the switch → "
              f"{show(at[48.0], '.3f')} at 48 h ({len(per_seed)} seeds)")


if __name__ == "__main__":
    main()
