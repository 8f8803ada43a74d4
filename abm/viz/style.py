"""Shared plotting conventions: the colour palette, colour-blind-safe phase colours, the
empty-site, tumour, vessel and line colours of figures and movies alike, a scale
bar, and the maps of declared fields (style and colour limits from their
:class:`abm.fields.specs.FieldSpec`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch, Rectangle

from abm.fields.solutes import field_spec
from abm.fields.specs import VMAX_VESSEL, FieldSpec, PlotStyle
from abm.tumor.cells import PHASES
from abm.viz.journal import SMALL_PT
from abm.viz.spread import mean_sd


OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "bluish_green": "#009E73",
             "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "sky_blue": "#56B4E9",
             "yellow": "#F0E442", "black": "#000000"}
"""Okabe & Ito (2008) colour-universal-design palette (colour-blind safe), the project's
colours; in this order it is the cycle of categorical plots (black last: the text colour)."""
PHASE_COLORS = {
    "proliferating": OKABE_ITO["orange"],
    "quiescent": OKABE_ITO["sky_blue"],
    "dormant": OKABE_ITO["blue"],
    "senescent": OKABE_ITO["reddish_purple"],
    "apoptotic": OKABE_ITO["yellow"],
    "necrotic": OKABE_ITO["black"],
}
VESSEL_COLOR = OKABE_ITO["vermillion"]
EMPTY_COLOR = "#EDEDED"
"""A lattice site without a tumour cell (host tissue around the tumour, the cleared necrotic
core), on maps of figures and movies alike: a light neutral grey, so that an empty core
never reads as a phase or as a low field value (design choice)."""
TISSUE_COLOR = EMPTY_COLOR
"""The background of a tissue map: its empty sites (:data:`EMPTY_COLOR`)."""
TUMOUR_COLOR = "#BDBDBD"
"""A tumour cell of any phase, where a map shows other things on the tumour (the immune
figure's agents): a mid grey between the empty sites and the agents (design choice)."""
ACCENT_COLOR = OKABE_ITO["bluish_green"]
"""The one Okabe–Ito hue no phase, vessel or empty site uses, for what must stand apart from
them: the line of all tumour cells together (dashed), the hypoxic O2 contour on the phase
map and the O2 line of the radial profile (never two of them in one panel)."""
HYPOXIA_COLOR = OKABE_ITO["blue"]
"""The hypoxic fraction's line (a panel of its own)."""
VESSEL_MIN_PT = 1.5
"""Vessels are painted as their lattice sites and marked with a square of this side (points
at print size) so that none shrinks below it on paper (design choice: a site of a 200-site
map in a 2.4-in panel is 0.9 pt)."""
MIN_DELTA_E = 15.0
"""The smallest CIELAB ΔE*ab allowed between two colours that must be told apart (phases,
vessel, empty site; the lines of the population panel; agents and what they lie on), under
normal vision and each dichromacy (:mod:`abm.viz.colour_vision`): about six
just-noticeable differences, so that small patches and thin lines stay apart (design
choice)."""


@dataclass(frozen=True)
class AgentStyle:
    """How one kind of agent is marked on a map: legend ``label``, ``color`` (Okabe–Ito),
    matplotlib ``marker``; ``edge``: outline the marker in black (a filled marker stays
    visible on a cell or vessel of its own colour)."""

    label: str
    color: str
    marker: str
    edge: bool = True


AGENT_STYLES = {
    "cd8": AgentStyle("CD8", OKABE_ITO["bluish_green"], "o"),
    "nk": AgentStyle("NK", OKABE_ITO["vermillion"], "o"),  # outlined: vessels share it
    "neutrophil": AgentStyle("neutrophil", OKABE_ITO["blue"], "^"),
    "net": AgentStyle("NET", OKABE_ITO["black"], "x", edge=False),  # lines: no face to outline
    "platelet": AgentStyle("platelet aggregate", OKABE_ITO["yellow"], "s"),
}
"""Markers of the agents drawn over maps (figures and movies), by group: the immune cells
(``events/immune_cells``: CD8, NK), the walking neutrophils and the NETs
(``events/neutrophils``, by ``net``) and the platelet aggregates (``events/platelets``).
Neutrophils, NETs and aggregates differ from the immune cells' dots (and from each other)
in shape as well as colour; filled markers are outlined in black, so that a marker on a
cell or vessel of its own colour stays visible."""


def agent_marker(style: AgentStyle) -> dict:
    """Keyword arguments of ``Axes.plot`` (or ``Line2D``) that draw markers in ``style``."""
    if style.edge:
        return {"marker": style.marker, "color": style.color, "markeredgecolor": "black",
                "markeredgewidth": 0.4}
    return {"marker": style.marker, "color": style.color, "markeredgecolor": style.color,
            "markeredgewidth": 1.0}


def phase_handles(present_codes=None) -> list[Patch]:
    """Legend entries of the phases in :data:`PHASE_COLORS`, in phase-code order; only those
    whose code is in ``present_codes`` (None: all)."""
    return [Patch(color=PHASE_COLORS[name], label=name) for name, code in PHASES.items()
            if present_codes is None or code in present_codes]


def site_handles() -> list[Patch]:
    """Legend entries of a map's vessel and empty sites (figures and movies alike); the
    empty site outlined, as its grey is near the page's white."""
    return [Patch(color=VESSEL_COLOR, label="vessel"),
            Patch(facecolor=EMPTY_COLOR, edgecolor="0.5", lw=0.4, label="empty site")]


def add_scale_bar(ax, length_mm: float, *, color: str = "white") -> None:
    """Draw a ``length_mm`` bar with its label in the lower-left corner of a map in mm,
    outlined in the opposite of ``color`` (black or white) so that it stays readable on any
    part of a map; label :data:`abm.viz.journal.SMALL_PT` points."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    left, bottom = x0 + 0.05 * width, y0 + 0.05 * height
    halo = "black" if to_rgb(color) == (1.0, 1.0, 1.0) else "white"
    outline = [patheffects.withStroke(linewidth=1.0, foreground=halo)]
    ax.add_patch(Rectangle((left, bottom), length_mm, 0.012 * height, facecolor=color,
                           edgecolor=halo, linewidth=0.4, zorder=5))
    label = f"{length_mm * 1000:g} µm" if length_mm < 1 else f"{length_mm:g} mm"
    ax.text(left + length_mm / 2, bottom + 0.025 * height, label, color=color, ha="center",
            va="bottom", fontsize=SMALL_PT, zorder=5, path_effects=outline)


def nice_length(extent: float) -> float:
    """A round scale-bar length of about a fifth of ``extent`` (same unit)."""
    target = extent / 5
    for candidate in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50):
        if candidate >= target:
            return candidate
    return target


def declared_field(name: str) -> FieldSpec:
    """The declaration of field ``name``; for a field this package does not declare (a
    newer run file's), one with the default style titled by its name."""
    return field_spec(name) or FieldSpec(name, "", name, coupling=None, style=PlotStyle(name))


def colour_max(run, spec: FieldSpec, frames: list[int]) -> float:
    """Upper colour limit of field ``spec`` over ``frames`` (indices).

    A field styled with ``vmax = "vessel"`` (O2, glucose: uptake only) never exceeds its
    vessel level (its fixed boundary value), so that is read from the run's config without
    reading the field; for the others the maximum over the frames is read, one frame (one
    HDF5 chunk) at a time.
    """
    if spec.style.vmax == VMAX_VESSEL:
        level = run.config.get(spec.section, {}).get(spec.vessel_key)
        if level is not None:
            return float(level)
    dataset = run.field(spec.name)
    top = max(float(np.max(dataset[f])) for f in frames)
    return top if top > 0 else 1.0  # an all-zero field (nothing secreted yet) still needs a scale


def mean_band(ax, curves, color, label, ls="-", step=False, alpha=0.2) -> None:
    """Plot the mean of ``curves`` (replicate pandas Series on one index) with a ± SD band:
    the sample SD (ddof 1, :mod:`abm.viz.spread`, as every scenario script prints;
    NaN-aware), no band for one replicate; ``step``: as steps centred on the index values."""
    stack = np.vstack([c.to_numpy(dtype=float) for c in curves])
    x = curves[0].index.to_numpy()
    mean, sd = mean_sd(stack, axis=0)
    if step:
        ax.step(x, mean, color=color, ls=ls, label=label, where="mid")
    else:
        ax.plot(x, mean, color=color, ls=ls, label=label)
    if len(curves) > 1:
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=alpha, lw=0,
                        step="mid" if step else None)


def bars_with_spread(ax, x, replicates, width, color, label=None) -> None:
    """Bars at the mean of each entry of ``replicates`` (one sequence of replicate values per
    bar, at ``x``) with ± SD error bars (the sample SD, ddof 1, as :func:`mean_band`; none for
    one replicate) and every replicate as a dot (NaN-aware). On a linear axis only: a bar's
    length means nothing on a log axis (use dots with error bars there)."""
    x = np.asarray(x, dtype=float)
    stats = [mean_sd(v) for v in replicates]
    means = [m for m, _ in stats]
    sds = [sd if np.isfinite(sd) else 0.0 for _, sd in stats]
    ax.bar(x, means, width, yerr=sds if any(sds) else None, color=color, label=label,
           capsize=2, error_kw={"lw": 0.8})
    for xi, values in zip(x, replicates):
        ax.plot(np.full(len(values), xi), values, "o", color="white", mec="black", mew=0.5,
                ms=2.5, zorder=3)


def in_days(curve):
    """A time series indexed by minutes, re-indexed in days."""
    return curve.set_axis(curve.index.to_numpy() / 1440.0)


def clock_text(time_min: float) -> str:
    """``time_min`` (min) as ``day D, hh:mm``: the time shown by movies and the viewer."""
    day, minutes = divmod(int(round(float(time_min))), 1440)
    return f"day {day}, {minutes // 60:02d}:{minutes % 60:02d}"
