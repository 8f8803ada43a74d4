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
    "intracellular.params.kMH" = { range = [1.5, 6.0] }   # an entry of a table-valued key
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
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm.schema import load_config
from abm.errors import ConfigError
from abm.study import script_values

METHODS = ("factorial", "random", "lhs", "sobol", "morris")
DEFAULT_OUT = "outputs/{name}"
MAX_RUNS = 100_000
"""Most runs a study may have (design choice: far beyond a laptop's or one job array's
reach, and it bounds the design table built before anything runs)."""


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
    """Read and check the study file at ``path`` (raises :class:`StudyError` listing every
    problem; nothing is written)."""
    from abm.study.design import count_runs
    from abm.study.metrics import check_metrics

    path = Path(path).resolve()
    data = _read_toml(path)
    errors: list[str] = []
    table = check_sections(data, _SECTIONS, errors)
    study, design = table.get("study", {}), table.get("design", {})
    base = path.parent
    head = read_head("study", study, path, DEFAULT_OUT, errors)
    name, scenario, has_scenario = head.name, head.scenario, head.has_scenario
    out_dir, seed, overrides, metrics_module = (head.out_dir, head.seed, head.overrides,
                                                head.metrics_module)
    replicates = _whole(study, "study", "replicates", 1, 1, errors)
    metrics = study.get("metrics", ["n_tumor", "dormant_fraction", "hypoxic_fraction"])
    if not (isinstance(metrics, list) and metrics and all(isinstance(m, str) for m in metrics)):
        errors.append(f"study.metrics = {metrics!r}: must be a non-empty list of metric names")
        metrics = []
    errors += check_metrics(metrics)
    method = design.get("method", "lhs")
    if method not in METHODS:
        errors.append(f"design.method = {method!r}: allowed: {', '.join(METHODS)}")
        method = "lhs"
    n = _whole(design, "design", "n", 8, 1, errors)
    levels = _whole(design, "design", "levels", 4 if method == "morris" else 3, 2, errors)
    parameters = _parameters(data.get("parameters", {}), method, errors)
    runs = count_runs(method, n, levels, parameters) * replicates
    if parameters and runs > MAX_RUNS:
        errors.append(f"study: {runs} runs (design.method = {method!r}, design.n = {n}, "
                      f"design.levels = {levels}, study.replicates = {replicates}): at most "
                      f"{MAX_RUNS} runs are allowed; make the design smaller")
    if has_scenario:
        errors += _check_against_scenario(scenario, overrides, parameters)
    cluster = _checked_values("cluster", table.get("cluster", {}), script_values.CLUSTER,
                              {k: 1 for k in script_values.CLUSTER_COUNTS}, errors)
    slurm = _checked_values("slurm", table.get("slurm", {}), script_values.SLURM,
                            {"max_parallel": 0}, errors)
    if errors:
        listed = errors[0] if len(errors) == 1 else (f"{len(errors)} problems:\n  "
                                                     + "\n  ".join(errors))
        raise StudyError(f"{path.name}: {listed}")
    return StudySpec(path=path, name=name, scenario=scenario, out_dir=out_dir,
                     seed=seed, replicates=replicates, overrides=tuple(overrides),
                     metrics=tuple(metrics), metrics_module=metrics_module, method=method, n=n,
                     levels=levels, parameters=tuple(parameters), cluster=cluster, slurm=slurm)


@dataclass(frozen=True)
class Head:
    """The keys a study file and a calibration file share, checked (:func:`read_head`)."""

    name: str
    scenario: Path
    has_scenario: bool
    out_dir: Path
    seed: int
    overrides: list
    metrics_module: str


def read_head(section: str, values: dict, path: Path, default_out: str,
              errors: list[str]) -> Head:
    """``[section]``'s name (default: the file's stem), scenario (relative to the file),
    out folder, seed, overrides and metrics module; each problem is appended to ``errors``
    naming ``section.key`` and a safe stand-in is used."""
    from abm.study.metrics import metrics_module_problem

    base = path.parent
    name = values.get("name", path.stem)
    if problem := script_values.NAME.problem(f"{section}.name", name):
        errors.append(problem + ("" if "name" in values else " (the default is the file's stem)"))
        name = section
    scenario = base / str(values.get("scenario", ""))
    has_scenario = isinstance(values.get("scenario"), str) and _is_file(scenario)
    if not has_scenario:
        errors.append(f"{section}.scenario = {values.get('scenario')!r}: must name an existing "
                      f"scenario file (relative to {base})")
    out_errors: list[str] = []
    out_dir = _out_dir(values.get("out", default_out), name, base, out_errors)
    errors += [e.replace("study.out", f"{section}.out") for e in out_errors]
    seed = _whole(values, section, "seed", 0, 0, errors)
    overrides = values.get("overrides", [])
    if not (isinstance(overrides, list) and all(isinstance(o, str) for o in overrides)):
        errors.append(f"{section}.overrides = {overrides!r}: must be a list of "
                      "'section.key=value'")
        overrides = []
    metrics_module = values.get("metrics_module", "")
    if problem := metrics_module_problem(metrics_module):
        errors.append(f"{section}.metrics_module = {metrics_module!r}: {problem}")
        metrics_module = ""
    return Head(name, scenario, has_scenario, out_dir, seed, overrides, metrics_module)


def check_sections(data: dict, sections: dict, errors: list[str]) -> dict:
    """The file's tables, each checked against ``sections`` (section → its allowed keys, or
    None for any key): unknown sections and keys, and non-tables, are appended to ``errors``
    (with did-you-mean); a non-table becomes an empty table."""
    for section, value in data.items():
        if section not in sections:
            errors.append(_unknown("", section, sections))
        elif not isinstance(value, dict):
            errors.append(f"{section} = {value!r}: must be a table ([{section}])")
        elif sections[section] is not None:
            errors += [_unknown(f"{section}.", k, sections[section])
                       for k in value if k not in sections[section]]
    return {s: v if isinstance(v, dict) else {} for s, v in data.items()}


