"""Analyses of stored runs (read from the HDF5 file, never from a live model).

:func:`kill_statistics` turns the ``events/immune_kills`` table and the time series into the
numbers immunologists quote: kills per T cell per day, the kill hazard while engaged, and the
per-capita kill rate of tumour cells by phase. :func:`blood_draws` samples the circulating
CTCs at a clock time every day, as a blood draw would; :func:`seeding_by_unit` summarises
the ``events/ctc`` table.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.circulation.blood import outgrowth_probability, seeding_efficiency
from abm.circulation.ctc_table import CTC_FATES
from abm.circulation.params import blood_params
from abm.circulation.circadian import CircadianClock
from abm.schema import config_from_toml
from abm.io import load_run


def _ratio(count: int, exposure: float) -> float:
    return count / exposure if exposure > 0 else float("nan")


BLOOD_COUNTS = ("n_ctc_cells", "n_ctc_units", "n_ctc_clusters")
"""Time-series columns a blood draw reads: circulating CTC cells, units (singles + clusters),
clusters."""


def blood_draws(path: str | Path, clock_h: float) -> pd.DataFrame:
    """The circulating CTCs at the room's clock time ``clock_h`` (h) on every day of run
    ``path``: one row per day with the step closest to that clock time (``time_min``, the
    clock time read, and the :data:`BLOOD_COUNTS`). Draws fall after the step's shedding and
    circulation, as a draw at the end of that interval would."""
    with load_run(path) as run:
        series = run.timeseries
        config = config_from_toml(run.config_toml)
    t = series.index.to_numpy()
    clock = CircadianClock(config.circadian, config.run.start_clock_h).external_clock_h(t)
    distance = np.abs((clock - clock_h + 12.0) % 24.0 - 12.0)
    day = np.floor((t / 60.0 + config.run.start_clock_h - clock_h + 12.0) / 24.0).astype(int)
    rows = []
    for d in np.unique(day):
        in_day = np.flatnonzero(day == d)
        best = in_day[np.argmin(distance[in_day])]
        if distance[best] <= np.median(np.diff(t)) / 60.0:  # the draw time lies in the run
            rows.append({"day": int(d), "time_min": float(t[best]), "clock_h": float(clock[best]),
                         **{name: float(series[name].iloc[best]) for name in BLOOD_COUNTS}})
    return pd.DataFrame(rows)


def seeding_by_unit(path: str | Path) -> dict:
    """Metastatic seeding of the units shed in run ``path`` (``events/ctc``; units still in
    the blood at the end, fate ``circulating``, are not counted).

    Returns :func:`abm.circulation.blood.seeding_efficiency` (seeds per shed single and cluster, their
    ratio, seeds per shed cell; a cluster's dissociated singles count towards it) plus
    ``n_units`` and ``n_clusters`` shed, ``per_unit_rest`` / ``per_unit_active``: seeds per
    unit shed in the body's rest / active phase, and ``cluster_fraction_circulating``: the
    time-averaged share of circulating units that are clusters; and ``expected_*``: the same
    rates from each arrested unit's outgrowth probability instead of its drawn outcome (the
    same expectation with much less noise; ``expected_ratio`` clusters / singles).
    """
    with load_run(path) as run:
        ctc = run.events("ctc") if "ctc" in run.event_tables else None
        series = run.timeseries
        config = config_from_toml(run.config_toml)
    units = series["n_ctc_units"].to_numpy()
    fraction = float(series["n_ctc_clusters"].to_numpy().sum() / max(units.sum(), 1))
    if ctc is not None:
        ctc = ctc[ctc["fate"] != "circulating"].reset_index(drop=True)
    if ctc is None or not len(ctc):
        return {"n_units": 0, "n_clusters": 0, "cluster_fraction_circulating": fraction}
    fate = np.array([CTC_FATES[f] for f in ctc["fate"]], dtype=np.int8)
    records = {"parent_id": ctc["parent_id"].to_numpy(), "size_shed": ctc["size_shed"].to_numpy(),
               "fate": fate}
    out = seeding_efficiency(records)
    shed = records["parent_id"] == -1
    c = config.circadian
    rest = np.mod(ctc["shed_clock_h"].to_numpy() - c.rest_onset_h, 24.0) < c.rest_duration_h
    seeded = fate == CTC_FATES["seeded"]
    # Expected seeds: each arrested unit's outgrowth probability (far less noise than the
    # seeds drawn from it; same expectation).
    params = blood_params(config.blood.params)
    arrested = np.flatnonzero((fate == CTC_FATES["seeded"]) | (fate == CTC_FATES["arrested_failed"]))
    expected = np.zeros(len(fate))
    size, competence, escorts = (ctc[c].to_numpy() for c in ("size", "competence", "neutrophils"))
    for i in arrested:  # the blood's own (scalar, compiled) rule, once per arrested unit
        expected[i] = outgrowth_probability(params, int(size[i]), float(competence[i]),
                                            int(escorts[i]))
    cluster = records["size_shed"] >= 2
    n_single, n_cluster = int(np.count_nonzero(shed & ~cluster)), int(np.count_nonzero(shed & cluster))
    n_rest, n_active = int(np.count_nonzero(shed & rest)), int(np.count_nonzero(shed & ~rest))
    out.update(n_units=int(shed.sum()), n_clusters=n_cluster,
               per_unit_rest=_ratio(int(np.count_nonzero(seeded & rest)), n_rest),
               per_unit_active=_ratio(int(np.count_nonzero(seeded & ~rest)), n_active),
               expected_per_single=_ratio(expected[~cluster].sum(), n_single),
               expected_per_cluster=_ratio(expected[cluster].sum(), n_cluster),
               expected_per_cell=_ratio(expected.sum(), int(records["size_shed"][shed].sum())),
               expected_per_unit_rest=_ratio(expected[rest].sum(), n_rest),
               expected_per_unit_active=_ratio(expected[~rest].sum(), n_active),
               cluster_fraction_circulating=fraction)
    out["expected_ratio"] = _ratio(out["expected_per_cluster"], out["expected_per_single"])
    return out
