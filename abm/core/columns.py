"""``Column``: the declaration of one column of a row table (name, dtype, unit, what happens
to it at division, whether and how it is recorded and reported).

A table declares its columns once, as a tuple of ``Column``; everything else that deals with
the columns (the table's arrays and checkpoint snapshot, the columns a daughter copies, the
run file's cell table with units and enums, the time-series reporters) is derived from that
tuple. Nothing here knows a cell type: the tumour cells' columns are declared in
:mod:`abm.tumor.cells`, plugin columns are registered through :mod:`abm.extend`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

KERNEL, COPY, RESET = "kernel", "copy", "reset"
"""What a daughter's row gets at division (:attr:`Column.division`): set by the table's own
division code (identity, site, phase, birth time, and what it copies itself); a copy of the
mother's value; 0 (a reused row may still hold a dead cell's value)."""


@dataclass(frozen=True)
class Column:
    """One 1-D column of a row table.

    Attributes:
        name: attribute of the table and name in checkpoints, the run file and reporters.
        dtype: numpy dtype of the table's array (length ``capacity``).
        unit: unit of the recorded values ("" for ids, codes and dimensionless values).
        doc: what the column holds.
        record: dtype of the column in the run file's cell table, or None (not recorded).
        enum: name → code of a coded column (stored as the dataset's ``enum`` attribute).
        site: a lattice coordinate (site index): recorded as the site centre in µm,
            ``(site + 0.5) × dx``.
        division: :data:`KERNEL`, :data:`COPY` or :data:`RESET` (what a daughter gets).
        report_mean_viable: reported every step as ``<name>_mean_viable``, the mean over
            viable (non-necrotic) live cells (0 without any). A column gathered from a field
            is reported by its field instead (:attr:`abm.fields.specs.FieldSpec.reporters`).
        initial: the value of a new row that is not a daughter (a founder cell, or a row
            missing from an older checkpoint).
    """

    name: str
    dtype: type
    unit: str = ""
    doc: str = ""
    record: type | None = None
    enum: Mapping[str, int] | None = None
    site: bool = False
    division: str = RESET
    report_mean_viable: bool = False
    initial: float = 0.0

    def __post_init__(self):
        if self.division not in (KERNEL, COPY, RESET):
            raise ValueError(f"column {self.name!r}: division must be one of {KERNEL!r}, "
                             f"{COPY!r}, {RESET!r}, got {self.division!r}")

    def recorded(self, values: np.ndarray, dx_um: float) -> np.ndarray:
        """``values`` of this column (rows of the table) as stored in the run file."""
        if self.site:
            return ((values + 0.5) * dx_um).astype(self.record)
        return values.astype(self.record, copy=False)


def merge(*groups: tuple, what: str = "column") -> tuple:
    """The declarations (columns, or anything with a ``name``: ``what`` says which, for the
    message) of ``groups`` in order; ValueError if a name is declared twice."""
    declared = tuple(d for group in groups for d in group)
    names = [d.name for d in declared]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{what}(s) {twice} declared more than once")
    return declared
