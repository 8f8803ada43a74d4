"""Immune infiltration of a hypoxic tumour, with and without anti-PD-L1, over replicate seeds.

Two arms of ``immune_pdl1.toml``: ``untreated`` and ``anti_pdl1`` (one atezolizumab-like
dose on day 2; t½ 27 d, so the blockade lasts the run), each run with replicate seeds
1 … N (``--replicates``, default 5). Writes ``outputs/immune_pdl1_<arm>_seed<k>.h5`` (the tidy
summary in ``outputs/immune_pdl1_summary.csv``/``.h5``) and
``outputs/immune_pdl1.png`` (viable tumour cells, CD8 kills per CD8 per day against the
published range, CD8 dysfunction over time, the per-cell kill distributions of NK and CD8
cells, hits per kill and cooperative kills, and a map of PD-L1 with the immune cells), and
prints the kill statistics read back from the run files
(:func:`abm.immune.analysis.kill_statistics`) as mean ± SD over the seeds.

    python scenarios/immune_pdl1.py [--days 10] [--replicates 5] [--workers 2]
                                    [--out outputs/immune_pdl1.h5] [--overwrite]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from abm.immune.analysis import NK_STAY_MIN, kill_statistics
from abm.io import load_run
from abm.io.outputs import write_atomically
from abm.study.arms import series
from abm.study.replicates import replicates_from_command_line
from abm.tumor.cells import CD8, NK
from abm.viz.style import OKABE_ITO, add_scale_bar, in_days, mean_band, nice_length

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


def figure(paths: dict[str, dict[int, Path]], stats: dict[str, dict[int, dict]],
           out: Path) -> Path:
    fig = Figure(figsize=(13, 8), layout="constrained")
    (ax_tumour, ax_rate, ax_dys), (ax_nk, ax_kill, ax_map) = fig.subplots(2, 3)
    for arm, per_seed in paths.items():
        color = COLORS[arm]
        viable = [in_days(series(p)["n_viable"]) for p in per_seed.values()]
        mean_band(ax_tumour, viable, color, arm)
        daily = [_daily_cd8_rate(p) for p in per_seed.values()]
        mean_band(ax_rate, daily, color, arm, step=True)
        for state, ls in (("plastic", "-"), ("fixed", "--")):
            mean_band(ax_dys, [_residence(s, state) for s in stats[arm].values()], color,
                  f"{arm}: {state}", ls=ls, step=True)
    ax_rate.axhspan(*HALLE_RANGE, color=OKABE_ITO["bluish_green"], alpha=0.15, lw=0,
                    label="Halle 2016 (in vivo)")
    ax_dys.axvspan(*SCHIETINGER_PLASTIC_D, color=OKABE_ITO["bluish_green"], alpha=0.15, lw=0,
                   label="plastic (Schietinger 2016)")
    for ax in (ax_tumour, ax_rate):
        ax.axvline(DOSE_DAY, color="0.6", lw=0.8, ls=":")
    ax_tumour.set(title="(a) viable tumour cells (mean, band ± SD)", xlabel="time (d)",
                  ylabel="cells")
    ax_rate.set(title="(b) CD8 kills per CD8 per day", xlabel="day", ylabel="kills / CD8 / d",
                yscale="log")
    ax_dys.set(title="(c) CD8 dysfunction by days since entry", xlabel="days in the tissue",
               ylabel="share of CD8 cells", ylim=(0, 1))
    _distributions(ax_nk, stats)
    _hits(ax_kill, stats)
    _map(ax_map, fig, next(iter(paths["untreated"].values())))
    for ax in (ax_tumour, ax_rate, ax_dys):
        ax.legend(fontsize=7)
    n = len(next(iter(paths.values())))
    fig.suptitle(f"Immune killing in a hypoxic tumour; anti-PD-L1 on day {DOSE_DAY:g} "
                 f"({n} seeds per arm)")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


def _residence(stats: dict, state: str) -> pd.Series:
    """Share of CD8 cells in dysfunction ``state`` by whole days in the tissue, on days 0–9
    (a day's midpoint as the index)."""
    by_day = stats["dysfunction_by_residence"][state].reindex(range(10))
    return pd.Series(by_day.to_numpy(), index=np.arange(10) + 0.5)


def _daily_cd8_rate(path: Path):
    """CD8 kills per CD8 per day, day by day (Series indexed by the day's midpoint, d)."""
    ts = series(path)
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
    for arm, per_seed in stats.items():
        nk = np.concatenate([s["nk_kill_counts"] for s in per_seed.values()])
        cd8 = np.concatenate([s["cd8_kill_counts"] for s in per_seed.values()])
        ax.hist(np.minimum(nk, 10), bins, density=True, histtype="step", color=COLORS[arm],
                lw=1.6, label=f"{arm}: NK ({np.mean(nk == 0):.0%} kill none)")
        ax.hist(np.minimum(cd8, 10), bins, density=True, histtype="step", color=COLORS[arm],
                ls="--", label=f"{arm}: CD8")
    ax.set(title=f"(d) kills per cell (NK: stay ≥ {NK_STAY_MIN / 60:g} h; 10 = ≥ 10)",
           xlabel="kills", ylabel="share of cells")
    ax.legend(fontsize=7)


def _hits(ax, stats) -> None:
    """Hits per kill, cooperative and recovered shares per arm (mean ± SD over seeds)."""
    keys = ("hits_per_kill", "cooperative_share", "recovered_share")
    labels = ("hits\nper kill", "kills by\n≥ 2 cells", "damaged targets\nthat recovered")
    values = summarise(stats)
    width = 0.38
    x = np.arange(len(keys))
    for i, (arm, v) in enumerate(values.items()):
        mean = [np.nanmean(v[k]) for k in keys]
        sd = [np.nanstd(v[k]) for k in keys]
        ax.bar(x + (i - 0.5) * width, mean, width, yerr=sd, color=COLORS[arm], label=arm,
               capsize=3)
    ax.axhline(3.0, color=OKABE_ITO["bluish_green"], lw=1, ls=":",
               label="3 hits (Weigelin 2021)")
    ax.set_xticks(x, labels)
    ax.set(title="(e) additive killing", ylabel="hits / share")
    ax.legend(fontsize=7)


def _map(ax, fig, path: Path) -> None:
    """PD-L1 of the tumour cells at the last frame, with the immune cells on top."""
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
    shown = ax.imshow(image, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=1,
                      interpolation="nearest")
    for kind, marker, color in ((CD8, "o", OKABE_ITO["vermillion"]),
                                (NK, "^", OKABE_ITO["orange"])):
        sel = immune["kind"].to_numpy() == kind
        ax.scatter(immune["x"][sel] / 1000, immune["y"][sel] / 1000, s=8, marker=marker,
                   color=color, edgecolors="white", linewidths=0.3,
                   label="CD8" if kind == CD8 else "NK")
    ax.set(title="(f) PD-L1 and immune cells, end (untreated)",
           xlabel="x (mm)", ylabel="y (mm)", facecolor="#EDEDED")
    ax.legend(fontsize=7, loc="upper right")
    add_scale_bar(ax, nice_length(extent[1]), color="black")
    fig.colorbar(shown, ax=ax, label="PD-L1 (relative)", shrink=0.8)


def report(stats: dict[str, dict[int, dict]]) -> None:
    values = summarise(stats)
    arms = list(values)
    print(f"{'':46}" + "".join(f"{arm:>22}" for arm in arms))
    for key, (label, _) in SUMMARY.items():
        cells = "".join(f"{np.nanmean(values[a][key]):>13.2f} ± {np.nanstd(values[a][key]):<6.2f}"
                        for a in arms)
        print(f"{label:46}{cells}")


def main() -> None:
    paths, out = replicates_from_command_line(__doc__.splitlines()[0], HERE / "immune_pdl1.toml",
                                              ARMS, Path("outputs/immune_pdl1.h5"), 5)
    stats = {arm: {seed: kill_statistics(path, since_min=DOSE_DAY * 1440.0)
                   for seed, path in per_seed.items()} for arm, per_seed in paths.items()}
    print(f"wrote {figure(paths, stats, out.with_suffix('.png'))}")
    print(f"kill statistics (mean ± SD over {len(next(iter(paths.values())))} seeds):")
    report(stats)


if __name__ == "__main__":
    main()
