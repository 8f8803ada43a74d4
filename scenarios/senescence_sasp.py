"""Therapy-induced senescence and its paracrine spread, with and without a senolytic.

Four arms of ``senescence_sasp.toml`` (one chemotherapy dose on day 3 in all but the first):

- ``untreated``: no therapy (the control of the chemotherapy);
- ``chemo``: chemotherapy alone;
- ``senolytic``: plus a senolytic (navitoclax-like) daily at 09:00 on days 7–11;
- ``senomorphic``: plus a senomorphic (ruxolitinib-like) twice daily on days 7–11.

Each arm runs with replicate seeds 1 … N (``--replicates``, default 3) into
``outputs/senescence_sasp_<arm>_seed<k>.h5`` (each a normal run file with its summary
figure; the tidy summary in ``outputs/senescence_sasp_summary.csv``/``.h5``) and draws
``outputs/senescence_sasp_comparison.png`` (``--docs``: also ``docs/senescence_sasp.png``;
``--replot``: from existing runs): senescent cells by route, the inflammatory SASP, PD-L1 and
stemness of viable cells (each on its own axis), the dormant share (mean ± SD over seeds),
and the SASP maps at the end. Prints the numbers the figure shows (mean ± sample SD).

    python scenarios/senescence_sasp.py [--days 14] [--replicates 3] [--workers 2] [--replot]
                                        [--docs] [--overwrite]
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.study.arms import last_field, series
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd, show
from abm.viz.style import add_scale_bar, in_days, mean_band, nice_length

HERE = Path(__file__).resolve().parent
COURSE_DAYS = {"first_day": 7, "n_days": 5}
ARMS = {
    "untreated": None,
    "chemo": [],
    "senolytic": [{"drug": "senolytic", "daily_at": "09:00", **COURSE_DAYS}],
    "senomorphic": [{"drug": "senomorphic", "daily_at": "09:00", **COURSE_DAYS},
                    {"drug": "senomorphic", "daily_at": "21:00", **COURSE_DAYS}],
}
COLORS = {"untreated": "#999999", "chemo": "#000000", "senolytic": "#0072B2", "senomorphic": "#E69F00"}
CHEMO_COLOR = "#CC79A7"
ROUTES = {"therapy": "-", "paracrine": "--", "geroconversion": ":", "metabolic": "-."}


def figure(paths: dict[str, dict[int, Path]], figures: list[Path]) -> list[Path]:
    """Curves are the mean over seeds with a ± SD band; the maps are of the first seed; PD-L1
    and stemness on panels of their own."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 6.4), layout="constrained")
        (ax_sen, ax_sasp, ax_key), (ax_pdl1, ax_stem, ax_pop), (ax_map_a, ax_map_b, ax_spare) = \
            fig.subplots(3, 3)
        ax_spare.remove()
        shown = set()
        for arm, per_seed in paths.items():
            runs = [series(path) for path in per_seed.values()]
            color = COLORS[arm]
            for route, style in ROUTES.items():
                counts = [in_days(ts[f"n_senescent_{route}"]) for ts in runs]
                if max(c.max() for c in counts) > 0:
                    mean_band(ax_sen, counts, color, arm, ls=style)
                    shown.add(route)
            mean_band(ax_sasp, [in_days(ts["sasp_mean_viable"]) for ts in runs], color, arm)
            mean_band(ax_pdl1, [in_days(ts["pdl1_mean_viable"]) for ts in runs], color, arm)
            mean_band(ax_stem, [in_days(ts["stemness_mean_viable"]) for ts in runs], color, arm)
            mean_band(ax_pop, [in_days(ts["n_dormant"] / ts["n_viable"]) for ts in runs], color,
                      arm)
        ax_sen.set(title="(a) senescent cells by route (the\nsenomorphic arm's lie on chemo's)",
                   xlabel="time (d)", ylabel="cells")
        ax_sasp.set(title="(b) inflammatory SASP at viable cells", xlabel="time (d)",
                    ylabel="mean SASP (network units)")
        ax_pdl1.set(title="(c) PD-L1 of viable cells", xlabel="time (d)",
                    ylabel="mean PD-L1 (relative, 0–1)")
        ax_stem.set(title="(d) stemness of viable cells", xlabel="time (d)",
                    ylabel="mean stemness (relative, 0–1)")
        ax_pop.set(title="(e) dormant share of viable cells", xlabel="time (d)",
                   ylabel="dormant / viable")
        for ax in (ax_sen, ax_sasp, ax_pdl1, ax_stem, ax_pop):
            ax.axvspan(3.0, 3.1, color=CHEMO_COLOR, alpha=0.6, lw=0)
            ax.axvspan(COURSE_DAYS["first_day"], COURSE_DAYS["first_day"] + COURSE_DAYS["n_days"],
                       color="0.9", lw=0, zorder=0)
        _key(ax_key, paths, [r for r in ROUTES if r in shown])
        first = {arm: per_seed[min(per_seed)] for arm, per_seed in paths.items()}
        vmax = max(last_field(first[a], "sasp")[0].max() for a in ("chemo", "senolytic"))
        for ax, arm, letter in ((ax_map_a, "chemo", "f"), (ax_map_b, "senolytic", "g")):
            sasp, dx = last_field(first[arm], "sasp")
            extent = (0, sasp.shape[1] * dx / 1000, 0, sasp.shape[0] * dx / 1000)
            image = ax.imshow(sasp, origin="lower", extent=extent, cmap="magma", vmin=0,
                              vmax=vmax)
            ax.set(title=f"({letter}) SASP at the end: {arm}\n(seed {min(paths[arm])})",
                   xlabel="x (mm)", ylabel="y (mm)")
            add_scale_bar(ax, nice_length(extent[1]))
            fig.colorbar(image, ax=ax, label="SASP (network units)", shrink=0.8)
        n = len(next(iter(paths.values())))
        fig.suptitle(f"Therapy-induced senescence (mean ± SD of {n} seeds per arm)")
        return save_figure(fig, figures)


