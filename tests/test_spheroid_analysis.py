"""The measuring functions of scenarios/spheroid.py on synthetic frames with a known answer
(the biology is checked by running the scenario, not here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scenarios" / "spheroid.py"
DX = 10.0


@pytest.fixture(scope="module")
def sph():
    spec = importlib.util.spec_from_file_location("spheroid_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(n: int, n_necrotic: int, o2_min: float) -> pd.DataFrame:
    """n tumour cells on a row of sites, the first n_necrotic necrotic, plus one immune cell
    (not counted); the least tumour O2 is o2_min."""
    x = np.arange(n) * DX + DX / 2
    phase = ["necrotic"] * n_necrotic + ["proliferating"] * (n - n_necrotic) + ["proliferating"]
    oxygen = np.linspace(o2_min, 100.0, n).tolist() + [0.0]
    return pd.DataFrame({"kind": ["tumor"] * n + ["cd8"], "phase": phase,
                         "x": np.append(x, 0.0), "y": np.full(n + 1, 5.0), "oxygen": oxygen})


def test_one_frame_radii(sph):
    m = sph.measure_frame(_cells(100, 25, 3.0), DX)
    assert m["n_tumour"] == 100 and m["n_necrotic"] == 25
    assert m["R"] == pytest.approx(np.sqrt(100 * DX**2 / np.pi))  # 56.419 µm
    assert m["Rn"] == pytest.approx(np.sqrt(25 * DX**2 / np.pi))  # 28.209 µm
    assert m["rim"] == pytest.approx(m["R"] - m["Rn"])
    assert m["R_max"] == pytest.approx(49.5 * DX)  # ends of the row from its middle
    assert m["o2_min"] == pytest.approx(3.0)  # the immune cell's 0 does not count


def test_onset_growth_rim_and_anoxia(sph):
    # a per-frame table as measure_frames makes it: 11 frames every 12 h (days 0, 0.5, …, 5),
    # R = 100 + 20·day exactly
    days = np.arange(11) * 0.5
    radius = 100.0 + 20.0 * days
    n_tumour = np.full(11, 1000)
    n_necrotic = np.array([0, 0, 0, 0, 5, 15, 30, 40, 50, 60, 70])  # 0.5 % at day 2, 1.5 % at 2.5
    rim = np.array([0, 0, 0, 0, 0, 0, 0, 50, 52, 48, 50], float)  # last third: days ≥ 10/3
    o2 = np.array([50, 20, 5, 0.5, 0.2, 0.05, 0.01, 0.0, 0.0, 0.0, 0.0])  # < 0.1 first at day 2.5
    table = pd.DataFrame({"n_tumour": n_tumour, "n_necrotic": n_necrotic, "R": radius,
                          "R_max": radius, "Rn": radius - rim, "rim": rim, "o2_min": o2},
                         index=pd.Index(days, name="day"))
    n = sph.spheroid_numbers(table)
    # 1 % is halfway between 0.5 % (day 2.0) and 1.5 % (day 2.5): day 2.25, R = 145
    assert n["onset_day"] == pytest.approx(2.25)
    assert n["onset_R"] == pytest.approx(145.0)
    # fit over the frames after day 2.25 (days 2.5 … 5: 6 frames), exact line
    assert n["speed_frames"] == 6
    assert n["speed"] == pytest.approx(20.0)
    assert n["speed_intercept"] == pytest.approx(100.0)
    assert n["speed_r2"] == pytest.approx(1.0)
    # last third of 0–5 days: days ≥ 3.333 → days 3.5, 4, 4.5, 5: rims 50, 52, 48, 50
    assert n["rim_mean"] == pytest.approx(50.0)
    assert n["rim_sd"] == pytest.approx(np.sqrt(8.0 / 3.0))  # sample SD: Σ(dev²) = 8 over n − 1 = 3
    assert n["anoxia_day"] == pytest.approx(2.5)
    assert n["anoxia_R"] == pytest.approx(150.0)
    assert n["anoxia_R_before"] == pytest.approx(140.0)


def test_fit_r2_and_crossing_edge_cases(sph):
    slope, intercept, r2 = sph.linear_fit([0, 1, 2, 3], [0, 1, 1, 3])
    assert slope == pytest.approx(0.9) and intercept == pytest.approx(-0.1)
    # residuals 0.1, 0.2, −0.7, 0.4: SS_res = 0.70; deviations from 1.25: SS_tot = 4.75
    assert r2 == pytest.approx(1 - 0.70 / 4.75)
    assert np.isnan(sph.crossing([0, 1, 2], [0, 0, 0], 0.01))
    assert sph.crossing([0, 1, 2], [0.5, 1, 1], 0.01) == 0.0


def test_measure_frames_indexes_by_day(sph):
    frames = [(0.0, _cells(10, 0, 40.0)), (720.0, _cells(40, 4, 0.05))]
    m = sph.measure_frames(frames, DX)
    assert list(m.index) == [0.0, 0.5]
    assert m["R"].iloc[1] == pytest.approx(np.sqrt(40 * DX**2 / np.pi))
    assert m["Rn"].iloc[0] == 0.0


def test_radial_profile_of_a_cone(sph):
    x = y = np.arange(0.0, 200.0, DX) + DX / 2
    centre = (100.0, 100.0)
    field = np.hypot(x[None, :] - centre[0], y[:, None] - centre[1])  # value = distance
    r, mean = sph.radial_profile(field, x, y, centre, DX, 90.0)
    good = np.isfinite(mean)
    assert good.sum() >= 8
    assert np.all(np.abs(mean[good] - r[good]) <= DX / 2)  # each ring's mean distance lies in it
