"""Load, override, validate and write scenario configs.

Every problem is reported before anything runs or is written, as one :class:`ConfigError`
that lists each bad key with its value and what is allowed (and a "did you mean" for typos).
Problems are collected in one round: the file itself, the overrides, every key's type and
range, and the checks that involve several keys (those that involve a key already reported
as bad are left out, so every message is about a real problem). A check may raise
:class:`ConfigError` with several ``problems``; :func:`collect` merges them into the round.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

from abm.errors import ConfigError
from abm.config.migrate import CONFIG_VERSION, MOVED_KEYS, migrate_stored
from abm.config.masks import check_mask
from abm.config.names import check_name, check_output_template
from abm.config.params import MAGNITUDE_LIMIT, info_of
from abm.config.schema import SECTIONS, Config
from abm.therapy.schedule import TherapyEntry, daily_times_h, parse_clock

_TOP_LEVEL_KEYS = ("name", "config_version")


def load_config(path: str | os.PathLike | None = None,
                overrides: list[str] | dict[str, Any] | None = None,
                seed: int | None = None) -> Config:
    """Read a scenario TOML file (or the defaults when ``path`` is None) into a :class:`Config`.

    Args:
        path: scenario file; its stem is the scenario name and its folder the base for
            relative mask paths.
        overrides: ``["section.key=value", ...]`` (values parsed as TOML, else taken as
            strings) or a mapping ``{"section.key": value}``.
        seed: overrides ``run.seed``.

    Raises:
        ConfigError: listing every unknown key, wrong type, out-of-range value or
            inconsistent setting.
    """
    if path is None:
        return config_from_dict({}, name="scenario", base_dir=Path.cwd(), overrides=overrides,
                                seed=seed)
    path = Path(path)
    data, problem = _read_toml(path)
    # A file that cannot be read still gets its overrides checked in the same round.
    return config_from_dict(data, name=path.stem, base_dir=path.resolve().parent,
                            overrides=overrides, seed=seed, _errors=[problem] if problem else [])


def _read_toml(path: Path) -> tuple[dict, str | None]:
    """The mapping of scenario file ``path``, or ``({}, what is wrong with the file)``."""
    where = f"scenario file {str(path)!r}"
    try:
        if path.is_dir():
            return {}, f"{where} is a directory; give a scenario TOML file (see scenarios/)"
        if not path.exists():
            return {}, f"{where} does not exist"
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return {}, (f"{where} is not UTF-8 text (byte {exc.start}: {exc.reason}); "
                    "a scenario is a TOML file in UTF-8")
    except OSError as exc:
        return {}, f"{where} cannot be read: {exc.strerror or exc}"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{where} is not valid TOML: {exc}"
    except RecursionError:
        return {}, f"{where} is not valid TOML: arrays or tables nested too deeply"


def config_from_toml(text: str, overrides=None, seed: int | None = None) -> Config:
    """Rebuild a config from resolved TOML text (as stored in every run file, of any version)."""
    data = migrate_stored(tomllib.loads(text))
    return config_from_dict(data, name=data.get("name", "scenario"), base_dir=Path.cwd(),
                            overrides=overrides, seed=seed)


def config_from_dict(data: dict, *, name: str = "scenario", base_dir: str | os.PathLike = ".",
                     overrides=None, seed: int | None = None, _errors: list[str] | None = None
                     ) -> Config:
    """Validate a nested mapping ``{section: {key: value}}`` into a :class:`Config`.

    Raises ConfigError listing every problem (``_errors``: problems found before, e.g. with
    the file the mapping came from, reported in the same round).
    """
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    errors: list[str] = list(_errors or [])
    bad_keys: set[str] = set()
    for dotted, value in _parse_overrides(overrides, errors):
        section, _, key = dotted.partition(".")
        if dotted == "name":
            data["name"] = value
            continue
        if section == "therapy":
            errors.append(f"override {dotted!r}: [[therapy]] entries cannot be set with --set; "
                          "write them in the scenario file")
            continue
        if not key or section not in SECTIONS:
            known = [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)]
            close = difflib.get_close_matches(dotted, known, n=1, cutoff=0.6)
            errors.append(f"unknown override {dotted!r}; " + (
                f"did you mean {close[0]!r}?" if close else
                f"overrides are name or section.key with the sections {', '.join(SECTIONS)} "
                "(every key: abm params)"))
            continue
        if not isinstance(data.get(section, {}), dict):
            continue  # reported below: the file's [section] is not a table
        data.setdefault(section, {})[key] = value
    if seed is not None and isinstance(data.get("run", {}), dict):
        data.setdefault("run", {})["seed"] = seed
    version = data.pop("config_version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        errors.append(f"config_version = {version!r}: scenario files are read as version "
                      f"{CONFIG_VERSION}; leave the key out")
    name = data.pop("name", name)
    problem = check_name(name)
    if problem:
        errors.append(problem)
        name = "scenario"

    therapy = _build_therapy(data.pop("therapy", []), errors)
    sections = {}
    for section, values in data.items():
        if section not in SECTIONS:
            errors.append(_unknown(section, list(SECTIONS) + ["therapy"] + list(_TOP_LEVEL_KEYS),
                                   "section"))
        elif not isinstance(values, dict):
            errors.append(f"[{section}] must be a table of keys, got {values!r}")
            bad_keys.update(f"{section}.{f.name}" for f in dataclasses.fields(SECTIONS[section]))
        else:
            kwargs = _check_keys(SECTIONS[section], section, values, errors)
            bad_keys.update(f"{section}.{k}" for k in values if k not in kwargs)
            sections[section] = SECTIONS[section](**kwargs)
    config = Config(name=name, base_dir=str(Path(base_dir).resolve()), therapy=therapy,
                    **{s: sections.get(s, cls()) for s, cls in SECTIONS.items()})
    config = _resolve_paths(config)
    # Keys already reported keep their defaults here; checks that involve them are dropped.
    cross: list[str] = []
    _check_consistency(config, cross)
    errors.extend(p for p in cross if not any(_mentions(p, key) for key in bad_keys))
    if errors:
        raise ConfigError(_report(errors), problems=errors)
    return config


def _mentions(problem: str, dotted: str) -> bool:
    """Whether ``problem`` names the key ``dotted`` (not merely a longer key starting so)."""
    return re.search(rf"(?<![\w.]){re.escape(dotted)}(?![\w])", problem) is not None


def collect(errors: list[str], check) -> None:
    """Run ``check()`` and add what it raises (ConfigError: each of its problems; ValueError:
    its message) to ``errors``; how checks written outside this module join the round."""
    try:
        check()
    except ConfigError as exc:
        errors.extend(exc.problems)
    except ValueError as exc:
        errors.append(str(exc))


def to_toml(config: Config) -> str:
    """The fully resolved config as TOML text (every key, defaults included)."""
    lines = [f"config_version = {CONFIG_VERSION}", f"name = {_toml_value(config.name)}"]
    for section in SECTIONS:
        lines.append(f"\n[{section}]")
        obj = getattr(config, section)
        for f in dataclasses.fields(obj):
            lines.append(f"{f.name} = {_toml_value(getattr(obj, f.name))}")
    for entry in config.therapy:
        lines.append("\n[[therapy]]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in _entry_items(entry))
    return "\n".join(lines) + "\n"


def _entry_items(entry: TherapyEntry):
    """The keys of a [[therapy]] entry worth writing: the daily keys only with daily_at, at_h
    only when it holds doses (the loader rejects first_day/n_days without daily_at)."""
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        if f.name == "at_h" and not value:
            continue
        if f.name in ("daily_at", "first_day", "n_days") and not entry.daily_at:
            continue
        yield f.name, value


def describe_params() -> str:
    """Every key with default, unit, allowed values and source, as a plain-text table."""
    out = []
    tables = [(f"[{section}]", cls) for section, cls in SECTIONS.items()]
    for header, cls in tables + [("[[therapy]]", TherapyEntry)]:
        out.append(f"{header}  {cls.__doc__.splitlines()[0]}")
        for f in dataclasses.fields(cls):
            info = info_of(f)
            unit = f" {info.unit}" if info.unit else ""
            allowed = "" if f.type in ("str", "bool", "dict") and info.choices is None else f"; {info.allowed()}"
            if f.default is not dataclasses.MISSING:
                default = _toml_value(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = _toml_value(f.default_factory())
            else:
                default = "(required)"
            out.append(f"  {f.name} = {default}{unit}{allowed}")
            out.append(f"      {info.doc}")
            out.append(f"      source: {info.source}")
        out.append("")
    out.extend(_describe_tables())
    return "\n".join(out)


def _describe_tables() -> list[str]:
    """The keys of the immune.cd8 / immune.nk and blood.params tables (their defaults live in
    abm/immune.py and abm/blood.py, which import the config package)."""
    from abm.circulation.params import PARAMETER_DOCS as BLOOD_DOCS
    from abm.immune.params import PARAMETER_DOCS as IMMUNE_DOCS

    tables = {f"immune.{kind}": entries for kind, entries in IMMUNE_DOCS.items()}
    tables["blood.params"] = BLOOD_DOCS
    out = []
    for table, entries in tables.items():
        out.append(f"[{table}]  entries of the {table} table (name = value)")
        for name, (value, unit, source) in entries.items():
            out.append(f"  {name} = {value:g} {unit}")
            out.append(f"      source: {source}")
        out.append("")
    return out


# ---------------------------------------------------------------------------------------------

def _parse_overrides(overrides, errors: list[str]):
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    parsed = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            errors.append(f"override {item!r}: expected section.key=value")
            continue
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word such as pattern=array is a string
        except RecursionError:
            errors.append(f"override {item!r}: arrays or tables nested too deeply")
            continue
        parsed.append((key.strip(), value))
    return parsed


def _unknown(key: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
    return f"unknown {what} {key!r}{hint}"


def _check_keys(cls, prefix: str, values: dict, errors: list[str]) -> dict:
    """The valid ``values`` of a section (or [[therapy]] entry) dataclass ``cls`` as keyword
    arguments; every unknown key or bad value goes to ``errors`` as ``prefix.key = value: ...``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        dotted = f"{prefix}.{key}"
        if dotted in MOVED_KEYS:
            errors.append(f"{dotted} has moved: write it as {MOVED_KEYS[dotted]}")
            continue
        if key not in fields:
            errors.append(_unknown(dotted, [f"{prefix}.{k}" for k in fields], "key"))
            continue
        if hints[key] is tuple:  # a list of numbers, each checked against the key's range
            value = _check_list(dotted, value, info_of(fields[key]), errors)
            if value is not None:
                kwargs[key] = value
            continue
        problem = _check_value(value, hints[key], info_of(fields[key]))
        if problem:
            errors.append(f"{dotted} = {value!r}: {problem}")
        else:
            if hints[key] is float:
                value = float(value)
            elif hints[key] is dict:
                value = {k: float(v) for k, v in value.items()}
            kwargs[key] = value
    return kwargs


