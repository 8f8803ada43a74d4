"""Circadian CTC shedding, clusters and seeding, with a jet lag and two blood therapies.

Arms of ``ctc_circadian.toml`` (a 23:00–07:00 sleeper; blood draws at 04:00 asleep and 10:00
awake, as in Diamantopoulou et al. 2022):

- ``control``;
- ``jet_lag``: local time jumps 6 h back (a flight west) at the start of day 1; the body
  re-entrains at 1 h per day, so the room's 04:00 falls in the body's active phase for days;
- ``platelet_inhibitor``: aspirin-like, daily at 08:00 from day 0; and the same without NK
  killing in the blood (``control_no_nk``, ``platelet_inhibitor_no_nk``): platelets shield
  CTCs from NK cells, so inhibiting them matters only when NK cells kill (Nieswandt 1999);
- ``digoxin``: daily at 08:00 from day 0 (dissociates clusters in the blood).

Each arm runs with replicate seeds 1 … N (``--replicates``, default 3) into
``outputs/ctc_circadian_<arm>_seed<k>.h5`` (the tidy summary in
``outputs/ctc_circadian_summary.csv``/``.h5``); draws ``outputs/ctc_circadian_comparison.png``
(``--docs``: also ``docs/ctc_circadian.png``; ``--replot``: from existing runs) and prints
the blood-draw ratio and seeding per shed unit (singles vs clusters, rest vs active phase) of
each arm, and the therapies' effects as ratios to the control per seed, all as mean ± SD
(sample SD) over the seeds, read back from the run files
(expected seeds: each arrested unit's outgrowth probability,
:func:`abm.circulation.analysis.seeding_by_unit`).

    python scenarios/ctc_circadian.py [--days 6] [--replicates 3] [--workers 2] [--replot]
                                      [--docs] [--overwrite]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from abm import load_run
from abm.circulation.analysis import blood_draws, seeding_by_unit
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.viz.figures import clock_profile
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd, show
from abm.viz.style import OKABE_ITO, bars_with_spread, mean_band

HERE = Path(__file__).resolve().parent
DAILY = {"daily_at": "08:00", "first_day": 0, "n_days": 6}
NO_NK = {"blood.nk_killing": False}
ARMS = {
    "control": {"therapy": []},
    "jet_lag": {"therapy": [], "set": {"circadian.jet_lag_at_h": 24.0,
                                       "circadian.jet_lag_shift_h": -6.0}},
    "platelet_inhibitor": {"therapy": [{"drug": "platelet_inhibitor", **DAILY}]},
    "digoxin": {"therapy": [{"drug": "digoxin", **DAILY}]},
    "control_no_nk": {"therapy": [], "set": NO_NK},
    "platelet_inhibitor_no_nk": {"therapy": [{"drug": "platelet_inhibitor", **DAILY}],
                                 "set": NO_NK},
}
COLORS = {"control": "#000000", "jet_lag": "#D55E00", "platelet_inhibitor": "#0072B2",
          "digoxin": "#009E73", "control_no_nk": "#999999",
          "platelet_inhibitor_no_nk": "#56B4E9"}
DRAW_HOURS = (4.0, 10.0)


def draw_means(path: Path, since_day: int = 1) -> dict[float, float]:
    """Mean circulating CTC cells in the 04:00 and 10:00 draws from ``since_day`` on."""
    out = {}
    for hour in DRAW_HOURS:
        draws = blood_draws(path, hour)
        out[hour] = float(draws[draws["day"] >= since_day]["n_ctc_cells"].mean())
    return out


LABELS = {"control": "control", "jet_lag": "jet lag", "platelet_inhibitor": "platelet inh.",
          "digoxin": "digoxin", "control_no_nk": "control, no NK",
          "platelet_inhibitor_no_nk": "platelet inh., no NK"}
DRAW_COLORS = {4.0: OKABE_ITO["reddish_purple"], 10.0: OKABE_ITO["orange"]}  # not an arm's
UNIT_KEYS = {"single": "expected_per_single", "cluster": "expected_per_cluster",
             "rest\nphase": "expected_per_unit_rest", "active\nphase": "expected_per_unit_active"}


def figure(paths: dict[str, dict[int, Path]], figures: list[Path]) -> list[Path]:
    """Seven panels at two-column width: bars are means over the seeds with ± SD and a dot
    per seed, curves a mean with a ± SD band; a shed rate and a count of circulating cells
    get panels of their own, and per-unit seeding (log axis) is dots with error bars."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 4.6), layout="constrained")
        axes = fig.subplots(2, 4)
        (ax_shed, ax_circ, ax_draw, ax_seed), (ax_jet, ax_ther, ax_comp, ax_key) = axes
        _clock(ax_shed, ax_circ, paths["control"])
        names = list(paths)
        x = np.arange(len(names))
        draws = {arm: [draw_means(p) for p in per_seed.values()]
                 for arm, per_seed in paths.items()}
        for i, hour in enumerate(DRAW_HOURS):
            bars_with_spread(ax_draw, x + (i - 0.5) * 0.4,
                             [[d[hour] for d in draws[a]] for a in names], 0.4,
                             DRAW_COLORS[hour], f"{hour:02.0f}:00 draw")
        ax_draw.set(title="(c) blood draws, days 1–5", ylabel="CTC cells per draw (mean)")

        stats = {arm: [seeding_by_unit(p) for p in per_seed.values()]
                 for arm, per_seed in paths.items()}
        control = stats["control"]
        for i, key in enumerate(UNIT_KEYS.values()):
            values = [s[key] for s in control]
            mean, sd = mean_sd(values)
            ax_seed.errorbar(i, mean, yerr=sd if len(values) > 1 else None, fmt="o",
                             capsize=2, color="black", ms=4)
            ax_seed.plot(np.full(len(values), i + 0.22), values, "o", ms=2.5, mfc="white",
                         mec="0.4", mew=0.5)
        ax_seed.set_xticks(range(len(UNIT_KEYS)), list(UNIT_KEYS))
        ax_seed.set(yscale="log", xlim=(-0.5, len(UNIT_KEYS) - 0.3),
                    title=f"(d) seeds per unit (control):\nclusters "
                          f"{show([s['expected_ratio'] for s in control], '.0f')}× singles",
                    ylabel="expected seeds per unit")

        for arm in ("control", "jet_lag"):
            curves = [blood_draws(p, 4.0).set_index("day")["n_ctc_cells"]
                      for p in paths[arm].values()]
            mean_band(ax_jet, curves, COLORS[arm], LABELS[arm])
        ax_jet.axvline(1.0, color="0.5", ls=":", lw=0.8)
        ax_jet.set(title="(e) 04:00 draws; flight\n6 h west on day 1 (dotted)", xlabel="day",
                   ylabel="CTC cells per draw")

        colours = [COLORS[a] for a in names]
        bars_with_spread(ax_ther, x, [[s["expected_per_cell"] for s in stats[a]] for a in names],
                         0.8, colours)
        ax_ther.set(title="(f) seeding per shed cell", ylabel="expected seeds per shed cell")
        bars_with_spread(ax_comp, x, [[s["cluster_fraction_circulating"] for s in stats[a]]
                                      for a in names], 0.8, colours)
        ax_comp.set(title="(g) clusters among circulating units", ylabel="share of units")
        for ax in (ax_draw, ax_ther, ax_comp):
            ax.set_xticks(x, [LABELS[a] for a in names], rotation=55, ha="right",
                          rotation_mode="anchor")
        legend_panel(ax_key, [Patch(color=c) for c in DRAW_COLORS.values()]
                     + [Patch(color=COLORS[a]) for a in names],
                     [f"(c) {h:02.0f}:00 draw" for h in DRAW_COLORS] + [LABELS[a] for a in names],
                     title="draws (c); arms (e, f, g)")
        n = len(paths["control"])
        fig.suptitle("Circadian shedding of CTCs and clusters, and the blood's rules "
                     f"(mean ± SD of {n} seeds per arm; dots: seeds)")
        return save_figure(fig, figures)


