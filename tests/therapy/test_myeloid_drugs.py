"""The drugs of issue 22 (neutrophil depletion, DNase I, the neutrophil elastase inhibitor): the
step effect against the closed form of a single bolus, their [drugs] bounds and reporters."""
from __future__ import annotations

import math

import pytest

from abm.errors import ConfigError
from abm.schema import config_from_dict
from abm.therapy.process import DrugEffects as EffectsProcess
from abm.therapy.schedule import DRUGS, DrugEffects, TherapySchedule
from abm.therapy.sections import DRUG_NAMES, TherapyEntry

# drug, its DrugEffects field, its Emax key in [drugs], the Emax default
NEW_DRUGS = [("neutrophil_depletion", "neutrophil_depletion", "max_depletion", 0.95),
             ("dnase", "net_digestion_per_h", "digestion_per_h", 1.0),
             ("ne_inhibitor", "net_inhibition", "max_inhibition", 0.9)]


def closed_form_mean_effect(dose, t_dose_h, half_life_h, ec50, t0_h, t1_h):
    """Mean of C/(EC50 + C) over [t0, t1] for one bolus before t0: C = d·2^(−(t − t_d)/t½)."""
    k = math.log(2.0) / half_life_h
    c0 = dose * 2.0 ** (-(t0_h - t_dose_h) / half_life_h)
    c1 = dose * 2.0 ** (-(t1_h - t_dose_h) / half_life_h)
    return math.log((ec50 + c0) / (ec50 + c1)) / (k * (t1_h - t0_h))


@pytest.mark.parametrize("drug, field, emax_key, emax", NEW_DRUGS)
def test_step_effect_is_emax_times_the_closed_form_mean(drug, field, emax_key, emax):
    half_life = {"neutrophil_depletion": 72.0, "dnase": 6.0, "ne_inhibitor": 4.0}[drug]
    assert DRUGS[drug].half_life_h == half_life and DRUGS[drug].ec50 == 1.0
    assert getattr(DRUGS[drug], emax_key) == emax
    s = TherapySchedule([TherapyEntry(drug=drug, dose=2.0, at_h=(3.0,))])
    t0_h, t1_h = 3.0 + 0.8 * half_life, 3.0 + 0.8 * half_life + 0.5
    step = s.step_effects(t0_h * 60.0, t1_h * 60.0)
    expected = emax * closed_form_mean_effect(2.0, 3.0, half_life, 1.0, t0_h, t1_h)
    assert 0.0 < expected < emax
    assert getattr(step, field) == pytest.approx(expected, rel=1e-10)
    others = {f for _, f, _, _ in NEW_DRUGS} - {field}
    assert all(getattr(step, f) == 0.0 for f in others)
    assert step.platelet_inhibition == 0.0 and step.sasp_secretion_scale == 1.0


def test_the_effect_sizes_are_read_from_the_drugs_section():
    config = config_from_dict({"drugs": {"neutrophil_depletion_max_depletion": 0.5,
                                         "dnase_digestion_per_h": 3.0, "dnase_half_life_h": 2.0,
                                         "ne_inhibitor_max_inhibition": 0.25,
                                         "ne_inhibitor_ec50": 0.5},
                               "therapy": [{"drug": d, "at_h": [0.0]} for d, *_ in NEW_DRUGS]})
    s = TherapySchedule.from_config(config)
    step = s.step_effects(60.0, 120.0)
    assert step.neutrophil_depletion == pytest.approx(
        0.5 * closed_form_mean_effect(1.0, 0.0, 72.0, 1.0, 1.0, 2.0), rel=1e-10)
    assert step.net_digestion_per_h == pytest.approx(
        3.0 * closed_form_mean_effect(1.0, 0.0, 2.0, 1.0, 1.0, 2.0), rel=1e-10)
    assert step.net_inhibition == pytest.approx(
        0.25 * closed_form_mean_effect(1.0, 0.0, 4.0, 0.5, 1.0, 2.0), rel=1e-10)


def test_no_dose_no_effect():
    step = TherapySchedule().step_effects(0.0, 60.0)
    assert (step.neutrophil_depletion, step.net_digestion_per_h, step.net_inhibition) == (0, 0, 0)
    assert DrugEffects() == step


@pytest.mark.parametrize("key, value, expected", [
    ("neutrophil_depletion_max_depletion", 1.5, "drugs.neutrophil_depletion_max_depletion = 1.5: "
                                                "must be a value in [0, 1]"),
    ("ne_inhibitor_max_inhibition", -0.1, "drugs.ne_inhibitor_max_inhibition = -0.1: must be a "
                                          "value in [0, 1]"),
    ("dnase_digestion_per_h", -1.0, "drugs.dnase_digestion_per_h = -1.0: must be a value in [0, "),
    ("dnase_half_life_h", 0.0, "drugs.dnase_half_life_h = 0.0: must be a value in (0, "),
    ("neutrophil_depletion_ec50", 0.0, "drugs.neutrophil_depletion_ec50 = 0.0: must be a value"),
])
def test_out_of_range_values_are_refused_with_the_key(key, value, expected):
    with pytest.raises(ConfigError) as err:
        config_from_dict({"drugs": {key: value}})
    assert expected in str(err.value)


def test_the_new_drugs_are_named_and_reported_last():
    assert DRUG_NAMES[-3:] == ("neutrophil_depletion", "dnase", "ne_inhibitor")
    assert EffectsProcess.reporters == (
        "chemo_kill_per_h", "chemo_damage_per_h", "senolytic_kill_per_h", "sasp_secretion_scale",
        "pdl1_blockade", "neutrophil_depletion", "net_digestion_per_h", "net_inhibition")
