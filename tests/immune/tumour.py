"""A tumour for the immune tests: a real ``CellTable`` of immobile cells and their occupancy,
stepped with an :class:`abm.immune.layer.ImmuneLayer` as the model steps it."""
from __future__ import annotations

import numpy as np

from abm.tumor.cells import PROLIFERATING, CellTable


class Tumour:
    """Cells at sites ``(xs, ys)`` with one ``phase``, PD-L1 ``pdl1`` and MHC-I ``mhc1``."""

    def __init__(self, shape, xs=(), ys=(), phase=PROLIFERATING, pdl1=0.0, mhc1=1.0):
        xs, ys = np.asarray(xs, dtype=np.int32), np.asarray(ys, dtype=np.int32)
        self.n = len(xs)
        self.cells = CellTable(capacity=max(16, self.n))
        rows = self.cells.add(xs, ys, phase=phase, birth_min=0.0)
        self.cells.pdl1[rows] = pdl1
        self.cells.mhc1[rows] = mhc1
        self.occupancy = np.full(shape, -1, dtype=np.int32)
        self.occupancy[ys, xs] = rows

    @property
    def alive(self) -> np.ndarray:
        return self.cells.alive[:self.n]

    @property
    def id(self) -> np.ndarray:
        return self.cells.id[:self.n]

    @property
    def phase(self) -> np.ndarray:
        return self.cells.phase[:self.n]

    @property
    def damage(self) -> np.ndarray:
        return self.cells.immune_damage[:self.n]

    def step(self, layer, k, dt, chemokine=None, blockade=0.0):
        """One immune step; killed cells die (as the model applies the kills)."""
        result = layer.step(k, dt, k * dt, chemokine, self.occupancy, self.cells, blockade)
        self.cells.alive[result.killed_rows] = False
        return result