def _clock(ax_shed, ax_circ, per_seed: dict[int, Path]) -> None:
    """(a) shed cells per hour and (b) circulating CTC cells by clock time, control arm, mean
    ± SD over the seeds, the rest phase shaded."""
    profiles, rest = [], None
    for path in per_seed.values():
        with load_run(path) as run:
            profiles.append(clock_profile(run))
            c = run.config.get("circadian", {})
            rest = float(c.get("rest_onset_h", 23.0)), float(c.get("rest_duration_h", 8.0))
    hours = profiles[0]["hour"]
    for ax, key, title, ylabel in ((ax_shed, "shed_per_h", "(a) shedding by clock time",
                                    "CTC cells shed per hour"),
                                   (ax_circ, "circulating", "(b) CTCs in the blood",
                                    "circulating CTC cells")):
        onset, duration = rest
        for start, stop in ((onset, min(onset + duration, 24.0)),
                            (0.0, max(onset + duration - 24.0, 0.0))):
            if stop > start:
                ax.axvspan(start, stop, color="0.9", lw=0)
        mean_band(ax, [pd.Series(p[key], index=hours) for p in profiles], "black", None)
        ax.set(title=title, xlabel="clock time (h; grey: rest)", ylabel=ylabel, xlim=(0, 24),
               xticks=range(0, 25, 6), ylim=(0, None))


