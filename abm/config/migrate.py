"""Upgrade configs stored in older run files to the current schema.

Every resolved config written since version 2 starts with ``config_version``; a stored config
without it is version 1. Scenario files that users write are never migrated silently: a key
that moved gets an error that says where it went (:data:`MOVED_KEYS`).
"""
from __future__ import annotations

from abm.errors import ConfigError

CONFIG_VERSION = 7
"""Version of the config schema written by :func:`abm.config.to_toml`."""

MOVED_KEYS = {
    # version 2: keys shared by every cell program moved from [cycle] to [cells]
    "cycle.division_radius": "cells.division_radius",
    "cycle.retry_min": "cells.retry_min",
    "cycle.energy_time_h": "cells.energy_time_h",
    "cycle.necrotic_clearance_h": "cells.necrotic_clearance_h",
    # version 3: glucose became a field with its own section
    "intracellular.glucose": "glucose.level",
    # version 5: SASP composition by senescence route
    "sasp.paracrine_secretion_factor": "sasp.route_secretion.paracrine",
}
_VERSION_2_MOVES = ("cycle.division_radius", "cycle.retry_min", "cycle.energy_time_h",
                    "cycle.necrotic_clearance_h")


def migrate_stored(data: dict) -> dict:
    """Bring a stored config mapping (from a run file) to :data:`CONFIG_VERSION`."""
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    version = data.pop("config_version", 1)
    if version == 1:
        for old in _VERSION_2_MOVES:
            new = MOVED_KEYS[old]
            old_section, key = old.split(".")
            if key in data.get(old_section, {}):
                new_section, new_key = new.split(".")
                data.setdefault(new_section, {})[new_key] = data[old_section].pop(key)
        # Version 1 had only the placeholder cycle.
        data.setdefault("cells", {}).setdefault("program", "placeholder")
        version = 2
    if version == 2:
        # Runs before version 3 saw one uniform glucose level (no field).
        glucose = data.setdefault("glucose", {})
        if "glucose" in data.get("intracellular", {}):
            glucose["level"] = data["intracellular"].pop("glucose")
        glucose["field"] = False
        version = 3
    if version == 3:
        # Runs before version 4 had no SASP field (senescent cells secreted nothing).
        data.setdefault("sasp", {})["field"] = False
        version = 4
    if version == 4:
        # Runs before version 5 had one SASP field with a paracrine factor, no metabolic SASP,
        # no chemokine (and therefore no immune cells).
        sasp = data.setdefault("sasp", {})
        if "paracrine_secretion_factor" in sasp:
            sasp["route_secretion"] = {"geroconversion": 1.0, "therapy": 1.0, "metabolic": 1.0,
                                       "paracrine": sasp.pop("paracrine_secretion_factor")}
        data.setdefault("sasp_metabolic", {})["field"] = False
        data.setdefault("chemokine", {})["field"] = False
        version = 5
    if version == 5:
        # Runs before version 6 took up O2 and glucose at first order (oxygen.uptake_per_min,
        # glucose.uptake_per_min, glucose.dormant_uptake_factor) and drained the energy
        # reserve below the network's ATP (fate.atp_demand = 0.6 of it). Neither has a
        # counterpart in the saturating uptake of [metabolism] and its ATP supply / demand:
        # the keys are dropped and the config rebuilds with today's metabolism.
        data.get("oxygen", {}).pop("uptake_per_min", None)
        for key in ("uptake_per_min", "dormant_uptake_factor"):
            data.get("glucose", {}).pop(key, None)
        data.get("fate", {}).pop("atp_demand", None)
        version = 6
    if version == 6:
        # Runs before version 7 killed with one hazard per contact, a lifetime kill cap and
        # exhaustion after minutes of PD-1 signal (immune.<kind>.kill_per_min, max_kills,
        # pd1_exhaustion_min). Today's additive hits, drawn capacity and dysfunction over days
        # have no counterpart of them: the keys are dropped and the config rebuilds with
        # today's immune rules.
        dropped = ("kill_per_min", "max_kills", "pd1_exhaustion_min")
        immune = data.get("immune", {})
        for kind in ("cd8", "nk"):
            if kind in immune:
                immune[kind] = {k: v for k, v in immune[kind].items() if k not in dropped}
        version = 7
    if version != CONFIG_VERSION:
        raise ConfigError(f"config_version = {version!r}: this abm reads versions 1 to "
                          f"{CONFIG_VERSION}; the file was written by a newer abm")
    return data
