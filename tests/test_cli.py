"""The command line as a user meets it: errors before output, never an overwrite unless
asked, no partial output, one message and an exit code per error, info, params."""
from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

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
    assert "config: grid 40 × 48 sites" in text and "0.25 days" in text and "status complete" in text
    assert "n_tumor=" in text  # populations: the last time-series row
    assert main(["info", "--config", str(out)]) == 0
    stored = capsys.readouterr().out
    assert "[grid]" in stored and "nx = 48" in stored
    assert main(["params"]) == 0
    assert "uptake_per_min" in capsys.readouterr().out


# ---------------------------------------------------------------------------- outputs
def _tiny_run(out, *extra):
    return main(["-q", "run", "scenarios/quickstart.toml", "--out", str(out), "--days", "0.25",
                 *_set(TINY), "--no-progress", *extra])


def test_run_never_overwrites_unless_asked(tmp_path, capsys):
    out = tmp_path / "run.h5"
    assert _tiny_run(out, "--seed", "1") == 0
    first = out.read_bytes()
    capsys.readouterr()
    assert _tiny_run(out, "--seed", "2") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --overwrite" in err and str(out) in err
    assert out.read_bytes() == first
    assert _tiny_run(out, "--seed", "2", "--overwrite") == 0
    from abm import load_run

    with load_run(out) as run:
        assert run.seed == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]


def test_run_refuses_an_existing_figure_or_parts_folder(tmp_path, capsys):
    out = tmp_path / "run.h5"
    figure = tmp_path / "run.png"
    figure.write_bytes(b"the comparison figure of a scenario script")
    assert _tiny_run(out, "--set", "output.figure=true") == 2
    assert "summary figure" in capsys.readouterr().err
    assert figure.read_bytes() == b"the comparison figure of a scenario script"
    assert not out.exists()
    figure.unlink()
    parts = tmp_path / "run.h5.parts"
    parts.mkdir()
    (parts / "frames-000.h5").write_bytes(b"x")
    assert _tiny_run(out) == 2
    assert "run.h5.parts' exists" in capsys.readouterr().err and not out.exists()
    assert _tiny_run(out, "--overwrite") == 0
    assert out.exists() and not parts.exists()


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_run_never_replaces_a_file_it_did_not_write(tmp_path, capsys, overwrite):
    scenario = tmp_path / "my.toml"
    text = "[run]\ndays = 0.25\n"
    scenario.write_text(text)
    foreign = tmp_path / "data.h5"
    import h5py

    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2, 3]
    before = foreign.read_bytes()
    for out in (scenario, foreign):
        assert main(["run", str(scenario), "--out", str(out), *overwrite]) == 2
        assert "is not a file abm wrote" in capsys.readouterr().err
    assert scenario.read_text() == text and foreign.read_bytes() == before


def test_output_path_template_fields_and_folder(tmp_path, monkeypatch):
    from abm.schema import load_config
    from abm.runner import output_path

    config = load_config(None, overrides=['output.path="runs/{name}_s{seed}.h5"', "name=q"],
                         seed=7)
    assert output_path(config) == Path("runs/q_s7.h5")
    assert output_path(config, tmp_path / "x.h5") == tmp_path / "x.h5"  # --out: anywhere


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run.h5"
    assert _tiny_run(out) == 0
    return out


