"""Tumour cells as a structure-of-arrays with stable rows and a free list.

A live cell keeps its row for life: the lattice's occupancy array, thin Mesa agents and
lineage all point at rows and never need re-pointing. Dead rows go on a free list and are
reused by later births; kernels loop up to the high-water mark and skip dead rows.
Each cell also has our own monotonic ``id`` and its mother's ``parent_id`` (-1 for founders),
which are what the HDF5 output records.
"""
from __future__ import annotations

import numpy as np

from ._numba import jit

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

_COUNTER_HWM, _COUNTER_NFREE, _COUNTER_NEXT_ID = range(3)


class RowTable:
    """Columns of per-agent data with stable rows and a free list (shared by the tumour-cell
    table and the immune-cell table).

    Subclasses name their 1-D columns in ``_COLUMNS`` (name → dtype) and the key prefix of
    their checkpoint entries in ``_PREFIX``. Every table has ``alive`` and ``id`` columns,
    ``state`` float64 ``[capacity, n_state]``, the free list ``free`` and ``counters`` int64[3]:
    the high-water mark, the free-list length and the next id (an array so that kernels can
    update it in place).
    """

    _COLUMNS: dict[str, type] = {"alive": np.bool_, "id": np.int64}
    _PREFIX = "rows"

    def __init__(self, capacity: int, n_state: int = 0):
        capacity = max(int(capacity), 16)
        for name, dtype in self._COLUMNS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.state = np.zeros((capacity, n_state), dtype=np.float64)
        self.free = np.zeros(capacity, dtype=np.int64)
        self.counters = np.zeros(3, dtype=np.int64)

    @property
    def capacity(self) -> int:
        """Number of allocated rows."""
        return self.alive.shape[0]

    @property
    def hwm(self) -> int:
        """High-water mark: rows ≥ hwm have never been used."""
        return int(self.counters[_COUNTER_HWM])

    @property
    def next_id(self) -> int:
        """The id the next new row will get."""
        return int(self.counters[_COUNTER_NEXT_ID])

    @property
    def count(self) -> int:
        """Number of live rows."""
        return self.hwm - int(self.counters[_COUNTER_NFREE])

    def live_rows(self) -> np.ndarray:
        """Rows that are alive, ascending."""
        return np.flatnonzero(self.alive[: self.hwm])

    def ensure_capacity(self, extra: int) -> None:
        """Grow the arrays (doubling) so that ``extra`` more rows fit without reallocating.

        Kernels receive the arrays as arguments, so growing between steps is safe.
        """
        # Births reuse free rows first and only then raise the high-water mark.
        needed = self.hwm + max(0, int(extra) - int(self.counters[_COUNTER_NFREE]))
        if needed <= self.capacity:
            return
        new_cap = self.capacity
        while new_cap < needed:
            new_cap *= 2
        for name in list(self._COLUMNS) + ["state", "free"]:
            old = getattr(self, name)
            new = np.zeros((new_cap,) + old.shape[1:], dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def claim(self, n: int) -> np.ndarray:
        """``n`` new live rows with fresh ids (free rows last-freed-first, then the
        high-water mark, growing the arrays if needed); their other columns are the
        caller's to set."""
        self.ensure_capacity(n)
        rows = _claim_rows(self.free, self.counters, n)
        self.alive[rows] = True
        self.id[rows] = np.arange(self.next_id, self.next_id + n)
        self.counters[_COUNTER_NEXT_ID] += n
        return rows

    def release(self, rows: np.ndarray) -> None:
        """Free ``rows`` (in order; on the lattice ``lattice_events.remove_cells`` also frees
        their sites)."""
        rows = np.asarray(rows, dtype=np.int64)
        nfree = int(self.counters[_COUNTER_NFREE])
        self.alive[rows] = False
        self.free[nfree:nfree + len(rows)] = rows
        self.counters[_COUNTER_NFREE] += len(rows)

    def snapshot(self) -> dict[str, np.ndarray]:
        """Every array up to the high-water mark, for checkpoints."""
        hwm, nfree, pre = self.hwm, int(self.counters[_COUNTER_NFREE]), self._PREFIX
        snap = {f"{pre}.{name}": getattr(self, name)[:hwm].copy() for name in self._COLUMNS}
        snap[f"{pre}.state"] = self.state[:hwm].copy()
        snap[f"{pre}.free"] = self.free[:nfree].copy()
        snap[f"{pre}.counters"] = self.counters.copy()
        return snap

    @classmethod
    def from_snapshot(cls, snap: dict[str, np.ndarray]):
        """Rebuild a table saved by :meth:`snapshot` (same rows, free list and ids); columns
        missing from an older checkpoint stay 0."""
        pre = cls._PREFIX
        state = snap[f"{pre}.state"]
        table = cls(capacity=max(2 * state.shape[0], 16), n_state=state.shape[1])
        hwm = state.shape[0]
        for name in cls._COLUMNS:
            if f"{pre}.{name}" in snap:
                getattr(table, name)[:hwm] = snap[f"{pre}.{name}"]
        table.state[:hwm] = state
        free = snap[f"{pre}.free"]
        table.free[: len(free)] = free
        table.counters[:] = snap[f"{pre}.counters"]
        return table


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


@jit
def _claim_row(free, counters):
    """A row for a new cell: the last freed row if any, else the high-water mark."""
    if counters[_COUNTER_NFREE] > 0:
        counters[_COUNTER_NFREE] -= 1
        return free[counters[_COUNTER_NFREE]]
    row = counters[_COUNTER_HWM]
    counters[_COUNTER_HWM] += 1
    return row


@jit
def _claim_rows(free, counters, n):
    """``n`` rows claimed one by one as :func:`_claim_row` does (the table has room)."""
    rows = np.empty(n, dtype=np.int64)
    for i in range(n):
        rows[i] = _claim_row(free, counters)
    return rows
