"""The two figures of a calibration (``abm calibrate``), print-ready at journal widths
(:mod:`abm.viz.journal`): the posterior (marginals and pairs, each axis spanning its prior)
and the posterior predictive check (each target's observation against the simulated draws).
Both are built on a bare :class:`~matplotlib.figure.Figure` (no pyplot state) and return it;
the caller saves it."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.viz.journal import MAX_HEIGHT_INCHES, TITLE_INCHES, journal_style, width_inches
from abm.viz.style import OKABE_ITO

POSTERIOR_COLOR = OKABE_ITO["blue"]
SCENARIO_COLOR = OKABE_ITO["vermillion"]
OBSERVED_COLOR = OKABE_ITO["black"]
PANEL_INCHES = 1.7
"""Height of one target's (or one parameter's) panel (in; design choice: up to four
parameters in a square grid fit Nature's page depth at two-column width)."""


def predictive_figure(spec, predictive: pd.DataFrame) -> Figure:
    """One panel per target of ``spec`` (a :class:`abm.study.calibrate_spec.CalibrationSpec`):
    the observation ± its sd and the simulated metric of each posterior draw (rows of
    ``predictive``), jittered; the key to the right of the panels."""
    metrics = spec.metrics
    width = "single" if len(metrics) == 1 else "double"
    with journal_style():
        fig = Figure(figsize=(width_inches(width), PANEL_INCHES + TITLE_INCHES),
                     layout="constrained")
        axes = fig.subplots(1, len(metrics) + 1, squeeze=False,
                            width_ratios=[1.0] * len(metrics) + [0.8])[0]
        jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(predictive))
        for ax, metric in zip(axes, metrics):
            obs = spec.observations.loc[metric]
            ax.errorbar([0], [obs.value], yerr=[obs.sd], fmt="o", color=OBSERVED_COLOR,
                        capsize=2)
            ax.plot(1 + jitter, predictive[metric], "o", color=POSTERIOR_COLOR, alpha=0.6)
            ax.set_xticks([0, 1], ["observed", "simulated"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_title(metric)
        key = axes[-1]
        key.axis("off")
        key.legend([Line2D([], [], marker="o", color=OBSERVED_COLOR),
                    Line2D([], [], marker="o", ls="none", color=POSTERIOR_COLOR)],
                   ["observed ± sd", "posterior draws"], loc="center left")
        fig.suptitle(f"{spec.name}: posterior predictive ({len(predictive)} draws)")
    return fig


def posterior_figure(spec, posterior: pd.DataFrame, summary: pd.DataFrame) -> Figure:
    """Marginals (weighted histograms, the 90 % credible interval shaded) on the diagonal,
    the particles of every pair below it (area ∝ weight), each axis spanning its prior (log
    for a log-uniform one); the scenario's own value of each key marked; the key in the empty
    upper-right panel (beside the single panel of a one-parameter calibration)."""
    priors, n = spec.priors, len(spec.priors)
    weights = posterior["weight"].to_numpy(float)
    width = "single" if n <= 2 else "double"
    side = min(width_inches(width) / max(n, 2), (MAX_HEIGHT_INCHES - TITLE_INCHES) / n)
    with journal_style():
        fig = Figure(figsize=(width_inches(width), side * n + TITLE_INCHES),
                     layout="constrained")
        axes = fig.subplots(n, max(n, 2), squeeze=False)
        for i, pi in enumerate(priors):
            for j, pj in enumerate(priors):
                ax = axes[i][j]
                if j > i:
                    ax.set_axis_off()
                    continue
                _pair_panel(ax, posterior, summary, weights, pi, pj, diagonal=i == j)
                if j == 0 and i != j:
                    ax.set_ylabel(pi.key)
                if i == n - 1:
                    ax.set_xlabel(pj.key)
        key = axes[0][-1]
        key.set_axis_off()
        key.legend([Patch(color=POSTERIOR_COLOR, alpha=0.7),
                    Patch(color=POSTERIOR_COLOR, alpha=0.15),
                    Line2D([], [], color=SCENARIO_COLOR, ls="--", marker="*")],
                   ["posterior (weighted)", "90 % credible interval", "scenario value"],
                   loc="upper right")
        fig.suptitle(f"{spec.name}: posterior ({len(posterior)} particles)")
    return fig


def _pair_panel(ax, posterior, summary, weights, pi, pj, *, diagonal: bool) -> None:
    """The marginal of prior ``pi`` (``diagonal``) or the particles of ``pj`` (x) against
    ``pi`` (y), with the scenario's own values."""
    ax.set_xscale("log" if pj.kind == "loguniform" else "linear")
    ax.set_xlim(pj.lo, pj.hi)
    own_x = summary.loc[pj.key, "scenario_value"]
    if diagonal:
        edges = (np.geomspace if pi.kind == "loguniform" else np.linspace)(pi.lo, pi.hi, 16)
        ax.hist(posterior[pi.key], bins=edges, weights=weights, color=POSTERIOR_COLOR,
                alpha=0.7)
        ax.axvspan(summary.loc[pi.key, "ci_lo"], summary.loc[pi.key, "ci_hi"],
                   color=POSTERIOR_COLOR, alpha=0.15, lw=0)
        if math.isfinite(own_x):
            ax.axvline(own_x, color=SCENARIO_COLOR, ls="--")
        ax.set_yticks([])
    else:
        ax.set_yscale("log" if pi.kind == "loguniform" else "linear")
        ax.set_ylim(pi.lo, pi.hi)
        ax.scatter(posterior[pj.key], posterior[pi.key], s=100 * weights / weights.max(),
                   color=POSTERIOR_COLOR, alpha=0.6, lw=0)
        ax.plot([own_x], [summary.loc[pi.key, "scenario_value"]], "*", color=SCENARIO_COLOR,
                ms=6)
        _prior_ticks(ax.yaxis, pi)
    _prior_ticks(ax.xaxis, pj)


def _prior_ticks(axis, prior) -> None:
    """Three ticks across the prior, plain numbers (log-spaced for a log-uniform prior)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ticks = (np.geomspace if prior.kind == "loguniform" else np.linspace)(prior.lo, prior.hi, 3)
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_ticklabels([f"{t:.3g}" for t in ticks])
