"""Running a study: one function per run (:func:`run_one`), and one driver written against
``concurrent.futures.Executor`` (:func:`run_study`), so local processes, a Dask cluster and
SLURM array tasks all run the same code and give the same rows.

The study directory holds ``design.csv`` (the runs), ``runs/run_NNNN.h5`` (NNNN: the run
index, 4 digits; a run file exists only complete, see abm.io.parts), ``runs/run_NNNN.json``
(the run's row: status, error, metrics; written atomically), and ``summary.csv`` /
``summary.h5`` (all rows, :func:`write_summary`). A run whose JSON says ``done`` is never
run again; ``failed`` ones only with ``retry_failed``; anything else (no JSON, or
``running`` left by a killed sweep) runs again from the start: its leftover
``run_NNNN.h5.parts`` folder is replaced and its row rewritten, so a rerun gives the rows of
an uninterrupted sweep. A sweep holds the folder's lock throughout (:mod:`abm.study.folder`), and its local
workers die with it (:func:`local_executor`).
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from abm.io.atomic import write_atomic
from abm.io.parts import parts_dir, remove_parts
from abm.study.design import run_table
from abm.study.folder import check_study_dir, claim_study_dir, study_lock
from abm.study.metrics import evaluate, import_metrics_module
from abm.study.spec import StudySpec, override_strings
from abm.study.status import DONE, FAILED, PENDING, RUNNING
from abm.study.tables import write_summary_files
SINGLE_THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                     "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Thread variables of worker processes: one run per core, not one run over all cores."""


def run_path(spec: StudySpec, index: int, suffix: str = ".h5") -> Path:
    return spec.out_dir / "runs" / f"run_{index:04d}{suffix}"


def _write_json(path: Path, row: dict) -> None:
    text = json.dumps(row, default=_plain)
    write_atomic(path, lambda tmp: tmp.write_text(text))  # a reader sees the old row or the new one


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)


def read_row(spec: StudySpec, index: int) -> dict | None:
    """The stored row of run ``index`` (None if it never started)."""
    path = run_path(spec, index, ".json")
    return json.loads(path.read_text()) if path.exists() else None


def run_one(spec: StudySpec, index: int, design: dict) -> dict:
    """Run ``index`` of the study with the parameters and seed of ``design`` (its row of
    :func:`abm.study.design.run_table`) to ``runs/run_NNNN.h5``, evaluate the metrics and
    store the row. Never raises for a failed run: the row says ``failed`` with the error."""
    from abm import load_config, load_run, run_scenario

    path = run_path(spec, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    params = {p.key: design[p.key] for p in spec.parameters}
    row = {"run": index, "point": int(design["point"]), "replicate": int(design["replicate"]),
           "seed": int(design["seed"]), **params, "status": RUNNING, "error": ""}
    _write_json(run_path(spec, index, ".json"), row)
    start = time.perf_counter()
    try:
        import_metrics_module(spec.metrics_module)
        config = load_config(spec.scenario, seed=row["seed"], overrides=[
            *spec.overrides, *override_strings(params), "output.figure=false"])
        # overwrite: the parts a killed sweep left of this run (this run starts over)
        run_scenario(config, path, overwrite=True, progress=False)
        with load_run(path) as run:
            metrics = evaluate(run, spec.metrics)
        row.update(status=DONE, **metrics)
    except Exception as exc:  # noqa: BLE001 - a failed run is a result, not a crash
        remove_parts(parts_dir(path))  # a failed run leaves no partial run behind
        row.update(status=FAILED, error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc(limit=6))
        row.update({m: None for m in spec.metrics})
    row["seconds"] = round(time.perf_counter() - start, 3)
    _write_json(run_path(spec, index, ".json"), row)
    return row


def pending(spec: StudySpec, retry_failed: bool = False) -> list[int]:
    """Indices of the runs still to do."""
    todo = []
    for index in run_table(spec).index:
        row = read_row(spec, int(index))
        status = row["status"] if row else None
        if status != DONE and (status != FAILED or retry_failed):
            todo.append(int(index))
    return todo


PARENT_POLL_S = 1.0
"""How often a worker checks that its parent lives (design choice: a worker left by a dead
sweep is gone within a second, at no measurable cost)."""
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Initializer of every local worker: the worker ends when the sweep's process does.

    A worker otherwise outlives a sweep killed with ``kill -9``: it blocks forever on the
    call-queue pipe, holding its memory (measured: 53 of them held 8.8 GB). Two mechanisms,
    because neither covers every case alone: on Linux the kernel sends SIGKILL when the parent
    dies (``prctl(PR_SET_PDEATHSIG)``, immediate, nothing to poll); everywhere, a daemon thread
    checks every :data:`PARENT_POLL_S` that the parent is still ``parent`` (after its death the
    worker is re-parented) and ends the worker if not. The check right after ``prctl`` closes
    the gap of a parent that died before the signal was armed: a worker still starting
    (importing) when the sweep is killed ends as soon as its imports finish
    (:func:`local_executor` waits for every worker to get this far before any run starts).
    A process group killed by the sweep on exit was not chosen: ``kill -9`` gives the sweep
    no exit to act on. (The thread alone would not do: a busy worker may hold the GIL.)
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="abm-watch-parent", daemon=True).start()


def _pid_after(seconds: float) -> int:
    """A start-up task: wait ``seconds`` (so that one worker cannot take every task), then
    say which worker ran it."""
    time.sleep(seconds)
    return os.getpid()


