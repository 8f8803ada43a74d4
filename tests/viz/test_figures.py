"""Figures from a small stored run (abm.viz.figures, `abm plot`): every kind renders to a
non-blank image of the expected size, headless; the profiles behind them add up to the
run's own counts; bad requests are refused before anything is written."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from abm import load_config, load_run, run_scenario
from abm.cli import main
from abm.viz.figures import (KINDS, available_kinds, clock_profile, draw_immune,
                              drawable_kinds, plot, radial_profiles)
from abm.viz.raster import AgentPositions

from ..helpers import TINY, agents_at

EVERYTHING = ["run.days=1.0", "sasp.field=true", "chemokine.field=true",
              "immune.enabled=true", "immune.initial_cd8_per_mm2=100.0",
              "immune.initial_nk_per_mm2=50.0", "shedding.enabled=true",
              "shedding.rate_per_h=5.0", "output.frame_every_min=180.0"]
"""The tiny 48×40-site tissue for one day, with every kind's data: SASP field, immune cells
and shedding (2,500× the default rate, so that CTCs are shed every hour)."""


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "run.h5"
    return run_scenario(load_config(None, overrides=TINY + EVERYTHING, seed=4), path,
                        progress=False)


DOUBLE_COLUMN_IN = 183 / 25.4
"""Nature's two-column figure width, 183 mm, in inches: the default width of `abm plot`."""


def _assert_rendered(path, dpi, min_colours=8):
    image = imread(path)
    assert abs(image.shape[1] - DOUBLE_COLUMN_IN * dpi) <= 1 and image.shape[0] > 2 * dpi
    colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) >= min_colours  # not blank: maps, lines and text drawn
    return image


