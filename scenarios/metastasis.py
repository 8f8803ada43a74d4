"""From a hypoxic primary to a dormant metastasis, over replicate seeds.

Three arms of ``metastasis.toml`` (21 days): ``control``; ``resection`` (the primary removed
on day 10: what is left is the minimal residual disease at the secondary site); and
``awakening`` (an awakening signal reaches the secondary niche on day 14:
``secondary.awakening``), each with replicate seeds 1 … N (``--replicates``, default 3). Writes
``outputs/metastasis_<arm>_seed<k>.h5`` (primary and secondary site in one file; the tidy
summary in ``outputs/metastasis_summary.csv``/``.h5``) and
``outputs/metastasis.png``, and prints the numbers next to the published ones:

- the hypoxic share of shed clusters and of single CTCs (Donato et al. 2020);
- the dormant share, 2 days after arrival, of disseminated cells that carried hypoxia and of
  those that did not, and their ratio (Fluegen et al. 2017);
- the fates of the cells of arrested units 3 and 13 days after each arrived, Luzzi et al.
  1998's time points (Koop et al. 1995 for extravasation);
- the time to the first macrometastasis.

    python scenarios/metastasis.py [--days 21] [--replicates 3] [--workers 2]
                                   [--out outputs/metastasis.h5] [--overwrite]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from abm.io import load_run
from abm.io.outputs import write_atomically
from abm.metastasis.analysis import (arrested_fates, dtc_dormancy, hypoxic_shedding,
                                     time_to_macrometastasis)
from abm.study.arms import series
from abm.study.replicates import replicates_from_command_line
from abm.viz.style import (OKABE_ITO, PHASE_COLORS, TISSUE_COLOR, VESSEL_COLOR, add_scale_bar,
                            in_days, mean_band)

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
           out: Path) -> Path:
    fig = Figure(figsize=(13, 8), layout="constrained")
    (ax_primary, ax_ctc, ax_dorm), (ax_site, ax_fates, ax_map) = fig.subplots(2, 3)
    for arm, per_seed in paths.items():
        mean_band(ax_primary, [in_days(series(p)["n_viable"]) for p in per_seed.values()],
              COLORS[arm], arm)
        site = [_site_series(p) for p in per_seed.values()]
        for column, ls in (("n_dtc", "-"), ("n_micrometastases", "--"),
                           ("n_macrometastases", ":")):
            mean_band(ax_site, [s[column] for s in site], COLORS[arm], f"{arm}: {column[2:]}", ls, alpha=0.15)
    ax_primary.set(title="(a) primary tumour: viable cells", xlabel="time (d)", ylabel="cells")
    ax_site.set(title="(d) secondary site: DTCs and metastases", xlabel="time (d)",
                ylabel="cells (DTCs) / colonies", yscale="symlog")
    ax_site.set_ylim(bottom=0)
    for ax in (ax_primary, ax_site):
        ax.legend(fontsize=6)
    _paired_bars(ax_ctc, stats, ("hypoxic_cluster_share", "hypoxic_single_share"),
                 ("clusters", "single CTCs"), lambda s, k: s["shedding"][k])
    ax_ctc.set(title="(b) hypoxic share of shed CTCs",
               ylabel="share hypoxic", ylim=(0, 1))
    _paired_bars(ax_dorm, stats, ("hypoxic", "normoxic"),
                 ("carried hypoxia", "did not"), lambda s, k: s["dormancy"][k]["dormant"])
    ax_dorm.set(title="(c) DTCs dormant 2 d after arrival",
                ylabel="share dormant", ylim=(0, 1))
    _fates(ax_fates, stats)
    _site_map(ax_map, fig, next(iter(paths["control"].values())))
    n = len(next(iter(paths.values())))
    fig.suptitle(f"Hypoxic primary → CTCs → secondary site ({n} seeds per arm; resection day "
                 f"{RESECTION_DAY:g}, awakening niche day {AWAKENING_DAY:g})")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


def _site_series(path: Path) -> pd.DataFrame:
    with load_run(path) as run:
        site = run.site("secondary").timeseries
    site.index = site.index / 1440.0
    return site


def _paired_bars(ax, stats, keys, labels, read) -> None:
    """Per arm, one bar per key (mean ± SD over seeds)."""
    width = 0.8 / len(stats)
    x = np.arange(len(keys))
    for i, (arm, per_seed) in enumerate(stats.items()):
        values = np.array([[read(s, k) for k in keys] for s in per_seed.values()], dtype=float)
        ax.bar(x + (i - (len(stats) - 1) / 2) * width, np.nanmean(values, axis=0), width,
               yerr=np.nanstd(values, axis=0), color=COLORS[arm], label=arm, capsize=3)
    ax.set_xticks(x, labels)
    ax.legend(fontsize=6)


def _fates(ax, stats) -> None:
    """Fates of arrested cells (shares, log scale) per arm, with Luzzi's."""
    keys = ("extravasated", "solitary_dormant", "micrometastases", "macrometastases")

    _paired_bars(ax, stats, keys, ("extravasated\n(d 3)", "solitary\ndormant (d 13)",
                                   "micro-\nmetastases (d 3)", "macro-\nmetastases (d 13)"),
                 fate)
    for i, k in enumerate(keys):
        lo, hi = LUZZI[k]
        ax.plot([i - 0.4, i + 0.4], [hi, hi], color=OKABE_ITO["bluish_green"], lw=2,
                label="Luzzi 1998" if i == 0 else None)
    ax.set(title="(e) fates of arrested cells (days after arrival)",
           ylabel="share of arrested cells", yscale="log", ylim=(1e-4, 1.5))
    ax.legend(fontsize=6)


