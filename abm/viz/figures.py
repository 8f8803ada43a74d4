"""Publication figures from run files: one drawing function per figure kind, each drawing on
a matplotlib ``Axes`` from an open :class:`abm.io.Run`, and :func:`plot`, which renders one
kind or the standard set to a png, pdf or svg file at a journal's one- or two-column width
(:mod:`abm.viz.journal`: 89 or 183 mm, no text under 6 pt).

Kinds (:data:`KINDS`):

- ``tissue``: cell phases on the lattice (empty sites grey), vessels, the hypoxic O2
  contour, a scale bar;
- ``populations``: tumour cells by phase and in all over time (days); below, the hypoxic
  fraction;
- ``radial``: the share of sites in each phase and, below, O2 (mmHg) against the distance
  from the tumour's centre (µm);
- ``sasp``: the inflammatory SASP field with the senescent cells on it;
- ``immune``: the agents over the tumour: CD8 T and NK cells (``events/immune_cells``),
  neutrophils and NETs (``events/neutrophils``), platelet aggregates (``events/platelets``);
- ``ctc``: CTCs shed per hour and, below, circulating against clock time (hourly means);
- a registered field whose style asks for a figure (:class:`abm.fields.specs.PlotStyle`,
  :mod:`abm.extend`): its map, under the field's name.

One quantity per axis (panels that show two stack two axes sharing x), legends outside the
data (right of curves, below maps), maps framed by a scale bar instead of coordinate ticks.
All drawing happens after a run, from its file, with colour-blind-safe colours (Okabe & Ito
2008; ``viridis``/``cividis``/``magma`` maps) and units on every axis::

    from abm.viz.figures import plot
    plot("outputs/quickstart.h5", "fig.pdf")                      # the standard set
    plot("outputs/quickstart.h5", "radial.svg", kinds=["radial"], frame=10, width="single")

    from matplotlib.figure import Figure
    from abm import load_run
    from abm.viz.figures import draw_radial
    fig = Figure()
    with load_run("outputs/quickstart.h5") as run:
        draw_radial(fig.add_subplot(), run, frame=-1)
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.tumor.cells import PHASES
from abm.io import load_run
from abm.io.outputs import check_output, write_atomically
from abm.viz.journal import (MAX_HEIGHT_INCHES, MAX_HEIGHT_MM, PNG_DPI, TITLE_INCHES,
                             fix_tick_sizes, journal_style, width_inches)
from abm.viz.panels import (frame_map, legend_below, legend_right, letter_panel, mark_vessels,
                            stack_axes)
from abm.viz.raster import (AGENT_TABLES, agent_positions, lattice_index, map_extent,
                            phase_codes, phase_image)
from abm.fields.solutes import field_specs
from abm.viz.spread import mean_sd
from abm.viz.style import (ACCENT_COLOR, AGENT_STYLES, EMPTY_COLOR, HYPOXIA_COLOR, OKABE_ITO,
                           PHASE_COLORS, TUMOUR_COLOR, VESSEL_COLOR, agent_marker, colour_max,
                           declared_field, phase_handles, site_handles)

FORMATS = (".png", ".pdf", ".svg")
REST_SHADE = "0.9"
"""The rest phase's shading under the CTC curves: a light grey that every line and marker
stands out on (design choice)."""
COLORBAR = {"shrink": 0.8, "fraction": 0.06, "pad": 0.03}
"""A map's colour bar (``Figure.colorbar``): 80 % of the map's height, 6 % of the panel's
width, close to the map, leaving the map most of a 2.4-in panel (design choice)."""
AGENT_MARKER_PT = 3.0
"""Agents' (and senescent cells') markers on maps, points at print size: twice a vessel
square, so that they stand out at either journal width without hiding the tumour under a
dense infiltrate (design choice)."""
ROW_INCHES = {"single": 3.1, "double": 2.75}
"""Height of one row of panels (inches): a square map, its title and a legend of up to
five rows below it (design choice, checked by the style tests)."""
COLUMNS = {"single": 1, "double": 3}
"""Panels per row: one at one-column width (3.5 in), up to three at two-column width."""


def max_kinds(width: str) -> int:
    """How many kinds one figure of journal column ``width`` holds: the rows of
    :data:`ROW_INCHES` that fit under :data:`abm.viz.journal.MAX_HEIGHT_INCHES` with the
    title, times :data:`COLUMNS` (single: 2, double: 6)."""
    width_inches(width)  # an unknown width: its ValueError
    rows = int((MAX_HEIGHT_INCHES - TITLE_INCHES) // ROW_INCHES[width])
    return rows * COLUMNS[width]


# ---------------------------------------------------------------------------- helpers
def map_vessels(run) -> np.ndarray:
    """The vessel sites ``[y, x]`` (bool; :attr:`abm.io.Run.vessels`, none if the file
    cannot tell)."""
    vessels = run.vessels
    return np.zeros((len(run.y_um), len(run.x_um)), bool) if vessels is None else vessels


def _frame_label(run, frame: int) -> str:
    return f"day {float(run.frame_times[frame]) / 1440:.1f}"


def field_label(run, name: str) -> str:
    """Colour-bar label of field ``name`` of ``run``: its declared label, or its title and
    the units stored in the run (the declared unit if the run has none)."""
    spec = declared_field(name)
    return spec.label(run.attrs["units"].get("fields", {}).get(name, spec.unit))


def _tumour_cells(cells):
    if "kind" in cells:
        return cells[cells["kind"].astype(str).to_numpy() == "tumor"]
    return cells


def _colorbar(ax, image, label: str) -> None:
    ax.figure.colorbar(image, ax=ax, label=label, **COLORBAR)


# ---------------------------------------------------------------------------- kinds
def draw_tissue(ax, run, frame: int = -1) -> None:
    """Cell phases on the lattice (empty sites grey, vessels), with the hypoxic contour of
    the O2 field (one O2 level, so that the phases keep their colours)."""
    extent = map_extent(run.x_um, run.y_um)
    cells = _tumour_cells(run.cells(frame))
    vessels = map_vessels(run)
    ax.imshow(phase_image(cells, run.x_um, run.y_um, vessels), origin="lower",
              extent=extent, interpolation="nearest")
    mark_vessels(ax, vessels, run.x_um, run.y_um)
    oxygen = np.asarray(run.field("oxygen", frame))
    hypoxic = float(run.config["oxygen"]["hypoxic_mmHg"])
    extra = site_handles()
    if oxygen.min() < hypoxic < oxygen.max():
        ax.contour(run.x_um / 1000, run.y_um / 1000, oxygen, levels=[hypoxic],
                   colors=ACCENT_COLOR, linewidths=1.0, linestyles="--")
        extra.append(Line2D([], [], color=ACCENT_COLOR, ls="--",
                            label=f"O$_2$ = {hypoxic:g} mmHg"))
    legend = legend_below(ax, phase_handles(set(phase_codes(cells).tolist())) + extra)
    legend.set_title(f"{len(cells):,} tumour cells")
    ax.set_title(f"cell phases, {_frame_label(run, frame)}")
    frame_map(ax)


def draw_populations(ax, run, frame: int | None = None) -> None:
    """Tumour cells by phase and all together (dashed) over time (days); below, in a panel
    of its own, the hypoxic fraction of viable cells."""
    series = run.timeseries
    days = series.index.to_numpy() / 1440
    hypoxia = "hypoxic_fraction" in series
    axes = stack_axes(ax, 2, height_ratios=[2, 1]) if hypoxia else [ax]
    for name in PHASES:
        column = f"n_{name}"
        if column in series and series[column].max() > 0:
            ax.plot(days, series[column], color=PHASE_COLORS[name], label=name)
    ax.plot(days, series["n_tumor"], color=ACCENT_COLOR, ls="--", label="all tumour cells")
    ax.set(ylabel="tumour cells", title="population by phase", xlim=(days[0], days[-1]))
    legend_right(ax)
    if hypoxia:
        axes[1].plot(days, series["hypoxic_fraction"], color=HYPOXIA_COLOR)
        axes[1].set(ylim=(0, 1), ylabel="hypoxic\nfraction")
    axes[-1].set_xlabel("time (days)")


def radial_profiles(run, frame: int = -1, bin_um: float | None = None) -> dict[str, np.ndarray]:
    """Annular means around the tumour's centre (the centroid of its cells at ``frame``).

    Returns ``r_um`` (bin centres, µm), ``oxygen`` (mean mmHg per annulus) and, per phase
    name, the share of the annulus's sites holding a cell in that phase (0–1). Bins are
    ``bin_um`` wide (default two lattice sites) out to the farthest cell plus 20 %.
    """
    cells = _tumour_cells(run.cells(frame))
    oxygen = np.asarray(run.field("oxygen", frame), dtype=np.float64)
    x_um, y_um = run.x_um, run.y_um
    dx = float(x_um[1] - x_um[0])
    bin_um = 2 * dx if bin_um is None else bin_um
    if len(cells):
        cx, cy = float(cells["x"].mean()), float(cells["y"].mean())
    else:
        cx, cy = float(x_um.mean()), float(y_um.mean())
    r_sites = np.hypot(x_um[None, :] - cx, y_um[:, None] - cy)
    r_cells = np.hypot(cells["x"].to_numpy() - cx, cells["y"].to_numpy() - cy)
    r_max = 1.2 * (r_cells.max() if len(cells) else r_sites.max() / 2) + bin_um
    edges = np.arange(0.0, min(r_max, r_sites.max()) + bin_um, bin_um)
    site_bin = np.digitize(r_sites.ravel(), edges) - 1
    n_bins = len(edges) - 1
    inside = site_bin < n_bins
    sites = np.bincount(site_bin[inside], minlength=n_bins).astype(np.float64)
    out = {"r_um": 0.5 * (edges[1:] + edges[:-1]),
           "oxygen": np.bincount(site_bin[inside], oxygen.ravel()[inside], n_bins)
           / np.maximum(sites, 1)}
    cell_bin = np.digitize(r_cells, edges) - 1
    codes = phase_codes(cells)
    for name, code in PHASES.items():
        sel = (codes == code) & (cell_bin < n_bins)
        out[name] = np.bincount(cell_bin[sel], minlength=n_bins) / np.maximum(sites, 1)
    return out


def draw_radial(ax, run, frame: int = -1) -> None:
    """Against the distance from the tumour's centre (µm): the share of sites by phase
    (stacked) and, in a panel of its own below, O2 (mmHg) with the hypoxic level."""
    prof = radial_profiles(run, frame)
    r = prof["r_um"]
    names = [n for n in PHASES if prof[n].max() > 0]
    top, bottom = stack_axes(ax, 2)
    top.stackplot(r, *[prof[n] for n in names], colors=[PHASE_COLORS[n] for n in names],
                  labels=names)
    top.set(ylabel="share of sites", ylim=(0, 1.05), xlim=(0, r[-1]),
            title=f"radial profiles, {_frame_label(run, frame)}")
    legend_right(top)
    hypoxic = float(run.config["oxygen"]["hypoxic_mmHg"])
    bottom.plot(r, prof["oxygen"], color=ACCENT_COLOR, label="mean O$_2$")
    bottom.axhline(hypoxic, color="black", ls=":", lw=0.8, label=f"{hypoxic:g} mmHg")
    bottom.set(xlabel="distance from tumour centre (µm)", ylabel="O$_2$ (mmHg)",
               ylim=(0, None))
    legend_right(bottom)


def draw_sasp(ax, run, frame: int = -1) -> None:
    """The inflammatory SASP field (network units) with the senescent cells (dots) and the
    vessels."""
    spec = declared_field("sasp")
    sasp = np.asarray(run.field("sasp", frame))
    im = ax.imshow(sasp, origin="lower", extent=map_extent(run.x_um, run.y_um),
                   cmap=spec.style.cmap,
                   vmin=0, vmax=max(float(sasp.max()), 1e-3))  # an all-zero field stays black
    _colorbar(ax, im, field_label(run, "sasp"))
    mark_vessels(ax, map_vessels(run), run.x_um, run.y_um)
    cells = _tumour_cells(run.cells(frame))
    senescent = cells[phase_codes(cells) == PHASES["senescent"]]
    ax.plot(senescent["x"] / 1000, senescent["y"] / 1000, linestyle="none", marker="o",
            ms=AGENT_MARKER_PT, mec="white", mew=0.3, color=PHASE_COLORS["senescent"],
            label=f"senescent cell ({len(senescent):,})")
    legend_below(ax, ax.get_legend_handles_labels()[0] + site_handles()[:1], ncols=1)
    ax.set_title(f"{spec.style.title}, {_frame_label(run, frame)}")
    frame_map(ax, "white")


def draw_immune(ax, run, frame: int = -1) -> None:
    """The agents at ``frame`` over the tumour (grey, any phase) and the vessels: CD8 T and
    NK cells (dots), neutrophils (triangles), NETs (crosses) and platelet aggregates
    (squares), those the run has (:data:`abm.viz.style.AGENT_STYLES`), each counted in the
    legend."""
    extent = map_extent(run.x_um, run.y_um)
    cells = _tumour_cells(run.cells(frame))
    vessels = map_vessels(run)
    image = np.empty((len(run.y_um), len(run.x_um), 3), dtype=np.float32)
    image[:] = to_rgb(EMPTY_COLOR)
    image[vessels] = to_rgb(VESSEL_COLOR)
    iy, ix = lattice_index(cells, run.x_um, run.y_um)
    image[iy, ix] = to_rgb(TUMOUR_COLOR)
    ax.imshow(image, origin="lower", extent=extent, interpolation="nearest")
    mark_vessels(ax, vessels, run.x_um, run.y_um)
    time_min = float(run.frame_times[frame])
    groups = agent_positions(run)
    for group, positions in groups.items():
        xy = positions.at(time_min)
        ax.plot(xy[:, 0], xy[:, 1], linestyle="none", ms=AGENT_MARKER_PT,
                label=f"{AGENT_STYLES[group].label} ({len(xy):,})",
                **agent_marker(AGENT_STYLES[group]))
    handles = [Patch(color=TUMOUR_COLOR, label="tumour cell")] + site_handles()
    if groups:
        handles = ax.get_legend_handles_labels()[0] + handles
    else:
        ax.text(0.5, 0.5, "no immune cells in this run", transform=ax.transAxes,
                ha="center", va="center")
    legend_below(ax, handles)
    ax.set_title(f"immune infiltration, {_frame_label(run, frame)}")
    frame_map(ax)


def _across_days(day: np.ndarray, hour: np.ndarray, values: np.ndarray, full: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and sample SD (ddof 1) over days of each clock hour's mean: ``day`` and ``hour``
    (0–23) of each step, its ``values``; a day's hour counts with at least ``full`` steps
    (an hour the run covers only in part, at its start or end, would weigh a few steps as
    much as a whole hour). ``[24]`` each, the SD NaN where fewer than two days count; then
    the days counted for each hour."""
    n_days = int(day.max()) + 1
    key = day * 24 + hour
    steps = np.bincount(key, minlength=24 * n_days).reshape(n_days, 24)
    sums = np.bincount(key, values, 24 * n_days).reshape(n_days, 24)
    counted = steps >= full
    daily = np.where(counted, sums / np.maximum(steps, 1), np.nan)  # NaN: not counted
    mean, sd = mean_sd(daily, axis=0)  # NaN: an hour no day covers in full
    return mean, sd, counted.sum(axis=0)


