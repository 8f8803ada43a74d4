"""Thin Mesa agents of the myeloid tables (as :class:`abm.core.agents.ImmuneCell`): a
:class:`Neutrophil` or :class:`Platelet` stores only its row and reads the arrays, kept by
an ``AgentMirror(model, Neutrophil)`` of the process that owns the table."""
from __future__ import annotations

from abm.core.agents import _RowAgent


class _TableAgent(_RowAgent):
    """A thin agent on a row of the table of process ``_process``."""

    _process = ""

    @property
    def _table(self):
        return self.model.process(self._process).table

    @property
    def agent_id(self) -> int:
        """Its own monotonic id (the one in the frame tables)."""
        return int(self._table.id[self.row])

    @property
    def site(self) -> tuple[int, int]:
        """Lattice site ``(x, y)``."""
        return int(self._table.x[self.row]), int(self._table.y[self.row])


class Neutrophil(_TableAgent):
    """A neutrophil: a view on a row of the neutrophils' table
    (:class:`abm.myeloid.tables.NeutrophilTable`)."""

    _process = "neutrophils"

    @property
    def net(self) -> bool:
        """Whether it has cast a NET (it then stays put)."""
        return bool(self._table.net[self.row])


class Platelet(_TableAgent):
    """A platelet aggregate adhered at a vessel site: a view on a row of the platelets'
    table (:class:`abm.myeloid.tables.PlateletTable`)."""

    _process = "platelets"
