"""The secondary site: a second tissue model, stepped with the primary, that receives the
cells of CTC units arresting in its capillaries.

The site is a full tissue model of the same class as the primary (built by the caller's
model class, so this module does not import :mod:`abm.model`) on its own config, derived
from the primary's by :func:`site_config`: the site's grid, vessels, vessel O2 and niche
from ``[secondary]``, no initial tumour, no shedding, immune cells if ``secondary.immune``
(entering at ``secondary.immune_recruitment`` × the primary's rate, as do neutrophils up the
chemokine, while an inflammation pulse draws them at the primary's rate), the inflammation
pulse of ``secondary.inflammation_at_h``, and the primary's drugs (they are systemic) but not
its resections.

Arrival (:meth:`SecondarySite.receive`): an arrested unit lands next to one of the site's
vessels, chosen uniformly (a counter-based draw keyed by the unit's id). Each of its living
cells extravasates with ``secondary.extravasation_probability`` (its own draw, keyed by the
cell's id) and takes, in the order the unit shed them (the shedding cell first), the free
non-vessel site nearest the vessel within
``secondary.landing_radius_um`` (sites by distance, ties in raster order); cells that do not
extravasate, or find no free site, die. An extravasated cell's row is copied bit for bit
from the blood (:class:`abm.circulation.transit.TransitCells`): same id, network state,
phase, NR2F1, hours spent hypoxic, EMT, PD-L1 and MHC-I; only its site changes and its
``founder_id`` becomes its id, which its descendants inherit — a colony is the live cells
of one founder. Cells born at the site get ids from :data:`SITE_ID_BASE` on, so ids stay
unique across sites.

Colonies (:func:`colony_counts`): a disseminated tumour cell (DTC) is a cell of a colony
below ``secondary.micrometastasis_cells``; a colony of at least that many cells is a
micrometastasis, of at least ``secondary.macrometastasis_cells`` a macrometastasis.
"""
from __future__ import annotations

import tomllib

import numpy as np

from abm.circulation.transit import TransitCells
from abm.core.rng import STREAM_EXTRAVASATE, STREAM_SITE_VESSEL, uniform_array
from abm.core.rowtable import _COUNTER_NEXT_ID
from abm.immune.params import KIND_NAMES, params_from_mapping
from abm.immune.sections import ImmuneParam
from abm.myeloid.signals import net_vessel_share
from abm.schema import Config, config_from_dict, to_toml
from abm.therapy.sections import PROCEDURES
from abm.tumor.cells import DORMANT
from abm.tumor.lattice_events import placement_shells

SITE_ID_BASE = 1 << 40
"""First id of a cell born at the secondary site (the primary's ids stay far below)."""
SITE_SEED_OFFSET = 1_000_003
"""The site's seed is the run's seed plus this (its draws must differ from the primary's)."""
SNAPSHOT_PREFIX = "site.secondary."
DTC_EVENT_COLUMNS = ("time_min", "cell_id", "unit_id", "unit_size", "extravasated", "placed",
                     "phase", "hypoxic_h", "nr2f1", "emt", "x", "y", "unit_platelets",
                     "unit_escorts", "net_at_vessel", "extravasation_probability")
"""Columns of the site's ``dtc`` event table: one row per living cell of an arrested unit
(``unit_size``: its living cells as it arrested; x, y in µm, -1 when it did not land;
``unit_platelets`` its unit's platelet coverage, ``unit_escorts`` its escorting neutrophils,
``net_at_vessel`` whether a NET reached the landing vessel, and the resulting
``extravasation_probability``)."""


def site_config(config: Config) -> Config:
    """The secondary site's config derived from the primary's ``config`` (module docstring)."""
    s = config.secondary
    data = tomllib.loads(to_toml(config))
    data.pop("config_version", None)
    name = f"{data.pop('name', config.name)}_secondary"
    data["grid"].update(nx=s.nx, ny=s.ny)
    data["vessels"].update(pattern="random", density_per_mm2=s.vessel_density_per_mm2,
                           min_spacing_um=s.vessel_min_spacing_um, avascular_radius_um=0.0,
                           poorly_perfused_fraction=0.0)
    data["oxygen"]["vessel_mmHg"] = s.vessel_mmHg
    data["tumor"]["seed_pattern"] = "none"
    data["shedding"]["enabled"] = False
    data["secondary"]["enabled"] = False
    data["immune"]["enabled"] = s.immune
    if s.immune:
        data["chemokine"]["field"] = True
        defaults, _ = params_from_mapping({k: data["immune"].get(k, {}) for k in KIND_NAMES})
        for i, kind in enumerate(KIND_NAMES):
            data["immune"].setdefault(kind, {})["recruit_per_min"] = float(
                defaults[i, ImmuneParam.RECRUIT_PER_MIN] * s.immune_recruitment)
    data["intracellular"]["growth_factor"] = s.niche_growth_factor
    data["cell_state"]["nr2f1_gf_repression"] = s.nr2f1_gf_repression
    data["neutrophils"]["inflammation_at_h"] = s.inflammation_at_h
    if s.immune_recruitment > 0.0:  # fewer enter up the chemokine, as many in a pulse
        n = config.neutrophils
        data["neutrophils"]["recruit_per_min"] = n.recruit_per_min * s.immune_recruitment
        data["neutrophils"]["inflammation_recruit_gain"] = (n.inflammation_recruit_gain
                                                            / s.immune_recruitment)
    data["therapy"] = [t for t in data.get("therapy", []) if t["drug"] not in PROCEDURES]
    data["output"]["figure"] = False
    return config_from_dict(data, name=name)


