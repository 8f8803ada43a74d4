"""The summary figure every run writes: oxygen (and glucose) maps, phase map and populations
over time."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from ..cells import PHASES
from ..io import load_run
from .style import PHASE_COLORS, TISSUE_COLOR, VESSEL_COLOR, add_scale_bar, nice_length


def summary_figure(run_path: str | Path, out_path: str | Path, frame: int = -1) -> Path:
    """Render the summary of a run file to ``out_path`` (png, pdf or svg) and return the path.

    Panels: O2 (mmHg) at ``frame`` with vessels; glucose (fraction of plasma) at ``frame``
    when the run has that field; cell phases at ``frame``; cells per phase and hypoxic fraction
    over time.
    """
    out_path = Path(out_path)
    with load_run(run_path) as run:
        oxygen = np.asarray(run.field("oxygen", frame))
        glucose = np.asarray(run.field("glucose", frame)) if "glucose" in run.field_names else None
        cells = run.cells(frame)
        time_min = float(run.frame_times[frame])
        series = run.timeseries
        x_mm, y_mm = run.x_um / 1000, run.y_um / 1000
        # Vessel sites are the Dirichlet sites: exactly vessel_mmHg (every other site is lower).
        vessels = oxygen >= np.float32(run.config["oxygen"]["vessel_mmHg"])
        hypoxic_mmHg = float(run.config["oxygen"]["hypoxic_mmHg"])
        title = f"{run.scenario} (seed {run.seed})"

    dx_mm = x_mm[1] - x_mm[0]
    extent = (x_mm[0] - dx_mm / 2, x_mm[-1] + dx_mm / 2, y_mm[0] - dx_mm / 2, y_mm[-1] + dx_mm / 2)
    maps = 2 if glucose is None else 3
    fig = Figure(figsize=(4.5 * maps + 4.5, 4.4), layout="constrained")
    axes = list(fig.subplots(1, maps + 1, width_ratios=[1] * maps + [1.25]))
    ax_o2, ax_phase, ax_pop = axes[0], axes[-2], axes[-1]
    letters = iter("abcd")

    im = ax_o2.imshow(oxygen, origin="lower", extent=extent, cmap="viridis", vmin=0)
    vy, vx = np.nonzero(vessels)
    ax_o2.plot(x_mm[vx], y_mm[vy], "o", ms=2.0, color=VESSEL_COLOR, label="vessel")
    fig.colorbar(im, ax=ax_o2, label="O$_2$ (mmHg)", shrink=0.85)
    ax_o2.set_title(f"({next(letters)}) oxygen, day {time_min / 1440:.1f}")
    map_axes = [(ax_o2, "white")]
    if glucose is not None:
        ax_glc = axes[1]
        im = ax_glc.imshow(glucose, origin="lower", extent=extent, cmap="cividis", vmin=0, vmax=1)
        fig.colorbar(im, ax=ax_glc, label="glucose (fraction of plasma)", shrink=0.85)
        ax_glc.set_title(f"({next(letters)}) glucose")
        map_axes.append((ax_glc, "white"))

    image = np.empty(oxygen.shape + (3,))
    image[:] = to_rgb(TISSUE_COLOR)
    image[vessels] = to_rgb(VESSEL_COLOR)
    iy = np.floor(cells["y"].to_numpy() / 1000 / dx_mm).astype(int)
    ix = np.floor(cells["x"].to_numpy() / 1000 / dx_mm).astype(int)
    phases = cells["phase"].astype(str).to_numpy()
    for name, color in PHASE_COLORS.items():
        sel = phases == name
        image[iy[sel], ix[sel]] = to_rgb(color)
    ax_phase.imshow(image, origin="lower", extent=extent, interpolation="nearest")
    hypoxic = ax_phase.contour(x_mm, y_mm, oxygen, levels=[hypoxic_mmHg], colors="#0072B2",
                               linewidths=1.0, linestyles="--")
    ax_phase.clabel(hypoxic, fmt=f"{hypoxic_mmHg:g} mmHg", fontsize=7)
    ax_phase.set_title(f"({next(letters)}) cell phases, {len(cells):,} cells")

    for ax, bar_color in map_axes + [(ax_phase, "black")]:
        ax.set_xlabel("x (mm)")
        ax.set_ylabel("y (mm)")
        add_scale_bar(ax, nice_length(extent[1] - extent[0]), color=bar_color)

    days = series.index.to_numpy() / 1440
    ax_pop.plot(days, series["n_tumor"], color="0.2", lw=2, label="all tumour cells")
    for name in PHASES:
        column = f"n_{name}"
        if column in series and series[column].max() > 0:
            ax_pop.plot(days, series[column], color=PHASE_COLORS[name], lw=1.5, label=name)
    ax_pop.set_xlabel("time (days)")
    ax_pop.set_ylabel("cells")
    ax_pop.set_title(f"({next(letters)}) population by phase")
    twin = ax_pop.twinx()
    twin.plot(days, series["hypoxic_fraction"], "--", color="#0072B2", lw=1.2,
              label="hypoxic fraction (viable)")
    twin.set_ylim(0, 1)
    twin.set_ylabel("hypoxic fraction of viable cells")
    lines = ax_pop.get_legend_handles_labels()
    lines2 = twin.get_legend_handles_labels()
    ax_pop.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, loc="upper left")
    fig.suptitle(title)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, dpi=150)
    return out_path
