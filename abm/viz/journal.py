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
import warnings
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


def legend_panel(ax, handles, labels, loc: str = "center left", **kwargs):
    """Turn ``ax`` into a legend of its own (``handles``, ``labels``): a figure's shared key,
    kept off every data panel. A second key in the same panel: ``ax.add_artist`` the first
    (placed at another ``loc``)."""
    ax.axis("off")
    return ax.legend(handles, labels, loc=loc, borderaxespad=0.0, **kwargs)


def warn_layout_problems(fig, stacklevel: int = 3) -> None:
    """Warn (UserWarning) of each problem :func:`layout_problems` finds in ``fig``: a figure
    whose panels were shrunk to fit the page (many metrics, parameters or targets) is still
    written, and the user is told what will not print well."""
    for problem in layout_problems(fig):
        warnings.warn(f"figure layout: {problem}", stacklevel=stacklevel)


def save_checked(fig, path, *, dpi: float | None = None, format: str | None = None) -> None:
    """Save ``fig`` to ``path`` (png at ``dpi``, default :data:`PNG_DPI`) after
    :func:`warn_layout_problems`."""
    warn_layout_problems(fig, stacklevel=4)
    fig.savefig(path, dpi=PNG_DPI if dpi is None else dpi, format=format)


def layout_problems(fig) -> list[str]:
    """What keeps ``fig`` from print (empty if nothing): text below :data:`MIN_TEXT_PT`,
    text cut by the figure's edge, a legend over an axes that shows data, and texts that
    overlap each other (tick labels, titles, axis labels, legends; each pair once; the tick
    labels of one axis are not compared with each other, their boxes overlap when
    rotated). Draws the figure to measure it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # a figure made with Figure() has no renderer of its own
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    problems, boxes = [], []
    for group, text in _texts(fig):
        if text.get_fontsize() < MIN_TEXT_PT - 1e-9:
            problems.append(f"{text.get_text()!r}: {text.get_fontsize():g} pt < {MIN_TEXT_PT:g}")
        box = text.get_window_extent(renderer)
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 or \
                box.y1 > page.y1 + 1:
            problems.append(f"{text.get_text()!r} is cut by the figure's edge")
        boxes.append((group, text, box))
    data_axes = [ax for ax in fig.axes if ax.axison and (ax.lines or ax.collections or
                                                         ax.patches or ax.images)]
    for legend in fig.findobj(lambda a: a.__class__.__name__ == "Legend"):
        box = legend.get_window_extent(renderer)
        for ax in data_axes:
            if box.overlaps(ax.bbox) and _area(box, ax.bbox) > 1.0:
                problems.append(f"a legend lies over the data of {ax.get_title()!r}")
        boxes.append((id(legend), legend, box))
    for i, (group_a, a, box_a) in enumerate(boxes):
        for group_b, b, box_b in boxes[i + 1:]:
            if group_a != group_b and _area(box_a, box_b) > 1.0:
                problems.append(f"{_name(a)} overlaps {_name(b)}")
    return problems


def _texts(fig):
    """(group, text) of every visible, non-empty text outside legends: titles, axis labels,
    texts placed on axes or the figure, and the tick labels within the view (one group per
    axis; every other text its own group)."""
    found = [fig._suptitle] + list(fig.texts)  # the title objects have no public getter
    for ax in fig.axes:
        if not ax.axison:
            continue
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  *ax.texts]
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                tolerance = 1e-9 * (high - low)
                if low - tolerance <= tick.get_loc() <= high + tolerance:
                    for label in (tick.label1, tick.label2):
                        if label.get_visible() and label.get_text().strip():
                            yield id(axis), label
    for text in found:
        if text is not None and text.get_visible() and text.get_text().strip():
            yield id(text), text


def _area(a, b) -> float:
    """Overlap area of two display boxes (px²)."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _name(artist) -> str:
    return "a legend" if artist.__class__.__name__ == "Legend" else repr(artist.get_text())
