"""Publication figures from run files: one drawing function per figure kind, each drawing on
a matplotlib ``Axes`` from an open :class:`abm.io.Run`, and :func:`plot`, which renders one
kind or the standard set to a png, pdf or svg file.

Kinds (:data:`KINDS`):

- ``tissue``: cell phases over the oxygen field, vessels, the hypoxic contour, a scale bar;
- ``populations``: tumour cells by phase over time (days) and the hypoxic fraction;
- ``radial``: O2 (mmHg) and the share of sites in each phase against the distance from the
  tumour's centre (µm);
- ``sasp``: the inflammatory SASP field with the senescent cells on it;
- ``immune``: the agents over the tumour: CD8 T and NK cells (``events/immune_cells``),
  neutrophils and NETs (``events/neutrophils``), platelet aggregates (``events/platelets``);
- ``ctc``: CTC shedding and circulating counts against clock time (hourly means);
- a registered field whose style asks for a figure (:class:`abm.fields.specs.PlotStyle`,
  :mod:`abm.extend`): its map, under the field's name.

All drawing happens after a run, from its file, with colour-blind-safe colours (Okabe & Ito
2008; ``viridis``/``cividis``/``magma`` maps) and units on every axis::

    from abm.viz import plot
    plot("outputs/quickstart.h5", "fig.pdf")                      # the standard set
    plot("outputs/quickstart.h5", "radial.svg", kinds=["radial"], frame=10)

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
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.tumor.cells import PHASES
from abm.io import load_run
from abm.io.outputs import check_output, write_atomically
from abm.viz.raster import (AGENT_TABLES, agent_positions, lattice_index, map_extent,
                            phase_codes, phase_image)
from abm.fields.solutes import field_specs
from abm.viz.style import (AGENT_STYLES, PHASE_COLORS, VESSEL_COLOR, add_scale_bar, agent_marker,
                           colour_max, declared_field, nice_length)

FORMATS = (".png", ".pdf", ".svg")
REST_SHADE = "0.9"
O2_LINE = "#009E73"  # Okabe–Ito bluish green: no phase uses it


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


def _map_axes(ax, run, bar_color: str) -> None:
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    x0, x1 = ax.get_xlim()
    add_scale_bar(ax, nice_length(x1 - x0), color=bar_color)


def _tumour_cells(cells):
    if "kind" in cells:
        return cells[cells["kind"].astype(str).to_numpy() == "tumor"]
    return cells


def _phase_legend(ax, codes: np.ndarray, extra=()) -> None:
    present = set(codes.tolist())
    handles = [Patch(color=PHASE_COLORS[name], label=name) for name, code in PHASES.items()
               if code in present]
    ax.legend(handles=handles + list(extra), fontsize=7, loc="upper right", framealpha=0.8)


# ---------------------------------------------------------------------------- kinds
def draw_tissue(ax, run, frame: int = -1) -> None:
    """Cell phases over the O2 field (mmHg, grey scale), vessels, the hypoxic contour."""
    fig = ax.figure
    oxygen = np.asarray(run.field("oxygen", frame))
    extent = map_extent(run.x_um, run.y_um)
    im = ax.imshow(oxygen, origin="lower", extent=extent, cmap="cividis", vmin=0,
                   vmax=float(run.config["oxygen"]["vessel_mmHg"]))
    fig.colorbar(im, ax=ax, label=field_label(run, "oxygen"), shrink=0.8)
    cells = _tumour_cells(run.cells(frame))
    vessels = map_vessels(run)
    image = phase_image(cells, run.x_um, run.y_um, vessels)
    occupied = vessels.copy()  # drawn opaque; empty tissue lets the O2 field show
    iy, ix = lattice_index(cells, run.x_um, run.y_um)
    occupied[iy, ix] = True
    rgba = np.concatenate([image, occupied[..., None].astype(np.float32)], axis=-1)
    ax.imshow(rgba, origin="lower", extent=extent, interpolation="nearest")
    hypoxic = float(run.config["oxygen"]["hypoxic_mmHg"])
    x_mm, y_mm = run.x_um / 1000, run.y_um / 1000
    extra = [Patch(color=VESSEL_COLOR, label="vessel")]
    if oxygen.min() < hypoxic < oxygen.max():
        ax.contour(x_mm, y_mm, oxygen, levels=[hypoxic], colors="white", linewidths=0.8,
                   linestyles="--")
        extra.append(Line2D([], [], color="white", ls="--", label=f"{hypoxic:g} mmHg"))
    _phase_legend(ax, phase_codes(cells), extra)
    ax.set_title(f"cell phases over O$_2$, {_frame_label(run, frame)}, {len(cells):,} cells")
    _map_axes(ax, run, "white")


def draw_populations(ax, run, frame: int | None = None) -> None:
    """Tumour cells by phase over time (days); hypoxic fraction of viable cells (dashed,
    right axis)."""
    series = run.timeseries
    days = series.index.to_numpy() / 1440
    ax.plot(days, series["n_tumor"], color="0.2", lw=2, label="all tumour cells")
    for name in PHASES:
        column = f"n_{name}"
        if column in series and series[column].max() > 0:
            ax.plot(days, series[column], color=PHASE_COLORS[name], lw=1.5, label=name)
    ax.set(xlabel="time (days)", ylabel="cells", title="population by phase")
    handles, labels = ax.get_legend_handles_labels()
    if "hypoxic_fraction" in series:
        twin = ax.twinx()
        twin.plot(days, series["hypoxic_fraction"], "--", color="#0072B2", lw=1.2)
        twin.set(ylim=(0, 1), ylabel="hypoxic fraction of viable cells")
        handles.append(Line2D([], [], ls="--", color="#0072B2"))
        labels.append("hypoxic fraction")
    ax.legend(handles, labels, fontsize=7, loc="upper left")


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
    """Share of sites by phase (stacked, left axis) and O2 (mmHg, right axis) against the
    distance from the tumour's centre (µm)."""
    prof = radial_profiles(run, frame)
    r = prof["r_um"]
    names = [n for n in PHASES if prof[n].max() > 0]
    ax.stackplot(r, *[prof[n] for n in names], colors=[PHASE_COLORS[n] for n in names],
                 labels=names, alpha=0.9)
    ax.set(xlabel="distance from tumour centre (µm)", ylabel="share of sites",
           ylim=(0, 1.05), xlim=(0, r[-1]), title=f"radial profiles, {_frame_label(run, frame)}")
    twin = ax.twinx()
    twin.plot(r, prof["oxygen"], color=O2_LINE, lw=1.8)
    hypoxic = float(run.config["oxygen"]["hypoxic_mmHg"])
    twin.axhline(hypoxic, color=O2_LINE, ls=":", lw=0.8)
    twin.set(ylabel="O$_2$ (mmHg)", ylim=(0, None))
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color=O2_LINE, lw=1.8), Line2D([], [], color=O2_LINE, ls=":")]
    labels += ["O$_2$", f"{hypoxic:g} mmHg"]
    ax.legend(handles, labels, fontsize=7, loc="center right")


