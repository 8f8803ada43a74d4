"""Tumour cells as a structure-of-arrays with stable rows and a free list.

A live cell keeps its row for life: the lattice's occupancy array, thin Mesa agents and
lineage all point at rows and never need re-pointing. Dead rows go on a free list and are
reused by later births; kernels loop up to the high-water mark and skip dead rows.
Each cell also has our own monotonic ``id`` and its mother's ``parent_id`` (-1 for founders),
which are what the HDF5 output records.
"""
from __future__ import annotations

import numpy as np

from abm.core.columns import COPY, KERNEL, RESET, Column, merge
from abm.core.reductions import masked_mean
from abm.core.rowtable import _COUNTER_HWM, _COUNTER_NEXT_ID, _COUNTER_NFREE, RowTable
from abm.extend import registered_columns

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

def phase_codes(values) -> np.ndarray:
    """Phase codes of a stored phase column: decoded names (str or categorical) or raw codes."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(int)
    return np.array([PHASES[str(v)] for v in values], dtype=int)


KINDS = {"tumor": 0, "cd8": 1, "nk": 2}
"""Kind codes of the HDF5 ``cells/kind`` enum: tumour cells, CD8 T cells, NK cells."""
TUMOR, CD8, NK = range(3)

CELL_COLUMNS = (
    Column("alive", np.bool_, doc="the row holds a live cell", division=KERNEL),
    Column("id", np.int64, doc="own monotonic cell id", record=np.int64, division=KERNEL),
    Column("parent_id", np.int64, doc="the mother's id, -1 for founders", record=np.int64,
           division=KERNEL),
    Column("x", np.int32, "µm", "lattice site (column)", record=np.float32, site=True,
           division=KERNEL),
    Column("y", np.int32, "µm", "lattice site (row)", record=np.float32, site=True,
           division=KERNEL),
    Column("kind", np.int8, doc="kind code (:data:`KINDS`)", record=np.int8, enum=KINDS,
           division=KERNEL),
    Column("phase", np.int8, doc="phase code (:data:`PHASES`)", record=np.int8, enum=PHASES,
           division=KERNEL),
    Column("oxygen", np.float64, "mmHg", "local O2, gathered each step", record=np.float32,
           division=KERNEL),
    Column("glucose", np.float64, "× plasma", "local glucose (the configured level without a "
           "glucose field)", record=np.float32, division=COPY),
    Column("demand", np.float64, "relative", "ATP demand relative to a cycling cell, set by "
           "its program each step (abm.fields.metabolism)", record=np.float32, division=COPY),
    Column("atp", np.float64, "supply/demand", "ATP its metabolism can make over its demand "
           "(≤ 1; abm.fields.metabolism), updated each step", record=np.float32,
           division=COPY, report_mean_viable=True),
    Column("sasp", np.float64, "network units", "local inflammatory SASP, gathered each step",
           record=np.float32, division=COPY),
    Column("route", np.int8, doc="senescence route (:data:`SENESCENCE_ROUTES`, 0 unless "
           "senescent)", record=np.int8, enum=SENESCENCE_ROUTES, division=RESET),
    Column("sasp_metabolic", np.float64, "network units", "local metabolic SASP, gathered each "
           "step", record=np.float32, division=COPY),
    Column("pdl1", np.float64, "relative", "PD-L1 (0–1)", record=np.float32, division=COPY,
           report_mean_viable=True),
    Column("mhc1", np.float64, "relative", "MHC-I antigen presentation (1 = a cycling cell; "
           "abm.tumor.cell_state)", record=np.float32, division=COPY, report_mean_viable=True,
           initial=1.0),
    Column("immune_damage", np.float64, "hits", "sublethal damage from immune hits, decaying "
           "(abm.immune.damage); a daughter starts undamaged (the damage is not duplicated)",
           record=np.float32, division=RESET),
    Column("stemness", np.float64, "0–1", "stemness", record=np.float32, division=COPY,
           report_mean_viable=True),
    Column("dna_damage", np.float64, "network units", "DNA damage", record=np.float32,
           division=COPY, report_mean_viable=True),
    Column("emt", np.float64, "0–1", "EMT state", record=np.float32, division=COPY,
           report_mean_viable=True),
    Column("nr2f1", np.float64, "0–1", "NR2F1, the dormancy program hypoxia leaves "
           "(abm.tumor.cell_state); a daughter starts at 0 (design choice: the program stays "
           "with the post-hypoxic cell, which is dormant and rarely divides)", record=np.float32,
           division=RESET, report_mean_viable=True),
    Column("hypoxic_h", np.float64, "h", "time spent below oxygen.hypoxic_mmHg since its "
           "birth (a hypoxia marker; a daughter starts at 0)", record=np.float32,
           division=RESET),
    Column("founder_id", np.int64, doc="at a secondary site, the id of the disseminated cell "
           "whose colony it belongs to; -1 in the primary tumour", record=np.int64,
           division=COPY, initial=-1),
    Column("il6", np.float64, "IL-6 units", "local IL-6/IL-1β from neutrophils, gathered "
           "each step", record=np.float32, division=COPY),
    Column("tgfb", np.float64, "TGF-β units", "local TGF-β from platelets, gathered each step",
           record=np.float32, division=COPY),
    Column("gf_signal", np.float64, "GF units", "growth signal added to the growth-factor "
           "input (neutrophils' IL-6 and NETs, abm.myeloid.signals); set each step",
           record=np.float32, division=COPY),
    Column("birth_min", np.float64, "min", "time of birth", record=np.float64,
           division=KERNEL),
)
"""The tumour cell table's own columns, declared once, in the order of the run file's cell
table (``state`` columns follow there). ``division = KERNEL``: set by the
``lattice_events.place_daughters`` kernel (which copies the mother's O2: it is re-gathered
next step anyway); the other local fields are copied by :meth:`CellTable.divide`."""


def cell_columns() -> tuple[Column, ...]:
    """The cell table's columns: :data:`CELL_COLUMNS`, then the ones registered for
    ``cells`` (:func:`abm.extend.register_columns`)."""
    return merge(CELL_COLUMNS, registered_columns("cells"))


def mean_viable_reporters() -> list[str]:
    """Time-series reporters ``<column>_mean_viable`` of the columns that declare one."""
    return [f"{c.name}_mean_viable" for c in cell_columns() if c.report_mean_viable]


def mean_viable_counts(cells: CellTable, viable: np.ndarray, n_viable: int) -> dict[str, float]:
    """Values of :func:`mean_viable_reporters`: each column's mean over the rows where
    ``viable`` (bool ``[hwm]``), 0.0 when ``n_viable`` is 0."""
    return {f"{c.name}_mean_viable": masked_mean(getattr(cells, c.name), viable) if n_viable
            else 0.0 for c in cell_columns() if c.report_mean_viable}


class CellTable(RowTable):
    """The tumour cells; row ``r`` is one cell while ``alive[r]``.

    Columns (length ``capacity``): one per :func:`cell_columns` (:data:`CELL_COLUMNS`, with
    dtype, unit and meaning), and ``state`` float64 ``[capacity, n_state]`` owned by the
    phenotype program (its column names are the program's ``state_names``).
    """

    _PREFIX = "cells"

    @classmethod
    def dtypes(cls) -> dict[str, type]:
        return {c.name: c.dtype for c in cell_columns()}

    @classmethod
    def initial_values(cls) -> dict[str, float]:
        return {c.name: c.initial for c in cell_columns() if c.initial}

    def divide(self, mothers: np.ndarray, daughters: np.ndarray) -> None:
        """Set the columns the division kernel leaves to us for ``daughters`` (placed by the
        kernel; ``daughters[i]`` is the child of ``mothers[i]``): copied or reset to 0 as each
        column declares."""
        for column in cell_columns():
            values = getattr(self, column.name)
            if column.division == COPY:
                values[daughters] = values[mothers]
            elif column.division == RESET:
                values[daughters] = 0

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
        for name, value in self.initial_values().items():
            getattr(self, name)[rows] = value
        self.counters[_COUNTER_HWM] += n
        self.counters[_COUNTER_NEXT_ID] += n
        return rows

    def take_copies(self, source: CellTable, rows: np.ndarray) -> np.ndarray:
        """Copy rows ``rows`` of ``source`` (a table of the same columns and state width)
        into new rows of this table, bit for bit, ids included; returns the new rows. A cell
        that moves between tables (into the blood, into a secondary site) stays the same
        cell."""
        rows = np.asarray(rows, dtype=np.int64)
        if source.state.shape[1] != self.state.shape[1]:
            raise ValueError(f"state widths differ: {source.state.shape[1]} (source) vs "
                             f"{self.state.shape[1]}")
        new = self.claim(len(rows))
        for name in self.dtypes():
            getattr(self, name)[new] = getattr(source, name)[rows]
        self.state[new] = source.state[rows]
        return new

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
        for name in self.dtypes():
            column = getattr(self, name)
            column[new] = column[rows]
        self.state[new] = self.state[rows]
        self.parent_id[new] = self.id[rows]
        self.id[new] = np.arange(self.next_id, self.next_id + n)
        self.counters[_COUNTER_NEXT_ID] += n
        self.birth_min[new] = birth_min
        return new