class SecondarySite:
    """The secondary site of a run.

    Args:
        model_class: the tissue model class (the primary's ``type(model)``).
        config: the primary's config. seed: the run's seed.
        snapshot: the primary's checkpoint (its ``site.secondary.*`` entries), or None.

    Attributes:
        model: the site's tissue model. config: its config (:func:`site_config`).
        arrivals: the last step's ``dtc`` event rows (:data:`DTC_EVENT_COLUMNS`).
    """

    event_tables = {"dtc": DTC_EVENT_COLUMNS}
    """The event table the site adds to its tissue's (its arrivals)."""

    def __init__(self, model_class, config: Config, seed: int, snapshot: dict | None = None):
        self.section = config.secondary
        self.config = site_config(config)
        site_seed = int(seed) + SITE_SEED_OFFSET
        mine = {k[len(SNAPSHOT_PREFIX):]: v for k, v in (snapshot or {}).items()
                if k.startswith(SNAPSHOT_PREFIX)}
        if mine:
            self.model = model_class.from_checkpoint(self.config, site_seed, mine)
        else:
            self.model = model_class(self.config, seed=site_seed)
            self.model.cells.counters[_COUNTER_NEXT_ID] = SITE_ID_BASE
        self.vessel_sites = np.flatnonzero(self.model.vessels.ravel())
        # nearest first, ties in raster order; the vessel's own site is never free
        shells = placement_shells(self.section.landing_radius_um / self.model.dx_um)
        self._offsets = (shells.off_x, shells.off_y)
        self.awakened = False
        self.arrivals = no_arrivals()
        self._colonies = None  # colony counts of the current cells (cleared when they change)

    def receive(self, transit: TransitCells, arrival, step: int,
                time_min: float) -> dict[str, np.ndarray]:
        """The living cells of ``arrival`` (an :class:`abm.circulation.process.Arrival`)
        arrive (module docstring); their rows leave ``transit`` and its escorts join the
        site's neutrophils. Returns their ``dtc`` event rows."""
        m = self.model
        seed = m.seed
        unit_id = arrival.unit_id
        ids = np.asarray(arrival.cell_ids, dtype=np.int64)
        rows = transit.rows_of(ids)
        xs, ys = np.full(len(ids), -1), np.full(len(ids), -1)
        vx = vy = -1
        if len(self.vessel_sites):
            pick = uniform_array(seed, step, np.array([unit_id]), STREAM_SITE_VESSEL)[0]
            vy, vx = divmod(int(self.vessel_sites[int(pick * len(self.vessel_sites))]),
                            m.shape[1])
        net = self._net_reaches(vx, vy)
        p = self.extravasation_probability(arrival.platelets, net)
        extravasated = uniform_array(seed, step, ids, STREAM_EXTRAVASATE) < p
        if vx >= 0:
            free_x, free_y = self._free_sites_near(vx, vy)
            k = min(int(extravasated.sum()), len(free_x))
            chosen = np.flatnonzero(extravasated)[:k]
            xs[chosen], ys[chosen] = free_x[:k], free_y[:k]
        placed = xs >= 0
        events = {"time_min": np.full(len(ids), time_min), "cell_id": ids,
                  "unit_id": np.full(len(ids), unit_id), "unit_size": np.full(len(ids), len(ids)),
                  "extravasated": extravasated, "placed": placed,
                  "phase": transit.phase[rows].copy(), "hypoxic_h": transit.hypoxic_h[rows].copy(),
                  "nr2f1": transit.nr2f1[rows].copy(), "emt": transit.emt[rows].copy(),
                  "x": np.where(placed, (xs + 0.5) * m.dx_um, -1.0),
                  "y": np.where(placed, (ys + 0.5) * m.dx_um, -1.0),
                  "unit_platelets": np.full(len(ids), arrival.platelets),
                  "unit_escorts": np.full(len(ids), arrival.neutrophils),
                  "net_at_vessel": np.full(len(ids), net),
                  "extravasation_probability": np.full(len(ids), p)}
        neutrophils = m.process("neutrophils")
        if neutrophils is not None and vx >= 0 and arrival.neutrophils:
            neutrophils.place_near(m, vx, vy, arrival.neutrophils, step, time_min)
        if placed.any():
            new = m.cells.take_copies(transit, rows[placed])
            m.cells.x[new], m.cells.y[new] = xs[placed], ys[placed]
            m.cells.founder_id[new] = m.cells.id[new]
            m.cells.gf_signal[new] = 0.0  # the primary's signal; the site's is set in its step
            m.occupancy[ys[placed], xs[placed]] = new
            if m.agents_mirror is not None:
                m.agents_mirror.add(new)
        transit.drop(ids)
        self._colonies = None
        return events

    def _net_reaches(self, x: int, y: int) -> bool:
        """Whether a NET of the site's neutrophils reaches site ``(x, y)`` (False at -1)."""
        neutrophils = self.model.process("neutrophils")
        return bool(x >= 0 and neutrophils is not None and neutrophils.exposure[y, x] > 0)

    def extravasation_probability(self, platelets: float, net: bool) -> float:
        """Probability that a cell of an arrested unit extravasates: p₀ =
        ``extravasation_probability``; with platelet agents, × (1 − share·(1 − c)) for the
        unit's platelet coverage c (platelets open the endothelium); a NET at the landing
        vessel then lets ``net_extravasation_gain`` of the rest through."""
        c = self.config
        p = self.section.extravasation_probability
        if c.platelets.enabled:
            p *= 1.0 - c.platelets.permeability_share * (1.0 - platelets)
        if net:
            p += (1.0 - p) * c.neutrophils.net_extravasation_gain
        return p

    def arrest_factor(self) -> float:
        """Factor on the CTCs' arrest hazard from the site's NETs: 1 + ``neutrophils.
        net_arrest_gain`` × the share of its vessel sites a NET reaches (1 without
        neutrophils)."""
        neutrophils = self.model.process("neutrophils")
        if neutrophils is None:
            return 1.0
        return 1.0 + self.config.neutrophils.net_arrest_gain * net_vessel_share(
            neutrophils.exposure, self.model.vessels)

    def _free_sites_near(self, x0: int, y0: int) -> tuple[np.ndarray, np.ndarray]:
        """Free non-vessel sites within the landing radius of ``(x0, y0)``, nearest first."""
        m = self.model
        ny, nx = m.shape
        xs, ys = x0 + self._offsets[0], y0 + self._offsets[1]
        inside = (xs >= 0) & (xs < nx) & (ys >= 0) & (ys < ny)
        xs, ys = xs[inside], ys[inside]
        free = (m.occupancy[ys, xs] < 0) & ~m.vessels[ys, xs]
        return xs[free], ys[free]

    def step(self) -> None:
        """One step of the site's tissue (the awakening signal first, from its time on)."""
        s = self.section
        if s.awakening and not self.awakened and self.model.time_min >= s.awakening_at_h * 60.0:
            self.model.phenotype.set_input("GF", 1.0)
            self.model.phenotype.set_nr2f1_repression(0.0)
            self.awakened = True
        self.model.step()
        self._colonies = None

    def counts(self) -> dict[str, float]:
        """The site's reporters: its tissue's, then :func:`colony_counts` (counted once per
        state of the cells: the model and the recorder both ask)."""
        if self._colonies is None:
            self._colonies = colony_counts(self.model.cells, self.section)
        return {**self.model.counts, **self._colonies}

    def reporter_names(self) -> list[str]:
        return list(self.model.reporter_names()) + list(COLONY_REPORTERS)

    def step_events(self) -> dict[str, dict[str, np.ndarray]]:
        """The last step's event rows: the site tissue's, and the ``dtc`` arrivals."""
        events = dict(self.model.step_events)
        if len(self.arrivals["cell_id"]):
            events["dtc"] = self.arrivals
        return events

    def snapshot(self) -> dict:
        return {SNAPSHOT_PREFIX + k: v for k, v in self.model.snapshot().items()}


