"""Diffusing solutes coupled to the cells: oxygen (mmHg) and glucose (× plasma), supplied by the
vessels (or the culture medium) and consumed by the cells' metabolism (Michaelis–Menten,
:mod:`abm.fields.metabolism`), and the secreted fields — inflammatory SASP (``sasp``),
metabolic SASP (``sasp_metabolic``), both in network units, and the immune ``chemokine`` —
secreted by senescent cells with a composition set by their senescence route (the chemokine
also a little by viable tumour cells), taken up by their neighbours and drained by the
vessels.

Each :class:`Solute` couples one field to the cell table in the three moves of a step
(docs/architecture.md): scatter the cells' uptake (and secretion) onto rate maps, advance the field by one
backward-Euler step of the multigrid solver (vessels, and a medium-held edge, are Dirichlet
sites), and gather the local value into its cell-table column. First-order rates and
secretion are per phase and per cell: a site's rate is the cell's rate times the fraction of
the voxel the cell fills (cell volume / dx³; the lattice is a slab one site thick); necrotic
debris takes up nothing. O2 and glucose uptake is per cell from its ATP budget
(:mod:`abm.fields.metabolism`), as a tissue rate per site.

The built-in fields are declared once here (:data:`FIELDS`, with their couplings);
:func:`field_specs` adds the registered ones (:mod:`abm.extend`), and everything that deals
with fields (the model's field list and initial values, the reporters, the recorder, movies
and figures) derives from those declarations.
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING

import numpy as np

from abm.tumor.cells import NO_ROUTE, PHASES, SENESCENCE_ROUTES
from abm.core.columns import merge
from abm.core.reductions import masked_mean
from abm.errors import ConfigError
from abm.extend import registered_fields
from abm.fields import FieldSolver
from abm.fields.medium import Medium
from abm.fields.metabolism import glycolysis, respiration
from abm.fields.specs import MAX, MEAN_TISSUE, MEAN_VIABLE, VMAX_VESSEL, FieldSpec, PlotStyle
from abm.tumor.lattice_events import gather, scatter_by_phase, scatter_by_phase_and_route

if TYPE_CHECKING:  # annotations only: the [sasp] sections' checks import this module
    from abm.schema import Config


class Solute:
    """One vessel-supplied field and its coupling to the cells.

    Attributes:
        spec: the field's declaration (:class:`abm.fields.specs.FieldSpec`).
        name, units, column: the declaration's name, unit and gathered column (None: the
            field is read from the map, as the immune cells read the chemokine).
        settings: the config section with its solver settings.
        values: float64 ``[ny, nx]`` field.
        site_rate: float64 ``[len(PHASES)]`` first-order uptake rate (min⁻¹) of a site
            holding a cell in each phase, or None (no first-order uptake).
        site_secretion: float64 ``[len(PHASES), len(SENESCENCE_ROUTES)]`` production
            (units/min) of a site holding a cell in each phase and senescence route, or None
            (nothing secretes).
        saturating: the cells' Michaelis–Menten uptake
            (:class:`abm.fields.metabolism.SaturatingUptake`) or None; ``vmax`` its per-site
            maximal rate of this step, float64 ``[ny, nx]`` (units/min).
        sink, source: this step's first-order uptake (min⁻¹) and production (units/min) maps,
            float64 ``[ny, nx]`` (source None when nothing produces the field).
        medium: the culture medium (:class:`abm.fields.medium.Medium`) or None;
            ``medium_value`` the field's value in it.
        secretion_scale: factor on all secretion this step (a senomorphic drug lowers it).
        agent_source: float64 ``[ny, nx]`` production by agents (units/min), set by their
            process and added to every later solve (None unless ``spec.agents``).
        solver: the :class:`abm.fields.FieldSolver`; ``cycles`` the V-cycles of the last solve.
        solve_every: the field is solved in every this many steps (the section's
            ``solve_every``; 1 for a registered section without that key): see
            :meth:`due`.
    """

    def __init__(self, spec: FieldSpec, config: Config, fields: dict[str, np.ndarray],
                 vessels: np.ndarray, medium: Medium | None = None,
                 supply: np.ndarray | None = None):
        self.spec, self.name, self.units, self.column = spec, spec.name, spec.unit, spec.column
        self.settings = section = spec.settings(config)
        self.values = values = fields[spec.name]
        site_rate, site_secretion = (None, None) if spec.coupling is None else spec.coupling(
            config, spec)
        self.site_rate = (None if site_rate is None
                          else np.ascontiguousarray(site_rate, dtype=np.float64))
        self.site_secretion = (None if site_secretion is None
                               else np.ascontiguousarray(site_secretion, dtype=np.float64))
        self.saturating = None if spec.saturating is None else spec.saturating(config, fields)
        self.vmax = None if self.saturating is None else np.zeros(values.shape)
        self.sink = np.zeros(values.shape)
        self.medium = medium
        self.medium_value = 0.0 if medium is None else medium.value(config, spec)
        stirred = medium is not None and medium.stirred
        self.agent_source = np.zeros(values.shape) if spec.agents else None
        self.source = (np.zeros(values.shape)
                       if site_secretion is not None or stirred or spec.agents else None)
        fixed, fixed_value = vessels, spec.vessel_value(config)
        if supply is not None:  # poorly perfused vessels supply less (a drained field: 0 still)
            fixed_value = fixed_value * supply
        if medium is not None:
            fixed = vessels | medium.edge
            fixed_value = np.where(medium.edge, self.medium_value, fixed_value)
        self.solver = FieldSolver(values.shape, config.grid.dx_um,
                                  section.diffusivity_um2_per_min, section.decay_per_min,
                                  fixed, fixed_value, rtol=section.rtol,
                                  max_cycles=section.max_cycles, name=spec.name)
        self.cycles = 0
        self.secretion_scale = 1.0
        self.solve_every = int(getattr(section, "solve_every", 1))

    def due(self, step_index: int) -> bool:
        """Whether the step from ``step_index`` (steps taken before it) solves this field:
        the run's first step and every ``solve_every``-th after it, each advancing the field
        over the ``solve_every`` steps up to the next solve (the cells read that solution
        meanwhile); counted from the run's start, whatever step a run was resumed at."""
        return step_index % self.solve_every == 0

    def update(self, cells, dt_min: float) -> None:
        """Scatter uptake (and secretion), advance the field by ``dt_min`` (``np.inf``: to
        steady state) and gather local values into its column."""
        if self.site_rate is not None:
            scatter_by_phase(cells.hwm, cells.alive, cells.phase, cells.x, cells.y,
                             self.site_rate, self.sink)
        else:
            self.sink.fill(0.0)
        if self.site_secretion is not None:
            secretion = (self.site_secretion if self.secretion_scale == 1.0
                         else self.site_secretion * self.secretion_scale)
            scatter_by_phase_and_route(cells.hwm, cells.alive, cells.phase, cells.route,
                                       cells.x, cells.y, secretion, self.source)
        elif self.source is not None:
            self.source.fill(0.0)
        if self.agent_source is not None:
            self.source += self.agent_source
        if self.medium is not None and self.medium.stirred:
            sites, rate = self.medium.sites, self.medium.rate
            self.sink[sites] += rate
            self.source[sites] += rate * self.medium_value
        if self.saturating is None:
            info = self.solver.advance(self.values, self.sink, dt_min, self.source)
        else:
            self.saturating.fill(cells, self.vmax)
            info = self.solver.advance(self.values, self.sink, dt_min, self.source,
                                       vmax=self.vmax, km=self.saturating.km)
        self.cycles = info.cycles
        self.gather(cells)

    def skip(self, cells) -> None:
        """A step that does not solve the field: no V-cycle; the cells (which may have moved
        or divided) read the last solution."""
        self.cycles = 0
        self.gather(cells)

    def gather(self, cells) -> None:
        """Local field value at every live cell into its column (if it has one)."""
        if self.column is not None:
            gather(cells.hwm, cells.alive, cells.x, cells.y, self.values,
                   getattr(cells, self.column))


