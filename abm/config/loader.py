"""Load, override, validate and write scenario configs.

Every problem is reported before anything runs or is written, as one :class:`ConfigError`
that lists each bad key with its value and what is allowed (and a "did you mean" for typos).
Problems are collected in one round: the file itself, the overrides, every key's type and
range, and the checks that involve several keys (those that involve a key already reported
as bad are left out, so every message is about a real problem). A check may raise
:class:`ConfigError` with several ``problems``; :func:`collect` merges them into the round.

The loader knows no section: every function takes the :class:`abm.config.schema.Schema` that
assembled them, and the checks that need domain knowledge are the sections' own
(:func:`abm.config.registry.check`).
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

from abm.config.migrate import CONFIG_VERSION, MOVED_KEYS, migrate_stored
from abm.config.names import check_name
from abm.config.params import MAGNITUDE_LIMIT, Table, info_of
from abm.config.tables import unknown_message
from abm.errors import ConfigError

_TOP_LEVEL_KEYS = ("name", "config_version")


def load_config(schema, path: str | os.PathLike | None = None,
                overrides: list[str] | dict[str, Any] | None = None, seed: int | None = None):
    """Read a scenario TOML file (or the defaults when ``path`` is None) into a Config of
    ``schema``.

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
        return config_from_dict(schema, {}, name="scenario", base_dir=Path.cwd(),
                                overrides=overrides, seed=seed)
    path = Path(path)
    data, problem = _read_toml(path)
    # A file that cannot be read still gets its overrides checked in the same round.
    return config_from_dict(schema, data, name=path.stem, base_dir=path.resolve().parent,
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


def config_from_toml(schema, text: str, overrides=None, seed: int | None = None):
    """Rebuild a config from resolved TOML text (as stored in every run file, of any version)."""
    data = migrate_stored(tomllib.loads(text))
    return config_from_dict(schema, data, name=data.get("name", "scenario"), base_dir=Path.cwd(),
                            overrides=overrides, seed=seed)


def config_from_dict(schema, data: dict, *, name: str = "scenario",
                     base_dir: str | os.PathLike = ".", overrides=None, seed: int | None = None,
                     _errors: list[str] | None = None):
    """Validate a nested mapping ``{section: {key: value}}`` into a Config of ``schema``.

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
        if section in schema.arrays:
            errors.append(f"override {dotted!r}: [[{section}]] entries cannot be set with "
                          "--set; write them in the scenario file")
            continue
        if not key or section not in schema.sections:
            known = [f"{s}.{f.name}" for s, cls in schema.sections.items()
                     for f in dataclasses.fields(cls)]
            close = difflib.get_close_matches(dotted, known, n=1, cutoff=0.6)
            errors.append(f"unknown override {dotted!r}; " + (
                f"did you mean {close[0]!r}?" if close else
                "overrides are name or section.key with the sections "
                f"{', '.join(schema.sections)} (every key: abm params)"))
            continue
        if not isinstance(data.get(section, {}), dict):
            continue  # reported below: the file's [section] is not a table
        field, _, path = key.partition(".")
        if path:  # a key inside a table-valued key: intracellular.params.kMH, immune.cd8.max_kills
            problem = _set_nested(schema.sections[section], section, field, path, value,
                                  data.setdefault(section, {}))
            if problem:
                errors.append(problem)
            continue
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

    arrays = {n: _build_entries(spec, data.pop(n, []), errors, Path(base_dir))
              for n, spec in schema.arrays.items()}
    sections = {}
    for section, values in data.items():
        if section not in schema.sections:
            errors.append(unknown_message(
                section, [*schema.sections, *schema.arrays, *_TOP_LEVEL_KEYS], "section"))
        elif not isinstance(values, dict):
            errors.append(f"[{section}] must be a table of keys, got {values!r}")
            bad_keys.update(f"{section}.{f.name}"
                            for f in dataclasses.fields(schema.sections[section]))
        else:
            cls = schema.sections[section]
            kwargs = _check_keys(cls, section, values, errors, Path(base_dir))
            bad_keys.update(f"{section}.{k}" for k in values if k not in kwargs)
            sections[section] = cls(**kwargs)
    config = schema.Config(name=name, base_dir=str(Path(base_dir).resolve()), **arrays,
                           **{s: sections.get(s, cls()) for s, cls in schema.sections.items()})
    # Keys already reported keep their defaults here; checks that involve them are dropped.
    cross: list[str] = []
    for check in schema.checks:
        check(config, cross)
    errors.extend(p for p in cross if not any(_mentions(p, key) for key in bad_keys))
    if errors:
        raise ConfigError(_report(errors), problems=errors)
    return config


def _set_nested(cls, section: str, field: str, path: str, value, values: dict) -> str | None:
    """Set ``value`` at ``path`` (dotted) inside the table-valued key ``section.field`` of the
    section's ``values`` (merged over the file's table: the other entries stay); returns a
    problem if ``field`` is not a key of the section or does not hold a table. The entry's
    name and value are checked by the table's own checks (with their did-you-mean)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    dotted = f"{section}.{field}.{path}"
    if field not in fields:
        return unknown_message(f"{section}.{field}", [f"{section}.{k}" for k in fields], "key")
    default = fields[field].default
    if default is dataclasses.MISSING and fields[field].default_factory is not dataclasses.MISSING:
        default = fields[field].default_factory()
    current = values.get(field, default)
    if not isinstance(current, dict):
        return (f"override {dotted!r}: {section}.{field} is not a table (only keys holding a "
                f"table, such as intracellular.params, take a dotted entry)")
    table = _nested_copy(current)
    node = table
    *parents, leaf = path.split(".")
    for part in parents:
        child = node.get(part, {})
        if not isinstance(child, dict):
            return f"override {dotted!r}: {section}.{field}.{part} is not a table"
        node[part] = child
        node = child
    node[leaf] = value
    values[field] = table
    return None


