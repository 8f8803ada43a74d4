"""Panel layout shared by the figure kinds and the summary figure: stacked sub-panels that
share a time or distance axis (one quantity per axis), legends outside the data, maps framed
with a scale bar instead of coordinate ticks, vessels at a visible size."""
from __future__ import annotations

import numpy as np

from abm.viz.style import VESSEL_COLOR, VESSEL_MIN_PT, add_scale_bar, nice_length


def stack_axes(ax, n: int, height_ratios=None) -> list:
    """Split ``ax`` into ``n`` panels stacked in its place, sharing the x axis; ``ax`` stays
    the top one (its title is the panel's), only the bottom one shows x tick labels.

    ``ax`` must be a subplot (of ``Figure.subplots`` or ``add_subplot``): its grid cell is
    divided, so a constrained layout aligns the stack like any other panel."""
    grid = ax.get_subplotspec().subgridspec(n, 1, height_ratios=height_ratios, hspace=0.05)
    ax.set_subplotspec(grid[0])
    axes = [ax] + [ax.figure.add_subplot(grid[i], sharex=ax) for i in range(1, n)]
    for upper in axes[:-1]:
        upper.tick_params(labelbottom=False)
    return axes


def legend_right(ax, handles=None):
    """A legend left-aligned just right of ``ax``, outside it, so that it never covers a
    curve: of ``handles`` (artists with labels), by default of the labelled artists on it."""
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))


def legend_below(ax, handles, ncols: int = 2):
    """A legend centred under map ``ax`` (a map has no tick labels below), outside it."""
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02),
                     ncols=ncols)


def frame_map(ax, bar_color: str = "black") -> None:
    """Frame a map drawn in mm: no coordinate ticks (the scale bar gives the size), a scale
    bar in ``bar_color`` in its lower-left corner."""
    ax.set_xticks([])
    ax.set_yticks([])
    x0, x1 = ax.get_xlim()
    add_scale_bar(ax, nice_length(x1 - x0), color=bar_color)


def mark_vessels(ax, vessels: np.ndarray, x_um: np.ndarray, y_um: np.ndarray) -> None:
    """Mark vessel sites (bool ``[ny, nx]``, site centres ``x_um``, ``y_um`` in µm) on map
    ``ax`` (mm) with squares of :data:`abm.viz.style.VESSEL_MIN_PT` a side: where a site is
    smaller than that on paper, the square keeps the vessel visible; where it is larger, the
    square lies inside the painted site (same colour)."""
    vy, vx = np.nonzero(vessels)
    ax.plot(x_um[vx] / 1000, y_um[vy] / 1000, linestyle="none", marker="s",
            ms=VESSEL_MIN_PT, mew=0, color=VESSEL_COLOR, label="_vessels")


def letter_panel(ax, letter: str) -> None:
    """Prefix the title of panel ``ax`` with ``(letter)`` and align it left."""
    title = ax.get_title()
    ax.set_title("")
    ax.set_title(f"({letter}) {title}", loc="left")
