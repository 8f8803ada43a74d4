"""The summary figure every run writes: oxygen (and glucose) maps, the phase map and the
populations over time (the panels of :mod:`abm.viz.figures` that a first look needs), at a
journal's two-column width by default (:mod:`abm.viz.journal`)."""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from abm.io import load_run
from abm.viz.figures import draw_field, draw_populations, draw_tissue, save_figure
from abm.viz.journal import TITLE_INCHES, fix_tick_sizes, journal_style, width_inches
from abm.viz.panels import letter_panel

MAP_ROW_INCHES = {"single": 2.4, "double": 2.75}
"""Height of a row of maps (inches): the map, its title and colour bar or legend (design
choice, checked by the style tests)."""
POPULATION_INCHES = 2.3
"""Height of the populations panel, which spans the figure's width (inches; design choice:
room for its two stacked axes and their labels)."""


def summary_layout(run, frame: int, width: str = "double") -> Figure:
    """The summary figure of open run ``run`` at ``frame`` (an index), ``width``
    (``"single"`` or ``"double"``) wide.

    Panels: O2 (mmHg) with vessels; glucose (fraction of plasma) when the run has that
    field; cell phases with the hypoxic contour (:func:`abm.viz.figures.draw_tissue`);
    below, across the figure, cells per phase and the hypoxic fraction over time
    (:func:`abm.viz.figures.draw_populations`). At two-column width the maps share one row;
    at one-column width they go two to a row, an odd last one across the row.
    """
    maps = ["oxygen", "glucose"] if "glucose" in run.field_names else ["oxygen"]
    maps.append("tissue")
    per_row = len(maps) if width == "double" else 2
    map_rows = -(-len(maps) // per_row)
    with journal_style():
        height = MAP_ROW_INCHES[width] * map_rows + POPULATION_INCHES + TITLE_INCHES
        fig = Figure(figsize=(width_inches(width), height), layout="constrained")
        grid = fig.add_gridspec(map_rows + 1, 2 * per_row,
                                height_ratios=[MAP_ROW_INCHES[width]] * map_rows
                                + [POPULATION_INCHES])
        axes = []
        for i, name in enumerate(maps):
            row, col = divmod(i, per_row)
            last_alone = i == len(maps) - 1 and col == 0
            cols = slice(0, 2 * per_row) if last_alone else slice(2 * col, 2 * col + 2)
            ax = fig.add_subplot(grid[row, cols])
            if name == "tissue":
                draw_tissue(ax, run, frame)
            else:
                draw_field(ax, run, frame, name=name)
            axes.append(ax)
        axes.append(fig.add_subplot(grid[map_rows, :]))
        draw_populations(axes[-1], run)
        for letter, ax in zip("abcd", axes):
            letter_panel(ax, letter)
        fig.suptitle(f"{run.scenario} (seed {run.seed})")
        fix_tick_sizes(fig)
    return fig


def summary_figure(run_path: str | Path, out_path: str | Path, frame: int = -1,
                   width: str = "double", dpi: int = 200) -> Path:
    """Render the summary of a run file (:func:`summary_layout`) to ``out_path`` (png, pdf
    or svg) and return the path (written complete or not at all; an existing file is
    replaced: callers check first)."""
    out_path = Path(out_path)
    with load_run(run_path) as run:
        fig = summary_layout(run, run.frame_index(frame), width)
    return save_figure(fig, out_path, dpi)
