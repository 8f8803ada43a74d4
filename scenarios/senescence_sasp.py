"""Therapy-induced senescence and its paracrine spread, with and without a senolytic.

Four arms of ``senescence_sasp.toml`` (one chemotherapy dose on day 3 in all but the first):

- ``untreated``: no therapy (the control of the chemotherapy);
- ``chemo``: chemotherapy alone;
- ``senolytic``: plus a senolytic (navitoclax-like) daily at 09:00 on days 7–11;
- ``senomorphic``: plus a senomorphic (ruxolitinib-like) twice daily on days 7–11.

Writes ``outputs/senescence_sasp_<arm>.h5`` (each a normal run file with its summary figure)
and ``outputs/senescence_sasp.png``: senescent cells by route, the inflammatory SASP, PD-L1
and stemness of viable cells, viable cells by phase, and the SASP maps at the end. Prints the
numbers the figure shows.

    python scenarios/senescence_sasp.py [--days 14] [--seed 1] [--out outputs/senescence_sasp.h5]
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from abm.viz.style import add_scale_bar, nice_length
from abm.io.outputs import write_atomically
from abm.study.arms import last_field, run_from_command_line, series

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
ROUTES = {"therapy": "-", "paracrine": "--", "geroconversion": ":", "metabolic": "-."}


def figure(paths: dict[str, Path], out: Path) -> Path:
    fig = Figure(figsize=(13, 8), layout="constrained")
    grid = fig.subplots(2, 3)
    (ax_sen, ax_sasp, ax_state), (ax_pop, ax_map_a, ax_map_b) = grid
    for arm, path in paths.items():
        ts = series(path)
        days = ts.index.to_numpy() / 1440.0
        color = COLORS[arm]
        for route, style in ROUTES.items():
            counts = ts[f"n_senescent_{route}"]
            if counts.max() > 0:
                ax_sen.plot(days, counts, color=color, ls=style, label=f"{arm}: {route}")
        ax_sasp.plot(days, ts["sasp_mean_viable"], color=color, label=arm)
        ax_state.plot(days, ts["pdl1_mean_viable"], color=color, label=f"{arm}: PD-L1")
        ax_state.plot(days, ts["stemness_mean_viable"], color=color, ls="--",
                      label=f"{arm}: stemness")
        ax_pop.plot(days, ts["n_dormant"] / ts["n_viable"], color=color, label=arm)
    ax_sen.set(title="(a) senescent cells by route", xlabel="time (d)", ylabel="cells")
    ax_sasp.set(title="(b) inflammatory SASP at viable cells", xlabel="time (d)",
                ylabel="mean SASP (network units)")
    ax_state.set(title="(c) PD-L1 and stemness of viable cells", xlabel="time (d)",
                 ylabel="mean (relative, 0–1)")
    ax_pop.set(title="(d) dormant share of viable cells", xlabel="time (d)",
               ylabel="dormant / viable")
    for ax in (ax_sen, ax_sasp, ax_state, ax_pop):
        ax.axvspan(3.0, 3.1, color="#CC79A7", alpha=0.6, lw=0)
        ax.axvspan(COURSE_DAYS["first_day"], COURSE_DAYS["first_day"] + COURSE_DAYS["n_days"],
                   color="0.9", lw=0, zorder=0)
        ax.legend(fontsize=6)
    vmax = max(last_field(paths[a], "sasp")[0].max() for a in ("chemo", "senolytic"))
    for ax, arm, letter in ((ax_map_a, "chemo", "e"), (ax_map_b, "senolytic", "f")):
        sasp, dx = last_field(paths[arm], "sasp")
        extent = (0, sasp.shape[1] * dx / 1000, 0, sasp.shape[0] * dx / 1000)
        image = ax.imshow(sasp, origin="lower", extent=extent, cmap="magma", vmin=0, vmax=vmax)
        ax.set(title=f"({letter}) SASP at the end: {arm}", xlabel="x (mm)", ylabel="y (mm)")
        add_scale_bar(ax, nice_length(extent[1]))
        fig.colorbar(image, ax=ax, label="SASP (network units)", shrink=0.8)
    fig.suptitle("Therapy-induced senescence: chemotherapy on day 3 (pink), "
                 "a 5-day senolytic or senomorphic course (grey)")
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=150))
    return out


def summary(paths: dict[str, Path]) -> None:
    for arm, path in paths.items():
        ts = series(path)
        end = ts.iloc[-1]
        day9 = ts.iloc[ts.index.get_indexer([9 * 1440.0], method="nearest")[0]]
        routes = ", ".join(f"{r} {int(end[f'n_senescent_{r}'])}" for r in ROUTES)
        print(f"{arm:>11}: day 9 dormant share {day9['n_dormant'] / day9['n_viable']:.2f}; end: "
              f"viable {int(end['n_viable'])}, dormant {int(end['n_dormant'])}, "
              f"senescent {int(end['n_senescent'])} ({routes}); SASP at viable cells "
              f"{end['sasp_mean_viable']:.2f}, PD-L1 {end['pdl1_mean_viable']:.2f}, "
              f"stemness {end['stemness_mean_viable']:.2f}")


def main() -> None:
    paths, out = run_from_command_line(__doc__.splitlines()[0], HERE / "senescence_sasp.toml",
                                       ARMS, Path("outputs/senescence_sasp.h5"))
    print(f"wrote {figure(paths, out.with_suffix('.png'))}")
    summary(paths)


if __name__ == "__main__":
    main()
