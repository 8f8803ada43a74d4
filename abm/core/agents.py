"""Thin Mesa agents: a familiar ``mesa.Agent`` face on rows of the cell table.

A :class:`TumorCell` stores only its row; every attribute reads the model's arrays, so agents
never go stale and nothing hot touches them. They are created and removed on events only
(birth, removal), which costs ~7 µs per event (docs/mesa_costs.md), and can be switched off
with ``run.thin_agents = false`` for large headless runs. With them on, the usual Mesa idioms
work, e.g. ``model.agents_by_type[TumorCell].select(lambda a: a.phase == "quiescent")``.

Immune cells get the same treatment: an :class:`ImmuneCell` is a view on a row of
``model.immune.table`` (the :class:`abm.immune.ImmuneLayer`), kept by an
``AgentMirror(model, ImmuneCell)``.
"""
from __future__ import annotations

import mesa
import numpy as np

from abm.immune.killing import DYSFUNCTION_STATES
from abm.tumor.cells import KINDS, PHASES

_PHASE_NAMES = {code: name for name, code in PHASES.items()}
_KIND_NAMES = {code: name for name, code in KINDS.items()}
_DYSFUNCTION_NAMES = {code: name for name, code in DYSFUNCTION_STATES.items()}


class _RowAgent(mesa.Agent):
    """A thin agent that stores only its table row."""

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = int(row)


class TumorCell(_RowAgent):
    """A tumour cell: a view on row ``row`` of ``model.cells``."""

    @property
    def cell_id(self) -> int:
        """Our own monotonic cell id (the one in the HDF5 output)."""
        return int(self.model.cells.id[self.row])

    @property
    def parent_id(self) -> int:
        """The mother's cell id, -1 for founder cells."""
        return int(self.model.cells.parent_id[self.row])

    @property
    def site(self) -> tuple[int, int]:
        """Lattice site ``(x, y)``."""
        return int(self.model.cells.x[self.row]), int(self.model.cells.y[self.row])

    @property
    def phase(self) -> str:
        """Phase name (a key of ``abm.cells.PHASES``)."""
        return _PHASE_NAMES[int(self.model.cells.phase[self.row])]

    @property
    def oxygen(self) -> float:
        """Local O2 (mmHg) at the last step."""
        return float(self.model.cells.oxygen[self.row])

    @property
    def state(self) -> dict[str, float]:
        """The phenotype program's state variables by name."""
        names = self.model.phenotype.state_names
        return {n: float(v) for n, v in zip(names, self.model.cells.state[self.row])}


class ImmuneCell(_RowAgent):
    """A CD8 T or NK cell: a view on row ``row`` of ``model.immune.table``
    (:class:`abm.immune.ImmuneTable`)."""

    @property
    def _table(self):
        return self.model.immune.table

    @property
    def cell_id(self) -> int:
        """The immune cell's own monotonic id (the one in kill events)."""
        return int(self._table.id[self.row])

    @property
    def kind(self) -> str:
        """Kind name (``"cd8"`` or ``"nk"``, keys of ``abm.cells.KINDS``)."""
        return _KIND_NAMES[int(self._table.kind[self.row])]

    @property
    def site(self) -> tuple[int, int]:
        """Lattice site ``(x, y)``."""
        return int(self._table.x[self.row]), int(self._table.y[self.row])

    @property
    def kills(self) -> int:
        """Tumour cells this cell has killed."""
        return int(self._table.kills[self.row])

    @property
    def engaged(self) -> bool:
        """Whether it is attached to a target now."""
        return bool(self._table.target[self.row] >= 0)

    @property
    def hits(self) -> int:
        """Hits it has delivered (abm.immune.killing)."""
        return int(self._table.hits[self.row])

    @property
    def dysfunction(self) -> str:
        """``"functional"``, ``"plastic"`` or ``"fixed"`` (abm.immune.killing)."""
        return _DYSFUNCTION_NAMES[int(self._table.dysfunction[self.row])]


class CTC(_RowAgent):
    """A circulating tumour cell or cluster: a view on row ``row`` of ``model.blood.table``
    (:class:`abm.circulation.ctc_table.CTCTable`), one agent per unit (a cluster is one agent)."""

    @property
    def _table(self):
        return self.model.blood.table

    @property
    def unit_id(self) -> int:
        """The unit's id (``events/ctc/id``)."""
        return int(self._table.id[self.row])

    @property
    def size(self) -> int:
        """Living member cells."""
        return int(self._table.size[self.row])

    @property
    def members(self) -> np.ndarray:
        """Tumour-cell ids of the cells that left the tissue in this unit."""
        return self.model.process("blood").members[self.unit_id]

    @property
    def platelets(self) -> float:
        """Platelet coverage (0–1)."""
        return float(self._table.platelets[self.row])

    @property
    def neutrophils(self) -> int:
        """Escorting neutrophils."""
        return int(self._table.neutrophils[self.row])


class AgentMirror:
    """Keeps one thin agent per live row of a table, updated on events only.

    Args:
        model: the model the agents belong to.
        agent_class: the agent type, built as ``agent_class(model, row)``: :class:`TumorCell`
            (rows of ``model.cells``, the default) or :class:`ImmuneCell` (rows of
            ``model.immune.table``).
    """

    def __init__(self, model, agent_class: type = TumorCell):
        self.model = model
        self.agent_class = agent_class
        self.by_row = np.empty(0, dtype=object)

    def add(self, rows: np.ndarray) -> None:
        """Create agents for new rows."""
        if len(rows) == 0:
            return
        needed = int(rows.max()) + 1
        if needed > self.by_row.shape[0]:
            grown = np.empty(max(needed, 2 * self.by_row.shape[0]), dtype=object)
            grown[: self.by_row.shape[0]] = self.by_row
            self.by_row = grown
        for r in rows.tolist():
            self.by_row[r] = self.agent_class(self.model, r)

    def remove(self, rows: np.ndarray) -> None:
        """Deregister the agents of freed rows (before the rows are reused)."""
        for r in rows.tolist():
            self.by_row[r].remove()
            self.by_row[r] = None
