"""SBML import and export of networks: :func:`read_sbml`, :func:`load_sbml`, :func:`save_sbml`.

- :func:`read_sbml` (:mod:`intracellular.sbml_read`): an SBML Level 2/3 core file → a
  :class:`~intracellular.definition.Definition`, or an :class:`SBMLError` naming the
  unsupported element and the file.
- :func:`load_sbml`: the same, compiled into a :class:`~intracellular.Network`.
- :func:`save_sbml` (:mod:`intracellular.sbml_write`): a network generated from a Definition
  → SBML L3V2 core; importing the file gives an equal Definition.

What is supported and what is refused: ``docs/sbml.md``.
"""
from __future__ import annotations

from .sbml_read import SBMLError, read_sbml
from .sbml_write import save_sbml, sbml_string

__all__ = ["SBMLError", "load_sbml", "read_sbml", "save_sbml", "sbml_string"]


def load_sbml(path, *, inputs=(), name: str | None = None):
    """The :class:`~intracellular.Network` of the SBML model in ``path`` (arguments as
    :func:`read_sbml`), generated and compiled from its Definition."""
    from .compile import compile_network  # the code generator loads numba and SymPy: on use
    return compile_network(read_sbml(path, inputs=inputs, name=name))
