"""Batched intracellular ODE networks (standalone: imports nothing from ``abm``)."""
