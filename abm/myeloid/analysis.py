"""The myeloid agents' effects read back from stored runs (the numbers of
``scenarios/myeloid.py``):

- :func:`escort_shares`: the share of shed units that took neutrophils from the tissue, and
  of those that left the blood escorted (Szczerba et al. 2019);
- :func:`metastatic_yield`: metastases (colonies ≥ ``secondary.micrometastasis_cells``) at
  the end per 1000 shed cells;
- :func:`awakening`: the share of the secondary site's dormant cells at a time that cycle or
  have divided a given time later (Albrengues et al. 2018);
- :func:`perivascular`: the mean EMT of viable primary cells next to a vessel, over the
  frames (Labelle et al. 2011), and their shedding hazard;
- :func:`shed_cells_per_day` and :func:`extravasation_share` (Schumacher et al. 2013).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.circulation.shedding import perivascular_sites
from abm.io import load_run
from abm.schema import config_from_toml
from abm.tumor.cells import PHASES, phase_codes

SITE = "secondary"
VIABLE = (PHASES["proliferating"], PHASES["quiescent"], PHASES["dormant"], PHASES["senescent"])


def timeseries(path: str | Path, site: str | None = None) -> pd.DataFrame:
    """The time series of run ``path`` (of its site ``site`` if given), indexed by min."""
    with load_run(path) as run:
        return (run if site is None else run.site(site)).timeseries


def escort_shares(path: str | Path) -> dict[str, float]:
    """``tissue_escort_share``: shed units that took at least one neutrophil from the tissue
    (time series ``units_escorted`` / ``ctc_shed_units``); ``escort_share``: shed units
    (not singles from a dissociated cluster) that had at least one escort when they left the
    blood or the run ended (``events/ctc``)."""
    with load_run(path) as run:
        series, units = run.timeseries, run.events("ctc")
    units = units[units["parent_id"] == -1]
    shed = series["ctc_shed_units"].sum()
    return {"tissue_escort_share": float(series["units_escorted"].sum() / shed) if shed
            else float("nan"),
            "escort_share": float(np.mean(units["neutrophils"].to_numpy() > 0)) if len(units)
            else float("nan")}


def metastatic_yield(path: str | Path) -> float:
    """Colonies of at least ``secondary.micrometastasis_cells`` at the secondary site at the
    end, per 1000 cells shed by the primary (NaN without shed cells)."""
    with load_run(path) as run:
        shed = run.timeseries["ctc_shed_cells"].sum()
        site = run.site(SITE).timeseries.iloc[-1]
    metastases = site["n_micrometastases"] + site["n_macrometastases"]
    return float(1000.0 * metastases / shed) if shed else float("nan")


def awakening(path: str | Path, at_h: float, window_h: float) -> float:
    """Of the secondary site's cells dormant in the first frame at or after ``at_h``, the
    share that are proliferating, or have a daughter born since, in the first frame at least
    ``window_h`` later (the last frame if the run ends before; NaN without dormant cells)."""
    with load_run(path) as run:
        site = run.site(SITE)
        times = np.asarray(site.frame_times)
        first = min(int(np.searchsorted(times, at_h * 60.0)), len(times) - 1)
        last = min(int(np.searchsorted(times, at_h * 60.0 + window_h * 60.0)), len(times) - 1)
        before, after = site.cells(first), site.cells(last)
    dormant = before.index.to_numpy()[phase_codes(before["phase"]) == PHASES["dormant"]]
    if not len(dormant):
        return float("nan")
    cycling = after.index.to_numpy()[phase_codes(after["phase"]) == PHASES["proliferating"]]
    mothers = after["parent_id"].to_numpy()[after["birth_min"].to_numpy() > times[first]]
    return float(np.mean(np.isin(dormant, cycling) | np.isin(dormant, mothers)))


def perivascular(path: str | Path) -> dict[str, float]:
    """The primary's viable cells on a Moore neighbour of a vessel (the cells that can
    shed), over all frames, read once: ``emt``, their mean EMT; ``shedding_hazard``, the units
    shed over the run per such cell and hour (the mean number of them over the frames × the
    run's hours: a per-cell rate that a change in how many cells touch vessels does not
    move). NaN without such cells."""
    emt = []
    with load_run(path) as run:
        near = perivascular_sites(np.asarray(run.vessels, dtype=bool))
        dx = float(run.attrs["dx_um"])
        for frame in range(len(run.frame_times)):
            cells = run.cells(frame)
            ix = np.floor(cells["x"].to_numpy() / dx).astype(np.int64)
            iy = np.floor(cells["y"].to_numpy() / dx).astype(np.int64)
            sel = near[iy, ix] & np.isin(phase_codes(cells["phase"]), VIABLE)
            emt.append(cells["emt"].to_numpy()[sel])
        shed = run.timeseries["ctc_shed_units"].sum()
        hours = config_from_toml(run.config_toml).run.days * 24.0
    cells = np.mean([len(e) for e in emt])
    values = np.concatenate(emt)
    return {"emt": float(values.mean()) if len(values) else float("nan"),
            "shedding_hazard": float(shed / (cells * hours)) if cells else float("nan")}


def shed_cells_per_day(path: str | Path) -> float:
    """Cells the primary shed per day of the run."""
    with load_run(path) as run:
        shed = run.timeseries["ctc_shed_cells"].sum()
        days = config_from_toml(run.config_toml).run.days
    return float(shed / days)


def extravasation_share(path: str | Path) -> float:
    """Share of the living cells of arrested units that extravasated at the secondary site
    (site ``dtc`` events; NaN without arrivals)."""
    with load_run(path) as run:
        arrived = run.site(SITE).events("dtc")
    return float(arrived["extravasated"].astype(bool).mean()) if len(arrived) else float("nan")
