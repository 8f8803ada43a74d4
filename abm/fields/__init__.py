"""Diffusing fields (oxygen, SASP, chemokines): implicit multigrid solver and steady states.

- :class:`FieldSolver` advances one field by a backward-Euler step (or to steady state).
- :func:`steady_state` is the public one-call steady state (see docs/architecture.md, public contract).
- :mod:`abm.fields.reference` solves the same discretisation with ``scipy.sparse`` (tests).

The names are imported on first use (PEP 562), so that the config sections of
:mod:`abm.fields.sections` load without the solver's numba kernels.
"""
import importlib

_EXPORTS = ("FieldSolver", "SolveInfo", "steady_state")
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'abm.fields' has no attribute {name!r}")
    value = getattr(importlib.import_module("abm.fields.multigrid"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
