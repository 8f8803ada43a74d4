"""The registry that domain modules declare their config sections into.

Each domain package declares its sections next to the code that uses them (e.g.
``abm/fields/sections.py``) and registers them here: :func:`section` for a ``[name]`` table
(a frozen dataclass of :func:`abm.config.params.param` keys), :func:`entry_array` for a
``[[name]]`` array of tables, and :func:`check` for a check that involves more than one key
(or domain knowledge, such as a network's parameter names). The config package itself
imports no domain module: :class:`abm.config.schema.Schema` assembles whatever is registered
when it is built (``abm/schema.py`` imports the section modules first).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any, list], None]
"""``check(config, errors)``: append a message per problem to ``errors`` (or raise
ConfigError/ValueError inside :func:`abm.config.loader.collect`)."""


@dataclass(frozen=True)
class EntryArray:
    """A ``[[name]]`` array of tables, each entry a frozen dataclass ``cls``.

    ``check_entry(key, values, kwargs, errors)``: checks of one entry beyond its keys' types and
    ranges (``key`` is ``name[i]``, ``values`` the raw table, ``kwargs`` its valid keys).
    ``written(entry)``: the ``(key, value)`` pairs worth writing (default: every key)."""

    name: str
    cls: type
    check_entry: Callable[[str, dict, dict, list], None] | None = None
    written: Callable[[Any], Iterable[tuple[str, Any]]] | None = None


SECTIONS: dict[str, type] = {}
"""Registered ``[name]`` sections: name → dataclass, in registration order."""
ARRAYS: dict[str, EntryArray] = {}
"""Registered ``[[name]]`` arrays of tables."""
CHECKS: dict[str, dict[str, Check]] = {}
"""Checks by the section (or array) name they belong to, each under its qualified name (so a
re-imported module replaces its checks instead of adding them twice)."""


_generation = [0]


def generation() -> int:
    """How many registrations there have been: a schema built at another generation is
    out of date (:func:`abm.schema.current`)."""
    return _generation[0]


def _claim(name: str, owner: Any) -> None:
    """Refuse a second declaration of ``name`` by another module (a re-import of the same
    module replaces its own declaration)."""
    previous = SECTIONS.get(name) or (ARRAYS[name].cls if name in ARRAYS else None)
    if previous is not None and previous.__module__ != owner.__module__:
        raise ValueError(f"config section {name!r} is declared twice: in "
                         f"{previous.__module__} and {owner.__module__}")


def section(name: str):
    """Class decorator: register a section dataclass as ``[name]``."""
    def register(cls: type) -> type:
        _claim(name, cls)
        SECTIONS[name] = cls
        _generation[0] += 1
        return cls
    return register


def entry_array(name: str, cls: type, *, check_entry=None, written=None) -> None:
    """Register ``[[name]]``, an array of ``cls`` tables (see :class:`EntryArray`)."""
    _claim(name, cls)
    ARRAYS[name] = EntryArray(name, cls, check_entry, written)
    _generation[0] += 1


def forget(name: str) -> None:
    """Remove section or array ``name`` and its checks (a plugin unloaded by a test or an
    interactive session); the schema is rebuilt without it."""
    if SECTIONS.pop(name, None) is not None or ARRAYS.pop(name, None) is not None:
        CHECKS.pop(name, None)
        _generation[0] += 1


def check(name: str):
    """Function decorator: register ``fn(config, errors)`` as a check of section ``name``;
    the loader runs the checks of every section in the schema's order, after each key's
    type and range are checked."""
    def register(fn: Check) -> Check:
        CHECKS.setdefault(name, {})[f"{fn.__module__}.{fn.__qualname__}"] = fn
        _generation[0] += 1
        return fn
    return register