def test_the_run_has_data_for_every_kind(run_file):
    with load_run(run_file) as run:
        assert drawable_kinds(run) == list(KINDS)
        # the SASP field stays zero until a cell senesces: left out of the standard set
        assert available_kinds(run) == ["tissue", "populations", "radial", "immune", "ctc"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_renders(run_file, tmp_path, kind):
    out = plot(run_file, tmp_path / f"{kind}.png", kinds=[kind], dpi=100)
    _assert_rendered(out, 100)


def test_the_standard_set_renders_as_png_pdf_and_svg(run_file, tmp_path):
    png = plot(run_file, tmp_path / "all.png", frame=2, dpi=80)
    image = _assert_rendered(png, 80, min_colours=50)
    assert image.shape[0] < 2 * image.shape[1]  # five panels in two rows of up to three
    pdf = plot(run_file, tmp_path / "two.pdf", kinds=["tissue", "populations"])
    assert pdf.read_bytes()[:5] == b"%PDF-"
    svg = plot(run_file, tmp_path / "two.svg", kinds=["tissue", "populations"])
    assert b"<svg" in svg.read_bytes()[:2000]


def test_radial_profiles_account_for_every_cell_and_the_oxygen_field(run_file):
    """Share of sites × sites per annulus summed over the annuli = the tumour cells at the
    frame (all lie within the profile's range); the O2 profile's site-weighted mean = the
    mean of the field over those annuli; near the vessel-free centre O2 is lower than at
    the edge of a growing tumour."""
    with load_run(run_file) as run:
        prof = radial_profiles(run, -1, bin_um=run.x_um[1] - run.x_um[0])
        cells = run.cells(-1)
        oxygen = np.asarray(run.field("oxygen", -1), dtype=np.float64)
        x_um, y_um = run.x_um, run.y_um
    cx, cy = cells["x"].mean(), cells["y"].mean()
    r_sites = np.hypot(x_um[None, :] - cx, y_um[:, None] - cy)
    edges = np.append(prof["r_um"] - (prof["r_um"][1] - prof["r_um"][0]) / 2,
                      prof["r_um"][-1] + (prof["r_um"][1] - prof["r_um"][0]) / 2)
    sites = np.histogram(r_sites, edges)[0]
    counted = sum((prof[name] * sites).sum() for name in
                  ("proliferating", "quiescent", "dormant", "senescent", "apoptotic", "necrotic"))
    assert round(counted) == len(cells)
    inside = r_sites < edges[-1]
    assert np.isclose((prof["oxygen"] * sites).sum() / sites.sum(), oxygen[inside].mean())


def test_the_clock_profile_adds_up_to_the_cells_shed(run_file):
    """Cells shed per hour, averaged by clock hour, × 24 h = the cells shed per day."""
    with load_run(run_file) as run:
        prof = clock_profile(run)
        series = run.timeseries
    per_day = series["ctc_shed_cells"].sum() / (series.index[-1] / 1440.0)
    assert series["ctc_shed_cells"].sum() > 20
    assert np.isclose(np.nansum(prof["shed_per_h"]), per_day, rtol=0.1)


def test_abm_plot_command_and_its_errors(run_file, tmp_path, capsys):
    out = tmp_path / "cli.png"
    assert main(["plot", str(run_file), "-o", str(out), "--kind", "radial", "--kind",
                 "ctc", "--frame", "3"]) == 0
    _assert_rendered(out, 300)
    single = tmp_path / "single.png"
    assert main(["plot", str(run_file), "-o", str(single), "--kind", "tissue", "--width",
                 "single", "--dpi", "100"]) == 0
    assert abs(imread(single).shape[1] - 89 / 25.4 * 100) <= 1  # Nature's one column
    for args, message in (
            (["-o", str(tmp_path / "x.tif")], "format '.tif' not supported; allowed: .png"),
            (["-o", str(tmp_path / "x.png"), "--kind", "radar"],
             "kind 'radar' unknown; allowed: tissue"),
            (["-o", str(tmp_path / "x.png"), "--frame", "99"], "frame 99 out of range")):
        assert main(["plot", str(run_file), *args]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.tif").exists() and not (tmp_path / "x.png").exists()


# ------------------------------------------------------------------ neutrophils, platelets
def _drawn(ax):
    """Legend label → positions (sorted rows of [x, y]) of the markers drawn on ``ax``."""
    out = {}
    for line in ax.get_lines():
        xy = np.column_stack(line.get_data()).astype(float)
        out[line.get_label()] = xy[np.lexsort(xy.T[::-1])] if len(xy) else xy.reshape(0, 2)
    return out


MAP_KEYS = ["tumour cell", "empty site"]
"""The immune map's legend entries after the agents: what lies under them."""


def test_a_run_with_neutrophils_and_platelets_offers_the_immune_figure(myeloid_run):
    with load_run(myeloid_run) as run:
        assert "immune_cells" not in run.event_tables
        assert "immune" in drawable_kinds(run) and "immune" in available_kinds(run)


def test_the_immune_figure_draws_neutrophils_nets_and_platelets(myeloid_run):
    """At the last frame (a day into an inflammation pulse) there are walking neutrophils,
    NETs and aggregates: each is drawn where the tables put it, counted in the legend."""
    fig = Figure()
    ax = fig.add_subplot()
    with load_run(myeloid_run) as run:
        draw_immune(ax, run, -1)
        expected = agents_at(run, float(run.frame_times[-1]))
    assert all(len(xy) > 0 for xy in expected.values())
    drawn = _drawn(ax)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [f"{name} ({len(xy):,})" for name, xy in expected.items()] + MAP_KEYS
    for name, xy in expected.items():
        assert np.allclose(drawn[f"{name} ({len(xy):,})"], xy)
    assert {line.get_marker() for line in ax.get_lines()} == {"^", "x", "s"}
    assert ax.get_title().startswith("immune infiltration, day 1.0")


def test_the_immune_figure_of_a_frame_without_agents_draws_none(myeloid_run):
    """The first frame (time 0) comes before any neutrophil entered: the tables have no row
    for it, so none is drawn (not the agents of the nearest frame that has rows)."""
    fig = Figure()
    ax = fig.add_subplot()
    with load_run(myeloid_run) as run:
        assert float(run.frame_times[0]) == 0.0
        assert (run.events("neutrophils")["time_min"] > 0).all()
        draw_immune(ax, run, 0)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["neutrophil (0)", "NET (0)", "platelet aggregate (0)"] + MAP_KEYS


def test_agent_positions_slice_the_rows_of_a_frame():
    """Rows at 0, 60 and 180 min (none at 120): each time gives its own rows in mm, in the
    order they were stored; a time without rows gives none."""
    times = np.array([60.0, 0.0, 180.0, 60.0, 180.0, 180.0])
    x_um = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    positions = AgentPositions(times, x_um, 2 * x_um)
    assert np.allclose(positions.at(0.0), [[0.02, 0.04]])
    assert np.allclose(positions.at(60.0), [[0.01, 0.02], [0.04, 0.08]])
    assert np.allclose(positions.at(180.0), [[0.03, 0.06], [0.05, 0.10], [0.06, 0.12]])
    assert positions.at(120.0).shape == (0, 2) and positions.at(240.0).shape == (0, 2)
