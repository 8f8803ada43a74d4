"""The cells in the blood: every shed cell's row, kept whole while its unit circulates.

With a secondary site (``[secondary] enabled``) a shed cell carries its whole state — network
species, phase, hours spent hypoxic, NR2F1, EMT, PD-L1, MHC-I, its id and lineage — to the
site where its unit arrests (:mod:`abm.metastasis`). Its row is copied, bit for bit, from the
tumour table into :class:`TransitCells` when it sheds and from there into the site's table
when it arrives (:meth:`abm.tumor.cells.CellTable.take_copies`); nothing in it changes in the
blood (minutes to hours: the network is not advanced there, a design choice).
"""
from __future__ import annotations

import numpy as np

from abm.tumor.cells import CellTable


class TransitCells(CellTable):
    """The rows of the cells of circulating units (checkpoint keys ``transit.*``).

    Attributes:
        row_of: cell id → row, for the live rows.
    """

    _PREFIX = "transit"

    def __init__(self, capacity: int = 64, n_state: int = 0):
        super().__init__(capacity, n_state)
        self.row_of: dict[int, int] = {}

    def carry(self, source: CellTable, rows: np.ndarray) -> None:
        """Copy the cells ``rows`` of ``source`` (shedding now) into the blood."""
        new = self.take_copies(source, rows)
        self.row_of.update(zip(self.id[new].tolist(), new.tolist()))

    def rows_of(self, ids) -> np.ndarray:
        """The rows of the cells ``ids`` (int64)."""
        return np.array([self.row_of[int(i)] for i in ids], dtype=np.int64)

    def drop(self, ids) -> None:
        """Forget the cells ``ids`` (dead in the blood, or delivered to a site)."""
        ids = [int(i) for i in ids if int(i) in self.row_of]
        if ids:
            self.release(np.array([self.row_of.pop(i) for i in ids], dtype=np.int64))

    @classmethod
    def from_snapshot(cls, snap: dict) -> TransitCells:
        table = super().from_snapshot(snap)
        live = table.live_rows()
        table.row_of = dict(zip(table.id[live].tolist(), live.tolist()))
        return table
