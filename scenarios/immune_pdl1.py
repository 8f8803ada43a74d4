"""Immune infiltration of a hypoxic tumour, with and without anti-PD-L1, over replicate seeds.

Two arms of ``immune_pdl1.toml``: ``untreated`` and ``anti_pdl1`` (one atezolizumab-like
dose on day 2; t½ 27 d, so the blockade lasts the run), each run with replicate seeds
1 … N (``--replicates``, default 5). Writes ``outputs/immune_pdl1_<arm>_seed<k>.h5`` (the
tidy summary in ``outputs/immune_pdl1_summary.csv``/``.h5``) and
``outputs/immune_pdl1_comparison.png`` (``--docs``: also ``docs/immune_pdl1.png``;
``--replot``: from existing runs): viable tumour cells, CD8 kills per CD8 per day against
the published range, the CD8 cells present and how many of *them* are dysfunctional (both
counted at the same step: ``n_exhausted`` counts the live CD8 cells in the plastic or fixed
state, never departed or dead ones), CD8 dysfunction by days in the tissue, the per-cell
kill distributions of NK and CD8 cells, hits per kill, cooperative kills and recovered
targets, and a map of PD-L1 with the immune cells. Prints the kill statistics read back from
the run files (:func:`abm.immune.analysis.kill_statistics`) as mean ± SD (sample SD) over
the seeds.

    python scenarios/immune_pdl1.py [--days 10] [--replicates 5] [--workers 2]
                                    [--out outputs/immune_pdl1.h5] [--overwrite] [--replot]
                                    [--docs]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from abm.immune.analysis import NK_STAY_MIN, kill_statistics
from abm.io import load_run
from abm.study.arms import series
from abm.study.replicates import replicates_from_command_line
from abm.study.script_outputs import save_figure
from abm.tumor.cells import CD8, NK
from abm.viz.journal import journal_style, legend_panel, width_inches
from abm.viz.spread import show
from abm.viz.style import (AGENT_STYLES, OKABE_ITO, add_scale_bar, agent_marker,
                           bars_with_spread, in_days, mean_band, nice_length)

HERE = Path(__file__).resolve().parent
ARMS = {"untreated": [], "anti_pdl1": [{"drug": "anti_pdl1", "at_h": [48.0]}]}
COLORS = {"untreated": OKABE_ITO["black"], "anti_pdl1": OKABE_ITO["blue"]}
DOSE_DAY = 2.0
HALLE_RANGE = (2.0, 16.0)
"""CTL kills per CTL per day in vivo (Halle et al. 2016 Immunity 44:233)."""
SCHIETINGER_PLASTIC_D = (5.0, 7.0)
"""Days in the tumour at which tumour-specific T cells are in the plastic dysfunctional state
(Schietinger et al. 2016 Immunity 45:389; Philip et al. 2017 Nature 545:452)."""
SUMMARY = {  # key → (label, how to read it from kill_statistics)
    "kills_per_cd8_day": ("CD8 kills per CD8 per day, from day 2",
                          lambda s: s["kills_per_cd8_day"]),
    "last_over_first": ("CD8 kill rate, last third / first third",
                        lambda s: s["kills_per_cd8_day_thirds"][2]
                        / s["kills_per_cd8_day_thirds"][0]),
    "kills_per_nk_day": ("NK kills per NK per day, from day 2", lambda s: s["kills_per_nk_day"]),
    "nk_none_share": ("NK cells (stay ≥ 12 h) that kill nothing", lambda s: s["nk_none_share"]),
    "nk_top_share": ("share of NK kills by the top fifth of NK cells",
                     lambda s: s["nk_top_share"]),
    "hits_per_kill": ("hits per kill", lambda s: s["hits_per_kill"]),
    "cooperative_share": ("kills with hits from ≥ 2 cells", lambda s: s["cooperative_share"]),
    "recovered_share": ("damaged targets that recovered", lambda s: s["recovered_share"]),
    "plastic_end": ("CD8 plastic-dysfunctional at the end",
                    lambda s: s["dysfunction"]["plastic"].iloc[-1]),
    "fixed_end": ("CD8 fixed-dysfunctional at the end",
                  lambda s: s["dysfunction"]["fixed"].iloc[-1]),
}


def summarise(stats: dict[str, dict[int, dict]]) -> dict[str, dict[str, np.ndarray]]:
    """arm → summary key (:data:`SUMMARY`) → one value per seed."""
    return {arm: {key: np.array([read(s) for s in per_seed.values()], dtype=float)
                  for key, (_, read) in SUMMARY.items()}
            for arm, per_seed in stats.items()}


LABELS = {"untreated": "untreated", "anti_pdl1": "anti-PD-L1"}
REFERENCE = OKABE_ITO["bluish_green"]


def figure(paths: dict[str, dict[int, Path]], stats: dict[str, dict[int, dict]],
           figures: list[Path]) -> list[Path]:
    """Eight panels and a key at two-column width; curves are means over the seeds with a
    ± SD band, bars means with ± SD and a dot per seed."""
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 6.6), layout="constrained")
        (ax_tumour, ax_rate, ax_count), (ax_dys, ax_nk, ax_hits), (ax_share, ax_map, ax_key) = \
            fig.subplots(3, 3)
        for arm, per_seed in paths.items():
            color = COLORS[arm]
            runs = [series(p) for p in per_seed.values()]
            mean_band(ax_tumour, [in_days(ts["n_viable"]) for ts in runs], color, arm)
            mean_band(ax_rate, [_daily_cd8_rate(ts) for ts in runs], color, arm, step=True)
            mean_band(ax_count, [in_days(ts["n_cd8"]) for ts in runs], color, arm)
            mean_band(ax_count, [in_days(ts["n_exhausted"]) for ts in runs], color, arm, ls="--")
            for state, ls in (("plastic", "-"), ("fixed", "--")):
                mean_band(ax_dys, [_residence(s, state) for s in stats[arm].values()], color,
                          arm, ls=ls, step=True)
        ax_rate.axhspan(*HALLE_RANGE, color=REFERENCE, alpha=0.15, lw=0)
        ax_dys.axvspan(*SCHIETINGER_PLASTIC_D, color=REFERENCE, alpha=0.15, lw=0)
        for ax in (ax_tumour, ax_rate, ax_count):
            ax.axvline(DOSE_DAY, color="0.6", lw=0.8, ls=":")
        ax_tumour.set(title="(a) viable tumour cells", xlabel="time (d)", ylabel="cells")
        ax_rate.set(title="(b) CD8 kills per CD8 per day", xlabel="day", ylabel="kills / CD8 / d",
                    yscale="log")
        ax_rate.set_yticks([1, 2, 5, 10, 20], ["1", "2", "5", "10", "20"])
        ax_rate.yaxis.set_minor_formatter(NullFormatter())
        ax_count.set(title="(c) CD8 cells present, and of\nthem dysfunctional (dashed)",
                     xlabel="time (d)", ylabel="CD8 cells in the tissue", ylim=(0, None))
        ax_dys.set(title="(d) dysfunction by days since entry", xlabel="days in the tissue",
                   ylabel="share of CD8 cells present", ylim=(0, 1))
        _distributions(ax_nk, stats)
        _hits(ax_hits, ax_share, stats)
        _map(ax_map, fig, next(iter(paths["untreated"].values())))
        _key(ax_key, paths)
        n = len(next(iter(paths.values())))
        fig.suptitle(f"Immune killing in a hypoxic tumour; anti-PD-L1 on day {DOSE_DAY:g} "
                     f"(mean ± SD of {n} seeds per arm)")
        return save_figure(fig, figures)


def _key(ax, paths) -> None:
    """The figure's shared key: arms, line styles, the published references, the markers."""
    handles = [Line2D([], [], color=COLORS[arm]) for arm in paths]
    labels = [LABELS[arm] for arm in paths]
    handles += [Line2D([], [], color="0.3"), Line2D([], [], color="0.3", ls="--"),
                Patch(color=REFERENCE, alpha=0.3), Line2D([], [], color=REFERENCE, ls=":"),
                Line2D([], [], ls="none", ms=4, **agent_marker(AGENT_STYLES["cd8"])),
                Line2D([], [], ls="none", ms=5, **agent_marker(AGENT_STYLES["nk"]))]
    labels += ["solid: present (c), plastic (d), NK (e)",
               "dashed: dysfunctional (c), fixed (d), CD8 (e)",
               "Halle 2016, in vivo (b);\nplastic, Schietinger 2016 (d)",
               "3 hits, Weigelin 2021 (f)", "CD8 cell (h)", "NK cell (h)"]
    legend_panel(ax, handles, labels)


