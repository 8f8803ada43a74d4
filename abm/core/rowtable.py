"""``RowTable``: columns of per-agent data with stable rows and a free list.

A live agent keeps its row for life, so the lattice's occupancy array, thin Mesa agents and
lineage can point at rows. Dead rows go on a free list and are reused by later births
(last freed first); kernels loop up to the high-water mark and skip dead rows. The tumour
cells (:class:`abm.tumor.cells.CellTable`), the immune cells and the circulating CTC units
are row tables.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from abm._numba import jit

_COUNTER_HWM, _COUNTER_NFREE, _COUNTER_NEXT_ID = range(3)


class RowTable:
    """Columns of per-agent data with stable rows and a free list (shared by the tumour-cell
    table and the immune-cell table).

    Subclasses name their 1-D columns in ``_COLUMNS`` (name → dtype), or derive them in
    :meth:`dtypes` (the tumour cells: from their column declarations), and the key prefix of
    their checkpoint entries in ``_PREFIX``. Every table has ``alive`` and ``id`` columns,
    ``state`` float64 ``[capacity, n_state]``, the free list ``free`` and ``counters`` int64[3]:
    the high-water mark, the free-list length and the next id (an array so that kernels can
    update it in place).

    Kernels take a table as one argument, the named tuple ``Arrays`` of all these arrays
    (:meth:`arrays`; numba compiles field access to plain array access).
    """

    _COLUMNS: dict[str, type] = {"alive": np.bool_, "id": np.int64}
    _PREFIX = "rows"

    @classmethod
    def dtypes(cls) -> dict[str, type]:
        """The 1-D columns: name → dtype."""
        return cls._COLUMNS

    @classmethod
    def initial_values(cls) -> dict[str, float]:
        """Columns whose rows missing from an older checkpoint start at a value other than 0:
        name → value."""
        return {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._make_arrays_type()

    @classmethod
    def _make_arrays_type(cls) -> type:
        """The named tuple of the table's arrays (:meth:`dtypes`, then state, free, counters)
        as ``cls.Arrays``; made again when plugins have added columns since."""
        arrays = namedtuple(f"{cls.__name__}Arrays", [*cls.dtypes(), "state", "free", "counters"])
        # numba's on-disk cache pickles argument types by name: name the tuple where it lives
        arrays.__module__, arrays.__qualname__ = cls.__module__, f"{cls.__qualname__}.Arrays"
        cls.Arrays = arrays
        return arrays

    def arrays(self):
        """The table's arrays as its ``Arrays`` named tuple, the form kernels take. It holds
        the arrays of now: build it again after :meth:`ensure_capacity` (it costs ~1 µs)."""
        kind = self.Arrays
        if kind._fields[:-3] != tuple(self.dtypes()):
            kind = type(self)._make_arrays_type()
        return kind(*(getattr(self, name) for name in kind._fields))

    def __init__(self, capacity: int, n_state: int = 0):
        capacity = max(int(capacity), 16)
        for name, dtype in self.dtypes().items():
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
        for name in [*self.dtypes(), "state", "free"]:
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

    def snapshot(self, copy: bool = True) -> dict[str, np.ndarray]:
        """Every array up to the high-water mark, for checkpoints; ``copy=False``: views of
        the table's own arrays, for a caller that has written them before the table next
        changes (a copy of a 1M-cell table is ~400 MB)."""
        hwm, nfree, pre = self.hwm, int(self.counters[_COUNTER_NFREE]), self._PREFIX
        take = np.copy if copy else np.asarray
        snap = {f"{pre}.{name}": take(getattr(self, name)[:hwm]) for name in self.dtypes()}
        snap[f"{pre}.state"] = take(self.state[:hwm])
        snap[f"{pre}.free"] = take(self.free[:nfree])
        snap[f"{pre}.counters"] = take(self.counters)
        return snap

    @classmethod
    def from_snapshot(cls, snap: dict[str, np.ndarray]):
        """Rebuild a table saved by :meth:`snapshot` (same rows, free list and ids); columns
        missing from an older checkpoint hold their :meth:`initial_values` (0 by default)."""
        pre = cls._PREFIX
        state = snap[f"{pre}.state"]
        table = cls(capacity=max(2 * state.shape[0], 16), n_state=state.shape[1])
        hwm = state.shape[0]
        initial = cls.initial_values()
        for name in cls.dtypes():
            if f"{pre}.{name}" in snap:
                getattr(table, name)[:hwm] = snap[f"{pre}.{name}"]
            elif name in initial:
                getattr(table, name)[:hwm] = initial[name]
        table.state[:hwm] = state
        free = snap[f"{pre}.free"]
        table.free[: len(free)] = free
        table.counters[:] = snap[f"{pre}.counters"]
        return table


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
def new_row(table):
    """Claim a row (:func:`_claim_row`) of ``table`` (an ``Arrays`` tuple) for a new agent:
    alive, with the next id; its other columns are the caller's to set."""
    row = _claim_row(table.free, table.counters)
    table.alive[row] = True
    table.id[row] = table.counters[_COUNTER_NEXT_ID]
    table.counters[_COUNTER_NEXT_ID] += 1
    return row


@jit
def free_row(table, row, occupancy):
    """Free ``row`` of ``table`` (an ``Arrays`` tuple with ``x``, ``y``) inside a kernel: not
    alive, pushed on the free list (reused last-freed-first), its site in ``occupancy``
    (int32 ``[ny, nx]``) released."""
    table.alive[row] = False
    occupancy[table.y[row], table.x[row]] = -1
    table.free[table.counters[_COUNTER_NFREE]] = row
    table.counters[_COUNTER_NFREE] += 1


@jit
def high_water_mark(table):
    """Rows of ``table`` (an ``Arrays`` tuple) ever used: the loop bound of row kernels."""
    return table.counters[_COUNTER_HWM]


@jit
def _claim_rows(free, counters, n):
    """``n`` rows claimed one by one as :func:`_claim_row` does (the table has room)."""
    rows = np.empty(n, dtype=np.int64)
    for i in range(n):
        rows[i] = _claim_row(free, counters)
    return rows
