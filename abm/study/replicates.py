"""Replicate runs of a scenario's arms, on the engines of a study, with a tidy summary.

A scenario script compares arms (:func:`abm.study.arms.arm_configs`) over replicate seeds.
Every (arm, seed) run writes ``<out stem>_<arm>_seed<k>.h5`` (``<out stem>_seed<k>.h5`` for
a script of one unnamed arm), through the normal runner, so each can be re-plotted, resumed
and inspected like any run. The runs go to the executors of ``abm sweep``
(:func:`abm.study.engines.open_engine`): this process, local worker processes, a Dask
scheduler, or a dask-jobqueue SLURM/PBS cluster. A run's result does not depend on where it
ran.

After the runs, ``<out stem>_summary.csv`` / ``.h5`` (:mod:`abm.study.tables`) hold one row
per run: ``arm``, ``seed``, ``status``, ``error``, ``file``, ``seconds`` (NaN for a kept run)
and the study metrics of :data:`DEFAULT_METRICS`. The scripts use the engines of a study but
not its folder: there is no job-array form (``--emit-slurm``) and no folder lock. ``abm.load_study("<out stem>_summary.h5")`` reads it
back, and its ``timeseries()`` gives every run's time series in one tidy table (the mean ±
SD bands of the scenario figures).
"""
from __future__ import annotations

import argparse
import dataclasses
import time
import tomllib
from concurrent.futures import Executor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from abm.errors import OutputError, UserError
from abm.io.outputs import check_output
from abm.io.parts import parts_dir
from abm.runner import check_run_outputs
from abm.schema import to_toml
from abm.study.status import DONE, FAILED
from abm.study.script_outputs import add_output_arguments, existing_runs, figure_paths
from abm.study.tables import write_summary_files

DEFAULT_METRICS = ("n_tumor", "n_viable", "dormant_fraction", "senescent_fraction",
                   "hypoxic_fraction", "ctc_shed_cells", "ctc_seeded")
"""The metrics of a replicate summary (:mod:`abm.study.metrics`; design choice: the
populations and the shedding every scenario reports)."""


def replicate_path(out: Path, arm: str, seed: int) -> Path:
    """The run file of ``arm`` (``""``: a script's only arm) with ``seed``."""
    return out.with_name(f"{out.stem}{'_' + arm if arm else ''}_seed{seed}.h5")


def summary_paths(out: Path) -> tuple[Path, Path]:
    """The replicate summary's CSV and HDF5 files of the base path ``out``."""
    return (out.with_name(f"{out.stem}_summary.csv"), out.with_name(f"{out.stem}_summary.h5"))


