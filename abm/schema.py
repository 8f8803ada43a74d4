"""The model's config schema: every section module's declarations, assembled.

Each domain package declares its config sections next to its code (``abm/<package>/
sections.py``); this module imports them all and builds the one :class:`Config` with its
loader. It is the only module that knows every section, so the config package
(:mod:`abm.config`) imports no domain module.
"""
from __future__ import annotations

# The section modules register their sections when imported.
import abm.circulation.sections  # noqa: F401
import abm.core.sections  # noqa: F401
import abm.fields.sections  # noqa: F401
import abm.immune.sections  # noqa: F401
import abm.metastasis.sections  # noqa: F401
import abm.myeloid.sections  # noqa: F401
import abm.therapy.sections  # noqa: F401
import abm.tumor.cell_state_sections  # noqa: F401
import abm.tumor.sections  # noqa: F401
from abm.config import registry
from abm.config.schema import Schema

ORDER = ("run", "grid", "vessels", "tumor", "oxygen", "glucose", "sasp", "sasp_metabolic",
         "chemokine", "cell_state", "immune", "circadian", "shedding", "blood", "cells", "cycle",
         "intracellular", "fate", "output", "drugs", "metabolism", "medium", "secondary",
         "neutrophils", "platelets", "il6", "tgfb", "therapy")
"""Every section and array of tables, in the order they are documented, stored and written:
the resolved config TOML in every run file follows it, so a new section goes at the end."""

_built: list = [None, -1]  # the schema and the registry generation it was built at


def current() -> Schema:
    """The schema of every section registered so far: :data:`ORDER`, then the sections and
    arrays plugins registered (:mod:`abm.extend`), in registration order. Rebuilt when
    something was registered since the last call; a package section missing from ORDER is
    an error (its place in the written TOML must be chosen)."""
    if _built[1] != registry.generation():
        known = {**registry.SECTIONS, **{n: a.cls for n, a in registry.ARRAYS.items()}}
        unplaced = [n for n, cls in known.items()
                    if n not in ORDER and cls.__module__.split(".")[0] == "abm"]
        if unplaced:
            raise ValueError(f"sections {unplaced} of the package are not placed in ORDER")
        order = ORDER + tuple(n for n in known if n not in ORDER)
        _built[:] = [Schema(order, __name__), registry.generation()]
    return _built[0]


def load_config(path=None, overrides=None, seed: int | None = None):
    """Read a scenario TOML file (or the defaults when ``path`` is None) into a Config; see
    :func:`abm.config.loader.load_config`."""
    return current().load_config(path, overrides, seed)


def config_from_dict(data: dict, **kwargs):
    """Validate a nested mapping ``{section: {key: value}}`` into a Config."""
    return current().config_from_dict(data, **kwargs)


def config_from_toml(text: str, overrides=None, seed: int | None = None):
    """Rebuild a Config from resolved TOML text (as stored in every run file)."""
    return current().config_from_toml(text, overrides, seed)


def to_toml(config) -> str:
    """The fully resolved config as TOML text (every key, defaults included)."""
    return current().to_toml(config)


def describe_params() -> str:
    """Every key with default, unit, allowed values and source, as a plain-text table."""
    return current().describe_params()


def __getattr__(name: str):
    """``SCHEMA``, ``Config`` (the class of the current schema; test resolved configs with
    ``isinstance(obj, abm.config.schema.ConfigBase)``, which holds for every build) and
    ``SECTIONS`` (section name → dataclass, in order)."""
    attributes = {"SCHEMA": lambda s: s, "Config": lambda s: s.Config,
                  "SECTIONS": lambda s: s.sections}
    if name not in attributes:
        raise AttributeError(f"module 'abm.schema' has no attribute {name!r}")
    return attributes[name](current())


__all__ = ["Config", "ORDER", "SCHEMA", "SECTIONS", "config_from_dict", "config_from_toml",
           "current", "describe_params", "load_config", "to_toml"]
