"""A BioModels SBML network drives every tumour cell's division, over replicate seeds.

``sbml_cell_cycle.toml``: Gérard & Goldbeter's skeleton Cdk network (BioModels
BIOMD0000000941, the SBML file as published) in every cell of a small vascularised tumour; its
growth factor GF falls with the local O2 (GF = O2²/(K² + O2²), K = 10 mmHg), a cell commits
when its cyclin B–Cdk1 rises through ``fate.commit_ef`` and divides ``fate.sg2m_mean_h``
later. Each replicate seed 1 … N (``--replicates``, default 3) runs into
``outputs/sbml_cycle_tissue_seed<k>.h5``. Measured, and compared with what the network alone predicts (the same SBML
network, integrated for one cell at constant GF by ``intracellular.simulate``; nothing here
is fitted):

- the division rate per cell and day against the cell's O2, from the frames (a cell divided
  in a frame interval if a cell born in it names it as parent), over cells that were not
  contact-inhibited at the interval's start (crowding blocks division whatever the network
  says), from day 1 on; predicted: the upward crossings of ``commit_ef`` per day of the
  network at GF(O2);
- the interval between the tissue's division waves (the founders start in phase, so the
  divisions come in waves one Cdk period apart) against the network's period at normoxic GF.

Prints the numbers (mean ± sample SD over seeds) and draws ``outputs/sbml_cycle_comparison.png``
(``--docs``: also ``docs/sbml_cell_cycle.png``; ``--replot``: from existing runs; ``abm run
sbml_cell_cycle.toml`` alone writes ``outputs/sbml_cell_cycle.h5`` and its standard figure).

    python scenarios/sbml_cell_cycle.py [--replicates 3] [--workers 2] [--days 8]
                                        [--out outputs/sbml_cycle.h5] [--overwrite] [--docs]
                                        [--replot]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import intracellular
from abm.io import load_run
from abm.schema import config_from_toml
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd, show
from abm.viz.style import OKABE_ITO, VESSEL_COLOR, mean_band
from abm.tumor.phenotype.binding import resolve_network

HERE = Path(__file__).resolve().parent
ARMS = {"tissue": None}
O2_EDGES = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 40.0])  # mmHg bins of the rate
SKIP_DAYS = 1.0  # the founders' first, synchronous S/G2/M is not the network's doing
VIABLE = ("proliferating", "quiescent", "dormant")
PREDICTION_HOURS = (100.0, 400.0)  # settle, then count crossings until the end
TISSUE, DEAD_COLOR = OKABE_ITO["blue"], "0.3"


def growth_factor(o2: np.ndarray, binding: dict) -> np.ndarray:
    """GF (µM) of the scenario's binding ``{source: oxygen, half, hill, scale}`` at ``o2``
    (mmHg): scale·O2ⁿ/(Kⁿ + O2ⁿ), written out here from the binding's definition."""
    k, n, scale = binding["half"], binding.get("hill", 1.0), binding.get("scale", 1.0)
    x = np.maximum(o2, 0.0) ** n
    return scale * x / (k ** n + x)


def predicted_rate(net, gf: float, commit: float, e2f: str) -> tuple[float, float]:
    """Upward crossings of ``commit`` by species ``e2f`` per day, and the oscillation period
    (h; NaN without oscillation through ``commit``), of the network alone at constant GF."""
    settle, end = PREDICTION_HOURS
    times, traj = intracellular.simulate(net, hours=end, inputs={"GF": gf}, n_points=8001,
                                         rtol=1e-8, atol=1e-10)
    keep = times >= settle
    t, level = times[keep], traj[e2f][keep]
    ups = t[1:][(level[:-1] < commit) & (level[1:] >= commit)]
    rate = len(ups) / ((end - settle) / 24.0)
    return rate, float(np.diff(ups).mean()) if len(ups) > 1 else float("nan")