def _per_site(config: Config, per_cell_rate: float) -> float:
    return per_cell_rate * config.oxygen.cell_volume_um3 / config.grid.dx_um ** 3


def site_rates(config: Config, per_cell_rate: float) -> np.ndarray:
    """Per-phase site uptake (min⁻¹): ``per_cell_rate`` × cell volume / dx³ for viable
    phases, 0 for necrotic debris."""
    rates = np.full(len(PHASES), _per_site(config, per_cell_rate))
    rates[PHASES["necrotic"]] = 0.0
    return rates


MAX_ROUTE_FACTOR = 100.0
"""Largest secretion factor of a senescence route, relative to the section's rate. Design
choice: two orders of magnitude above the classical route's 1, far beyond any measured
difference between routes, and small enough that rate × factor stays finite."""


def route_factors(section, key: str) -> np.ndarray:
    """Secretion factor per senescence route, float64 ``[len(SENESCENCE_ROUTES)]``: the
    section's ``route_secretion`` over its defaults (routes not named keep theirs); a
    senescent cell without a route (set by hand) secretes as the classical route.

    Raises ConfigError naming ``key`` for an unknown route name."""
    defaults = next(f.default_factory() for f in dataclass_fields(section)
                    if f.name == "route_secretion")
    given = section.route_secretion
    unknown = sorted(set(given) - set(SENESCENCE_ROUTES) | ({"none"} & set(given)))
    if unknown:
        allowed = ", ".join(r for r in SENESCENCE_ROUTES if r != "none")
        raise ConfigError(f"{key}.route_secretion: unknown route(s) {unknown}; routes are "
                          f"{allowed}")
    bad = [f"{key}.route_secretion.{name} = {value!r}: must be in [0, {MAX_ROUTE_FACTOR:g}]"
           for name, value in given.items() if not 0.0 <= value <= MAX_ROUTE_FACTOR]
    if bad:
        raise ConfigError("; ".join(bad), problems=bad)
    factors = np.zeros(len(SENESCENCE_ROUTES))
    for name, value in (defaults | given).items():
        factors[SENESCENCE_ROUTES[name]] = value
    factors[NO_ROUTE] = factors[SENESCENCE_ROUTES["geroconversion"]]  # made senescent by hand
    return factors


