"""Immune infiltration of a hypoxic tumour, with and without anti-PD-L1.

Two arms of ``immune_pdl1.toml``: ``untreated`` and ``anti_pdl1`` (one atezolizumab-like
dose on day 2; t½ 27 d, so the blockade lasts the run). Writes
``outputs/immune_pdl1_<arm>.h5`` and ``outputs/immune_pdl1.png`` (tumour and immune counts,
kills per day, per-capita kill rates by tumour phase, and a map of PD-L1 with the immune
cells at the end), and prints the kill statistics read back from the run files
(:func:`abm.analysis.kill_statistics`).

    python scenarios/immune_pdl1.py [--days 10] [--seed 1] [--out outputs/immune_pdl1.h5]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from abm.circulation.analysis import kill_statistics
from abm.tumor.cells import CD8, NK
from abm.io import load_run
from abm.io.outputs import write_atomically
from abm.viz.style import add_scale_bar, nice_length
from abm.study.arms import run_from_command_line, series

HERE = Path(__file__).resolve().parent
ARMS = {"untreated": [], "anti_pdl1": [{"drug": "anti_pdl1", "at_h": [48.0]}]}
COLORS = {"untreated": "#000000", "anti_pdl1": "#0072B2"}
PHASES_SHOWN = ("proliferating", "quiescent", "dormant", "senescent")


def figure(paths: dict[str, Path], stats: dict[str, dict], out: Path) -> Path:
    fig = Figure(figsize=(13, 8), layout="constrained")
    (ax_tumour, ax_immune, ax_kills), (ax_capita, ax_map, ax_pdl1) = fig.subplots(2, 3)
    for arm, path in paths.items():
        ts = series(path)
        days = ts.index.to_numpy() / 1440.0
        color = COLORS[arm]
        ax_tumour.plot(days, ts["n_viable"], color=color, label=f"{arm}: viable")
        ax_tumour.plot(days, ts["n_dormant"], color=color, ls=":", label=f"{arm}: dormant")
        ax_immune.plot(days, ts["n_cd8"], color=color, label=f"{arm}: CD8")
        ax_immune.plot(days, ts["n_nk"], color=color, ls="--", label=f"{arm}: NK")
        ax_immune.plot(days, ts["n_exhausted"], color=color, ls=":", label=f"{arm}: exhausted")
        steps_per_day = round(1440.0 / np.median(np.diff(ts.index.to_numpy())))
        kills = ts["immune_kills_cd8"].to_numpy() + ts["immune_kills_nk"].to_numpy()
        per_day = kills[1:].reshape(-1, steps_per_day).sum(axis=1)
        ax_kills.step(np.arange(1, len(per_day) + 1), per_day, where="pre", color=color,
                      label=arm)
        ax_pdl1.plot(days, ts["pdl1_mean_viable"], color=color, label=f"{arm}: PD-L1")
        ax_pdl1.plot(days, ts["pdl1_blockade"], color=color, ls="--", label=f"{arm}: blockade")
    width = 0.38
    x = np.arange(len(PHASES_SHOWN))
    for i, (arm, s) in enumerate(stats.items()):
        rates = [s["per_capita_per_day"][p] for p in PHASES_SHOWN]
        ax_capita.bar(x + (i - 0.5) * width, np.nan_to_num(rates), width, color=COLORS[arm],
                      label=arm)
    ax_capita.set_xticks(x, PHASES_SHOWN)
    ax_tumour.set(title="(a) tumour cells", xlabel="time (d)", ylabel="cells")
    ax_immune.set(title="(b) immune cells in the tissue", xlabel="time (d)", ylabel="cells")
    ax_kills.set(title="(c) tumour cells killed per day", xlabel="day", ylabel="kills / day")
    ax_capita.set(title="(d) per-capita kill rate by phase", ylabel="kills per cell-day")
    ax_pdl1.set(title="(f) PD-L1 of viable cells and the blockade", xlabel="time (d)",
                ylabel="relative (0–1)")
    for ax in (ax_tumour, ax_immune, ax_kills, ax_capita, ax_pdl1):
        ax.legend(fontsize=6)
    _map(ax_map, fig, paths["untreated"])
    fig.suptitle("Immune infiltration of a hypoxic tumour; anti-PD-L1 on day 2")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


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
    for kind, marker, color in ((CD8, "o", "#D55E00"), (NK, "^", "#F0E442")):
        sel = immune["kind"].to_numpy() == kind
        ax.scatter(immune["x"][sel] / 1000, immune["y"][sel] / 1000, s=6, marker=marker,
                   color=color, label="CD8" if kind == CD8 else "NK", linewidths=0)
    ax.set(title="(e) PD-L1 and immune cells at the end (untreated)", xlabel="x (mm)",
           ylabel="y (mm)", facecolor="#EDEDED")
    ax.legend(fontsize=6, loc="upper right")
    add_scale_bar(ax, nice_length(extent[1]), color="black")
    fig.colorbar(shown, ax=ax, label="PD-L1 (relative)", shrink=0.8)


def report(stats: dict[str, dict]) -> None:
    for arm, s in stats.items():
        capita = ", ".join(f"{p} {s['per_capita_per_day'][p]:.3f}" for p in PHASES_SHOWN)
        print(f"{arm:>10}: kills CD8 {s['kills_cd8']}, NK {s['kills_nk']}; "
              f"{s['kills_per_cd8_day']:.2f} kills per CD8 per day, "
              f"{s['kills_per_nk_day']:.2f} per NK per day; hazard while engaged "
              f"{s['hazard_per_engaged_min']:.4f} min⁻¹; per-capita kills per day: {capita}")


def main() -> None:
    paths, out = run_from_command_line(__doc__.splitlines()[0], HERE / "immune_pdl1.toml", ARMS,
                                       Path("outputs/immune_pdl1.h5"))
    stats = {arm: kill_statistics(path, since_min=48 * 60.0) for arm, path in paths.items()}
    print(f"wrote {figure(paths, stats, out.with_suffix('.png'))}")
    print("kill statistics from day 2 (the dose) on:")
    report(stats)


if __name__ == "__main__":
    main()
