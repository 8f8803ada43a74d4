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


ROW_INCHES = 1.25
"""Height of one metric's row of panels (in; design choice: five metrics fit Nature's
170-mm page depth, :data:`abm.viz.journal.MAX_HEIGHT_INCHES`, with the title)."""


def effects_figure(spec: StudySpec, summary: pd.DataFrame) -> Figure:
    """The effects plot (metrics as rows, parameters as columns) at two-column journal width
    (:mod:`abm.viz.journal`), rows shrunk to fit the page depth; the key of the
    listed-values groups to the right of the first panel, outside it."""
    from abm.viz.journal import (MAX_HEIGHT_INCHES, TITLE_INCHES, journal_style,
                                 width_inches)
    from abm.viz.panels import legend_right

    done = summary[summary["status"] == DONE]
    params = [p for p in spec.parameters]
    metrics = list(spec.metrics)
    groups = next((p.key for p in params if p.values is not None), None)
    row = min(ROW_INCHES, (MAX_HEIGHT_INCHES - TITLE_INCHES) / len(metrics))
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), row * len(metrics) + TITLE_INCHES),
                     layout="constrained")
        axes = np.atleast_2d(fig.subplots(len(metrics), len(params), squeeze=False,
                                          sharex="col"))
        levels = list(dict.fromkeys(done[groups])) if groups else [None]
        for col, p in enumerate(params):
            for row_index, metric in enumerate(metrics):
                _draw_effect(axes[row_index, col], done, p, metric, groups, levels)
                axes[row_index, col].set(
                    xlabel=p.key if row_index == len(metrics) - 1 else "",
                    ylabel=metric if col == 0 else "")
        keyed = next((ax for ax in axes[0] if ax.get_legend_handles_labels()[0]), None)
        if keyed is not None:
            legend_right(keyed).set_title(groups)
        fig.suptitle(f"{spec.name}: {len(done)} of {len(summary)} runs done "
                     f"({spec.method} design, {spec.replicates} replicates)")
    return fig


def _draw_effect(ax, done: pd.DataFrame, p, metric: str, groups: str | None, levels) -> None:
    """One panel: ``metric`` against parameter ``p``, a dot per finished run, and along a
    ranged parameter the mean over each point's replicates joined by a line, per group."""
    for i, level in enumerate(levels):
        sel = done if level is None or p.key == groups else done[done[groups] == level]
        color = COLORS[i % len(COLORS)]
        if p.values is not None:  # categories along x
            x = np.array([list(p.values).index(v) for v in sel[p.key]], dtype=float)
            ax.plot(x + 0.08 * (i - (len(levels) - 1) / 2), sel[metric], "o",
                    color=color if p.key != groups else COLORS[0], ms=3, alpha=0.8)
            ax.set_xticks(range(len(p.values)), [str(v) for v in p.values])
            ax.set_xlim(-0.5, len(p.values) - 0.5)  # categories centred, off the frame
            if p.key == groups:
                break
        else:
            ax.plot(sel[p.key], sel[metric], "o", color=color, ms=3, alpha=0.6,
                    label=None if level is None else str(level))
            means = sel.groupby("point")[[p.key, metric]].mean().sort_values(p.key)
            ax.plot(means[p.key], means[metric], "-", color=color)


def plot_effects(spec: StudySpec, summary: pd.DataFrame, out_path: str | Path) -> Path:
    """Write the effects plot (:func:`effects_figure`) to ``out_path`` (png at
    :data:`abm.viz.journal.PNG_DPI`; layout problems are warned of)."""
    from abm.viz.journal import save_checked

    out_path = Path(out_path)
    save_checked(effects_figure(spec, summary), out_path)
    return out_path
