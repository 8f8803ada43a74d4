"""What the neutrophils do to their surroundings, as maps and per-cell signals:

- the inflammation pulse I(t) = 2^(−(t − t₀)/t½) from its time t₀ on (:func:`inflammation`);
- the IL-6/IL-1β each walking neutrophil secretes at its site (:func:`il6_source`);
- NET exposure n(x, y), the number of NETs within ``net_radius_um`` of a site
  (:func:`net_exposure`), and the share of vessel sites a NET reaches
  (:func:`net_vessel_share`, which raises the CTCs' arrest at a secondary site);
- every tumour cell's growth signal (:func:`growth_signal`), added to its network's
  growth-factor input past NR2F1: g_IL6·I_loc/(K_IL6 + I_loc) + g_NET·n/(n + 1).
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit
from abm.core.rowtable import high_water_mark
from abm.tumor.lattice_events import placement_shells


def inflammation(section, time_min: float) -> float:
    """The inflammation pulse of ``section`` ([neutrophils]) at ``time_min``: 0 before
    ``inflammation_at_h`` (or without one), then 2^(−(t − t₀)/t½)."""
    t0 = section.inflammation_at_h
    if t0 < 0.0 or time_min < t0 * 60.0:
        return 0.0
    return float(2.0 ** (-(time_min / 60.0 - t0) / section.inflammation_half_life_h))


@jit
def il6_source(rate_per_min, table, source):
    """Zero ``source`` (float64 ``[ny, nx]``, units/min) and add ``rate_per_min`` at the
    site of every live neutrophil without a NET."""
    source[:] = 0.0
    for r in range(high_water_mark(table)):
        if table.alive[r] and table.net[r] == 0:
            source[table.y[r], table.x[r]] += rate_per_min


def disc_offsets(radius_um: float, dx_um: float) -> tuple[np.ndarray, np.ndarray]:
    """int64 ``(dx, dy)`` of the sites whose centres lie within ``radius_um`` of a site's
    centre: the site itself, then the placement disc's shells
    (:func:`abm.tumor.lattice_events.placement_shells`)."""
    shells = placement_shells(radius_um / dx_um)
    return (np.concatenate([[0], shells.off_x]).astype(np.int64),
            np.concatenate([[0], shells.off_y]).astype(np.int64))


@jit
def net_exposure(table, off_x, off_y, out):
    """Fill ``out`` (int32 ``[ny, nx]``, zeroed first) with the number of NETs (neutrophils
    with ``net``) whose site lies within the disc ``off_x``, ``off_y`` of each site."""
    out[:] = 0
    ny, nx = out.shape
    for r in range(high_water_mark(table)):
        if not (table.alive[r] and table.net[r] == 1):
            continue
        for k in range(off_x.shape[0]):
            x, y = table.x[r] + off_x[k], table.y[r] + off_y[k]
            if 0 <= x < nx and 0 <= y < ny:
                out[y, x] += 1


def net_vessel_share(exposure: np.ndarray, vessels: np.ndarray) -> float:
    """Share of vessel sites within reach of at least one NET (0 without vessels)."""
    n = int(np.count_nonzero(vessels))
    return float(np.count_nonzero(exposure[vessels] > 0)) / n if n else 0.0


def growth_signal(cells, exposure: np.ndarray, section) -> None:
    """Set ``cells.gf_signal`` of every live cell from its gathered IL-6 (``cells.il6``) and
    the NET exposure at its site (module docstring); vectorised over the live rows."""
    rows = cells.live_rows()
    il6 = np.maximum(cells.il6[rows], 0.0)
    n = exposure[cells.y[rows], cells.x[rows]].astype(np.float64)
    cells.gf_signal[rows] = (section.il6_gf_gain * il6 / (section.il6_k + il6)
                             + section.net_gf_gain * n / (n + 1.0))