def _config_difference(path: Path, config) -> str:
    """Why the run file at ``path`` is not a finished run of ``config``: its status, or the
    first config key whose value differs."""
    from abm.io import load_run

    try:
        with load_run(path) as run:
            status, stored = run.status, run.config
    except Exception as exc:  # noqa: BLE001 - an unreadable file is not a finished run
        return f"it cannot be read ({type(exc).__name__}: {exc})"
    if status != "complete":
        return f"it is not complete (status {status!r})"
    wanted = tomllib.loads(to_toml(config))
    for section in sorted(set(stored) | set(wanted)):
        a, b = stored.get(section), wanted.get(section)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            key = next(k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
            return f"its {section}.{key} is {a.get(key)!r}, this run's {b.get(key)!r}"
        return f"its {section} is {a!r}, this run's {b!r}"
    return ""


def _is_replicate_summary(path: Path) -> bool:
    """Whether ``path`` is a replicate summary abm wrote (CSV: its header; HDF5: its layout)."""
    try:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as f:
                return f.readline().startswith("run,arm,seed,status,error,file,")
        import h5py

        with h5py.File(path, "r") as f:
            return "summary" in f and "columns" in f.attrs and "study_toml" in f.attrs
    except (OSError, UnicodeDecodeError):
        return False


def run_replicate(config, path: Path, arm: str, metrics: tuple[str, ...] = DEFAULT_METRICS,
                  overwrite: bool = False, metrics_module: str = "") -> dict:
    """Run ``config`` to ``path`` and return its summary row (never raises for a failed run:
    the row says ``failed`` with the error). Runs in a worker process on every engine, which
    imports ``metrics_module`` (a module registering more metrics) first."""
    from abm import load_run, run_scenario
    from abm.study.metrics import evaluate, import_metrics_module

    start = time.perf_counter()
    try:
        import_metrics_module(metrics_module)
        run_scenario(config, path, overwrite=overwrite, progress=None)
        with load_run(path) as run:
            values = evaluate(run, metrics)
        print(f"wrote {path}", flush=True)
        status, error = DONE, ""
    except Exception as exc:  # noqa: BLE001 - a failed run is a result, listed at the end
        values = dict.fromkeys(metrics, float("nan"))
        status, error = FAILED, f"{type(exc).__name__}: {exc}"
    return _row(arm, int(config.run.seed), path, status, error,
                round(time.perf_counter() - start, 3), values)


def _row(arm: str, seed: int, path: Path, status: str, error: str, seconds: float,
         values: dict) -> dict:
    """A summary row, its columns in the summary's order."""
    return {"arm": arm, "seed": seed, "status": status, "error": error, "file": path.name,
            "seconds": seconds, **values}


class RunsFailed(UserError):
    """Some runs of a replicate set failed (the others and the summary are written)."""


@dataclass
class ReplicatePlan:
    """What :func:`run_plan` will do, every output checked: ``jobs`` (arm, seed) → (seeded
    config, run file, whether it may replace that run's files) and ``kept`` (arm, seed) →
    a complete run file of the same config (``reuse``)."""

    out: Path
    arms: tuple[str, ...]
    jobs: dict = field(default_factory=dict)
    kept: dict = field(default_factory=dict)

    def paths(self) -> dict[str, dict[int, Path]]:
        """arm → seed → run file, arms in their order, seeds ascending."""
        found = {**{key: job[1] for key, job in self.jobs.items()}, **self.kept}
        return {arm: {seed: found[(a, seed)] for a, seed in sorted(found) if a == arm}
                for arm in self.arms}


def plan_replicates(configs: dict, seeds: list[int], out: Path, *, overwrite: bool = False,
                    reuse: bool = False) -> ReplicatePlan:
    """Every arm of ``configs`` (arm → Config) with every seed: check every output before
    anything runs (OutputError naming the file and why). An existing run file needs
    ``overwrite``; with ``reuse`` a complete run file of the same config is kept, a leftover
    ``.parts`` folder of an unfinished run is replaced, and a run file of another config is
    refused naming the first key that differs (``reuse`` never replaces a run file, even with
    ``overwrite``). The summary files are replaced only if abm wrote them and ``overwrite``
    asks for it (the scripts' figures: :func:`abm.study.script_outputs.figure_paths`)."""
    plan = ReplicatePlan(out, tuple(configs))
    for arm, config in configs.items():
        for seed in seeds:
            seeded = dataclasses.replace(config, run=dataclasses.replace(config.run, seed=seed))
            path = replicate_path(out, arm, seed)
            if reuse and path.exists():
                if not (why := _config_difference(path, seeded)):
                    plan.kept[(arm, seed)] = path
                    continue
                raise OutputError(f"run file {str(path)!r} exists and is not reused: {why}; "
                                  "--overwrite replaces it, or choose another --out")
            # a killed script's unfinished run starts afresh (its parts are replaced)
            again = overwrite or (reuse and parts_dir(path).is_dir())
            check_run_outputs(seeded, path, again)
            plan.jobs[(arm, seed)] = (seeded, path, again)
    for path in summary_paths(out):
        check_output(path, overwrite=overwrite, what="replicate summary",
                     replaceable=_is_replicate_summary)
    return plan


def run_plan(plan: ReplicatePlan, executor: Executor | None = None,
             metrics: tuple[str, ...] = DEFAULT_METRICS, text: str = "",
             metrics_module: str = "") -> dict:
    """Run the plan's jobs on ``executor`` (None: in this process, one after another), write
    the replicate summary (``text``: the defining scenario text it stores; ``metrics``, of
    :mod:`abm.study.metrics` or registered by ``metrics_module``) and return arm → seed →
    run file; RunsFailed (after the summary is written) if any run failed."""
    from abm.study.metrics import import_metrics_module

    import_metrics_module(metrics_module)  # the kept runs are measured here
    rows = [_kept_row(arm, seed, path, metrics) for (arm, seed), path in plan.kept.items()]
    rows += _run_jobs(plan.jobs, executor, metrics, metrics_module)
    order = {arm: i for i, arm in enumerate(plan.arms)}
    table = pd.DataFrame(rows).sort_values(["arm", "seed"], key=lambda c: c.map(order)
                                           if c.name == "arm" else c, ignore_index=True)
    table.index.name = "run"
    write_summary_files(table, *summary_paths(plan.out), text)
    failed = table[table["status"] == FAILED]
    if len(failed):
        listed = "\n  ".join(f"{r.arm or 'run'} seed {r.seed}: {r.error.splitlines()[0]}"
                             for r in failed.itertuples())
        raise RunsFailed(f"{len(failed)} of {len(table)} runs failed:\n  {listed}\nthe "
                         f"others are in {summary_paths(plan.out)[0]}")
    return plan.paths()


def run_replicates(configs: dict, seeds: list[int], out: Path, *,
                   executor: Executor | None = None, overwrite: bool = False,
                   reuse: bool = False, metrics: tuple[str, ...] = DEFAULT_METRICS,
                   text: str = "", metrics_module: str = "") -> dict[str, dict[int, Path]]:
    """:func:`plan_replicates` then :func:`run_plan`: run every arm with every seed and
    return arm → seed → run file."""
    return run_plan(plan_replicates(configs, seeds, out, overwrite=overwrite, reuse=reuse),
                    executor, metrics, text, metrics_module)


def _run_jobs(jobs: dict, executor: Executor | None, metrics: tuple[str, ...],
              module: str) -> list[dict]:
    """The rows of every job ((arm, seed) → (config, path, overwrite)), run in this process
    or on ``executor``. If a local worker process dies, the runs it took down with it run
    again one at a time in a pool of their own, so that only a run that kills its worker
    again is failed (as in a study, :func:`abm.study.runner.run_study`)."""
    if executor is None:
        return [run_replicate(config, path, arm, metrics, again, module)
                for (arm, _), (config, path, again) in jobs.items()]
    futures = {executor.submit(run_replicate, config, path, arm, metrics, again, module):
               (arm, seed) for (arm, seed), (config, path, again) in jobs.items()}
    rows, broken = [], []
    for future in as_completed(futures):
        arm, seed = futures[future]
        try:
            rows.append(future.result())
        except BrokenProcessPool:
            broken.append((arm, seed))
        except Exception as exc:  # noqa: BLE001 - a lost Dask worker fails its run, not the set
            rows.append(_row(arm, seed, jobs[(arm, seed)][1], FAILED,
                             f"{type(exc).__name__}: {exc}", float("nan"),
                             dict.fromkeys(metrics, float("nan"))))
    for arm, seed in sorted(broken):
        config, path, _ = jobs[(arm, seed)]
        rows.append(_run_alone(config, path, arm, metrics, module))
    return rows


def _run_alone(config, path: Path, arm: str, metrics: tuple[str, ...], module: str) -> dict:
    """Run one job in a local pool of its own (after a worker died); its parts are replaced."""
    from abm.study.runner import local_executor

    pool = local_executor(1)
    try:
        return pool.submit(run_replicate, config, path, arm, metrics, True, module).result()
    except BrokenProcessPool:
        return _row(arm, int(config.run.seed), path, FAILED, "worker process died",
                    float("nan"), dict.fromkeys(metrics, float("nan")))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _kept_row(arm: str, seed: int, path: Path, metrics: tuple[str, ...]) -> dict:
    from abm import load_run
    from abm.study.metrics import evaluate

    with load_run(path) as run:
        values = evaluate(run, metrics)
    return _row(arm, seed, path, DONE, "", float("nan"), values)


def add_engine_arguments(parser: argparse.ArgumentParser, default_replicates: int,
                         reuse: bool = True) -> None:
    """The replicate and engine options every scenario script shares (``reuse``: offer
    ``--reuse``, for scripts whose runs are run files)."""
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--replicates", type=int, default=default_replicates, metavar="N",
                       help=f"replicate seeds 1 … N per arm (default {default_replicates})")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="K",
                       help="these replicate seeds instead")
    parser.add_argument("--workers", type=int, default=1, metavar="W",
                        help="runs at a time, each in its own process (default 1: this one)")
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="SCHEDULER_ADDRESS",
                        help="run on an existing Dask cluster (e.g. tcp://host:8786)")
    engine.add_argument("--dask-cluster", type=Path, metavar="FILE",
                        help="start a dask-jobqueue SLURM/PBS cluster from FILE's [cluster] "
                             "section (e.g. a study file)")
    if reuse:
        parser.add_argument("--reuse", action="store_true",
                            help="keep run files that are complete and of the same config "
                                 "and run the rest (a killed script continues); an existing "
                                 "summary or figure still needs --overwrite")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing files: run files (not with --reuse), the "
                             "summary and the figures")