def clock_profile(run) -> dict[str, np.ndarray]:
    """Hourly means by the room's clock time, each clock hour averaged over the days of the
    run: ``hour`` (bin centres, h), ``shed_per_h`` (cells shed per hour), ``circulating``
    (CTC cells in the blood), each ``[24]``, with ``shed_sd`` and ``circulating_sd``, the
    sample SD (ddof 1) of the daily hourly means across days (NaN with one day), and
    ``n_days``, the most days any hour is averaged over. A day runs from clock 0 h to 24 h
    (a new day where the clock wraps); hours covered only in part are left out."""
    series = run.timeseries
    clock = series["clock_h"].to_numpy()
    hour = np.floor(clock).astype(int) % 24
    day = np.concatenate([[0], np.cumsum(np.diff(clock) < 0)])
    steps_per_h = 60.0 / float(np.median(np.diff(series.index.to_numpy())))
    full = max(int(steps_per_h), 1)  # 7-min steps: 8 or 9 to an hour, both full
    shed, shed_sd, n = _across_days(day, hour,
                                    series["ctc_shed_cells"].to_numpy() * steps_per_h, full)
    circ, circ_sd, _ = _across_days(day, hour, series["n_ctc_cells"].to_numpy(), full)
    return {"hour": np.arange(24) + 0.5, "shed_per_h": shed, "shed_sd": shed_sd,
            "circulating": circ, "circulating_sd": circ_sd, "n_days": int(n.max())}