def _key(ax, paths, routes: list[str]) -> None:
    """The shared key: arms, the line styles of the ``routes`` drawn in (a), the therapy
    shading."""
    handles = [Line2D([], [], color=COLORS[arm]) for arm in paths]
    labels = list(paths)
    handles += [Line2D([], [], color="0.3", ls=ROUTES[route]) for route in routes]
    labels += [f"route (a): {route}" for route in routes]
    handles += [Patch(color=CHEMO_COLOR, alpha=0.6), Patch(color="0.9")]
    labels += ["chemotherapy, day 3", "senolytic or senomorphic course"]
    legend_panel(ax, handles, labels)


def summary(paths: dict[str, dict[int, Path]]) -> None:
    """The figure's numbers per arm: mean ± SD over the seeds."""
    for arm, per_seed in paths.items():
        ends, day9s = [], []
        for path in per_seed.values():
            ts = series(path)
            ends.append(ts.iloc[-1])
            day9s.append(ts.iloc[ts.index.get_indexer([9 * 1440.0], method="nearest")[0]])
        routes = ", ".join(f"{r} {show([e[f'n_senescent_{r}'] for e in ends])}" for r in ROUTES)
        print(f"{arm:>11} ({len(ends)} seeds): day 9 dormant share "
              f"{show([d['n_dormant'] / d['n_viable'] for d in day9s])}; end: viable "
              f"{show([e['n_viable'] for e in ends])}, dormant "
              f"{show([e['n_dormant'] for e in ends])}, senescent "
              f"{show([e['n_senescent'] for e in ends])} ({routes}); SASP at viable cells "
              f"{show([e['sasp_mean_viable'] for e in ends])}, PD-L1 "
              f"{show([e['pdl1_mean_viable'] for e in ends])}, stemness "
              f"{show([e['stemness_mean_viable'] for e in ends])}")


def effects(paths: dict[str, dict[int, Path]]) -> None:
    """The numbers the README quotes, per seed (a treated arm against the chemo arm of the
    same seed), then mean ± SD (sample SD) over the seeds."""
    seeds = sorted(paths["chemo"])
    runs = {arm: {k: series(p) for k, p in per_seed.items()} for arm, per_seed in paths.items()}

    def at(ts, day: float, column: str) -> float:
        return float(ts[column].iloc[ts.index.get_indexer([day * 1440.0], method="nearest")[0]])

    def dormant_share(ts, first_day: float, last_day: float) -> float:
        days = ts.index / 1440.0
        window = (days > first_day) & (days < last_day)
        return float((ts["n_dormant"] / ts["n_viable"])[window].mean())

    def course_sasp(ts) -> float:
        days = ts.index / 1440.0
        return float(ts["sasp_mean_viable"][(days > 7.5) & (days < 12.0)].mean())

    chemo = runs["chemo"]
    numbers = {
        "chemo: therapy-induced senescent cells on day 7":
            [at(chemo[k], 7.0, "n_senescent_therapy") for k in seeds],
        "chemo: first therapy-induced senescent cell (day)":
            [chemo[k].index[chemo[k]["n_senescent_therapy"] > 0][0] / 1440.0 for k in seeds],
        "chemo: peak SASP at viable cells": [chemo[k]["sasp_mean_viable"].max() for k in seeds],
        "chemo: dormant share of viable cells, day 3": [
            at(chemo[k], 3.0, "n_dormant") / at(chemo[k], 3.0, "n_viable") for k in seeds],
        "chemo: dormant share of viable cells, day 6": [
            at(chemo[k], 6.0, "n_dormant") / at(chemo[k], 6.0, "n_viable") for k in seeds],
        "chemo: dormant share, days 8-11": [dormant_share(chemo[k], 8.0, 11.0) for k in seeds],
        "untreated: dormant share, days 8-11": [
            dormant_share(runs["untreated"][k], 8.0, 11.0) for k in seeds],
        "senolytic: share of the chemo arm's senescent cells cleared at the end": [
            1.0 - runs["senolytic"][k]["n_senescent"].iloc[-1] / chemo[k]["n_senescent"].iloc[-1]
            for k in seeds],
        "senolytic: share of the chemo arm's SASP cleared at the end": [
            1.0 - runs["senolytic"][k]["sasp_mean_viable"].iloc[-1]
            / chemo[k]["sasp_mean_viable"].iloc[-1] for k in seeds],
        "senomorphic: SASP lowered over the course (days 7.5-12)": [
            1.0 - course_sasp(runs["senomorphic"][k]) / course_sasp(chemo[k]) for k in seeds],
        "senomorphic: senescent cells killed": [
            runs["senomorphic"][k]["senolytic_deaths"].sum() for k in seeds],
    }
    print(f"numbers of the README ({len(seeds)} seeds; treated arms per seed against chemo):")
    for name, values in numbers.items():
        mean, sd = mean_sd(values)
        print(f"  {name}: {mean:.3g} ± {sd:.2g}")


def main() -> None:
    paths, figures = replicates_from_command_line(
        __doc__.splitlines()[0], HERE / "senescence_sasp.toml", ARMS,
        Path("outputs/senescence_sasp.h5"), 3, docs=HERE.parent / "docs" / "senescence_sasp.png")
    for written in figure(paths, figures):
        print(f"wrote {written}")
    summary(paths)
    effects(paths)


if __name__ == "__main__":
    main()