def _check_list(dotted: str, value: Any, info, errors: list[str]) -> tuple | None:
    """``value`` as a tuple of floats, or None after adding its problems to ``errors``."""
    unit = f" ({info.unit})" if info.unit else ""
    if not isinstance(value, list):
        errors.append(f"{dotted} = {value!r}: must be a list of numbers{unit}, e.g. [72.0, 96.0]")
        return None
    problems = [(j, item, _check_value(item, float, info)) for j, item in enumerate(value)]
    for j, item, problem in problems:
        if problem:
            errors.append(f"{dotted}[{j}] = {item!r}: {problem}")
    return None if any(p for _, _, p in problems) else tuple(float(v) for v in value)


def _build_therapy(raw: Any, errors: list[str]) -> tuple:
    """The [[therapy]] entries as :class:`TherapyEntry` objects (checks that need the run's
    length and clock are in :func:`_check_therapy_times`)."""
    if not isinstance(raw, list):
        errors.append(f"therapy = {raw!r}: must be an array of tables, written [[therapy]] "
                      "(one per drug schedule)")
        return ()
    entries = []
    for i, values in enumerate(raw):
        key = f"therapy[{i}]"
        if not isinstance(values, dict):
            errors.append(f"{key} = {values!r}: must be a table (a [[therapy]] entry)")
            continue
        n_errors = len(errors)
        kwargs = _check_keys(TherapyEntry, key, values, errors)
        if "drug" not in values:
            drug = next(f for f in dataclasses.fields(TherapyEntry) if f.name == "drug")
            errors.append(f"{key}.drug: missing; must be {info_of(drug).allowed()}")
        if not values.get("at_h") and "daily_at" not in values:
            errors.append(f"{key}: needs at_h (dose times, h from the start of the run) or "
                          "daily_at (a daily clock time 'HH:MM'), or both")
        if "daily_at" not in values:
            errors.extend(f"{key}.{k} = {values[k]!r}: only with daily_at (a daily clock time "
                          "'HH:MM')" for k in ("first_day", "n_days") if k in values)
        elif "daily_at" in kwargs:  # a string (_check_keys reported anything else)
            try:
                parse_clock(kwargs["daily_at"])
            except ValueError:
                errors.append(f"{key}.daily_at = {kwargs['daily_at']!r}: must be a clock time "
                              "'HH:MM' from 00:00 to 23:59")
        if len(errors) == n_errors:
            entries.append(TherapyEntry(**kwargs))
    return tuple(entries)


