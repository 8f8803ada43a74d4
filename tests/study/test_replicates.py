"""Replicate runs of a scenario's arms (abm.study.replicates, issue 19): the engines of a study
give the same runs, the summary reads back with abm.load_study as tidy data, outputs are never
replaced unless asked, a killed set continues with --reuse, failures are listed."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import load_config, load_run, load_study
from abm.errors import UserError
from abm.schema import to_toml
from abm.study.arms import arm_configs
from abm.study.engines import open_engine
from abm.study.replicates import (RunsFailed, replicate_path, replicates_from_command_line,
                                  run_replicates, summary_paths)
from abm.study.spec import StudyError, read_cluster_file

from ..helpers import SLURM_CLUSTER, TINY, assert_same_run

ROOT = Path(__file__).resolve().parents[2]
ARMS = {"control": None, "lean": {"therapy": None, "set": {"oxygen.vessel_mmHg": 12.0}}}
"""Two arms of the tiny scenario; the second has less O2 in its vessels (more hypoxic cells)."""
COMPARED = ["arm", "seed", "status", "file", "n_tumor", "n_viable", "dormant_fraction",
            "hypoxic_fraction"]
"""Summary columns that must agree between engines (all but the wall time)."""


def _tiny_scenario(tmp: Path) -> Path:
    """The quickstart with the TINY overrides, as a scenario file of its own."""
    path = tmp / "tiny.toml"
    path.write_text(to_toml(load_config(ROOT / "scenarios/quickstart.toml", overrides=TINY)))
    return path


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """The two arms × seeds 1, 2 run one after another in this process."""
    tmp = tmp_path_factory.mktemp("replicates")
    scenario = _tiny_scenario(tmp)
    out = tmp / "serial" / "tiny.h5"
    out.parent.mkdir()
    paths = run_replicates(arm_configs(scenario, ARMS), [1, 2], out, text=scenario.read_text())
    return scenario, out, paths


def test_replicates_write_runs_and_a_tidy_summary(in_process):
    scenario, out, paths = in_process
    assert {arm: sorted(p) for arm, p in paths.items()} == {"control": [1, 2], "lean": [1, 2]}
    assert paths["lean"][2] == out.with_name("tiny_lean_seed2.h5") == replicate_path(out, "lean", 2)
    study = load_study(summary_paths(out)[1])
    summary = study.summary
    assert list(summary["arm"]) == ["control", "control", "lean", "lean"]
    assert list(summary["seed"]) == [1, 2, 1, 2]
    assert (summary["status"] == "done").all()
    assert study.study_toml == scenario.read_text()
    # each row is its run file's end state, and the arm changed what it should
    for run, row in summary.iterrows():
        with load_run(study.run_file(run)) as opened:
            end = opened.timeseries.iloc[-1]
            assert opened.seed == row["seed"]
        assert row["n_tumor"] == end["n_tumor"]
        assert row["hypoxic_fraction"] == pytest.approx(end["hypoxic_fraction"])
    by_arm = summary.groupby("arm")["hypoxic_fraction"].mean()
    assert by_arm["lean"] > by_arm["control"]
    # the CSV holds the same rows
    csv = pd.read_csv(summary_paths(out)[0], index_col="run")
    pd.testing.assert_frame_equal(csv[COMPARED], summary[COMPARED], check_dtype=False)


def test_timeseries_is_tidy_and_gives_the_replicate_spread(in_process):
    _, out, paths = in_process
    tidy = load_study(summary_paths(out)[1]).timeseries(["n_tumor", "hypoxic_fraction"])
    assert list(tidy.columns[:5]) == ["run", "arm", "seed", "time_min", "time_d"]
    frames = {}
    for arm, per_seed in paths.items():
        for seed, path in per_seed.items():
            with load_run(path) as run:
                frames[(arm, seed)] = run.timeseries["n_tumor"].to_numpy()
    assert len(tidy) == sum(len(v) for v in frames.values())
    spread = tidy.groupby(["arm", "time_d"])["n_tumor"].agg(["mean", "std"])
    control = np.vstack([frames[("control", 1)], frames[("control", 2)]])
    assert np.allclose(spread.loc["control", "mean"].to_numpy(), control.mean(axis=0))
    assert np.allclose(spread.loc["control", "std"].to_numpy(), control.std(axis=0, ddof=1))


def test_local_workers_and_dask_give_the_same_runs(in_process, tmp_path):
    scenario, serial_out, _ = in_process
    serial = load_study(summary_paths(serial_out)[1]).summary
    engines = [("workers", {"workers": 2})]
    if _has("distributed"):
        import distributed
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        engines.append(("dask", {"dask": cluster.scheduler_address}))
    try:
        for name, options in engines:
            out = tmp_path / name / "tiny.h5"
            out.parent.mkdir()
            with open_engine(**options) as executor:
                run_replicates(arm_configs(scenario, ARMS), [1, 2], out, executor=executor)
            summary = load_study(summary_paths(out)[1]).summary
            pd.testing.assert_frame_equal(summary[COMPARED], serial[COMPARED], check_dtype=False)
            assert_same_run(replicate_path(out, "lean", 2), replicate_path(serial_out, "lean", 2))
    finally:
        if len(engines) > 1:
            cluster.close()


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_outputs_are_kept_unless_asked_and_reuse_runs_only_what_is_missing(in_process,
                                                                           tmp_path):
    scenario = in_process[0]
    out = tmp_path / "tiny.h5"
    configs = arm_configs(scenario, {"control": None})
    run_replicates(configs, [1], out)
    before = replicate_path(out, "control", 1).stat().st_mtime_ns
    with pytest.raises(UserError, match="tiny_control_seed1.h5"):
        run_replicates(configs, [1, 2], out)
    assert not replicate_path(out, "control", 2).exists()  # refused before anything ran
    # --reuse keeps runs but replaces no summary (or figure) without --overwrite
    with pytest.raises(UserError, match=r"tiny_summary.csv' exists; pass --overwrite"):
        run_replicates(configs, [1, 2], out, reuse=True)
    assert not replicate_path(out, "control", 2).exists()
    paths = run_replicates(configs, [1, 2], out, reuse=True, overwrite=True)
    assert sorted(paths["control"]) == [1, 2]
    assert replicate_path(out, "control", 1).stat().st_mtime_ns == before  # kept, not rerun
    summary = load_study(summary_paths(out)[1]).summary
    assert list(summary["seed"]) == [1, 2] and (summary["status"] == "done").all()
    assert np.isnan(summary["seconds"].iloc[0]) and summary["seconds"].iloc[1] > 0
    # a kept run must be of the same config: another O2 level is refused, naming the key
    changed = arm_configs(scenario, {"control": {"therapy": None,
                                                 "set": {"oxygen.vessel_mmHg": 30.0}}})
    with pytest.raises(UserError, match=r"tiny_control_seed1.h5' exists and is not reused: its "
                                        r"oxygen.vessel_mmHg is .*, this run's 30.0"):
        run_replicates(changed, [1], out, reuse=True, overwrite=True)
    # a summary abm did not write is never replaced, not even with --overwrite
    summary_paths(out)[0].write_text("someone's table\n")
    with pytest.raises(UserError, match="is not a file abm wrote"):
        run_replicates(configs, [1, 2], out, overwrite=True)


def test_a_failed_run_is_listed_after_the_others_finish(in_process, tmp_path, monkeypatch):
    import abm

    scenario = in_process[0]
    real = abm.run_scenario

    def flaky(config, path, **kwargs):
        if config.run.seed == 2:
            raise FloatingPointError("O2 solve diverged at step 3")
        return real(config, path, **kwargs)

    monkeypatch.setattr(abm, "run_scenario", flaky)
    out = tmp_path / "tiny.h5"
    with pytest.raises(RunsFailed, match=r"1 of 2 runs failed:\n  control seed 2: "
                                         r"FloatingPointError: O2 solve diverged at step 3\n"):
        run_replicates(arm_configs(scenario, {"control": None}), [1, 2], out)
    summary = load_study(summary_paths(out)[1]).summary
    assert list(summary["status"]) == ["done", "failed"]
    assert replicate_path(out, "control", 1).exists()


def test_a_dead_worker_fails_only_its_own_run(in_process, tmp_path, monkeypatch):
    """The run whose metric kills its worker process is failed ("worker process died"); the
    runs in flight with it run again alone and finish, as in a study."""
    from .test_study import FAULTY_METRICS

    (tmp_path / "faulty_metrics.py").write_text(FAULTY_METRICS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    arms = {f"o2_{level:g}": {"therapy": None, "set": {"oxygen.vessel_mmHg": level}}
            for level in (25.0, 20.0, 30.0)}
    out = tmp_path / "tiny.h5"
    with open_engine(workers=2) as executor, \
            pytest.raises(UserError, match=r"2 of 6 runs failed:\n  o2_20 seed 1: worker process "
                                           r"died\n  o2_20 seed 2: worker process died"):
        run_replicates(arm_configs(in_process[0], arms), [1, 2], out, executor=executor,
                       metrics=("n_tumor", "faulty"), metrics_module="faulty_metrics")
    summary = load_study(summary_paths(out)[1]).summary
    assert list(summary.groupby("arm", sort=False)["status"].agg(set)) == [
        {"done"}, {"failed"}, {"done"}]
    assert (summary.loc[summary["status"] == "done", "faulty"] >= 25.0).all()


def test_the_command_line_checks_its_options(in_process, tmp_path, capsys):
    scenario = in_process[0]

    def run(*argv):
        return replicates_from_command_line("tiny", scenario, ARMS, tmp_path / "cli.h5", 2,
                                            argv=list(argv))

    paths, figures = run("--seeds", "3", "--workers", "2")
    assert figures == [tmp_path / "cli_comparison.png"] and sorted(paths["lean"]) == [3]
    written = paths["lean"][3].stat().st_mtime_ns
    assert run("--seeds", "3", "--replot") == (paths, figures)  # runs nothing, re-draws
    assert paths["lean"][3].stat().st_mtime_ns == written
    for argv, message in ((["--seeds", "4", "4"], "none twice"),
                          (["--replicates", "0"], "need at least one seed"),
                          (["--workers", "0"], "--workers = 0: must be 1"),
                          (["--seeds", str(2**64)], "a seed is a whole number 0 … "),
                          (["--dask-cluster", str(scenario)], "no [cluster] section")):
        with pytest.raises(SystemExit):
            run(*argv)
        assert message in capsys.readouterr().err


def test_a_cluster_file_is_checked(tmp_path):
    path = tmp_path / "cluster.toml"
    path.write_text(SLURM_CLUSTER)
    assert read_cluster_file(path)["jobs"] == 2
    path.write_text(SLURM_CLUSTER.replace('kind = "slurm"', 'kind = "lsf"\nqueu = "x"'))
    with pytest.raises(StudyError, match=r"cluster.kind = 'lsf'.*slurm or pbs") as error:
        read_cluster_file(path)
    assert "did you mean 'queue'" in str(error.value)


def test_failed_runs_end_the_script_with_exit_code_3(in_process, tmp_path, monkeypatch, capsys):
    import abm

    def broken(config, path, **kwargs):
        raise FloatingPointError("O2 solve diverged at step 3")

    monkeypatch.setattr(abm, "run_scenario", broken)
    with pytest.raises(SystemExit) as stop:
        replicates_from_command_line("tiny", in_process[0], {"control": None},
                                     tmp_path / "cli.h5", 1, argv=[])
    assert stop.value.code == 3
    assert "1 of 1 runs failed:\n  control seed 1: FloatingPointError" in capsys.readouterr().err
