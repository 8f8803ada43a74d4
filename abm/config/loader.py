"""Load, override, validate and write scenario configs.

Every problem is reported before anything runs or is written, as one :class:`ConfigError`
that lists each bad key with its value and what is allowed (and a "did you mean" for typos).
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
import typing
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .migrate import CONFIG_VERSION, MOVED_KEYS, migrate_stored
from .params import info_of
from .schema import SECTIONS, Config

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
        data, name, base_dir = {}, "scenario", Path.cwd()
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"scenario file {str(path)!r} does not exist")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        name, base_dir = path.stem, path.resolve().parent
    return config_from_dict(data, name=name, base_dir=base_dir, overrides=overrides, seed=seed)


def config_from_toml(text: str, overrides=None, seed: int | None = None) -> Config:
    """Rebuild a config from resolved TOML text (as stored in every run file, of any version)."""
    data = migrate_stored(tomllib.loads(text))
    return config_from_dict(data, name=data.get("name", "scenario"), base_dir=Path.cwd(),
                            overrides=overrides, seed=seed)


def config_from_dict(data: dict, *, name: str = "scenario", base_dir: str | os.PathLike = ".",
                     overrides=None, seed: int | None = None) -> Config:
    """Validate a nested mapping ``{section: {key: value}}`` into a :class:`Config`."""
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    errors: list[str] = []
    for dotted, value in _parse_overrides(overrides, errors):
        section, _, key = dotted.partition(".")
        if not key or section not in SECTIONS:
            errors.append(_unknown(dotted, [f"{s}.{f.name}" for s, cls in SECTIONS.items()
                                            for f in dataclasses.fields(cls)], "override"))
            continue
        data.setdefault(section, {})[key] = value
    if seed is not None:
        data.setdefault("run", {})["seed"] = seed
    version = data.pop("config_version", CONFIG_VERSION)
    if version != CONFIG_VERSION:
        errors.append(f"config_version = {version!r}: scenario files are read as version "
                      f"{CONFIG_VERSION}; leave the key out")
    name = data.pop("name", name)
    if not isinstance(name, str) or not name:
        errors.append(f"name = {name!r}: must be a non-empty string")
        name = "scenario"

    sections = {}
    for section, values in data.items():
        if section not in SECTIONS:
            errors.append(_unknown(section, list(SECTIONS) + list(_TOP_LEVEL_KEYS), "section"))
        elif not isinstance(values, dict):
            errors.append(f"[{section}] must be a table of keys, got {values!r}")
        else:
            sections[section] = _build_section(section, values, errors)
    if errors:
        raise ConfigError(_report(errors))
    config = Config(name=name, base_dir=str(Path(base_dir).resolve()),
                    **{s: sections.get(s, cls()) for s, cls in SECTIONS.items()})
    config = _resolve_paths(config)
    _check_consistency(config, errors)
    if errors:
        raise ConfigError(_report(errors))
    return config


def to_toml(config: Config) -> str:
    """The fully resolved config as TOML text (every key, defaults included)."""
    lines = [f"config_version = {CONFIG_VERSION}", f"name = {_toml_value(config.name)}"]
    for section in SECTIONS:
        lines.append(f"\n[{section}]")
        obj = getattr(config, section)
        for f in dataclasses.fields(obj):
            lines.append(f"{f.name} = {_toml_value(getattr(obj, f.name))}")
    return "\n".join(lines) + "\n"


def describe_params() -> str:
    """Every key with default, unit, allowed values and source, as a plain-text table."""
    out = []
    for section, cls in SECTIONS.items():
        out.append(f"[{section}]  {cls.__doc__.splitlines()[0]}")
        for f in dataclasses.fields(cls):
            info = info_of(f)
            unit = f" {info.unit}" if info.unit else ""
            allowed = "" if f.type in ("str", "bool", "dict") and info.choices is None else f"; {info.allowed()}"
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default
            out.append(f"  {f.name} = {_toml_value(default)}{unit}{allowed}")
            out.append(f"      {info.doc}")
            out.append(f"      source: {info.source}")
        out.append("")
    return "\n".join(out)


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
        parsed.append((key.strip(), value))
    return parsed


def _unknown(key: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
    return f"unknown {what} {key!r}{hint}"


def _build_section(section: str, values: dict, errors: list[str]):
    cls = SECTIONS[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        dotted = f"{section}.{key}"
        if dotted in MOVED_KEYS:
            errors.append(f"{dotted} has moved: write it as {MOVED_KEYS[dotted]}")
            continue
        if key not in fields:
            errors.append(_unknown(dotted, [f"{section}.{k}" for k in fields], "key"))
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
    return cls(**kwargs)


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
        if not math.isfinite(value):
            return "must be finite"
    elif expected is str:
        if not isinstance(value, str):
            return f"must be a string, got {type(value).__name__}"
    elif expected is dict:
        if not isinstance(value, dict):
            return f"must be a table of name = number, got {type(value).__name__}"
        bad = {k: v for k, v in value.items()
               if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)}
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
    return None


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
        elif needs_mask and not Path(obj.mask_file).is_file():
            errors.append(f"{section}.mask_file = {obj.mask_file!r}: file does not exist")
        elif needs_mask and Path(obj.mask_file).suffix.lower() not in (".npy", ".png"):
            errors.append(f"{section}.mask_file = {obj.mask_file!r}: must be a .npy or .png file")
    v = c.vessels
    if v.pattern == "random":
        # Random sequential adsorption of discs jams at ~55% area coverage.
        coverage = v.density_per_mm2 * 1e-6 * math.pi * (v.min_spacing_um / 2) ** 2
        if coverage > 0.5:
            errors.append(f"vessels.density_per_mm2 = {v.density_per_mm2!r} with vessels.min_spacing_um = "
                          f"{v.min_spacing_um!r}: discs of that spacing cannot reach that density "
                          f"(coverage {coverage:.2f} > 0.5); lower one of them")
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


def _toml_value(value: Any) -> str:
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
