"""The schema: the registered sections assembled into one ``Config`` class and its loader.

A scenario TOML file has one table per section (``[run]``, ``[grid]``, ...) and may have
arrays of tables (``[[therapy]]``). Keys left out take the defaults their sections declare.
``abm params`` prints the schema as a table.

Units: lengths µm, times min (hours where the name says ``_h``, days where it says ``days``),
oxygen mmHg, rates per min.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from abm.config import loader, registry


class ConfigBase:
    """The base of every ``Config`` class a :class:`Schema` makes: a schema is rebuilt when a
    plugin registers a section (:func:`abm.schema.current`), so "is this a resolved config"
    is ``isinstance(obj, ConfigBase)``, whichever build made it."""

    __slots__ = ()


class Schema:
    """Every registered section and array of tables, in a fixed order, and the ``Config``
    dataclass they make.

    Args:
        order: every section and array name, in the order they are documented, stored and
            written (:meth:`to_toml`: the resolved config stored in every run file, so the
            order is part of the file format).
        module: the module that holds the schema (where ``Config`` is found by pickle).

    Attributes:
        sections: section name → dataclass, in ``order``.
        arrays: array name → :class:`abm.config.registry.EntryArray`, in ``order``.
        checks: the registered checks in ``order`` of the sections they belong to.
        Config: frozen dataclass of a fully resolved scenario: ``name``, one attribute per
            section, one tuple of entries per array, and ``base_dir`` (the directory relative
            mask paths were resolved against: the scenario file's folder; not part of the
            resolved config, whose paths are absolute, so not compared).
    """

    def __init__(self, order: Sequence[str], module: str):
        known = {**registry.SECTIONS, **registry.ARRAYS}
        missing = [n for n in order if n not in known]
        unplaced = [n for n in known if n not in order]
        if missing or unplaced:
            raise ValueError(f"schema order names unregistered sections {missing} and leaves "
                             f"out registered ones {unplaced}")
        self.sections = {n: registry.SECTIONS[n] for n in order if n in registry.SECTIONS}
        self.arrays = {n: registry.ARRAYS[n] for n in order if n in registry.ARRAYS}
        self.checks = [fn for n in order for fn in registry.CHECKS.get(n, {}).values()]
        fields = [("name", str, dataclasses.field(default="scenario"))]
        fields += [(n, cls, dataclasses.field(default_factory=cls))
                   for n, cls in self.sections.items()]
        fields += [(n, tuple, dataclasses.field(default=())) for n in self.arrays]
        fields.append(("base_dir", str, dataclasses.field(default=".", compare=False)))
        self.Config = dataclasses.make_dataclass(
            "Config", fields, bases=(ConfigBase,), frozen=True,
            namespace={"__doc__": "A fully resolved scenario (one attribute per section)."})
        self.Config.__module__ = module  # where pickle finds it

    def load_config(self, path=None, overrides=None, seed: int | None = None):
        """Read a scenario TOML file (or the defaults when ``path`` is None) into a Config;
        see :func:`abm.config.loader.load_config`."""
        return loader.load_config(self, path, overrides, seed)

    def config_from_dict(self, data: dict, **kwargs):
        """Validate a nested mapping ``{section: {key: value}}`` into a Config; see
        :func:`abm.config.loader.config_from_dict`."""
        return loader.config_from_dict(self, data, **kwargs)

    def config_from_toml(self, text: str, overrides=None, seed: int | None = None):
        """Rebuild a Config from resolved TOML text (as stored in every run file, of any
        version)."""
        return loader.config_from_toml(self, text, overrides, seed)

    def to_toml(self, config) -> str:
        """The fully resolved config as TOML text (every key, defaults included)."""
        return loader.to_toml(self, config)

    def describe_params(self) -> str:
        """Every key with default, unit, allowed values and source, as a plain-text table."""
        return loader.describe_params(self)
