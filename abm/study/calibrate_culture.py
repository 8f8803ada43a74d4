"""Calibration against a cell-culture experiment: the ``[culture]`` section of a calibration
file, its metrics, and one culture run per particle.

::

    [culture]                 # optional: each particle runs a well-mixed culture
    pre_culture_h = 96.0      # h at normoxia before the switch
    normoxia_mmHg = 38.0      # O2 before the switch (mmHg)
    hypoxia_mmHg = 7.6        # O2 after the switch (mmHg); a prior on culture.hypoxia_mmHg
                              # overrides it per particle
    hours = 48.0              # h followed after the switch
    n_cells = 1000            # founders
    max_cells = 3000          # passaged (halved) above this many viable cells

With a ``[culture]`` section each particle is one :func:`abm.culture.run_culture` of the
base scenario's config (with the overrides and the particle's config values) under the
schedule ``[(0, normoxia_mmHg), (pre_culture_h, hypoxia_mmHg)]`` for
``pre_culture_h + hours``, recorded every hour. Its metrics are ``COLUMN@HOURS``: a column of
the culture's table (:func:`abm.culture.record_columns`, e.g. ``g0g1_fraction``) at ``HOURS``
after the switch (negative: before it), read at the nearest hourly record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

PREFIX = "culture."
"""Priors on keys with this prefix set a value of the ``[culture]`` section per particle."""
MAX_MMHG = 160.0
"""The most O2 a dish can hold (mmHg): 21 % of 760 mmHg air at sea level."""
RECORD_EVERY_H = 1.0
"""Culture record interval (h): design choice, the metrics' time resolution (run_culture's
default); finer than any flow-cytometry time course."""


@dataclass(frozen=True)
class CultureSpec:
    """The culture experiment of a calibration (see the module docstring; times in h, O2 in
    mmHg). The defaults are scenarios/hypoxia_switch.py's culture and the Schmaltz et al.
    1998 protocol."""

    # 96 h at normoxia (scenarios/hypoxia_switch.py): founders start from one post-mitotic
    # state, and it takes that long for cycle-time noise to damp their synchrony
    pre_culture_h: float = 96.0
    normoxia_mmHg: float = 38.0  # 5 % O2, the tissue-like normoxia of scenarios/hypoxia_switch
    # 1 % O2, the level the hypoxia_sensitive preset was set at (Schmaltz 1998 do not state
    # theirs: give it a prior)
    hypoxia_mmHg: float = 7.6
    hours: float = 48.0  # Schmaltz et al. 1998: G0/G1 measured 48 h after the switch
    n_cells: int = 1000  # scenarios/hypoxia_switch.py: G0/G1 sampling SD ~0.015
    max_cells: int = 3000  # scenarios/hypoxia_switch.py: 3 × the founders


# key → (lowest, highest, whole number?): design choice, physical bounds (no negative times,
# O2 up to MAX_MMHG) and sizes a machine can hold
KEYS = {"pre_culture_h": (0.0, 1e4, False), "normoxia_mmHg": (0.0, MAX_MMHG, False),
        "hypoxia_mmHg": (0.0, MAX_MMHG, False), "hours": (0.0, 1e4, False),
        "n_cells": (1, 10**6, True), "max_cells": (1, 10**7, True)}
CALIBRATABLE = ("normoxia_mmHg", "hypoxia_mmHg")
"""The culture keys a prior may set (the experiment's conditions, not its design)."""


def read_culture(table: dict, errors: list[str]) -> CultureSpec:
    """The ``[culture]`` table (keys already checked against :data:`KEYS`) as a
    :class:`CultureSpec`; every bad value appended to ``errors``, its default kept."""
    values = {}
    for key, (low, high, whole) in KEYS.items():
        if key not in table:
            continue
        value = table[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if whole and not (number and isinstance(value, int) and low <= value <= high):
            errors.append(f"culture.{key} = {value!r}: must be a whole number in "
                          f"[{low}, {high}]")
        elif not whole and not (number and math.isfinite(value) and low <= value <= high):
            errors.append(f"culture.{key} = {value!r}: must be a number in [{low:g}, {high:g}]")
        else:
            values[key] = value if whole else float(value)
    culture = CultureSpec(**values)
    if culture.max_cells < culture.n_cells:
        errors.append(f"culture.max_cells = {culture.max_cells}: must be ≥ culture.n_cells "
                      f"({culture.n_cells})")
    return culture


def check_priors(priors, culture: CultureSpec | None) -> list[str]:
    """Problems of the priors on ``culture.*`` keys: no ``[culture]`` section, a key that
    is not calibratable, a range outside the key's."""
    errors = []
    for p in priors:
        key = p.key[len(PREFIX):]
        where = f"priors.{p.key!r}"
        if culture is None:
            errors.append(f"{where}: a culture key needs a [culture] section")
        elif key not in CALIBRATABLE:
            errors.append(f"{where}: allowed culture keys: "
                          + ", ".join(PREFIX + k for k in CALIBRATABLE))
        elif not (KEYS[key][0] <= p.lo and p.hi <= KEYS[key][1]):
            errors.append(f"{where}.{p.kind} = [{p.lo:g}, {p.hi:g}]: must lie in "
                          f"[{KEYS[key][0]:g}, {KEYS[key][1]:g}]")
    return errors


def check_scenario(scenario: Path, overrides) -> list[str]:
    """A culture needs the network program (only it has an S/G2/M stage)."""
    from abm import load_config
    from abm.errors import ConfigError

    try:
        program = load_config(scenario, overrides=list(overrides)).cells.program
    except ConfigError:
        return []  # reported by the scenario check
    if program != "network":
        return [f"culture: the scenario's cells.program = {program!r}; a culture needs "
                "'network' (set it in the scenario or calibration.overrides)"]
    return []


def split_metric(metric: str) -> tuple[str, float]:
    """``"COLUMN@HOURS"`` → (column, hours after the switch); ValueError if malformed."""
    column, at, hours = metric.partition("@")
    if not at:
        raise ValueError("no '@'")
    value = float(hours)
    if not math.isfinite(value):
        raise ValueError("hours not finite")
    return column, value


def check_metrics(metrics, culture: CultureSpec) -> list[str]:
    """Problems of culture metric names: the form, the column, the time."""
    from abm.culture import record_columns

    columns = record_columns()
    span = f"[{-culture.pre_culture_h:g}, {culture.hours:g}]"
    errors = []
    for metric in metrics:
        try:
            column, hours = split_metric(metric)
        except ValueError:
            errors.append(f"metric {metric!r}: a culture metric is COLUMN@HOURS (hours after "
                          f"the switch, in {span}), e.g. 'g0g1_fraction@48'")
            continue
        if column not in columns:
            errors.append(f"metric {metric!r}: unknown column {column!r}; allowed: "
                          + ", ".join(columns))
        if not -culture.pre_culture_h <= hours <= culture.hours:
            errors.append(f"metric {metric!r}: {hours:g} h after the switch is outside the "
                          f"culture, {span} (culture.pre_culture_h, culture.hours)")
    return errors


def measure(culture: CultureSpec, config, values: dict[str, float], metrics, seed: int
            ) -> dict[str, float]:
    """One culture of ``config`` (seed ``seed``) with the ``culture.*`` entries of ``values``
    set, reduced to ``metrics`` (each at its nearest hourly record)."""
    from dataclasses import replace

    from abm.culture import run_culture

    culture = replace(culture, **{k[len(PREFIX):]: v for k, v in values.items()
                                  if k.startswith(PREFIX)})
    schedule = [(0.0, culture.normoxia_mmHg), (culture.pre_culture_h, culture.hypoxia_mmHg)]
    table = run_culture(config, schedule, culture.pre_culture_h + culture.hours,
                        n_cells=culture.n_cells, max_cells=culture.max_cells,
                        record_every_h=RECORD_EVERY_H, seed=seed)
    after = table["time_h"].to_numpy() - culture.pre_culture_h
    out = {}
    for metric in metrics:
        column, hours = split_metric(metric)
        out[metric] = float(table[column].iloc[int(abs(after - hours).argmin())])
    return out
