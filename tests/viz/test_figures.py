"""Figures from a small stored run (abm.viz.figures, `abm plot`): every kind renders to a
non-blank image of the expected size, headless; the profiles behind them add up to the
run's own counts; bad requests are refused before anything is written."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from abm import load_config, load_run, run_scenario
from abm.cli import main
from abm.viz.figures import (KINDS, available_kinds, clock_profile, drawable_kinds, plot,
                              radial_profiles)

from ..helpers import TINY

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


def _assert_rendered(path, min_colours=8):
    image = imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 400
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
    _assert_rendered(out)


def test_the_standard_set_renders_as_png_pdf_and_svg(run_file, tmp_path):
    png = plot(run_file, tmp_path / "all.png", frame=2, dpi=80)
    image = _assert_rendered(png, min_colours=50)
    assert image.shape[1] > image.shape[0]  # panels in a grid up to three wide
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
    _assert_rendered(out)
    for args, message in (
            (["-o", str(tmp_path / "x.tif")], "format '.tif' not supported; allowed: .png"),
            (["-o", str(tmp_path / "x.png"), "--kind", "radar"],
             "kind 'radar' unknown; allowed: tissue"),
            (["-o", str(tmp_path / "x.png"), "--frame", "99"], "frame 99 out of range")):
        assert main(["plot", str(run_file), *args]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.tif").exists() and not (tmp_path / "x.png").exists()