def _with_band(ax, hour, mean, sd, style: str, color: str) -> None:
    """The hourly means as ``style`` markers and lines, a ± SD band under them (a quarter
    opaque, so that the line and the rest-phase shading show through; design choice)."""
    ax.fill_between(hour, mean - sd, mean + sd, color=color, alpha=0.25, lw=0)
    ax.plot(hour, mean, style, ms=3, color=color)


def draw_ctc(ax, run, frame: int | None = None) -> None:
    """By clock time (h), the rest phase shaded: CTC cells shed per hour and, in a panel of
    its own below, the CTC cells circulating; each hour's mean over the days, with a ± SD
    band across days (sample SD) when the run spans more than one."""
    prof = clock_profile(run)
    c = run.config.get("circadian", {})
    onset, duration = float(c.get("rest_onset_h", 23.0)), float(c.get("rest_duration_h", 8.0))
    end = onset + duration
    top, bottom = stack_axes(ax, 2)
    for panel in (top, bottom):
        for start, stop in ((onset, min(end, 24.0)), (0.0, max(end - 24.0, 0.0))):
            if stop > start:
                panel.axvspan(start, stop, color=REST_SHADE, lw=0)
    _with_band(top, prof["hour"], prof["shed_per_h"], prof["shed_sd"], "o-",
               OKABE_ITO["reddish_purple"])
    top.set(ylabel="shed (cells/h)", ylim=(0, None), xlim=(0, 24),
            title="CTC shedding by clock time")
    _with_band(bottom, prof["hour"], prof["circulating"], prof["circulating_sd"], "s-",
               OKABE_ITO["black"])
    bottom.set(xlabel="clock time (h)", ylabel="circulating\n(cells)", ylim=(0, None),
               xticks=range(0, 25, 4))
    handles = [Patch(color=REST_SHADE, label="rest phase")]
    if np.isfinite(prof["shed_sd"]).any():
        handles.append(Patch(color=OKABE_ITO["reddish_purple"], alpha=0.25,
                             label=f"± SD across\n{prof['n_days']} days"))
    legend_right(top, handles)


