"""Figures rendered from run files (never from inside the simulation loop)."""
from .summary import summary_figure

__all__ = ["summary_figure"]
