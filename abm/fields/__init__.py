"""Diffusing fields (oxygen, SASP, chemokines): implicit multigrid solver and steady states.

- :class:`FieldSolver` advances one field by a backward-Euler step (or to steady state).
- :func:`steady_state` is the public one-call steady state (see DESIGN.md, public contract).
- :mod:`abm.fields.reference` solves the same discretisation with ``scipy.sparse`` (tests).
"""
from abm.fields.multigrid import FieldSolver, SolveInfo, steady_state

__all__ = ["FieldSolver", "SolveInfo", "steady_state"]
