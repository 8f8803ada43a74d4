"""Definition → :class:`~intracellular.network.Network`, generated once and cached on disk.

:func:`compile_network` parses the definition (:mod:`intracellular.expressions`), generates
its module (:mod:`intracellular.codegen`) and loads it with
:func:`intracellular.sparse_lu.load_generated` under a name carrying the hash of its text, so
numba compiles each function once and caches it beside the text.

Cache (docs/numerical_guards.md, "Generated code cache"): the key is the SHA-256 of a
canonical serialisation of the definition (:func:`canonical`), the generator version and the
SymPy version (the text depends on SymPy's simplifications). A file ``net-<key>.txt`` in the
private :func:`~intracellular.sparse_lu.cache_dir` names the generated module; on a hit the
module text is read back from there (checked against the hash in its name) and SymPy is
never imported, which keeps a sweep worker's start-up to reading two small files. In the
process, networks are memoised by the same key.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import tempfile
import types
from pathlib import Path
from typing import Callable, Mapping

from .network import Network
from .sparse_lu import cache_dir, load_generated

GENERATOR_VERSION = 5
"""Bumped whenever :mod:`intracellular.codegen` writes different text for the same definition
(part of the cache key; kept here so that a cache hit needs no SymPy)."""
_GENERATOR_FILES = ("codegen.py", "codegen_lanes.py", "expressions.py")
"""The generator's own sources: their hash is part of the cache key too, so an edit to them
that forgets to bump :data:`GENERATOR_VERSION` cannot reuse stale generated code."""
_MEMO: dict[str, types.ModuleType] = {}
_NAME = re.compile(r"_intracellular_net_([0-9a-f]{20})")


def canonical(definition) -> str:
    """A deterministic JSON text of ``definition`` (mappings as ordered pairs: the order of
    expressions matters; floats by repr, so equal text ⇔ equal values)."""
    def plain(value):
        if dataclasses.is_dataclass(value):
            return [type(value).__name__] + [[f.name, plain(getattr(value, f.name))]
                                             for f in dataclasses.fields(value)]
        if isinstance(value, Mapping):
            return [[str(k), plain(v)] for k, v in value.items()]
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if isinstance(value, float):
            return repr(value)
        return value
    return json.dumps(plain(definition), ensure_ascii=False, separators=(",", ":"))


def cache_key(definition) -> str:
    """SHA-256 (hex) of the canonical definition, the generator version, the generator's
    sources and SymPy's version."""
    text = (f"{GENERATOR_VERSION}\n{_generator_hash()}\n{importlib.metadata.version('sympy')}"
            f"\n{canonical(definition)}")
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def _generator_hash() -> str:
    """SHA-256 of the generator's source files (read as bytes: no SymPy import)."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _GENERATOR_FILES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def generated_module(definition) -> types.ModuleType:
    """The loaded generated module of ``definition`` (from memory, the disk cache, or
    generated now)."""
    key = cache_key(definition)
    module = _MEMO.get(key)
    if module is None:
        directory = cache_dir()
        source = _cached_source(directory, key)
        if source is None:
            source = generate(definition)
            name = f"_intracellular_net_{hashlib.sha256(source.encode()).hexdigest()[:20]}"
            module = load_generated(name, source, directory)
            _write(directory / f"net-{key}.txt", name)
        else:
            name = f"_intracellular_net_{hashlib.sha256(source.encode()).hexdigest()[:20]}"
            module = load_generated(name, source, directory)
        _MEMO[key] = module
    return module


def generate(definition) -> str:
    """The module text of ``definition`` (imports SymPy)."""
    from .codegen import module_source
    from .expressions import parse_definition
    return module_source(definition, parse_definition(definition), GENERATOR_VERSION)


def _cached_source(directory: Path, key: str) -> str | None:
    """The module text recorded for ``key``, if its file is there and matches its name."""
    try:
        name = (directory / f"net-{key}.txt").read_text(encoding="utf-8").strip()
        match = _NAME.fullmatch(name)
        if not match:
            return None
        source = (directory / f"{name}.py").read_text(encoding="utf-8")
    except OSError:
        return None
    if hashlib.sha256(source.encode()).hexdigest()[:20] != match.group(1):
        return None  # edited or truncated: regenerate
    return source


def _write(path: Path, text: str) -> None:
    """Atomic write (concurrent workers never see half a file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def compile_network(definition, hooks: Mapping[str, Callable] | None = None) -> Network:
    """The :class:`Network` generated from ``definition``: every field, ``hooks`` = its
    readouts and ``post_mitotic_reset`` (then ``hooks``, which may add or replace roles),
    ``events`` (None without events), ``time_unit_h`` and ``definition`` set."""
    module = generated_module(definition)
    initial = getattr(module, "initial_events", None)
    return Network(
        name=definition.name, doc=definition.doc, species=tuple(definition.species),
        parameters=tuple(definition.parameters), inputs=tuple(definition.inputs),
        y0={s: float(definition.y0.get(s, 0.0)) for s in definition.species},
        rhs_reference=module.rhs_reference, rhs=module.rhs, jac=module.jac,
        presets=dict(definition.presets), observables=dict(definition.observables),
        hooks={**module.READOUTS, "post_mitotic_reset": module.post_mitotic_reset,
               **({"initial_events": initial} if initial is not None else {}), **(hooks or {})},
        events=module.events, signed=tuple(definition.signed), time_unit_h=float(definition.time_unit_h), definition=definition)
