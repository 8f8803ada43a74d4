"""The fields' process: scatter the cells' uptake and secretion, solve, gather (steps 1–3).

Oxygen always, glucose and the secreted fields (:data:`abm.fields.solutes.SECRETED_FIELDS`)
when their ``field`` key is on; each is a :class:`abm.fields.solutes.Solute` on an array of
:attr:`Fields.fields`, which the model exposes as ``model.fields``.
"""
from __future__ import annotations

import numpy as np

from abm.core.process import Process
from abm.errors import ConfigError, NumericalError
from abm.fields.multigrid import SingularSteadyStateError
from abm.fields.solutes import SECRETED_FIELDS, make_solutes


class Fields(Process):
    """Advances every field by one backward-Euler step and gathers local values into the
    cell table; reports the V-cycles of the last O2 and glucose solves.

    Attributes:
        fields: name → float64 ``[ny, nx]`` field (``oxygen`` in mmHg, ``glucose`` in × plasma,
            the secreted fields in their units).
        solutes: name → :class:`abm.fields.solutes.Solute`, the coupling of each field to the
            cells.
    """

    name, timing = "fields", "field"
    reporters = ("solver_cycles", "glucose_solver_cycles")

    def __init__(self, fields: dict[str, np.ndarray], solutes: dict):
        self.fields, self.solutes = fields, solutes

    @classmethod
    def from_config(cls, model, snapshot):
        """New fields at their initial values (vessel level, or the steady state with the
        initial cells when ``<field>.initial = 'steady'``), or the snapshot's."""
        cfg = model.config
        names = ["oxygen"] + [n for n in ("glucose",) + SECRETED_FIELDS
                              if getattr(cfg, n).field]
        if snapshot is not None:
            fields = {n: np.asarray(snapshot[f"fields.{n}"], dtype=np.float64).copy()
                      for n in names}
        else:
            initial = {"oxygen": cfg.oxygen.vessel_mmHg, "glucose": cfg.glucose.vessel_level}
            # the secreted fields start at 0, their level at the vessels that drain them
            fields = {n: np.full(model.shape, initial.get(n, 0.0)) for n in names}
        solutes = make_solutes(cfg, model.vessels, fields)
        for name, solute in solutes.items():
            if snapshot is None and getattr(cfg, name).initial == "steady":
                try:
                    solute.update(model.cells, np.inf)
                except SingularSteadyStateError as exc:
                    raise ConfigError(
                        f"{name}.initial = 'steady': {exc}; with no vessel site "
                        f"(vessels.pattern = {cfg.vessels.pattern!r}) and no uptake, "
                        f"{name}.decay_per_min must be > 0, or set {name}.initial = "
                        "'vessel'") from None
            else:
                solute.gather(model.cells)
        return cls(fields, solutes)

    def step(self, model):
        for name in SECRETED_FIELDS:
            if name in self.solutes:
                self.solutes[name].secretion_scale = model.effects.sasp_secretion_scale
        try:
            for solute in self.solutes.values():
                solute.update(model.cells, model.dt_min)
        except NumericalError as exc:  # the solver names field and site; add the time
            raise NumericalError(f"{exc}, in the step from t = {model.time_min:g} min (step "
                                 f"{model.step_index})") from exc

    def snapshot(self):
        return {f"fields.{name}": values for name, values in self.fields.items()}

    def counts(self, model):
        glucose = self.solutes.get("glucose")
        return {"solver_cycles": self.solutes["oxygen"].cycles,
                "glucose_solver_cycles": glucose.cycles if glucose is not None else 0}
