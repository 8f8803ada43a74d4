"""Diffusing solutes coupled to the cells: oxygen (mmHg) and glucose (× plasma), supplied by the
vessels and consumed by the cells, and SASP (network units), secreted by senescent cells,
taken up by their neighbours and drained by the vessels.

Each :class:`Solute` couples one field to the cell table in the three moves of a step
(DESIGN.md): scatter the cells' uptake (and secretion) onto rate maps, advance the field by one
backward-Euler step of the multigrid solver (vessels are Dirichlet sites), and gather the local
value into the cell table's column of the same name. Rates are per phase and per cell: a site's
rate is the cell's rate times the fraction of the voxel the cell fills (cell volume / dx³; the
lattice is a slab one site thick); necrotic debris takes up nothing.
"""
from __future__ import annotations

import numpy as np

from .cells import PHASES, SENESCENCE_ROUTES
from .config import Config
from .fields import FieldSolver
from .lattice_events import gather, scatter_by_phase, scatter_by_phase_and_route


class Solute:
    """One vessel-supplied field and its coupling to the cells.

    Attributes:
        name: the field's name, also the cell-table column its local values go to.
        units: of the field values.
        values: float64 ``[ny, nx]`` field.
        site_rate: float64 ``[len(PHASES)]`` uptake rate (min⁻¹) of a site holding a cell in
            each phase.
        site_secretion: float64 ``[len(PHASES), len(SENESCENCE_ROUTES)]`` production
            (units/min) of a site holding a cell in each phase and senescence route, or None
            (nothing secretes).
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

    def update(self, cells, dt_min: float) -> None:
        """Scatter uptake (and secretion), advance the field by ``dt_min`` (``np.inf``: to
        steady state) and gather local values into ``cells.<name>``."""
        scatter_by_phase(cells.hwm, cells.alive, cells.phase, cells.x, cells.y, self.site_rate,
                         self.sink)
        if self.source is not None:
            scatter_by_phase_and_route(cells.hwm, cells.alive, cells.phase, cells.route,
                                       cells.x, cells.y, self.site_secretion, self.source)
        self.cycles = self.solver.advance(self.values, self.sink, dt_min, self.source).cycles
        self.gather(cells)

    def gather(self, cells) -> None:
        """Local field value at every live cell into ``cells.<name>``."""
        gather(cells.hwm, cells.alive, cells.x, cells.y, self.values, getattr(cells, self.name))


def _per_site(config: Config, per_cell_rate: float) -> float:
    return per_cell_rate * config.oxygen.cell_volume_um3 / config.grid.dx_um ** 3


def site_rates(config: Config, per_cell_rate: float, dormant_factor: float = 1.0) -> np.ndarray:
    """Per-phase site uptake (min⁻¹): ``per_cell_rate`` × cell volume / dx³ for viable phases
    (× ``dormant_factor`` for dormant cells), 0 for necrotic debris."""
    rates = np.full(len(PHASES), _per_site(config, per_cell_rate))
    rates[PHASES["dormant"]] *= dormant_factor
    rates[PHASES["necrotic"]] = 0.0
    return rates


def senescent_secretion(config: Config, per_cell_rate: float, paracrine_factor: float
                        ) -> np.ndarray:
    """Site production (units/min) [phase, route]: ``per_cell_rate`` × cell volume / dx³ for
    senescent cells (× ``paracrine_factor`` for the paracrine route), 0 for other phases."""
    rates = np.zeros((len(PHASES), len(SENESCENCE_ROUTES)))
    rates[PHASES["senescent"], :] = _per_site(config, per_cell_rate)
    rates[PHASES["senescent"], SENESCENCE_ROUTES["paracrine"]] *= paracrine_factor
    return rates


def make_solutes(config: Config, vessels: np.ndarray, fields: dict[str, np.ndarray]
                 ) -> dict[str, Solute]:
    """The model's solutes, on the arrays of ``fields``: oxygen always, glucose when
    ``glucose.field``, SASP when ``sasp.field``."""
    ox, glc, sasp, dx = config.oxygen, config.glucose, config.sasp, config.grid.dx_um
    oxygen = fields["oxygen"]
    solutes = {"oxygen": Solute("oxygen", "mmHg", oxygen, vessels, dx, ox, ox.vessel_mmHg,
                                site_rates(config, ox.uptake_per_min))}
    if glc.field:
        solutes["glucose"] = Solute("glucose", "× plasma", fields["glucose"], vessels, dx, glc,
                                    glc.vessel_level,
                                    site_rates(config, glc.uptake_per_min, glc.dormant_uptake_factor))
    if sasp.field:
        solutes["sasp"] = Solute("sasp", "network units", fields["sasp"], vessels, dx, sasp, 0.0,
                                 site_rates(config, sasp.uptake_per_min),
                                 senescent_secretion(config, sasp.secretion_per_min,
                                                     sasp.paracrine_secretion_factor))
    return solutes
