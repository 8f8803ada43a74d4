"""The kill statistics' bookkeeping (abm/immune/analysis.py) on hand-made event tables whose
answers are counted by hand."""
import numpy as np
import pandas as pd

from abm.immune.analysis import _hits_and_cooperation, _kills_per_cell, _top_share
from abm.tumor.cells import CD8, NK


def test_hits_per_kill_count_only_hits_since_the_last_recovery_and_cooperation_needs_two_cells():
    # target 1: hit by cell 10 twice, recovered at t = 60, then 3 hits by 10 and 11 → killed;
    # target 2: 3 hits by cell 12 alone (one of them in the step of its recovery at t = 30,
    # which comes before the step's hits) → killed.
    hits = pd.DataFrame({
        "time_min": [6.0, 12.0, 66.0, 72.0, 72.0, 30.0, 36.0, 42.0],
        "immune_id": [10, 10, 10, 11, 10, 12, 12, 12],
        "target_id": [1, 1, 1, 1, 1, 2, 2, 2],
        "hits": [1, 1, 1, 1, 1, 1, 1, 1]})
    recoveries = pd.DataFrame({"time_min": [60.0, 30.0], "cell_id": [1, 2]})
    kills = pd.DataFrame({"time_min": [72.0, 42.0], "target_id": [1, 2]})
    per_kill, cooperative = _hits_and_cooperation(kills, hits, recoveries)
    assert per_kill == 3.0 and cooperative == 0.5


def test_kills_per_cell_keep_cells_that_stayed_long_enough():
    frames = pd.DataFrame({"time_min": [0.0, 360.0, 720.0, 360.0, 720.0, 720.0],
                           "id": [1, 1, 1, 2, 2, 3], "kind": [NK, NK, NK, NK, NK, CD8],
                           "birth_min": [0.0, 0.0, 0.0, 300.0, 300.0, 0.0]})
    kills = pd.DataFrame({"immune_id": [1, 1, 2, 3], "immune_kind": [NK, NK, NK, CD8]})
    assert list(_kills_per_cell(frames, kills, NK, 720.0, 720.0)) == [2]  # cell 2 stayed 7 h
    assert sorted(_kills_per_cell(frames, kills, NK, 720.0, 0.0)) == [1, 2]


def test_top_share():
    assert _top_share(np.array([0, 0, 0, 0, 10, 0, 0, 0, 0, 5]), 0.2) == 1.0
    assert _top_share(np.array([1, 1, 1, 1, 1]), 0.2) == 0.2
    assert np.isnan(_top_share(np.zeros(3, dtype=int), 0.2))
