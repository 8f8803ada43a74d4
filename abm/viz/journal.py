"""Journal figure sizes and the text sizes that stay legible at them.

Journals print a figure at one column (~3.5 in, 89 mm) or two (~7.2 in, 183 mm; Nature,
Cell Press and PLOS widths) and ask for text of at least 5–7 pt at that size; figures drawn
at their print width need no scaling, so the point sizes set here are the printed ones.
:func:`journal_style` applies them as a matplotlib rcParams context.
"""
from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl

SINGLE_COLUMN_IN = 3.5
"""One journal column (in; 89 mm, Nature's single column)."""
DOUBLE_COLUMN_IN = 7.2
"""Two journal columns (in; 183 mm, Nature's double column)."""
MIN_FONT_PT = 6.0
"""The smallest text at print size (pt; design choice: the middle of the 5–7 pt journals
ask for, and legible on screen at 150 dpi)."""
PRINT_DPI = 300
"""Raster resolution of a saved figure (dpi; the usual journal minimum for line art with
halftones)."""

_RC = {
    "font.size": 7.0,
    "axes.titlesize": 7.0,
    "axes.labelsize": 7.0,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 8.0,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "legend.frameon": False,
    "legend.handlelength": 1.6,
    "savefig.dpi": PRINT_DPI,
}
"""Print sizes (pt) of every text kind at the journal widths: titles and labels 7 pt, ticks
and legends :data:`MIN_FONT_PT`, the figure title 8 pt; thinner lines to match (design
choice: the proportions of Nature's figure guide)."""


@contextmanager
def journal_style():
    """A context in which matplotlib figures get the journal text sizes and line widths
    (:data:`_RC`); create *and* save the figure inside it (text sizes are fixed when a text
    is made, the dpi when it is saved)."""
    with mpl.rc_context(_RC):
        yield


def legend_beside(ax, **kwargs):
    """The legend of ``ax`` outside it, to its right (never over data; constrained layout
    makes room for it)."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def legend_panel(ax, handles, labels, loc: str = "center left", **kwargs):
    """Turn ``ax`` into a legend of its own (``handles``, ``labels``): a figure's shared key,
    kept off every data panel. A second key in the same panel: ``ax.add_artist`` the first
    (placed at another ``loc``)."""
    ax.axis("off")
    return ax.legend(handles, labels, loc=loc, borderaxespad=0.0, **kwargs)


def layout_problems(fig) -> list[str]:
    """What keeps ``fig`` from print (empty if nothing): text below :data:`MIN_FONT_PT`,
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
        if text.get_fontsize() < MIN_FONT_PT - 1e-9:
            problems.append(f"{text.get_text()!r}: {text.get_fontsize():g} pt < {MIN_FONT_PT:g}")
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