def draw_field(ax, run, frame: int = -1, *, name: str) -> None:
    """The map of field ``name`` in its declared style, with the vessels."""
    spec = declared_field(name)
    frame = run.frame_index(frame)
    extent = map_extent(run.x_um, run.y_um)
    im = ax.imshow(np.asarray(run.field(name, frame)), origin="lower", extent=extent,
                   cmap=spec.style.cmap, vmin=0, vmax=colour_max(run, spec, [frame]))
    _colorbar(ax, im, field_label(run, name))
    mark_vessels(ax, map_vessels(run), run.x_um, run.y_um)
    legend_below(ax, site_handles()[:1], ncols=1)
    ax.set_title(f"{spec.style.title}, {_frame_label(run, frame)}")
    frame_map(ax, "white")


KINDS: dict[str, Callable] = {"tissue": draw_tissue, "populations": draw_populations,
                              "radial": draw_radial, "sasp": draw_sasp,
                              "immune": draw_immune, "ctc": draw_ctc}
"""The built-in figure kinds: kind → drawing function ``(ax, run, frame)``."""


def figure_kinds() -> dict[str, Callable]:
    """Every figure kind: :data:`KINDS`, then one per declared field whose style asks for a
    figure (:func:`draw_field`, under the field's name)."""
    fields = {spec.name: functools.partial(draw_field, name=spec.name)
              for spec in field_specs() if spec.style.figure}
    return KINDS | fields


