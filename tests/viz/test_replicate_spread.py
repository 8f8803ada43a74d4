"""The scenario figures' spread and print checks: mean ± the sample SD (ddof 1) in bands,
error bars and printed numbers, no band for one replicate; and the layout check that the
scripts run on every figure (text size, clipping, legends over data, overlapping text)."""
from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from abm.viz.spread import mean_sd, sample_sd, show
from abm.viz.journal import (MIN_TEXT_PT, journal_style, layout_problems, legend_panel,
                             width_inches)
from abm.viz.panels import legend_right
from abm.viz.style import bars_with_spread, mean_band

REPLICATES = [[3.0, 5.0, 10.0], [1.0, 1.5, 2.5], [7.0, 7.0, 8.0]]
"""Three replicate curves at three times (rows: replicates)."""


def test_the_sample_sd_is_the_textbook_one():
    values = [2.0, 4.0, 4.0, 5.0, 9.0]
    assert sample_sd(values) == pytest.approx(statistics.stdev(values))
    assert mean_sd([1.0, np.nan, 3.0]) == pytest.approx((2.0, statistics.stdev([1.0, 3.0])))
    assert np.isnan(sample_sd([4.0]))  # one replicate: no spread to estimate
    assert show([1.0, 2.0, 3.0], ".1f") == "2.0 ± 1.0"


def test_mean_band_spans_the_sample_sd():
    fig = Figure()
    ax = fig.subplots()
    curves = [pd.Series(r, index=[0.0, 1.0, 2.0]) for r in REPLICATES]
    mean_band(ax, curves, "black", "x")
    columns = np.array(REPLICATES).T
    mean = [statistics.mean(c) for c in columns]
    assert np.allclose(ax.lines[0].get_ydata(), mean)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    for m, c in zip(mean, columns):
        for edge in (m - statistics.stdev(c), m + statistics.stdev(c)):
            assert np.isclose(band, edge).any(), (edge, band)
    assert max(band) == pytest.approx(max(m + statistics.stdev(c) for m, c in zip(mean, columns)))


def test_one_replicate_has_no_band_and_no_error_bar():
    fig = Figure()
    ax_curve, ax_bar = fig.subplots(1, 2)
    mean_band(ax_curve, [pd.Series([1.0, 2.0])], "black", "x")
    assert not ax_curve.collections
    bars_with_spread(ax_bar, [0, 1], [[1.0], [2.0]], 0.8, "black")
    assert not ax_bar.collections  # error bars would be a line collection


def test_error_bars_are_the_sample_sd():
    fig = Figure()
    ax = fig.subplots()
    bars_with_spread(ax, [0, 1, 2], REPLICATES, 0.8, "black")
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, [statistics.mean(r) for r in REPLICATES])
    segments = ax.collections[0].get_segments()  # one vertical error bar per bar
    lengths = [abs(s[1][1] - s[0][1]) / 2 for s in segments]
    assert np.allclose(lengths, [statistics.stdev(r) for r in REPLICATES])


def _panel(legend: str, title: str = "(a) a panel", size: float | None = None) -> Figure:
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 2.5), layout="constrained")
        ax, key = fig.subplots(1, 2)
        ax.plot([0, 1, 2], [0, 1, 0], label="a curve over the whole axes")
        ax.plot([0, 1, 2], [1, 0, 1], label="another curve")
        ax.set_title(title, fontsize=size)
        if legend == "inside":
            ax.legend(loc="upper right")
        elif legend == "beside":
            legend_right(ax)
        else:
            legend_panel(key, *ax.get_legend_handles_labels())
        if legend != "panel":
            key.remove()
        fig.canvas.draw_idle()
        return fig


def test_a_legend_outside_the_data_passes():
    assert layout_problems(_panel("beside")) == []
    assert layout_problems(_panel("panel")) == []


def test_a_legend_over_the_data_is_found():
    assert any("legend lies over the data" in p for p in layout_problems(_panel("inside")))


def test_small_and_clipped_text_is_found():
    small = layout_problems(_panel("beside", size=MIN_TEXT_PT - 1))
    assert any(f"< {MIN_TEXT_PT:g}" in p for p in small)
    wide = layout_problems(_panel("beside", title="(a) " + "a very long title " * 12))
    assert any("cut by the figure's edge" in p for p in wide)
