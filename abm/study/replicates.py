"""Replicate runs of a scenario's arms, on the engines of a study, with a tidy summary.

A scenario script compares arms (:func:`abm.study.arms.arm_configs`) over replicate seeds.
Every (arm, seed) run writes ``<out stem>_<arm>_seed<k>.h5`` (``<out stem>_seed<k>.h5`` for
a script of one unnamed arm), through the normal runner, so each can be re-plotted, resumed
and inspected like any run. The runs go to the executors of ``abm sweep``
(:func:`abm.study.engines.open_engine`): this process, local worker processes, a Dask
scheduler, or a dask-jobqueue SLURM/PBS cluster. A run's result does not depend on where it
ran.

After the runs, ``<out stem>_summary.csv`` / ``.h5`` (:mod:`abm.study.tables`) hold one row
per run: ``arm``, ``seed``, ``status``, ``error``, ``file``, ``seconds`` and the study
metrics of :data:`DEFAULT_METRICS`. ``abm.load_study("<out stem>_summary.h5")`` reads it
back, and its ``timeseries()`` gives every run's time series in one tidy table (the mean ±
SD bands of the scenario figures).
"""
from __future__ import annotations

import argparse
import dataclasses
import time
import tomllib
from concurrent.futures import Executor, as_completed
from pathlib import Path

import pandas as pd

from abm.errors import UserError
from abm.io.outputs import check_output
from abm.io.parts import parts_dir
from abm.runner import check_run_outputs
from abm.schema import to_toml
from abm.study.status import DONE, FAILED
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


def is_done(path: Path, config) -> bool:
    """Whether ``path`` is a complete run made from exactly ``config`` (its seed included)."""
    from abm.io import load_run

    if not path.is_file():
        return False
    try:
        with load_run(path) as run:
            return run.status == "complete" and run.config == tomllib.loads(to_toml(config))
    except Exception:  # noqa: BLE001 - a file that cannot be read is not a finished run
        return False


def run_replicate(config, path: Path, arm: str, metrics: tuple[str, ...] = DEFAULT_METRICS,
                  overwrite: bool = False) -> dict:
    """Run ``config`` to ``path`` and return its summary row (never raises for a failed run:
    the row says ``failed`` with the error). Runs in a worker process on every engine."""
    from abm import load_run, run_scenario
    from abm.study.metrics import evaluate

    start = time.perf_counter()
    row = {"arm": arm, "seed": int(config.run.seed), "status": DONE, "error": "",
           "file": path.name}
    try:
        run_scenario(config, path, overwrite=overwrite, progress=None)
        with load_run(path) as run:
            row.update(evaluate(run, metrics))
        print(f"wrote {path}", flush=True)
    except Exception as exc:  # noqa: BLE001 - a failed run is a result, listed at the end
        row.update(status=FAILED, error=f"{type(exc).__name__}: {exc}",
                   **dict.fromkeys(metrics, float("nan")))
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def run_replicates(configs: dict, seeds: list[int], out: Path, *,
                   executor: Executor | None = None, overwrite: bool = False,
                   reuse: bool = False, metrics: tuple[str, ...] = DEFAULT_METRICS,
                   text: str = "") -> dict[str, dict[int, Path]]:
    """Run every arm of ``configs`` (arm → Config) with every seed on ``executor`` (None: in
    this process, one run after another); write the replicate summary (``text``: the
    defining scenario text it stores) and return arm → seed → run file.

    Every output is checked before the first run (an existing one needs ``overwrite``;
    with ``reuse`` a complete run file of the same config is kept and not run again, so a
    killed script continues where it stopped). Failed runs are listed in one UserError
    after the summary is written."""
    jobs, kept = {}, {}
    for arm, config in configs.items():
        for seed in seeds:
            seeded = dataclasses.replace(config, run=dataclasses.replace(config.run, seed=seed))
            path = replicate_path(out, arm, seed)
            if reuse and is_done(path, seeded):
                kept[(arm, seed)] = path
                continue
            # a killed script's unfinished run starts afresh (its parts are replaced)
            again = overwrite or (reuse and not path.exists() and parts_dir(path).is_dir())
            check_run_outputs(seeded, path, again)
            jobs[(arm, seed)] = (seeded, path, again)
    for path in (*summary_paths(out), out.with_suffix(".png")):
        check_output(path, overwrite=overwrite or reuse, what="replicate summary or figure")
    rows = [_kept_row(arm, seed, path, configs[arm], metrics)
            for (arm, seed), path in kept.items()]
    rows += _run_jobs(jobs, executor, metrics)
    order = {arm: i for i, arm in enumerate(configs)}
    table = pd.DataFrame(rows).sort_values(["arm", "seed"], key=lambda c: c.map(order)
                                           if c.name == "arm" else c, ignore_index=True)
    table.index.name = "run"
    write_summary_files(table, *summary_paths(out), text)
    failed = table[table["status"] == FAILED]
    if len(failed):
        listed = "; ".join(f"{r.arm or 'run'} seed {r.seed}: {r.error}" for r in failed.itertuples())
        raise UserError(f"{len(failed)} of {len(table)} runs failed ({listed}); the others are "
                        f"in {summary_paths(out)[0]}")
    paths: dict[str, dict[int, Path]] = {arm: {} for arm in configs}
    for arm, seed in sorted([*jobs, *kept], key=lambda k: (order[k[0]], k[1])):
        paths[arm][seed] = replicate_path(out, arm, seed)
    return paths


