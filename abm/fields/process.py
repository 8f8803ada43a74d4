"""The fields' process: scatter the cells' uptake and secretion, solve, gather (steps 1–3).

Every field a run of the config solves (:func:`abm.fields.solutes.field_specs`: the built-in
ones and those plugins registered), each a :class:`abm.fields.solutes.Solute` on an array of
:attr:`Fields.fields`, which the model exposes as ``model.fields``.
"""
from __future__ import annotations

import numpy as np

from abm.core.process import Process
from abm.errors import ConfigError, NumericalError
from abm.fields.medium import make_medium
from abm.fields.metabolism import tissue_metabolism
from abm.fields.multigrid import SingularSteadyStateError
from abm.fields.solutes import (cycle_counts, cycle_reporters, field_specs, initial_fields,
                                make_solutes)


class Fields(Process):
    """Advances every field by one backward-Euler step and gathers local values into the
    cell table (a field with ``solve_every`` = k > 1, multi-rate stepping, by one step of
    k·dt in every k-th step, :meth:`abm.fields.solutes.Solute.due`; the other steps only
    gather), then every tumour cell's ATP supply / demand (:mod:`abm.fields.metabolism`)
    into its ``atp`` column; reports the V-cycles of the solves that declare a cycles
    reporter.

    Attributes:
        fields: name → float64 ``[ny, nx]`` field (``oxygen`` in mmHg, ``glucose`` in × plasma,
            the secreted fields in their units).
        solutes: name → :class:`abm.fields.solutes.Solute`, the coupling of each field to the
            cells.
        medium: the culture medium (:class:`abm.fields.medium.Medium`), or None.
        metabolism: the cells' :class:`abm.fields.metabolism.Metabolism` on the field maps.
    """

    name, timing = "fields", "field"

    @classmethod
    def reporter_names(cls):
        return tuple(cycle_reporters())

    def __init__(self, fields: dict[str, np.ndarray], solutes: dict, medium, metabolism):
        self.fields, self.solutes = fields, solutes
        self.medium, self.metabolism = medium, metabolism

    @classmethod
    def from_config(cls, model, snapshot):
        """New fields at their initial values (vessel level, or the steady state with the
        initial cells when the section's ``initial = 'steady'``), or the snapshot's."""
        cfg = model.config
        if snapshot is not None:
            fields = {s.name: np.asarray(snapshot[f"fields.{s.name}"], dtype=np.float64).copy()
                      for s in field_specs(cfg)}
        else:
            fields = initial_fields(cfg, model.shape)
        medium = make_medium(cfg, model.shape)
        if medium is not None:
            medium.update(model.occupancy, model.vessels)
        solutes = make_solutes(cfg, model.vessels, fields, medium, model.poor_vessels)
        for name, solute in solutes.items():  # the agents' production of the last step
            key = f"fields.{name}.agent_source"
            if solute.agent_source is not None and snapshot is not None and key in snapshot:
                solute.agent_source[:] = snapshot[key]
        for name, solute in solutes.items():
            if snapshot is None and solute.settings.initial == "steady":
                try:
                    solute.update(model.cells, np.inf)
                except SingularSteadyStateError as exc:
                    section = solute.spec.section or name
                    raise ConfigError(
                        f"{section}.initial = 'steady': {exc}; with no vessel site "
                        f"(vessels.pattern = {cfg.vessels.pattern!r}) and no uptake, "
                        f"{section}.decay_per_min must be > 0, or set {section}.initial = "
                        "'vessel'") from None
            else:
                solute.gather(model.cells)
        metabolism = tissue_metabolism(cfg, fields)
        metabolism.update_atp(model.cells)
        return cls(fields, solutes, medium, metabolism)

    def step(self, model):
        for solute in self.solutes.values():
            if solute.spec.secreted:
                solute.secretion_scale = model.effects.sasp_secretion_scale
        if self.medium is not None:
            self.medium.update(model.occupancy, model.vessels)
        try:
            for solute in self.solutes.values():
                if solute.due(model.step_index):
                    solute.update(model.cells, solute.solve_every * model.dt_min)
                else:
                    solute.skip(model.cells)
        except NumericalError as exc:  # the solver names field and site; add the time
            raise NumericalError(f"{exc}, in the step from t = {model.time_min:g} min (step "
                                 f"{model.step_index})") from exc
        self.metabolism.update_atp(model.cells)

    def snapshot(self):
        """The fields, and the agents' production (IL-6, TGF-β) written in the last step,
        which the next step's solve uses."""
        snap = {f"fields.{name}": values for name, values in self.fields.items()}
        for name, solute in self.solutes.items():
            if solute.agent_source is not None:
                snap[f"fields.{name}.agent_source"] = solute.agent_source.copy()
        return snap

    def counts(self, model):
        return cycle_counts(self.solutes)