def drawable_kinds(run) -> list[str]:
    """The kinds this run has the data for (sasp: a SASP field; immune: immune cells,
    neutrophils or platelets; ctc: the shedding and clock series; a field's own kind: that
    field)."""
    kinds = ["tissue", "populations", "radial"]
    if "sasp" in run.field_names:
        kinds.append("sasp")
    if set(AGENT_TABLES) & set(run.event_tables):
        kinds.append("immune")
    if {"ctc_shed_cells", "clock_h"} <= set(run.timeseries_columns):
        kinds.append("ctc")
    return kinds + [kind for kind in figure_kinds() if kind not in KINDS
                    and kind in run.field_names]


def available_kinds(run) -> list[str]:
    """The standard set of a run: the drawable kinds, less a SASP field that stayed zero and
    a shedding series that shed nothing."""
    series = run.timeseries
    empty = {"sasp": "sasp_max" in series and series["sasp_max"].max() <= 0,
             "ctc": "ctc_shed_cells" in series and series["ctc_shed_cells"].sum() == 0}
    return [kind for kind in drawable_kinds(run) if not empty.get(kind, False)]


def check_plot_request(out_path: str | Path, kinds: Sequence[str] | None) -> None:
    """Raise ValueError for an output format or a kind this module cannot make (before
    anything is read or written)."""
    suffix = Path(out_path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"output {str(out_path)!r}: format {suffix or '(none)'!r} not "
                         f"supported; allowed: {', '.join(FORMATS)}")
    known = figure_kinds()
    for kind in kinds or ():
        if kind not in known:
            raise ValueError(f"kind {kind!r} unknown; allowed: {', '.join(known)}")


