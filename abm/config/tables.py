"""Numbers that kernels read by index, declared once with unit, range and source.

- :class:`ParamTable`: a table users write as ``key = { name = value, ... }`` (e.g.
  ``[immune] cd8``, ``[blood] params``). Every entry has a unit and an allowed range
  (:class:`Entry`) and, per table, a default and its source. The table checks a mapping (an
  unknown name or a value out of range is named with what is allowed), gives the float64
  vector of defaults with the overrides set, and documents itself for ``abm params``.
- :class:`ConfigVector`: a vector built from typed config keys (e.g. the fate rules), each
  entry naming its key (whose unit, range and source the section declares) and, where the
  kernel wants another quantity (a rate instead of a half-life), how it is derived.

Both give an :class:`enum.IntEnum` of the entries' indices (:func:`index_enum`): numba kernels
read its members as compile-time constants, ``params[P.SPEED_UM_PER_MIN]``, not ``params[0]``.
"""
from __future__ import annotations

import difflib
import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from abm.errors import ConfigError


def unknown_message(key: str, known: Sequence[str], what: str) -> str:
    """``unknown <what> '<key>'`` with the closest known name, or the known names."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
    return f"unknown {what} {key!r}{hint}"


def index_enum(name: str, names: Sequence[str], module: str) -> type[enum.IntEnum]:
    """An IntEnum ``name`` whose members are ``names`` upper-cased, valued 0, 1, … in order
    (``module``: where it is defined, for its repr and pickling)."""
    return enum.IntEnum(name, [(n.upper(), i) for i, n in enumerate(names)], module=module)


@dataclass(frozen=True)
class Entry:
    """One named entry of a :class:`ParamTable`: its unit and allowed range.

    ``low_inclusive`` False: the value must exceed ``low`` (e.g. a divisor). ``inf_ok``: inf
    is allowed (means "never", for times and caps; a config file cannot write it, code can).
    ``whole``: the value must be a whole number (a count)."""

    name: str
    unit: str
    high: float = math.inf
    low: float = 0.0
    low_inclusive: bool = True
    inf_ok: bool = False
    whole: bool = False

    def allowed(self) -> str:
        """The allowed values, in words (used in error messages)."""
        bracket = "[" if self.low_inclusive else "("
        interval = f"{bracket}{self.low:g}, " + (f"{self.high:g}]" if self.high < math.inf
                                                 else "inf)")
        sign = ("≥ " if self.low_inclusive else "> ") + f"{self.low:g}"
        if self.high < math.inf:
            sign += f" and ≤ {self.high:g}"
        kind = "value (inf allowed)" if self.inf_ok else "finite value"
        return f"a {kind} in {interval}, i.e. {sign}" + (", a whole number" if self.whole else "")

    def problem(self, value: float) -> str | None:
        """What is wrong with ``value`` for this entry, or None."""
        value = float(value)
        if math.isnan(value) or (math.isinf(value) and not (self.inf_ok and value > 0)):
            return self.allowed()
        too_low = value < self.low or (value == self.low and not self.low_inclusive)
        if too_low or (value > self.high) or (self.whole and math.isfinite(value)
                                              and value != math.floor(value)):
            return self.allowed()
        return None


class ParamTable:
    """The entries of one ``key = { name = value }`` table with their defaults.

    Args:
        key: the dotted config key of the table (``"blood.params"``, ``"immune.cd8"``); error
            messages name ``<key>.<name>``.
        entries: the entries in vector order.
        defaults: ``{name: (default value, source)}`` for every entry.
    """

    def __init__(self, key: str, entries: Sequence[Entry],
                 defaults: Mapping[str, tuple[float, str]]):
        self.key = key
        self.entries = {e.name: e for e in entries}
        self.names = tuple(self.entries)
        if set(defaults) != set(self.names):
            raise ValueError(f"{key}: defaults for {sorted(defaults)}, entries "
                             f"{sorted(self.names)}")
        self._defaults = np.array([defaults[n][0] for n in self.names], dtype=np.float64)
        self.docs = {n: (defaults[n][0], self.entries[n].unit, defaults[n][1])
                     for n in self.names}
        """``{name: (default value, unit, source)}`` in vector order."""

    def problems(self, values: Mapping[str, float]) -> list[str]:
        """Every unknown name and out-of-range value of ``values``, one message each."""
        out = []
        for name, value in values.items():
            if name not in self.entries:  # matched on the bare names: the prefix is shared
                close = difflib.get_close_matches(name, self.names, n=1, cutoff=0.6)
                out.append(f"unknown key '{self.key}.{name}'; " + (
                    f"did you mean '{self.key}.{close[0]}'?" if close else
                    f"the entries of {self.key} are {', '.join(self.names)}"))
                continue
            entry = self.entries[name]
            problem = entry.problem(value)
            if problem:
                out.append(f"{self.key}.{name} = {value!r}: must be {problem} ({entry.unit})")
        return out

    def vector(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """float64 vector of the defaults with ``values`` (``{name: value}``) set.

        Raises:
            ConfigError: listing every unknown name and out-of-range value.
        """
        values = dict(values or {})
        problems = self.problems(values)
        if problems:
            raise ConfigError("; ".join(problems), problems=problems)
        vector = self._defaults.copy()
        for name, value in values.items():
            vector[self.names.index(name)] = value
        return vector

    def check_vector(self, vector: np.ndarray) -> None:
        """Raise ConfigError naming every entry of ``vector`` (in table order) out of range."""
        vector = np.asarray(vector)
        if vector.shape != (len(self.names),):
            raise ValueError(f"{self.key}: a vector of shape ({len(self.names)},) is needed; "
                             f"got {vector.shape}")
        problems = self.problems(dict(zip(self.names, vector.tolist())))
        if problems:
            raise ConfigError("; ".join(problems), problems=problems)


def per_hour_from_half_life(half_life_h: float) -> float:
    """A first-order rate (h⁻¹) from a half-life (h): ln 2 / t½ (for :class:`Derived`)."""
    return math.log(2.0) / half_life_h


@dataclass(frozen=True)
class Derived:
    """An entry of a :class:`ConfigVector` that is not a config key's value itself:
    ``name`` (its index name) = ``derive(value of key)``; ``doc`` says what it is."""

    name: str
    key: str
    derive: Callable[[float], float]
    doc: str


class ConfigVector:
    """A float64 vector a kernel reads, built from typed config keys.

    Args:
        name: name of the index enum (:attr:`index`).
        module: the module that defines the vector (for the enum).
        entries: ``"section.key"`` (the key's value; the index is named after the key) or
            :class:`Derived`, in vector order.
    """

    def __init__(self, name: str, module: str, entries: Sequence[str | Derived]):
        self.entries = tuple(entries)
        self.names = tuple(e.name if isinstance(e, Derived) else e.split(".")[1]
                           for e in self.entries)
        self.index = index_enum(name, self.names, module)

    def values(self, config=None, **sections) -> np.ndarray:
        """The vector of ``config`` (a Config), or of the sections given by name
        (``values(cell_state=section)``; these take precedence over ``config``'s)."""
        out = []
        for e in self.entries:
            key = e.key if isinstance(e, Derived) else e
            section, name = key.split(".")
            owner = sections[section] if section in sections else getattr(config, section)
            value = getattr(owner, name)
            out.append(e.derive(value) if isinstance(e, Derived) else value)
        return np.array(out, dtype=np.float64)
