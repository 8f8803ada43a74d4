"""Run files of every schema version ever written stay readable (tests/resources/)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from abm import load_run
from abm.schema import config_from_toml

RESOURCES = sorted((Path(__file__).resolve().parents[1] / "resources").glob("run_v*.h5"))


def test_a_file_of_the_current_version_is_kept():
    from abm.io import SCHEMA_VERSION

    assert any(p.name == f"run_v{SCHEMA_VERSION}.h5" for p in RESOURCES)


@pytest.mark.parametrize("path", RESOURCES, ids=lambda p: p.name)
def test_legacy_run_files_read_completely(path):
    with load_run(path) as run:
        config = config_from_toml(run.config_toml)
        assert run.n_frames >= 2 and run.attrs["status"] == "complete"
        assert run.field("oxygen", -1).shape == (config.grid.ny, config.grid.nx)
        cells = run.cells()
        assert cells.index.names == ["frame", "cell_id"]
        assert len(cells) == int(np.sum(run.cell_counts()))
        assert len(run.timeseries) == round(config.run.days * 1440 / config.run.dt_min) + 1
        assert run.summary()
        if run.schema_version == 1 and "config_version" not in run.config:
            # Version-1 configs predate [cells]: the migration restores what actually ran.
            assert config.cells.program == "placeholder"
            assert config.cells.division_radius == run.config["cycle"]["division_radius"]
            assert not config.glucose.field  # and there was no glucose field


@pytest.mark.parametrize("path", RESOURCES, ids=lambda p: p.name)
def test_legacy_run_files_get_a_summary_figure(path, tmp_path):
    """Files without a glucose field get the panels they have data for."""
    from abm.viz import summary_figure

    out = summary_figure(path, tmp_path / "summary.png")
    assert out.stat().st_size > 20_000