def draw_sasp(ax, run, frame: int = -1) -> None:
    """The inflammatory SASP field (network units) with the senescent cells (pink dots)."""
    spec = declared_field("sasp")
    sasp = np.asarray(run.field("sasp", frame))
    im = ax.imshow(sasp, origin="lower", extent=map_extent(run.x_um, run.y_um),
                   cmap=spec.style.cmap,
                   vmin=0, vmax=max(float(sasp.max()), 1e-3))  # an all-zero field stays black
    ax.figure.colorbar(im, ax=ax, label=field_label(run, "sasp"), shrink=0.8)
    cells = _tumour_cells(run.cells(frame))
    senescent = cells[phase_codes(cells) == PHASES["senescent"]]
    ax.plot(senescent["x"] / 1000, senescent["y"] / 1000, ".", ms=2,
            color=PHASE_COLORS["senescent"], label=f"senescent ({len(senescent):,})")
    if len(senescent):
        ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"{spec.style.title}, {_frame_label(run, frame)}")
    _map_axes(ax, run, "white")


def draw_immune(ax, run, frame: int = -1) -> None:
    """The agents at ``frame`` over the tumour (grey): CD8 T and NK cells (dots),
    neutrophils (triangles), NETs (crosses) and platelet aggregates (squares), those the
    run has (:data:`abm.viz.style.AGENT_STYLES`), each counted in the legend."""
    extent = map_extent(run.x_um, run.y_um)
    cells = _tumour_cells(run.cells(frame))
    occupied = np.zeros((len(run.y_um), len(run.x_um)), dtype=np.float32)
    iy, ix = lattice_index(cells, run.x_um, run.y_um)
    occupied[iy, ix] = 1.0
    ax.imshow(occupied, origin="lower", extent=extent, cmap="Greys", vmin=0, vmax=2.5,
              interpolation="nearest")
    time_min = float(run.frame_times[frame])
    groups = agent_positions(run)
    for group, positions in groups.items():
        xy = positions.at(time_min)
        ax.plot(xy[:, 0], xy[:, 1], linestyle="none", ms=3,
                label=f"{AGENT_STYLES[group].label} ({len(xy):,})",
                **agent_marker(AGENT_STYLES[group]))
    if groups:
        ax.legend(fontsize=7, loc="upper right")
    else:
        ax.text(0.5, 0.5, "no immune cells in this run", transform=ax.transAxes,
                ha="center", va="center")
    ax.set_title(f"immune infiltration, {_frame_label(run, frame)}")
    _map_axes(ax, run, "black")


