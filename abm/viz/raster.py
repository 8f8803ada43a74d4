"""Lattice images from run data, shared by figures and movies: the map extent in mm, the
cells of a frame painted on the lattice by phase, the vessel mask, and the agents of the
per-frame event tables (immune cells, neutrophils, platelets) grouped by frame time."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from abm.tumor.cells import KINDS, PHASES
from abm.viz.style import EMPTY_COLOR, PHASE_COLORS, VESSEL_COLOR

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
    """An RGB image ``[ny, nx, 3]`` (float32, 0–1) of the lattice: empty sites grey, vessels
    (bool ``[ny, nx]``) orange-red, each tumour cell in its phase colour (``style``)."""
    image = np.empty((len(y_um), len(x_um), 3), dtype=np.float32)
    image[:] = to_rgb(EMPTY_COLOR)
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


# ---------------------------------------------------------------------------- agents
AGENT_TABLES = ("immune_cells", "neutrophils", "platelets")
"""The per-frame event tables of agents that maps mark (:data:`abm.viz.style.AGENT_STYLES`)."""

_TIME_TOLERANCE_MIN = 1e-3
"""Rows belong to a frame when their ``time_min`` is within this of the frame time (min):
both are the model's clock at that frame, so only rounding can separate them."""


class AgentPositions:
    """The positions of one group of agents at every frame of a run, grouped by time.

    Built once from an event table's rows (``times`` in min, ``x_um``, ``y_um`` in µm);
    :meth:`at` slices out the agents of one frame without reading the file again.
    """

    def __init__(self, times: np.ndarray, x_um: np.ndarray, y_um: np.ndarray):
        order = np.argsort(times, kind="stable")
        times = np.asarray(times, dtype=np.float64)[order]
        self.xy_mm = np.column_stack([np.asarray(x_um, np.float64)[order] / 1000,
                                      np.asarray(y_um, np.float64)[order] / 1000])
        self.times, starts = np.unique(times, return_index=True)
        self.starts = np.append(starts, len(times))

    def at(self, time_min: float) -> np.ndarray:
        """Positions ``[n, 2]`` (x, y in mm) of the agents at frame time ``time_min`` (min);
        none (shape ``[0, 2]``) if the table has no row at that time (no agent then)."""
        i = int(np.searchsorted(self.times, time_min - _TIME_TOLERANCE_MIN))
        if i == len(self.times) or abs(self.times[i] - time_min) > _TIME_TOLERANCE_MIN:
            return self.xy_mm[:0]
        return self.xy_mm[self.starts[i]:self.starts[i + 1]]


def agent_positions(run) -> dict[str, AgentPositions]:
    """The agents of ``run`` by group of :data:`abm.viz.style.AGENT_STYLES` (``cd8``, ``nk``
    from ``events/immune_cells``; ``neutrophil``, ``net`` from ``events/neutrophils``;
    ``platelet`` from ``events/platelets``), each table read once; only the groups whose
    table the run has, in that order."""
    present = set(run.event_tables)
    groups: dict[str, AgentPositions] = {}
    for table in AGENT_TABLES:
        if table not in present:
            continue
        rows = run.events(table)
        for group, selected in _groups(table, rows).items():
            groups[group] = AgentPositions(rows["time_min"].to_numpy()[selected],
                                           rows["x"].to_numpy()[selected],
                                           rows["y"].to_numpy()[selected])
    return groups


def _groups(table: str, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row masks of the groups in event table ``table``."""
    if table == "immune_cells":
        kinds = rows["kind"].to_numpy()
        if kinds.dtype.kind in "iu":  # codes of abm.tumor.cells.KINDS
            kinds = np.array(list(KINDS), dtype=object)[kinds]
        kinds = kinds.astype(str)
        return {"cd8": kinds == "cd8", "nk": kinds == "nk"}
    if table == "neutrophils":
        net = rows["net"].to_numpy().astype(bool)
        return {"neutrophil": ~net, "net": net}
    return {"platelet": np.ones(len(rows), dtype=bool)}
