"""Lattice images from run data, shared by figures and movies: the map extent in mm, the
cells of a frame painted on the lattice by phase, and the vessel mask."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from abm.tumor.cells import PHASES
from abm.viz.style import PHASE_COLORS, TISSUE_COLOR, VESSEL_COLOR

_PALETTE = np.array([to_rgb(PHASE_COLORS[name]) for name in PHASES], dtype=np.float32)
"""RGB of each phase code (``abm.cells.PHASES`` order)."""


def map_extent(x_um: np.ndarray, y_um: np.ndarray) -> tuple[float, float, float, float]:
    """``imshow`` extent in mm of a lattice whose cell centres are ``x_um``, ``y_um`` (µm)."""
    dx = float(x_um[1] - x_um[0]) if len(x_um) > 1 else 1.0
    dy = float(y_um[1] - y_um[0]) if len(y_um) > 1 else dx
    return ((x_um[0] - dx / 2) / 1000, (x_um[-1] + dx / 2) / 1000,
            (y_um[0] - dy / 2) / 1000, (y_um[-1] + dy / 2) / 1000)


def lattice_index(cells: pd.DataFrame, x_um: np.ndarray, y_um: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Row and column ``(iy, ix)`` of each cell of ``cells`` (columns ``x``, ``y`` in µm)."""
    dx = float(x_um[1] - x_um[0]) if len(x_um) > 1 else 1.0
    dy = float(y_um[1] - y_um[0]) if len(y_um) > 1 else dx
    ix = np.floor((cells["x"].to_numpy() - (x_um[0] - dx / 2)) / dx).astype(np.int64)
    iy = np.floor((cells["y"].to_numpy() - (y_um[0] - dy / 2)) / dy).astype(np.int64)
    return iy.clip(0, len(y_um) - 1), ix.clip(0, len(x_um) - 1)


def phase_codes(cells: pd.DataFrame) -> np.ndarray:
    """The phase code (``abm.cells.PHASES``) of each cell; -1 for a phase this package does
    not know (a newer file)."""
    phase = cells["phase"]
    if isinstance(phase.dtype, pd.CategoricalDtype):
        lookup = np.array([PHASES.get(str(c), -1) for c in phase.cat.categories] + [-1])
        return lookup[phase.cat.codes.to_numpy()]  # code -1 (NaN) picks the trailing -1
    return np.array([PHASES.get(str(p), -1) for p in phase], dtype=np.int64)


def phase_image(cells: pd.DataFrame, x_um: np.ndarray, y_um: np.ndarray,
                vessels: np.ndarray | None = None) -> np.ndarray:
    """An RGB image ``[ny, nx, 3]`` (float32, 0–1) of the lattice: tissue grey, vessels
    (bool ``[ny, nx]``) orange-red, each tumour cell in its phase colour (``style``)."""
    image = np.empty((len(y_um), len(x_um), 3), dtype=np.float32)
    image[:] = to_rgb(TISSUE_COLOR)
    if vessels is not None:
        image[vessels] = to_rgb(VESSEL_COLOR)
    if len(cells):
        if "kind" in cells:
            cells = cells[cells["kind"].astype(str).to_numpy() == "tumor"]
        codes = phase_codes(cells)
        iy, ix = lattice_index(cells, x_um, y_um)
        known = codes >= 0
        image[iy[known], ix[known]] = _PALETTE[codes[known]]
    return image
