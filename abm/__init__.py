"""Agent-based simulator of tumour growth, dormancy, senescence and metastatic seeding.

Public API (docs/architecture.md "Public contract"): :func:`load_config`, :class:`TumorModel`,
:func:`load_run`, :func:`abm.fields.steady_state`, and :func:`run_scenario` /
:func:`resume_run` behind the ``abm`` command; :func:`load_study` for parameter studies.

The names are imported on first use (PEP 562), so that ``import abm.io`` to read a run does
not import the model, its numba kernels and Mesa.
"""
import importlib

__version__ = "0.1.0"
"""The package version (pyproject.toml reads it from here; run files record it)."""

_EXPORTS = {
    "TumorModel": ("abm.model", "TumorModel"),
    "fields": ("abm.fields", None),
    "load_config": ("abm.schema", "load_config"),
    "load_run": ("abm.io", "load_run"),
    "load_study": ("abm.study", "load_study"),
    "resume_run": ("abm.runner", "resume_run"),
    "run_scenario": ("abm.runner", "run_scenario"),
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'abm' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = importlib.import_module(module)
    value = value if attribute is None else getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
