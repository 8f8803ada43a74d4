"""Dissemination read back from a stored run: which CTCs were hypoxic, what the disseminated
cells did at the secondary site, and when the first macrometastasis appeared.

- :func:`hypoxic_shedding`: the hypoxic share of shed clusters and of single CTCs (Donato
  et al. 2020: most clusters hypoxic, singles mostly not), from ``events/ctc``.
- :func:`dtc_dormancy`: how often disseminated cells that carried hypoxia (≥
  :data:`POST_HYPOXIC_H` hours spent hypoxic when they left) are dormant at the site, against
  those that did not (Fluegen et al. 2017), from the site's ``dtc`` events and frames.
- :func:`arrested_fates`: the fates of the cells of arrested units a given time after their
  arrival, in Luzzi et al. 1998's categories (died in the capillary, died after
  extravasation, solitary — dormant or not —, small clusters, micro- and macrometastases).
- :func:`time_to_macrometastasis`: the first time the site has a macrometastasis.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.io import load_run
from abm.schema import config_from_toml
from abm.tumor.cells import PHASES, phase_codes

SITE = "secondary"
HYPOXIC_UNIT_SHARE = 0.5
"""A shed unit is hypoxic when at least this share of its cells were hypoxic as it left (a
hypoxia marker on most of its cells)."""
POST_HYPOXIC_H = 6.0
"""A disseminated cell carried hypoxia when it had spent at least this long (h) below
``oxygen.hypoxic_mmHg`` since its birth as it left: a hypoxia marker (pimonidazole adducts,
an HRE-driven fate-mapping reporter as in Fluegen et al. 2017) needs hours of hypoxia."""
DORMANCY_DELAY_H = 48.0
"""A disseminated cell's phase is read in the first frame at least this long after it
arrived (h): long enough for a cell that arrived cycling to have arrested."""


def hypoxic_shedding(path: str | Path) -> dict:
    """Shed units of run ``path`` by kind (``events/ctc``; singles from a dissociated cluster
    are not shed units): ``clusters``, ``singles`` (counts), ``hypoxic_cluster_share``,
    ``hypoxic_single_share``, ``mean_size_hypoxic_clusters``,
    ``mean_size_normoxic_clusters`` (cells; NaN without any)."""
    with load_run(path) as run:
        units = run.events("ctc")
    units = units[units["parent_id"] == -1]
    size = units["size_shed"].to_numpy()
    hypoxic = units["hypoxic"].to_numpy() >= HYPOXIC_UNIT_SHARE
    cluster = size >= 2
    return {"clusters": int(cluster.sum()), "singles": int((~cluster).sum()),
            "hypoxic_cluster_share": _mean(hypoxic[cluster]),
            "hypoxic_single_share": _mean(hypoxic[~cluster]),
            "mean_size_hypoxic_clusters": _mean(size[cluster & hypoxic]),
            "mean_size_normoxic_clusters": _mean(size[cluster & ~hypoxic])}


def dtc_dormancy(path: str | Path, delay_h: float = DORMANCY_DELAY_H) -> dict:
    """The share of disseminated cells that are dormant ``delay_h`` after they arrived, for
    those that carried hypoxia (``hypoxic_h`` ≥ :data:`POST_HYPOXIC_H` when they left the
    primary) and those that did not. A cell's phase is read in the first site frame at least ``delay_h`` after its
    arrival, if it is alive then (a cell keeps its id when it divides).

    Returns ``hypoxic`` and ``normoxic``: dicts with ``cells`` (read), ``dormant`` (share);
    and ``ratio`` = hypoxic / normoxic dormant share (NaN when undefined)."""
    with load_run(path) as run:
        site = run.site(SITE)
        arrived = site.events("dtc")
        times = np.asarray(site.frame_times)
        arrived = arrived[arrived["placed"].astype(bool)]
        due = arrived["time_min"].to_numpy() + delay_h * 60.0
        frame = np.searchsorted(times, due)
        phases = np.full(len(arrived), -1)
        for f in np.unique(frame[frame < len(times)]):
            cells = site.cells(int(f))
            phase_of = dict(zip(cells.index.to_numpy().tolist(), phase_codes(cells["phase"])))
            sel = np.flatnonzero(frame == f)
            phases[sel] = [phase_of.get(int(i), -1) for i in arrived["cell_id"].to_numpy()[sel]]
    read = phases >= 0
    carried = arrived["hypoxic_h"].to_numpy() >= POST_HYPOXIC_H
    out = {}
    for name, group in (("hypoxic", carried), ("normoxic", ~carried)):
        sel = read & group
        out[name] = {"cells": int(sel.sum()),
                     "dormant": _mean(phases[sel] == PHASES["dormant"])}
    h, n = out["hypoxic"]["dormant"], out["normoxic"]["dormant"]
    out["ratio"] = h / n if n > 0 else float("nan")
    return out


def arrested_fates(path: str | Path, age_h: float) -> dict:
    """What became of the cells of arrested units ``age_h`` after each arrived (read in the
    first site frame at least that long after; cells that arrived later than that before the
    end are left out): shares that ``died_in_capillary`` (did not extravasate or found no
    room), ``died_after_extravasation`` (their colony is gone), are ``solitary`` (a colony of
    one cell; ``solitary_dormant`` the dormant ones), in ``small_clusters`` (below the
    micrometastasis size), founded ``micrometastases`` or ``macrometastases``; and ``cells``
    (how many). Luzzi et al. 1998 read their cells 3 and 13 days after injection."""
    with load_run(path) as run:
        config = config_from_toml(run.config_toml).secondary
        site = run.site(SITE)
        arrived = site.events("dtc")
        times = np.asarray(site.frame_times)
        frame = np.searchsorted(times, arrived["time_min"].to_numpy() + age_h * 60.0)
        arrived, frame = arrived[frame < len(times)], frame[frame < len(times)]
        size = np.zeros(len(arrived))
        dormant = np.zeros(len(arrived), dtype=bool)
        ids = arrived["cell_id"].to_numpy()
        for f in np.unique(frame):
            cells = site.cells(int(f))
            size_of = pd.Series(cells["founder_id"].to_numpy()).value_counts()
            phase_of = dict(zip(cells.index.to_numpy().tolist(), phase_codes(cells["phase"])))
            sel = np.flatnonzero(frame == f)
            size[sel] = pd.Series(ids[sel]).map(size_of).fillna(0).to_numpy()
            dormant[sel] = [phase_of.get(int(i), -1) == PHASES["dormant"] for i in ids[sel]]
    placed = arrived["placed"].to_numpy().astype(bool)
    micro, macro = config.micrometastasis_cells, config.macrometastasis_cells
    shares = {
        "died_in_capillary": ~placed,
        "died_after_extravasation": placed & (size == 0),
        "solitary": placed & (size == 1),
        "solitary_dormant": placed & (size == 1) & dormant,
        "small_clusters": placed & (size >= 2) & (size < micro),
        "micrometastases": placed & (size >= micro) & (size < macro),
        "macrometastases": placed & (size >= macro)}
    return {"cells": len(arrived), **{k: _mean(v) for k, v in shares.items()}}


def time_to_macrometastasis(path: str | Path) -> float:
    """Time (d) at which the site first holds a macrometastasis (NaN: never)."""
    with load_run(path) as run:
        series = run.site(SITE).timeseries
    hit = np.flatnonzero(series["n_macrometastases"].to_numpy() > 0)
    return float(series.index[hit[0]] / 1440.0) if len(hit) else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")
