"""The calibration's figures are print-ready: journal width, within the page depth, text
>= 6 pt, nothing cut, no legend over data (abm.viz.journal.layout_problems), for the shipped
Schmaltz calibration (three log-uniform priors, two targets) and a one-parameter one."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.study.calibrate_spec import load_calibration_spec
from abm.study.calibration_plots import posterior_figure, predictive_figure
from abm.viz.journal import MAX_HEIGHT_INCHES, WIDTHS, layout_problems, width_inches

SPEC = Path(__file__).resolve().parents[2] / "scenarios" / "calibrate_schmaltz.toml"


def _posterior(spec, n=60):
    """``n`` weighted particles drawn log-uniformly inside each prior, and their summary
    (credible interval, the scenario's own value): layout, not numbers, is under test."""
    rng = np.random.default_rng(5)
    particles = pd.DataFrame({p.key: np.exp(rng.uniform(np.log(p.lo), np.log(p.hi), n))
                              for p in spec.priors})
    summary = pd.DataFrame({"ci_lo": [p.lo * 1.2 for p in spec.priors],
                            "ci_hi": [p.hi / 1.2 for p in spec.priors],
                            "scenario_value": [np.sqrt(p.lo * p.hi) for p in spec.priors]},
                           index=[p.key for p in spec.priors])
    return particles.assign(weight=rng.uniform(0.1, 1.0, n)), summary


def _check(fig):
    width, height = fig.get_size_inches()
    assert any(width == pytest.approx(width_inches(w)) for w in WIDTHS)
    assert height <= MAX_HEIGHT_INCHES
    assert layout_problems(fig) == []


@pytest.mark.parametrize("n_priors", [1, 3])
def test_posterior_figure_is_print_ready(n_priors):
    spec = load_calibration_spec(SPEC)
    spec = dataclasses.replace(spec, priors=spec.priors[:n_priors])
    _check(posterior_figure(spec, *_posterior(spec)))


@pytest.mark.parametrize("n_targets", [1, 2])
def test_predictive_figure_is_print_ready(n_targets):
    spec = load_calibration_spec(SPEC)
    spec = dataclasses.replace(spec, observations=spec.observations.iloc[:n_targets])
    rng = np.random.default_rng(7)
    predictive = pd.DataFrame({m: rng.normal(0.7, 0.05, 20) for m in spec.metrics})
    _check(predictive_figure(spec, predictive))
