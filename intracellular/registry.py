"""The registry of shipped networks: ``networks()`` and ``get_network(name)``.

Each network lives in its own module under ``intracellular/models/`` and is imported on
first use (importing a module compiles nothing; numba compiles on first call, cached on disk).
"""
from __future__ import annotations

import difflib
import importlib

from .network import Network

_MODULES = {
    "dormancy": "intracellular.models.dormancy",
    "yao2008": "intracellular.models.yao2008",
    "alarcon2004": "intracellular.models.alarcon2004",
    "gerard_goldbeter2011": "intracellular.models.gerard_goldbeter2011",
}


def networks() -> list[str]:
    """Names of the shipped networks."""
    return list(_MODULES)


def get_network(name: str | Network) -> Network:
    """The :class:`Network` called ``name`` (a Network is returned as is)."""
    if isinstance(name, Network):
        return name
    if name not in _MODULES:
        close = difflib.get_close_matches(str(name), list(_MODULES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown network {name!r}{hint}; shipped: {', '.join(_MODULES)}")
    return importlib.import_module(_MODULES[name]).NETWORK
