"""Immune killing read back from a stored run (never from a live model).

:func:`kill_statistics` turns the event tables ``immune_kills``, ``immune_hits``,
``immune_recoveries`` and ``immune_cells`` (the immune cells at every frame) and the time
series into the numbers immunologists quote: kills per T cell per day (Halle et al. 2016),
hits per kill and the share of cooperative kills (Weigelin et al. 2021), the share of NK
cells that kill nothing (Vanherberghen et al. 2013), and the dysfunction of CD8 cells over
time (Schietinger et al. 2016).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.immune.killing import FIXED, PLASTIC
from abm.io import load_run
from abm.tumor.cells import CD8, NK, PHASES, phase_codes

DAY_MIN = 1440.0
NK_STAY_MIN = 720.0
"""NK cells counted in the per-cell kill distribution stayed at least this long (min): 12 h,
about the duration of Vanherberghen et al. 2013's microwell recordings."""


def kill_statistics(path: str | Path, since_min: float = 0.0) -> dict:
    """Immune killing in run ``path``; rates from ``since_min`` (min) to the end.

    Returns a dict:

    - ``kills_cd8``, ``kills_nk``: kills by each kind after ``since_min``;
    - ``kills_per_cd8_day``, ``kills_per_nk_day``: those kills / ∫ n_kind dt (per cell and
      day present; NaN when that kind was never there);
    - ``kills_per_cd8_day_thirds``: the same rate in the first, middle and last third of the
      whole run (``since_min`` ignored), a tuple of 3;
    - ``hazard_per_engaged_min``: kills per engaged-cell minute (min⁻¹), −ln(1 − q)/dt with
      q = kills / (engaged-cell steps);
    - ``hits_per_engaged_min``: hits delivered per engaged-cell minute (min⁻¹): the hit rate
      of a contact (NaN without a hit table);
    - ``per_capita_per_day``: phase name → kills of tumour cells in that phase / ∫ n_phase dt;
    - ``hits_per_kill``: mean hits a killed target received since its last recovery (NaN
      without kills or without a hit table, as in runs before hits were recorded);
    - ``cooperative_share``: share of those kills whose hits came from ≥ 2 immune cells;
    - ``recoveries``: damaged targets that recovered; ``recovered_share``: recoveries /
      (recoveries + kills) of the damaged targets;
    - ``nk_kill_counts``: kills per NK cell that stayed ≥ :data:`NK_STAY_MIN` (whole run;
      int array); ``nk_none_share``: the share of them that killed nothing;
      ``nk_top_share``: the share of their kills made by the top fifth of them;
    - ``cd8_kill_counts``: kills per CD8 cell seen in the frames (whole run);
    - ``dysfunction``: DataFrame indexed by time (d), columns ``plastic`` and ``fixed``: the
      fraction of live CD8 cells in each dysfunctional state (NaN before the first CD8);
    - ``dysfunction_by_residence``: the same fractions among the CD8 cells of all frames by
      whole days since their entry (index: day 0, 1, …; column ``n``: cells counted), the
      time course of one cell's dysfunction that imaging and transfer studies report.

    Integrals are sums over steps of the counts at the end of the previous step × dt (the
    time series has one row per step).
    """
    with load_run(path) as run:
        series = run.timeseries
        tables = {name: run.events(name) if name in run.event_tables else None
                  for name in ("immune_kills", "immune_hits", "immune_recoveries",
                               "immune_cells")}
    t = series.index.to_numpy()
    dt = np.diff(t)
    kills_all = tables["immune_kills"]
    if kills_all is None:
        kills_all = pd.DataFrame({"time_min": [], "immune_id": [], "immune_kind": [],
                                  "target_id": [], "target_phase": []})
    window = t[1:] > since_min
    at_risk = {name: _exposure(series, name, window, dt)
               for name in ["n_cd8", "n_nk", "n_engaged"] + [f"n_{p}" for p in PHASES]}
    kills = kills_all[kills_all["time_min"] > since_min]
    kind = kills["immune_kind"].to_numpy()
    n_cd8, n_nk = int(np.count_nonzero(kind == CD8)), int(np.count_nonzero(kind == NK))
    phases = phase_codes(kills["target_phase"])
    hits_per_kill, cooperative = _hits_and_cooperation(kills, tables["immune_hits"],
                                                       tables["immune_recoveries"])
    recoveries = (0 if tables["immune_recoveries"] is None else
                  int(np.count_nonzero(tables["immune_recoveries"]["time_min"] > since_min)))
    nk_counts = _kills_per_cell(tables["immune_cells"], kills_all, NK, t[-1], NK_STAY_MIN)
    return {
        "kills_cd8": n_cd8, "kills_nk": n_nk,
        "kills_per_cd8_day": _ratio(n_cd8, at_risk["n_cd8"] / DAY_MIN),
        "kills_per_nk_day": _ratio(n_nk, at_risk["n_nk"] / DAY_MIN),
        "kills_per_cd8_day_thirds": _thirds(series, kills_all, t, dt),
        "hazard_per_engaged_min": _step_hazard(n_cd8 + n_nk, at_risk["n_engaged"], dt),
        "hits_per_engaged_min": (float("nan") if tables["immune_hits"] is None else _ratio(
            int(tables["immune_hits"].loc[tables["immune_hits"]["time_min"] > since_min,
                                          "hits"].sum()), at_risk["n_engaged"])),
        "per_capita_per_day": {p: _ratio(int(np.count_nonzero(phases == code)),
                                         at_risk[f"n_{p}"] / DAY_MIN)
                               for p, code in PHASES.items()},
        "hits_per_kill": hits_per_kill,
        "cooperative_share": cooperative,
        "recoveries": recoveries,
        "recovered_share": _ratio(recoveries, recoveries + len(kills)),
        "nk_kill_counts": nk_counts,
        "nk_none_share": float(np.mean(nk_counts == 0)) if len(nk_counts) else float("nan"),
        "nk_top_share": _top_share(nk_counts, 0.2),
        "cd8_kill_counts": _kills_per_cell(tables["immune_cells"], kills_all, CD8, t[-1], 0.0),
        "dysfunction": _dysfunction(series),
        "dysfunction_by_residence": _dysfunction_by_residence(tables["immune_cells"]),
    }