def test_plot_refuses_an_existing_file_and_a_full_disk_leaves_nothing(run_file, tmp_path,
                                                                      capsys, monkeypatch):
    figure = tmp_path / "fig.png"
    figure.write_bytes(b"old figure")
    plot = ["plot", str(run_file), "-o", str(figure), "--kind", "populations"]
    assert main(plot) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert figure.read_bytes() == b"old figure"

    from matplotlib.figure import Figure

    def full_disk(self, fname, **kwargs):
        with open(fname, "wb") as f:  # half a figure, then the disk is full
            f.write(b"\x89PNG partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(fname))

    monkeypatch.setattr(Figure, "savefig", full_disk)
    assert main([*plot, "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("abm: error: disk full writing") and "Traceback" not in err
    assert figure.read_bytes() == b"old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    monkeypatch.undo()
    assert main([*plot, "--overwrite"]) == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_movie_refuses_an_existing_file_and_reports_an_encoder_failure(run_file, tmp_path,
                                                                       capsys):
    import matplotlib as mpl

    run = run_file
    movie = tmp_path / "m.gif"
    movie.write_bytes(b"old movie")
    assert main(["movie", str(run), "-o", str(movie), "--no-progress"]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert movie.read_bytes() == b"old movie"
    encoder = tmp_path / "bin" / "ffmpeg"
    encoder.parent.mkdir()
    encoder.write_text('#!/bin/sh\necho "no libx264" >&2\nexit 3\n')
    encoder.chmod(0o755)
    with mpl.rc_context({"animation.ffmpeg_path": str(encoder)}):
        code = main(["movie", str(run), "-o", str(tmp_path / "m.mp4"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "no libx264" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "m.gif"]


def test_keyboard_interrupt_is_one_line_and_exit_130(monkeypatch, capsys):
    import abm.runner
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(abm.runner, "run_scenario", interrupted)
    assert main(["run", "scenarios/quickstart.toml"]) == 130
    assert capsys.readouterr().err == "abm: interrupted\n"


def test_user_errors_from_a_subprocess_are_one_line(tmp_path):
    """As a user meets it: the console entry point, exit code 2, one line, nothing written."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "../../escaped"\n[grid]\nnx = 1e308\n[output]\n'
                        'path = "{name.__class__}"\n')
    result = subprocess.run([sys.executable, "-m", "abm", "run", str(scenario)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("abm: error: invalid config:\n")
    for key in ("name = '../../escaped'", "grid.nx = 1e+308", "output.path"):
        assert key in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# ---------------------------------------------------------------------------- memory
@pytest.mark.slow
def test_memory_estimate_is_within_a_factor_two_of_a_run(tmp_path):
    """Peak RSS of a real run (a subprocess: imports, compiled kernels, a 120² lattice half
    full of tumour cells, its frames written) against the estimate from its config."""
    from abm.schema import load_config
    from abm.memory import estimate_peak_bytes

    overrides = [*TINY, "grid.nx=120", "grid.ny=120", "tumor.radius_um=900.0", "run.days=0.125"]
    estimate = estimate_peak_bytes(load_config("scenarios/quickstart.toml", overrides=overrides))
    code = ("import sys; from abm.cli import main; main(sys.argv[1:]); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    result = subprocess.run([sys.executable, "-c", code, "-q", "run", "scenarios/quickstart.toml",
                             "--out", str(tmp_path / "r.h5"), "--no-progress", *_set(overrides)],
                            capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    peak = int(result.stdout.split()[-2]) * 1024
    assert 0.5 < estimate / peak < 2.0, (estimate, peak)


def test_memory_limit_refuses_before_anything_is_built(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ABM_MAX_MEMORY_GB", "0.1")
    out = tmp_path / "run.h5"
    assert _tiny_run(out) == 2
    err = capsys.readouterr().err
    assert "above the limit of 0.10 GB (ABM_MAX_MEMORY_GB=0.1)" in err and not out.exists()
    assert _tiny_run(out, "--max-memory-gb", "64") == 0  # the option wins over the variable


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device", "outputs/run.h5"),
    OSError("Can't write data (file write failed: errno = 28, error message = 'No space left "
            "on device')"),  # as h5py reports it: no errno attribute
])
def test_a_full_disk_is_one_message_and_exit_1(monkeypatch, capsys, error):
    import abm.runner
    def full(*args, **kwargs):
        raise error

    monkeypatch.setattr(abm.runner, "run_scenario", full)
    assert main(["run", "scenarios/quickstart.toml"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("abm: error: disk full writing ") and err.count("\n") == 1


def test_overwrite_replaces_an_empty_file_left_by_a_killed_writer(tmp_path, capsys):
    out = tmp_path / "run.h5"
    out.touch()
    assert _tiny_run(out) == 2 and "exists; pass --overwrite" in capsys.readouterr().err
    assert _tiny_run(out, "--overwrite") == 0
    from abm.io.outputs import is_run_file

    assert is_run_file(out)