def seeds_of(args: argparse.Namespace) -> list[int]:
    """The replicate seeds the command line asks for (UserError if none, repeated, or
    outside ``run.seed``'s range)."""
    from abm.config.params import info_of
    from abm.core.sections import RunSection

    seeds = list(args.seeds) if args.seeds else list(range(1, args.replicates + 1))
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds / --replicates give {seeds}: need at least one seed, none "
                        "twice")
    bounds = info_of(next(f for f in dataclasses.fields(RunSection) if f.name == "seed"))
    if any(not bounds.low <= seed <= bounds.high for seed in seeds):
        raise UserError(f"--seeds = {seeds}: a seed is a whole number {bounds.low:g} … "
                        f"{bounds.high} (run.seed)")
    return seeds


def engine_options(args: argparse.Namespace) -> tuple[int, str | None, dict | None]:
    """``(workers, dask address, cluster table)`` of the command line, checked (UserError),
    for :func:`abm.study.engines.open_engine`: ``--workers`` within its limit and the
    ``--dask-cluster`` file's ``[cluster]`` read, before anything starts."""
    from abm.study.engines import check_workers
    from abm.study.spec import read_cluster_file

    check_workers(args.workers)
    cluster = read_cluster_file(args.dask_cluster) if args.dask_cluster else None
    return args.workers, args.dask, cluster


