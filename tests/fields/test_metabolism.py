"""Respiration and glycolysis (abm.fields.metabolism) against the equations of
docs/fields.md written out again here, the ATP they make against the stoichiometry, and the
physiology that should follow from them (Crabtree, Pasteur, lower uptake of arrested cells)."""
import math

import numpy as np
import pytest

from abm.fields.metabolism import Metabolism
from abm.model import TumorModel
from abm.tumor.cells import PHASES, CellTable

SOLUBILITY_AMOL_PER_UM3 = 1e-3  # 1 µM = 1e-3 amol/µm³


def documented(c, g, d, m):
    """The equations of docs/fields.md: capacities R, Y (demand units), running share f,
    (respired glucose: share/6 per O2 at plasma glucose, × the saturation s(g)),
    ATP supply/demand, and the O2 and glucose the cell takes up (per site, mmHg/min and
    × plasma/min), with the cycling normoxic plasma-glucose cell as the O2 reference."""
    hif = 1.0 / (1.0 + (c / m.hif_half_mmHg) ** m.hif_hill)
    R = m.oxidative_capacity * c / (m.o2_km_mmHg + c)
    s = g * (1.0 + m.glucose_km) / (m.glucose_km + g)
    Y = m.glycolytic_capacity * s * (1.0 + m.hif_glycolysis_gain * hif)
    f = min(1.0, d / (R + Y)) if R + Y > 0 else 1.0
    reference_share = m.oxidative_capacity * min(1.0, 1.0 / (m.oxidative_capacity
                                                             + m.glycolytic_capacity))
    o2_per_share = m.o2_uptake_mmHg_per_min / reference_share  # mmHg/min per unit of ATP
    o2 = f * R * o2_per_share
    o2_amount = o2 * m.o2_solubility_uM_per_mmHg * SOLUBILITY_AMOL_PER_UM3  # amol/µm³/min
    glycolysis_glucose = f * Y * o2_per_share * m.atp_per_o2 / m.atp_per_glucose
    glycolysis_glucose *= m.o2_solubility_uM_per_mmHg * SOLUBILITY_AMOL_PER_UM3
    respired_glucose = o2_amount * m.respired_glucose_share / 6.0 * s
    glucose = (glycolysis_glucose + respired_glucose) / 5.5  # × plasma/min (5.5 mM = 5.5 amol/µm³)
    atp = 1.0 if d <= 0 else min(1.0, (R + Y) / d)
    return {"R": R, "Y": Y, "f": f, "atp": atp, "o2": o2, "glucose": glucose,
            "o2_amount": o2_amount, "glycolysis_glucose": glycolysis_glucose}


def dish(config, c, g, demand):
    """A row of cells, one per site, at O2 ``c`` and glucose ``g`` (arrays), with ``demand``."""
    n = len(c)
    cells = CellTable(capacity=n + 4, n_state=0)
    rows = cells.add(np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.int32),
                     phase=PHASES["proliferating"], birth_min=0.0)
    cells.demand[rows] = demand
    metabolism = Metabolism(config, np.asarray(c, float)[None, :].copy(),
                            np.asarray(g, float)[None, :].copy())
    return cells, metabolism


POINTS = [(38.0, 1.0, 1.0), (142.0, 3.0, 1.0), (5.0, 1.0, 1.0), (1.0, 1.0, 1.0),
          (0.2, 0.5, 1.0), (0.0, 1.0, 1.0), (38.0, 0.05, 1.0), (38.0, 1.0, 0.5),
          (0.5, 2.0, 0.3), (10.0, 0.0, 0.7)]


