"""Parameter studies (abm.study, `abm sweep`, `abm run-design`): designs and seeds, the same
summary from local processes, a Dask LocalCluster and single SLURM-style tasks, resuming a
killed sweep, failed runs recorded without stopping the study, bad study files."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import load_study
from abm.cli import main
from abm.study import load_study_spec
from abm.study.spec import StudyError
from abm.study.design import design_points, run_table
from abm.study.engines import slurm_script
from abm.study.runner import read_row, run_one, run_study

from ..helpers import tiny_file_head

ROOT = Path(__file__).resolve().parents[2]
COMPARED = ["point", "replicate", "seed", "oxygen.vessel_mmHg", "intracellular.preset",
            "status", "n_tumor", "dormant_fraction", "hypoxic_fraction", "n_proliferating"]
"""Summary columns that must agree between engines (all but the wall time)."""


def write_study(tmp: Path, name="tiny", design='method = "lhs"\nn = 3', extra_study="",
                parameters=None) -> Path:
    parameters = parameters or ('"oxygen.vessel_mmHg" = { range = [12.0, 38.0] }\n'
                                '"intracellular.preset" = { values = ["default", '
                                '"hypoxia_sensitive"] }')
    path = tmp / f"{name}.toml"
    path.write_text(tiny_file_head("study", name, tmp / name, 11) + textwrap.dedent(f"""\
        replicates = 2
        metrics = ["n_tumor", "dormant_fraction", "hypoxic_fraction", "n_proliferating"]
        {extra_study}
        [design]
        {design}

        [parameters]
        """) + parameters + "\n")
    return path


def _compared(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[[c for c in COMPARED if c in summary]]


# ---------------------------------------------------------------------------- designs
def test_designs_and_seeds_are_reproducible(tmp_path):
    spec = load_study_spec(write_study(tmp_path))
    a, b = run_table(spec), run_table(spec)
    assert a.equals(b) and len(a) == 6 and a["seed"].is_unique
    assert list(a["replicate"]) == [0, 1] * 3 and list(a["point"]) == [0, 0, 1, 1, 2, 2]
    # Latin hypercube: one point per stratum of each range
    strata = np.floor((design_points(spec)["oxygen.vessel_mmHg"] - 12.0) / (26.0 / 3)).astype(int)
    assert sorted(strata) == [0, 1, 2]
    factorial = load_study_spec(write_study(tmp_path, "f", 'method = "factorial"\nlevels = 3'))
    assert len(design_points(factorial)) == 3 * 2
    sobol = load_study_spec(write_study(tmp_path, "s", 'method = "sobol"\nn = 8', parameters=(
        '"oxygen.vessel_mmHg" = { range = [12.0, 38.0] }\n'
        '"vessels.array_spacing_um" = { range = [150.0, 250.0] }')))
    assert len(design_points(sobol)) == 8 * (2 + 2)


@pytest.mark.parametrize("study, message", [
    ('[study]\nscenario = "nope.toml"\n[parameters]\n"run.days" = {{ range = [1, 2] }}',
     "study.scenario = 'nope.toml': must name an existing scenario file"),
    ('[study]\nscenario = "{q}"\nmetrics = ["dormant_fractoin"]\n'
     '[parameters]\n"run.days" = {{ range = [1, 2] }}', "'dormant_fractoin' unknown"),
    ('[study]\nscenario = "{q}"\n[design]\nmethod = "sobol"\n'
     '[parameters]\n"intracellular.preset" = {{ values = ["default"] }}',
     "samples a continuous box"),
    ('[study]\nscenario = "{q}"\n[parameters]\n"oxygen.vessel_mmHg" = {{ range = [-5.0, 2.0] }}',
     "oxygen.vessel_mmHg = -5.0"),
    ('[study]\nscenario = "{q}"\n[parameters]\n"vessels.densty" = {{ range = [1.0, 2.0] }}',
     "vessels.densty"),
    ('[study]\nscenario = "{q}"\n[desing]\nn = 3\n[parameters]\n"run.days" = {{ range = [1, 2] }}',
     "desing: unknown key (did you mean 'design'?)"),
])
def test_bad_study_files_are_refused_naming_the_key(tmp_path, study, message):
    path = tmp_path / "bad.toml"
    path.write_text(study.format(q=ROOT / "scenarios/quickstart.toml"))
    with pytest.raises(StudyError) as info:
        load_study_spec(path)
    assert message in str(info.value)
    assert not (tmp_path / "outputs").exists()


# ---------------------------------------------------------------------------- engines
@pytest.fixture(scope="module")
def local_study(tmp_path_factory):
    """The tiny study run with 2 local worker processes."""
    tmp = tmp_path_factory.mktemp("local")
    spec = load_study_spec(write_study(tmp))
    return spec, run_study(spec, workers=2, progress=False)


def test_local_workers_run_every_run_and_load_study_reads_the_summary(local_study):
    spec, summary = local_study
    assert (summary["status"] == "done").all() and len(summary) == 6
    assert summary["n_tumor"].min() > 100
    study = load_study(spec.out_dir)
    pd.testing.assert_frame_equal(_compared(study.summary), _compared(summary),
                                  check_dtype=False)
    assert "[design]" in study.study_toml
    assert (spec.out_dir / "summary.csv").exists()
    assert sorted(p.name for p in (spec.out_dir / "runs").glob("*.h5")) == \
        [f"run_{i:04d}.h5" for i in range(6)]
    assert not list((spec.out_dir / "runs").glob("*.parts"))


def test_a_dask_local_cluster_gives_the_same_summary(local_study, tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = load_study_spec(write_study(tmp_path))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        summary = run_study(spec, client.get_executor(pure=False), progress=False)
    pd.testing.assert_frame_equal(_compared(summary), _compared(local_study[1]))


def test_run_design_reproduces_a_row_and_the_slurm_script(local_study, tmp_path):
    spec = load_study_spec(write_study(tmp_path))
    assert main(["run-design", str(spec.path), "--index", "3"]) == 0
    row = read_row(spec, 3)
    reference = local_study[1].loc[3]
    for column in COMPARED:
        assert row[column] == reference[column], column
    script = slurm_script(spec)
    assert "#SBATCH --array=0-5" in script and "#SBATCH --cpus-per-task=1" in script
    assert "export NUMBA_NUM_THREADS=1" in script and "export OMP_NUM_THREADS=1" in script
    assert f"-m abm run-design {spec.path} --index \"$SLURM_ARRAY_TASK_ID\"" in script
    assert main(["sweep", str(spec.path), "--emit-slurm"]) == 0
    assert (spec.out_dir / "slurm_array.sh").read_text() == script


# ---------------------------------------------------------------------------- faults
FAULTY_METRICS = '''
import os
from abm.study import register_metric

@register_metric("faulty")
def faulty(run):
    """Raises for vessels above 30 mmHg; the worker process dies at exactly 20 mmHg."""
    level = run.config["oxygen"]["vessel_mmHg"]
    if level == 20.0:
        os._exit(1)
    if level > 30.0:
        raise ValueError(f"deliberate failure at {level} mmHg")
    return level
'''


def test_failed_runs_and_a_dead_worker_do_not_stop_the_study(tmp_path, monkeypatch):
    """Points at 35 mmHg raise (recorded as failed with the error), the point at 20 mmHg
    kills its worker process (recorded as failed: worker died; the runs in flight with it are
    run again alone); every other run completes, and --retry-failed runs the failed ones
    again with the same outcome."""
    (tmp_path / "faulty_metrics.py").write_text(FAULTY_METRICS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    path = write_study(tmp_path, design='method = "factorial"', extra_study=(
        'metrics_module = "faulty_metrics"\nmetrics = ["n_tumor", "faulty"]').replace(
        "\n", "\n        "), parameters='"oxygen.vessel_mmHg" = { values = [25.0, 35.0, 20.0, 30.0] }')
    text = path.read_text().replace('metrics = ["n_tumor", "dormant_fraction", '
                                    '"hypoxic_fraction", "n_proliferating"]\n', "")
    path.write_text(text)
    spec = load_study_spec(path)
    summary = run_study(spec, workers=2, progress=False)
    by_level = summary.groupby("oxygen.vessel_mmHg")["status"].agg(set)
    assert by_level[25.0] == {"done"} and by_level[30.0] == {"done"}
    assert by_level[35.0] == {"failed"} and by_level[20.0] == {"failed"}
    errors = summary.set_index("oxygen.vessel_mmHg")["error"]
    assert "deliberate failure at 35.0 mmHg" in errors[35.0].iloc[0]
    assert "worker process died" in errors[20.0].iloc[0]
    # the runs in flight when the worker died were run again alone: only the culprit failed
    again = run_study(spec, workers=2, retry_failed=True, progress=False)
    assert again[["status", "error"]].equals(summary[["status", "error"]])


def test_a_killed_sweep_resumes_with_only_the_missing_runs(tmp_path):
    path = write_study(tmp_path, design='method = "random"\nn = 5')
    spec = load_study_spec(path)
    proc = subprocess.Popen([sys.executable, "-m", "abm", "sweep", str(path), "--workers", "1",
                             "--no-progress"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        rows = [read_row(spec, i) for i in range(10)]
        if sum(1 for r in rows if r and r["status"] == "done") >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker, mid-study
    proc.wait()
    finished = {i: run_path_mtime(spec, i) for i in range(10)
                if (r := read_row(spec, i)) and r["status"] == "done"}
    assert 3 <= len(finished) < 10
    summary = run_study(spec, workers=2, progress=False)
    assert (summary["status"] == "done").all()
    for i, mtime in finished.items():  # finished runs were not run again
        assert run_path_mtime(spec, i) == mtime
    assert not list((spec.out_dir / "runs").glob("*.parts"))


def run_path_mtime(spec, index):
    return (spec.out_dir / "runs" / f"run_{index:04d}.h5").stat().st_mtime_ns


def test_run_one_records_a_bad_override_as_failed(tmp_path):
    spec = load_study_spec(write_study(tmp_path))
    design = run_table(spec).loc[0].to_dict()
    design["oxygen.vessel_mmHg"] = -1.0  # outside what the config allows
    row = run_one(spec, 0, design)
    assert row["status"] == "failed" and "oxygen.vessel_mmHg = -1.0" in row["error"]
    assert not (spec.out_dir / "runs" / "run_0000.h5").exists()


def test_a_morris_sweep_writes_its_indices_and_plots(tmp_path):
    """`abm sweep` of a Morris design: the summary, the effects plot and the SALib indices
    of every metric for every parameter (CSV, HDF5, plot); the indices themselves are
    checked against known answers in test_sensitivity.py."""
    path = write_study(tmp_path, "m", 'method = "morris"\nn = 2', parameters=(
        '"oxygen.vessel_mmHg" = { range = [12.0, 38.0] }\n'
        '"vessels.array_spacing_um" = { range = [150.0, 250.0] }'))
    assert main(["sweep", str(path), "--workers", "2", "--no-progress"]) == 0
    out = tmp_path / "m"
    table = pd.read_csv(out / "sensitivity_morris.csv")
    assert len(table) == 4 * 2 and {"mu_star", "sigma", "mu_star_conf"} <= set(table.columns)
    assert set(table["parameter"]) == {"oxygen.vessel_mmHg", "vessels.array_spacing_um"}
    for name in ("effects.png", "sensitivity_morris.png", "sensitivity_morris.h5", "summary.h5"):
        assert (out / name).stat().st_size > 1000, name


def test_network_parameters_are_study_parameters_and_move_the_metrics(tmp_path):
    """Entries of table-valued keys are ordinary study parameters: a factorial sweep of two
    dormancy-network parameters (the mitogenic drive Smax and HIF ⊣ mTORC1, kMH) runs, and the
    tumour responds to each (less drive or a stronger hypoxic brake: fewer cells)."""
    spec = load_study_spec(write_study(
        tmp_path, design='method = "factorial"',
        parameters='"intracellular.params.Smax" = { values = [0.5, 10.0] }\n'
                   '"intracellular.params.kMH" = { values = [1.5, 200.0] }'))
    summary = run_study(spec, workers=2, progress=False)
    assert (summary["status"] == "done").all() and len(summary) == 8
    mean = summary.groupby(["intracellular.params.Smax", "intracellular.params.kMH"])["n_tumor"].mean()
    assert mean[(0.5, 1.5)] < mean[(10.0, 1.5)]
    assert mean[(10.0, 200.0)] < mean[(10.0, 1.5)]


def test_immune_and_blood_entries_are_checked_as_study_parameters(tmp_path):
    """Keys inside the immune kinds' and the blood's tables are accepted as parameters, and a
    misspelt one is refused before anything runs, with the table's did-you-mean."""
    spec = load_study_spec(write_study(
        tmp_path, name="nested",
        parameters='"immune.cd8.capacity_mean" = { range = [1.0, 5.0] }\n'
                   '"blood.params.nk_kill_per_min" = { range = [0.001, 0.01] }'))
    assert [p.key for p in spec.parameters] == ["immune.cd8.capacity_mean",
                                                "blood.params.nk_kill_per_min"]
    with pytest.raises(StudyError, match="did you mean 'immune.cd8.capacity_mean'"):
        load_study_spec(write_study(tmp_path, name="misspelt",
                                    parameters='"immune.cd8.capacity_men" = { range = [1.0, 5.0] }'))
