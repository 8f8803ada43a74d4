"""Vessel-supplied solutes that tumour cells consume: oxygen (mmHg) and glucose (× plasma).

Each :class:`Solute` couples one field to the cell table in the three moves of a step
(DESIGN.md): scatter the cells' uptake onto a sink map, advance the field by one backward-Euler
step of the multigrid solver (vessels are Dirichlet sources), and gather the local value into
the cell table's column of the same name. Uptake is first order, per phase: a site's rate
(min⁻¹) is the cell's rate times the fraction of the voxel the cell fills (cell volume / dx³;
the lattice is a slab one site thick), and necrotic debris takes up nothing.
"""
from __future__ import annotations

import numpy as np

from .cells import PHASES
from .config import Config
from .fields import FieldSolver
from .lattice_events import gather, scatter_uptake


class Solute:
    """One vessel-supplied field and its coupling to the cells.

    Attributes:
        name: the field's name, also the cell-table column its local values go to.
        units: of the field values.
        values: float64 ``[ny, nx]`` field.
        site_rate: float64 ``[len(PHASES)]`` uptake rate (min⁻¹) of a site holding a cell in
            each phase.
        solver: the :class:`abm.fields.FieldSolver`; ``cycles`` the V-cycles of the last solve.
    """

    def __init__(self, name: str, units: str, values: np.ndarray, vessels: np.ndarray,
                 dx_um: float, section, vessel_value: float, site_rate: np.ndarray):
        self.name, self.units = name, units
        self.values = values
        self.site_rate = np.ascontiguousarray(site_rate, dtype=np.float64)
        self.sink = np.zeros(values.shape)
        self.solver = FieldSolver(values.shape, dx_um, section.diffusivity_um2_per_min,
                                  section.decay_per_min, vessels, vessel_value,
                                  rtol=section.rtol, max_cycles=section.max_cycles, name=name)
        self.cycles = 0

    def update(self, cells, dt_min: float) -> None:
        """Scatter uptake, advance the field by ``dt_min`` (``np.inf``: to steady state) and
        gather local values into ``cells.<name>``."""
        scatter_uptake(cells.hwm, cells.alive, cells.phase, cells.x, cells.y, self.site_rate,
                       self.sink)
        self.cycles = self.solver.advance(self.values, self.sink, dt_min).cycles
        self.gather(cells)

    def gather(self, cells) -> None:
        """Local field value at every live cell into ``cells.<name>``."""
        gather(cells.hwm, cells.alive, cells.x, cells.y, self.values, getattr(cells, self.name))


def site_rates(config: Config, per_cell_rate: float, dormant_factor: float = 1.0) -> np.ndarray:
    """Per-phase site uptake (min⁻¹): ``per_cell_rate`` × cell volume / dx³ for viable phases
    (× ``dormant_factor`` for dormant cells), 0 for necrotic debris."""
    site = per_cell_rate * config.oxygen.cell_volume_um3 / config.grid.dx_um ** 3
    rates = np.full(len(PHASES), site)
    rates[PHASES["dormant"]] *= dormant_factor
    rates[PHASES["necrotic"]] = 0.0
    return rates


def make_solutes(config: Config, vessels: np.ndarray, oxygen: np.ndarray,
                 glucose: np.ndarray | None) -> dict[str, Solute]:
    """The model's solutes: oxygen always, glucose when ``glucose.field`` (``glucose`` is its
    field then)."""
    ox, glc, dx = config.oxygen, config.glucose, config.grid.dx_um
    solutes = {"oxygen": Solute("oxygen", "mmHg", oxygen, vessels, dx, ox, ox.vessel_mmHg,
                                site_rates(config, ox.uptake_per_min))}
    if glc.field:
        solutes["glucose"] = Solute("glucose", "× plasma", glucose, vessels, dx, glc,
                                    glc.vessel_level,
                                    site_rates(config, glc.uptake_per_min, glc.dormant_uptake_factor))
    return solutes
