"""The command line as a user meets it: errors before output, info, params."""
from __future__ import annotations

import pytest

from abm.cli import main

from .helpers import TINY


def _set(items):
    args = []
    for item in items:
        args += ["--set", item]
    return args


@pytest.mark.parametrize("bad, message", [
    (["vessels.patern=array"], "unknown key 'vessels.patern'; did you mean 'vessels.pattern'?"),
    (["grid.nx=12.5"], "grid.nx = 12.5: must be an integer, got float"),
    (["grid.nx=3"], "grid.nx = 3: must be a value in [8, 8192] (sites)"),
    (["vessels.pattern=hexagonal"], "vessels.pattern = 'hexagonal': must be one of"),
    (["output.frame_every_min=100"], "must be a multiple of run.dt_min"),
])
def test_bad_input_exits_2_with_a_named_error_and_writes_nothing(tmp_path, capsys, bad, message):
    out = tmp_path / "never.h5"
    code = main(["run", "scenarios/quickstart.toml", "--out", str(out), *_set(TINY), *_set(bad)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_mask_of_the_wrong_shape_is_rejected_before_any_file(tmp_path, capsys):
    import numpy as np

    np.save(tmp_path / "mask.npy", np.zeros((10, 10)))
    out = tmp_path / "never.h5"
    code = main(["run", "scenarios/quickstart.toml", "--out", str(out), *_set(TINY),
                 "--set", "vessels.pattern=mask", "--set", f"vessels.mask_file={str(tmp_path / 'mask.npy')!r}"])
    assert code == 2 and "(ny, nx) = (40, 48)" in capsys.readouterr().err
    assert not out.exists()


def test_missing_scenario_and_run_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "nope.h5")]) == 1


def test_run_info_and_params(tmp_path, capsys):
    out = tmp_path / "run.h5"
    assert main(["-q", "run", "scenarios/quickstart.toml", "--out", str(out), "--seed", "9",
                 "--days", "0.25", *_set(TINY), "--no-progress"]) == 0
    assert out.exists()
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "quickstart" in text and "seed" in text and "oxygen" in text
    assert main(["params"]) == 0
    assert "uptake_per_min" in capsys.readouterr().out
