"""Diffusing solutes coupled to the cells: oxygen (mmHg) and glucose (× plasma), supplied by the
vessels and consumed by the cells, and the secreted fields — inflammatory SASP (``sasp``),
metabolic SASP (``sasp_metabolic``), both in network units, and the immune ``chemokine`` —
secreted by senescent cells with a composition set by their senescence route (the chemokine
also a little by viable tumour cells), taken up by their neighbours and drained by the
vessels.

Each :class:`Solute` couples one field to the cell table in the three moves of a step
(DESIGN.md): scatter the cells' uptake (and secretion) onto rate maps, advance the field by one
backward-Euler step of the multigrid solver (vessels are Dirichlet sites), and gather the local
value into the cell table's column of the same name. Rates are per phase and per cell: a site's
rate is the cell's rate times the fraction of the voxel the cell fills (cell volume / dx³; the
lattice is a slab one site thick); necrotic debris takes up nothing.
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING

import numpy as np

from abm.tumor.cells import NO_ROUTE, PHASES, SENESCENCE_ROUTES
from abm.errors import ConfigError
from abm.fields import FieldSolver
from abm.tumor.lattice_events import gather, scatter_by_phase, scatter_by_phase_and_route

if TYPE_CHECKING:  # annotations only: the [sasp] sections' checks import this module
    from abm.schema import Config


class Solute:
    """One vessel-supplied field and its coupling to the cells.

    Attributes:
        name: the field's name, also the cell-table column its local values go to (if the
            table has one; the chemokine is read by the immune cells from the field).
        units: of the field values.
        values: float64 ``[ny, nx]`` field.
        site_rate: float64 ``[len(PHASES)]`` uptake rate (min⁻¹) of a site holding a cell in
            each phase.
        site_secretion: float64 ``[len(PHASES), len(SENESCENCE_ROUTES)]`` production
            (units/min) of a site holding a cell in each phase and senescence route, or None
            (nothing secretes).
        secretion_scale: factor on all secretion this step (a senomorphic drug lowers it).
        solver: the :class:`abm.fields.FieldSolver`; ``cycles`` the V-cycles of the last solve.
    """

    def __init__(self, name: str, units: str, values: np.ndarray, vessels: np.ndarray,
                 dx_um: float, section, vessel_value: float, site_rate: np.ndarray,
                 site_secretion: np.ndarray | None = None):
        self.name, self.units = name, units
        self.values = values
        self.site_rate = np.ascontiguousarray(site_rate, dtype=np.float64)
        self.site_secretion = (None if site_secretion is None
                               else np.ascontiguousarray(site_secretion, dtype=np.float64))
        self.sink = np.zeros(values.shape)
        self.source = None if site_secretion is None else np.zeros(values.shape)
        self.solver = FieldSolver(values.shape, dx_um, section.diffusivity_um2_per_min,
                                  section.decay_per_min, vessels, vessel_value,
                                  rtol=section.rtol, max_cycles=section.max_cycles, name=name)
        self.cycles = 0
        self.secretion_scale = 1.0

    def update(self, cells, dt_min: float) -> None:
        """Scatter uptake (and secretion), advance the field by ``dt_min`` (``np.inf``: to
        steady state) and gather local values into ``cells.<name>``."""
        scatter_by_phase(cells.hwm, cells.alive, cells.phase, cells.x, cells.y, self.site_rate,
                         self.sink)
        if self.source is not None:
            secretion = (self.site_secretion if self.secretion_scale == 1.0
                         else self.site_secretion * self.secretion_scale)
            scatter_by_phase_and_route(cells.hwm, cells.alive, cells.phase, cells.route,
                                       cells.x, cells.y, secretion, self.source)
        self.cycles = self.solver.advance(self.values, self.sink, dt_min, self.source).cycles
        self.gather(cells)

    def gather(self, cells) -> None:
        """Local field value at every live cell into ``cells.<name>`` (if that column exists)."""
        column = getattr(cells, self.name, None)
        if column is not None:
            gather(cells.hwm, cells.alive, cells.x, cells.y, self.values, column)


def _per_site(config: Config, per_cell_rate: float) -> float:
    return per_cell_rate * config.oxygen.cell_volume_um3 / config.grid.dx_um ** 3


def site_rates(config: Config, per_cell_rate: float, dormant_factor: float = 1.0) -> np.ndarray:
    """Per-phase site uptake (min⁻¹): ``per_cell_rate`` × cell volume / dx³ for viable phases
    (× ``dormant_factor`` for dormant cells), 0 for necrotic debris."""
    rates = np.full(len(PHASES), _per_site(config, per_cell_rate))
    rates[PHASES["dormant"]] *= dormant_factor
    rates[PHASES["necrotic"]] = 0.0
    return rates


SECRETED_FIELDS = ("sasp", "sasp_metabolic", "chemokine")
"""Config sections (and field names) of the fields secreted by cells, in solve order."""


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


def make_solutes(config: Config, vessels: np.ndarray, fields: dict[str, np.ndarray]
                 ) -> dict[str, Solute]:
    """The model's solutes, on the arrays of ``fields``: oxygen always, glucose when
    ``glucose.field``, each secreted field (:data:`SECRETED_FIELDS`) when its ``field``."""
    ox, glc, dx = config.oxygen, config.glucose, config.grid.dx_um
    oxygen = fields["oxygen"]
    solutes = {"oxygen": Solute("oxygen", "mmHg", oxygen, vessels, dx, ox, ox.vessel_mmHg,
                                site_rates(config, ox.uptake_per_min))}
    if glc.field:
        solutes["glucose"] = Solute("glucose", "× plasma", fields["glucose"], vessels, dx, glc,
                                    glc.vessel_level,
                                    site_rates(config, glc.uptake_per_min, glc.dormant_uptake_factor))
    for key in SECRETED_FIELDS:
        section = getattr(config, key)
        if section.field:
            units = "chemokine units" if key == "chemokine" else "network units"
            solutes[key] = Solute(key, units, fields[key], vessels, dx, section, 0.0,
                                  site_rates(config, section.uptake_per_min),
                                  senescent_secretion(config, key))
    return solutes
