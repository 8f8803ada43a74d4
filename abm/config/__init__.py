"""Scenario configuration: a typed schema with units and sources, and its TOML loader."""
from abm.config.loader import config_from_dict, config_from_toml, describe_params, load_config, to_toml
from abm.config.schema import SECTIONS, Config

__all__ = ["Config", "SECTIONS", "config_from_dict", "config_from_toml", "describe_params",
           "load_config", "to_toml"]
