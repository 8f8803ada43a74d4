"""The immune cells' rows: :class:`ImmuneTable`."""
from __future__ import annotations

import numpy as np

from abm.core.rowtable import RowTable


class ImmuneTable(RowTable):
    """The immune cells; row ``r`` is one cell while ``alive[r]``.

    Columns (length ``capacity``): ``alive`` bool; ``id`` int64 (own monotonic ids);
    ``kind`` int8 (``abm.cells.CD8`` = 1 or ``NK`` = 2); ``x``, ``y`` int32 lattice site;
    ``heading`` int8 (0–7, index into ``DIR_X``/``DIR_Y``, kept between steps for
    persistence); ``target`` int64 tumour-table row of the engaged target (-1 if free) and
    ``target_id`` int64 that target's cell id (rows are reused, ids are not: a mismatch means
    the target is gone); ``engaged_min`` float64 time engaged with the current target (min);
    ``kills`` int32; ``age_min`` float64 time since entry (min); ``birth_min`` float64 entry
    time (min); ``pd1_min`` float64 accumulated PD-1 signalling (min of full signal: engaged
    time × (1 − blockade)·PD-L1/(P.PDL1_K + PD-L1) of the target). No ``state`` columns.
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "kind": np.int8, "x": np.int32,
                "y": np.int32, "heading": np.int8, "target": np.int64, "target_id": np.int64,
                "engaged_min": np.float64, "kills": np.int32, "hits": np.int32,
                "kill_capacity": np.float64, "dysfunction": np.int8, "age_min": np.float64,
                "birth_min": np.float64, "pd1_min": np.float64, "antigen_min": np.float64}
    _PREFIX = "immune"

    def __init__(self, capacity: int = 16, n_state: int = 0):
        super().__init__(capacity, n_state)

    @classmethod
    def initial_values(cls) -> dict[str, float]:
        return {"kill_capacity": np.inf}  # cells of an older checkpoint drew no capacity

    def add(self, kind, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Claim rows for new cells of ``kind`` (a code or an array of codes) at sites
        ``(xs, ys)`` and return them; the rest of their state is set by
        ``abm.immune.kernels.start_rows`` (through :meth:`ImmuneLayer.place`). Free rows are
        reused last-freed-first (as :func:`recruit` and ``CellTable.append_copies`` do),
        then the high-water mark grows; the occupancy is the caller's."""
        xs = np.asarray(xs, dtype=np.int32)
        rows = self.claim(len(xs))
        self.kind[rows], self.x[rows], self.y[rows] = kind, xs, ys
        return rows
