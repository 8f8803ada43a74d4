"""From a click on a map to what it points at: the lattice site under it and the tumour cell
shown in the map's pixel there (a map longer than :data:`abm.viz.viewer.images.MAX_SIDE_PX`
shows blocks of ``stride × stride`` sites per pixel, :func:`abm.viz.viewer.images.png_bytes`)."""
from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from abm.viz.raster import lattice_index
from abm.viz.viewer.images import display_stride


def displayed_sites(shape: tuple[int, int]) -> tuple[int, int]:
    """Sites ``(ny, nx)`` that the drawn map spans: ``shape`` rounded up to whole blocks of
    :func:`display_stride` (the shrunk map pads a side that the stride does not divide)."""
    stride = display_stride(shape)
    return tuple(-(-side // stride) * stride for side in shape)


def site_at(fx: float, fy: float, shape: tuple[int, int]) -> tuple[int, int]:
    """The lattice site ``(iy, ix)`` under a click at fractions ``fx``, ``fy`` (0–1, from the
    drawn image's left and top edges) of a map of ``shape`` (ny, nx) drawn with y upwards; a
    click on the padding beyond a side gives that side's last site."""
    ny, nx = shape
    span_y, span_x = displayed_sites(shape)
    ix = min(nx - 1, max(0, int(fx * span_x)))
    iy = min(ny - 1, max(0, int((1.0 - fy) * span_y)))
    return iy, ix


def cell_at(cells: pd.DataFrame, x_um: np.ndarray, y_um: np.ndarray, fx: float, fy: float,
            shown: Collection[str] | None = None) -> int | None:
    """The ``cell_id`` of the tumour cell of ``cells`` (a frame, indexed by ``cell_id``;
    columns ``x``, ``y`` in µm, ``phase``, maybe ``kind``) nearest the click at ``fx``, ``fy``
    among those in the block of sites drawn as the clicked pixel (one site when the map is
    not shrunk), only phases in ``shown`` (None: all), as the map paints them; None if the
    pixel shows no cell. Vectorised over the frame's cells."""
    if not len(cells):
        return None
    keep = np.ones(len(cells), dtype=bool)
    if "kind" in cells:
        keep &= cells["kind"].astype(str).to_numpy() == "tumor"
    if shown is not None:
        keep &= cells["phase"].astype(str).isin(list(shown)).to_numpy()
    shape = (len(y_um), len(x_um))
    stride = display_stride(shape)
    iy, ix = site_at(fx, fy, shape)
    rows, cols = lattice_index(cells, x_um, y_um)
    keep &= (rows // stride == iy // stride) & (cols // stride == ix // stride)
    if not keep.any():
        return None
    dx = float(x_um[1] - x_um[0]) if len(x_um) > 1 else 1.0
    dy = float(y_um[1] - y_um[0]) if len(y_um) > 1 else dx
    span_y, span_x = displayed_sites(shape)
    click_x = x_um[0] - dx / 2 + fx * span_x * dx  # µm
    click_y = y_um[0] - dy / 2 + (1.0 - fy) * span_y * dy
    where = np.flatnonzero(keep)
    distance = np.hypot(cells["x"].to_numpy()[where] - click_x,
                        cells["y"].to_numpy()[where] - click_y)
    return int(cells.index[where[np.argmin(distance)]])
