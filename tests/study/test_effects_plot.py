"""The study's effects plot is print-ready: two-column journal width, within the page depth,
text >= 6 pt, nothing cut, no legend over data (abm.viz.journal.layout_problems), for the
shipped factorial study (a ranged and a listed-values parameter, five metrics)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.study import load_study_spec
from abm.study.plots import effects_figure
from abm.study.status import DONE
from abm.viz.journal import MAX_HEIGHT_INCHES, layout_problems, width_inches

STUDY = Path(__file__).resolve().parents[2] / "scenarios" / "study_dormancy.toml"


def _summary(spec) -> pd.DataFrame:
    """A finished study's summary: every design point of ``spec`` twice, metrics drawn at
    random (the plot's layout, not its numbers, is under test)."""
    rng = np.random.default_rng(3)
    ranged, listed = spec.parameters
    rows = []
    for point, (density, preset) in enumerate(
            (d, v) for d in np.linspace(*ranged.range, 3) for v in listed.values):
        for _ in range(spec.replicates):
            rows.append({"status": DONE, "point": point, ranged.key: density,
                         listed.key: preset} | {m: rng.uniform(0, 1000) for m in spec.metrics})
    return pd.DataFrame(rows)


def test_effects_plot_is_print_ready():
    spec = load_study_spec(STUDY)
    fig = effects_figure(spec, _summary(spec))
    width, height = fig.get_size_inches()
    assert width == width_inches("double")
    assert height <= MAX_HEIGHT_INCHES
    assert layout_problems(fig) == []
    assert fig.legends or any(ax.get_legend() for ax in fig.axes)  # the presets' key is drawn
