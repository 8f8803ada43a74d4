"""Where tumour cells live: the space the tumour processes (:mod:`abm.tumor.process`) act in.

The same fate, event and death code drives the cells of the tissue model and of the
well-mixed culture; only the space differs:

- :class:`Lattice` (the tissue): one cell per site, vessels never occupied. A removed cell
  frees its row and its site; a mother's daughter goes to the nearest free site within
  ``cells.division_radius`` (mothers in a seeded random order), and a mother with no free
  site is contact-inhibited. Thin Mesa agents, when on, follow births and removals.
- :class:`WellMixed` (a dish): no sites. A removed cell frees its row; every division
  succeeds, the daughter a copy of the mother's row (``CellTable.append_copies``).

Both offer ``bind(phenotype)``, ``remove(cells, rows)`` and ``divide(cells, mothers, seed,
step, time_min) -> (placed mothers, daughters, blocked mothers)``.
"""
from __future__ import annotations

import numpy as np

from abm.tumor.lattice_events import division_order, place_daughters, remove_cells

_NONE = np.zeros(0, dtype=np.int64)


class Lattice:
    """The tissue lattice (module docstring).

    Args:
        occupancy: int32 ``[ny, nx]`` row of the cell at each site, -1 if empty (updated in
            place). vessels: bool ``[ny, nx]`` vessel sites.
        shells: the placement offsets of :func:`abm.tumor.lattice_events.placement_shells`.
        mirror: the tumour cells' :class:`abm.core.agents.AgentMirror`, or None.
    """

    def __init__(self, occupancy: np.ndarray, vessels: np.ndarray, shells: tuple, mirror=None):
        self.occupancy, self.vessels, self.shells = occupancy, vessels, shells
        self.mirror = mirror

    def bind(self, phenotype) -> None:
        """Give a program that checks for space itself read access to the lattice."""
        phenotype.bind_lattice(self.occupancy, self.vessels, self.shells)

    def remove(self, cells, rows: np.ndarray) -> None:
        """Free the sites and rows of ``rows`` (their agents first, before rows are reused)."""
        if self.mirror is not None:
            self.mirror.remove(rows)
        remove_cells(cells, self.occupancy, rows)

    def divide(self, cells, mothers: np.ndarray, seed: int, step: int, time_min: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Place one daughter per mother (born at ``time_min``, min) on the nearest free site.

        Returns ``(placed mothers, their daughters, blocked mothers)``, rows in placing order.
        """
        mothers = division_order(mothers, cells.id, seed, step)
        cells.ensure_capacity(len(mothers))
        daughters = np.empty(len(mothers), dtype=np.int64)
        blocked = np.empty(len(mothers), dtype=np.int64)
        n_placed, n_blocked = place_daughters(
            cells.arrays(), mothers, self.occupancy, self.vessels, self.shells, seed, step,
            time_min, daughters, blocked)
        blocked = blocked[:n_blocked]
        placed = mothers[~np.isin(mothers, blocked)]
        daughters = daughters[:n_placed]
        cells.divide(placed, daughters)  # the columns the kernel leaves (copied or reset)
        if self.mirror is not None:
            self.mirror.add(daughters)
        return placed, daughters, blocked


class WellMixed:
    """A dish without sites (module docstring)."""

    def bind(self, phenotype) -> None:
        """Nothing to bind: without a lattice a program always finds space."""

    def remove(self, cells, rows: np.ndarray) -> None:
        """Free ``rows``."""
        cells.release(rows)

    def divide(self, cells, mothers: np.ndarray, seed: int, step: int, time_min: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every mother gets a daughter (a copy of its row, born at ``time_min``, min)."""
        return mothers, cells.append_copies(mothers, birth_min=time_min), _NONE
