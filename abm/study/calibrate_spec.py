"""Calibration files (``CALIBRATION.toml``): which parameters, their priors, and the targets.

::

    [calibration]
    name = "calib_hypoxia"            # default: the file's stem
    scenario = "quickstart.toml"      # the base scenario, relative to this file
    out = "../outputs/{name}"         # the calibration folder, relative to this file
    seed = 2026                       # every simulation's seed derives from it
    overrides = ["run.days=4"]        # applied to every simulation, as --set
    observations = "targets.csv"      # columns metric, value, sd (relative to this file)
    metrics_module = ""               # optional: a module that registers more metrics
    population = 40                   # particles per generation
    generations = 6                   # at most this many generations in all (resumes count)
    min_epsilon = 0.0                 # stop once the distance threshold is this small
    predictive_draws = 20             # posterior draws run for the predictive check

    [priors]                          # any config key: uniform or log-uniform
    "oxygen.vessel_mmHg" = { uniform = [10.0, 40.0] }
    "intracellular.params.Smax" = { loguniform = [0.5, 20.0] }

    [cluster]                         # optional: a dask-jobqueue cluster (--dask-cluster)

    [culture]                         # optional: each particle runs a well-mixed culture
    hypoxia_mmHg = 7.6                # (keys: abm.study.calibrate_culture)

The observations are summary statistics by the names a study measures
(:mod:`abm.study.metrics`), or with a ``[culture]`` section culture metrics
``COLUMN@HOURS`` (:mod:`abm.study.calibrate_culture`), each with its measurement noise ``sd``
(> 0). Every problem is reported at once, naming the key, the value and what is allowed
(:class:`CalibrationError`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from abm.study import calibrate_culture, script_values
from abm.study.calibrate_culture import CultureSpec
from abm.study.spec import (Parameter, StudyError, _check_against_scenario, _checked_values,
                            _finite, _is_file, _read_toml, _whole, check_sections,
                            range_problem, read_head)

PRIOR_KINDS = ("uniform", "loguniform")


class CalibrationError(StudyError):
    """A calibration file that cannot be run (every problem listed)."""


@dataclass(frozen=True)
class Prior:
    """The prior of one config key: ``uniform`` or ``loguniform`` on ``[lo, hi]``."""

    key: str
    kind: str
    lo: float
    hi: float

    @property
    def width(self) -> float:
        return self.hi - self.lo


@dataclass(frozen=True)
class CalibrationSpec:
    """A parsed, checked calibration file (see the module docstring for the keys)."""

    path: Path
    name: str
    scenario: Path
    out_dir: Path
    seed: int
    overrides: tuple[str, ...]
    observations: pd.DataFrame  # index metric; columns value, sd
    metrics_module: str
    population: int
    generations: int
    min_epsilon: float
    predictive_draws: int
    priors: tuple[Prior, ...]
    cluster: dict = field(default_factory=dict)
    culture: CultureSpec | None = None  # None: each particle is a lattice run

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.observations.index)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.priors)


_SECTIONS = {
    "calibration": {"name", "scenario", "out", "seed", "overrides", "observations",
                    "metrics_module", "population", "generations", "min_epsilon",
                    "predictive_draws"},
    "priors": None,
    "cluster": {"kind", "jobs", "cores", "memory", "walltime", "queue", "processes"},
    "culture": set(calibrate_culture.KEYS),
}


def load_calibration_spec(path: str | Path) -> CalibrationSpec:
    """Read and check the calibration file at ``path`` and its observations (raises
    :class:`CalibrationError` listing every problem; nothing is written)."""

    path = Path(path).resolve()
    try:
        data = _read_toml(path)
    except StudyError as exc:
        raise CalibrationError(str(exc).replace("study file", "calibration file")) from None
    errors: list[str] = []
    table = check_sections(data, _SECTIONS, errors)
    calib = table.get("calibration", {})
    base = path.parent
    head = read_head("calibration", calib, path, "outputs/{name}", errors)
    name, scenario, has_scenario = head.name, head.scenario, head.has_scenario
    out_dir, seed, overrides, metrics_module = (head.out_dir, head.seed, head.overrides,
                                                head.metrics_module)
    population = _whole(calib, "calibration", "population", 40, 2, errors)
    generations = _whole(calib, "calibration", "generations", 6, 1, errors)
    predictive_draws = _whole(calib, "calibration", "predictive_draws", 20, 1, errors)
    min_epsilon = calib.get("min_epsilon", 0.0)
    if not (_finite(min_epsilon) and min_epsilon >= 0):
        errors.append(f"calibration.min_epsilon = {min_epsilon!r}: must be a number ≥ 0")
        min_epsilon = 0.0
    culture = (calibrate_culture.read_culture(table["culture"], errors)
               if "culture" in table else None)
    observations = _observations(base, calib.get("observations"), errors, culture)
    priors = _priors(data.get("priors", {}), errors)
    on_culture = [p for p in priors if p.key.startswith(calibrate_culture.PREFIX)]
    errors += calibrate_culture.check_priors(on_culture, culture)
    if has_scenario:
        ranges = [Parameter(p.key, range=(p.lo, p.hi)) for p in priors if p not in on_culture]
        errors += [e.replace("study.overrides", "calibration.overrides", 1)
                   .replace("parameters.", "priors.", 1)
                   for e in _check_against_scenario(scenario, overrides, ranges)]
        if culture is not None:
            errors += calibrate_culture.check_scenario(scenario, overrides)
    cluster = _checked_values("cluster", table.get("cluster", {}), script_values.CLUSTER,
                              {k: 1 for k in script_values.CLUSTER_COUNTS}, errors)
    if errors:
        listed = errors[0] if len(errors) == 1 else (f"{len(errors)} problems:\n  "
                                                     + "\n  ".join(errors))
        raise CalibrationError(f"{path.name}: {listed}")
    return CalibrationSpec(path=path, name=name, scenario=scenario, out_dir=out_dir, seed=seed,
                           overrides=tuple(overrides), observations=observations,
                           metrics_module=metrics_module, population=population,
                           generations=generations, min_epsilon=float(min_epsilon),
                           predictive_draws=predictive_draws,
                           priors=tuple(priors), cluster=cluster, culture=culture)


def _observations(base: Path, name, errors: list[str], culture: CultureSpec | None
                  ) -> pd.DataFrame:
    """The target table (index metric; value, sd), every problem appended to ``errors``;
    the metrics are a study's, or a culture's when ``culture`` is given."""
    from abm.study.metrics import check_metrics

    def check(metric: str) -> list[str]:
        if culture is not None:
            return calibrate_culture.check_metrics([metric], culture)
        return [e.replace("study.metrics: ", "metric ") for e in check_metrics([metric])]

    empty = pd.DataFrame({"value": [], "sd": []}, index=pd.Index([], name="metric"))
    where = f"calibration.observations = {name!r}"
    if not isinstance(name, str) or not _is_file(base / name):
        errors.append(f"{where}: must name an existing CSV file (columns metric, value, sd; "
                      f"relative to {base})")
        return empty
    try:
        table = pd.read_csv(base / name, dtype={"metric": str}, comment="#",
                            skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        errors.append(f"{where}: not a readable CSV ({exc})")
        return empty
    missing = [c for c in ("metric", "value", "sd") if c not in table.columns]
    if missing or table.empty:
        errors.append(f"{where}: needs columns metric, value, sd and at least one row "
                      f"(missing: {', '.join(missing) or 'rows'})")
        return empty
    found = len(errors)
    for row, (metric, value, sd) in enumerate(zip(table["metric"], table["value"], table["sd"]),
                                              start=2):
        value, sd = pd.to_numeric(value, errors="coerce"), pd.to_numeric(sd, errors="coerce")
        if not (isinstance(metric, str) and metric.strip()):
            errors.append(f"{where}, line {row}: metric {metric!r}: must be a metric name")
            continue
        errors += [f"{where}, line {row}: " + e for e in check(metric.strip())]
        if not math.isfinite(value):
            errors.append(f"{where}, line {row}: value {value}: must be a finite number")
        if not (math.isfinite(sd) and sd > 0):
            errors.append(f"{where}, line {row}: sd {sd}: must be a finite number > 0")
    metrics = table["metric"].astype(str).str.strip()
    for twice in sorted(set(metrics[metrics.duplicated()])):
        errors.append(f"{where}: metric {twice!r} is listed twice; give each metric once")
    if len(errors) > found:
        return empty
    return pd.DataFrame({"value": table["value"].astype(float).to_numpy(),
                         "sd": table["sd"].astype(float).to_numpy()},
                        index=pd.Index(metrics, name="metric"))


def _priors(table, errors: list[str]) -> list[Prior]:
    if not isinstance(table, dict) or not table:
        errors.append("priors: at least one parameter to calibrate, e.g. "
                      "\"oxygen.vessel_mmHg\" = { uniform = [10.0, 40.0] }")
        return []
    out = []
    for key, spec in table.items():
        where = f"priors.{key!r}"
        if not (isinstance(spec, dict) and len(spec) == 1 and set(spec) <= set(PRIOR_KINDS)):
            errors.append(f"{where} = {spec!r}: must be {{ uniform = [lo, hi] }} or "
                          "{ loguniform = [lo, hi] }")
            continue
        kind, lo_hi = next(iter(spec.items()))
        if problem := range_problem(f"{where}.{kind}", lo_hi, positive=kind == "loguniform"):
            errors.append(problem)
            continue
        out.append(Prior(key, kind, float(lo_hi[0]), float(lo_hi[1])))
    return out
