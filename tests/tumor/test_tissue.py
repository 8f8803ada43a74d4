"""Vessel patterns, masks and tumour seeding."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from abm.schema import load_config
from abm.errors import ConfigError
from abm.tumor.tissue import load_mask, place_vessels, tumor_sites


def test_random_vessels_keep_min_spacing_and_reach_density():
    config = load_config(None, overrides=["grid.nx=300", "grid.ny=300"])
    mask = place_vessels(config, np.random.default_rng(3))
    ys, xs = np.nonzero(mask)
    dx = config.grid.dx_um
    distances = pdist(np.column_stack([xs, ys]) * dx)
    assert distances.min() >= config.vessels.min_spacing_um
    area_mm2 = (300 * dx / 1000) ** 2
    assert abs(len(xs) - config.vessels.density_per_mm2 * area_mm2) <= 1
    other = place_vessels(config, np.random.default_rng(4))
    assert not np.array_equal(mask, other)


def test_array_vessels_have_the_requested_spacing():
    config = load_config(None, overrides=["vessels.pattern=array", "vessels.array_spacing_um=168.0"])
    ys, xs = np.nonzero(place_vessels(config, np.random.default_rng(0)))
    assert set(np.diff(np.unique(xs))) == {10} and set(np.diff(np.unique(ys))) == {10}
    assert xs.min() == 5 and ys.min() == 5


def test_mask_files_npy_and_png_orientation(tmp_path):
    import matplotlib.image

    mask = np.zeros((20, 30), dtype=bool)
    mask[2, 25] = True  # near the bottom (small y) and right
    np.save(tmp_path / "m.npy", mask.astype(np.uint8))
    assert np.array_equal(load_mask(str(tmp_path / "m.npy"), (20, 30), "k"), mask)
    # A PNG's first row is the image top: the same mask drawn as an image is flipped.
    matplotlib.image.imsave(tmp_path / "m.png", np.flipud(mask).astype(float), cmap="gray")
    assert np.array_equal(load_mask(str(tmp_path / "m.png"), (20, 30), "k"), mask)
    with pytest.raises(ConfigError, match=r"vessels.mask_file = .*shape \(20, 30\).*\(ny, nx\) = \(10, 30\)"):
        load_mask(str(tmp_path / "m.npy"), (10, 30), "vessels.mask_file")


def test_tumour_disc_avoids_vessels_and_has_the_right_area():
    config = load_config(None, overrides=["vessels.pattern=array", "vessels.array_spacing_um=100.0"])
    vessels = place_vessels(config, np.random.default_rng(0))
    xs, ys = tumor_sites(config, vessels)
    assert not vessels[ys, xs].any()
    disc_sites = np.pi * (config.tumor.radius_um / config.grid.dx_um) ** 2
    inside_vessels = vessels[ys.min():ys.max() + 1, xs.min():xs.max() + 1].sum()
    assert abs(len(xs) + inside_vessels - disc_sites) / disc_sites < 0.05