def local_executor(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes with one thread each (numba kernels come from the
    on-disk cache, so a worker pays the import, not a compilation), which end when this
    process ends, however it ends (:func:`_die_with_parent`)."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
    os.environ.update(SINGLE_THREAD_ENV)  # inherited by the spawned workers
    try:
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                       initializer=_die_with_parent, initargs=(os.getpid(),))
        # Start every worker now, while the variables are set (workers spawn on demand), and
        # wait until each has run its initializer: from then on it dies with this process.
        started: set[int] = set()
        while len(started) < workers:
            started |= {f.result() for f in [executor.submit(_pid_after, 0.05)
                                              for _ in range(workers)]}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return executor


def run_study(spec: StudySpec, executor: Executor | None = None, *, workers: int = 2,
              retry_failed: bool = False, progress: bool | None = None) -> pd.DataFrame:
    """Run every pending run of ``spec`` on ``executor`` (default: :func:`local_executor`
    with ``workers`` processes), then write and return the summary (:func:`write_summary`).

    A run that raises is recorded as failed and the study goes on. If a local worker
    process dies, the runs that were in flight are run again one at a time in a pool of
    their own, so that only the run that kills its worker is recorded as failed ("worker
    process died"; ``retry_failed`` runs it again), and the rest continue on a fresh pool.

    The study folder is locked for the whole sweep (:class:`abm.study.folder.StudyBusy` if
    another sweep holds it) and must be this study's (StudyError if it holds another).
    """
    check_study_dir(spec)  # before the lock file is made in someone else's folder
    with study_lock(spec.out_dir):
        claim_study_dir(spec)
        return _run_pending(spec, executor, workers, retry_failed, progress)


def _run_pending(spec: StudySpec, executor: Executor | None, workers: int, retry_failed: bool,
                 progress: bool | None) -> pd.DataFrame:
    """:func:`run_study` once the folder is locked and claimed."""
    design = run_table(spec)
    design.to_csv(spec.out_dir / "design.csv")
    todo = pending(spec, retry_failed)
    own = executor is None
    counts = {DONE: 0, FAILED: 0}
    with tqdm(total=len(todo), unit="run", desc=spec.name,
              disable=None if progress is None else not progress) as bar:
        while todo:
            pool = local_executor(min(workers, len(todo))) if own else executor
            futures = {pool.submit(run_one, spec, i, design.loc[i].to_dict()): i for i in todo}
            broken = False
            try:
                for future in as_completed(futures):
                    index = futures[future]
                    try:
                        status = future.result()["status"]
                    except BrokenProcessPool:
                        broken = True
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a Dask worker lost
                        status = _record_failure(spec, index, design, exc)
                    counts[status] += 1
                    bar.update(1)
                    bar.set_postfix(done=counts[DONE], failed=counts[FAILED])
            finally:
                if own:
                    pool.shutdown(wait=not broken, cancel_futures=True)
            if not broken:
                break
            # The pool died with several runs in flight: run each of them alone, so that only
            # the run that kills its worker is recorded as failed.
            for index in todo:
                row = read_row(spec, index)
                if row and row["status"] == RUNNING:
                    counts[_run_alone(spec, index, design)] += 1
                    bar.update(1)
                    bar.set_postfix(done=counts[DONE], failed=counts[FAILED])
            todo = pending(spec, retry_failed=False)  # those not yet started
    return write_summary(spec)


def _run_alone(spec: StudySpec, index: int, design: pd.DataFrame) -> str:
    """Run ``index`` in a pool of its own; a run whose worker dies again is failed."""
    pool = local_executor(1)
    try:
        return pool.submit(run_one, spec, index, design.loc[index].to_dict()).result()["status"]
    except BrokenProcessPool:
        return _record_failure(spec, index, design, RuntimeError("worker process died"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _record_failure(spec: StudySpec, index: int, design: pd.DataFrame, exc: BaseException) -> str:
    row = {"run": index, **{k: _plain(v) for k, v in design.loc[index].to_dict().items()},
           "status": FAILED, "error": f"{type(exc).__name__}: {exc}"}
    row.update({m: None for m in spec.metrics})
    _write_json(run_path(spec, index, ".json"), row)
    return FAILED


def summary_table(spec: StudySpec) -> pd.DataFrame:
    """All runs' rows (index ``run``): ``point``, ``replicate``, ``seed``, the parameters,
    ``status`` (done, failed, running or pending), ``error``, ``seconds`` and the metrics."""
    design = run_table(spec)
    rows = []
    for index, values in design.iterrows():
        row = read_row(spec, int(index)) or {"status": PENDING, "error": ""}
        rows.append({**values.to_dict(), "status": row["status"], "error": row.get("error", ""),
                     "seconds": row.get("seconds", np.nan),
                     **{m: row.get(m) if row.get(m) is not None else np.nan
                        for m in spec.metrics}})
    table = pd.DataFrame(rows, index=design.index)
    for m in spec.metrics:
        table[m] = table[m].astype(np.float64)
    return table


def write_summary(spec: StudySpec) -> pd.DataFrame:
    """Write ``summary.csv`` and ``summary.h5`` (:mod:`abm.study.tables`, with the study
    file's text) and return the table."""
    table = summary_table(spec)
    write_summary_files(table, spec.out_dir / "summary.csv", spec.out_dir / "summary.h5",
                        spec.path.read_text())
    return table
