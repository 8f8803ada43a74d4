"""Hypoxia switch: G0/G1 fraction of a culture after a switch from 38 mmHg to lower O2.

For each preset (``default``, ``hypoxia_sensitive``) and each O2 level (38 mmHg is the
normoxic control), a culture of 1,000 cells is pre-cultured 96 h at 38 mmHg — founders start
from one post-mitotic state, and it takes that long for cycle-time noise to damp the
synchrony — then switched to the level and followed for ``--hours``. Writes ``outputs/hypoxia_switch.h5`` (one group per preset and level,
one dataset per recorded column, the resolved config in the root attributes) and
``outputs/hypoxia_switch.png``.

Published observations (docs/targets.md): glioblastoma lines and primary cells cycle normally over
24–96 h at 1–8% O2 and arrest transiently only near 0.1% (Richards et al. 2016) — the default
preset; REF fibroblasts go from 60.8% to 80.4% G0/G1 after 48 h of hypoxia (Schmaltz et al.
1998, O2 level not stated) — the hypoxia-sensitive preset.

    python scenarios/hypoxia_switch.py [--levels 7.6 1.52 0.76 0.38] [--hours 96] [--out outputs/hypoxia_switch.h5]
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
from abm.errors import UserError
from abm.io.outputs import check_output, write_atomically

HERE = Path(__file__).resolve().parent
PRESETS = ("default", "hypoxia_sensitive")
PRE_CULTURE_H = 96.0
SCHMALTZ = (0.608, 0.804)  # G0/G1 before and after 48 h hypoxia, REF fibroblasts


def run(levels, hours, out: Path, seed: int | None = None) -> dict:
    """Run every (preset, level) culture; returns {(preset, level): DataFrame}."""
    levels = sorted(set(levels) | {38.0}, reverse=True)
    base = load_config(HERE / "hypoxia_switch.toml", seed=seed)
    results = {}
    for preset in PRESETS:
        config = dataclasses.replace(
            base, intracellular=dataclasses.replace(base.intracellular, preset=preset))
        for level in levels:
            schedule = [(0.0, 38.0), (PRE_CULTURE_H, level)]
            frame = run_culture(config, schedule, PRE_CULTURE_H + hours, n_cells=1000, max_cells=3000)
            frame["hours_after_switch"] = frame["time_h"] - PRE_CULTURE_H
            results[(preset, level)] = frame
    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(schema="tumor-abm-culture", schema_version=1, seed=base.run.seed,
                           config_toml=to_toml(base), pre_culture_h=PRE_CULTURE_H,
                           units='{"time_h": "h", "o2_mmHg": "mmHg"}')
            for (preset, level), frame in results.items():
                group = f.create_group(f"{preset}/{level:g}mmHg")
                group.attrs["o2_mmHg"] = level
                for column in frame.columns:
                    group.create_dataset(column, data=frame[column].to_numpy())

    write_atomically(out, write)  # the final name appears only when the file is complete
    return results


def figure(results: dict, path: Path) -> Path:
    """G0/G1 fraction against time after the switch, one panel per preset."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    levels = sorted({level for _, level in results}, reverse=True)
    colors = dict(zip(levels, ["0.3", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]))
    for ax, preset in zip(axes, PRESETS):
        for level in levels:
            frame = results[(preset, level)]
            ax.plot(frame["hours_after_switch"], frame["g0g1_fraction"], color=colors[level],
                    label=f"{level:g} mmHg ({level / 7.6:.2g}% O$_2$)")
        ax.axvline(0, color="0.5", lw=0.8, ls=":")
        ax.set_xlim(-24, None)
        ax.set_title(f"preset: {preset}")
        ax.set_xlabel("time after the switch (h)")
        ax.set_ylim(0, 1)
    axes[1].plot([0, 48], SCHMALTZ, "ks", label="REF fibroblasts, 0 → 48 h\n(Schmaltz et al. 1998)")
    axes[0].set_ylabel("G0/G1 fraction of viable cells")
    axes[1].legend(fontsize=8, loc="lower right")
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=150))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", default=[7.6, 1.52, 0.76, 0.38])
    parser.add_argument("--hours", type=float, default=96.0)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--out", type=Path, default=Path("outputs/hypoxia_switch.h5"))
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the results file and the figure if they exist")
    args = parser.parse_args()
    try:  # both outputs are checked before hours of cultures are run
        for path, what in ((args.out, "results file"), (args.out.with_suffix(".png"), "figure")):
            check_output(path, overwrite=args.overwrite, what=what)
    except UserError as exc:
        parser.error(str(exc))
    results = run(args.levels, args.hours, args.out, args.seed)
    print(f"wrote {args.out}")
    print(f"wrote {figure(results, args.out.with_suffix('.png'))}")
    for (preset, level), frame in results.items():
        at48 = np.interp(48.0, frame["hours_after_switch"], frame["g0g1_fraction"])
        at0 = np.interp(0.0, frame["hours_after_switch"], frame["g0g1_fraction"])
        print(f"{preset:>17} {level:6g} mmHg: G0/G1 {at0:.2f} at the switch → {at48:.2f} at 48 h")


if __name__ == "__main__":
    main()