def senescent_secretion(config: Config, key: str) -> np.ndarray:
    """Site production (units/min) [phase, route] of secreted field ``key``: the section's
    ``secretion_per_min`` × cell volume / dx³ × the route's factor for senescent cells, and
    × ``tumor_secretion_factor`` (where the section has one) for viable non-senescent cells."""
    section = getattr(config, key)
    per_site = _per_site(config, section.secretion_per_min)
    rates = np.zeros((len(PHASES), len(SENESCENCE_ROUTES)))
    rates[PHASES["senescent"], :] = per_site * route_factors(section, key)
    tumor_factor = getattr(section, "tumor_secretion_factor", 0.0)
    for phase in ("proliferating", "quiescent", "dormant"):
        rates[PHASES[phase], NO_ROUTE] = per_site * tumor_factor
    return rates


def uptake(config: Config, spec: FieldSpec) -> tuple[np.ndarray, None]:
    """Coupling of a field that cells only take up, first order: ``<section>.uptake_per_min``
    per cell (the built-in O2 and glucose uptake is saturating instead:
    :mod:`abm.fields.metabolism`)."""
    return site_rates(config, spec.settings(config).uptake_per_min), None


def uptake_and_secretion(config: Config, spec: FieldSpec) -> tuple[np.ndarray, np.ndarray]:
    """Coupling of a secreted field: uptake as :func:`uptake`, production by
    :func:`senescent_secretion`."""
    return (site_rates(config, spec.settings(config).uptake_per_min),
            senescent_secretion(config, spec.section))


FIELDS = (
    FieldSpec("oxygen", "mmHg", "oxygen partial pressure", None,
              PlotStyle("oxygen", cmap="viridis", label="O$_2$ (mmHg)", vmax=VMAX_VESSEL), column="oxygen",
              optional=False, vessel_key="vessel_mmHg", reporters=(MEAN_TISSUE, MEAN_VIABLE),
              report_as="o2", cycles_reporter="solver_cycles", saturating=respiration,
              medium_key="oxygen_mmHg"),
    FieldSpec("glucose", "× plasma", "glucose concentration", None,
              PlotStyle("glucose", cmap="cividis", label="glucose (fraction of plasma)",
                        vmax=VMAX_VESSEL),
              column="glucose", vessel_key="vessel_level", reporters=(MEAN_VIABLE,),
              cycles_reporter="glucose_solver_cycles", saturating=glycolysis,
              medium_key="glucose_level"),
    FieldSpec("sasp", "network units", "inflammatory SASP", uptake_and_secretion,
              PlotStyle("SASP"), column="sasp", secreted=True, reporters=(MEAN_VIABLE, MAX)),
    FieldSpec("sasp_metabolic", "network units", "metabolic SASP", uptake_and_secretion,
              PlotStyle("metabolic SASP"), column="sasp_metabolic", secreted=True,
              reporters=(MEAN_VIABLE,)),
    FieldSpec("chemokine", "chemokine units", "chemokine", uptake_and_secretion,
              PlotStyle("chemokine"), secreted=True, reporters=(MAX,)),
    FieldSpec("il6", "IL-6 units", "IL-6/IL-1β from neutrophils", uptake,
              PlotStyle("IL-6/IL-1β", cmap="inferno"), column="il6", agents=True,
              reporters=(MAX,)),
    FieldSpec("tgfb", "TGF-β units", "TGF-β from platelets", uptake,
              PlotStyle("TGF-β", cmap="cividis"), column="tgfb", agents=True,
              reporters=(MEAN_VIABLE, MAX)),
)
"""The built-in fields, in solve order (also the order of the run file's field units)."""

