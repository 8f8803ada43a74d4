"""The effects plot of a study: every metric against every varied parameter, from the
summary's finished runs (each run a dot; the mean over a point's replicates joined by a line
along a ranged parameter; runs coloured by the first listed-values parameter, if any)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from abm.study.spec import StudySpec
from abm.study.status import DONE
from abm.viz.style import OKABE_ITO

COLORS = tuple(OKABE_ITO[name] for name in ("blue", "vermillion", "bluish_green",
                                           "reddish_purple", "orange", "sky_blue", "black"))
"""Colours of the listed-values groups, in order (the palette without yellow)."""


def plot_effects(spec: StudySpec, summary: pd.DataFrame, out_path: str | Path) -> Path:
    """Write the effects plot (metrics as rows, parameters as columns) to ``out_path``."""
    done = summary[summary["status"] == DONE]
    params = [p for p in spec.parameters]
    metrics = list(spec.metrics)
    groups = next((p.key for p in params if p.values is not None), None)
    fig = Figure(figsize=(3.6 * len(params) + 1.0, 2.8 * len(metrics)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(metrics), len(params), squeeze=False))
    levels = list(dict.fromkeys(done[groups])) if groups else [None]
    for col, p in enumerate(params):
        for row, metric in enumerate(metrics):
            ax = axes[row, col]
            for i, level in enumerate(levels):
                sel = done if level is None or p.key == groups else done[done[groups] == level]
                color = COLORS[i % len(COLORS)]
                if p.values is not None:  # categories along x
                    x = np.array([list(p.values).index(v) for v in sel[p.key]], dtype=float)
                    ax.plot(x + 0.08 * (i - (len(levels) - 1) / 2), sel[metric], "o",
                            color=color if p.key != groups else COLORS[0], ms=4, alpha=0.8)
                    ax.set_xticks(range(len(p.values)), [str(v) for v in p.values], fontsize=7)
                    if p.key == groups:
                        break
                else:
                    ax.plot(sel[p.key], sel[metric], "o", color=color, ms=4, alpha=0.6,
                            label=None if level is None else str(level))
                    means = sel.groupby("point")[[p.key, metric]].mean().sort_values(p.key)
                    ax.plot(means[p.key], means[metric], "-", color=color, lw=1.2)
            ax.set(xlabel=p.key if row == len(metrics) - 1 else "",
                   ylabel=metric if col == 0 else "")
            if row == 0 and col == 0 and groups and p.key != groups:
                ax.legend(title=groups, fontsize=7, title_fontsize=7)
    fig.suptitle(f"{spec.name}: {len(done)} of {len(summary)} runs done "
                 f"({spec.method} design, {spec.replicates} replicates)")
    out_path = Path(out_path)
    fig.savefig(out_path, dpi=150)
    return out_path
