"""PD-L1, stemness and DNA damage (abm/cell_state.py) against an independent ODE solve, and
the drug deaths against their hazards."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from abm.tumor.cell_state import HIF_HALF_MMHG, cell_state_params, drug_deaths, update_cell_state
from abm.tumor.cells import PHASES, CellTable
from abm.schema import load_config

CONFIG = load_config(None)
SECTION = CONFIG.cell_state


def _cells(n, phase="proliferating", oxygen=38.0, sasp=0.0, sasp_metabolic=0.0):
    table = CellTable(capacity=n)
    table.add(np.zeros(n, np.int32), np.zeros(n, np.int32), phase=PHASES[phase], birth_min=0.0)
    table.oxygen[:], table.sasp[:], table.sasp_metabolic[:] = oxygen, sasp, sasp_metabolic
    return table


def _advance(c, hours, dt_h, damage_per_h=0.0):
    params = cell_state_params(CONFIG)
    for _ in range(round(hours / dt_h)):
        update_cell_state(c.arrays(), params, damage_per_h, dt_h)


def _reference(o2, sasp, sasp_m, damage_per_h, hours):
    """The equations of CellStateSection's docstring, written out and solved by scipy."""
    s = SECTION
    ln2 = np.log(2.0)
    h = 1.0 / (1.0 + (o2 / HIF_HALF_MMHG) ** 3)

    def rhs(t, y):
        pdl1, stem, dna, emt, nr2f1 = y
        return [(s.pdl1_basal + s.pdl1_hypoxia * h + s.pdl1_sasp * sasp / (1 + sasp) - pdl1)
                * ln2 / s.pdl1_half_life_h,
                s.stemness_rate_per_h * (sasp + sasp_m) * (1 - stem) - stem * ln2 / s.stemness_half_life_h,
                damage_per_h - dna * ln2 / s.dna_repair_half_life_h,
                s.emt_rate_per_h * h * (1 - emt) - emt * ln2 / s.emt_half_life_h,
                s.nr2f1_rate_per_h * h * (1 - nr2f1) - nr2f1 * ln2 / s.nr2f1_half_life_h]
    return solve_ivp(rhs, (0, hours), [0.0] * 5, method="Radau", rtol=1e-10,
                     atol=1e-12).y[:, -1]


@pytest.mark.parametrize("o2, sasp, sasp_m, damage", [(38.0, 0.0, 0.0, 0.0), (0.5, 1.2, 0.3, 0.1),
                                                      (11.0, 0.4, 2.0, 0.05)])
def test_state_matches_an_ode_solve_whatever_the_step(o2, sasp, sasp_m, damage):
    expected = _reference(o2, sasp, sasp_m, damage, 48.0)
    for dt_h in (0.1, 6.0):
        c = _cells(1, oxygen=o2, sasp=sasp, sasp_metabolic=sasp_m)
        _advance(c, 48.0, dt_h, damage)
        got = [c.pdl1[0], c.stemness[0], c.dna_damage[0], c.emt[0], c.nr2f1[0]]
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-12)
        hypoxic = o2 < CONFIG.oxygen.hypoxic_mmHg  # hours below the threshold, exactly
        assert c.hypoxic_h[0] == pytest.approx(48.0 if hypoxic else 0.0, rel=1e-12)


def test_hypoxia_and_sasp_raise_pdl1_to_their_steady_states():
    s = SECTION
    normoxic, hypoxic, inflamed = _cells(1), _cells(1, oxygen=0.0), _cells(1, sasp=1.0)
    for c in (normoxic, hypoxic, inflamed):
        _advance(c, 20 * s.pdl1_half_life_h, 1.0)
    h38 = 1 / (1 + (38 / HIF_HALF_MMHG) ** 3)
    assert normoxic.pdl1[0] == pytest.approx(s.pdl1_basal + s.pdl1_hypoxia * h38, rel=1e-5)
    assert hypoxic.pdl1[0] == pytest.approx(s.pdl1_basal + s.pdl1_hypoxia, rel=1e-5)
    assert inflamed.pdl1[0] == pytest.approx(normoxic.pdl1[0] + s.pdl1_sasp / 2, rel=1e-5)


def test_only_cycling_cells_take_chemotherapy_dna_damage():
    cycling, dormant = _cells(1), _cells(1, phase="dormant")
    for c in (cycling, dormant):
        _advance(c, 12.0, 0.1, damage_per_h=0.2)
    assert cycling.dna_damage[0] > 1.0
    assert dormant.dna_damage[0] == 0.0


def _kill_fraction(phase, chemo, senolytic, stemness=0.0, n=20000, dt_h=0.5, tolerance=0.8):
    c = _cells(n, phase=phase)
    c.stemness[:] = stemness
    out = np.empty(n, np.int64)
    in_cycle = c.phase == PHASES["proliferating"]
    killed = drug_deaths(c.arrays(), in_cycle, chemo, tolerance, senolytic, 11, 3, dt_h, out)
    assert np.all(np.diff(out[:killed]) > 0)
    return killed / n


def _binomial_ok(fraction, p, n=20000):
    return abs(fraction - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-12


def test_drug_deaths_follow_their_hazards():
    p = 1 - np.exp(-0.4 * 0.5)
    assert _binomial_ok(_kill_fraction("proliferating", 0.4, 0.0), p)
    assert _kill_fraction("dormant", 0.4, 0.0) == 0.0  # chemotherapy spares dormant cells
    assert _kill_fraction("quiescent", 0.4, 0.0) == 0.0
    assert _kill_fraction("senescent", 0.4, 0.0) == 0.0
    assert _binomial_ok(_kill_fraction("senescent", 0.0, 0.4), p)
    assert _kill_fraction("proliferating", 0.0, 0.4) == 0.0  # a senolytic spares the rest
    # stemness 1 removes 80 % of the chemotherapy hazard
    assert _binomial_ok(_kill_fraction("proliferating", 0.4, 0.0, stemness=1.0),
                        1 - np.exp(-0.4 * 0.2 * 0.5))


@pytest.mark.parametrize("phase, target_key", [("proliferating", None),
                                               ("dormant", "mhc1_dormant"),
                                               ("senescent", "mhc1_senescent")])
def test_mhc1_starts_at_one_and_relaxes_to_its_phase_level_with_its_half_life(phase, target_key):
    """MHC-I of a founder is 1 (a cycling cell); in ``phase`` it relaxes as
    M∞ + (1 − M∞)·2^(−t/t½), whatever the step."""
    s = SECTION
    target = 1.0 if target_key is None else getattr(s, target_key)
    for dt_h in (0.1, 6.0):
        c = _cells(1, phase=phase)
        assert c.mhc1[0] == 1.0
        _advance(c, 12.0, dt_h)
        expected = target + (1.0 - target) * 2.0 ** (-12.0 / s.mhc1_half_life_h)
        assert c.mhc1[0] == pytest.approx(expected, rel=1e-10)
