"""NETs and platelets at the secondary site against closed forms: the arrest of CTCs in blood
with the NETs' arrest factor (abm/circulation/blood.py), the factor itself and the
extravasation probability with platelets and NETs (abm/metastasis/site.py)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from abm.circulation.blood import Circulation
from abm.circulation.ctc_table import ARRESTED_FAILED, SEEDED
from abm.circulation.params import blood_params, default_params
from abm.circulation.sections import BloodParam as P
from abm.metastasis.site import SecondarySite, site_config
from abm.schema import load_config

from .stats import binomial, within

DT = 6.0
FAST_CLOAK = 1e9  # min⁻¹: full coverage from the first instant (as tests/circulation)


def _fates(params, n, arrest_factor, depletion=0.0, seed=3):
    """Shed ``n`` singles at t = 0 and step until none circulates; the ended units' fate,
    escorts and age."""
    circ = Circulation(params, seed)
    circ.add_units(np.ones(n, dtype=np.int64), 0.0, 0.0, 1.0, 0.0)
    fates, escorts, ages = [], [], []
    k = 0
    while circ.counts()["n_units"] > 0:
        result = circ.step(k, DT, k * DT, arrest_factor=arrest_factor,
                           neutrophil_depletion=depletion)
        fates.append(result.ended["fate"])
        escorts.append(result.ended["neutrophils"])
        ages.append(result.ended["age_min"])
        k += 1
    return np.concatenate(fates), np.concatenate(escorts), np.concatenate(ages)


@pytest.mark.parametrize("arrest_factor, depletion", [(1.0, 0.0), (2.0, 0.0), (5.0, 0.5),
                                                       (1.5, 1.0)])
def test_nets_multiply_the_arrest_hazard(arrest_factor, depletion):
    """Singles with an immediate full cloak in the default blood: arrest (A·f), NK lysis
    (k_NK·(1 − shield)) and shear (d) compete, so P(arrest before death) = A·f/(A·f + D),
    D = k_NK·(1 − shield) + d, and the time in blood is Exp(A·f + D); escorts attach at
    r·(1 − depletion), so P(at least one) = r'/(r' + A·f + D)."""
    base = default_params()[0]
    params = base.copy()
    params[P.CLOAK_PER_MIN] = FAST_CLOAK
    n = 40_000
    fate, escorts, age = _fates(params, n, arrest_factor, depletion)
    assert len(fate) == n
    a = base[P.ARREST_PER_MIN] * arrest_factor
    d = base[P.NK_KILL_PER_MIN] * (1 - base[P.PLATELET_SHIELD]) + base[P.SHEAR_DEATH_PER_MIN]
    arrested = np.count_nonzero((fate == SEEDED) | (fate == ARRESTED_FAILED))
    binomial(arrested, n, a / (a + d))
    within(age.mean(), 1 / (a + d), 1 / (a + d) / np.sqrt(n))
    r = base[P.NEUTROPHIL_ATTACH_PER_MIN] * (1 - depletion)
    if r == 0:
        assert escorts.max() == 0
    else:
        binomial(np.count_nonzero(escorts >= 1), n, r / (r + a + d))


def test_an_arrest_factor_below_one_is_refused():
    with pytest.raises(ValueError, match="arrest_factor"):
        Circulation(blood_params()).step(0, DT, 0.0, arrest_factor=0.5)


# ---------------------------------------------------------------------------- at the site
def _site_stub(platelets_on, **overrides):
    """A stand-in exposing what ``SecondarySite``'s probability methods read: the site's
    config (:func:`site_config` of a primary with the myeloid agents) and section."""
    config = load_config(None, overrides=[
        "shedding.enabled=true", "secondary.enabled=true", "chemokine.field=true",
        "neutrophils.enabled=true", "il6.field=true", f"platelets.enabled={str(platelets_on).lower()}",
        "tgfb.field=true", *[f"{k}={v}" for k, v in overrides.items()]])
    return SimpleNamespace(config=site_config(config), section=config.secondary)


@pytest.mark.parametrize("platelets_on", [True, False])
@pytest.mark.parametrize("coverage", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("net", [False, True])
def test_extravasation_probability_with_platelets_and_nets(platelets_on, coverage, net):
    """p = p₀·(1 − share·(1 − c)) with platelet agents (p₀ without), then a NET at the
    landing vessel lets g of the rest through: p + (1 − p)·g."""
    stub = _site_stub(platelets_on, **{"secondary.extravasation_probability": 0.4,
                                       "platelets.permeability_share": 0.5,
                                       "neutrophils.net_extravasation_gain": 0.25})
    p = 0.4 * (1 - 0.5 * (1 - coverage)) if platelets_on else 0.4
    if net:
        p = p + (1 - p) * 0.25
    got = SecondarySite.extravasation_probability(stub, coverage, net)
    assert got == pytest.approx(p, rel=1e-12)


def test_arrest_factor_is_one_plus_gain_times_the_share_of_vessels_a_net_reaches():
    """Four vessel sites, NETs reach one of them: f = 1 + gain·1/4; no neutrophils: 1."""
    stub = _site_stub(True, **{"neutrophils.net_arrest_gain": 2.0})
    vessels = np.zeros((10, 10), dtype=bool)
    vessels[[1, 1, 8, 8], [1, 8, 1, 8]] = True
    exposure = np.zeros((10, 10), dtype=np.int32)
    exposure[0:3, 0:3] = 2  # a NET's reach around the vessel at (1, 1)
    neutrophils = SimpleNamespace(exposure=exposure)
    stub.model = SimpleNamespace(vessels=vessels, process=lambda name: neutrophils)
    assert SecondarySite.arrest_factor(stub) == pytest.approx(1 + 2.0 / 4)
    stub.model = SimpleNamespace(vessels=vessels, process=lambda name: None)
    assert SecondarySite.arrest_factor(stub) == 1.0
