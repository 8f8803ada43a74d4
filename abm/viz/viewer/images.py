"""Lattice maps as RGB images for the browser viewer: the cell phases (the figures' and
movies' colours, :func:`abm.viz.raster.phase_image`) or one field through its declared colour
map, painted with a 256-entry lookup table (no matplotlib figure per frame), shrunk to the
display size and encoded as PNG."""
from __future__ import annotations

import base64
import io
from collections.abc import Collection

import matplotlib
import numpy as np
import pandas as pd
from PIL import Image

from abm.tumor.cells import PHASES
from abm.viz.raster import phase_image
from abm.viz.style import declared_field

LUT_SIZE = 256
"""Entries of a field's colour lookup table: the 8 bits per channel of the PNG."""

MAX_SIDE_PX = 800
"""Longest side of a map sent to the browser, pixels (design choice: about a map's width on a
laptop screen; a 1000² lattice is shrunk to 500² by averaging 2 × 2 blocks, a 60² one sent
as is and scaled up by the browser with sharp pixels)."""


def phase_rgb(cells: pd.DataFrame, x_um: np.ndarray, y_um: np.ndarray,
              vessels: np.ndarray | None, shown: Collection[str] | None = None) -> np.ndarray:
    """The phase map ``[ny, nx, 3]`` uint8 (row 0 = lowest y) of ``cells`` (a frame's
    DataFrame, ``run.cells(frame)``), only the phases in ``shown`` (None: all) painted on the
    tissue; colours of :func:`abm.viz.raster.phase_image`."""
    if shown is not None and len(cells) and set(shown) != set(PHASES):
        cells = cells[cells["phase"].astype(str).isin(list(shown)).to_numpy()]
    rgb = phase_image(cells, x_um, y_um, vessels)
    return np.rint(rgb * 255).astype(np.uint8)


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


def png_bytes(rgb: np.ndarray, max_side: int = MAX_SIDE_PX) -> bytes:
    """PNG of the map ``rgb`` ``[ny, nx, 3]`` uint8 (row 0 = lowest y), upside down so that y
    grows upwards on screen; a lattice longer than ``max_side`` is shrunk by averaging
    blocks of :func:`display_stride` sites (a lone cell stays visible as a blend, where
    taking every n-th site would drop it)."""
    step = display_stride(rgb.shape[:2], max_side)
    if step > 1:
        rgb = block_mean(rgb, step)
    buffer = io.BytesIO()
    # compress_level 1: a 500² map encodes ~4x faster than at the default 6 and the bytes
    # stay on this machine (localhost), where size hardly matters.
    Image.fromarray(np.ascontiguousarray(rgb[::-1]), "RGB").save(buffer, format="PNG",
                                                                 compress_level=1)
    return buffer.getvalue()


def block_mean(rgb: np.ndarray, step: int) -> np.ndarray:
    """``rgb`` ``[ny, nx, 3]`` uint8 shrunk ``step`` times: each pixel the mean of a block
    of ``step × step`` sites (a side that ``step`` does not divide is padded by repeating
    its last site)."""
    ny, nx = rgb.shape[:2]
    ry, rx = -(-ny // step), -(-nx // step)
    if (ry * step, rx * step) != (ny, nx):
        rgb = np.pad(rgb, ((0, ry * step - ny), (0, rx * step - nx), (0, 0)), mode="edge")
    # step² strided slices added (not a sum over the axes of a 5-D view, which numpy does
    # ~10x slower): the loop is over the offsets within a block, never over sites
    sums = np.zeros((ry, rx, 3), np.uint32)
    for dy in range(step):
        for dx in range(step):
            sums += rgb[dy::step, dx::step]
    area = step * step
    return ((sums + area // 2) // area).astype(np.uint8)  # rounded to the nearest


def data_uri(png: bytes) -> str:
    """``png`` as a ``data:`` URI for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def site_at(fx: float, fy: float, shape: tuple[int, int]) -> tuple[int, int]:
    """The lattice site ``(iy, ix)`` under a click at fractions ``fx``, ``fy`` (0–1, from the
    image's left and top edges) of a map of ``shape`` (ny, nx) drawn with y upwards."""
    ny, nx = shape
    ix = min(nx - 1, max(0, int(fx * nx)))
    iy = min(ny - 1, max(0, int((1.0 - fy) * ny)))
    return iy, ix