def _residence(stats: dict, state: str) -> pd.Series:
    """Share of CD8 cells in dysfunction ``state`` by whole days in the tissue, on days 0–9
    (a day's midpoint as the index)."""
    by_day = stats["dysfunction_by_residence"][state].reindex(range(10))
    return pd.Series(by_day.to_numpy(), index=np.arange(10) + 0.5)


def _daily_cd8_rate(ts: pd.DataFrame) -> pd.Series:
    """CD8 kills per CD8 per day, day by day, from a run's time series (Series indexed by
    the day's midpoint, d)."""
    t = ts.index.to_numpy()
    steps_per_day = round(1440.0 / np.median(np.diff(t)))
    kills = ts["immune_kills_cd8"].to_numpy()[1:]
    present = ts["n_cd8"].to_numpy()[:-1] * np.diff(t) / 1440.0
    n_days = len(kills) // steps_per_day
    per_day = (kills[:n_days * steps_per_day].reshape(n_days, -1).sum(axis=1)
               / present[:n_days * steps_per_day].reshape(n_days, -1).sum(axis=1))
    return pd.Series(per_day, index=np.arange(n_days) + 0.5)


def _distributions(ax, stats) -> None:
    """Kills per cell over the run: NK cells that stayed ≥ 12 h, and CD8 cells (all seeds)."""
    bins = np.arange(0, 12) - 0.5
    none = {}
    for arm, per_seed in stats.items():
        nk = np.concatenate([s["nk_kill_counts"] for s in per_seed.values()])
        cd8 = np.concatenate([s["cd8_kill_counts"] for s in per_seed.values()])
        ax.hist(np.minimum(nk, 10), bins, density=True, histtype="step", color=COLORS[arm])
        ax.hist(np.minimum(cd8, 10), bins, density=True, histtype="step", color=COLORS[arm],
                ls="--")
        none[arm] = np.mean(nk == 0)
    ax.set(title="(e) kills per cell (10: ≥ 10); NK kill\nnone: "
                 + ", ".join(f"{LABELS[a]} {v:.0%}" for a, v in none.items()),
           xlabel=f"kills (NK: stay ≥ {NK_STAY_MIN / 60:g} h)", ylabel="share of cells",
           xticks=range(0, 11, 2))


