"""Print sizes of the figures: journal column widths, font sizes and line widths, declared once
and applied to every figure (``abm plot``, the summary figure) and to the movie's text.

Widths: Nature's guidelines for final figures (nature.com, "Formatting guide: figures"):
89 mm for one column and 183 mm for two, i.e. 3.50 and 7.20 in (÷ 25.4 mm/in). Text: the
same guidelines ask for 5–7 pt type at print size; this project's floor is 6 pt (design
choice: above the guideline's minimum, for the smallest text: tick and legend labels; axis
labels and titles are 7 pt, the figure title 8 pt). Height: Nature's figure guide
("Building and exporting figure panels", research-figure-guide.nature.com) allows at most
170 mm, leaving room for the legend under the figure on the page. Fonts: the same guide asks
for editable text with embedded TrueType (Type 42) fonts, so PDF and PostScript embed Type 42,
never Type 3, and SVG keeps its text as text.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

MM_PER_INCH = 25.4
WIDTHS_MM = {"single": 89.0, "double": 183.0}
"""Column widths (mm): Nature's single- and double-column figures."""
WIDTHS = tuple(WIDTHS_MM)
MAX_HEIGHT_MM = 170.0
"""The deepest figure (mm): Nature's maximum figure height (see the module docstring)."""
MAX_HEIGHT_INCHES = MAX_HEIGHT_MM / MM_PER_INCH
PNG_DPI = 300
"""Pixels per inch of a png figure: the resolution journals ask of raster images (Nature's
figure guide: at least 300 dpi)."""

MIN_TEXT_PT = 6.0
"""No text smaller than this at print size (design choice, see the module docstring)."""
TEXT_PT = 7.0
"""Axis labels and panel titles, points."""
SMALL_PT = MIN_TEXT_PT
"""Tick labels, legends, colour-bar ticks, scale-bar labels, points."""
TITLE_PT = 8.0
"""The figure's title, points."""
TITLE_INCHES = 0.2
"""Height added to a figure for its title (8 pt and its padding), inches."""

LINE_PT = 1.0
"""Data lines, points (0.5–1.5 pt reads well at print size; design choice)."""
AXIS_LINE_PT = 0.6
"""Axes frames and ticks, points (thinner than data: design choice)."""

RC = {
    "font.size": TEXT_PT, "axes.titlesize": TEXT_PT, "axes.labelsize": TEXT_PT,
    "xtick.labelsize": SMALL_PT, "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT,
    "legend.title_fontsize": SMALL_PT, "figure.titlesize": TITLE_PT,
    "lines.linewidth": LINE_PT, "lines.markersize": 3.0, "axes.linewidth": AXIS_LINE_PT,
    "xtick.major.width": AXIS_LINE_PT, "ytick.major.width": AXIS_LINE_PT,
    "xtick.major.size": 2.5, "ytick.major.size": 2.5, "xtick.major.pad": 2.0,
    "ytick.major.pad": 2.0, "axes.labelpad": 2.0, "axes.titlepad": 3.0,
    "legend.frameon": False, "legend.handlelength": 1.5, "legend.borderaxespad": 0.3,
    "legend.columnspacing": 1.0, "legend.handletextpad": 0.4, "legend.labelspacing": 0.3,
    "figure.constrained_layout.h_pad": 0.03, "figure.constrained_layout.w_pad": 0.03,
    "figure.constrained_layout.hspace": 0.0, "figure.constrained_layout.wspace": 0.0,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",
}
"""Matplotlib settings of every figure (font sizes above; TrueType fonts and SVG text as
text: editable text, see the module docstring; the rest design choices for a compact layout
at print size)."""


def width_inches(width: str) -> float:
    """The figure width in inches of journal column ``width`` (:data:`WIDTHS`); ValueError
    for another width."""
    try:
        return WIDTHS_MM[width] / MM_PER_INCH
    except (KeyError, TypeError):
        raise ValueError(f"width {width!r} unknown; allowed: {', '.join(WIDTHS)}") from None


@contextlib.contextmanager
def journal_style() -> Iterator[None]:
    """Matplotlib settings :data:`RC` while building and saving a figure (text sizes are read
    when an artist is made, tick labels when the figure is drawn: both happen inside)."""
    import matplotlib as mpl  # here: the command line reads this module's sizes without it

    with mpl.rc_context(RC):
        yield


def fix_tick_sizes(fig) -> None:
    """Make every axes of ``fig`` (colour bars too) keep :data:`SMALL_PT` tick labels and
    :data:`AXIS_LINE_PT` ticks when drawn outside :func:`journal_style` (tick labels are made
    at draw time, from the settings of that moment)."""
    for ax in fig.axes:
        ax.tick_params(labelsize=SMALL_PT, width=AXIS_LINE_PT, length=RC["xtick.major.size"],
                       pad=RC["xtick.major.pad"])
