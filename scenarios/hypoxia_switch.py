"""Hypoxia switch: G0/G1 fraction of a culture after a switch from 38 mmHg to lower O2.

For each preset (``default``, ``hypoxia_sensitive``) and each O2 level (38 mmHg is the
normoxic control), a culture of 1,000 cells is pre-cultured 96 h at 38 mmHg — founders start
from one post-mitotic state, and it takes that long for cycle-time noise to damp the
synchrony — then switched to the level and followed for ``--hours``, with replicate seeds 1 … N
(``--replicates``, default 3; the cultures run on the engines of a sweep: ``--workers``,
``--dask``, ``--dask-cluster``). Writes ``outputs/hypoxia_switch.h5`` (one group per preset,
level and seed, ``<preset>/<level>mmHg/seed<k>``, one dataset per recorded column, the
resolved config in the root attributes) and ``outputs/hypoxia_switch.png`` (mean ± SD over
the seeds).

Published observations (docs/targets.md): glioblastoma lines and primary cells cycle normally over
24–96 h at 1–8% O2 and arrest transiently only near 0.1% (Richards et al. 2016) — the default
preset; REF fibroblasts go from 60.8% to 80.4% G0/G1 after 48 h of hypoxia (Schmaltz et al.
1998, O2 level not stated) — the hypoxia-sensitive preset.

    python scenarios/hypoxia_switch.py [--levels 7.6 1.52 0.76 0.38] [--hours 96] [--replicates 3]
                                       [--workers 2] [--out outputs/hypoxia_switch.h5]
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import h5py
import numpy as np
from matplotlib.figure import Figure

from abm import load_config
from abm.schema import to_toml
from abm.culture import run_culture
from abm.io.outputs import check_output, write_atomically
from abm.study.engines import open_engine
from abm.study.replicates import add_engine_arguments, engine_options, script_errors, seeds_of
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


def figure(results: dict, path: Path) -> Path:
    """G0/G1 fraction against time after the switch, one panel per preset: the mean over the
    seeds with a ± SD band."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    levels = sorted({level for _, level in results}, reverse=True)
    colors = dict(zip(levels, ["0.3", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]))
    for ax, preset in zip(axes, PRESETS):
        for level in levels:
            curves = [frame.set_index("hours_after_switch")["g0g1_fraction"]
                      for frame in results[(preset, level)].values()]
            mean_band(ax, curves, colors[level], f"{level:g} mmHg ({level / 7.6:.2g}% O$_2$)")
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xlim(-24, None)
        ax.set_title(f"preset: {preset}")
        ax.set_xlabel("time after the switch (h)")
        ax.set_ylim(0, 1)
    axes[1].plot([0, 48], SCHMALTZ, "ks", label="REF fibroblasts, 0 → 48 h\n(Schmaltz et al. 1998)")
    axes[0].set_ylabel("G0/G1 fraction of viable cells")
    axes[1].legend(fontsize=8, loc="lower right")
    n = len(next(iter(results.values())))
    fig.suptitle(f"Cultures of 1,000 cells switched from 38 mmHg (mean ± SD of {n} seeds)")
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=150))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[7.6, 1.52, 0.76, 0.38])
    parser.add_argument("--hours", type=float, default=96.0)
    parser.add_argument("--out", type=Path, default=Path("outputs/hypoxia_switch.h5"))
    add_engine_arguments(parser, default_replicates=3, reuse=False)
    args = parser.parse_args()
    with script_errors(parser):  # both outputs are checked before hours of cultures are run
        seeds = seeds_of(args)
        options = engine_options(args)
        for path, what in ((args.out, "results file"), (args.out.with_suffix(".png"), "figure")):
            check_output(path, overwrite=args.overwrite, what=what)
        with open_engine(*options) as executor:
            results = run(args.levels, args.hours, args.out, seeds, executor)
    print(f"wrote {args.out}")
    print(f"wrote {figure(results, args.out.with_suffix('.png'))}")
    for (preset, level), per_seed in results.items():
        at = {h: [np.interp(h, f["hours_after_switch"], f["g0g1_fraction"])
                  for f in per_seed.values()] for h in (0.0, 48.0)}
        print(f"{preset:>17} {level:6g} mmHg: G0/G1 {np.mean(at[0.0]):.3f} ± {np.std(at[0.0]):.3f} "
              f"at the switch → {np.mean(at[48.0]):.3f} ± {np.std(at[48.0]):.3f} at 48 h "
              f"({len(per_seed)} seeds)")


if __name__ == "__main__":
    main()
