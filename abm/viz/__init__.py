"""Figures rendered from run files (never from inside the simulation loop).

``summary_figure`` is imported on first use, so that the command line can read the sizes of
:mod:`abm.viz.journal` without loading matplotlib."""

__all__ = ["summary_figure"]


def __getattr__(name: str):
    if name == "summary_figure":
        from abm.viz.summary import summary_figure
        return summary_figure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