def division_rates(path: Path) -> np.ndarray:
    """Divisions per cell and day in each O2 bin (:data:`O2_EDGES`) over the frame intervals
    after :data:`SKIP_DAYS`, among the viable tumour cells not contact-inhibited at the
    interval's start; NaN for an empty bin."""
    divided = np.zeros(len(O2_EDGES) - 1)
    exposure = np.zeros(len(O2_EDGES) - 1)  # cell-days
    with load_run(path) as run:
        times = np.asarray(run.frame_times, dtype=float)  # min
        previous = None
        for k, t in enumerate(times):
            cells = run.cells(k)
            if previous is not None and times[k - 1] >= SKIP_DAYS * 1440.0:
                t0, before = times[k - 1], previous
                born = cells[(cells["birth_min"] > t0) & (cells["birth_min"] <= t)]
                mothers = set(born["parent_id"].to_numpy().tolist())
                free = before[before["phase"].isin(VIABLE) & (before["contact_inhibited"] == 0)
                              & (before["kind"] == "tumor")]
                bins = np.digitize(free["oxygen"].to_numpy(float), O2_EDGES[1:-1])
                did = free.index.isin(mothers)
                np.add.at(divided, bins, did)
                np.add.at(exposure, bins, (t - t0) / 1440.0)
            previous = cells
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(exposure > 0, divided / exposure, np.nan)


