"""Respiration and glycolysis of the tumour cells: their O2 and glucose uptake and their ATP.

Per cell (``[metabolism]``; docs/fields.md, 'Respiration and glycolysis'), in units of the ATP
demand of a cycling cell, with local O2 ``c`` (mmHg) and glucose ``g`` (× plasma):

    respiration capacity  R = oxidative_capacity · c/(Km + c)
    glycolytic capacity   Y = glycolytic_capacity · s(g) · (1 + hif_glycolysis_gain · HIF(c)),
                          s(g) = g(1 + K_G)/(K_G + g)  (1 at plasma),  HIF = 1/(1 + (c/K_H)^n)
    demand d: the cell's ``demand`` column, set by its program (the network's: from mTORC1,
    :func:`demand_from_mtorc1`); 0 for dead cells
    both pathways run at the share f = min(1, d/(R + Y)) of their capacity;
    ATP supply / demand = min(1, (R + Y)/d)  (the ``atp`` column; 1 for d = 0).

O2 uptake is respiration / ``atp_per_o2``; glucose uptake is glycolysis / ``atp_per_glucose``
plus the glucose respiration burns: ``respired_glucose_share`` / 6 per O2 at plasma glucose,
× s(g) (other fuels take over as glucose runs short, and glutamine less as it abounds). Both are
Michaelis–Menten in their own solute (Km and K_G) with a per-cell maximal rate that holds the
other solute and the share f at their values from the last solve: each field is solved with
its saturating sink (:mod:`abm.fields.saturating`) and O2 first, so glucose sees this step's
O2 (an operator split of one step, as for every coupling between fields). The local values
are read from the field maps at each cell's site, not from the cells' gathered columns, so a
run resumed from a checkpoint (which holds the maps) takes up exactly what it would have.

A site of cycling normoxic cells at plasma glucose consumes ``o2_uptake_mmHg_per_min`` (a
tissue rate: one cell per site is packed tissue), which sets the ATP turnover; glucose
rates follow through the O2 solubility, the stoichiometry and 5.5 mM per unit of glucose.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from abm._numba import jit
from abm.tumor.cells import APOPTOTIC, NECROTIC, TUMOR

PLASMA_GLUCOSE_MM = 5.5
"""Plasma glucose (mM), the unit of the glucose field (docs/fields.md)."""

# Layout of the parameter vector the kernels read.
(P_OX, P_KM, P_GLY, P_GAIN, P_KH, P_NH, P_KG, P_O2_SITE, P_GLC_SITE, P_GLC_PER_OX,
 N_PARAMS) = range(11)


class Metabolism:
    """The ``[metabolism]`` section turned into kernel inputs, and the three per-cell passes.

    Attributes:
        o2_map, glucose_map: float64 ``[ny, nx]`` the O2 (mmHg) and glucose (× plasma) maps
            the cells read, updated in place by their solvers (or by the caller).
        params: float64 ``[N_PARAMS]`` kernel parameters (capacities, constants, and the
            conversions of a cell's capacity share to per-site maximal rates).
        o2_km, glucose_km: half-saturations of the two uptakes (mmHg, × plasma).
    """

    def __init__(self, config, o2_map: np.ndarray, glucose_map: np.ndarray):
        m = config.metabolism
        self.o2_map, self.glucose_map = o2_map, glucose_map
        # Respiration share of a cycling normoxic cell (demand 1) at plasma glucose: it
        # consumes o2_uptake_mmHg_per_min per site.
        reference = m.oxidative_capacity * min(1.0, 1.0 / (m.oxidative_capacity
                                                            + m.glycolytic_capacity))
        o2_site = m.o2_uptake_mmHg_per_min / reference if reference > 0 else 0.0
        # O2 (mmHg/min) → amount per site volume: × solubility (1 µM = 1e-3 amol/µm³); ATP
        # and glucose follow by stoichiometry; glucose as × plasma (1 mM = 1 amol/µm³).
        o2_amount = o2_site * m.o2_solubility_uM_per_mmHg * 1e-3
        glucose_per_o2 = o2_amount / PLASMA_GLUCOSE_MM  # × plasma/min per unit share, per O2
        self.params = np.zeros(N_PARAMS)
        p = self.params
        p[P_OX], p[P_KM], p[P_GLY] = m.oxidative_capacity, m.o2_km_mmHg, m.glycolytic_capacity
        p[P_GAIN], p[P_KH], p[P_NH] = m.hif_glycolysis_gain, m.hif_half_mmHg, m.hif_hill
        p[P_KG] = m.glucose_km
        p[P_O2_SITE] = o2_site
        p[P_GLC_SITE] = glucose_per_o2 * m.atp_per_o2 / m.atp_per_glucose
        p[P_GLC_PER_OX] = glucose_per_o2 * m.respired_glucose_share / 6.0
        self.o2_km, self.glucose_km = m.o2_km_mmHg, m.glucose_km

    def o2_vmax(self, cells, out: np.ndarray) -> None:
        """Maximal O2 uptake (mmHg/min) of every site into ``out`` ``[ny, nx]`` (0 where no
        tumour cell is)."""
        uptake_maps(cells.hwm, cells.alive, cells.kind, cells.phase, cells.x, cells.y,
                    self.o2_map, self.glucose_map, cells.demand, self.params, True, out)

    def glucose_vmax(self, cells, out: np.ndarray) -> None:
        """Maximal glucose uptake (× plasma/min) of every site into ``out``."""
        uptake_maps(cells.hwm, cells.alive, cells.kind, cells.phase, cells.x, cells.y,
                    self.o2_map, self.glucose_map, cells.demand, self.params, False, out)

    def update_atp(self, cells) -> None:
        """Every live tumour cell's ATP supply / demand (its local O2 and glucose) into its
        ``atp`` column."""
        atp_ratio(cells.hwm, cells.alive, cells.kind, cells.phase, cells.x, cells.y,
                  self.o2_map, self.glucose_map, cells.demand, self.params, cells.atp)


@jit
def _capacities(c, g, p):
    """Respiration and glycolysis capacities (demand units) at O2 c (mmHg), glucose g."""
    c = c if c > 0.0 else 0.0
    g = g if g > 0.0 else 0.0
    hif = 1.0 / (1.0 + (c / p[P_KH]) ** p[P_NH])
    respiration = p[P_OX] * c / (p[P_KM] + c)
    glycolysis_unsaturated = p[P_GLY] * (1.0 + p[P_KG]) * (1.0 + p[P_GAIN] * hif)
    return respiration, glycolysis_unsaturated * g / (p[P_KG] + g), glycolysis_unsaturated


@jit
def uptake_maps(hwm, alive, kind, phase, xs, ys, oxygen, glucose, demand, params, o2, out):
    # oxygen, glucose: [ny, nx] maps read at each cell's site
    """Per-site maximal uptake of O2 (``o2``) or glucose into ``out`` (zeroed first): the
    cell's share f = min(1, d/(R + Y)) of the pathway's capacity at saturation, converted
    to a site rate (the solver multiplies by c/(Km + c) or g/(K_G + g))."""
    out[:, :] = 0.0
    p = params
    for r in range(hwm):
        if not alive[r] or kind[r] != TUMOR or phase[r] == NECROTIC or phase[r] == APOPTOTIC:
            continue
        d = demand[r]
        if d <= 0.0:
            continue
        x, y = xs[r], ys[r]
        respiration, glycolysis, glycolysis_unsaturated = _capacities(oxygen[y, x],
                                                                      glucose[y, x], p)
        total = respiration + glycolysis
        share = min(1.0, d / total) if total > 0.0 else 1.0
        if o2:
            out[y, x] = share * p[P_OX] * p[P_O2_SITE]
        else:
            # respiration's glucose follows glucose saturation too (other fuels make up
            # the rest when glucose runs short)
            out[y, x] = share * (glycolysis_unsaturated * p[P_GLC_SITE]
                                         + respiration * (1.0 + p[P_KG]) * p[P_GLC_PER_OX])


@jit
def atp_ratio(hwm, alive, kind, phase, xs, ys, oxygen, glucose, demand, params, atp):
    """atp[r] = min(1, (R + Y)/d) for every live tumour cell (1 where d = 0), at the O2 and
    glucose of its site (``[ny, nx]`` maps)."""
    for r in range(hwm):
        if not alive[r] or kind[r] != TUMOR:
            continue
        d = demand[r]
        if d <= 0.0 or phase[r] == NECROTIC or phase[r] == APOPTOTIC:
            atp[r] = 1.0
            continue
        respiration, glycolysis, _ = _capacities(oxygen[ys[r], xs[r]], glucose[ys[r], xs[r]],
                                                 params)
        atp[r] = min(1.0, (respiration + glycolysis) / d)


class SaturatingUptake(NamedTuple):
    """A field's Michaelis–Menten uptake by the cells (:attr:`FieldSpec.saturating`):
    ``fill(cells, out)`` writes the per-site maximal rate (field units/min) into ``out``
    ``[ny, nx]``; ``km`` is the half-saturation (field units)."""

    fill: Callable
    km: float


def tissue_metabolism(config, fields: dict[str, np.ndarray]) -> Metabolism:
    """The :class:`Metabolism` of a tissue on its field maps (``fields``: name → ``[ny, nx]``;
    without a glucose field, a uniform map at ``glucose.level``)."""
    oxygen = fields["oxygen"]
    glucose = fields.get("glucose")
    if glucose is None:
        glucose = np.full(oxygen.shape, config.glucose.level)
    return Metabolism(config, oxygen, glucose)


def respiration(config, fields: dict[str, np.ndarray]) -> SaturatingUptake:
    """The O2 uptake of the tissue's :class:`Metabolism`."""
    metabolism = tissue_metabolism(config, fields)
    return SaturatingUptake(metabolism.o2_vmax, metabolism.o2_km)


def glycolysis(config, fields: dict[str, np.ndarray]) -> SaturatingUptake:
    """The glucose uptake of the tissue's :class:`Metabolism`."""
    metabolism = tissue_metabolism(config, fields)
    return SaturatingUptake(metabolism.glucose_vmax, metabolism.glucose_km)


def demand_from_mtorc1(config, mtorc1: np.ndarray) -> np.ndarray:
    """ATP demand (relative to a cycling cell) of cells with mTORC1 activity ``mtorc1``
    (float64 ``[n]``): maintenance + (1 − maintenance)·min(1, mTORC1 / reference)
    (``[metabolism]``): biosynthesis, which mTORC1 drives, is most of a growing cell's ATP
    turnover."""
    m = config.metabolism
    growth = np.clip(mtorc1 / m.mtorc1_reference, 0.0, 1.0)
    return m.maintenance_demand + (1.0 - m.maintenance_demand) * growth