def _hits(ax_hits, ax_share, stats) -> None:
    """(f) hits per kill; (g) cooperative and recovered shares; per arm, mean ± SD over the
    seeds with a dot per seed (a count and the shares on axes of their own)."""
    values = summarise(stats)
    arms = list(values)
    bars_with_spread(ax_hits, np.arange(len(arms)), [values[a]["hits_per_kill"] for a in arms],
                     0.7, [COLORS[a] for a in arms])
    ax_hits.axhline(3.0, color=REFERENCE, lw=1, ls=":")
    ax_hits.set_xticks(range(len(arms)), [LABELS[a] for a in arms])
    ax_hits.set(title="(f) hits per killed target", ylabel="hits per kill")
    keys = ("cooperative_share", "recovered_share")
    width = 0.38
    x = np.arange(len(keys))
    for i, arm in enumerate(arms):
        bars_with_spread(ax_share, x + (i - 0.5) * width, [values[arm][k] for k in keys],
                         width, COLORS[arm])
    ax_share.set_xticks(x, ["kills with hits\nfrom ≥ 2 cells", "damaged targets\nthat recovered"])
    ax_share.set(title="(g) additive killing", ylabel="share", ylim=(0, 1))


def _map(ax, fig, path: Path) -> None:
    """PD-L1 of the tumour cells at the last frame (empty sites white), with the CD8 and NK
    cells on top in the markers of every map (outlined, the NK cells larger and last)."""
    with load_run(path) as run:
        cells = run.cells(-1)
        t_end = run.frame_times[-1]
        immune = run.events("immune_cells")
        dx = float(run.attrs["dx_um"])
        shape = run.field("oxygen", -1).shape
    immune = immune[immune["time_min"] == t_end]
    image = np.full(shape, np.nan)
    ix = (cells["x"].to_numpy() / dx).astype(int)
    iy = (cells["y"].to_numpy() / dx).astype(int)
    image[iy, ix] = cells["pdl1"].to_numpy()
    extent = (0, shape[1] * dx / 1000, 0, shape[0] * dx / 1000)
    shown = ax.imshow(image, origin="lower", extent=extent, cmap="cividis", vmin=0, vmax=1,
                      interpolation="nearest")
    for kind, group, size in ((CD8, "cd8", 1.6), (NK, "nk", 2.6)):
        sel = immune["kind"].to_numpy() == kind
        ax.plot(immune["x"][sel] / 1000, immune["y"][sel] / 1000, ls="none", ms=size,
                **agent_marker(AGENT_STYLES[group]))
    ax.set(title="(h) PD-L1 and immune cells, end\n(untreated, first seed)",
           xlabel="x (mm)", ylabel="y (mm)", facecolor="white", xlim=extent[:2],
           ylim=extent[2:])
    add_scale_bar(ax, nice_length(extent[1]), color="black")
    fig.colorbar(shown, ax=ax, label="PD-L1 (relative)", shrink=0.8)


def report(stats: dict[str, dict[int, dict]]) -> None:
    values = summarise(stats)
    arms = list(values)
    print(f"{'':46}" + "".join(f"{arm:>22}" for arm in arms))
    for key, (label, _) in SUMMARY.items():
        cells = "".join(f"{show(values[a][key]):>22}" for a in arms)
        print(f"{label:46}{cells}")


def main() -> None:
    paths, figures = replicates_from_command_line(__doc__.splitlines()[0],
                                                  HERE / "immune_pdl1.toml", ARMS,
                                                  Path("outputs/immune_pdl1.h5"), 5,
                                                  docs=HERE.parent / "docs" / "immune_pdl1.png")
    stats = {arm: {seed: kill_statistics(path, since_min=DOSE_DAY * 1440.0)
                   for seed, path in per_seed.items()} for arm, per_seed in paths.items()}
    for written in figure(paths, stats, figures):
        print(f"wrote {written}")
    print(f"kill statistics (mean ± SD over {len(next(iter(paths.values())))} seeds):")
    report(stats)


if __name__ == "__main__":
    main()