def _nested_copy(table: dict) -> dict:
    """A copy of nested tables (the config's defaults and the file's data are not changed)."""
    return {k: _nested_copy(v) if isinstance(v, dict) else v for k, v in table.items()}


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


def to_toml(schema, config) -> str:
    """The fully resolved config as TOML text (every key, defaults included)."""
    lines = [f"config_version = {CONFIG_VERSION}", f"name = {_toml_value(config.name)}"]
    for section in schema.sections:
        lines.append(f"\n[{section}]")
        obj = getattr(config, section)
        for f in dataclasses.fields(obj):
            lines.append(f"{f.name} = {_toml_value(getattr(obj, f.name))}")
    for name, spec in schema.arrays.items():
        for entry in getattr(config, name):
            lines.append(f"\n[[{name}]]")
            items = (spec.written(entry) if spec.written else
                     ((f.name, getattr(entry, f.name)) for f in dataclasses.fields(entry)))
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in items)
    return "\n".join(lines) + "\n"


def describe_params(schema) -> str:
    """Every key with default, unit, allowed values and source, as a plain-text table."""
    out = []
    tables = [(f"[{section}]", cls) for section, cls in schema.sections.items()]
    tables += [(f"[[{name}]]", spec.cls) for name, spec in schema.arrays.items()]
    for header, cls in tables:
        out.append(f"{header}  {cls.__doc__.splitlines()[0]}")
        for f in dataclasses.fields(cls):
            info = info_of(f)
            unit = f" {info.unit}" if info.unit else ""
            allowed = "" if f.type in ("str", "bool", "dict", "Table") and info.choices is None else f"; {info.allowed()}"
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
    for cls in schema.sections.values():
        out.extend(_describe_table(info_of(f).table) for f in dataclasses.fields(cls)
                   if info_of(f).table is not None)
    return "\n".join(out)


def _describe_table(table) -> str:
    """The entries of a declared :class:`abm.config.tables.ParamTable`."""
    out = [f"[{table.key}]  entries of the {table.key} table (name = value)"]
    for name, (value, unit, source) in table.docs.items():
        out.append(f"  {name} = {value:g} {unit}")
        out.append(f"      source: {source}")
    return "\n".join(out) + "\n"


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


def _check_keys(cls, prefix: str, values: dict, errors: list[str], base_dir: Path) -> dict:
    """The valid ``values`` of a section (or array entry) dataclass ``cls`` as keyword
    arguments, paths made absolute against ``base_dir`` (so a stored config resumes from any
    working directory); every unknown key or bad value goes to ``errors`` as
    ``prefix.key = value: ...``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        dotted = f"{prefix}.{key}"
        if dotted in MOVED_KEYS:
            errors.append(f"{dotted} has moved: write it as {MOVED_KEYS[dotted]}")
            continue
        if key not in fields:
            errors.append(unknown_message(dotted, [f"{prefix}.{k}" for k in fields], "key"))
            continue
        if hints[key] is tuple:  # a list of numbers, each checked against the key's range
            value = _check_list(dotted, value, info_of(fields[key]), errors)
            if value is not None:
                kwargs[key] = value
            continue
        info = info_of(fields[key])
        problem = _check_value(value, hints[key], info)
        if problem:
            errors.append(f"{dotted} = {value!r}: {problem}")
            continue
        if hints[key] is float:
            value = float(value)
        elif hints[key] is dict:
            value = {k: float(v) for k, v in value.items()}
            if info.table is not None:
                problems = info.table.problems(value)
                errors.extend(problems)
                if problems:
                    continue
        elif hints[key] is Table:
            value = dict(value)
        elif info.path and value and (info.path is True or value.lower().endswith(info.path)):
            value = str((base_dir / value).resolve())
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


def _build_entries(spec, raw: Any, errors: list[str], base_dir: Path) -> tuple:
    """The entries of a ``[[name]]`` array as ``spec.cls`` objects: keys checked, required keys
    (those without a default) present, then ``spec.check_entry``; an entry with a problem is
    left out (its problems are in ``errors``)."""
    name = spec.name
    if not isinstance(raw, list):
        errors.append(f"{name} = {raw!r}: must be an array of tables, written [[{name}]]")
        return ()
    entries = []
    required = [f for f in dataclasses.fields(spec.cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    for i, values in enumerate(raw):
        key = f"{name}[{i}]"
        if not isinstance(values, dict):
            errors.append(f"{key} = {values!r}: must be a table (a [[{name}]] entry)")
            continue
        n_errors = len(errors)
        kwargs = _check_keys(spec.cls, key, values, errors, base_dir)
        errors.extend(f"{key}.{f.name}: missing; must be {info_of(f).allowed()}"
                      for f in required if f.name not in values)
        if spec.check_entry is not None:
            spec.check_entry(key, values, kwargs, errors)
        if len(errors) == n_errors:
            entries.append(spec.cls(**kwargs))
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
    elif expected is Table:
        if not isinstance(value, dict):
            return f"must be a table, got {type(value).__name__}"
        return None
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
