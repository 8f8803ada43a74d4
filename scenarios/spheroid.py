"""A spheroid in stirred medium against the published spheroid numbers.

Runs ``spheroid.toml`` (an EMT6/Ro-like spheroid, 20 % O2 and 16.5 mM glucose, 20 days) for
replicate seeds 1 … N (``--replicates``, default 3; any engine of
:mod:`abm.study.replicates`), each to ``outputs/spheroid_seed<k>.h5``, and measures from the frames (every
12 h): the outer radius R (equivalent disc of all tumour cells, sqrt(N·dx²/π); the largest
distance from the centre of mass as a check), the necrotic-core radius Rn (the same for the
necrotic cells) and the viable rim R − Rn; the radius at necrosis onset (≥ 1 % necrotic,
interpolated between frames); the radial growth speed after onset (a linear fit of R(t)); the
rim over the last third of the run; and anoxia onset (the first frame whose least O2 over the
tumour cells is below 0.1 mmHg). Writes ``outputs/spheroid_comparison.png`` (``--docs``: also
``docs/spheroid.png``): R, Rn and rim vs time with the published bands; the phase map of seed
1 at the end; the O2 and the glucose profiles at the end; measured vs published in the same,
2D, geometry; and prints the numbers (mean ± sample SD over the seeds).

No existing file (run, summary, figure, docs copy) is replaced without ``--overwrite``;
``--replot`` re-measures existing run files without running anything.

    python scenarios/spheroid.py [--replicates 3] [--workers 2] [--days 20] [--overwrite]
                                 [--replot] [--docs]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from abm.io import load_run
from abm.study.arms import arm_configs
from abm.study.engines import open_engine
from abm.study.replicates import (add_engine_arguments, engine_options, plan_replicates,
                                  replicate_path, run_plan, script_errors, seeds_of)
from abm.study.script_outputs import (add_output_arguments, existing_runs, figure_paths,
                                      save_figure)
from abm.viz.journal import MIN_TEXT_PT, journal_style, legend_panel, width_inches
from abm.viz.spread import mean_sd
from abm.viz.style import add_scale_bar, nice_length

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIO = HERE / "spheroid.toml"
OUT = Path("outputs/spheroid.h5")  # runs: outputs/spheroid_seed<k>.h5; figure: _comparison.png
DOCS_FIGURE = ROOT / "docs" / "spheroid.png"

NECROTIC_ONSET_FRACTION = 0.01  # necrosis onset: ≥ 1 % of the tumour cells necrotic
ANOXIC_MMHG = 0.1  # anoxia onset: the least O2 over the tumour cells below this

# Published numbers. 3D radii go to a 2D disc by R_2D = R_3D·sqrt(4/6): with zero-order
# uptake q a sphere goes anoxic at sqrt(6·D·C0/q), a disc at sqrt(4·D·C0/q).
TO_2D = np.sqrt(4.0 / 6.0)
RIM_EMT6 = (125.0, 220.0)  # Freyer & Sutherland 1986 Cancer Res 46:3504; Jiang 2005 Biophys J
RIM_OTHER = (140.0, 310.0)  # Milotti & Chignola 2010 PLoS ONE 5:e13942
ONSET_3D = (250.0, 300.0)  # EMT6/Ro necrosis onset, 3D radius (Freyer & Sutherland 1986)
ONSET_2D = (ONSET_3D[0] * TO_2D, ONSET_3D[1] * TO_2D)
ANOXIC_3D = (232.0, 22.0)  # DLD1 anoxic radius ± SD, 3D (Grimes et al. 2014 J R Soc Interface)
ANOXIC_2D = (ANOXIC_3D[0] * TO_2D, ANOXIC_3D[1] * TO_2D)
GROWTH_UM_PER_DAY = 27.0  # EMT6/Ro in 20 % O2, 16.5 mM glucose (Freyer & Sutherland 1986)

# Okabe–Ito colours
C_R, C_RN, C_RIM = "#000000", "#D55E00", "#0072B2"
PHASE_COLOURS = {"proliferating": "#009E73", "quiescent": "#56B4E9", "dormant": "#E69F00",
                 "necrotic": "#4D4D4D"}


# ---------------------------------------------------------------------------- measuring
def disc_radius(n: float, dx: float) -> float:
    """Radius (µm) of the disc of ``n`` lattice sites of side ``dx`` µm: sqrt(n·dx²/π)."""
    return float(np.sqrt(n * dx * dx / np.pi))


def measure_frame(cells: pd.DataFrame, dx: float) -> dict:
    """One frame's numbers from its cells (columns ``kind``, ``phase``, ``x``, ``y``,
    ``oxygen``): cell counts, R, the largest distance from the centre of mass, Rn, the rim and
    the least O2 over the tumour cells."""
    tumour = cells[np.asarray(cells["kind"]) == "tumor"]
    n = len(tumour)
    necrotic = int((np.asarray(tumour["phase"]) == "necrotic").sum())
    x, y = tumour["x"].to_numpy(float), tumour["y"].to_numpy(float)
    r_max = float(np.hypot(x - x.mean(), y - y.mean()).max()) if n else 0.0
    radius, core = disc_radius(n, dx), disc_radius(necrotic, dx)
    return {"n_tumour": n, "n_necrotic": necrotic, "R": radius, "R_max": r_max, "Rn": core,
            "rim": radius - core,
            "o2_min": float(tumour["oxygen"].min()) if n else np.nan}


def measure_frames(frames, dx: float) -> pd.DataFrame:
    """``frames``: (time in min, cells DataFrame) pairs → one row per frame, indexed by day."""
    rows = [{"day": t / 1440.0, **measure_frame(cells, dx)} for t, cells in frames]
    return pd.DataFrame(rows).set_index("day")


def crossing(t: np.ndarray, y: np.ndarray, level: float) -> float:
    """The first time ``y`` reaches ``level`` (linear between the frames around it); NaN if
    never; ``t[0]`` if it starts there."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    above = np.flatnonzero(y >= level)
    if not len(above):
        return np.nan
    i = above[0]
    if i == 0:
        return float(t[0])
    return float(t[i - 1] + (level - y[i - 1]) * (t[i] - t[i - 1]) / (y[i] - y[i - 1]))


