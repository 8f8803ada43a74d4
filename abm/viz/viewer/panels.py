"""The pictures and tables beside the map: population curves (drawn once per run, the
current time shown by a marker in the browser) and one cell's state and history."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from abm.tumor.cells import PHASES
from abm.viz.style import PHASE_COLORS
from abm.viz.viewer.images import data_uri

CURVE_SIZE_IN, CURVE_DPI = (4.8, 2.6), 100
"""Size (in) and resolution of the population curves: 480 × 260 px, a map's width."""

class Curves:
    """The population curves of a run's time series as a PNG, and where its time axis lies
    in the image (to place the marker and read a click)."""

    def __init__(self, series: pd.DataFrame):
        figure = Figure(figsize=CURVE_SIZE_IN, dpi=CURVE_DPI, layout="constrained")
        ax = figure.subplots()
        days = series.index.to_numpy() / 1440.0
        if "n_tumor" in series:
            ax.plot(days, series["n_tumor"], color="0.5", lw=1.5, label="all tumour cells")
        for phase in PHASES:
            if f"n_{phase}" in series:
                ax.plot(days, series[f"n_{phase}"], color=PHASE_COLORS[phase], lw=1, label=phase)
        ax.set(xlabel="time (days)", ylabel="cells")
        if len(days) and days[-1] > days[0]:
            ax.set_xlim(days[0], days[-1])
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        self.src = _png_uri(figure)  # lays the figure out: the axes' position is final now
        box = ax.get_position()
        self.x0, self.x1 = box.x0, box.x1
        self.t0, self.t1 = (v * 1440.0 for v in ax.get_xlim())

    def marker(self, time_min: float) -> float:
        """Fraction of the image's width at time ``time_min`` (min)."""
        return self.x0 + (time_min - self.t0) / (self.t1 - self.t0) * (self.x1 - self.x0)

    def time_at(self, fx: float) -> float | None:
        """The time (min) at fraction ``fx`` of the width; None left or right of the axes."""
        if not self.x0 <= fx <= self.x1:
            return None
        return self.t0 + (fx - self.x0) / (self.x1 - self.x0) * (self.t1 - self.t0)


def cell_state(cells: pd.DataFrame, cell_id: int, units: dict[str, str],
               species: list[str]) -> dict | None:
    """Cell ``cell_id``'s row of ``cells`` as ``{"phase": …, "species": {name: value},
    "columns": {"name (unit)": value}}`` (``species``: the network species among the
    columns, the source's ``species``); None if it is not among them."""
    if cell_id not in cells.index:
        return None
    row = cells.loc[cell_id]
    values = {name: row[name] for name in species}
    columns = {(f"{name} ({units[name]})" if units.get(name) else name): row[name]
               for name in cells.columns if name not in values}
    return {"phase": str(row["phase"]), "species": values, "columns": columns}


def value_text(value) -> str:
    """A table cell: numbers to 6 significant digits, the rest as text."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


def markdown_table(values: dict, header: tuple[str, str]) -> str:
    """``values`` as a two-column Markdown table."""
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {name} | {value_text(value)} |" for name, value in values.items()]
    return "\n".join(lines)


def history_png(history: pd.DataFrame, species: list[str]) -> str:
    """Data URI of a PNG of a cell's network ``species`` over time (``history``: its rows in
    every frame, by time in min)."""
    figure = Figure(figsize=(4.8, 2.4), dpi=CURVE_DPI, layout="constrained")
    ax = figure.subplots()
    days = history.index.to_numpy() / 1440.0
    for name in species:
        ax.plot(days, history[name].to_numpy(dtype=float), marker=".", lw=1, label=name)
    ax.set(xlabel="time (days)", ylabel="level", title="network species of this cell")
    if species:
        ax.legend(fontsize=6, frameon=False, ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png_uri(figure)


def _png_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return data_uri(buffer.getvalue())
