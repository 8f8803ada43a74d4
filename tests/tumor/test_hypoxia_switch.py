"""Hypoxia switch in culture against docs/targets.md (the in-silico version of the experiments).

G0/G1 of a culture rings after a switch (the switch synchronises the cells), so fractions are
compared as means over 24–72 h after the switch, against a normoxic control run alongside.
"""
from __future__ import annotations

import dataclasses

import pytest

from abm import load_config
from abm.culture import run_culture

PRE_CULTURE_H = 96.0  # damps the founders' synchrony (scenarios/hypoxia_switch.py)


def mean_g0g1(preset: str, level: float) -> float:
    base = load_config("scenarios/hypoxia_switch.toml")
    config = dataclasses.replace(base, intracellular=dataclasses.replace(base.intracellular, preset=preset))
    frame = run_culture(config, [(0.0, 38.0), (PRE_CULTURE_H, level)], PRE_CULTURE_H + 72.0,
                        n_cells=600, max_cells=1500)
    after = frame["time_h"] - PRE_CULTURE_H
    return float(frame.loc[(after >= 24.0) & (after <= 72.0), "g0g1_fraction"].mean())


@pytest.fixture(scope="module")
def g0g1():
    return {(preset, level): mean_g0g1(preset, level)
            for preset in ("default", "hypoxia_sensitive") for level in (38.0, 7.6, 1.52)}


@pytest.mark.calibration
def test_default_cycle_is_unaffected_at_1_percent_o2(g0g1):
    """Richards et al. 2016: the cycle is unaffected by 24–96 h at 1–8% O2 (measured: 0.453 →
    0.481 at 1% O2, +0.028)."""
    assert abs(g0g1[("default", 7.6)] - g0g1[("default", 38.0)]) < 0.05


@pytest.mark.calibration
def test_hypoxia_sensitive_preset_raises_g0g1_under_hypoxia(g0g1):
    """Schmaltz et al. 1998 (REF fibroblasts, 60.8% → 80.4% G0/G1 after 48 h, O2 not stated; we
    evaluate at 1% O2): the sensitive preset is calibrated to it. Measured (600-cell cultures,
    seed 3): 0.582 at 38 mmHg → 0.799 at 1% (+0.217) and 1.000 at 0.2% (all cells dormant);
    default +0.028 and +0.058. Tolerances: each level within 0.05 of Schmaltz's, the rise at 1%
    at least 0.15 (theirs +0.196), and more at 0.2% than at 1%."""
    normoxic = g0g1[("hypoxia_sensitive", 38.0)]
    rise_1 = g0g1[("hypoxia_sensitive", 7.6)] - normoxic
    rise_02 = g0g1[("hypoxia_sensitive", 1.52)] - normoxic
    assert abs(normoxic - 0.608) <= 0.05, normoxic
    assert abs(g0g1[("hypoxia_sensitive", 7.6)] - 0.804) <= 0.05, g0g1[("hypoxia_sensitive", 7.6)]
    assert rise_1 >= 0.15, rise_1
    assert rise_02 > rise_1 + 0.02, (rise_1, rise_02)
    assert rise_1 > g0g1[("default", 7.6)] - g0g1[("default", 38.0)] + 0.02
