"""The myeloid agents' rows: :class:`NeutrophilTable` and :class:`PlateletTable`."""
from __future__ import annotations

import numpy as np

from abm.core.rowtable import RowTable


class NeutrophilTable(RowTable):
    """The neutrophils of one tissue; row ``r`` is one neutrophil while ``alive[r]``.

    Columns (length ``capacity``): ``alive`` bool; ``id`` int64 (own monotonic ids); ``x``,
    ``y`` int32 lattice site; ``heading`` int8 (0–7, Moore direction, kept for persistence);
    ``net`` int8 (1 once it has cast a NET: it stays put, secretes nothing and its row holds
    the NET until the NET is cleared); ``age_min`` float64 time since entry (min);
    ``birth_min`` float64 entry time (min); ``net_min`` float64 time the NET formed (min,
    NaN before). No ``state`` columns.
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "x": np.int32, "y": np.int32,
                "heading": np.int8, "net": np.int8, "age_min": np.float64,
                "birth_min": np.float64, "net_min": np.float64}
    _PREFIX = "neutrophils"

    def __init__(self, capacity: int = 16, n_state: int = 0):
        super().__init__(capacity, n_state)


class PlateletTable(RowTable):
    """The platelet aggregates adhered at vessel walls; row ``r`` is one aggregate while
    ``alive[r]``.

    Columns: ``alive`` bool; ``id`` int64; ``x``, ``y`` int32 the vessel site it adheres to
    (at most one aggregate per vessel site); ``birth_min`` float64 adhesion time (min).
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "x": np.int32, "y": np.int32,
                "birth_min": np.float64}
    _PREFIX = "platelets"

    def __init__(self, capacity: int = 16, n_state: int = 0):
        super().__init__(capacity, n_state)
