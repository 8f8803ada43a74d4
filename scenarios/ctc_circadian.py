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

Writes ``outputs/ctc_circadian_<arm>.h5`` and ``outputs/ctc_circadian.png``, and prints the
blood-draw ratio, seeding per shed unit (singles vs clusters, rest vs active phase) and the
therapies' effects, all read back from the run files (expected seeds: each arrested unit's
outgrowth probability, :func:`abm.analysis.seeding_by_unit`).

    python scenarios/ctc_circadian.py [--days 6] [--seed 1] [--out outputs/ctc_circadian.h5]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from abm import load_run
from abm.circulation.analysis import blood_draws, seeding_by_unit
from abm.io.outputs import write_atomically
from abm.viz.figures import draw_ctc
from abm.study.arms import run_from_command_line

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


def figure(paths: dict[str, Path], out: Path) -> Path:
    fig = Figure(figsize=(13, 8), layout="constrained")
    (ax_clock, ax_draw, ax_seed), (ax_jet, ax_ther, ax_comp) = fig.subplots(2, 3)
    with load_run(paths["control"]) as run:
        draw_ctc(ax_clock, run)
    ax_clock.set_title("(a) CTCs by clock time (control)")

    names = list(paths)
    draws = {arm: draw_means(path) for arm, path in paths.items()}
    x = np.arange(len(names))
    for i, hour in enumerate(DRAW_HOURS):
        ax_draw.bar(x + (i - 0.5) * 0.38, [draws[a][hour] for a in names], 0.38,
                    color=["#0072B2", "#E69F00"][i], label=f"{hour:02.0f}:00")
    ax_draw.set_xticks(x, [n.replace("_", "\n") for n in names], fontsize=6)
    ax_draw.set(title="(b) blood draws (mean CTC cells, days 1–)", ylabel="CTC cells")
    ax_draw.legend(fontsize=7)

    stats = {arm: seeding_by_unit(path) for arm, path in paths.items()}
    c = stats["control"]
    bars = {"single": c["expected_per_single"], "cluster": c["expected_per_cluster"],
            "rest phase": c["expected_per_unit_rest"],
            "active phase": c["expected_per_unit_active"]}
    ax_seed.bar(list(bars), list(bars.values()), color=["#56B4E9", "#0072B2", "#000000", "#999999"])
    ax_seed.set_yscale("log")
    ax_seed.set(title=f"(c) seeds per unit: clusters {c['expected_ratio']:.0f}× singles",
                ylabel="expected seeds per shed unit (control)")
    ax_seed.tick_params(axis="x", labelsize=7)

    for arm in ("control", "jet_lag"):
        d = blood_draws(paths[arm], 4.0)
        ax_jet.plot(d["day"], d["n_ctc_cells"], "o-", color=COLORS[arm], label=arm)
    ax_jet.axvline(1.0, color="0.5", ls=":")
    ax_jet.set(title="(d) 04:00 draws: a 6-h flight west on day 1", xlabel="day",
               ylabel="CTC cells")
    ax_jet.legend(fontsize=7)

    per_cell = {arm: s["expected_per_cell"] for arm, s in stats.items()}
    ax_ther.bar(x, [per_cell[a] for a in names], color=[COLORS[a] for a in names])
    ax_ther.set_xticks(x, [n.replace("_", "\n") for n in names], fontsize=6)
    ax_ther.set(title="(e) seeding per shed cell", ylabel="expected seeds per shed cell")

    fraction = {arm: s["cluster_fraction_circulating"] for arm, s in stats.items()}
    ax_comp.bar(x, [fraction[a] for a in names], color=[COLORS[a] for a in names])
    ax_comp.set_xticks(x, [n.replace("_", "\n") for n in names], fontsize=6)
    ax_comp.set(title="(f) clusters among circulating units", ylabel="fraction")
    fig.suptitle("Circadian shedding of CTCs and clusters, and the blood's rules")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


def report(paths: dict[str, Path]) -> None:
    for arm, path in paths.items():
        d = draw_means(path)
        s = seeding_by_unit(path)
        print(f"{arm:>25}: draws 04:00 {d[4.0]:.1f} / 10:00 {d[10.0]:.1f} cells (ratio "
              f"{d[4.0] / d[10.0]:.2f}); shed {s['n_units']} units ({s['n_clusters']} clusters), "
              f"{s['seeds_singles'] + s['seeds_clusters']} seeds; expected seeds per single "
              f"{s['expected_per_single']:.4f}, per cluster {s['expected_per_cluster']:.4f} "
              f"(×{s['expected_ratio']:.1f}), per cell {s['expected_per_cell']:.4f}; rest/active "
              f"per unit {s['expected_per_unit_rest']:.4f}/{s['expected_per_unit_active']:.4f}; "
              f"clusters among circulating units {s['cluster_fraction_circulating']:.3f}")


def main() -> None:
    paths, out = run_from_command_line(__doc__.splitlines()[0], HERE / "ctc_circadian.toml",
                                       ARMS, Path("outputs/ctc_circadian.h5"))
    print(f"wrote {figure(paths, out.with_suffix('.png'))}")
    report(paths)


if __name__ == "__main__":
    main()
