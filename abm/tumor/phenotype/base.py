"""The interface between the model and whatever drives the cell cycle and fates.

The model owns the lattice and the cell table; a phenotype program owns the columns of
``CellTable.state`` and decides, for every live cell each step, its phase and at most one
event. The placeholder cycle (this issue) and the intracellular-network fate layer (next
issue) implement the same interface, so the model does not change when the network lands.

Per step the model calls, in this order (all arrays are the table's, rows < ``table.hwm``):

1. ``advance(table, step, dt_min, events)``: read ``table.oxygen`` (gathered local O2),
   update ``table.state`` and ``table.phase``, write an event code per row into ``events``
   (at most one per cell and step);
2. the model applies the events: ``EVENT_REMOVE`` frees rows and sites, ``EVENT_DIVIDE``
   places a daughter on a free site near the mother (or reports contact inhibition);
3. ``on_division(table, mothers, daughters, step)``: post-mitotic reset of both cells
   (the daughter row starts as a copy of the mother's);
4. ``on_contact_inhibited(table, rows, step)``: mothers that found no free site.

A program that checks for space itself (contact inhibition in G1) gets the lattice once through
``bind_lattice(occupancy, vessels, shells)``; without it (a well-mixed culture) there is always
space.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from abm.tumor.cell_state import HIF_HALF_MMHG
from abm.tumor.cells import PROLIFERATING

EVENT_NONE, EVENT_DIVIDE, EVENT_NECROSIS, EVENT_REMOVE = 0, 1, 2, 3
EVENT_APOPTOSIS, EVENT_DORMANCY_ENTRY, EVENT_DORMANCY_EXIT, EVENT_SENESCENCE = 4, 5, 6, 7
EVENT_NAMES = {EVENT_DIVIDE: "divisions", EVENT_NECROSIS: "necrosis_onsets",
               EVENT_REMOVE: "removals", EVENT_APOPTOSIS: "apoptosis_onsets",
               EVENT_DORMANCY_ENTRY: "dormancy_entries", EVENT_DORMANCY_EXIT: "dormancy_exits",
               EVENT_SENESCENCE: "senescence_onsets"}
"""Event code → name of its per-step counter in the time series. The model acts on DIVIDE
(place a daughter) and REMOVE (free row and site); the others are phase transitions the
program has already applied, reported so that every transition is counted per step."""


class Phenotype(ABC):
    """A program that drives the cycle and fates of tumour cells held in a ``CellTable``."""

    state_names: tuple[str, ...]
    """Names of the ``table.state`` columns this program owns (stored in checkpoints and frames)."""

    hif_half_mmHg: float = HIF_HALF_MMHG
    """O2 (mmHg) at which the cells' HIF-1α is half-maximal (drives PD-L1 and EMT,
    :mod:`abm.tumor.cell_state`); a network program takes it from its network."""

    @abstractmethod
    def initialize(self, table, rows: np.ndarray, step: int) -> None:
        """Set state and phase of founder cells ``rows``."""

    @abstractmethod
    def advance(self, table, step: int, dt_min: float, events: np.ndarray) -> None:
        """Advance every live cell by ``dt_min`` and write one event code per row into ``events``."""

    @abstractmethod
    def on_division(self, table, mothers: np.ndarray, daughters: np.ndarray, step: int) -> None:
        """Post-mitotic reset of mothers and their new daughters."""

    @abstractmethod
    def on_contact_inhibited(self, table, rows: np.ndarray, step: int) -> None:
        """Cells that were ready to divide but found no free site."""

    def in_cycle(self, table) -> np.ndarray:
        """bool ``[hwm]``: cells past the restriction point (S/G2/M), the targets of
        cycle-specific chemotherapy; this default: every proliferating cell."""
        return table.phase[: table.hwm] == PROLIFERATING

    def kill(self, table, rows: np.ndarray, step: int) -> np.ndarray:
        """Cells ``rows`` were killed from outside (immune lysis, a drug). Returns the rows the
        model must remove at once; this default (a program without an apoptotic phase)
        removes them all."""
        return np.asarray(rows, dtype=np.int64)

    def bind_lattice(self, occupancy: np.ndarray, vessels: np.ndarray, shells: tuple) -> None:
        """Give the program read access to the lattice (arrays are updated in place by the model)."""
