"""Figures rendered from run files (never from inside the simulation loop)."""
from abm.viz.summary import summary_figure

__all__ = ["summary_figure"]
