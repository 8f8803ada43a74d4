"""Tumour cells as a structure-of-arrays with stable rows and a free list.

A live cell keeps its row for life: the lattice's occupancy array, thin Mesa agents and
lineage all point at rows and never need re-pointing. Dead rows go on a free list and are
reused by later births; kernels loop up to the high-water mark and skip dead rows.
Each cell also has our own monotonic ``id`` and its mother's ``parent_id`` (-1 for founders),
which are what the HDF5 output records.
"""
from __future__ import annotations

import numpy as np

from abm.core.rowtable import _COUNTER_HWM, _COUNTER_NEXT_ID, _COUNTER_NFREE, RowTable

PHASES = {"proliferating": 0, "quiescent": 1, "dormant": 2, "senescent": 3,
          "apoptotic": 4, "necrotic": 5}
"""Phase codes stored in ``CellTable.phase`` and in the HDF5 ``cells/phase`` enum."""
PROLIFERATING, QUIESCENT, DORMANT, SENESCENT, APOPTOTIC, NECROTIC = range(6)

SENESCENCE_ROUTES = {"none": 0, "geroconversion": 1, "paracrine": 2, "therapy": 3,
                     "metabolic": 4}
"""Route codes stored in ``CellTable.route`` (why a senescent cell senesced; HDF5 enum):
geroconversion = its own arrest with active mTORC1; paracrine = an arrest imposed by the
SASP of others (its SASP input at conversion ≥ ``fate.paracrine_sasp``); therapy = an arrest
imposed by DNA damage (its damage at conversion ≥ ``fate.therapy_damage``); metabolic = an
energy-stress arrest (AMPK high, HIF low: mitochondrial dysfunction, not hypoxia). The route
sets the SASP composition (``abm.solutes``)."""
NO_ROUTE, GEROCONVERSION, PARACRINE, THERAPY, METABOLIC = range(5)

KINDS = {"tumor": 0, "cd8": 1, "nk": 2}
"""Kind codes of the HDF5 ``cells/kind`` enum: tumour cells, CD8 T cells, NK cells."""
TUMOR, CD8, NK = range(3)

class CellTable(RowTable):
    """The tumour cells; row ``r`` is one cell while ``alive[r]``.

    Columns (length ``capacity``): ``alive`` bool, ``id`` / ``parent_id`` int64, ``x`` / ``y``
    int32 lattice site, ``kind`` / ``phase`` int8 codes, ``birth_min`` float64 (min),
    ``oxygen`` float64 local O2 (mmHg), ``glucose`` float64 local glucose (× plasma level) and
    ``sasp`` float64 local inflammatory SASP (network units), gathered each step, ``route``
    int8 senescence route (:data:`SENESCENCE_ROUTES`, 0 unless senescent), the paracrine and
    therapy state ``sasp_metabolic`` (local metabolic SASP, network units), ``pdl1`` (PD-L1,
    0–1), ``stemness`` (0–1), ``dna_damage`` (network units) and ``emt`` (0–1), and ``state`` float64
    ``[capacity, n_state]`` owned by the phenotype program (its column names are the
    program's ``state_names``).
    """

    _COLUMNS = {"alive": np.bool_, "id": np.int64, "parent_id": np.int64, "x": np.int32,
                "y": np.int32, "kind": np.int8, "phase": np.int8, "birth_min": np.float64,
                "oxygen": np.float64, "glucose": np.float64,
                "sasp": np.float64, "route": np.int8, "sasp_metabolic": np.float64,
                "pdl1": np.float64, "stemness": np.float64, "dna_damage": np.float64,
                "emt": np.float64}
    _PREFIX = "cells"

    def add(self, xs: np.ndarray, ys: np.ndarray, *, phase: int, birth_min: float,
            kind: int = TUMOR) -> np.ndarray:
        """Append founder cells (parent -1) at sites ``(xs, ys)``; returns their rows.

        Used for seeding; births during a run go through the division kernel.
        """
        n = len(xs)
        self.ensure_capacity(n)
        start = self.hwm
        rows = np.arange(start, start + n)
        self.alive[rows] = True
        self.id[rows] = np.arange(self.next_id, self.next_id + n)
        self.parent_id[rows] = -1
        self.x[rows], self.y[rows] = xs, ys
        self.kind[rows], self.phase[rows] = kind, phase
        self.birth_min[rows] = birth_min
        self.counters[_COUNTER_HWM] += n
        self.counters[_COUNTER_NEXT_ID] += n
        return rows

    def append_copies(self, rows: np.ndarray, birth_min: float) -> np.ndarray:
        """New cells that copy ``rows`` (children of them, new ids); returns the new rows.

        For programs without a lattice (the well-mixed culture); on the lattice, births go
        through the ``lattice_events.place_daughters`` kernel, which also picks the site (and
        must pop free rows the same way: last freed first).
        """
        rows = np.asarray(rows, dtype=np.int64)
        n = len(rows)
        self.ensure_capacity(n)
        nfree = int(self.counters[_COUNTER_NFREE])
        reused = min(n, nfree)
        new = np.concatenate([self.free[nfree - reused:nfree][::-1],
                              np.arange(self.hwm, self.hwm + n - reused)])
        self.counters[_COUNTER_NFREE] -= reused
        self.counters[_COUNTER_HWM] += n - reused
        for name in self._COLUMNS:
            column = getattr(self, name)
            column[new] = column[rows]
        self.state[new] = self.state[rows]
        self.parent_id[new] = self.id[rows]
        self.id[new] = np.arange(self.next_id, self.next_id + n)
        self.counters[_COUNTER_NEXT_ID] += n
        self.birth_min[new] = birth_min
        return new
