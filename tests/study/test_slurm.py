"""A real SLURM (issue 19): a single-node cluster on this host (slurmctld + slurmd, started by
``.ci/slurm/start.sh``, which ``.ci/run`` calls before the suites) runs the tiny study twice,
as the job array of ``abm sweep --emit-slurm`` submitted with ``sbatch`` and as a
``--dask-cluster`` sweep through dask-jobqueue's SLURMCluster, and a scenario script's
replicates on such a cluster; each gives the local engine's summary rows. Skipped, with the reason, where there is no SLURM: no ``sbatch``/``sinfo``,
no node up, or ``ABM_SLURM_UNAVAILABLE`` (set by ``.ci/run`` when the start script failed)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager

import pandas as pd
import pytest

from abm import load_study
from abm.cli import main
from abm.study import load_study_spec
from abm.study.runner import read_row, run_path, run_study

from abm.study.replicates import replicates_from_command_line, summary_paths

from ..helpers import SLURM_CLUSTER
from .test_replicates import ARMS, COMPARED, in_process  # noqa: F401 (a fixture)
from .test_study import _compared, local_study, write_study  # noqa: F401 (a fixture)

JOB_TIMEOUT_S = 600
"""Longest wait for a job array or a dask sweep (6 tiny runs: seconds when the node is free)."""


def _node_state() -> str:
    """Why SLURM cannot run jobs here, or "" when a node is up."""
    if reason := os.environ.get("ABM_SLURM_UNAVAILABLE"):
        return f"no SLURM: {reason}"
    missing = [c for c in ("sbatch", "sinfo", "squeue") if shutil.which(c) is None]
    if missing:
        return (f"no SLURM: {', '.join(missing)} not found (run .ci/slurm/start.sh as root "
                "to install and start a single-node SLURM)")
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                             timeout=20)
    except subprocess.TimeoutExpired:
        return "no SLURM: sinfo did not answer in 20 s (is slurmctld running?)"
    states = out.stdout.split()
    if out.returncode != 0 or not {"idle", "mixed", "allocated"} & set(states):
        return (f"no SLURM node up: sinfo says {out.stdout.strip() or out.stderr.strip()!r} "
                "(run .ci/slurm/start.sh)")
    return ""


@pytest.fixture(scope="module")
def slurm():
    if reason := _node_state():
        pytest.skip(reason)


def _logs(spec) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}"
                     for p in sorted((spec.out_dir / "logs").glob("*.out")))


def test_an_emitted_job_array_run_by_sbatch_gives_the_local_rows(slurm, local_study, tmp_path):
    spec = load_study_spec(write_study(tmp_path, name="array"))
    assert main(["sweep", str(spec.path), "--emit-slurm"]) == 0
    script = spec.out_dir / "slurm_array.sh"
    # the job inherits this environment (sbatch --export=ALL): this python, its PYTHONPATH
    job = subprocess.run(["sbatch", "--parsable", str(script)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert job.returncode == 0, f"sbatch: {job.stdout}{job.stderr}"
    _wait_for(job.stdout.strip().split(";")[0], spec)
    done = {i: run_path(spec, i).stat().st_mtime_ns for i in range(6)
            if (row := read_row(spec, i)) and row["status"] == "done"}
    assert sorted(done) == list(range(6)), _logs(spec)
    assert all(f"run {i}: done" in (spec.out_dir / "logs" / f"run_{i}.out").read_text()
               for i in range(6))
    # `abm sweep` then only collects the summary: no run is run again
    summary = run_study(spec, workers=1, progress=False)
    assert {i: run_path(spec, i).stat().st_mtime_ns for i in range(6)} == done
    pd.testing.assert_frame_equal(_compared(summary), _compared(local_study[1]))


def _wait_for(job_id: str, spec) -> None:
    """Until the job array has left the queue (polling squeue: ``sbatch --wait`` polls with
    a back-off that adds up to half a minute); cancelled after JOB_TIMEOUT_S."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        queued = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True,
                                text=True, timeout=20)
        if (queued.returncode == 0 and not queued.stdout.strip()) \
                or "Invalid job id" in queued.stderr:  # finished and already purged
            return
        time.sleep(0.5)
    subprocess.run(["scancel", job_id], timeout=20)
    pytest.fail(f"job array {job_id} still queued after {JOB_TIMEOUT_S} s\n{_logs(spec)}")




def test_a_dask_cluster_sweep_on_slurm_gives_the_local_rows(slurm, local_study, tmp_path,
                                                             monkeypatch):
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed "
                        '(pip install "tumor-abm[test]")')
    import dask

    path = write_study(tmp_path, name="cluster")
    path.write_text(path.read_text() + SLURM_CLUSTER)
    monkeypatch.chdir(tmp_path)  # the workers' slurm-<job>.out logs land here
    with _deadline("the --dask-cluster sweep"), \
            dask.config.set({"jobqueue.slurm.scheduler-options": {"dashboard_address": None}}):
        assert main(["sweep", str(path), "--dask-cluster", "--no-progress"]) == 0
    spec = load_study_spec(path)
    summary = load_study(spec.out_dir).summary
    pd.testing.assert_frame_equal(_compared(summary), _compared(local_study[1]),
                                  check_dtype=False)
    logs = list(tmp_path.glob("slurm-*.out"))
    assert logs, "no dask worker ran as a SLURM job"
    assert _worker_jobs() == [], "the cluster's worker jobs outlived the sweep"


def test_scenario_replicates_on_a_slurm_dask_cluster_give_the_local_rows(slurm, in_process,
                                                                          tmp_path, monkeypatch):
    """A scenario script's replicates (``--dask-cluster FILE``) run as SLURM jobs and give
    the rows of the same replicates run in one process."""
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed "
                        '(pip install "tumor-abm[test]")')
    import dask

    scenario, serial_out, _ = in_process
    cluster_file = tmp_path / "cluster.toml"
    cluster_file.write_text(SLURM_CLUSTER)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "tiny.h5"
    with _deadline("the replicates on a SLURM dask cluster"), \
            dask.config.set({"jobqueue.slurm.scheduler-options": {"dashboard_address": None}}):
        replicates_from_command_line("tiny", scenario, ARMS, out, 2,
                                     argv=["--dask-cluster", str(cluster_file)])
    rows = load_study(summary_paths(out)[1]).summary
    serial = load_study(summary_paths(serial_out)[1]).summary
    pd.testing.assert_frame_equal(rows[COMPARED], serial[COMPARED], check_dtype=False)
    assert list(tmp_path.glob("slurm-*.out")), "no dask worker ran as a SLURM job"
    assert _worker_jobs() == [], "the cluster's worker jobs outlived the replicates"


@contextmanager
def _deadline(what: str, seconds: int = JOB_TIMEOUT_S):
    """Raise TimeoutError in the test if ``what`` takes longer than ``seconds`` (workers that
    never start, e.g. when the node's cores are held, would otherwise hang the suite)."""
    def give_up(signum, frame):
        raise TimeoutError(f"{what} did not finish within {seconds} s on SLURM")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _worker_jobs() -> list[str]:
    """The dask worker jobs (dask-jobqueue's job name) still queued or running; a closed
    cluster cancels its jobs, which take a moment to leave squeue."""
    ids: list[str] = []
    for _ in range(30):
        ids = subprocess.run(["squeue", "-h", "-n", "dask-worker", "-t", "PD,R,CF,CG", "-o", "%i"],
                             capture_output=True, text=True, timeout=20).stdout.split()
        if not ids:
            break
        time.sleep(1)
    return ids
