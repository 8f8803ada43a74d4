"""The protocol every part of a step implements: a :class:`Process`.

A step of the tissue model (:class:`abm.model.TumorModel`) and of the well-mixed culture
(:func:`abm.culture.run_culture`) is an ordered loop over processes: each one advances its
part of the world by ``model.dt_min`` and reports its counts. The host (the model or the
culture) owns construction, the loop, the clock (``step_index``, ``time_min``) and the
assembly of snapshots and reporters; a process owns its state and its reporters.

What a process may touch during :meth:`Process.step`: the host's shared tables and arrays
(``model.cells``, ``model.fields``, ``model.space``, the phenotype program), the drug effects
of this step (``model.effects``), this step's event rows (``model.step_events``, table name →
columns) and the processes built before it (``model.process(name)``). It never advances the
clock and never records anything itself: the host reads :meth:`Process.counts` after the
loop.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np


class Process:
    """One part of a step (see the module docstring); subclasses set the class attributes.

    Attributes:
        name: the process's key in ``model.process(name)``.
        timing: the ``model.timings`` bucket (s of wall time) its :meth:`step` is added to.
        reporters: the time-series columns it reports, in order (see
            :meth:`reporter_names`); a disabled process (its :meth:`from_config` returned
            None) reports 0 for each.
    """

    name: ClassVar[str]
    timing: ClassVar[str]
    reporters: ClassVar[tuple[str, ...]] = ()
    event_tables: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Event tables a plugin process writes (table → column names; declared in the run file
    before the first row): rows go to ``model.step_events`` or :meth:`frame_events`. The
    package's own tables are declared in :data:`abm.io.recorder.EVENT_TABLES`."""

    @classmethod
    def reporter_names(cls) -> tuple[str, ...]:
        """The time-series columns it reports, in order: :attr:`reporters`; a process whose
        columns follow declarations that plugins extend (fields, cell columns) computes
        them here when asked."""
        return cls.reporters

    @classmethod
    def from_config(cls, model, snapshot: dict | None) -> "Process | None":
        """The process for ``model.config``, or None when the config disables it; rebuilt
        from ``snapshot`` (a checkpoint, see :meth:`snapshot`) when given."""
        return cls()

    def step(self, model) -> None:
        """Advance this part of the world by ``model.dt_min`` (a process that only reports,
        such as the census, does nothing here)."""

    def snapshot(self) -> dict[str, np.ndarray]:
        """Everything this process needs to continue a run bit for bit (checkpoint datasets,
        keys ``<prefix>.<name>``); empty when it keeps no state of its own."""
        return {}

    def frame_events(self, model) -> dict[str, dict[str, np.ndarray]]:
        """Rows written with each frame (table → columns), e.g. the positions of agents."""
        return {}

    def counts(self, model) -> dict[str, float]:
        """Its reporters' values after a step (keys: :meth:`reporter_names`, in order)."""
        return {}

    def sites(self) -> dict:
        """Other tissues this process runs (name → site: its ``model``, ``counts()``,
        ``reporter_names()``, ``step_events()`` and the ``event_tables`` it adds to its
        tissue's), each recorded in the run file's group ``sites/<name>`` (e.g.
        :class:`abm.metastasis.site.SecondarySite`)."""
        return {}


def find(processes: list[Process], name: str) -> Process | None:
    """The process called ``name`` in ``processes``, or None (absent or disabled)."""
    return next((p for p in processes if p.name == name), None)