def no_arrivals() -> dict[str, np.ndarray]:
    """``dtc`` event columns without rows."""
    return {c: np.zeros(0) for c in DTC_EVENT_COLUMNS}


COLONY_REPORTERS = ("n_dtc", "n_dtc_dormant", "n_colonies", "n_micrometastases",
                    "n_macrometastases", "largest_colony")
"""The site's colony reporters (:func:`colony_counts`)."""


def colony_counts(cells, section) -> dict[str, int]:
    """Cells in DTC colonies (below ``micrometastasis_cells``) and the dormant ones among
    them, colonies, micrometastases (≥ ``micrometastasis_cells``, below
    ``macrometastasis_cells``), macrometastases and the largest colony (cells), over the live
    cells of ``cells`` (a colony: the live cells of one ``founder_id``)."""
    live = cells.live_rows()
    founders = cells.founder_id[live]
    if not len(live):
        return dict.fromkeys(COLONY_REPORTERS, 0)
    _, which, sizes = np.unique(founders, return_inverse=True, return_counts=True)
    small = sizes[which] < section.micrometastasis_cells
    dormant = cells.phase[live] == DORMANT
    return {"n_dtc": int(small.sum()), "n_dtc_dormant": int((small & dormant).sum()),
            "n_colonies": len(sizes),
            "n_micrometastases": int(np.count_nonzero(
                (sizes >= section.micrometastasis_cells)
                & (sizes < section.macrometastasis_cells))),
            "n_macrometastases": int(np.count_nonzero(sizes >= section.macrometastasis_cells)),
            "largest_colony": int(sizes.max())}
