"""The circulating units' rows: :class:`CTCTable` and the fate codes."""
from __future__ import annotations

import numpy as np

from abm.core.rowtable import RowTable

CTC_FATES = {"circulating": 0, "seeded": 1, "killed_nk": 2, "died": 3, "arrested_failed": 4,
             "dissociated": 5, "arrested": 6}
"""Fate codes of ``CTCTable.fate`` (``died``: shear/anoikis; ``dissociated``: a cluster that
digoxin split into singles, which go on as new units; ``arrested``: stuck in the capillaries
of a simulated secondary site, which decides what follows — without one, an arrested unit
is ``seeded`` or ``arrested_failed`` by the blood's outgrowth draw)."""
CIRCULATING, SEEDED, KILLED_NK, DIED, ARRESTED_FAILED, DISSOCIATED, ARRESTED = range(7)


class CTCTable(RowTable):
    """The circulating units (single CTCs and clusters); row ``r`` holds one unit while
    ``alive[r]``.

    Columns (length ``capacity``): ``alive`` bool; ``id`` int64 (own monotonic ids);
    ``parent_id`` int64 (-1, or the id of the cluster a dissociated single came from);
    ``size`` int32 living member cells now; ``size_shed`` int32 cells of the unit as shed
    (a dissociated single keeps its cluster's); ``shed_min`` float64 time of shedding (min);
    ``shed_clock_h`` float64 the body's clock time at shedding (h); ``competence`` float64
    (0–1) share of members able to grow out; ``anoikis_resistance`` float64 (0–1);
    ``hypoxic`` float64 (0–1) share of members hypoxic when shed (a dissociated single keeps
    its cluster's); ``platelets`` float64 platelet coverage (0–1); ``neutrophils`` int32 escorting
    neutrophils; ``age_min`` float64 time in blood (min); ``fate`` int8
    (:data:`CTC_FATES`); ``end_min`` float64 time the fate was reached (NaN while
    circulating). A unit that reached a fate keeps its row (``alive``, readable) until
    :meth:`Circulation.release` frees it. No ``state`` columns.
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "parent_id": np.int64, "size": np.int32,
                "size_shed": np.int32, "shed_min": np.float64, "shed_clock_h": np.float64,
                "competence": np.float64, "anoikis_resistance": np.float64,
                "hypoxic": np.float64, "platelets": np.float64, "neutrophils": np.int32, "age_min": np.float64,
                "fate": np.int8, "end_min": np.float64}
    _PREFIX = "ctc"

    def __init__(self, capacity: int = 64, n_state: int = 0):
        super().__init__(capacity, n_state)

    def add(self, size, shed_min, shed_clock_h, competence, anoikis_resistance,
            hypoxic=0.0, platelets=0.0, neutrophils=0) -> np.ndarray:
        """New circulating units (arrays or scalars, broadcast); returns their rows (free
        rows last-freed-first, then the high-water mark). Coverage and escorts start at
        ``platelets`` (0–1) and ``neutrophils`` (those that left the tissue with the unit),
        age at 0, ``parent_id`` at -1, ``size_shed`` = ``size``."""
        (size, shed_min, shed_clock_h, competence, anoikis_resistance, hypoxic, platelets,
         neutrophils) = (
            np.atleast_1d(a).ravel() for a in np.broadcast_arrays(
                np.asarray(size, dtype=np.int64), np.asarray(shed_min, dtype=np.float64),
                np.asarray(shed_clock_h, dtype=np.float64),
                np.asarray(competence, np.float64), np.asarray(anoikis_resistance, np.float64),
                np.asarray(hypoxic, np.float64), np.asarray(platelets, np.float64),
                np.asarray(neutrophils, np.int64)))
        _check_units(size, shed_min, shed_clock_h, competence, anoikis_resistance, hypoxic,
                     platelets, neutrophils)
        rows = self.claim(len(size))
        self.parent_id[rows] = -1
        self.size[rows] = size
        self.size_shed[rows] = size
        self.shed_min[rows], self.shed_clock_h[rows] = shed_min, shed_clock_h
        self.competence[rows], self.anoikis_resistance[rows] = competence, anoikis_resistance
        self.hypoxic[rows] = hypoxic
        self.platelets[rows], self.neutrophils[rows] = platelets, neutrophils
        self.age_min[rows] = 0.0
        self.fate[rows], self.end_min[rows] = CIRCULATING, np.nan
        return rows


def _check_units(size, shed_min, shed_clock_h, competence, anoikis_resistance, hypoxic,
                 platelets, neutrophils) -> None:
    if np.any(size < 1):
        raise ValueError(f"CTC size must be ≥ 1 cell; got {size[size < 1][:5]}")
    if not (np.all(np.isfinite(shed_min)) and np.all(np.isfinite(shed_clock_h))):
        raise ValueError("CTC shed_min and shed_clock_h must be finite")
    if np.any(neutrophils < 0):
        raise ValueError(f"CTC neutrophils must be ≥ 0; got {neutrophils[neutrophils < 0][:5]}")
    for key, values in (("competence", competence), ("anoikis_resistance", anoikis_resistance),
                        ("hypoxic", hypoxic), ("platelets", platelets)):
        bad = ~((values >= 0.0) & (values <= 1.0))
        if bad.any():
            raise ValueError(f"CTC {key} must be in [0, 1]; got {values[bad][:5]}")