def clock_profile(run) -> dict[str, np.ndarray]:
    """Hourly means by the room's clock time: ``hour`` (bin centres, h), ``shed_per_h``
    (cells shed per hour) and ``circulating`` (CTC cells in the blood)."""
    series = run.timeseries
    hour = np.floor(series["clock_h"].to_numpy()).astype(int) % 24
    steps = np.bincount(hour, minlength=24).astype(np.float64)
    steps_per_h = 60.0 / float(np.median(np.diff(series.index.to_numpy())))
    with np.errstate(invalid="ignore", divide="ignore"):
        shed = np.bincount(hour, series["ctc_shed_cells"].to_numpy(), 24) / steps * steps_per_h
        circ = np.bincount(hour, series["n_ctc_cells"].to_numpy(), 24) / steps
    return {"hour": np.arange(24) + 0.5, "shed_per_h": shed, "circulating": circ}


def draw_ctc(ax, run, frame: int | None = None) -> None:
    """CTC cells shed per hour and circulating, by clock time (h), the rest phase shaded."""
    prof = clock_profile(run)
    c = run.config.get("circadian", {})
    onset, duration = float(c.get("rest_onset_h", 23.0)), float(c.get("rest_duration_h", 8.0))
    end = onset + duration
    for start, stop in ((onset, min(end, 24.0)), (0.0, max(end - 24.0, 0.0))):
        if stop > start:
            ax.axvspan(start, stop, color=REST_SHADE, lw=0)
    ax.plot(prof["hour"], prof["shed_per_h"], "o-", color="#CC79A7", label="shed (cells/h)")
    ax.plot(prof["hour"], prof["circulating"], "s-", color="#000000",
            label="circulating (cells)")
    ax.set(xlabel="clock time (h; grey: rest phase)", ylabel="CTC cells", xlim=(0, 24),
           xticks=range(0, 25, 4), title="CTC shedding by clock time")
    ax.legend(fontsize=7)


def draw_field(ax, run, frame: int = -1, *, name: str) -> None:
    """The map of field ``name`` in its declared style, with the vessels (dots)."""
    spec = declared_field(name)
    frame = run.frame_index(frame)
    extent = map_extent(run.x_um, run.y_um)
    im = ax.imshow(np.asarray(run.field(name, frame)), origin="lower", extent=extent,
                   cmap=spec.style.cmap, vmin=0, vmax=colour_max(run, spec, [frame]))
    ax.figure.colorbar(im, ax=ax, label=field_label(run, name), shrink=0.8)
    vy, vx = np.nonzero(map_vessels(run))
    ax.plot(run.x_um[vx] / 1000, run.y_um[vy] / 1000, "o", ms=1.5, color=VESSEL_COLOR)
    ax.set_title(f"{spec.style.title}, {_frame_label(run, frame)}")
    _map_axes(ax, run, "white")


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


def plot(run_path: str | Path, out_path: str | Path, kinds: Sequence[str] | None = None,
         frame: int = -1, dpi: int = 200, *, overwrite: bool = False) -> Path:
    """Render figure ``kinds`` (default: the run's standard set, :func:`available_kinds`) of run file
    ``run_path`` at ``frame`` (negative counts from the end) to ``out_path`` (.png, .pdf or
    .svg; panels lettered (a), (b), … in a grid of up to three columns). Returns the path.
    A kind the run has no data for (e.g. ``ctc`` without shedding) raises ValueError; an
    existing ``out_path`` without ``overwrite`` raises :class:`abm.errors.OutputError`. The
    file is written complete or not at all (:func:`abm.outputs.write_atomically`)."""
    check_plot_request(out_path, kinds)
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
        ncols = min(3, len(kinds))
        nrows = -(-len(kinds) // ncols)
        fig = Figure(figsize=(5.6 * ncols, 4.6 * nrows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        draw = figure_kinds()
        for i, (ax, kind) in enumerate(zip(axes, kinds)):
            draw[kind](ax, run, frame)
            if len(kinds) > 1:
                ax.set_title(f"({chr(ord('a') + i)}) {ax.get_title()}")
        for ax in axes[len(kinds):]:
            ax.set_visible(False)
        fig.suptitle(f"{run.scenario} (seed {run.seed})")
    return write_atomically(out_path, lambda tmp: fig.savefig(tmp, dpi=dpi,
                                                              format=out_path.suffix[1:].lower()))