@contextmanager
def script_errors(parser: argparse.ArgumentParser):
    """A script's errors as one line each, without a traceback: bad options and refused
    outputs exit 2 (argparse's usage error), failed runs exit 3 (as ``abm sweep``)."""
    try:
        yield
    except RunsFailed as exc:
        parser.exit(3, f"{parser.prog}: error: {exc}\n")
    except (UserError, ImportError) as exc:
        parser.error(str(exc))


def replicates_from_command_line(description: str, scenario: Path, arms: dict,
                                 default_out: Path, default_replicates: int = 3,
                                 argv: list[str] | None = None, docs: Path | None = None
                                 ) -> tuple[dict[str, dict[int, Path]], list[Path]]:
    """The scenario scripts' command line: ``--days``, ``--out``, ``--replicates N`` or
    ``--seeds``, ``--workers W`` / ``--dask`` / ``--dask-cluster FILE``, ``--reuse``,
    ``--overwrite``, ``--replot`` and (with ``docs``, the docs copy of the figure) ``--docs``;
    checks every option and output, then runs every arm with every seed
    (:func:`plan_replicates`, :func:`run_plan`; with ``--replot`` nothing runs and the run
    files must exist). Returns arm → seed → run file and the figure's paths (checked: the
    comparison figure of :mod:`abm.study.script_outputs`, and the docs copy with
    ``--docs``)."""
    from abm.study.arms import arm_configs
    from abm.study.engines import open_engine

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--days", type=float, help="override run.days")
    parser.add_argument("--out", type=Path, default=default_out,
                        help="base path: runs go to <stem>_<arm>_seed<k>.h5, the summary to "
                             "<stem>_summary.csv/.h5, the figure to <stem>_comparison.png")
    add_engine_arguments(parser, default_replicates)
    add_output_arguments(parser, docs)
    args = parser.parse_args(argv)
    with script_errors(parser):
        seeds = seeds_of(args)
        figures = figure_paths(args.out, args)
        if args.replot:
            return existing_runs({arm: {k: replicate_path(args.out, arm, k) for k in seeds}
                                  for arm in arms}), figures
        options = engine_options(args)
        configs = arm_configs(scenario, arms, days=args.days)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        plan = plan_replicates(configs, seeds, args.out, overwrite=args.overwrite,
                               reuse=args.reuse)
        with open_engine(*options) as executor:
            paths = run_plan(plan, executor, text=Path(scenario).read_text())
    return paths, figures
