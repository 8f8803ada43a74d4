"""``FieldSpec``: the declaration of one diffusing field, and ``PlotStyle``, how it is drawn.

A field is declared once (the built-in ones in :mod:`abm.fields.solutes`, plugin ones through
:func:`abm.extend.register_field`); which fields a config solves, their initial values, the
cell column each is gathered into, the run file's field units and long names, the time-series
reporters, the movie panels and the figure styles are derived from the declarations.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MEAN_TISSUE, MEAN_VIABLE, MAX = "mean_tissue", "mean_viable", "max"
"""Statistics a field can report each step (:attr:`FieldSpec.reporters`): the mean over all
sites; the mean of its gathered column over viable (non-necrotic) live cells; the maximum
over all sites. Reported as ``<report_as>_<statistic>``; 0 while the field is not solved
(``mean_viable`` reads the column, which exists either way) or no cell is viable."""

VMAX_MAX, VMAX_VESSEL = "max", "vessel"
"""Upper colour limit of a field's map (:attr:`PlotStyle.vmax`): the largest value over the
frames shown, or the value at vessel sites (the field's largest, for a field with uptake
only: read from the run's config, no field data needed)."""


@dataclass(frozen=True)
class PlotStyle:
    """How maps of a field are drawn (movie panels, figures).

    Attributes:
        title: panel title.
        cmap: matplotlib colour map (perceptually uniform and colour-blind safe).
        label: colour-bar label; None: ``"<title> (<units stored in the run>)"``.
        vmax: :data:`VMAX_MAX` or :data:`VMAX_VESSEL`; the lower limit is 0.
        figure: ``abm plot`` offers a map of the field as a figure kind named after it (the
            built-in fields appear in the figures made for them instead).
    """

    title: str
    cmap: str = "magma"
    label: str | None = None
    vmax: str = VMAX_MAX
    figure: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """One diffusing field: D∇²C − (k + λ)C + S = ∂C/∂t on the lattice, vessels held at a
    fixed value (the multigrid solver of :mod:`abm.fields.multigrid`).

    Attributes:
        name: key of ``model.fields`` and ``model.solutes``, ``fields/<name>`` of the run
            file, movie panel name.
        unit: of the field values (the run file's ``units`` attribute).
        long_name: descriptive name (``long_name`` of :meth:`abm.io.Run.field_array`).
        coupling: ``coupling(config, spec) -> (site_rate, site_secretion)``: per-phase
            first-order uptake (min⁻¹) float64 ``[len(PHASES)]`` of a site holding a cell in
            each phase, and production (units/min) float64 ``[len(PHASES),
            len(SENESCENCE_ROUTES)]`` of a site by phase and senescence route, or None
            (nothing secretes); None: no first-order uptake and no secretion.
        style: how it is drawn.
        section: config section with its solver settings (``diffusivity_um2_per_min``,
            ``decay_per_min``, ``rtol``, ``max_cycles``, ``initial``, and ``field`` when
            ``optional``); default: ``name``.
        column: cell-table column its local value is gathered into each step, or None.
        optional: solved only when ``<section>.field`` is true (else always).
        vessel_key: key of the section holding the value at vessel sites, also the initial
            value everywhere; None: 0 (vessels drain it; it starts at 0).
        secreted: secreted by cells (a senomorphic drug scales its secretion).
        reporters: statistics reported each step, in this order (:data:`MEAN_TISSUE`,
            :data:`MEAN_VIABLE`, :data:`MAX`).
        report_as: prefix of its reporters; default: ``name``.
        cycles_reporter: reporter of the solver's V-cycles in the step, or None.
        saturating: ``saturating(config, fields) -> SaturatingUptake``
            (:mod:`abm.fields.metabolism`; ``fields`` the run's maps, name → ``[ny, nx]``):
            the cells' Michaelis–Menten uptake, ``fill(cells, out)`` writing the per-site
            maximal rate (units/min) and ``km`` (units); None: none.
        medium_key: key of ``[medium]`` with the field's value in culture medium
            (:mod:`abm.fields.medium`); None: 0.
        agents: secreted by agents other than tumour cells: the process that owns them
            writes its per-site production (units/min) into the solute's ``agent_source``
            each step, which the next solve adds (e.g. neutrophils' IL-6,
            :mod:`abm.myeloid`).
    """

    name: str
    unit: str
    long_name: str
    coupling: Callable | None
    style: PlotStyle
    section: str = ""
    column: str | None = None
    optional: bool = True
    vessel_key: str | None = None
    secreted: bool = False
    reporters: tuple[str, ...] = field(default=())
    report_as: str = ""
    cycles_reporter: str | None = None
    saturating: Callable | None = None
    medium_key: str | None = None
    agents: bool = False

    def __post_init__(self):
        object.__setattr__(self, "section", self.section or self.name)
        object.__setattr__(self, "report_as", self.report_as or self.name)
        unknown = set(self.reporters) - {MEAN_TISSUE, MEAN_VIABLE, MAX}
        if unknown or (MEAN_VIABLE in self.reporters and self.column is None):
            raise ValueError(f"field {self.name!r}: reporters {self.reporters} (known: "
                             f"{MEAN_TISSUE}, {MEAN_VIABLE} with a column, {MAX})")
        if self.style.vmax not in (VMAX_MAX, VMAX_VESSEL) or (
                self.style.vmax == VMAX_VESSEL and self.vessel_key is None):
            raise ValueError(f"field {self.name!r}: style.vmax {self.style.vmax!r} (known: "
                             f"{VMAX_MAX}, {VMAX_VESSEL} with a vessel_key)")

    def settings(self, config):
        """The config section with this field's solver settings."""
        return getattr(config, self.section)

    def enabled(self, config) -> bool:
        """Whether a run of ``config`` solves this field."""
        return not self.optional or bool(self.settings(config).field)

    def vessel_value(self, config) -> float:
        """The value at vessel sites (and the initial value) under ``config``."""
        return 0.0 if self.vessel_key is None else float(getattr(self.settings(config),
                                                                 self.vessel_key))

    def reporter_names(self) -> list[str]:
        """Its time-series reporters, in order."""
        return [f"{self.report_as}_{stat}" for stat in self.reporters]

    def label(self, units: str) -> str:
        """Colour-bar label of its maps, given the units stored in a run."""
        return self.style.label or f"{self.style.title} ({units})"