def _read_toml(path: Path) -> dict:
    """The tables of a study, calibration or cluster file (StudyError if it is missing, not
    UTF-8 or not TOML)."""
    if not _is_file(path):
        raise StudyError(f"file {str(path)!r} not found (or not a file)")
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path.name}: not UTF-8 text (byte {exc.start}: "
                         f"{exc.object[exc.start:exc.start + 1]!r}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path.name}: not valid TOML: {exc}") from None


def _whole(table: dict, where: str, key: str, default: int, low: int, errors: list[str]) -> int:
    """``table[key]`` as a whole number ≥ ``low`` (``default`` when absent or wrong)."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        errors.append(f"{where}.{key} = {value!r}: must be a whole number ≥ {low}")
        return default
    return value


def _out_dir(template, name: str, base: Path, errors: list[str]) -> Path:
    """The study folder: ``study.out`` relative to the study file, with ``{name}`` replaced
    (the only field; no other format syntax is evaluated)."""
    if not isinstance(template, str) or not template or any(c in template for c in "\0\n\r"):
        errors.append(f"study.out = {template!r}: must be a folder path (one line of text)")
        return base
    rest = template.replace("{name}", "")
    if "{" in rest or "}" in rest:
        errors.append(f"study.out = {template!r}: the only field allowed is {{name}}")
        return base
    out = (base / template.replace("{name}", name)).resolve()
    try:
        if out.exists() and not out.is_dir():
            errors.append(f"study.out = {template!r}: {out} exists and is not a folder")
    except OSError as exc:  # e.g. a name too long for the file system
        errors.append(f"study.out = {template!r}: not a usable folder ({exc.strerror})")
    return out


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file (False also for a path the system cannot look up, e.g. one
    too long)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _checked_values(section: str, values: dict, allowed: dict, counts: dict,
                    errors: list[str]) -> dict:
    """``[section]`` with every string key matching its pattern (:mod:`script_values`) and
    every count a whole number ≥ its minimum (``counts``: key → minimum)."""
    for key, value in values.items():
        if key in allowed and (problem := allowed[key].problem(f"{section}.{key}", value)):
            errors.append(problem)
        elif key in counts:
            _whole(values, section, key, counts[key], counts[key], errors)
    return dict(values)


def read_cluster_file(path: str | Path) -> dict:
    """The checked ``[cluster]`` section of the TOML file at ``path`` (a study or calibration
    file, or a file holding only that section): what ``--dask-cluster FILE`` of the scenario
    scripts starts. StudyError naming the file and every problem."""
    path = Path(path).resolve()
    table = _read_toml(path).get("cluster")
    if not isinstance(table, dict) or not table:
        raise StudyError(f"{path.name}: no [cluster] section; --dask-cluster needs one with "
                         f"{', '.join(sorted(_SECTIONS['cluster']))}")
    errors = [_unknown("cluster.", k, _SECTIONS["cluster"]) for k in table
              if k not in _SECTIONS["cluster"]]
    cluster = _checked_values("cluster", table, script_values.CLUSTER,
                              {k: 1 for k in script_values.CLUSTER_COUNTS}, errors)
    if errors:
        raise StudyError(f"{path.name}: " + "; ".join(errors))
    return cluster


def range_problem(label: str, lo_hi, positive: bool = False) -> str | None:
    """Why ``lo_hi`` (the value of ``label``) is not ``[lo, hi]`` of finite numbers with
    lo < hi (and lo > 0 if ``positive``), or None: a study's ranges, a calibration's priors."""
    if (isinstance(lo_hi, list) and len(lo_hi) == 2 and all(map(_finite, lo_hi))
            and lo_hi[0] < lo_hi[1] and (not positive or lo_hi[0] > 0)):
        return None
    return (f"{label} = {lo_hi!r}: must be [lo, hi], finite numbers with lo < hi"
            + (" and lo > 0" if positive else ""))


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
            if problem := range_problem(f"{where}.range", lo_hi):
                errors.append(problem)
                continue
            out.append(Parameter(key, range=(float(lo_hi[0]), float(lo_hi[1]))))
        else:
            values = spec["values"]
            if not (isinstance(values, list) and values
                    and all(isinstance(v, (str, bool)) or _finite(v) for v in values)):
                errors.append(f"{where}.values = {values!r}: must be a non-empty list of "
                              "strings, booleans or finite numbers")
                continue
            if method in ("sobol", "morris"):
                errors.append(f"{where}: design.method = {method!r} samples a continuous box "
                              "(SALib); give a range, or use factorial, random or lhs")
                continue
            out.append(Parameter(key, values=tuple(values)))
    return out


def _check_against_scenario(scenario: Path, overrides, parameters) -> list[str]:
    """The overrides must make a valid config of the scenario, and on top of them both ends
    of every range and every listed value (each tried alone); each problem names the study
    key it comes from."""
    try:
        load_config(scenario, overrides=list(overrides))
    except ConfigError as exc:
        return [f"study.overrides = {list(overrides)!r}: {exc}"]
    errors = []
    for p in parameters:
        choices = p.range if p.range is not None else p.values
        for choice in {(type(c), c): c for c in choices}.values():  # 1, 1.0, true all tried
            try:
                load_config(scenario, overrides=list(overrides) + override_strings({p.key: choice}))
            except ConfigError as exc:
                errors.append(f"parameters.{p.key!r} = {choice!r}: {exc}")
                break  # one problem per parameter: the rest are usually the same
    return errors


def _finite(value) -> bool:
    """A real number (not a boolean), finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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