SECRETED_FIELDS = tuple(spec.name for spec in FIELDS if spec.secreted)
"""Config sections (and names) of the built-in fields secreted by cells, in solve order."""


def field_specs(config: Config | None = None) -> tuple[FieldSpec, ...]:
    """The declared fields: :data:`FIELDS`, then the registered ones
    (:func:`abm.extend.register_field`); with ``config``, only those a run of it solves.
    ValueError if a name is declared twice."""
    specs = merge(FIELDS, registered_fields(), what="field")
    return specs if config is None else tuple(s for s in specs if s.enabled(config))


def field_spec(name: str) -> FieldSpec | None:
    """The declaration of field ``name``, or None (a field this package does not declare)."""
    return next((s for s in field_specs() if s.name == name), None)


def initial_fields(config: Config, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The fields of a new run of ``config``: name → float64 ``shape`` array, each at its
    vessel value everywhere (0 for a field the vessels drain)."""
    return {s.name: np.full(shape, s.vessel_value(config)) for s in field_specs(config)}


def make_solutes(config: Config, vessels: np.ndarray, fields: dict[str, np.ndarray],
                 medium: Medium | None = None,
                 poor_vessels: np.ndarray | None = None) -> dict[str, Solute]:
    """The model's solutes, on the arrays of ``fields``, one per field a run of ``config``
    solves (:func:`field_specs`), in solve order; ``medium``: the culture medium, if any;
    ``poor_vessels``: bool ``[ny, nx]`` poorly perfused vessel sites, which supply
    ``vessels.poor_perfusion`` × a perfused vessel's value."""
    supply = None
    if poor_vessels is not None and poor_vessels.any():
        supply = np.where(poor_vessels, config.vessels.poor_perfusion, 1.0)
    return {s.name: Solute(s, config, fields, vessels, medium, supply)
            for s in field_specs(config)}


def field_reporters() -> list[str]:
    """The time-series reporters of the fields' statistics (:attr:`FieldSpec.reporters`), field
    by field in solve order (their solver cycles: :func:`cycle_reporters`)."""
    return [name for spec in field_specs() for name in spec.reporter_names()]


def field_counts(fields: dict[str, np.ndarray], cells, viable: np.ndarray, n_viable: int
                 ) -> dict[str, float]:
    """Values of :func:`field_reporters` after a step (``viable``: bool ``[hwm]`` of the
    viable live cells, ``n_viable`` their number)."""
    counts = {}
    for spec in field_specs():
        values = fields.get(spec.name)
        for stat, name in zip(spec.reporters, spec.reporter_names()):
            if stat == MEAN_VIABLE:
                counts[name] = masked_mean(getattr(cells, spec.column), viable) if n_viable else 0.0
            elif values is None:
                counts[name] = 0.0
            else:
                counts[name] = float(values.mean() if stat == MEAN_TISSUE else values.max())
    return counts


def cycle_reporters() -> list[str]:
    """Reporters of the solvers' V-cycles in each step (0 while a field is not solved)."""
    return [s.cycles_reporter for s in field_specs() if s.cycles_reporter]


def cycle_counts(solutes: dict[str, Solute]) -> dict[str, int]:
    """Values of :func:`cycle_reporters` after a step."""
    return {s.cycles_reporter: solutes[s.name].cycles if s.name in solutes else 0
            for s in field_specs() if s.cycles_reporter}
