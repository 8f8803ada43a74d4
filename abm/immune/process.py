"""The immune process (step 7): CD8 T and NK cells enter from vessels, walk up the chemokine
and kill tumour cells (:class:`abm.immune.layer.ImmuneLayer`); their targets die through the
tumour's :class:`abm.tumor.process.Deaths`.
"""
from __future__ import annotations

import numpy as np

from abm.core.agents import AgentMirror, ImmuneCell
from abm.core.process import Process
from abm.core.rng import STREAM_IMMUNE_INITIAL, uniform_array
from abm.errors import ConfigError
from abm.immune.damage import DamageModel
from abm.immune.layer import ImmuneLayer
from abm.immune.params import params_from_mapping
from abm.tumor.cells import CD8, NK


class Immune(Process):
    """The immune layer when ``immune.enabled``; reports its cells after each step (live CD8
    and NK cells, engaged cells, dysfunctional CD8 cells) and, through ``Deaths``, its kills;
    its hits, kills and the targets' recoveries go to the event tables.

    Attributes:
        layer: the :class:`ImmuneLayer` (``model.immune``).
        mirror: thin agents of the immune cells (``run.thin_agents``), or None.
    """

    name, timing = "immune", "immune"
    reporters = ("n_cd8", "n_nk", "n_engaged", "n_exhausted", "n_exhausted_fixed")

    def __init__(self, layer: ImmuneLayer, mirror: AgentMirror | None):
        self.layer, self.mirror = layer, mirror
        if mirror is not None:
            mirror.add(layer.table.live_rows())

    @classmethod
    def from_config(cls, model, snapshot):
        im = model.config.immune
        if not im.enabled:
            return None
        if not model.config.chemokine.field:
            raise ConfigError("immune.enabled = true needs chemokine.field = true (immune cells "
                              "enter and navigate by the chemokine)")
        try:
            params, recognition = params_from_mapping({"cd8": im.cd8, "nk": im.nk})
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        damage = DamageModel.from_section(im)
        if snapshot is not None:
            layer = ImmuneLayer.from_snapshot(snapshot, model.dx_um, model.vessels, params,
                                              recognition, model.seed, damage)
        else:
            layer = ImmuneLayer(model.shape, model.dx_um, model.vessels, params, recognition,
                                model.seed, damage)
            _seed_initial(layer, im, model.shape, model.dx_um, model.vessels, model.seed)
        mirror = AgentMirror(model, ImmuneCell) if model.config.run.thin_agents else None
        return cls(layer, mirror)

    def step(self, model):
        c = model.cells
        result = self.layer.step(model.step_index, model.dt_min, model.time_min,
                                 model.fields["chemokine"], model.space.occupancy, c,
                                 model.effects.pdl1_blockade)
        if self.mirror is not None:
            self.mirror.add(result.entered_rows)
            self.mirror.remove(result.exited_rows)
        kinds = result.kill_events["immune_kind"]
        deaths = model.process("deaths")
        deaths.record(immune_kills_cd8=int(np.count_nonzero(kinds == CD8)),
                      immune_kills_nk=int(np.count_nonzero(kinds == NK)))
        for table, events in (("immune_kills", result.kill_events),
                              ("immune_hits", result.hit_events),
                              ("immune_recoveries", result.recovery_events)):
            if len(events["time_min"]):
                model.step_events[table] = events
        deaths.kill(model, result.killed_rows)

    def snapshot(self):
        return self.layer.snapshot()

    def counts(self, model):
        return self.layer.counts()


def _seed_initial(layer: ImmuneLayer, im, shape: tuple[int, int], dx_um: float,
                  vessels: np.ndarray, seed: int) -> None:
    """Place the initial CD8 and NK cells (``immune.initial_<kind>_per_mm2``) on free sites
    in a seeded random order, CD8 first."""
    area_mm2 = shape[0] * shape[1] * (dx_um / 1000.0) ** 2
    free = np.flatnonzero(~vessels.ravel())
    draws = uniform_array(seed, 0, free.astype(np.int64), STREAM_IMMUNE_INITIAL)
    order = free[np.argsort(draws, kind="stable")]
    start = 0
    for kind, density in ((CD8, im.initial_cd8_per_mm2), (NK, im.initial_nk_per_mm2)):
        n = min(round(density * area_mm2), len(order) - start)
        sites = order[start:start + n]
        layer.place(kind, sites % shape[1], sites // shape[1], 0.0)
        start += n
