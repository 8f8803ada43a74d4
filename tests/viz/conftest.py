"""A small run with neutrophils and platelets, shared by the figure and movie tests."""
from __future__ import annotations

import pytest

from abm import load_config, run_scenario

from ..helpers import TINY

MYELOID = ["run.days=1.0", "output.frame_every_min=180.0", "chemokine.field=true",
           "il6.field=true", "tgfb.field=true", "neutrophils.enabled=true",
           "platelets.enabled=true", "neutrophils.inflammation_at_h=0.0"]
"""The tiny 48×40-site tissue for one day (a frame every 3 h) with neutrophils and platelet
aggregates, and an inflammation pulse at the start so that NETs form within the day."""


@pytest.fixture(scope="session")
def myeloid_run(tmp_path_factory):
    """Path of the run file of :data:`MYELOID` (no immune cells)."""
    path = tmp_path_factory.mktemp("myeloid") / "run.h5"
    return run_scenario(load_config(None, overrides=TINY + MYELOID, seed=3), path,
                        progress=False)
