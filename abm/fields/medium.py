"""Culture medium around a tumour without vessels (``[medium]``): the domain edge as a
boundary condition, and the stirred medium in the cell-free space joined to it.

With ``medium.edge`` the outermost ring of sites is held at each field's medium value (O2
``medium.oxygen_mmHg``, glucose ``medium.glucose_level``, 0 for secreted fields): Dirichlet
sites of the solver, as vessels are, but no vessel (no immune entry, no shedding). With
``medium.stirred`` every cell-free site that the edge reaches through cell-free sites is
medium too: it relaxes to the medium value at ``exchange_per_min`` (a sink k·C and a source
k·C_medium; the flask's medium is well mixed, so a tumour sees it right at its surface).
Sites enclosed by cells or debris (a necrotic core) are not medium. The medium sites are
found again every step by a flood fill from the edge (one pass over the lattice).
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit


def edge_ring(shape: tuple[int, int]) -> np.ndarray:
    """bool ``shape``: the outermost ring of sites."""
    ring = np.ones(shape, dtype=np.bool_)
    ring[1:-1, 1:-1] = False
    return ring


class Medium:
    """The medium of a run (None of it without ``medium.edge``: see :func:`make_medium`).

    Attributes:
        edge: bool ``[ny, nx]`` the ring held at the medium values.
        stirred: whether cell-free sites joined to the edge are medium.
        rate: exchange rate of a medium site (min⁻¹).
        sites: bool ``[ny, nx]`` the medium sites of this step (the ring excluded: it is
            fixed), updated by :meth:`update`.
    """

    def __init__(self, config, shape: tuple[int, int]):
        m = config.medium
        self.edge = edge_ring(shape)
        self.stirred = bool(m.stirred)
        self.rate = float(m.exchange_per_min)
        self.sites = np.zeros(shape, dtype=np.bool_)

    def update(self, occupancy: np.ndarray, vessels: np.ndarray) -> None:
        """Find this step's medium sites from the lattice's occupancy (-1: cell-free)."""
        if self.stirred:
            flood_from_edge(occupancy, vessels, self.sites)

    def value(self, config, spec) -> float:
        """The medium value of field ``spec`` (0 for a field without ``medium_key``)."""
        return 0.0 if spec.medium_key is None else float(getattr(config.medium, spec.medium_key))


def make_medium(config, shape: tuple[int, int]) -> Medium | None:
    """The run's :class:`Medium`, or None without ``medium.edge``."""
    return Medium(config, shape) if config.medium.edge else None


@jit
def flood_from_edge(occupancy, vessels, out):
    """out = the cell-free, vessel-free sites joined to the edge ring through such sites
    (4-neighbour), the ring itself excluded; a breadth-first fill from the ring."""
    ny, nx = occupancy.shape
    out[:, :] = False
    stack = np.empty(ny * nx, dtype=np.int64)
    top = 0
    seen = np.zeros((ny, nx), dtype=np.bool_)
    for j in range(ny):
        for i in range(nx):
            if (j == 0 or i == 0 or j == ny - 1 or i == nx - 1) and occupancy[j, i] < 0:
                seen[j, i] = True
                stack[top] = j * nx + i
                top += 1
    while top > 0:
        top -= 1
        j, i = stack[top] // nx, stack[top] % nx
        for dj, di in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            y, x = j + dj, i + di
            if 0 <= y < ny and 0 <= x < nx and not seen[y, x]:
                seen[y, x] = True
                if occupancy[y, x] < 0 and not vessels[y, x]:
                    out[y, x] = True
                    stack[top] = y * nx + x
                    top += 1