def wave_interval(path: Path) -> float:
    """The interval (h) between the division waves: the lag of the highest autocorrelation of
    the divisions per step within 12–48 h (from day 1 on)."""
    with load_run(path) as run:
        series = run.timeseries
    t_h = series.index.to_numpy(float) / 60.0
    d = series["divisions"].to_numpy(float)[t_h >= SKIP_DAYS * 24.0]
    d = d - d.mean()
    step_h = float(np.median(np.diff(t_h)))
    lags = np.arange(int(12.0 / step_h), min(int(48.0 / step_h), len(d) // 2))
    if not len(lags) or not d.any():
        return float("nan")
    acf = np.array([np.dot(d[:-k], d[k:]) / (len(d) - k) for k in lags])
    return float(lags[np.argmax(acf)] * step_h)


def prediction(config) -> dict:
    """The network alone: rate per day at the centre of each O2 bin and on a fine O2 grid,
    and the period at normoxic GF."""
    ic, fate = config.intracellular, config.fate
    net = resolve_network(ic)
    binding, e2f = ic.inputs["GF"], ic.observables["e2f"]
    fine = np.geomspace(0.05, 40.0, 40)
    rates = [predicted_rate(net, float(growth_factor(np.array(o2), binding)), fate.commit_ef,
                            e2f)[0] for o2 in fine]
    centres = 0.5 * (O2_EDGES[:-1] + O2_EDGES[1:])
    at_bins = [predicted_rate(net, float(growth_factor(np.array(o2), binding)), fate.commit_ef,
                              e2f)[0] for o2 in centres]
    normoxic_gf = float(growth_factor(np.array(38.0), binding))
    return {"o2": fine, "rate": np.array(rates), "bins": np.array(at_bins),
            "period_h": predicted_rate(net, normoxic_gf, fate.commit_ef, e2f)[1],
            "gf_38": normoxic_gf}


def report(rates: dict, waves: dict, pred: dict) -> None:
    table = np.array(list(rates.values()))
    print(f"division rate per cell and day by O2 (mmHg), {len(rates)} seeds, cells not "
          "contact-inhibited, from day 1 (mean ± sample SD):")
    print(f"{'O2 bin':>12} {'tissue':>14} {'network alone':>14}")
    mean, sd = mean_sd(table, axis=0)
    for i in range(len(O2_EDGES) - 1):
        print(f"{O2_EDGES[i]:>5g}–{O2_EDGES[i + 1]:<6g} {mean[i]:>7.2f} ± "
              f"{sd[i]:<5.2f} {pred['bins'][i]:>14.2f}")
    w_mean, w_sd = mean_sd(list(waves.values()))
    print(f"interval between division waves: {w_mean:.1f} ± {w_sd:.1f} h; the "
          f"network's period at GF {pred['gf_38']:.3f} µM (38 mmHg): {pred['period_h']:.1f} h")


def figure(paths: dict, rates: dict, waves: dict, pred: dict, figures: list[Path]) -> list[Path]:
    """The map of the first seed; divisions and growth as the mean over the seeds with a
    ± SD band; the division rate by O2 as mean ± SD dots against the network alone."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 4.6), layout="constrained")
        (ax_map, ax_waves, ax_rate), (ax_count, ax_key, ax_spare) = fig.subplots(2, 3)
        ax_spare.remove()
        first = paths[min(paths)]
        with load_run(first) as run:
            cells = run.cells(run.n_frames - 1)
            dx = float(run.attrs["dx_um"])
            vessels = np.asarray(run.vessels)
            config = config_from_toml(run.config_toml)
        e2f = config.intracellular.observables["e2f"]
        tumour = cells[cells["kind"] == "tumor"]
        alive = tumour[tumour["phase"].isin(VIABLE)]
        dead = tumour[~tumour["phase"].isin(VIABLE)]
        vy, vx = np.nonzero(vessels)
        ax_map.scatter((vx + 0.5) * dx / 1000, (vy + 0.5) * dx / 1000, s=3, c=VESSEL_COLOR,
                       linewidths=0)
        ax_map.scatter(dead["x"] / 1000, dead["y"] / 1000, s=0.5, c=DEAD_COLOR, linewidths=0)
        sc = ax_map.scatter(alive["x"] / 1000, alive["y"] / 1000, s=0.5, c=alive[e2f],
                            cmap="viridis", vmin=0.0, vmax=3.0, linewidths=0)
        fig.colorbar(sc, ax=ax_map, label=f"{e2f} (µM)", shrink=0.8)
        ax_map.set(aspect="equal", xlabel="x (mm)", ylabel="y (mm)",
                   title=f"(a) cyclin B–Cdk1, day {config.run.days:g}\n(seed {min(paths)})",
                   xlim=(0, vessels.shape[1] * dx / 1000), ylim=(0, vessels.shape[0] * dx / 1000))
        divisions, viable = [], []
        for path in paths.values():
            with load_run(path) as run:
                series = run.timeseries
            days = series.index.to_numpy(float) / 1440.0
            per_hour = np.convolve(series["divisions"].to_numpy(float), np.ones(10), "same")
            divisions.append(pd.Series(per_hour, index=days))
            viable.append(pd.Series(series["n_viable"].to_numpy(float), index=days))
        mean_band(ax_waves, divisions, "black", None)
        mean_band(ax_count, viable, "black", None)
        for k in range(1, int(config.run.days * 24.0 / pred["period_h"]) + 1):
            ax_waves.axvline(k * pred["period_h"] / 24.0, color="0.6", lw=0.6, ls=":")
        ax_waves.set(xlabel="time (days)", ylabel="divisions per hour",
                     title=f"(b) divisions; dotted: the network's\nperiod, "
                           f"{pred['period_h']:.1f} h at 38 mmHg")
        table = np.array(list(rates.values()))
        centres = np.sqrt(np.maximum(O2_EDGES[:-1], 0.25) * O2_EDGES[1:])
        mean, sd = mean_sd(table, axis=0)
        ax_rate.errorbar(centres, mean, yerr=sd if len(table) > 1 else None, fmt="o",
                         color=TISSUE, capsize=2, ms=3)
        ax_rate.plot(pred["o2"], pred["rate"], color="black", lw=1.0)
        ax_rate.set(xscale="log", xlabel="local O2 (mmHg)", ylabel="divisions per cell per day",
                    title="(c) division rate vs O2,\ncells not contact-inhibited")
        ax_count.set(xlabel="time (days)", ylabel="viable tumour cells", title="(d) growth")
        legend_panel(ax_key, [Line2D([], [], ls="none", marker="o", color=VESSEL_COLOR),
                              Line2D([], [], ls="none", marker="o", color=DEAD_COLOR),
                              Line2D([], [], marker="o", color=TISSUE, ls="none"),
                              Line2D([], [], color="black")],
                     ["vessel (a)", "necrotic or apoptotic cell (a)",
                      f"tissue, mean ± SD of {len(rates)} seeds (c)",
                      "network alone at GF(O2), predicted (c)"])
        waves_text = show(list(waves.values()), ".1f")
        fig.suptitle("BioModels BIOMD0000000941 (Gérard & Goldbeter 2011) drives every tumour "
                     f"cell's division;\nwaves {waves_text} h apart (mean ± SD of {len(paths)} "
                     "seeds)")
        return save_figure(fig, figures)


def main() -> None:
    paths, figures = replicates_from_command_line(
        __doc__.splitlines()[0], HERE / "sbml_cell_cycle.toml", ARMS,
        Path("outputs/sbml_cycle.h5"), 3, docs=HERE.parent / "docs" / "sbml_cell_cycle.png")
    per_seed = paths["tissue"]
    with load_run(per_seed[min(per_seed)]) as run:
        pred = prediction(config_from_toml(run.config_toml))
    rates = {seed: division_rates(p) for seed, p in per_seed.items()}
    waves = {seed: wave_interval(p) for seed, p in per_seed.items()}
    report(rates, waves, pred)
    for written in figure(per_seed, rates, waves, pred, figures):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
