"""Study files (``STUDY.toml``): what a parameter study varies, how, and what it measures.

::

    [study]
    name = "study_dormancy"          # default: the file's stem
    scenario = "quickstart.toml"     # the base scenario, relative to this file
    out = "../outputs/{name}"        # the study directory, relative to this file
    seed = 2026                      # every run's seed derives from it (SeedSequence)
    replicates = 2                   # runs per design point, each with its own seed
    overrides = ["run.days=4"]       # applied to every run, as --set
    metrics = ["dormant_fraction", "ctc_shed_cells", "time_to_cells:5000"]
    metrics_module = ""              # optional: a module that registers more metrics

    [design]
    method = "lhs"                   # factorial | random | lhs | sobol | morris
    n = 16                           # samples (random, lhs) or base N (sobol, morris)
    levels = 4                       # factorial: points per range; morris: grid levels

    [parameters]                     # any config key: a range or a list of values
    "vessels.density_per_mm2" = { range = [4.0, 16.0] }
    "intracellular.preset" = { values = ["default", "hypoxia_sensitive"] }

    [cluster]                        # optional: a dask-jobqueue cluster (--dask-cluster)
    kind = "slurm"                   # slurm | pbs
    jobs = 4
    cores = 1
    memory = "4GB"
    walltime = "02:00:00"
    queue = ""

    [slurm]                          # optional: the job-array script (--emit-slurm)
    time = "02:00:00"
    memory = "4G"
    partition = ""
    max_parallel = 0                 # 0: no limit on concurrent array tasks

Every problem is reported at once, naming the key, the value and what is allowed, before
any run starts (:class:`StudyError`). Sobol and Morris designs need ranges (SALib samples a
continuous box); lists of values are for factorial, random and Latin-hypercube designs.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import load_config
from ..errors import ConfigError

METHODS = ("factorial", "random", "lhs", "sobol", "morris")
CLUSTER_KINDS = ("slurm", "pbs")


class StudyError(ConfigError):
    """A study file that cannot be run (every problem listed)."""


@dataclass(frozen=True)
class Parameter:
    """One varied config key: a continuous ``range`` (lo, hi) or a list of ``values``."""

    key: str
    range: tuple[float, float] | None = None
    values: tuple | None = None


@dataclass(frozen=True)
class StudySpec:
    """A parsed, checked study file (see the module docstring for the keys)."""

    path: Path
    name: str
    scenario: Path
    out_dir: Path
    seed: int
    replicates: int
    overrides: tuple[str, ...]
    metrics: tuple[str, ...]
    metrics_module: str
    method: str
    n: int
    levels: int
    parameters: tuple[Parameter, ...]
    cluster: dict = field(default_factory=dict)
    slurm: dict = field(default_factory=dict)

    @property
    def problem(self) -> dict:
        """The SALib problem: ``num_vars``, ``names``, ``bounds`` (ranged parameters)."""
        return {"num_vars": len(self.parameters), "names": [p.key for p in self.parameters],
                "bounds": [list(p.range) for p in self.parameters if p.range is not None]}


_SECTIONS = {
    "study": {"name", "scenario", "out", "seed", "replicates", "overrides", "metrics",
              "metrics_module"},
    "design": {"method", "n", "levels"},
    "parameters": None,
    "cluster": {"kind", "jobs", "cores", "memory", "walltime", "queue", "processes"},
    "slurm": {"time", "memory", "partition", "max_parallel", "account"},
}


def _unknown(where: str, key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}{key}: unknown key{hint}; allowed: {', '.join(sorted(allowed))}"


def load_study_spec(path: str | Path) -> StudySpec:
    """Read and check the study file at ``path`` (raises :class:`StudyError`)."""
    from .metrics import check_metrics, import_metrics_module

    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"study file {path} not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path.name}: not valid TOML: {exc}") from None
    errors: list[str] = []
    for section, value in data.items():
        if section not in _SECTIONS:
            errors.append(_unknown("", section, _SECTIONS))
        elif _SECTIONS[section] is not None and isinstance(value, dict):
            errors += [_unknown(f"{section}.", k, _SECTIONS[section])
                       for k in value if k not in _SECTIONS[section]]
    study, design = data.get("study", {}), data.get("design", {})
    base = path.parent
    name = str(study.get("name", path.stem))
    scenario = base / str(study.get("scenario", ""))
    if "scenario" not in study or not scenario.is_file():
        errors.append(f"study.scenario = {study.get('scenario')!r}: must name an existing "
                      f"scenario file (relative to {base})")
    seed = study.get("seed", 0)
    if not (isinstance(seed, int) and seed >= 0):
        errors.append(f"study.seed = {seed!r}: must be a whole number ≥ 0")
    replicates = study.get("replicates", 1)
    if not (isinstance(replicates, int) and replicates >= 1):
        errors.append(f"study.replicates = {replicates!r}: must be a whole number ≥ 1")
    overrides = study.get("overrides", [])
    if not (isinstance(overrides, list) and all(isinstance(o, str) for o in overrides)):
        errors.append(f"study.overrides = {overrides!r}: must be a list of 'section.key=value'")
        overrides = []
    metrics_module = str(study.get("metrics_module", ""))
    if metrics_module:
        try:
            import_metrics_module(metrics_module)
        except ImportError as exc:
            errors.append(f"study.metrics_module = {metrics_module!r}: cannot import ({exc})")
    metrics = study.get("metrics", ["n_tumor", "dormant_fraction", "hypoxic_fraction"])
    if not (isinstance(metrics, list) and metrics and all(isinstance(m, str) for m in metrics)):
        errors.append(f"study.metrics = {metrics!r}: must be a non-empty list of metric names")
        metrics = []
    errors += check_metrics(metrics)
    method = design.get("method", "lhs")
    if method not in METHODS:
        errors.append(f"design.method = {method!r}: allowed: {', '.join(METHODS)}")
    n = design.get("n", 8)
    if not (isinstance(n, int) and n >= 1):
        errors.append(f"design.n = {n!r}: must be a whole number ≥ 1")
    levels = design.get("levels", 4 if method == "morris" else 3)
    if not (isinstance(levels, int) and levels >= 2):
        errors.append(f"design.levels = {levels!r}: must be a whole number ≥ 2")
    parameters = _parameters(data.get("parameters", {}), method, errors)
    errors += _check_against_scenario(scenario, overrides, parameters)
    cluster, slurm = data.get("cluster", {}), data.get("slurm", {})
    if cluster and cluster.get("kind", "slurm") not in CLUSTER_KINDS:
        errors.append(f"cluster.kind = {cluster.get('kind')!r}: allowed: "
                      f"{', '.join(CLUSTER_KINDS)}")
    if errors:
        listed = errors[0] if len(errors) == 1 else (f"{len(errors)} problems:\n  "
                                                     + "\n  ".join(errors))
        raise StudyError(f"{path.name}: {listed}")
    out = str(study.get("out", "outputs/{name}")).format(name=name)
    return StudySpec(path=path, name=name, scenario=scenario, out_dir=(base / out).resolve(),
                     seed=seed, replicates=replicates, overrides=tuple(overrides),
                     metrics=tuple(metrics), metrics_module=metrics_module, method=method, n=n,
                     levels=levels, parameters=tuple(parameters), cluster=dict(cluster),
                     slurm=dict(slurm))


def _parameters(table: Any, method: str, errors: list[str]) -> list[Parameter]:
    if not isinstance(table, dict) or not table:
        errors.append("parameters: at least one parameter to vary, e.g. "
                      "\"vessels.density_per_mm2\" = { range = [4.0, 16.0] }")
        return []
    out = []
    for key, spec in table.items():
        where = f"parameters.{key!r}"
        if not isinstance(spec, dict) or set(spec) not in ({"range"}, {"values"}):
            errors.append(f"{where} = {spec!r}: must be {{ range = [lo, hi] }} or "
                          "{ values = [...] }")
            continue
        if "range" in spec:
            lo_hi = spec["range"]
            if not (isinstance(lo_hi, list) and len(lo_hi) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in lo_hi)
                    and lo_hi[0] < lo_hi[1]):
                errors.append(f"{where}.range = {lo_hi!r}: must be [lo, hi] numbers with lo < hi")
                continue
            out.append(Parameter(key, range=(float(lo_hi[0]), float(lo_hi[1]))))
        else:
            values = spec["values"]
            if not (isinstance(values, list) and values):
                errors.append(f"{where}.values = {values!r}: must be a non-empty list")
                continue
            if method in ("sobol", "morris"):
                errors.append(f"{where}: design.method = {method!r} samples a continuous box "
                              "(SALib); give a range, or use factorial, random or lhs")
                continue
            out.append(Parameter(key, values=tuple(values)))
    return out


def _check_against_scenario(scenario: Path, overrides, parameters) -> list[str]:
    """Every override and every parameter's extreme values must make a valid config."""
    if not scenario.is_file():
        return []
    trials = [{}]
    for p in parameters:
        choices = p.range if p.range is not None else p.values
        trials += [{p.key: choices[0]}, {p.key: choices[-1]}]
    errors = []
    for trial in trials:
        try:
            load_config(scenario, overrides=list(overrides) + override_strings(trial))
        except ConfigError as exc:
            text = str(exc)
            if text not in errors:
                errors.append(text)
    return errors


def override_strings(values: dict[str, Any]) -> list[str]:
    """``{"section.key": value}`` as ``["section.key=<TOML value>"]`` (strings quoted)."""
    out = []
    for key, value in values.items():
        if isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = repr(value.item() if hasattr(value, "item") else value)
        out.append(f"{key}={text}")
    return out
