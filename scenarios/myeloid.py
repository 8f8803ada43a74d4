"""Neutrophils and platelets in the hypoxic-primary → dormant-metastasis story, over replicate
seeds.

``metastasis.toml`` (21 days, a hypoxic primary shedding into the blood, a lung-like
secondary site) with neutrophils and platelets as agents in both tissues ([neutrophils],
[platelets]), in five arms:

- ``control``;
- ``depletion``: an anti-Ly6G antibody every 2 days from day 0 (``neutrophil_depletion``);
- ``inflammation``: an LPS-like inflammation pulse at the secondary site on day 14
  (``secondary.inflammation_at_h``);
- ``inflammation_dnase``: the same pulse, and DNase I twice a day from the pulse on;
- ``antiplatelet``: aspirin daily from day 0 (``platelet_inhibitor``).

Each arm runs with replicate seeds 1 … N (``--replicates``, default 3) into
``outputs/myeloid_<arm>_seed<k>.h5`` (the tidy summary in ``outputs/myeloid_summary.csv``);
prints each effect with its mean ± SD (sample SD) over seeds and draws
``outputs/myeloid_comparison.png`` (``--docs``: also ``docs/myeloid.png``; ``--replot``: from
existing runs):

- the share of shed units escorted by neutrophils (from the tissue, and when they leave the
  blood) and the metastatic yield per shed cell (Szczerba et al. 2019: neutrophil depletion
  lowers both);
- the awakening of the DTCs dormant at the pulse: the share that cycle or have divided 7
  days later (Albrengues et al. 2018: inflammation awakens them through NETs, DNase I
  prevents it);
- EMT of perivascular cells, shed cells per day and extravasation under aspirin (Labelle et
  al. 2011; Schumacher et al. 2013).

    python scenarios/myeloid.py [--replicates 3] [--workers 2] [--days 21: the dose schedules
                                span 21 days, a shorter run is refused]
                                [--out outputs/myeloid.h5] [--overwrite] [--replot] [--docs]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from abm.myeloid.analysis import (awakening, escort_shares, extravasation_share,
                                  metastatic_yield, perivascular, shed_cells_per_day,
                                  timeseries)
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd
from abm.viz.style import OKABE_ITO, bars_with_spread, in_days, mean_band

HERE = Path(__file__).resolve().parent
PULSE_DAY = 14.0
AWAKENING_WINDOW_H = 7 * 24.0
AGENTS = {"neutrophils.enabled": True, "il6.field": True, "platelets.enabled": True,
          "tgfb.field": True}
PULSE = {**AGENTS, "secondary.inflammation_at_h": PULSE_DAY * 24.0}
EVERY_2_DAYS = [48.0 * k for k in range(11)]
DAILY = [24.0 * k for k in range(21)]
TWICE_DAILY_FROM_PULSE = [PULSE_DAY * 24.0 + 12.0 * k for k in range(14)]
ARMS = {
    "control": {"therapy": [], "set": AGENTS},
    "depletion": {"therapy": [{"drug": "neutrophil_depletion", "dose": 4.0,
                               "at_h": EVERY_2_DAYS}], "set": AGENTS},
    "inflammation": {"therapy": [], "set": PULSE},
    "inflammation_dnase": {"therapy": [{"drug": "dnase", "dose": 4.0,
                                        "at_h": TWICE_DAILY_FROM_PULSE}], "set": PULSE},
    "antiplatelet": {"therapy": [{"drug": "platelet_inhibitor", "dose": 4.0, "at_h": DAILY}],
                     "set": AGENTS},
}
COLORS = {"control": OKABE_ITO["black"], "depletion": OKABE_ITO["blue"],
          "inflammation": OKABE_ITO["vermillion"], "inflammation_dnase": OKABE_ITO["orange"],
          "antiplatelet": OKABE_ITO["bluish_green"]}


def statistics(path: Path) -> dict:
    """Every number the scenario reports, from one run file."""
    near_vessels = perivascular(path)
    return {**escort_shares(path), "yield": metastatic_yield(path),
            "awakened": awakening(path, PULSE_DAY * 24.0, AWAKENING_WINDOW_H),
            "emt": near_vessels["emt"], "shed_per_day": shed_cells_per_day(path),
            "shedding_hazard": 1000.0 * near_vessels["shedding_hazard"],
            "extravasated": extravasation_share(path)}


ROWS = (
    ("units escorted when shed (from the tissue)", "tissue_escort_share",
     "CTC–neutrophil clusters are a minority (Szczerba 2019)"),
    ("units escorted when they leave the blood", "escort_share", ""),
    ("metastases (≥ micrometastasis) per 1000 shed cells, d 21", "yield",
     "depletion lowers it (Szczerba 2019)"),
    ("DTCs dormant at the pulse that cycle or divided by d 21", "awakened",
     "inflammation ↑, DNase I prevents (Albrengues 2018)"),
    ("EMT of perivascular viable cells (mean over frames)", "emt",
     "aspirin ↓ (Labelle 2011)"),
    ("shed cells per day", "shed_per_day", "aspirin ↓"),
    ("shed units per 1000 perivascular cell-hours", "shedding_hazard", "aspirin ↓"),
    ("extravasated share of arrested cells", "extravasated",
     "aspirin ↓ (Schumacher 2013); 0.80–0.87 (Koop 1995; Luzzi 1998)"),
)


def report(stats: dict[str, dict[int, dict]]) -> None:
    print(f"{'':58}" + "".join(f"{arm:>20}" for arm in stats))
    for label, key, published in ROWS:
        cells = []
        for per_seed in stats.values():
            mean, sd = mean_sd([s[key] for s in per_seed.values()])
            cells.append(f"{mean:>10.3g} ± {sd:<7.2g}")
        print(f"{label:58}" + "".join(cells) + f"  {published}")


LABELS = {"control": "control", "depletion": "anti-Ly6G", "inflammation": "inflammation",
          "inflammation_dnase": "inflam. + DNase I", "antiplatelet": "aspirin"}


def figure(paths: dict[str, dict[int, Path]], stats: dict[str, dict[int, dict]],
           figures: list[Path]) -> list[Path]:
    """Curves: mean over the seeds with a ± SD band; bars: mean ± SD with a dot per seed."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 5.0), layout="constrained")
        axes = fig.subplots(2, 4).ravel()
        panels = (("(a) neutrophils at the primary\n(all arms but anti-Ly6G overlap)",
                   "n_neutrophils", False, "neutrophils"),
                  ("(b) NETs at the secondary site\n(none without the pulse)", "n_nets", True,
                   "NETs"))
        for ax, (title, column, site, ylabel) in zip(axes[:2], panels):
            for arm, per_seed in paths.items():
                frames = [in_days(timeseries(p, "secondary" if site else None)[column])
                          for p in per_seed.values()]
                mean_band(ax, frames, COLORS[arm], arm)
            ax.set(xlabel="time (d)", ylabel=ylabel, ylim=(0, None))
            ax.set_title(title, pad=6)  # clear of the top tick label
            ax.axvline(PULSE_DAY, color="grey", lw=0.8, ls=":")
        bars = (("(c) escorted shed units\n(from the tissue)", "tissue_escort_share", "share"),
                ("(d) metastases per 1000\nshed cells (d 21)", "yield", "per 1000 shed cells"),
                ("(e) dormant DTCs awakened\nwithin 7 d of the pulse", "awakened", "share"),
                ("(f) EMT next to vessels", "emt", "mean EMT"),
                ("(g) extravasated share\nof arrested cells", "extravasated", "share"))
        arms = list(stats)
        for ax, (title, key, ylabel) in zip(axes[2:], bars):
            bars_with_spread(ax, np.arange(len(arms)),
                             [[s[key] for s in stats[a].values()] for a in arms], 0.8,
                             [COLORS[a] for a in arms])
            ax.set_xticks(range(len(arms)), [LABELS[a] for a in arms], rotation=55, ha="right",
                          rotation_mode="anchor")
            ax.set(title=title, ylabel=ylabel)
        legend_panel(axes[-1], [Patch(color=COLORS[a]) for a in arms],
                     [LABELS[a] for a in arms], title="arm")
        n = len(next(iter(paths.values())))
        fig.suptitle(f"Neutrophils and platelets, primary to secondary site (mean ± SD of {n} "
                     f"seeds per arm; inflammation pulse day {PULSE_DAY:g}, dotted)")
        return save_figure(fig, figures)


def main() -> None:
    paths, figures = replicates_from_command_line(__doc__.splitlines()[0],
                                                  HERE / "metastasis.toml", ARMS,
                                                  Path("outputs/myeloid.h5"), 3,
                                                  docs=HERE.parent / "docs" / "myeloid.png")
    stats = {arm: {seed: statistics(p) for seed, p in per_seed.items()}
             for arm, per_seed in paths.items()}
    report(stats)
    for written in figure(paths, stats, figures):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
