"""The summary figure every run writes: oxygen (and glucose) maps, the phase map and the
populations over time (the panels of :mod:`abm.viz.figures` that a first look needs)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from abm.io import load_run
from abm.io.outputs import write_atomically
from abm.viz.figures import draw_populations, draw_tissue, field_label, map_vessels
from abm.viz.raster import map_extent
from abm.viz.style import VESSEL_COLOR, add_scale_bar, declared_field, nice_length


def summary_figure(run_path: str | Path, out_path: str | Path, frame: int = -1) -> Path:
    """Render the summary of a run file to ``out_path`` (png, pdf or svg) and return the path
    (written complete or not at all; an existing file is replaced: callers check first).

    Panels at ``frame``: O2 (mmHg) with vessels; glucose (fraction of plasma) when the run
    has that field; cell phases over O2 (:func:`abm.viz.figures.draw_tissue`); cells per
    phase and hypoxic fraction over time (:func:`abm.viz.figures.draw_populations`).
    """
    out_path = Path(out_path)
    with load_run(run_path) as run:
        frame = run.frame_index(frame)
        maps = 3 if "glucose" in run.field_names else 2
        fig = Figure(figsize=(4.6 * maps + 4.8, 4.4), layout="constrained")
        axes = list(fig.subplots(1, maps + 1, width_ratios=[1] * maps + [1.25]))
        extent = map_extent(run.x_um, run.y_um)
        vessels = map_vessels(run)
        x_mm, y_mm = run.x_um / 1000, run.y_um / 1000
        vy, vx = np.nonzero(vessels)
        oxygen, glucose = declared_field("oxygen"), declared_field("glucose")
        im = axes[0].imshow(run.field("oxygen", frame), origin="lower", extent=extent,
                            cmap=oxygen.style.cmap, vmin=0)
        axes[0].plot(x_mm[vx], y_mm[vy], "o", ms=2.0, color=VESSEL_COLOR)
        fig.colorbar(im, ax=axes[0], label=field_label(run, "oxygen"), shrink=0.85)
        axes[0].set_title(f"{oxygen.style.title}, day {float(run.frame_times[frame]) / 1440:.1f}")
        if maps == 3:
            im = axes[1].imshow(run.field("glucose", frame), origin="lower", extent=extent,
                                cmap=glucose.style.cmap, vmin=0, vmax=1)
            fig.colorbar(im, ax=axes[1], label=field_label(run, "glucose"), shrink=0.85)
            axes[1].set_title(glucose.style.title)
        for ax in axes[:maps - 1]:
            ax.set(xlabel="x (mm)", ylabel="y (mm)")
            add_scale_bar(ax, nice_length(extent[1] - extent[0]))
        draw_tissue(axes[maps - 1], run, frame)
        draw_populations(axes[maps], run)
        for letter, ax in zip("abcd", axes):
            ax.set_title(f"({letter}) {ax.get_title()}")
        fig.suptitle(f"{run.scenario} (seed {run.seed})")
    return write_atomically(out_path, lambda tmp: fig.savefig(tmp, dpi=150,
                                                              format=out_path.suffix[1:].lower()))
