"""Journal style of every figure: each kind of abm.viz.figures (a registered field's too) and
the summary figure, at one- and two-column width, rendered from a small real run with data
for every kind: the width is the journal's, no text is under 6 pt or outside the figure, no
legend lies on data, and the movie paints sites in the figures' colours."""
from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.image import AxesImage
from matplotlib.text import Text

from abm import load_config, load_run, run_scenario
from abm.extend import register_columns, register_field, register_section, unregister
from abm.tumor.cells import PHASES
from abm.viz.figures import build_figure, figure_kinds, map_vessels
from abm.viz.movie import _MovieFigure
from abm.viz.raster import lattice_index, phase_codes
from abm.viz.summary import summary_layout
from abm.viz.style import EMPTY_COLOR, PHASE_COLORS, VESSEL_COLOR

from ..helpers import TINY
from ..test_extend import TOY_COLUMN, TOY_FIELD, ToySection

JOURNAL_INCHES = {"single": 89 / 25.4, "double": 183 / 25.4}
"""Nature's figure widths, 89 and 183 mm, in inches."""
MIN_PT = 6.0
"""The smallest text allowed at print size (points)."""

EVERY_KIND = ["run.days=1.0", "sasp.field=true", "chemokine.field=true", "immune.enabled=true",
              "immune.initial_cd8_per_mm2=10.0", "immune.initial_nk_per_mm2=5.0",
              "shedding.enabled=true", "shedding.rate_per_h=5.0",
              "output.frame_every_min=180.0"]
"""The tiny 48×40-site tissue for a day with a SASP field, immune cells (and the chemokine
they follow), CTC shedding (the rate 2,500× the default, so that every clock hour sheds) and
the registered toy field."""


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """Path of the run of :data:`EVERY_KIND`; the toy field stays registered for the
    module, so that its figure kind exists."""
    register_section("toy")(ToySection)
    register_columns("cells", TOY_COLUMN)
    register_field(TOY_FIELD)
    try:
        config = load_config(None, overrides=TINY + EVERY_KIND, seed=5)
        yield run_scenario(config, tmp_path_factory.mktemp("style") / "run.h5",
                           progress=False)
    finally:
        unregister("toy")


@pytest.fixture(scope="module")
def run(run_file):
    with load_run(run_file) as opened:
        yield opened


def _draw(fig):
    """Draw ``fig`` on an Agg canvas; return the canvas and the texts drawn with some
    characters (tick labels outside the view limits exist but are not drawn)."""
    canvas = FigureCanvasAgg(fig)
    drawn = []
    draw_text = Text.draw

    def record(text, renderer):
        if text.get_visible() and text.get_text().strip():
            drawn.append(text)
        return draw_text(text, renderer)
    with mock.patch.object(Text, "draw", record):
        canvas.draw()
    return canvas, drawn


def _legends(fig):
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes
                                if ax.get_legend() is not None and ax.get_visible()]


def check_style(fig, width: str) -> None:
    """The journal checks of a built figure, drawn here (outside the style's settings):
    width, text sizes, text inside the figure, legends off the data."""
    assert fig.get_size_inches()[0] == pytest.approx(JOURNAL_INCHES[width], abs=1e-3)
    check_text_and_legends(fig)


def check_text_and_legends(fig) -> None:
    """Every text drawn is at least :data:`MIN_PT` and inside the figure; no legend covers a
    line's point in view or overlaps a map."""
    canvas, texts = _draw(fig)
    renderer = canvas.get_renderer()
    figure_box = fig.bbox
    assert len(texts) > 5
    for text in texts:
        assert text.get_fontsize() >= MIN_PT, (text.get_text(), text.get_fontsize())
        box = text.get_window_extent(renderer)
        assert (box.x0 >= figure_box.x0 - 1 and box.x1 <= figure_box.x1 + 1
                and box.y0 >= figure_box.y0 - 1 and box.y1 <= figure_box.y1 + 1), \
            f"{text.get_text()!r} clipped: {box} outside {figure_box}"
    legends = _legends(fig)
    assert legends
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            if any(isinstance(a, AxesImage) for a in ax.get_children()):
                assert not box.overlaps(ax.get_window_extent(renderer)), \
                    f"legend {[t.get_text() for t in legend.get_texts()]} on a map"
            inside_axes = ax.get_window_extent(renderer)
            for line in ax.get_lines():
                xy = line.get_transform().transform(line.get_xydata())
                shown = ((xy[:, 0] >= inside_axes.x0) & (xy[:, 0] <= inside_axes.x1)
                         & (xy[:, 1] >= inside_axes.y0) & (xy[:, 1] <= inside_axes.y1))
                covered = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1)
                           & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1) & shown)
                assert not covered.any(), f"legend covers {line.get_label()}"


def test_the_run_has_data_for_every_kind_and_the_registered_field(run):
    kinds = figure_kinds()
    assert "toy" in kinds and {"tissue", "populations", "radial", "sasp", "immune",
                               "ctc"} <= set(kinds)
    assert run.timeseries["ctc_shed_cells"].sum() > 0
    assert "immune_cells" in run.event_tables and "toy" in run.field_names


@pytest.mark.parametrize("width", ["single", "double"])
def test_every_kind_alone_is_journal_ready(run, width):
    for kind in figure_kinds():
        check_style(build_figure(run, [kind], run.frame_index(-1), width), width)


@pytest.mark.parametrize("width", ["single", "double"])
def test_every_kind_together_is_journal_ready(run, width):
    check_style(build_figure(run, list(figure_kinds()), run.frame_index(-1), width), width)


