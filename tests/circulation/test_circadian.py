"""The circadian clock (abm/circadian.py) against its definitions."""
import dataclasses

import numpy as np
import pytest

from abm.circulation.circadian import CircadianClock
from abm.schema import load_config

SECTION = load_config(None).circadian
DAY_MIN = 1440.0


def _clock(start=0.0, **changes):
    return CircadianClock(dataclasses.replace(SECTION, **changes), start)


def test_hormones_peak_where_documented_and_the_factor_averages_one():
    clock = _clock()
    t = np.arange(0.0, DAY_MIN, 1.0)
    h = clock.hormones(t)
    rest_end = SECTION.rest_onset_h + SECTION.rest_duration_h
    peaks = {name: t[np.argmax(v)] / 60.0 for name, v in h.items()}
    assert peaks["melatonin"] == pytest.approx(3.0, abs=1 / 60)  # mid-rest of 23:00–07:00
    assert peaks["glucocorticoid"] == pytest.approx((rest_end + 0.5) % 24, abs=1 / 60)
    assert peaks["sex_hormone"] == pytest.approx(rest_end % 24, abs=1 / 60)
    assert np.mean(clock.shedding_factor(t)) == pytest.approx(1.0, rel=1e-3)
    resting = clock.resting(t)
    assert resting[t / 60 < 7.0].all() and not resting[(t / 60 >= 7.0) & (t / 60 < 23.0)].any()
    # the rhythm the shedding calibration rests on: high at 04:00, low at 10:00
    f4, f10 = clock.shedding_factor(np.array([4.0, 10.0]) * 60.0)
    assert f4 > 2.5 * f10


def test_the_start_clock_and_the_mouse_phase():
    clock = _clock(start=8.0, rest_onset_h=7.0, rest_duration_h=12.0)
    assert clock.external_clock_h(0.0) == pytest.approx(8.0)
    assert clock.internal_clock_h(26 * 60.0) == pytest.approx(10.0)
    assert clock.resting(0.0) and not clock.resting(12 * 60.0)  # mice rest in the light


def test_jet_lag_shifts_the_room_and_the_body_catches_up_at_its_speed():
    """A +6 h shift at 48 h: the room's clock jumps by 6 h, the body's does not, then closes
    the gap at 1 h per day, so it is in phase again 6 days later."""
    clock = _clock(jet_lag_at_h=48.0, jet_lag_shift_h=6.0, reentrain_h_per_day=1.0)
    before, after = 47.9 * 60, 48.1 * 60
    jump = (clock.external_clock_h(after) - clock.external_clock_h(before)) % 24
    assert jump == pytest.approx(6.2, abs=1e-9)
    body = (clock.internal_clock_h(after) - clock.internal_clock_h(before)) % 24
    assert body == pytest.approx(0.2 + 0.1 / 24)  # re-entrainment starts at once
    lag = (clock.external_clock_h(48 * 60 + 3 * DAY_MIN)
           - clock.internal_clock_h(48 * 60 + 3 * DAY_MIN)) % 24
    assert lag == pytest.approx(3.0)
    t_late = 48 * 60 + 6.5 * DAY_MIN
    assert clock.internal_clock_h(t_late) == pytest.approx(clock.external_clock_h(t_late))


def test_constant_darkness_free_runs_and_constant_light_suppresses_melatonin():
    dark = _clock(light="constant_dark")
    ten_days = 10 * DAY_MIN
    drift = (dark.external_clock_h(ten_days) - dark.internal_clock_h(ten_days)) % 24
    assert drift == pytest.approx(240 * (1 - 24 / SECTION.free_running_period_h))
    light = _clock(light="constant_light")
    t = np.arange(0.0, DAY_MIN, 5.0)
    assert light.hormones(t)["melatonin"].max() == pytest.approx(SECTION.constant_light_melatonin,
                                                                 rel=1e-3)
    normal = _clock()
    assert np.ptp(light.shedding_factor(t)) < 0.8 * np.ptp(normal.shedding_factor(t))
    assert light.shedding_factor(t).mean() < normal.shedding_factor(t).mean()
