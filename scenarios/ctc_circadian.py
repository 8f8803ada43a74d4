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
``outputs/ctc_circadian_summary.csv``/``.h5``); draws ``outputs/ctc_circadian.png`` and prints
the blood-draw ratio and seeding per shed unit (singles vs clusters, rest vs active phase) of
each arm, and the therapies' effects as ratios to the control per seed, all as mean ± SD
over the seeds, read back from the run files
(expected seeds: each arrested unit's outgrowth probability,
:func:`abm.circulation.analysis.seeding_by_unit`).

    python scenarios/ctc_circadian.py [--days 6] [--replicates 3] [--workers 2]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from abm import load_run
from abm.circulation.analysis import blood_draws, seeding_by_unit
from abm.io.outputs import write_atomically
from abm.study.replicates import replicates_from_command_line
from abm.viz.figures import draw_ctc
from abm.viz.style import bars_with_spread, mean_band

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


def figure(paths: dict[str, dict[int, Path]], out: Path) -> Path:
    """Bars are means over the seeds with ± SD and a dot per seed; (a) shows the first seed."""
    fig = Figure(figsize=(13, 8), layout="constrained")
    (ax_clock, ax_draw, ax_seed), (ax_jet, ax_ther, ax_comp) = fig.subplots(2, 3)
    first = min(paths["control"])
    with load_run(paths["control"][first]) as run:
        draw_ctc(ax_clock, run)
    ax_clock.set_title(f"(a) CTCs by clock time (control, seed {first})")

    names = list(paths)
    n = len(paths["control"])
    x = np.arange(len(names))
    draws = {arm: [draw_means(p) for p in per_seed.values()] for arm, per_seed in paths.items()}
    for i, hour in enumerate(DRAW_HOURS):
        bars_with_spread(ax_draw, x + (i - 0.5) * 0.38, [[d[hour] for d in draws[a]] for a in names],
                         0.38, ["#0072B2", "#E69F00"][i], f"{hour:02.0f}:00")
    ax_draw.set_xticks(x, [name.replace("_", "\n") for name in names], fontsize=6)
    ax_draw.set(title="(b) blood draws (mean CTC cells, days 1–)", ylabel="CTC cells")
    ax_draw.legend(fontsize=7)

    stats = {arm: [seeding_by_unit(p) for p in per_seed.values()]
             for arm, per_seed in paths.items()}
    control = stats["control"]
    keys = {"single": "expected_per_single", "cluster": "expected_per_cluster",
            "rest phase": "expected_per_unit_rest", "active phase": "expected_per_unit_active"}
    for i, (label, key) in enumerate(keys.items()):
        values = [s[key] for s in control]
        ax_seed.errorbar(i, np.mean(values), yerr=np.std(values), fmt="o", capsize=3,
                         color=["#56B4E9", "#0072B2", "#000000", "#999999"][i])
        ax_seed.plot(np.full(len(values), i + 0.15), values, ".", color="0.5", ms=3)
    ax_seed.set_xticks(range(len(keys)), list(keys), fontsize=7)
    ax_seed.set_yscale("log")
    ratio = [s["expected_ratio"] for s in control]
    ax_seed.set(title=f"(c) seeds per unit: clusters {np.mean(ratio):.0f} ± {np.std(ratio):.0f}×",
                ylabel="expected seeds per shed unit (control)")

    for arm in ("control", "jet_lag"):
        curves = [blood_draws(p, 4.0).set_index("day")["n_ctc_cells"]
                  for p in paths[arm].values()]
        mean_band(ax_jet, curves, COLORS[arm], arm)
    ax_jet.axvline(1.0, color="0.5", ls=":")
    ax_jet.set(title="(d) 04:00 draws: a 6-h flight west on day 1", xlabel="day",
               ylabel="CTC cells")
    ax_jet.legend(fontsize=7)

    bars_with_spread(ax_ther, x, [[s["expected_per_cell"] for s in stats[a]] for a in names],
                     0.8, [COLORS[a] for a in names])
    ax_ther.set_xticks(x, [name.replace("_", "\n") for name in names], fontsize=6)
    ax_ther.set(title="(e) seeding per shed cell", ylabel="expected seeds per shed cell")

    bars_with_spread(ax_comp, x, [[s["cluster_fraction_circulating"] for s in stats[a]]
                                  for a in names], 0.8, [COLORS[a] for a in names])
    ax_comp.set_xticks(x, [name.replace("_", "\n") for name in names], fontsize=6)
    ax_comp.set(title="(f) clusters among circulating units", ylabel="fraction")
    fig.suptitle("Circadian shedding of CTCs and clusters, and the blood's rules "
                 f"(mean ± SD of {n} seeds per arm)")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


def report(paths: dict[str, dict[int, Path]]) -> None:
    """Per arm, mean ± SD over the seeds of what the figure shows."""
    def show(values, digits=4) -> str:
        return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"

    for arm, per_seed in paths.items():
        d = [draw_means(p) for p in per_seed.values()]
        s = [seeding_by_unit(p) for p in per_seed.values()]

        def of(key):
            return [x[key] for x in s]

        print(f"{arm:>25} ({len(s)} seeds): draws 04:00 {show([x[4.0] for x in d], 1)} / 10:00 "
              f"{show([x[10.0] for x in d], 1)} cells (ratio "
              f"{show([x[4.0] / x[10.0] for x in d], 2)}); shed {show(of('n_units'), 0)} units "
              f"({show(of('n_clusters'), 0)} clusters); expected seeds per single "
              f"{show(of('expected_per_single'))}, per cluster {show(of('expected_per_cluster'))} "
              f"(×{show(of('expected_ratio'), 1)}), per cell {show(of('expected_per_cell'))}; "
              f"rest/active per unit {show(of('expected_per_unit_rest'))}/"
              f"{show(of('expected_per_unit_active'))}; clusters among circulating units "
              f"{show(of('cluster_fraction_circulating'), 3)}")


def paired_effects(paths: dict[str, dict[int, Path]]) -> None:
    """The effects the README quotes, each a ratio taken per seed against that seed's control
    arm, then mean ± SD (population SD) over the seeds."""
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
        print(f"  {name}: {np.mean(values):.2f} ± {np.std(values):.2f} "
              f"(seeds: {', '.join(f'{v:.2f}' for v in values)})")


def main() -> None:
    paths, out = replicates_from_command_line(__doc__.splitlines()[0],
                                              HERE / "ctc_circadian.toml", ARMS,
                                              Path("outputs/ctc_circadian.h5"), 3)
    print(f"wrote {figure(paths, out.with_suffix('.png'))}")
    report(paths)
    paired_effects(paths)


if __name__ == "__main__":
    main()