@pytest.mark.parametrize("width", ["single", "double"])
def test_the_summary_figure_is_journal_ready(run, width):
    fig = summary_layout(run, run.frame_index(-1), width)
    check_style(fig, width)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert [t[:3] for t in titles] == ["(a)", "(b)", "(c)", "(d)"]


def test_the_total_is_drawn_unlike_every_phase(run):
    """All tumour cells: dashed and in its own colour, where every phase line is solid."""
    fig = build_figure(run, ["populations"], run.frame_index(-1), "double")
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    total = lines.pop("all tumour cells")
    assert lines and set(lines) <= set(PHASES)
    for line in lines.values():
        assert line.get_linestyle() == "-" and total.get_linestyle() == "--"
        assert to_rgb(line.get_color()) != to_rgb(total.get_color())


def test_each_quantity_has_its_own_axis(run):
    """No twin axes: every panel with two quantities stacks two axes, each with its own
    label (and unit), sharing x."""
    for kind in ("populations", "radial", "ctc"):
        fig = build_figure(run, [kind], run.frame_index(-1), "double")
        plots = [ax for ax in fig.axes if ax.get_visible()]
        assert len(plots) == 2, kind
        top, bottom = sorted(plots, key=lambda ax: -ax.get_position().y0)
        assert top.get_ylabel() and bottom.get_ylabel() and top.get_ylabel() != bottom.get_ylabel()
        assert top.get_shared_x_axes().joined(top, bottom)
        assert top.get_position().x0 == pytest.approx(bottom.get_position().x0)


def test_the_movie_frame_has_readable_text_and_its_legend_off_the_maps(run):
    """The movie's figure (at the size it is encoded) passes the same text and legend checks;
    every panel kind: phases with agents, a field with its colour bar."""
    movie = _MovieFigure(run, ("phases", "oxygen", "toy"), [run.frame_index(-1)], dpi=100)
    check_text_and_legends(movie.figure)


# ---------------------------------------------------------------------------- figure = movie
def _pixel(canvas, ax, x_mm: float, y_mm: float) -> np.ndarray:
    """RGB (0–1) of the canvas pixel at data point (x_mm, y_mm) of ``ax``."""
    pixels = np.asarray(canvas.buffer_rgba())
    px, py = ax.transData.transform((x_mm, y_mm))
    return pixels[int(pixels.shape[0] - py), int(px), :3] / 255.0


def _known_sites(run, frame: int) -> dict[str, tuple[int, int]]:
    """One site ``(iy, ix)`` of each class (empty, vessel, each phase present) whose 3×3
    neighbourhood is all of that class (a vessel: a single site), with no hypoxic contour and
    no agent near it and away from the scale bar: its centre pixel shows the class's colour
    alone."""
    cells = run.cells(frame)
    tumour = cells[cells["kind"].astype(str).to_numpy() == "tumor"]
    ny, nx = len(run.y_um), len(run.x_um)
    label = np.full((ny, nx), "empty", dtype=object)
    label[map_vessels(run)] = "vessel"
    iy, ix = lattice_index(tumour, run.x_um, run.y_um)
    names = np.array(list(PHASES), dtype=object)
    label[iy, ix] = names[phase_codes(tumour)]
    oxygen = np.asarray(run.field("oxygen", frame))
    hypoxic = oxygen < float(run.config["oxygen"]["hypoxic_mmHg"])
    busy = np.zeros((ny, nx), bool)
    agents = cells[cells["kind"].astype(str).to_numpy() != "tumor"]
    ay, ax_ = lattice_index(agents, run.x_um, run.y_um)
    busy[ay, ax_] = True
    for events in ("immune_cells",):
        rows = run.events(events)
        rows = rows[np.abs(rows["time_min"] - float(run.frame_times[frame])) < 1e-3]
        ry, rx = lattice_index(rows, run.x_um, run.y_um)
        busy[ry, rx] = True
    found = {}
    for y in range(3, ny - 3):
        for x in range(3, nx - 3):
            if y < 0.2 * ny and x < 0.5 * nx:
                continue  # the scale bar
            window = (slice(y - 1, y + 2), slice(x - 1, x + 2))
            kind = label[y, x]
            same = label[y:y + 1, x:x + 1] if kind == "vessel" else label[window]
            if (kind not in found and (same == kind).all()
                    and hypoxic[window].all() == hypoxic[window].any()
                    and not busy[window].any()):
                found[kind] = (y, x)
    return found


def test_the_movie_and_the_figures_paint_sites_in_the_same_colours(run):
    """The site of each class, read back from a rendered movie frame and from the rendered
    tissue figure, has the colour declared in abm.viz.style (so both come from it)."""
    frame = run.frame_index(-1)
    sites = _known_sites(run, frame)
    assert {"empty", "vessel", "proliferating"} <= set(sites)
    movie = _MovieFigure(run, ("phases",), [frame], dpi=200)
    movie.render(frame)
    fig = build_figure(run, ["tissue"], frame, "double")
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(300)
    canvas.draw()
    declared = {"empty": EMPTY_COLOR, "vessel": VESSEL_COLOR} | PHASE_COLORS
    x_mm, y_mm = run.x_um / 1000, run.y_um / 1000
    for kind, (y, x) in sites.items():
        in_movie = _pixel(movie.canvas, movie.figure.axes[0], x_mm[x], y_mm[y])
        in_figure = _pixel(canvas, fig.axes[0], x_mm[x], y_mm[y])
        assert np.allclose(in_movie, to_rgb(declared[kind]), atol=2 / 255), kind
        assert np.allclose(in_figure, to_rgb(declared[kind]), atol=2 / 255), kind