def _exposure(series: pd.DataFrame, name: str, window: np.ndarray, dt: np.ndarray) -> float:
    """∫ series[name] dt over the steps in ``window`` (0 when the run lacks the column)."""
    if name not in series:
        return 0.0
    return float(np.sum(series[name].to_numpy()[:-1][window] * dt[window]))


def _thirds(series, kills, t, dt) -> tuple[float, float, float]:
    """CD8 kills per CD8 per day in each third of the run."""
    edges = t[0] + (t[-1] - t[0]) * np.array([0.0, 1 / 3, 2 / 3, 1.0])
    cd8_kills = kills["time_min"].to_numpy()[kills["immune_kind"].to_numpy() == CD8]
    rates = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        window = (t[1:] > lo) & (t[1:] <= hi)
        n = int(np.count_nonzero((cd8_kills > lo) & (cd8_kills <= hi)))
        rates.append(_ratio(n, _exposure(series, "n_cd8", window, dt) / DAY_MIN))
    return tuple(rates)


def _hits_and_cooperation(kills, hits, recoveries) -> tuple[float, float]:
    """Mean hits per killed target since its last recovery, and the share of those kills
    with hits from ≥ 2 immune cells (NaN without kills or hits)."""
    if hits is None or not len(kills):
        return float("nan"), float("nan")
    last_recovery = ({} if recoveries is None else
                     recoveries.groupby("cell_id")["time_min"].max().to_dict())
    death = kills.set_index("target_id")["time_min"]
    on_killed = hits[hits["target_id"].isin(death.index)]
    since = on_killed["target_id"].map(lambda i: last_recovery.get(i, -np.inf))
    # ≥: a step's recoveries come before its hits (the damage decays first)
    counted = on_killed[on_killed["time_min"] >= since]
    per_target = counted.groupby("target_id").agg(hits=("hits", "sum"),
                                                  cells=("immune_id", "nunique"))
    if not len(per_target):
        return float("nan"), float("nan")
    return float(per_target["hits"].mean()), float(np.mean(per_target["cells"] >= 2))


def _kills_per_cell(frames, kills, kind: int, t_end: float, min_stay: float) -> np.ndarray:
    """Kills (whole run) of every immune cell of ``kind`` seen in the frames whose stay (last
    frame seen, or the end, minus entry) is at least ``min_stay`` min."""
    if frames is None or "birth_min" not in frames:
        return np.zeros(0, dtype=np.int64)
    cells = frames[frames["kind"] == kind].groupby("id").agg(
        birth=("birth_min", "first"), last=("time_min", "max"))
    stay = np.minimum(cells["last"], t_end) - cells["birth"]
    cells = cells[stay >= min_stay]
    counts = kills[kills["immune_kind"] == kind]["immune_id"].value_counts()
    return counts.reindex(cells.index, fill_value=0).to_numpy(dtype=np.int64)


def _top_share(counts: np.ndarray, fraction: float) -> float:
    """Share of all kills made by the ``fraction`` of cells that killed most."""
    total = counts.sum()
    if not len(counts) or total == 0:
        return float("nan")
    top = np.sort(counts)[::-1][: max(1, int(round(fraction * len(counts))))]
    return float(top.sum() / total)


def _dysfunction(series: pd.DataFrame) -> pd.DataFrame:
    """Fractions of live CD8 cells plastic and fixed over time (d)."""
    days = series.index.to_numpy() / DAY_MIN
    if "n_exhausted_fixed" not in series:  # runs before dysfunction was a state
        return pd.DataFrame({"plastic": [], "fixed": []})
    n = series["n_cd8"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        fixed = series["n_exhausted_fixed"].to_numpy() / n
        plastic = series["n_exhausted"].to_numpy() / n - fixed
    return pd.DataFrame({"plastic": plastic, "fixed": fixed}, index=pd.Index(days, name="day"))


def _dysfunction_by_residence(frames) -> pd.DataFrame:
    """Fractions plastic and fixed of the CD8 cells in the frames by whole days of residence."""
    if frames is None or "dysfunction" not in frames:
        return pd.DataFrame({"plastic": [], "fixed": [], "n": []})
    cd8 = frames[frames["kind"] == CD8]
    day = np.floor((cd8["time_min"] - cd8["birth_min"]) / DAY_MIN).astype(int)
    state = cd8["dysfunction"].to_numpy()
    table = pd.DataFrame({"day": day.to_numpy(), "plastic": state == PLASTIC,
                          "fixed": state == FIXED}).groupby("day")
    out = table[["plastic", "fixed"]].mean()
    out["n"] = table.size()
    return out


def _step_hazard(count: int, exposure_min: float, dt: np.ndarray) -> float:
    """Hazard (min⁻¹) from ``count`` events in ``exposure_min`` at-risk minutes of steps dt."""
    if exposure_min <= 0 or not len(dt):
        return float("nan")
    step = float(np.median(dt))
    return -np.log1p(-count * step / exposure_min) / step


def _ratio(count: int, exposure: float) -> float:
    return count / exposure if exposure > 0 else float("nan")
