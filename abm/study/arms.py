"""One scenario TOML as several arms that differ in their therapy schedule or a few keys (the
comparisons of the scenario scripts), and readers of their run files. The arms run with
replicate seeds through :mod:`abm.study.replicates`."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from abm import load_config
from abm.io import load_run
from abm.schema import config_from_dict, to_toml


def arm_configs(scenario: Path, arms: dict[str, list[dict]], days: float | None = None) -> dict:
    """arm name → resolved Config (an arm named ``""`` keeps the scenario's name). An arm is a
    list of extra ``[[therapy]]`` entries, or
    ``None`` (the scenario without any therapy), or a dict with ``therapy`` (such a list or
    None) and ``set`` (``{"section.key": value}`` changes); validated like a scenario file,
    so a bad arm is rejected before anything runs. Seeds are set per replicate
    (:func:`abm.study.replicates.plan_replicates`)."""
    import tomllib

    base = load_config(scenario)
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
        arm["name"] = f"{base.name}_{name}" if name else base.name
        configs[name] = config_from_dict(arm, name=arm["name"], base_dir=Path(scenario).parent)
    return configs


def series(path: Path) -> "object":
    """The run's time series (pandas DataFrame indexed by time in min)."""
    with load_run(path) as run:
        return run.timeseries


def last_field(path: Path, name: str) -> tuple[np.ndarray, float]:
    """The field ``name`` at the last frame and the run's dx (µm)."""
    with load_run(path) as run:
        return np.asarray(run.field(name, -1)), float(run.attrs["dx_um"])
