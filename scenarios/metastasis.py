"""From a hypoxic primary to a dormant metastasis, over replicate seeds.

Three arms of ``metastasis.toml`` (21 days): ``control``; ``resection`` (the primary removed
on day 10: what is left is the minimal residual disease at the secondary site); and
``awakening`` (an awakening signal reaches the secondary niche on day 14:
``secondary.awakening``), each with replicate seeds 1 … N (``--replicates``, default 3). Writes
``outputs/metastasis_<arm>_seed<k>.h5`` (primary and secondary site in one file; the tidy
summary in ``outputs/metastasis_summary.csv``/``.h5``) and
``outputs/metastasis_comparison.png`` (``--docs``: also ``docs/metastasis.png``; ``--replot``:
from existing runs), and prints the numbers (mean ± sample SD over the seeds) next to the
published ones:

- the hypoxic share of shed clusters and of single CTCs (Donato et al. 2020);
- the dormant share, 2 days after arrival, of disseminated cells that carried hypoxia and of
  those that did not, and their ratio (Fluegen et al. 2017);
- the fates of the cells of arrested units 3 and 13 days after each arrived, Luzzi et al.
  1998's time points (Koop et al. 1995 for extravasation);
- the time to the first macrometastasis.

    python scenarios/metastasis.py [--days 21] [--replicates 3] [--workers 2]
                                   [--out outputs/metastasis.h5] [--overwrite] [--replot]
                                   [--docs]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.io import load_run
from abm.metastasis.analysis import (arrested_fates, dtc_dormancy, hypoxic_shedding,
                                     time_to_macrometastasis)
from abm.study.arms import series
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd
from abm.viz.style import (OKABE_ITO, PHASE_COLORS, TISSUE_COLOR, VESSEL_COLOR, add_scale_bar,
                           bars_with_spread, in_days, mean_band)

HERE = Path(__file__).resolve().parent
RESECTION_DAY, AWAKENING_DAY = 10.0, 14.0
ARMS = {"control": [],
        "resection": [{"drug": "resection", "at_h": [RESECTION_DAY * 24.0]}],
        "awakening": {"therapy": [], "set": {"secondary.awakening": True,
                                             "secondary.awakening_at_h": AWAKENING_DAY * 24.0}}}
COLORS = {"control": OKABE_ITO["black"], "resection": OKABE_ITO["blue"],
          "awakening": OKABE_ITO["vermillion"]}
FATE_DAYS = (3.0, 13.0)
"""Fates are read this long after each cell arrived (d): Luzzi et al. counted extravasated
cells and micrometastases on day 3, solitary dormant cells and macrometastases on day 13."""
FATE_DAY = {"extravasated": 3.0, "micrometastases": 3.0, "solitary_dormant": 13.0,
            "macrometastases": 13.0}
"""The day after arrival at which each fate is compared with Luzzi et al."""
LUZZI = {"extravasated": (0.80, 0.87), "micrometastases": (0.02, 0.025),
         "macrometastases": (0.0002, 0.0002), "solitary_dormant": (0.36, 0.36)}
"""Luzzi et al. 1998 Am J Pathol 153:865 (B16F1 into mouse liver), shares of injected cells:
extravasated by day 3; micrometastases by day 3; macrometastases by day 13; solitary dormant
cells on day 13."""
LUZZI_COLOR = OKABE_ITO["bluish_green"]
FATE_FLOOR = 1e-4
"""The fates' log axis starts here (a share; Luzzi's smallest, macrometastases, is 2e-4)."""


def statistics(path: Path) -> dict:
    """Every number the scenario reports, from one run file."""
    fates = {day: arrested_fates(path, day * 24.0) for day in FATE_DAYS}
    return {"shedding": hypoxic_shedding(path), "dormancy": dtc_dormancy(path),
            "fates": fates, "macro_day": time_to_macrometastasis(path)}


def fate(stats: dict, key: str) -> float:
    """Share of arrested cells in fate ``key`` on its day of :data:`FATE_DAY`."""
    f = stats["fates"][FATE_DAY[key]]
    return 1.0 - f["died_in_capillary"] if key == "extravasated" else f[key]


def figure(paths: dict[str, dict[int, Path]], stats: dict[str, dict[int, dict]],
           figures: list[Path]) -> list[Path]:
    """Curves: mean over the seeds with a ± SD band; bars and dots: mean ± SD with a dot per
    seed; cells and colonies on axes of their own; the log-scaled fates as dots."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 6.6), layout="constrained")
        (ax_primary, ax_ctc, ax_dorm), (ax_dtc, ax_colonies, ax_fates), (ax_map, ax_key, ax_spare) \
            = fig.subplots(3, 3)
        ax_spare.remove()
        for arm, per_seed in paths.items():
            mean_band(ax_primary, [in_days(series(p)["n_viable"]) for p in per_seed.values()],
                      COLORS[arm], arm)
            site = [_site_series(p) for p in per_seed.values()]
            mean_band(ax_dtc, [s["n_dtc"] for s in site], COLORS[arm], arm)
            for column, ls in (("n_micrometastases", "-"), ("n_macrometastases", ":")):
                mean_band(ax_colonies, [s[column] for s in site], COLORS[arm], arm, ls,
                          alpha=0.15)
        ax_primary.set(title="(a) primary tumour: viable cells\n(awakening's lies on control's)",
                       xlabel="time (d)",
                       ylabel="cells")
        ax_dtc.set(title="(d) secondary site: DTCs\n(arms share days 0–10)", xlabel="time (d)",
                   ylabel="DTCs (cells)",
                   ylim=(0, None))
        ax_colonies.set(title="(e) secondary site: metastases\n(arms share days 0–10)",
                        xlabel="time (d)",
                        ylabel="colonies", ylim=(0, None))
        _paired_bars(ax_ctc, stats, ("hypoxic_cluster_share", "hypoxic_single_share"),
                     ("clusters", "single CTCs"), lambda s, k: s["shedding"][k])
        ax_ctc.set(title="(b) hypoxic share of shed CTCs", ylabel="share hypoxic", ylim=(0, 1))
        _paired_bars(ax_dorm, stats, ("hypoxic", "normoxic"),
                     ("carried\nhypoxia", "did not"), lambda s, k: s["dormancy"][k]["dormant"])
        ax_dorm.set(title="(c) DTCs dormant 2 d after arrival", ylabel="share dormant",
                    ylim=(0, 1))
        _fates(ax_fates, stats)
        phases = _site_map(ax_map, next(iter(paths["control"].values())))
        _key(ax_key, stats, phases)
        n = len(next(iter(paths.values())))
        fig.suptitle(f"Hypoxic primary → CTCs → secondary site (mean ± SD of {n} seeds per "
                     f"arm; resection day {RESECTION_DAY:g}, awakening niche day "
                     f"{AWAKENING_DAY:g})")
        return save_figure(fig, figures)


