"""Where a study, a calibration or a scenario script's replicates run, besides local
processes (:func:`abm.study.runner.local_executor`): a Dask cluster (an existing scheduler,
or a dask-jobqueue SLURM/PBS cluster from a ``[cluster]`` section), and, for a study, SLURM
job arrays (a script whose task ``i`` runs
``abm run-design STUDY.toml --index i``). Dask is an optional extra:
``pip install "tumor-abm[dask]"``."""
from __future__ import annotations

import os
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path

from abm.errors import ConfigError
from abm.io.atomic import write_atomic
from abm.study import script_values
from abm.study.design import run_table
from abm.study.folder import claim_study_dir
from abm.study.runner import SINGLE_THREAD_ENV, local_executor
from abm.study.spec import StudyError, StudySpec


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError('Dask engines need dask.distributed: pip install "tumor-abm[dask]"'
                          ) from None
    return distributed


@contextmanager
def dask_executor(address: str | None = None, cluster_table: dict | None = None):
    """A ``concurrent.futures.Executor`` on a Dask cluster: the scheduler at ``address``,
    or (address None) a dask-jobqueue cluster built from ``cluster_table`` (a checked
    ``[cluster]`` section: ``kind`` slurm or pbs, ``jobs``, ``cores``, ``memory``,
    ``walltime``, ``queue``, ``processes``), whose workers run with one thread each."""
    distributed = _distributed()
    cluster = None
    if address is None:
        cluster = jobqueue_cluster(cluster_table)
        address = cluster
    client = distributed.Client(address)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def jobqueue_cluster(cluster_table: dict | None):
    """The dask-jobqueue cluster of a ``[cluster]`` section, scaled to ``jobs`` jobs."""
    if not cluster_table:
        raise StudyError("--dask-cluster needs a [cluster] section (kind, jobs, cores, memory, "
                         "walltime)")
    try:
        import dask_jobqueue
    except ImportError:
        raise ImportError('a [cluster] needs dask-jobqueue: pip install "tumor-abm[dask]"'
                          ) from None
    c = dict(cluster_table)
    kind = c.pop("kind", "slurm")
    jobs = int(c.pop("jobs", 1))
    if not c.get("queue"):
        c.pop("queue", None)
    env = [f"export {k}={v}" for k, v in SINGLE_THREAD_ENV.items()]
    cls = dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster
    cluster = cls(job_script_prologue=env, **c)
    cluster.scale(jobs=jobs)
    return cluster


def check_workers(workers: int) -> None:
    """ConfigError unless 1 ≤ ``workers`` ≤ 4 × the CPU count (design choice: more workers
    than that only add memory, not speed)."""
    most = 4 * (os.cpu_count() or 1)
    if not 1 <= workers <= most:
        raise ConfigError(f"--workers = {workers}: must be 1 … {most} (4 × the CPU count)")


@contextmanager
def open_engine(workers: int = 1, dask: str | None = None, cluster_table: dict | None = None):
    """The executor that runs a study's, a calibration's or a script's runs: a Dask
    scheduler at ``dask``; a dask-jobqueue cluster from ``cluster_table``; else ``workers``
    local processes (:func:`abm.study.runner.local_executor`), or None for one process
    (``workers`` 1: the caller runs in its own process). ``cluster_table`` None: no
    cluster asked for; an empty one is refused (StudyError). Closed on exit."""
    if dask or cluster_table is not None:
        with dask_executor(dask, cluster_table) as executor:
            yield executor
    elif workers > 1:
        executor = local_executor(workers)
        try:
            yield executor
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
    else:
        yield None


def slurm_script(spec: StudySpec, python: str | None = None) -> str:
    """An sbatch job-array script for the study: one array task per run, each running
    ``abm run-design STUDY.toml --index $SLURM_ARRAY_TASK_ID`` with one thread.
    ``[slurm]`` keys: ``time``, ``memory``, ``partition``, ``account``, ``max_parallel``.

    The study file is data: the name and ``[slurm]`` values were checked against
    :mod:`abm.study.script_values` when it was read; the study folder is checked here
    (StudyError) because ``#SBATCH`` lines cannot quote it; shell words are quoted."""
    logs = spec.out_dir / "logs"
    if problem := script_values.SCRIPT_PATH.problem("study.out (resolved)", str(logs.parent)):
        raise StudyError(f"{spec.path.name}: {problem}; --emit-slurm needs such a folder")
    n = len(run_table(spec))
    s = spec.slurm
    limit = f"%{s['max_parallel']}" if s.get("max_parallel") else ""
    lines = ["#!/bin/bash",
             f"#SBATCH --job-name={spec.name}",
             f"#SBATCH --array=0-{n - 1}{limit}",
             "#SBATCH --ntasks=1",
             "#SBATCH --cpus-per-task=1",
             f"#SBATCH --time={s.get('time', '02:00:00')}",
             f"#SBATCH --mem={s.get('memory', '4G')}",
             f"#SBATCH --output={logs}/run_%a.out"]
    for key in ("partition", "account"):
        if s.get(key):
            lines.append(f"#SBATCH --{key}={s[key]}")
    lines += ["", "# one thread per run: runs are the parallelism",
              *(f"export {k}={v}" for k, v in SINGLE_THREAD_ENV.items()), "",
              f"{shlex.quote(python or sys.executable)} -m abm run-design "
              f"{shlex.quote(str(spec.path))} --index \"$SLURM_ARRAY_TASK_ID\"", ""]
    return "\n".join(lines)


def emit_slurm(spec: StudySpec) -> Path:
    """Write :func:`slurm_script` to ``<study dir>/slurm_array.sh`` (and the logs folder);
    after the array finishes, ``abm sweep STUDY.toml`` only collects the summary. The script
    is built (and checked) before anything is written."""
    script = slurm_script(spec)
    claim_study_dir(spec)
    (spec.out_dir / "logs").mkdir(exist_ok=True)
    def write(tmp: Path) -> None:
        tmp.write_text(script)
        tmp.chmod(0o755)

    return write_atomic(spec.out_dir / "slurm_array.sh", write, durable=False)
