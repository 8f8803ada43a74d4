"""Batched intracellular ODE networks (standalone: imports nothing from ``abm``).

- :func:`networks` / :func:`get_network`: the shipped networks (``dormancy``, ``yao2008``,
  ``alarcon2004``, ``gerard_goldbeter2011``), registered ones, and network files by path;
  each a :class:`Network` with named species, parameters (units, sources), inputs, presets,
  a readable NumPy right-hand side and a compiled twin with an analytic Jacobian.
- :class:`Definition` / :class:`Event`: a network written once, as equations;
  :func:`compile_network` generates a Network from it (docs/network_definitions.md);
  :func:`register` adds one to the registry.
- :func:`load_definition`, :func:`save_definition`, :func:`load_network`: the TOML network file.
- :func:`load_sbml`, :func:`read_sbml`, :func:`save_sbml`, :class:`SBMLError`: SBML import and
  export (docs/sbml.md); loaded on first use, so that ``import intracellular`` does not load
  python-libsbml (~0.1 s).
"""
from .compile import compile_network
from .definition import Definition, Event
from .files import load_definition, load_network, save_definition
from .integrate import BatchIntegrator, IntegrationError, simulate
from .network import Input, Network, Parameter, ParameterRangeError
from .registry import get_network, networks, register

__all__ = ["BatchIntegrator", "Definition", "Event", "Input", "IntegrationError", "Network",
           "Parameter", "ParameterRangeError", "compile_network", "get_network",
           "load_definition", "load_network", "networks", "register", "save_definition",
           "simulate", "SBMLError", "load_sbml", "read_sbml", "save_sbml"]

_SBML = ("SBMLError", "load_sbml", "read_sbml", "save_sbml")


def __getattr__(name: str):
    """The SBML functions, imported from :mod:`intracellular.sbml` on first access."""
    if name in _SBML:
        from . import sbml
        return getattr(sbml, name)
    raise AttributeError(f"module 'intracellular' has no attribute {name!r}")
