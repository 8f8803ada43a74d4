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
import abm.therapy.sections  # noqa: F401
import abm.tumor.sections  # noqa: F401
from abm.config.schema import Schema

ORDER = ("run", "grid", "vessels", "tumor", "oxygen", "glucose", "sasp", "sasp_metabolic",
         "chemokine", "cell_state", "immune", "circadian", "shedding", "blood", "cells", "cycle",
         "intracellular", "fate", "output", "drugs", "therapy")
"""Every section and array of tables, in the order they are documented, stored and written:
the resolved config TOML in every run file follows it, so a new section goes at the end."""

SCHEMA = Schema(ORDER, __name__)
Config = SCHEMA.Config
SECTIONS = SCHEMA.sections
"""Section name → dataclass, in :data:`ORDER`."""
load_config = SCHEMA.load_config
config_from_dict = SCHEMA.config_from_dict
config_from_toml = SCHEMA.config_from_toml
to_toml = SCHEMA.to_toml
describe_params = SCHEMA.describe_params

__all__ = ["Config", "ORDER", "SCHEMA", "SECTIONS", "config_from_dict", "config_from_toml",
           "describe_params", "load_config", "to_toml"]
