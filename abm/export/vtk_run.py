"""A run's frames as VTK files for ParaView: fields as images, cells as points.

- ``fields_NNNN.vti``: ImageData with one pixel per lattice site. Lattice values are site
  (cell-centre) values, so each field is **CellData** of an image of (nx + 1) × (ny + 1)
  points whose corner is the grid's corner: pixel (i, j) spans x_um[i] ± dx/2, y_um[j] ± dy/2
  (µm). Arrays: every field of the run (float32, their units in ``units.json``) and
  ``vessels`` (UInt8, 1 = vessel site).
- ``cells_NNNN.vtu``: UnstructuredGrid of one vertex per cell at (x, y, 0) µm, every cell
  column as point data, ``cell_id`` (Int64) included. Categorical columns (``kind``,
  ``phase``, ``route``) are integer codes; the code table is in the file's FieldData as one
  array per category, named ``COLUMN=NAME`` holding its code (e.g. ``phase=necrotic`` → 5);
  -1 marks a code the run's table does not know.
- ``fields.pvd`` and ``cells.pvd``: the collections ParaView opens as time series (timestep =
  the frame's time in min).

Every data set also carries FieldData ``TimeValue`` (the frame's time, min) and ``frame``
(its index in the run).
"""
from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd

from abm.export.request import ExportArgumentError, frame_file
from abm.export.units import CELL_ID, column_units
from abm.export.vtk_xml import write_collection, write_image, write_points
from abm.io.outputs import write_atomically

UNIFORM_RTOL = 1e-6
"""Relative tolerance on the site spacing along an axis (positions are stored as float64
multiples of dx, so a real run is uniform far below this)."""


def grid_geometry(x_um: np.ndarray, y_um: np.ndarray, dx_um: float | None) -> tuple[tuple, tuple]:
    """(origin, spacing) of the image whose pixels are the sites centred at ``x_um``,
    ``y_um`` (µm): origin = the corner of site [0, 0], spacing = (dx, dy). The run's
    ``dx_um`` is the spacing where the axes agree with it (the model's square sites: the
    corner then sits exactly at 0), else the mean step of each axis. Raises
    ExportArgumentError for a grid that is not uniform, or an axis of one site without dx_um."""
    spacing = []
    for name, axis in (("x", x_um), ("y", y_um)):
        steps = np.diff(axis)
        even = not len(steps) or ((steps > 0).all()
                                  and np.allclose(steps, steps.mean(), rtol=UNIFORM_RTOL, atol=0))
        if not even:
            raise ExportArgumentError(f"--format vtk: the {name} site positions are not evenly "
                                      "spaced, so they are no image")
        if dx_um is not None and np.allclose(steps, dx_um, rtol=UNIFORM_RTOL, atol=0):
            spacing.append(float(dx_um))
        elif len(steps):
            spacing.append(float((axis[-1] - axis[0]) / len(steps)))
        else:
            raise ExportArgumentError(f"--format vtk: the {name} axis has one site and the run "
                                      "stores no dx_um: the pixel size is unknown")
    origin = (float(x_um[0]) - spacing[0] / 2, float(y_um[0]) - spacing[1] / 2)
    return origin, tuple(spacing)


def write_vtk(run, plan) -> dict[str, dict[str, str]]:
    """Write the VTK files of ``plan`` (:class:`abm.export.request.ExportPlan`, format vtk)
    from the open ``run``, each complete or not at all; return the units {kind: {array: units}}."""
    geometry = (grid_geometry(run.x_um, run.y_um, run.attrs.get("dx_um"))
                if "fields" in plan.items else None)
    units = {}
    # read once, not per frame: the frame times, and the vessels (a new array each call)
    times = run.frame_times
    vessels = run.vessels
    constant = [("vessels", vessels.astype(np.uint8))] if vessels is not None else []
    for kind in plan.items:
        names = {}
        for f in plan.frames:
            names[f] = frame_file(kind, f, run.n_frames)
            if kind == "fields":
                write_atomically(plan.out_dir / names[f],
                                 lambda tmp, f=f: _write_fields(run, f, tmp, geometry, plan.level,
                                                                times, constant))
            else:
                write_atomically(plan.out_dir / names[f],
                                 lambda tmp, f=f: _write_cells(run, f, tmp, plan.level, times))
        write_atomically(plan.out_dir / f"{kind}.pvd",
                         lambda tmp, names=names: write_collection(
                             tmp, [(times[f], n) for f, n in names.items()]))
        units[kind] = column_units(run, kind, _array_names(run, kind))
    return units


def _array_names(run, kind: str) -> list[str]:
    if kind == "fields":
        return run.field_names + (["vessels"] if run.vessels is not None else [])
    return [CELL_ID] + [c for c in run.cell_columns if c != "id"]


def _frame_data(times: np.ndarray, f: int) -> list[tuple[str, np.ndarray]]:
    return [("TimeValue", np.array([times[f]], np.float64)),
            ("frame", np.array([f], np.int64))]


def _write_fields(run, f: int, tmp, geometry, level: int, times: np.ndarray,
                  constant: list) -> None:
    """Frame ``f``'s fields, then the ``constant`` arrays (the vessels), as an image."""
    origin, spacing = geometry
    arrays = ((name, run.field(name, f)) for name in run.field_names)
    write_image(tmp, (len(run.y_um), len(run.x_um)), origin, spacing,
                chain(arrays, constant), _frame_data(times, f), level)


def _write_cells(run, f: int, tmp, level: int, times: np.ndarray) -> None:
    cells = run.cells(f)
    x, y = cells["x"].to_numpy(), cells["y"].to_numpy()
    dtype = np.result_type(x.dtype, y.dtype, np.float32)
    points = np.column_stack([x, y, np.zeros(len(cells))]).astype(dtype)
    codes = []
    arrays = [(CELL_ID, cells.index.to_numpy(np.int64))]
    for name, column in cells.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            arrays.append((name, column.cat.codes.to_numpy()))
            codes += [(f"{name}={category}", np.array([code], np.int32))
                      for code, category in enumerate(column.cat.categories)]
        else:
            arrays.append((name, column.to_numpy()))
    write_points(tmp, points, arrays, _frame_data(times, f) + codes, level)
