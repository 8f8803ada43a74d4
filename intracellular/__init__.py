"""Batched intracellular ODE networks (standalone: imports nothing from ``abm``).

- :func:`networks` / :func:`get_network`: the shipped networks (``dormancy``, ``yao2008``,
  ``alarcon2004``, ``gerard_goldbeter2011``), each a :class:`Network` with named species,
  parameters (units, sources), inputs, presets, a readable NumPy right-hand side and a
  compiled twin with an analytic Jacobian.
"""
from .integrate import BatchIntegrator, IntegrationError, simulate
from .network import Input, Network, Parameter, ParameterRangeError
from .registry import get_network, networks

__all__ = ["BatchIntegrator", "Input", "IntegrationError", "Network", "Parameter",
           "ParameterRangeError", "get_network", "networks", "simulate"]