def test_uptake_and_atp_follow_the_documented_equations(tiny_config):
    config = tiny_config()
    m = config.metabolism
    c, g, d = (np.array(v) for v in zip(*POINTS))
    cells, metabolism = dish(config, c, g, d)
    o2_vmax, glucose_vmax = np.zeros((1, len(c))), np.zeros((1, len(c)))
    metabolism.o2_vmax(cells, o2_vmax)
    metabolism.glucose_vmax(cells, glucose_vmax)
    metabolism.update_atp(cells)
    # the solver applies the saturation: uptake = vmax × c/(Km + c), vmax × g/(K_G + g)
    o2 = o2_vmax[0] * c / (m.o2_km_mmHg + c)
    glucose = glucose_vmax[0] * g / (m.glucose_km + g)
    for k, (ck, gk, dk) in enumerate(POINTS):
        want = documented(ck, gk, dk, m)
        assert o2[k] == pytest.approx(want["o2"], rel=1e-12, abs=1e-12), POINTS[k]
        assert glucose[k] == pytest.approx(want["glucose"], rel=1e-12, abs=1e-12), POINTS[k]
        assert cells.atp[k] == pytest.approx(want["atp"], rel=1e-12), POINTS[k]


@pytest.mark.parametrize("c, g, d", POINTS)
def test_the_atp_made_is_what_the_uptake_pays_for(tiny_config, c, g, d):
    """Stoichiometry: ATP from respiration (atp_per_o2 per O2) plus glycolysis (atp_per_glucose
    per fermented glucose) equals min(demand, capacity) × the cell's ATP turnover."""
    m = tiny_config().metabolism
    want = documented(c, g, d, m)
    atp_made = m.atp_per_o2 * want["o2_amount"] + m.atp_per_glucose * want["glycolysis_glucose"]
    reference_share = m.oxidative_capacity / (m.oxidative_capacity + m.glycolytic_capacity)
    turnover = (m.atp_per_o2 * m.o2_uptake_mmHg_per_min * m.o2_solubility_uM_per_mmHg
                * SOLUBILITY_AMOL_PER_UM3 / reference_share)  # ATP of a cycling cell
    assert atp_made == pytest.approx(min(d, want["R"] + want["Y"]) * turnover, rel=1e-12)
    assert want["atp"] * d == pytest.approx(min(d, want["R"] + want["Y"]), rel=1e-12)


def test_crabtree_pasteur_and_arrest_follow_from_the_budget(tiny_config):
    """O2 use rises as glucose falls (5.5 → 0.4 mM: Casciari et al. 1992 measured ~2×);
    glucose use rises as O2 falls (0.21 → 0.023 mM, 156 → 17 mmHg: measured +40 %); an
    arrested cell (lower demand) takes up less of both."""
    m = tiny_config().metabolism
    crabtree = documented(38.0, 0.4 / 5.5, 1.0, m)["o2"] / documented(38.0, 1.0, 1.0, m)["o2"]
    pasteur = (documented(17.0, 1.0, 1.0, m)["glucose"]
               / documented(156.0, 1.0, 1.0, m)["glucose"])
    assert 1.1 < crabtree < 2.5 and 1.05 < pasteur < 1.6
    cycling, arrested = (documented(38.0, 1.0, d, m) for d in (1.0, 0.5))
    assert arrested["o2"] == pytest.approx(0.5 * cycling["o2"])
    assert arrested["glucose"] == pytest.approx(0.5 * cycling["glucose"])


def test_the_tissue_takes_up_what_its_cells_metabolism_says(tiny_config):
    """In a model, each solute's per-site maximal rate is the metabolism's at the cell's site,
    read from the field maps, and every live tumour cell's atp column is up to date."""
    model = TumorModel(tiny_config())
    model.run_steps(5)
    cells, m = model.cells, model.config.metabolism
    rows = cells.live_rows()
    rows = rows[(cells.phase[rows] != PHASES["necrotic"]) & (cells.phase[rows] != PHASES["apoptotic"])]
    o2, glucose = model.fields["oxygen"], model.fields["glucose"]
    for r in rows[:: max(1, len(rows) // 25)]:
        c, g = o2[cells.y[r], cells.x[r]], glucose[cells.y[r], cells.x[r]]
        want = documented(c, g, cells.demand[r], m)
        assert cells.atp[r] == pytest.approx(want["atp"], rel=1e-12)
        assert not math.isnan(cells.demand[r]) and 0.0 < cells.demand[r] <= 1.0
