"""Run one scenario TOML as several arms that differ only in their therapy schedule (the
comparisons of senescence_sasp.py and immune_pdl1.py). Each arm writes its own run file
``<out>_<arm>.h5`` (and the standard summary figure next to it) through the normal runner,
so every arm can be re-plotted, resumed and inspected like any run."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from abm import load_config, run_scenario
from abm.schema import to_toml
from abm.schema import config_from_dict
from abm.errors import UserError
from abm.io import load_run
from abm.io.outputs import check_output
from abm.runner import check_run_outputs


def arm_configs(scenario: Path, arms: dict[str, list[dict]], seed: int | None = None,
                days: float | None = None) -> dict:
    """arm name → resolved Config. An arm is a list of extra ``[[therapy]]`` entries, or
    ``None`` (the scenario without any therapy), or a dict with ``therapy`` (such a list or
    None) and ``set`` (``{"section.key": value}`` changes); validated like a scenario file,
    so a bad arm is rejected before anything runs."""
    import tomllib

    base = load_config(scenario, seed=seed)
    if days is not None:
        base = dataclasses.replace(base, run=dataclasses.replace(base.run, days=float(days)))
    data = tomllib.loads(to_toml(base))
    configs = {}
    for name, extra in arms.items():
        changes = extra if isinstance(extra, dict) else {"therapy": extra}
        arm = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
        added = changes.get("therapy")
        arm["therapy"] = [] if added is None else list(data.get("therapy", [])) + list(added)
        for dotted, value in changes.get("set", {}).items():
            section, key = dotted.split(".")
            arm[section][key] = value
        arm["name"] = f"{base.name}_{name}"
        configs[name] = config_from_dict(arm, name=arm["name"], base_dir=Path(scenario).parent)
    return configs


def run_arms(configs: dict, out: Path, overwrite: bool = False) -> dict[str, Path]:
    """Run every arm into ``<out stem>_<arm>.h5``; returns arm → run file. Every arm's
    outputs and the comparison figure ``<out stem>.png`` are checked before the first arm
    runs (existing ones need ``overwrite``)."""
    paths = {name: out.with_name(f"{out.stem}_{name}.h5") for name in configs}
    for name, config in configs.items():
        check_run_outputs(config, paths[name], overwrite)
    check_output(out.with_suffix(".png"), overwrite=overwrite, what="comparison figure")
    for name, config in configs.items():
        run_scenario(config, paths[name], overwrite=overwrite, progress=None)
        print(f"wrote {paths[name]}")
    return paths


def run_replicates(configs: dict, seeds: list[int], out: Path, workers: int = 1,
                   overwrite: bool = False) -> dict[str, dict[int, Path]]:
    """Run every arm with every seed into ``<out stem>_<arm>_seed<k>.h5``, ``workers`` runs at
    a time (processes); returns arm → seed → run file. As :func:`run_arms`, every output is
    checked before the first run. A run's result does not depend on ``workers``."""
    jobs = {}
    for name, config in configs.items():
        for seed in seeds:
            seeded = dataclasses.replace(config, run=dataclasses.replace(config.run, seed=seed))
            path = out.with_name(f"{out.stem}_{name}_seed{seed}.h5")
            check_run_outputs(seeded, path, overwrite)
            jobs[(name, seed)] = (seeded, path)
    check_output(out.with_suffix(".png"), overwrite=overwrite, what="comparison figure")
    if workers <= 1:
        for seeded, path in jobs.values():
            _run_one(seeded, path, overwrite)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done in [pool.submit(_run_one, *job, overwrite) for job in jobs.values()]:
                done.result()
    paths: dict[str, dict[int, Path]] = {name: {} for name in configs}
    for (name, seed), (_, path) in jobs.items():
        paths[name][seed] = path
    return paths


def _run_one(config, path: Path, overwrite: bool) -> None:
    run_scenario(config, path, overwrite=overwrite, progress=None)
    print(f"wrote {path}", flush=True)


def _parser(description: str, default_out: Path) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--days", type=float, help="override run.days")
    parser.add_argument("--out", type=Path, default=default_out,
                        help="base path: arms go to <stem>_<arm>[_seed<k>].h5, the figure to "
                             "<stem>.png")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the arms' run files and figures if they exist")
    return parser


def run_from_command_line(description: str, scenario: Path, arms: dict[str, list[dict]],
                          default_out: Path) -> tuple[dict[str, Path], Path]:
    """The scripts' shared command line (``--days``, ``--seed``, ``--out``): run every arm;
    returns arm → run file, and the ``--out`` path (figures go next to it as .png)."""
    parser = _parser(description, default_out)
    parser.add_argument("--seed", type=int, help="override run.seed")
    args = parser.parse_args()
    try:
        configs = arm_configs(scenario, arms, seed=args.seed, days=args.days)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        return run_arms(configs, args.out, overwrite=args.overwrite), args.out
    except UserError as exc:  # a bad --days for the schedule, an existing output: no traceback
        parser.error(str(exc))


def replicates_from_command_line(description: str, scenario: Path, arms: dict[str, list[dict]],
                                 default_out: Path, default_seeds: list[int]
                                 ) -> tuple[dict[str, dict[int, Path]], Path]:
    """As :func:`run_from_command_line` with replicate seeds (``--seeds``, ``--workers``):
    returns arm → seed → run file (:func:`run_replicates`) and the ``--out`` path."""
    parser = _parser(description, default_out)
    parser.add_argument("--seeds", type=int, nargs="+", default=default_seeds,
                        help=f"replicate seeds (default {' '.join(map(str, default_seeds))})")
    parser.add_argument("--workers", type=int, default=1,
                        help="runs at a time, each in its own process (default 1)")
    args = parser.parse_args()
    try:
        configs = arm_configs(scenario, arms, days=args.days)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        return run_replicates(configs, args.seeds, args.out, args.workers,
                              overwrite=args.overwrite), args.out
    except UserError as exc:
        parser.error(str(exc))


def series(path: Path) -> "object":
    """The run's time series (pandas DataFrame indexed by time in min)."""
    with load_run(path) as run:
        return run.timeseries


def last_field(path: Path, name: str) -> tuple[np.ndarray, float]:
    """The field ``name`` at the last frame and the run's dx (µm)."""
    with load_run(path) as run:
        return np.asarray(run.field(name, -1)), float(run.attrs["dx_um"])
