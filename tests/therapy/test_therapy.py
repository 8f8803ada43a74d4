"""Therapy schedules: kinetics and step-mean effects against closed forms and quadrature, daily
clock times, the [[therapy]] config (every bad input named with its value) and its round trip."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from abm.schema import config_from_dict, config_from_toml, describe_params, load_config, to_toml
from abm.errors import ConfigError
from abm.therapy.schedule import DRUGS, TherapySchedule
from abm.therapy.sections import DRUG_NAMES, TherapyEntry, parse_clock


def schedule(*entries, start_clock_h=0.0):
    return TherapySchedule([TherapyEntry(**e) for e in entries], start_clock_h=start_clock_h)


def test_bolus_decays_by_its_half_life():
    half_life = DRUGS["chemo"].half_life_h
    s = schedule(dict(drug="chemo", dose=2.0, at_h=(10.0,)))
    t_h = np.array([0.0, 9.99, 10.0, 10.0 + half_life, 10.0 + 2.5 * half_life, 200.0])
    expected = np.where(t_h >= 10.0, 2.0 * 2.0 ** (-(t_h - 10.0) / half_life), 0.0)
    np.testing.assert_allclose(s.concentration("chemo", t_h * 60.0), expected, rtol=1e-13)
    assert s.concentration("chemo", (10.0 + half_life) * 60.0) == pytest.approx(1.0, rel=1e-13)
    assert s.concentration("senolytic", 1000.0) == 0.0 and s.active_drugs == ("chemo",)


def test_doses_superpose():
    t_half = DRUGS["senolytic"].half_life_h
    s = schedule(dict(drug="senolytic", at_h=(0.0,)), dict(drug="senolytic", dose=0.5, at_h=(6.0,)))
    t_h = np.linspace(0.0, 100.0, 401)
    expected = 2.0 ** (-t_h / t_half) + np.where(t_h >= 6.0, 0.5 * 2.0 ** (-(t_h - 6.0) / t_half), 0.0)
    np.testing.assert_allclose(s.concentration("senolytic", t_h * 60.0), expected, rtol=1e-13)
    times, doses = s.doses("senolytic")
    np.testing.assert_array_equal(times, [0.0, 360.0])
    np.testing.assert_array_equal(doses, [1.0, 0.5])
    c = s.concentration("senolytic", 600.0)
    assert s.effect("senolytic", 600.0) == pytest.approx(c / (DRUGS["senolytic"].ec50 + c))


@pytest.mark.parametrize("drug", DRUG_NAMES)
@pytest.mark.parametrize("t0, t1", [(60.0, 66.0), (355.0, 361.0), (359.0, 370.0),
                                    (0.0, 1440.0), (-30.0, 6.0), (2000.0, 2000.0)])
def test_step_mean_effect_equals_quadrature(drug, t0, t1):
    s = schedule(dict(drug=drug, dose=1.5, at_h=(0.0, 6.0, 6.1)))
    got = s.mean_effect(drug, t0, t1)
    if t1 == t0:
        assert got == s.effect(drug, t0)
        return
    breaks = [t for t in (0.0, 360.0, 366.0) if t0 < t < t1]
    integral, _ = quad(lambda t: s.effect(drug, t), t0, t1, points=breaks or None,
                       epsabs=1e-13, epsrel=1e-12, limit=200)
    assert got == pytest.approx(integral / (t1 - t0), abs=1e-6)


def test_step_effects_scale_by_the_effect_sizes():
    s = schedule(*(dict(drug=d, at_h=(1.0,)) for d in DRUG_NAMES))
    e = {d: s.mean_effect(d, 60.0, 66.0) for d in DRUG_NAMES}
    step = s.step_effects(60.0, 66.0)
    assert step.chemo_kill_per_h == pytest.approx(DRUGS["chemo"].kill_per_h * e["chemo"])
    assert step.chemo_damage_per_h == pytest.approx(DRUGS["chemo"].damage_per_h * e["chemo"])
    assert step.senolytic_kill_per_h == pytest.approx(DRUGS["senolytic"].kill_per_h * e["senolytic"])
    assert step.sasp_secretion_scale == pytest.approx(
        1.0 - DRUGS["senomorphic"].max_inhibition * e["senomorphic"])
    assert step.pdl1_blockade == pytest.approx(DRUGS["anti_pdl1"].max_blockade * e["anti_pdl1"])
    assert step.neutrophil_depletion == pytest.approx(
        DRUGS["neutrophil_depletion"].max_depletion * e["neutrophil_depletion"])
    assert step.net_digestion_per_h == pytest.approx(DRUGS["dnase"].digestion_per_h * e["dnase"])
    assert step.net_inhibition == pytest.approx(
        DRUGS["ne_inhibitor"].max_inhibition * e["ne_inhibitor"])
    assert schedule().step_effects(0.0, 6.0).sasp_secretion_scale == 1.0


def test_daily_clock_times_follow_the_start_clock():
    s = schedule(dict(drug="anti_pdl1", daily_at="02:30", n_days=3), start_clock_h=22.0)
    times, _ = s.doses("anti_pdl1")
    np.testing.assert_allclose(times / 60.0, [4.5, 28.5, 52.5])
    assert s.clock_h(times[0]) == pytest.approx(2.5)
    shifted = schedule(dict(drug="anti_pdl1", daily_at="02:30", first_day=2, n_days=2),
                       start_clock_h=22.0)
    np.testing.assert_allclose(shifted.doses("anti_pdl1")[0] / 60.0, [52.5, 76.5])
    at_start = schedule(dict(drug="chemo", daily_at="08:00", at_h=(1.0,)), start_clock_h=8.0)
    np.testing.assert_allclose(at_start.doses("chemo")[0] / 60.0, [0.0, 1.0])
    np.testing.assert_allclose(s.clock_h(np.array([0.0, 120.0, 180.0])), [22.0, 0.0, 1.0])
    assert parse_clock("2:05") == pytest.approx(2.0 + 5 / 60)


def test_events_between_are_the_doses_of_each_step():
    s = schedule(dict(drug="senolytic", at_h=(0.0, 1.0)), dict(drug="chemo", at_h=(1.0,)))
    assert s.events_between(-math.inf, 0.0) == [(0.0, "senolytic", 1.0)]
    assert s.events_between(0.0, 54.0) == []
    assert s.events_between(54.0, 60.0) == [(60.0, "chemo", 1.0), (60.0, "senolytic", 1.0)]
    assert s.events_between(60.0, 66.0) == []


def test_schedule_from_config_uses_drugs_section_and_clock(tmp_path):
    scenario = tmp_path / "chrono.toml"
    scenario.write_text('[run]\ndays = 4.0\nstart_clock_h = 22.0\n[drugs]\nchemo_half_life_h = 10.0\n'
                        '[[therapy]]\ndrug = "chemo"\ndose = 2\nat_h = [1, 2.5]\n'
                        '[[therapy]]\ndrug = "anti_pdl1"\ndaily_at = "02:30"\nfirst_day = 1\nn_days = 2\n')
    config = load_config(scenario)
    assert config.therapy[0] == TherapyEntry(drug="chemo", dose=2.0, at_h=(1.0, 2.5))
    s = TherapySchedule.from_config(config)
    assert s.drugs["chemo"].half_life_h == 10.0
    assert s.concentration("chemo", 60.0 * 11.0) == pytest.approx(2.0 * 0.5 + 2.0 * 2 ** -0.85)
    np.testing.assert_allclose(s.doses("anti_pdl1")[0] / 60.0, [28.5, 52.5])
    assert s.active_drugs == ("chemo", "anti_pdl1")
    assert config_from_toml(to_toml(config)) == config


def test_round_trip_through_the_stored_toml():
    config = config_from_dict({"run": {"start_clock_h": 8.5}, "therapy": [
        {"drug": "senomorphic", "at_h": [72.0, 96]},
        {"drug": "anti_pdl1", "dose": 0.5, "daily_at": "02:30", "first_day": 2, "n_days": 5},
        {"drug": "chemo", "at_h": [3.0], "daily_at": "23:59"}]})
    text = to_toml(config)
    assert "[[therapy]]" in text and 'daily_at = "02:30"' in text
    assert config_from_toml(text) == config
    assert config_from_toml(to_toml(load_config(None))).therapy == ()


def test_describe_params_lists_the_drugs_and_therapy_keys():
    text = describe_params()
    assert "[drugs]" in text and "[[therapy]]" in text and "start_clock_h" in text
    for key in ("chemo_half_life_h", "chemo_ec50", "chemo_kill_per_h", "chemo_damage_per_h",
                "senolytic_kill_per_h", "senomorphic_max_inhibition", "anti_pdl1_max_blockade",
                "daily_at", "n_days"):
        assert f"  {key} = " in text
    assert "Wilson et al. 2010" in text and "Tecentriq" in text


def _entry(**values):
    return {"drug": "chemo", "at_h": [1.0]} | values


@pytest.mark.parametrize("therapy, expected", [
    ([_entry(drug="chemp")], "therapy[0].drug = 'chemp': must be one of 'chemo', 'senolytic', "
                             "'senomorphic', 'anti_pdl1', 'digoxin', 'platelet_inhibitor', "
                             "'neutrophil_depletion', 'dnase', 'ne_inhibitor', "
                             "'resection' (did you mean 'chemo'?)"),
    ([{"at_h": [1.0]}], "therapy[0].drug: missing; must be one of 'chemo'"),
    ([_entry(), _entry(doze=2.0)], "unknown key 'therapy[1].doze'; did you mean 'therapy[1].dose'?"),
    ([_entry(at_h=[1.0, -5.0])], "therapy[0].at_h[1] = -5.0: must be a value in [0, inf] (h)"),
    ([_entry(at_h=[math.inf])], "therapy[0].at_h[0] = inf: must be finite"),
    ([_entry(at_h=[math.nan])], "therapy[0].at_h[0] = nan: must be finite"),
    ([_entry(at_h=72.0)], "therapy[0].at_h = 72.0: must be a list of numbers (h)"),
    ([_entry(at_h=["3h"])], "therapy[0].at_h[0] = '3h': must be a number, got str"),
    ([_entry(at_h=[True])], "therapy[0].at_h[0] = True: must be a number, got bool"),
    ([_entry(dose=0.0)], "therapy[0].dose = 0.0: must be a value in (0, inf]"),
    ([_entry(dose=-1)], "therapy[0].dose = -1: must be a value in (0, inf]"),
    ([_entry(daily_at="25:00")], "therapy[0].daily_at = '25:00': must be a clock time 'HH:MM'"),
    ([_entry(daily_at="2:3x")], "therapy[0].daily_at = '2:3x': must be a clock time 'HH:MM'"),
    ([_entry(daily_at="12:60")], "therapy[0].daily_at = '12:60': must be a clock time"),
    ([_entry(daily_at=230)], "therapy[0].daily_at = 230: must be a string, got int"),
    ([_entry(daily_at="02:30", first_day=-1)], "therapy[0].first_day = -1: must be a value in [0, inf]"),
    ([_entry(daily_at="02:30", first_day=1.5)], "therapy[0].first_day = 1.5: must be an integer, got float"),
    ([_entry(daily_at="02:30", n_days=0)], "therapy[0].n_days = 0: must be a value in [1, inf]"),
    ([_entry(n_days=3)], "therapy[0].n_days = 3: only with daily_at"),
    ([{"drug": "chemo"}], "therapy[0]: needs at_h (dose times, h from the start of the run) or daily_at"),
    ([{"drug": "chemo", "at_h": []}], "therapy[0]: needs at_h"),
    ([_entry(at_h=[10.0, 300.0])], "therapy[0].at_h[1] = 300.0: after the end of the run; the run "
                                   "ends at 288 h (run.days = 12.0)"),
    ([_entry(at_h=[288.0])], "therapy[0].at_h[0] = 288.0: after the end of the run"),
    ([_entry(daily_at="02:30", first_day=10, n_days=5)],
     "therapy[0].daily_at = '02:30' (first_day = 10, n_days = 5): daily dose 3 of 5 at t = 290.5 h "
     "is after the end of the run; the run ends at 288 h (run.days = 12.0), so n_days can be at "
     "most 2"),
    ([_entry(daily_at="02:30", first_day=12)], "daily dose 1 of 1 at t = 290.5 h is after the end "
                                               "of the run; the run ends at 288 h (run.days = "
                                               "12.0), so lower first_day"),
    ({"drug": "chemo", "at_h": [1.0]}, "therapy = {'drug': 'chemo', 'at_h': [1.0]}: must be an "
                                       "array of tables, written [[therapy]]"),
    ([3], "therapy[0] = 3: must be a table"),
])
def test_bad_therapy_is_named_with_value_and_what_is_allowed(therapy, expected):
    with pytest.raises(ConfigError) as err:
        config_from_dict({"therapy": therapy})
    assert expected in str(err.value)


@pytest.mark.parametrize("clock, expected", [
    (24.0, "run.start_clock_h = 24.0: must be a value in [0, 24)"),
    (-1.0, "run.start_clock_h = -1.0: must be a value in [0, 24]"),
    (30, "run.start_clock_h = 30: must be a value in [0, 24]"),
])
def test_start_clock_outside_a_day_is_rejected(clock, expected):
    with pytest.raises(ConfigError) as err:
        config_from_dict({"run": {"start_clock_h": clock}})
    assert expected in str(err.value)


def test_several_therapy_problems_are_reported_together():
    with pytest.raises(ConfigError) as err:
        config_from_dict({"therapy": [_entry(drug="chemp"), _entry(at_h=[-1.0], dose=0)],
                          "drugs": {"chemo_ec50": 0.0}, "run": {"start_clock_h": 24.0}})
    message = str(err.value)
    for part in ("therapy[0].drug = 'chemp'", "therapy[1].at_h[0] = -1.0", "therapy[1].dose = 0",
                 "drugs.chemo_ec50 = 0.0"):
        assert part in message


def test_therapy_cannot_be_overridden_from_the_command_line():
    with pytest.raises(ConfigError, match=r"override 'therapy\.drug': \[\[therapy\]\] entries "
                                          "cannot be set with --set"):
        load_config(None, overrides=["therapy.drug=chemo"])
    assert load_config(None, overrides=["drugs.chemo_kill_per_h=0.1"]).drugs.chemo_kill_per_h == 0.1


def test_unknown_drug_in_the_schedule_api():
    with pytest.raises(KeyError, match="unknown drug 'chemp'; known: chemo"):
        schedule().concentration("chemp", 0.0)
