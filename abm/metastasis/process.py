"""The secondary site's process (step 8b, after the blood): the site's tissue takes its
step, then the cells of the units that arrested during it arrive
(:meth:`abm.metastasis.site.SecondarySite.receive`), so that a cell's first row at the site
is the row it left the primary with."""
from __future__ import annotations

import numpy as np

from abm.core.guards import check_model
from abm.core.process import Process
from abm.metastasis.site import DTC_EVENT_COLUMNS, SecondarySite, no_arrivals


class Dissemination(Process):
    """The secondary site (``[secondary] enabled``); reports the cells that arrived this step
    and the site's colonies (its full time series, fields, cells and events go to the run
    file's ``sites/secondary`` group).

    Attributes:
        site: the :class:`SecondarySite` (its ``arrivals``: this step's ``dtc`` rows).
    """

    name, timing = "dissemination", "site"
    reporters = ("dtc_arrived", "dtc_extravasated", "site_dtc", "site_micrometastases",
                 "site_macrometastases")

    def __init__(self, site: SecondarySite):
        self.site = site

    @classmethod
    def from_config(cls, model, snapshot):
        if not model.config.secondary.enabled:
            return None
        return cls(SecondarySite(type(model), model.config, model.seed, snapshot))

    def step(self, model):
        self.site.step()
        blood = model.process("blood")
        t_end = model.time_min + model.dt_min
        rows = [self.site.receive(blood.transit, arrival, model.step_index, t_end)
                for arrival in blood.arrivals if len(arrival.cell_ids)]
        self.site.arrivals = ({c: np.concatenate([r[c] for r in rows])
                               for c in DTC_EVENT_COLUMNS} if rows else no_arrivals())
        if rows:  # the site's counts (taken in its step) must include the cells that arrived
            check_model(self.site.model)
            self.site.model.update_counts()

    def snapshot(self):
        return self.site.snapshot()

    def sites(self):
        return {"secondary": self.site}

    def counts(self, model):
        site, arrivals = self.site.counts(), self.site.arrivals
        return {"dtc_arrived": len(arrivals["cell_id"]),
                "dtc_extravasated": int(np.count_nonzero(arrivals["placed"])),
                "site_dtc": site["n_dtc"], "site_micrometastases": site["n_micrometastases"],
                "site_macrometastases": site["n_macrometastases"]}