def _site_map(ax, fig, path: Path) -> None:
    """The secondary site at the end: cells by phase, vessels."""
    with load_run(path) as run:
        site = run.site("secondary")
        cells = site.cells(-1)
        vessels = site.vessels
        dx = float(site.x_um[1] - site.x_um[0])
    ny, nx = vessels.shape
    extent = (0, nx * dx / 1000, 0, ny * dx / 1000)
    ax.imshow(np.where(vessels, 1.0, np.nan), origin="lower", extent=extent,
              cmap=_single(VESSEL_COLOR), interpolation="nearest")
    for phase, colour in PHASE_COLORS.items():
        sel = np.asarray(cells["phase"]) == phase
        ax.scatter(cells["x"][sel] / 1000, cells["y"][sel] / 1000, s=4, color=colour,
                   label=phase if sel.any() else None, linewidths=0)
    ax.set(title="(f) secondary site at the end (control)", xlabel="x (mm)",
           ylabel="y (mm)", facecolor=TISSUE_COLOR, xlim=extent[:2], ylim=extent[2:])
    ax.legend(fontsize=6, loc="upper right", markerscale=2)
    add_scale_bar(ax, 0.5, color="black")


def _single(colour: str):
    from matplotlib.colors import ListedColormap
    return ListedColormap([colour])


def report(stats: dict[str, dict[int, dict]]) -> None:
    def show(label, read, published=""):
        cells = []
        for arm, per_seed in stats.items():
            v = np.array([read(s) for s in per_seed.values()], dtype=float)
            cells.append(f"{np.nanmean(v):>9.3g} ± {np.nanstd(v):<7.2g}")
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
    paths, out = replicates_from_command_line(__doc__.splitlines()[0], HERE / "metastasis.toml",
                                              ARMS, Path("outputs/metastasis.h5"), 3)
    stats = {arm: {seed: statistics(p) for seed, p in per_seed.items()}
             for arm, per_seed in paths.items()}
    print(f"wrote {figure(paths, stats, out.with_suffix('.png'))}")
    print("mean ± SD over the seeds:")
    report(stats)


if __name__ == "__main__":
    main()