def _check_value(value: Any, expected: type, info) -> str | None:
    """Return what is wrong with ``value`` for a key of type ``expected``, or None."""
    if expected is bool:
        if not isinstance(value, bool):
            return "must be true or false"
        return None
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an integer, got {type(value).__name__}"
    elif expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number, got {type(value).__name__}"
        # An int is never NaN/inf (and one beyond float range would overflow math.isfinite).
        if isinstance(value, float) and not math.isfinite(value):
            return "must be finite"
    elif expected is str:
        if not isinstance(value, str):
            return f"must be a string, got {type(value).__name__}"
        if "\0" in value:
            return "must not contain a NUL character"
    elif expected is dict:
        if not isinstance(value, dict):
            return f"must be a table of name = number, got {type(value).__name__}"
        # Each table's own check names an entry and its range (network, immune, blood,
        # route_secretion); here only what cannot be a number at all, or an int that would
        # overflow float().
        bad = {k: v for k, v in value.items()
               if isinstance(v, bool) or not isinstance(v, (int, float))
               or (isinstance(v, float) and not math.isfinite(v))
               or (isinstance(v, int) and abs(v) > MAGNITUDE_LIMIT)}
        if bad:
            return f"entries must be finite numbers, got {bad!r}"
        return None
    if info.choices is not None and value not in info.choices:
        close = difflib.get_close_matches(str(value), info.choices, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"must be {info.allowed()}{hint}"
    if expected in (int, float):
        too_low = info.low is not None and (value < info.low or (value == info.low and not info.low_inclusive))
        too_high = info.high is not None and value > info.high
        if too_low or too_high:
            unit = f" ({info.unit})" if info.unit else ""
            return f"must be {info.allowed()}{unit}"
        if abs(value) > MAGNITUDE_LIMIT:  # a key without an upper bound of its own
            return _TOO_LARGE
    return None


_TOO_LARGE = (f"must be at most {MAGNITUDE_LIMIT:g} in magnitude (no quantity of the model comes "
              "near that in its units; larger values overflow what is derived from them)")


def _resolve_paths(config: Config) -> Config:
    """Make mask paths absolute so a stored config resumes from any working directory."""
    def absolute(p: str) -> str:
        return str((Path(config.base_dir) / p).resolve()) if p else p
    return dataclasses.replace(
        config,
        vessels=dataclasses.replace(config.vessels, mask_file=absolute(config.vessels.mask_file)),
        tumor=dataclasses.replace(config.tumor, mask_file=absolute(config.tumor.mask_file)),
    )


def _is_multiple(value: float, unit: float) -> bool:
    ratio = value / unit
    return abs(ratio - round(ratio)) < 1e-9 * max(1.0, ratio) and round(ratio) >= 1


def _check_consistency(c: Config, errors: list[str]) -> None:
    """Checks that involve more than one key."""
    dt = c.run.dt_min
    if not _is_multiple(c.run.days * 1440.0, dt):
        errors.append(f"run.days = {c.run.days!r}: must be a whole number (≥ 1) of steps of "
                      f"run.dt_min = {dt!r} min")
    if not _is_multiple(c.output.frame_every_min, dt):
        errors.append(f"output.frame_every_min = {c.output.frame_every_min!r}: must be a "
                      f"multiple of run.dt_min = {dt!r}")
    if not _is_multiple(c.output.checkpoint_every_min, c.output.frame_every_min):
        errors.append(f"output.checkpoint_every_min = {c.output.checkpoint_every_min!r}: must be "
                      f"a multiple of output.frame_every_min = {c.output.frame_every_min!r}")
    for section in ("vessels", "tumor"):
        obj = getattr(c, section)
        needs_mask = (obj.pattern == "mask") if section == "vessels" else (obj.seed_pattern == "mask")
        key = f"{section}.{'pattern' if section == 'vessels' else 'seed_pattern'}"
        if needs_mask and not obj.mask_file:
            errors.append(f"{key} = 'mask' needs {section}.mask_file (a .npy or .png of shape "
                          f"(ny, nx) = ({c.grid.ny}, {c.grid.nx}))")
        elif needs_mask:
            collect(errors, lambda: check_mask(obj.mask_file, (c.grid.ny, c.grid.nx),
                                               f"{section}.mask_file",
                                               need_sites=section == "tumor"))
    v = c.vessels
    if v.pattern == "random":
        # Random sequential adsorption of discs jams at ~55% area coverage. (Both factors are
        # below the magnitude limit, so the product is finite.)
        coverage = v.density_per_mm2 * 1e-6 * math.pi * (v.min_spacing_um / 2) ** 2
        if coverage > 0.5:
            errors.append(f"vessels.density_per_mm2 = {v.density_per_mm2!r} with vessels.min_spacing_um = "
                          f"{v.min_spacing_um!r}: discs of that spacing cannot reach that density "
                          f"(coverage {coverage:.2g} > 0.5); lower one of them")
    if v.pattern == "array" and v.array_spacing_um < c.grid.dx_um:
        errors.append(f"vessels.array_spacing_um = {v.array_spacing_um!r}: must be ≥ grid.dx_um = {c.grid.dx_um!r}")
    t = c.tumor
    if t.seed_pattern == "disc":
        size = min(c.grid.nx, c.grid.ny) * c.grid.dx_um
        if t.radius_um >= size / 2:
            errors.append(f"tumor.radius_um = {t.radius_um!r}: the disc must fit in the domain "
                          f"(< {size / 2:g} µm, half the smaller side)")
    cyc = c.cycle
    if cyc.arrest_mmHg >= c.oxygen.vessel_mmHg:
        errors.append(f"cycle.arrest_mmHg = {cyc.arrest_mmHg!r}: must be below oxygen.vessel_mmHg = "
                      f"{c.oxygen.vessel_mmHg!r}, or no cell could ever cycle")
    if c.run.start_clock_h >= 24.0:
        errors.append(f"run.start_clock_h = {c.run.start_clock_h!r}: must be a value in [0, 24) "
                      "(h since midnight; write midnight as 0)")
    collect(errors, lambda: check_output_template(c.output.path))
    _check_therapy_times(c, errors)
    _check_secretion_and_immune(c, errors)
    _check_network(c, errors)


def _check_network(c: Config, errors: list[str]) -> None:
    """The network, preset and parameter names (and values, as the network checks them)."""
    if c.cells.program != "network":
        return
    import intracellular  # not at import time: the config package stays light

    def check():
        try:
            network = intracellular.get_network(c.intracellular.network)
            network.parameter_vector(c.intracellular.preset, c.intracellular.params)
        except ValueError as exc:
            raise ConfigError(f"intracellular.preset = {c.intracellular.preset!r} / "
                              f"intracellular.params = {c.intracellular.params!r}: {exc}") from None
    collect(errors, check)


def _check_secretion_and_immune(c: Config, errors: list[str]) -> None:
    """Route names of the secreted fields' tables and the immune parameter tables."""
    from abm.immune.params import params_from_mapping  # the immune module imports the config package
    from abm.fields.solutes import SECRETED_FIELDS, route_factors

    for key in SECRETED_FIELDS:
        collect(errors, lambda: route_factors(getattr(c, key), key))
    if c.immune.enabled and not c.chemokine.field:
        errors.append("immune.enabled = true needs chemokine.field = true (immune cells enter "
                      "and navigate by the chemokine)")
    from abm.circulation.params import blood_params
    from abm.tumor.phenotype.network_fate import network_parameters
    collect(errors, lambda: params_from_mapping({"cd8": c.immune.cd8, "nk": c.immune.nk}))
    collect(errors, lambda: blood_params(c.blood.params))
    collect(errors, lambda: network_parameters(c.intracellular))


def _check_therapy_times(c: Config, errors: list[str]) -> None:
    """Every dose must fall within the run: t < run.days·24 h."""
    end_h = c.run.days * 24.0
    length = f"the run ends at {end_h:g} h (run.days = {c.run.days!r})"
    for i, entry in enumerate(c.therapy):
        for j, t in enumerate(entry.at_h):
            if t >= end_h:
                errors.append(f"therapy[{i}].at_h[{j}] = {t!r}: after the end of the run; "
                              f"{length}, so doses must be at < {end_h:g} h")
        if not entry.daily_at:
            continue
        # The first late dose by arithmetic: n_days may be huge (never list every dose here).
        first = float(daily_times_h(dataclasses.replace(entry, n_days=1), c.run.start_clock_h)[0])
        k = max(0, math.ceil((end_h - first) / 24.0))  # doses 0 … k-1 fall before the end
        if k < entry.n_days:
            t = first + 24.0 * k
            fix = f"n_days can be at most {k}" if k else "lower first_day"
            errors.append(f"therapy[{i}].daily_at = {entry.daily_at!r} (first_day = "
                          f"{entry.first_day}, n_days = {entry.n_days}): daily dose {k + 1} of "
                          f"{entry.n_days} at t = {t:g} h is after the end of the run; "
                          f"{length}, so {fix}")


def _toml_value(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as a TOML value")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _toml_value(key)


def _report(errors: list[str]) -> str:
    if len(errors) == 1:
        return f"invalid config: {errors[0]}"
    return "invalid config:\n  - " + "\n  - ".join(errors)
