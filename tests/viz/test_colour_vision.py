"""The colour-vision simulation (abm.viz.colour_vision) against an independent implementation
(colorspacious, Machado et al. 2009 at severity 100), and the project's colours told apart
by every dichromat by at least abm.viz.style.MIN_DELTA_E."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from abm.viz.colour_vision import VISIONS, delta_e, simulate
from abm.viz.figures import CONTOUR_COLOR
from abm.viz.style import (AGENT_STYLES, EMPTY_COLOR, MIN_DELTA_E, OKABE_ITO, PHASE_COLORS,
                           TOTAL_COLOR, TUMOUR_COLOR, VESSEL_COLOR)

colorspacious = pytest.importorskip("colorspacious")

SAMPLES = [*OKABE_ITO.values(), EMPTY_COLOR, TUMOUR_COLOR, "#FF0000", "#00FF00", "#808080"]


def _srgb(linear: np.ndarray) -> np.ndarray:
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


@pytest.mark.parametrize("vision", VISIONS[1:])
def test_the_simulation_matches_colorspacious(vision):
    rgb = np.array([to_rgb(c) for c in SAMPLES])
    reference = colorspacious.cspace_convert(
        rgb, {"name": "sRGB1+CVD", "cvd_type": vision.replace("opia", "omaly"),
              "severity": 100}, "sRGB1")
    assert np.allclose(_srgb(simulate(SAMPLES, vision)), np.clip(reference, 0, 1), atol=1e-6)


def test_delta_e_matches_colorspacious_cielab():
    rgb = np.array([to_rgb(c) for c in SAMPLES])
    reference = colorspacious.deltaE(rgb[:, None, :], rgb[None, :, :], input_space="sRGB1",
                                     uniform_space="CIELab")
    assert np.allclose(delta_e(SAMPLES), reference, atol=0.05)


def test_red_and_green_merge_for_red_green_dichromats_only():
    """The classic confusion: pure red and green are far apart in normal and tritan vision
    and much closer with protanopia and deuteranopia."""
    pair = ["#FF0000", "#00FF00"]
    normal = delta_e(pair)[0, 1]
    assert delta_e(pair, "tritanopia")[0, 1] > 0.5 * normal
    for vision in ("protanopia", "deuteranopia"):
        assert delta_e(pair, vision)[0, 1] < 0.5 * normal


def _closest(named: dict[str, str], pairs=None) -> tuple[float, str]:
    """The smallest ΔE over every vision between the ``pairs`` of labels (default: all)."""
    labels = list(named)
    pairs = pairs or list(itertools.combinations(labels, 2))
    worst = (np.inf, "")
    for vision in VISIONS:
        d = delta_e(list(named.values()), vision)
        for a, b in pairs:
            value = d[labels.index(a), labels.index(b)]
            worst = min(worst, (float(value), f"{a} vs {b} ({vision})"))
    return worst


def test_the_phase_map_colours_are_told_apart():
    """Each phase, a vessel and an empty site, pairwise, under every vision."""
    named = PHASE_COLORS | {"vessel": VESSEL_COLOR, "empty site": EMPTY_COLOR,
                            "hypoxic contour": CONTOUR_COLOR}
    value, where = _closest(named)
    assert value >= MIN_DELTA_E, where


def test_the_population_lines_are_told_apart():
    """The phases and the total (dashed as well: the style test checks the drawn lines;
    the hypoxic fraction has a panel of its own)."""
    value, where = _closest(PHASE_COLORS | {"all tumour cells": TOTAL_COLOR})
    assert value >= MIN_DELTA_E, where


def test_agents_are_told_apart_from_each_other_and_from_what_they_lie_on():
    """On the immune map agents lie on tumour cells (grey) and empty sites; they differ in
    shape too, and filled markers have a black outline (what keeps them visible on the
    phase map of a movie, where a marker can lie on a cell of its own colour)."""
    agents = {name: style.color for name, style in AGENT_STYLES.items()}
    named = agents | {"tumour cell": TUMOUR_COLOR, "empty site": EMPTY_COLOR}
    pairs = list(itertools.combinations(agents, 2)) + [
        (a, b) for a in agents for b in ("tumour cell", "empty site")] + [
        ("tumour cell", "empty site")]
    value, where = _closest(named, pairs)
    assert value >= MIN_DELTA_E, where
    assert len({style.marker for style in AGENT_STYLES.values()}) >= 4
