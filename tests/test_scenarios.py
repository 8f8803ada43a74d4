"""Every shipped scenario runs end to end as a user would run it (slow: `pytest -m slow`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from abm import load_run

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(args, tmp_path):
    env = dict(os.environ, MPLBACKEND="agg")
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_quickstart_writes_a_run_and_a_figure(tmp_path):
    out = tmp_path / "quickstart.h5"
    _run(["-m", "abm", "run", "scenarios/quickstart.toml", "--out", str(out), "--no-progress"], tmp_path)
    assert out.with_suffix(".png").stat().st_size > 50_000
    with load_run(out) as run:
        series = run.timeseries
        assert series["n_tumor"].iloc[-1] >= 10_000  # issue #2: ≥ 10,000 cells in 10–14 days
        assert series["hypoxic_fraction"].iloc[-1] > 0.3
        assert series["n_dormant"].iloc[-1] > 0 and series["n_proliferating"].iloc[-1] > 0
        # targets.md: proliferating rim → dormant hypoxic layer → necrosis where energy fails
        # (glucose and O2 both low), in that order from the edge inwards.
        assert series["n_necrotic"].iloc[-1] > 0
        cells = run.cells()
        assert cells["glucose"].min() < 0.7 and "glucose" in run.field_names
        r = np.hypot(cells["x"] - cells["x"].mean(), cells["y"] - cells["y"].mean())
        radius = {p: r[cells["phase"] == p].median()
                  for p in ("proliferating", "dormant", "necrotic")}
        assert radius["proliferating"] > radius["dormant"] > radius["necrotic"], radius


def test_hypoxia_switch_writes_cultures_and_a_figure(tmp_path):
    out = tmp_path / "hypoxia_switch.h5"
    _run(["scenarios/hypoxia_switch.py", "--levels", "7.6", "--hours", "24", "--out", str(out)], tmp_path)
    assert out.with_suffix(".png").stat().st_size > 20_000
    with h5py.File(out, "r") as f:
        assert set(f) == {"default", "hypoxia_sensitive"}
        assert {"38mmHg", "7.6mmHg"} <= set(f["default"])
        assert f["default/7.6mmHg/g0g1_fraction"].shape[0] > 100
