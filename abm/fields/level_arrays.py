"""What the multigrid kernels (:mod:`abm.fields.kernels`) take: one level's arrays as named
tuples, built once per level by :mod:`abm.fields.multigrid` (the arrays are rewritten in
place, so the tuples stay valid)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class System(NamedTuple):
    """One level's system in Jacobi form, what every sweep reads: ``b``, ``q`` float32 or
    float64 ``[ny, nx]`` (rewritten in place each step), the largest coupling ``c0`` (min⁻¹), the
    weights ``wxm``, ``wxp`` ``[nx]`` and ``wym``, ``wyp`` ``[ny]``, and ``uniform`` (every
    interior x-weight is exactly 1: the sweeps skip the products)."""

    b: np.ndarray
    q: np.ndarray
    c0: float
    wxm: np.ndarray
    wxp: np.ndarray
    wym: np.ndarray
    wyp: np.ndarray
    uniform: bool


class Restriction(NamedTuple):
    """What averaging from a level to the next coarser one needs (static): the fine cell
    widths ``wy`` ``[ny]``, ``wx`` ``[nx]`` (µm), the coarsening factors ``fy``, ``fx`` (1 or
    2), and per coarse cell 1/height ``inv_h`` ``[nyc]`` and 1/width ``inv_w`` ``[nxc]``
    (µm⁻¹), the Dirichlet sinks ``sink`` (min⁻¹), ``fixed`` (bool: all children fixed) and
    ``area`` (µm²), each ``[nyc, nxc]``."""

    wy: np.ndarray
    wx: np.ndarray
    fy: int
    fx: int
    inv_h: np.ndarray
    inv_w: np.ndarray
    sink: np.ndarray
    fixed: np.ndarray
    area: np.ndarray


class Interpolation(NamedTuple):
    """Linear prolongation along one axis: fine cell k takes w[k]·e[lo[k]] + (1 − w[k])·
    e[hi[k]] (``lo``, ``hi`` int64, ``w`` float64, one entry per fine cell)."""

    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray


class Dirichlet(NamedTuple):
    """Fixed sites in row-major order: rows ``j``, columns ``i`` (int64) and values."""

    j: np.ndarray
    i: np.ndarray
    value: np.ndarray