def report(paths: dict[str, dict[int, Path]]) -> None:
    """Per arm, mean ± SD (sample SD) over the seeds of what the figure shows."""
    for arm, per_seed in paths.items():
        d = [draw_means(p) for p in per_seed.values()]
        s = [seeding_by_unit(p) for p in per_seed.values()]

        def of(key):
            return [x[key] for x in s]

        print(f"{arm:>25} ({len(s)} seeds): draws 04:00 {show([x[4.0] for x in d], '.1f')} / "
              f"10:00 {show([x[10.0] for x in d], '.1f')} cells (ratio "
              f"{show([x[4.0] / x[10.0] for x in d], '.2f')}); shed {show(of('n_units'), '.0f')} "
              f"units ({show(of('n_clusters'), '.0f')} clusters); expected seeds per single "
              f"{show(of('expected_per_single'), '.4f')}, per cluster "
              f"{show(of('expected_per_cluster'), '.4f')} (×{show(of('expected_ratio'), '.1f')}), "
              f"per cell {show(of('expected_per_cell'), '.4f')}; rest/active per unit "
              f"{show(of('expected_per_unit_rest'), '.4f')}/"
              f"{show(of('expected_per_unit_active'), '.4f')}; clusters among circulating units "
              f"{show(of('cluster_fraction_circulating'), '.3f')}")


def paired_effects(paths: dict[str, dict[int, Path]]) -> None:
    """The effects the README quotes, each a ratio taken per seed against that seed's control
    arm, then mean ± SD (sample SD) over the seeds."""
    seeds = sorted(paths["control"])
    stats = {arm: {k: seeding_by_unit(p) for k, p in per_seed.items()}
             for arm, per_seed in paths.items()}

    def draws_days_1_3(arm: str, seed: int) -> float:
        d = blood_draws(paths[arm][seed], 4.0)
        return float(d[d["day"].between(1, 3)]["n_ctc_cells"].mean())

    def ratio(arm: str, key: str, over: str = "control", over_key: str | None = None) -> list:
        return [stats[arm][k][key] / stats[over][k][over_key or key] for k in seeds]

    effects = {
        "platelet inhibitor / control, expected seeds per single":
            ratio("platelet_inhibitor", "expected_per_single"),
        "platelet inhibitor / control, expected seeds per shed cell":
            ratio("platelet_inhibitor", "expected_per_cell"),
        "digoxin / control, expected seeds per shed cluster":
            ratio("digoxin", "expected_per_cluster"),
        "digoxin / control, clusters among circulating units":
            ratio("digoxin", "cluster_fraction_circulating"),
        "jet lag / control, 04:00 draws on days 1-3":
            [draws_days_1_3("jet_lag", k) / draws_days_1_3("control", k) for k in seeds],
        "control, rest / active phase, expected seeds per unit":
            ratio("control", "expected_per_unit_rest", over_key="expected_per_unit_active"),
        "control, 04:00 / 10:00 draws (days 1-5)":
            [(lambda d: d[4.0] / d[10.0])(draw_means(paths["control"][k])) for k in seeds],
    }
    print(f"effects, per seed against its control ({len(seeds)} seeds):")
    for name, values in effects.items():
        print(f"  {name}: {show(values)} "
              f"(seeds: {', '.join(f'{v:.2f}' for v in values)})")


def main() -> None:
    paths, figures = replicates_from_command_line(__doc__.splitlines()[0],
                                                  HERE / "ctc_circadian.toml", ARMS,
                                                  Path("outputs/ctc_circadian.h5"), 3,
                                                  docs=HERE.parent / "docs" / "ctc_circadian.png")
    for written in figure(paths, figures):
        print(f"wrote {written}")
    report(paths)
    paired_effects(paths)


if __name__ == "__main__":
    main()