def _run_jobs(jobs: dict, executor: Executor | None, metrics: tuple[str, ...]) -> list[dict]:
    """The rows of every job ((arm, seed) → (config, path, overwrite)), run in this process
    or on ``executor``."""
    if executor is None:
        return [run_replicate(config, path, arm, metrics, again)
                for (arm, _), (config, path, again) in jobs.items()]
    futures = {executor.submit(run_replicate, config, path, arm, metrics, again): (arm, seed)
               for (arm, seed), (config, path, again) in jobs.items()}
    rows = []
    for future in as_completed(futures):
        arm, seed = futures[future]
        try:
            rows.append(future.result())
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its run, not the set
            rows.append({"arm": arm, "seed": seed, "status": FAILED,
                         "error": f"{type(exc).__name__}: {exc}",
                         "file": jobs[(arm, seed)][1].name,
                         **dict.fromkeys(metrics, float("nan")), "seconds": float("nan")})
    return rows


def _kept_row(arm: str, seed: int, path: Path, config, metrics: tuple[str, ...]) -> dict:
    from abm import load_run
    from abm.study.metrics import evaluate

    with load_run(path) as run:
        values = evaluate(run, metrics)
    return {"arm": arm, "seed": seed, "status": DONE, "error": "", "file": path.name,
            **values, "seconds": float("nan")}


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
                            help="keep run files that are complete and of the same config, "
                                 "run the rest and redraw the summary and figure (a killed "
                                 "script continues)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing run files, the summary and the figure")


def seeds_of(args: argparse.Namespace) -> list[int]:
    """The replicate seeds the command line asks for (UserError if none or repeated)."""
    seeds = list(args.seeds) if args.seeds else list(range(1, args.replicates + 1))
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds / --replicates give {seeds}: need at least one seed, none "
                        "twice")
    if any(seed < 0 for seed in seeds):
        raise UserError(f"--seeds = {seeds}: seeds are whole numbers ≥ 0")
    return seeds


def replicates_from_command_line(description: str, scenario: Path, arms: dict,
                                 default_out: Path, default_replicates: int = 3,
                                 argv: list[str] | None = None
                                 ) -> tuple[dict[str, dict[int, Path]], Path]:
    """The scenario scripts' command line: ``--days``, ``--out``, ``--replicates N`` or
    ``--seeds``, ``--workers W`` / ``--dask`` / ``--dask-cluster FILE``, ``--reuse``,
    ``--overwrite``; runs every arm with every seed (:func:`run_replicates`) and returns
    arm → seed → run file and the ``--out`` path (figures go next to it as .png)."""
    import os

    from abm.study.arms import arm_configs
    from abm.study.engines import open_engine
    from abm.study.spec import read_cluster_file

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--days", type=float, help="override run.days")
    parser.add_argument("--out", type=Path, default=default_out,
                        help="base path: runs go to <stem>_<arm>_seed<k>.h5, the summary to "
                             "<stem>_summary.csv/.h5, the figure to <stem>.png")
    add_engine_arguments(parser, default_replicates)
    args = parser.parse_args(argv)
    most = 4 * (os.cpu_count() or 1)  # design choice, as abm sweep: more only adds memory
    try:
        if not 1 <= args.workers <= most:
            raise UserError(f"--workers = {args.workers}: must be 1 … {most} (4 × the CPU count)")
        seeds = seeds_of(args)
        configs = arm_configs(scenario, arms, days=args.days)
        cluster = read_cluster_file(args.dask_cluster) if args.dask_cluster else None
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open_engine(args.workers, args.dask, cluster) as executor:
            paths = run_replicates(configs, seeds, args.out, executor=executor,
                                   overwrite=args.overwrite, reuse=args.reuse,
                                   text=Path(scenario).read_text())
    except (UserError, ImportError) as exc:  # bad options, existing outputs, failed runs
        parser.error(str(exc))
    return paths, args.out
