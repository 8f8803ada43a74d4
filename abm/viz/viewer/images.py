"""Lattice maps as RGB images for the browser viewer: the cell phases (the figures' and
movies' colours, :func:`abm.viz.raster.phase_image`) or one field through its declared colour
map, painted with a 256-entry lookup table (no matplotlib figure per frame), shrunk to the
display size and encoded as PNG."""
from __future__ import annotations

import base64
import io
from collections.abc import Collection

import matplotlib
from matplotlib.colors import to_rgb
import numpy as np
import pandas as pd
from PIL import Image

from abm.tumor.cells import PHASES
from abm.viz.raster import phase_image
from abm.viz.style import EMPTY_COLOR, VESSEL_COLOR, declared_field

LUT_SIZE = 256
"""Entries of a field's colour lookup table: the 8 bits per channel of the PNG."""

MAX_SIDE_PX = 800
"""Longest side of a map sent to the browser, pixels (design choice: about a map's width on a
laptop screen; a 1000² lattice is shrunk to 500² pixels of 2 × 2 sites, a 60² one sent
as is and scaled up by the browser with sharp pixels)."""


def phase_rgb(cells: pd.DataFrame, x_um: np.ndarray, y_um: np.ndarray,
              vessels: np.ndarray | None, shown: Collection[str] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The phase map ``[ny, nx, 3]`` uint8 (row 0 = lowest y) of ``cells`` (a frame's
    DataFrame, ``run.cells(frame)``), only the phases in ``shown`` (None: all) painted on the
    tissue; colours of :func:`abm.viz.raster.phase_image`. Also each site's priority
    ``[ny, nx]`` uint8 when shrunk (:func:`block_pick`): 2 a painted cell, 1 a vessel, 0
    tissue."""
    if shown is not None and len(cells) and set(shown) != set(PHASES):
        cells = cells[cells["phase"].astype(str).isin(list(shown)).to_numpy()]
    rgb = np.rint(phase_image(cells, x_um, y_um, vessels) * 255).astype(np.uint8)
    priority = np.zeros(rgb.shape[:2], np.uint8)
    if vessels is not None:
        priority[vessels] = 1
    # a painted cell is a site neither tissue- nor vessel-coloured (the palette's phase
    # colours differ from both), which is what phase_image drew, hidden phases excluded;
    # compared as one 24-bit number per site (a third of the work of comparing channels)
    packed = _packed(rgb)
    painted = (packed != _packed(_rgb8(EMPTY_COLOR))) & (packed != _packed(_rgb8(VESSEL_COLOR)))
    priority[painted] = 2
    return rgb, priority


def _rgb8(colour: str) -> np.ndarray:
    return np.rint(np.asarray(to_rgb(colour)) * 255).astype(np.uint8)


def _packed(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` ``[..., 3]`` uint8 as one uint32 ``0xRRGGBB`` per pixel."""
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def field_lut(name: str) -> np.ndarray:
    """The colour map of field ``name`` (its :class:`abm.fields.specs.PlotStyle`) as a
    ``[LUT_SIZE, 3]`` uint8 table."""
    cmap = matplotlib.colormaps[declared_field(name).style.cmap]
    return np.rint(cmap(np.linspace(0.0, 1.0, LUT_SIZE))[:, :3] * 255).astype(np.uint8)


def field_rgb(values: np.ndarray, lut: np.ndarray, vmax: float) -> np.ndarray:
    """Field ``values`` ``[ny, nx]`` coloured on ``[0, vmax]`` by ``lut`` (values outside
    clipped, NaN as 0): ``[ny, nx, 3]`` uint8."""
    scale = (len(lut) - 1) / vmax if vmax > 0 else 0.0
    index = np.nan_to_num(values * np.float32(scale), nan=0.0)
    index = np.clip(index, 0, len(lut) - 1, out=index).astype(np.intp)
    return lut[index]


def display_stride(shape: tuple[int, int], max_side: int = MAX_SIDE_PX) -> int:
    """Every how many sites one pixel is taken so that the longest side of ``shape``
    (ny, nx) fits ``max_side``."""
    return max(1, -(-max(shape) // max_side))


def png_bytes(rgb: np.ndarray, max_side: int = MAX_SIDE_PX,
              priority: np.ndarray | None = None) -> bytes:
    """PNG of the map ``rgb`` ``[ny, nx, 3]`` uint8 (row 0 = lowest y), upside down so that y
    grows upwards on screen; a lattice longer than ``max_side`` is shrunk to blocks of
    :func:`display_stride` sites: each pixel the block's mean (a field), or with
    ``priority`` ``[ny, nx]`` (the phase map) its site of highest priority, so that a lone
    cell keeps its colour at any stride."""
    step = display_stride(rgb.shape[:2], max_side)
    if step > 1:
        rgb = block_mean(rgb, step) if priority is None else block_pick(rgb, priority, step)
    buffer = io.BytesIO()
    # compress_level 1: a 500² map encodes ~4x faster than at the default 6 and the bytes
    # stay on this machine (localhost), where size hardly matters.
    Image.fromarray(np.ascontiguousarray(rgb[::-1]), "RGB").save(buffer, format="PNG",
                                                                 compress_level=1)
    return buffer.getvalue()


def _padded(values: np.ndarray, step: int) -> np.ndarray:
    """``values`` ``[ny, nx, ...]`` padded by repeating the last row and column to whole
    blocks of ``step × step``."""
    ny, nx = values.shape[:2]
    pad = ((0, -ny % step), (0, -nx % step)) + ((0, 0),) * (values.ndim - 2)
    return np.pad(values, pad, mode="edge") if any(p[1] for p in pad) else values


def block_mean(rgb: np.ndarray, step: int) -> np.ndarray:
    """``rgb`` ``[ny, nx, 3]`` uint8 shrunk ``step`` times: each pixel the mean of a block
    of ``step × step`` sites (a side that ``step`` does not divide is padded by repeating
    its last site)."""
    rgb = _padded(rgb, step)
    # step² strided slices added (not a sum over the axes of a 5-D view, which numpy does
    # ~10x slower): the loop is over the offsets within a block, never over sites
    sums = np.zeros((rgb.shape[0] // step, rgb.shape[1] // step, 3), np.uint32)
    for dy in range(step):
        for dx in range(step):
            sums += rgb[dy::step, dx::step]
    area = step * step
    return ((sums + area // 2) // area).astype(np.uint8)  # rounded to the nearest


def block_pick(rgb: np.ndarray, priority: np.ndarray, step: int) -> np.ndarray:
    """``rgb`` ``[ny, nx, 3]`` uint8 shrunk ``step`` times: each pixel the colour of its
    block's site of highest ``priority`` ``[ny, nx]`` (the first in row order on a tie;
    sides padded as in :func:`block_mean`)."""
    rgb, priority = _padded(rgb, step), _padded(priority, step)
    out = rgb[::step, ::step].copy()
    best = priority[::step, ::step].copy()
    for dy in range(step):  # the offsets within a block, as in block_mean
        for dx in range(step):
            better = priority[dy::step, dx::step] > best
            out[better] = rgb[dy::step, dx::step][better]
            best[better] = priority[dy::step, dx::step][better]
    return out


def data_uri(png: bytes) -> str:
    """``png`` as a ``data:`` URI for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
