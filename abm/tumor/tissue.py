"""The tissue lattice: vessel sites and the initial tumour.

Arrays are indexed ``[y, x]`` (row = y), the same as the fields and the HDF5 frames; site
``(x, y)`` has its centre at ``((x + 0.5)·dx, (y + 0.5)·dx)`` µm.

Vessel patterns (``[vessels] pattern``):

- ``random``: dart throwing (random sequential adsorption): candidate sites are drawn
  uniformly from the model rng and accepted when no accepted vessel lies within
  ``min_spacing_um``, until ``density_per_mm2`` is reached (or candidates run out);
- ``array``: a square array with ``array_spacing_um``, the first vessel half a spacing from
  the corner;
- ``mask``: nonzero (``.npy``) or bright (``.png``, > 50 % of the maximum) pixels of
  ``mask_file``, which must have shape ``(ny, nx)``;
- ``none``: no vessel (the oxygen field then only decays).

``vessels.poorly_perfused_fraction`` of the vessels (:func:`poorly_perfused`) supply only
``vessels.poor_perfusion`` × the O2 and glucose of a perfused one.
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.schema import Config
from abm.config.masks import load_mask
from abm.errors import ConfigError


def place_vessels(config: Config, rng: np.random.Generator) -> np.ndarray:
    """Boolean ``[ny, nx]`` vessel mask for the configured pattern."""
    g, v = config.grid, config.vessels
    shape = (g.ny, g.nx)
    if v.pattern == "none":
        return np.zeros(shape, dtype=np.bool_)
    if v.pattern == "mask":
        return load_mask(v.mask_file, shape, "vessels.mask_file")
    if v.pattern == "array":
        step = v.array_spacing_um / g.dx_um
        mask = np.zeros(shape, dtype=np.bool_)
        ys = np.floor(np.arange(step / 2, g.ny, step)).astype(int)
        xs = np.floor(np.arange(step / 2, g.nx, step)).astype(int)
        mask[np.ix_(ys, xs)] = True
        return mask & ~_avascular_zone(config)
    # The target density counts the whole domain, so the avascular zone lowers the total.
    area_mm2 = g.nx * g.ny * (g.dx_um * 1e-3) ** 2
    target = int(round(v.density_per_mm2 * area_mm2))
    candidates = rng.integers(0, g.nx * g.ny, size=max(50 * target, 1000))
    candidates = candidates[~_avascular_zone(config).ravel()[candidates]]
    spacing_sites = v.min_spacing_um / g.dx_um
    return _dart_throw(g.ny, g.nx, candidates, target, spacing_sites)


def poorly_perfused(config: Config, vessels: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Boolean ``[ny, nx]``: the poorly perfused vessel sites, each vessel independently with
    probability ``vessels.poorly_perfused_fraction`` (no draw from ``rng`` when it is 0, so
    runs without them keep their random stream)."""
    fraction = config.vessels.poorly_perfused_fraction
    poor = np.zeros_like(vessels)
    if fraction > 0.0:
        ys, xs = np.nonzero(vessels)
        chosen = rng.random(len(xs)) < fraction
        poor[ys[chosen], xs[chosen]] = True
    return poor


def _distance_from_tumour_centre(config: Config) -> np.ndarray:
    """Distance (µm) of every site centre from the tumour centre, ``[ny, nx]``."""
    g, t = config.grid, config.tumor
    yy, xx = np.mgrid[0:g.ny, 0:g.nx]
    cx, cy = t.center_x_frac * g.nx * g.dx_um, t.center_y_frac * g.ny * g.dx_um
    return np.hypot((xx + 0.5) * g.dx_um - cx, (yy + 0.5) * g.dx_um - cy)


def _avascular_zone(config: Config) -> np.ndarray:
    return _distance_from_tumour_centre(config) < config.vessels.avascular_radius_um


@jit
def _dart_throw(ny, nx, candidates, target, spacing):
    """Accept candidate sites (flat indices) that keep ``spacing`` sites from all accepted ones.

    A bucket grid of bucket size ≥ spacing makes each test O(1).
    """
    mask = np.zeros((ny, nx), dtype=np.bool_)
    bucket = max(spacing, 1.0)
    bx, by = int(np.ceil(nx / bucket)), int(np.ceil(ny / bucket))
    head = -np.ones((by, bx), dtype=np.int64)
    nxt = -np.ones(max(target, 1), dtype=np.int64)
    px = np.zeros(max(target, 1))
    py = np.zeros(max(target, 1))
    n = 0
    s2 = spacing * spacing
    for c in candidates:
        if n >= target:
            break
        y, x = c // nx, c % nx
        if mask[y, x]:
            continue
        cx, cy = int(x / bucket), int(y / bucket)
        ok = True
        for j in range(max(cy - 1, 0), min(cy + 2, by)):
            for i in range(max(cx - 1, 0), min(cx + 2, bx)):
                k = head[j, i]
                while k >= 0 and ok:
                    if (px[k] - x) ** 2 + (py[k] - y) ** 2 < s2:
                        ok = False
                    k = nxt[k]
        if ok:
            mask[y, x] = True
            px[n], py[n] = x, y
            nxt[n] = head[cy, cx]
            head[cy, cx] = n
            n += 1
    return mask


def tumor_sites(config: Config, vessels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sites ``(xs, ys)`` of the initial tumour cells (vessel sites excluded), in raster order."""
    g, t = config.grid, config.tumor
    if t.seed_pattern == "none":
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    if t.seed_pattern == "mask":
        mask = load_mask(t.mask_file, (g.ny, g.nx), "tumor.mask_file")
    else:
        mask = _distance_from_tumour_centre(config) <= t.radius_um
    mask &= ~vessels
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        raise ConfigError("the initial tumour has no free site: enlarge tumor.radius_um or check "
                          "tumor.mask_file / vessel placement")
    return xs.astype(np.int32), ys.astype(np.int32)