def _key(ax, stats, phases: list[str]) -> None:
    """The shared key: arms, the colonies' line styles (e), Luzzi's shares (f), the map's
    phases and vessels (g)."""
    handles = [Patch(color=COLORS[arm]) for arm in stats]
    labels = list(stats)
    handles += [Line2D([], [], color="0.3"), Line2D([], [], color="0.3", ls=":"),
                Line2D([], [], color=LUZZI_COLOR, lw=2)]
    labels += ["micrometastases (e)", "macrometastases (e)", "Luzzi et al. 1998 (f)"]
    handles += [Line2D([], [], ls="none", marker="o", ms=4, color=PHASE_COLORS[p])
                for p in phases] + [Patch(color=VESSEL_COLOR)]
    labels += [f"{p} (g)" for p in phases] + ["vessel (g)"]
    legend_panel(ax, handles, labels, ncols=2)


def _site_series(path: Path) -> pd.DataFrame:
    with load_run(path) as run:
        site = run.site("secondary").timeseries
    site.index = site.index / 1440.0
    return site


def _paired_bars(ax, stats, keys, labels, read) -> None:
    """Per arm, one bar per key (mean ± SD over seeds, a dot per seed)."""
    width = 0.8 / len(stats)
    x = np.arange(len(keys))
    for i, (arm, per_seed) in enumerate(stats.items()):
        values = np.array([[read(s, k) for k in keys] for s in per_seed.values()], dtype=float)
        bars_with_spread(ax, x + (i - (len(stats) - 1) / 2) * width, list(values.T), width,
                         COLORS[arm])
    ax.set_xticks(x, labels)


def _fates(ax, stats) -> None:
    """Fates of arrested cells (shares, log scale: dots with ± SD bars) per arm, with
    Luzzi's."""
    keys = ("extravasated", "solitary_dormant", "micrometastases", "macrometastases")
    offset = 0.8 / len(stats)
    for i, (arm, per_seed) in enumerate(stats.items()):
        values = np.array([[fate(s, k) for k in keys] for s in per_seed.values()], dtype=float)
        mean, sd = mean_sd(values, axis=0)
        x = np.arange(len(keys)) + (i - (len(stats) - 1) / 2) * offset
        # a ± SD bar may reach below 0 on a log axis: clip its lower end at the axis floor
        low = np.where(np.isfinite(sd), np.minimum(sd, mean - FATE_FLOOR), 0.0)
        ax.errorbar(x, mean, yerr=[low, np.nan_to_num(sd)] if len(values) > 1 else None,
                    fmt="o", ms=3, color=COLORS[arm], capsize=1.5, lw=0.8)
    for i, k in enumerate(keys):
        ax.plot([i - 0.4, i + 0.4], [LUZZI[k][1]] * 2, color=LUZZI_COLOR, lw=2, zorder=0)
    ax.set_xticks(range(len(keys)), ("extra-\nvasated\n(d 3)", "solitary,\ndormant\n(d 13)",
                                     "micro-\nmet.\n(d 3)", "macro-\nmet.\n(d 13)"))
    ax.set(title="(f) fates of arrested cells\n(days after arrival)",
           ylabel="share of arrested cells", yscale="log", ylim=(FATE_FLOOR, 1.5))


