"""Agent-based simulator of tumour growth, dormancy, senescence and metastatic seeding.

Public API (DESIGN.md "Public contract"): :func:`load_config`, :class:`TumorModel`,
:func:`load_run`, :func:`abm.fields.steady_state`, and :func:`run_scenario` /
:func:`resume_run` behind the ``abm`` command; :func:`load_study` for parameter studies.
"""
__version__ = "0.1.0"

from . import fields
from .config import load_config
from .io import load_run
from .model import TumorModel
from .runner import resume_run, run_scenario
from .study import load_study

__all__ = ["TumorModel", "fields", "load_config", "load_run", "load_study", "resume_run",
           "run_scenario", "__version__"]