def build_figure(run, kinds: Sequence[str], frame: int, width: str = "double") -> Figure:
    """The figure of ``kinds`` of open run ``run`` at ``frame`` (an index), ``width``
    (``"single"`` or ``"double"``, :mod:`abm.viz.journal`) wide; panels lettered (a), (b), …
    when there are several, in rows of up to :data:`COLUMNS` panels. More kinds than
    :func:`max_kinds` (a figure deeper than a journal allows) raise ValueError."""
    fit = max_kinds(width)
    if len(kinds) > fit:
        other = " or width 'double'" if width == "single" else ""
        raise ValueError(
            f"{len(kinds)} kinds ({', '.join(kinds)}) do not fit one {width}-column figure: "
            f"at most {fit} fit within the {MAX_HEIGHT_MM:g} mm a journal figure may be deep; "
            f"choose up to {fit} (--kind){other}, or make several figures")
    ncols = min(COLUMNS[width], len(kinds))
    nrows = -(-len(kinds) // ncols)
    with journal_style():
        fig = Figure(figsize=(width_inches(width), ROW_INCHES[width] * nrows + TITLE_INCHES),
                     layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        draw = figure_kinds()
        for i, (ax, kind) in enumerate(zip(axes, kinds)):
            draw[kind](ax, run, frame)
            if len(kinds) > 1:
                letter_panel(ax, chr(ord("a") + i))
        for ax in axes[len(kinds):]:
            ax.set_visible(False)
        fig.suptitle(f"{run.scenario} (seed {run.seed})")
        fix_tick_sizes(fig)
    return fig


def save_figure(fig: Figure, out_path: Path, dpi: int) -> Path:
    """Write ``fig`` to ``out_path`` (format from the suffix) complete or not at all, at its
    own size (never cropped: the width stays the journal's)."""
    with journal_style():
        return write_atomically(out_path, lambda tmp: fig.savefig(
            tmp, dpi=dpi, format=out_path.suffix[1:].lower()))


def plot(run_path: str | Path, out_path: str | Path, kinds: Sequence[str] | None = None,
         frame: int = -1, dpi: int = PNG_DPI, *, width: str = "double",
         overwrite: bool = False) -> Path:
    """Render figure ``kinds`` (default: the run's standard set, :func:`available_kinds`) of
    run file ``run_path`` at ``frame`` (negative counts from the end) to ``out_path`` (.png,
    .pdf or .svg) at journal column ``width`` (``"single"``: 89 mm, ``"double"``: 183 mm;
    :func:`build_figure`); a png at ``dpi`` pixels per inch (:data:`abm.viz.journal.PNG_DPI`).
    Returns the path. A kind the run has no data for (e.g. ``ctc`` without shedding), or
    more kinds than :func:`max_kinds` of ``width``, raise ValueError; an existing
    ``out_path`` without ``overwrite`` raises :class:`abm.errors.OutputError`. The file is
    written complete or not at all (:func:`abm.outputs.write_atomically`)."""
    check_plot_request(out_path, kinds)
    width_inches(width)  # an unknown width fails before anything is read
    out_path = Path(out_path)
    check_output(out_path, overwrite=overwrite, what="figure")
    with load_run(run_path) as run:
        frame = run.frame_index(frame)
        have = drawable_kinds(run)
        kinds = list(kinds) if kinds else available_kinds(run)
        missing = [k for k in kinds if k not in have]
        if missing:
            raise ValueError(f"kind {missing[0]!r}: {run.path.name} has no data for it; "
                             f"available: {', '.join(have)}")
        fig = build_figure(run, kinds, frame, width)
    return save_figure(fig, out_path, dpi)