def linear_fit(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line through (t, y): slope, intercept and R²."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    slope, intercept = np.polyfit(t, y, 1)
    residual = y - (slope * t + intercept)
    total = ((y - y.mean()) ** 2).sum()
    return float(slope), float(intercept), float(1.0 - (residual ** 2).sum() / total) \
        if total > 0 else 1.0


def spheroid_numbers(m: pd.DataFrame) -> dict:
    """The comparison numbers from :func:`measure_frames`' table: necrosis onset (day, R),
    growth speed after onset (µm/day, R², frames fitted), the rim over the last third of the
    run (mean, SD over frames), anoxia onset (day and R at the first frame below
    :data:`ANOXIC_MMHG`)."""
    days = m.index.to_numpy(float)
    fraction = m["n_necrotic"].to_numpy(float) / np.maximum(m["n_tumour"].to_numpy(float), 1)
    onset_day = crossing(days, fraction, NECROTIC_ONSET_FRACTION)
    out = {"onset_day": onset_day,
           "onset_R": float(np.interp(onset_day, days, m["R"])) if np.isfinite(onset_day)
           else np.nan}
    after = days > onset_day if np.isfinite(onset_day) else np.zeros(len(days), bool)
    if after.sum() >= 2:
        out["speed"], out["speed_intercept"], out["speed_r2"] = linear_fit(days[after],
                                                                           m["R"][after])
    else:
        out["speed"] = out["speed_intercept"] = out["speed_r2"] = np.nan
    out["speed_frames"] = int(after.sum())
    last_third = days >= days[0] + (days[-1] - days[0]) * 2.0 / 3.0
    out["rim_mean"] = float(m["rim"][last_third].mean())
    out["rim_sd"] = float(m["rim"][last_third].std(ddof=1))  # sample SD, as everywhere
    anoxic = np.flatnonzero(m["o2_min"].to_numpy(float) < ANOXIC_MMHG)
    out["anoxia_day"] = float(days[anoxic[0]]) if len(anoxic) else np.nan
    out["anoxia_R"] = float(m["R"].iloc[anoxic[0]]) if len(anoxic) else np.nan
    out["anoxia_R_before"] = float(m["R"].iloc[anoxic[0] - 1]) if len(anoxic) and anoxic[0] \
        else np.nan
    out["R_end"], out["Rmax_end"] = float(m["R"].iloc[-1]), float(m["R_max"].iloc[-1])
    return out


def radial_profile(field: np.ndarray, x_um: np.ndarray, y_um: np.ndarray, centre, dx: float,
                   r_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``field`` ([y, x]) over rings of width ``dx`` around ``centre`` (µm) out to
    ``r_max``: ring mid-radii and means (NaN for an empty ring)."""
    r = np.hypot(x_um[None, :] - centre[0], y_um[:, None] - centre[1])
    edges = np.arange(0.0, r_max + dx, dx)
    which = np.digitize(r.ravel(), edges) - 1
    keep = (which >= 0) & (which < len(edges) - 1)
    sums = np.bincount(which[keep], weights=field.ravel()[keep], minlength=len(edges) - 1)
    counts = np.bincount(which[keep], minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 0.5 * (edges[1:] + edges[:-1]), sums / counts


# ---------------------------------------------------------------------------- reading runs
def measure_run(path: Path) -> pd.DataFrame:
    """The per-frame table of one run file."""
    with load_run(path) as run:
        dx = float(run.attrs["dx_um"])
        cells = run.cells()[["kind", "phase", "x", "y", "oxygen"]]
        times = run.frame_times
        frames = [(times[f], cells.xs(f, level="frame")) for f in range(run.n_frames)]
    return measure_frames(frames, dx)


def last_frame(path: Path) -> dict:
    """What panels (b) and (c) show: the phase map, the O2 and glucose fields, the centre of
    mass of the tumour cells, dx and the axes, all at the last frame."""
    with load_run(path) as run:
        dx = float(run.attrs["dx_um"])
        cells = run.cells(-1)
        o2, glucose = run.field("oxygen", -1), run.field("glucose", -1)
        x_um, y_um, day = run.x_um, run.y_um, run.frame_times[-1] / 1440.0
    cells = cells[np.asarray(cells["kind"]) == "tumor"]
    phase_map = np.full(o2.shape, np.nan)
    ix = np.floor(cells["x"].to_numpy() / dx).astype(int)
    iy = np.floor(cells["y"].to_numpy() / dx).astype(int)
    codes = {p: i for i, p in enumerate(PHASE_COLOURS)}
    phase_map[iy, ix] = [codes.get(p, np.nan) for p in np.asarray(cells["phase"])]
    return {"phase": phase_map, "oxygen": np.asarray(o2, float),
            "glucose": np.asarray(glucose, float), "x": x_um, "y": y_um, "dx": dx, "day": day,
            "centre": (float(cells["x"].mean()), float(cells["y"].mean())),
            "phases_present": sorted(set(np.asarray(cells["phase"])))}


# ---------------------------------------------------------------------------- figure
def _mean_sd(numbers: dict[int, dict], key: str) -> tuple[float, float]:
    """Mean and sample SD (NaN for one seed) of ``key`` over the seeds."""
    return tuple(float(v) for v in mean_sd([n[key] for n in numbers.values()]))


LAYOUT = """
ab
cd
kk
tt
"""
"""Panels: (a) radii, (b) the phase map, (c) O2 and (d) glucose profiles (a quantity per
axis), the shared key, (e) the table of measured vs published."""


def figure(tables: dict[int, pd.DataFrame], numbers: dict[int, dict], first: Path,
           figures: list[Path]) -> list[Path]:
    with journal_style():
        fig = Figure(figsize=(width_inches("double"), 8.4), layout="constrained")
        axes = fig.subplot_mosaic(LAYOUT, height_ratios=[1, 0.75, 0.42, 0.85])
        handles = _radii(axes["a"], tables, numbers)
        frame = last_frame(first)
        mean_r = np.mean([m["R"].iloc[-1] for m in tables.values()])
        seed1 = next(iter(tables))
        handles += _map(axes["b"], frame, tables[seed1], seed1)
        handles += _profiles(axes["c"], axes["d"], frame, tables[seed1], seed1)
        legend_panel(axes["k"], [h for h, _ in handles], [label for _, label in handles],
                     ncols=2, loc="center")
        _table(axes["t"], numbers)
        fig.suptitle(f"EMT6/Ro-like spheroid in stirred medium (20 % O2, 16.5 mM glucose), "
                     f"{len(tables)} seeds; 2D lattice, dx = {frame['dx']:g} µm,\n"
                     f"R at day {frame['day']:g} = {mean_r:.0f} µm (mean of the seeds)")
        return save_figure(fig, figures)


def _radii(ax, tables, numbers) -> list:
    """(a): the radii of each seed (thin) and their mean (thick) with the published bands;
    returns the key's (handle, label) pairs."""
    key = [(ax.axhspan(*RIM_OTHER, color=C_RIM, alpha=0.08, lw=0),
            "(a) rim, other lines 140–310 µm (Milotti & Chignola 2010)"),
           (ax.axhspan(*RIM_EMT6, color=C_RIM, alpha=0.18, lw=0),
            "(a) rim, EMT6/Ro 125–220 µm (Freyer & Sutherland 1986; Jiang 2005)")]
    for column, colour, name in (("R", C_R, "R (outer)"), ("Rn", C_RN, "Rn (necrotic core)"),
                                 ("rim", C_RIM, "viable rim R − Rn")):
        # the rim is drawn from the first necrotic cell on (before that it is R itself)
        shown = [m[column].where(m["n_necrotic"] > 0) if column == "rim" else m[column]
                 for m in tables.values()]
        for values in shown:
            ax.plot(values.index, values, color=colour, lw=0.5, alpha=0.6)
        mean = pd.concat(shown, axis=1).mean(axis=1)
        line, = ax.plot(mean.index, mean, color=colour, lw=1.6)
        key.append((line, f"(a) {name}: thin each seed, thick their mean"))
    onset_day, _ = _mean_sd(numbers, "onset_day")
    onset_r, _ = _mean_sd(numbers, "onset_R")
    days = next(iter(tables.values())).index.to_numpy()
    later = days[days >= onset_day]
    line, = ax.plot(later, onset_r + GROWTH_UM_PER_DAY * (later - onset_day), color="#CC79A7",
                    ls="--", lw=1.2)
    key.append((line, f"(a) {GROWTH_UM_PER_DAY:g} µm/day from the onset (EMT6/Ro)"))
    onset = ax.axvline(onset_day, color="0.5", ls=":", lw=1)
    key.append((onset, f"(a) necrosis onset (≥ 1 % necrotic), day {onset_day:.1f}"))
    ax.set(title="(a) radii vs time", xlabel="time (d)", ylabel="radius (µm)",
           xlim=(days[0], days[-1]), ylim=(0, None))
    return key


def _map(ax, frame, table, seed) -> list:
    """(b): the phase of each site at the end, the circles of R and Rn; returns the key's
    (handle, label) pairs."""
    phase = frame["phase"]
    dx = frame["dx"]
    extent = (0, phase.shape[1] * dx / 1000, 0, phase.shape[0] * dx / 1000)
    cmap = ListedColormap(list(PHASE_COLOURS.values()))
    cmap.set_bad("#F2F2F2")
    ax.imshow(np.ma.masked_invalid(phase), origin="lower", extent=extent, cmap=cmap, vmin=-0.5,
              vmax=len(PHASE_COLOURS) - 0.5, interpolation="nearest")
    cx, cy = (c / 1000 for c in frame["centre"])
    for column, style, colour in (("R", "-", "black"), ("Rn", "--", "white")):
        ax.add_patch(Circle((cx, cy), table[column].iloc[-1] / 1000, fill=False, color=colour,
                            ls=style, lw=1.0))
    ax.set(title=f"(b) phase per site at day {frame['day']:g} (seed {seed})", xlabel="x (mm)",
           ylabel="y (mm)")
    add_scale_bar(ax, nice_length(extent[1]), color="black")
    return ([(Patch(color=colour), f"(b) {name}") for name, colour in PHASE_COLOURS.items()]
            + [(Line2D([], [], color="black"), "(b) R: the equivalent disc"),
               (Line2D([], [], color="0.5", ls="--"), "(b) Rn (white, dashed)")])


def _profiles(ax_o2, ax_glc, frame, table, seed) -> list:
    """(c) O2 and (d) glucose against the distance from the centre of mass at the end, the
    viable rim shaded; returns the key's (handle, label) pairs."""
    dx = frame["dx"]
    reach = min(frame["centre"][0], frame["centre"][1], frame["x"][-1] - frame["centre"][0],
                frame["y"][-1] - frame["centre"][1])
    r, o2 = radial_profile(frame["oxygen"], frame["x"], frame["y"], frame["centre"], dx, reach)
    _, glc = radial_profile(frame["glucose"], frame["x"], frame["y"], frame["centre"], dx, reach)
    rn, radius = table["Rn"].iloc[-1], table["R"].iloc[-1]
    for ax, values, colour, letter, name, unit in (
            (ax_o2, o2, C_RIM, "c", "O2", "O2 (mmHg)"),
            (ax_glc, glc, C_RN, "d", "glucose", "glucose (× plasma; 1 = 5.5 mM)")):
        rim = ax.axvspan(rn, radius, color=C_RIM, alpha=0.15, lw=0)
        ax.plot(r, values, color=colour, lw=1.5)
        ax.set(title=f"({letter}) radial {name} profile, day {frame['day']:g} (seed {seed})",
               xlabel="distance from the centre of mass (µm)", ylabel=unit, xlim=(0, reach),
               ylim=(0, None))
    return [(rim, f"(c, d) viable rim, Rn to R ({radius - rn:.0f} µm)")]


def _verdict(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return "within" if low <= value <= high else ("above" if value > high else "below")


def _table(ax, numbers) -> None:
    onset, onset_sd = _mean_sd(numbers, "onset_R")
    anoxia, anoxia_sd = _mean_sd(numbers, "anoxia_R")
    rim, rim_sd = _mean_sd(numbers, "rim_mean")
    speed, speed_sd = _mean_sd(numbers, "speed")
    a_lo, a_hi = ANOXIC_2D[0] - ANOXIC_2D[1], ANOXIC_2D[0] + ANOXIC_2D[1]
    rows = [
        ["necrosis onset R (µm)", f"{onset:.0f} ± {onset_sd:.0f}",
         f"{ONSET_2D[0]:.0f}–{ONSET_2D[1]:.0f}\n(EMT6/Ro 3D {ONSET_3D[0]:.0f}–{ONSET_3D[1]:.0f})",
         "predicted", _verdict(onset, *ONSET_2D)],
        ["anoxia onset R (µm)", f"{anoxia:.0f} ± {anoxia_sd:.0f}",
         f"{ANOXIC_2D[0]:.0f} ± {ANOXIC_2D[1]:.0f}\n(DLD1 3D {ANOXIC_3D[0]:.0f} ± {ANOXIC_3D[1]:.0f})",
         "predicted", _verdict(anoxia, a_lo, a_hi)],
        ["viable rim, last third (µm)", f"{rim:.0f} ± {rim_sd:.0f}",
         f"{RIM_EMT6[0]:.0f}–{RIM_EMT6[1]:.0f} EMT6/Ro\n{RIM_OTHER[0]:.0f}–{RIM_OTHER[1]:.0f} other lines",
         "predicted", f"{_verdict(rim, *RIM_EMT6)} / {_verdict(rim, *RIM_OTHER)}"],
        ["growth after onset (µm/day)", f"{speed:.1f} ± {speed_sd:.1f}",
         f"{GROWTH_UM_PER_DAY:g} (EMT6/Ro)", "fitted",
         f"{(speed / GROWTH_UM_PER_DAY - 1) * 100:+.0f} %"],
    ]
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=["quantity (2D disc)", f"measured, mean ± SD\n"
                                               f"({len(numbers)} seeds)", "published, as 2D",
                                               "fitted or\npredicted", "vs published"],
                     bbox=[0.0, 0.42, 1.0, 0.58], cellLoc="center",
                     colWidths=[0.28, 0.16, 0.26, 0.13, 0.17])  # the note goes below it
    table.auto_set_font_size(False)
    table.set_fontsize(MIN_TEXT_PT)
    ax.set_title("(e) measured vs published, in the same (2D) geometry")
    ax.text(0.0, 0.0, "3D radii → 2D disc: R_2D = R_3D·√(4/6) (zero-order uptake: a sphere goes "
            "anoxic at √(6DC0/q),\na disc at √(4DC0/q)); a rim tends to the slab depth "
            "√(2DC0/q) in both, so it is compared as is.\n"
            "Fitted: the growth speed (cells.division_radius was set for it). Predicted: onset "
            "and rim,\nfrom the DLD1 consumption rate and the other sourced defaults.\n"
            "Necrosis onset: R at ≥ 1 % necrotic (interpolated); anoxia onset: R at the first "
            "frame\nwith min O2 < 0.1 mmHg (frames every 12 h). Sources: Freyer & Sutherland "
            "1986 Cancer Res\n46:3504; Jiang et al. 2005 Biophys J 89:3884; Milotti & Chignola "
            "2010 PLoS ONE 5:e13942;\nGrimes et al. 2014 J R Soc Interface 11:20131124.",
            transform=ax.transAxes, fontsize=MIN_TEXT_PT, va="bottom", ha="left")


# ---------------------------------------------------------------------------- command line
def report(numbers: dict[int, dict]) -> None:
    for seed, n in numbers.items():
        print(f"seed {seed}: necrosis onset day {n['onset_day']:.2f} at R {n['onset_R']:.0f} µm; "
              f"growth after onset {n['speed']:.1f} µm/day (R² {n['speed_r2']:.4f}, "
              f"{n['speed_frames']} frames); rim over the last third {n['rim_mean']:.0f} ± "
              f"{n['rim_sd']:.1f} µm; anoxia onset day {n['anoxia_day']:.1f} at R "
              f"{n['anoxia_R']:.0f} µm (frame before: {n['anoxia_R_before']:.0f} µm); R at the "
              f"end {n['R_end']:.0f} µm (largest distance from the centre {n['Rmax_end']:.0f})")
    print(f"mean ± SD over {len(numbers)} seeds (published, as a 2D disc):")
    for key, name, unit, published in (
            ("onset_R", "necrosis onset R", "µm", f"{ONSET_2D[0]:.0f}–{ONSET_2D[1]:.0f}"),
            ("onset_day", "necrosis onset day", "d", ""),
            ("speed", "growth after onset", "µm/day", f"{GROWTH_UM_PER_DAY:g}, fitted"),
            ("speed_r2", "growth fit R²", "", ""),
            ("rim_mean", "viable rim, last third", "µm",
             f"{RIM_EMT6[0]:.0f}–{RIM_EMT6[1]:.0f} EMT6/Ro, {RIM_OTHER[0]:.0f}–{RIM_OTHER[1]:.0f} other"),
            ("rim_sd", "rim spread in the last third (SD over frames)", "µm", ""),
            ("anoxia_R", "anoxia onset R", "µm", f"{ANOXIC_2D[0]:.0f} ± {ANOXIC_2D[1]:.0f}"),
            ("anoxia_day", "anoxia onset day", "d", ""),
            ("R_end", "R at the end", "µm", ""),
            ("Rmax_end", "largest distance from the centre at the end", "µm", "")):
        mean, sd = _mean_sd(numbers, key)
        digits = 4 if key == "speed_r2" else (2 if key in ("onset_day", "anoxia_day") else 1)
        print(f"  {name}: {mean:.{digits}f} ± {sd:.{digits}f} {unit}"
              + (f"  (published {published})" if published else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, help="override run.days (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="base path: runs go to <stem>_seed<k>.h5, the figure to "
                             "<stem>_comparison.png")
    add_engine_arguments(parser, default_replicates=3)
    add_output_arguments(parser, docs=DOCS_FIGURE)
    args = parser.parse_args(argv)
    with script_errors(parser):  # an existing output, a bad --days: no traceback
        seeds = seeds_of(args)
        figures = figure_paths(args.out, args)
        if args.replot:
            paths = existing_runs({"": {k: replicate_path(args.out, "", k) for k in seeds}})[""]
        else:
            options = engine_options(args)
            configs = arm_configs(SCENARIO, {"": None}, days=args.days)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            plan = plan_replicates(configs, seeds, args.out, overwrite=args.overwrite,
                                   reuse=args.reuse)
            with open_engine(*options) as executor:
                paths = run_plan(plan, executor, text=SCENARIO.read_text())[""]
    tables = {k: measure_run(p) for k, p in paths.items()}
    numbers = {k: spheroid_numbers(m) for k, m in tables.items()}
    for written in figure(tables, numbers, paths[seeds[0]], figures):
        print(f"wrote {written}")
    report(numbers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