def _site_map(ax, path: Path) -> list[str]:
    """The secondary site at the end: cells by phase, vessels; returns the phases drawn."""
    with load_run(path) as run:
        site = run.site("secondary")
        cells = site.cells(-1)
        vessels = site.vessels
        dx = float(site.x_um[1] - site.x_um[0])
    ny, nx = vessels.shape
    extent = (0, nx * dx / 1000, 0, ny * dx / 1000)
    ax.imshow(np.where(vessels, 1.0, np.nan), origin="lower", extent=extent,
              cmap=ListedColormap([VESSEL_COLOR]), interpolation="nearest")
    drawn = []
    for phase, colour in PHASE_COLORS.items():
        sel = np.asarray(cells["phase"]) == phase
        if sel.any():
            ax.scatter(cells["x"][sel] / 1000, cells["y"][sel] / 1000, s=3, color=colour,
                       linewidths=0)
            drawn.append(phase)
    ax.set(title="(g) secondary site at the end\n(control, first seed)", xlabel="x (mm)",
           ylabel="y (mm)", facecolor=TISSUE_COLOR, xlim=extent[:2], ylim=extent[2:])
    add_scale_bar(ax, 0.5, color="black")
    return drawn


def report(stats: dict[str, dict[int, dict]]) -> None:
    def show(label, read, published=""):
        cells = []
        for arm, per_seed in stats.items():
            mean, sd = mean_sd([read(s) for s in per_seed.values()])
            cells.append(f"{mean:>9.3g} ± {sd:<7.2g}")
        print(f"{label:52}" + "".join(cells) + f"  {published}")

    print(f"{'':52}" + "".join(f"{arm:>19}" for arm in stats))
    show("clusters shed", lambda s: s["shedding"]["clusters"])
    show("hypoxic share of clusters", lambda s: s["shedding"]["hypoxic_cluster_share"],
         "most (Donato 2020)")
    show("hypoxic share of single CTCs", lambda s: s["shedding"]["hypoxic_single_share"],
         "mostly not")
    show("DTCs dormant 2 d after arrival: carried hypoxia",
         lambda s: s["dormancy"]["hypoxic"]["dormant"], "NR2F1-hi, dormant (Fluegen 2017)")
    show("DTCs dormant 2 d after arrival: did not", lambda s: s["dormancy"]["normoxic"]["dormant"])
    show("ratio (carried hypoxia / did not)", lambda s: s["dormancy"]["ratio"])
    show("arrested cells read 3 d after arrival", lambda s: s["fates"][3.0]["cells"])
    show("arrested cells read 13 d after arrival", lambda s: s["fates"][13.0]["cells"])
    show("extravasated (d 3)", lambda s: fate(s, "extravasated"),
         "0.80–0.87 (Koop 1995; Luzzi 1998)")
    show("micrometastases (d 3)", lambda s: fate(s, "micrometastases"), "~0.02 (Luzzi, d 3)")
    show("solitary and dormant (d 13)", lambda s: fate(s, "solitary_dormant"),
         "0.36 (Luzzi, d 13)")
    show("died after extravasation (d 13)",
         lambda s: s["fates"][13.0]["died_after_extravasation"])
    show("macrometastases (d 13)", lambda s: fate(s, "macrometastases"),
         "~0.0002 (Luzzi, d 13)")
    show("first macrometastasis (d)", lambda s: s["macro_day"])


def main() -> None:
    paths, figures = replicates_from_command_line(__doc__.splitlines()[0],
                                                  HERE / "metastasis.toml", ARMS,
                                                  Path("outputs/metastasis.h5"), 3,
                                                  docs=HERE.parent / "docs" / "metastasis.png")
    stats = {arm: {seed: statistics(p) for seed, p in per_seed.items()}
             for arm, per_seed in paths.items()}
    for written in figure(paths, stats, figures):
        print(f"wrote {written}")
    print("mean ± SD (sample SD) over the seeds:")
    report(stats)


if __name__ == "__main__":
    main()
