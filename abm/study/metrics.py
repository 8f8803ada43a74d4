"""Summary metrics of a run, by name: each is a function ``(run) -> float`` of an open
:class:`abm.io.Run`, evaluated once when the run finishes (in the worker that ran it).

Built in (end values are at the last step; counts are tumour cells):

- ``n_tumor``, ``n_viable``, ``n_<phase>`` for every phase (``n_dormant``, ``n_senescent``, …);
- ``dormant_fraction``, ``senescent_fraction``: of viable cells; ``hypoxic_fraction``;
- ``ctc_shed_cells``, ``ctc_shed_units``, ``ctc_shed_clusters``, ``ctc_seeded``: totals over
  the run (0 without shedding);
- ``time_to_cells:N``: the first time (days) the tumour reached N cells (NaN if never).

A metric with an argument is written ``name:argument``. Add your own with
:func:`register_metric` in a module named by ``study.metrics_module`` (imported in every
worker)::

    from abm.study import register_metric

    @register_metric("max_hypoxic_fraction")
    def _max_hypoxic(run):
        return float(run.timeseries["hypoxic_fraction"].max())
"""
from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable

from abm.tumor.cells import PHASES

METRICS: dict[str, Callable] = {}
"""Metric name → function ``(run, argument: str | None) -> float``."""


def register_metric(name: str, *, takes_argument: bool = False):
    """Decorator: register ``fn(run)`` (or ``fn(run, argument)`` with ``takes_argument``)
    as metric ``name``."""
    def add(fn):
        METRICS[name] = fn if takes_argument else (lambda run, argument, fn=fn: fn(run))
        METRICS[name].takes_argument = takes_argument
        METRICS[name].__doc__ = fn.__doc__
        return fn
    return add


def _end(column: str) -> Callable:
    def end_value(run) -> float:
        series = run.timeseries
        return float(series[column].iloc[-1]) if column in series else math.nan
    return end_value


def _total(column: str) -> Callable:
    def total(run) -> float:
        series = run.timeseries
        return float(series[column].sum()) if column in series else 0.0
    return total


def _fraction(column: str) -> Callable:
    def fraction(run) -> float:
        end = run.timeseries.iloc[-1]
        return float(end[column] / end["n_viable"]) if end["n_viable"] > 0 else math.nan
    return fraction


for _name in ("n_tumor", "n_viable", "hypoxic_fraction", *(f"n_{p}" for p in PHASES)):
    register_metric(_name)(_end(_name))
for _name in ("ctc_shed_cells", "ctc_shed_units", "ctc_shed_clusters", "ctc_seeded"):
    register_metric(_name)(_total(_name))
register_metric("dormant_fraction")(_fraction("n_dormant"))
register_metric("senescent_fraction")(_fraction("n_senescent"))


@register_metric("time_to_cells", takes_argument=True)
def _time_to_cells(run, argument: str) -> float:
    """First time (days) with at least ``argument`` tumour cells (NaN if never)."""
    series = run.timeseries["n_tumor"]
    reached = series.to_numpy() >= float(argument)
    return float(series.index[reached.argmax()] / 1440.0) if reached.any() else math.nan


def split_metric(spec: str) -> tuple[str, str | None]:
    """``"name:argument"`` → ``("name", "argument")``; ``"name"`` → ``("name", None)``."""
    name, _, argument = spec.partition(":")
    return name, (argument or None)


def check_metrics(specs) -> list[str]:
    """Problems with metric names (unknown, or a missing or unneeded argument)."""
    errors = []
    for spec in specs:
        name, argument = split_metric(spec)
        if name not in METRICS:
            errors.append(f"study.metrics: {spec!r} unknown; allowed: {', '.join(sorted(METRICS))}"
                          " (or register one: abm.study.register_metric)")
        elif METRICS[name].takes_argument and argument is None:
            errors.append(f"study.metrics: {spec!r} needs an argument, e.g. '{name}:5000'")
        elif not METRICS[name].takes_argument and argument is not None:
            errors.append(f"study.metrics: {spec!r}: {name} takes no argument")
        elif METRICS[name].takes_argument:
            try:
                float(argument)
            except ValueError:
                errors.append(f"study.metrics: {spec!r}: the argument must be a number")
    return errors


def evaluate(run, specs) -> dict[str, float]:
    """Every metric of ``specs`` for the open run ``run``."""
    out = {}
    for spec in specs:
        name, argument = split_metric(spec)
        out[spec] = float(METRICS[name](run, argument))
    return out


def import_metrics_module(module: str) -> None:
    """Import ``module`` (which registers metrics). This runs the module's code: it is
    trusted input (docs/trusted_input.md)."""
    if module:
        importlib.import_module(module)


def metrics_module_problem(module) -> str | None:
    """What is wrong with ``study.metrics_module`` (None: empty, or imported fine): not a
    dotted module name, not found, or it raised on import (the error, in one line)."""
    if module == "":
        return None
    if not (isinstance(module, str) and re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", module)):
        return "must be a dotted module name such as 'my_metrics' or 'lab.metrics'"
    try:
        import_metrics_module(module)
    except ImportError as exc:
        return f"cannot import it ({exc}); is its folder on PYTHONPATH?"
    except BaseException as exc:  # noqa: BLE001 - any error of the user's module, one line
        if isinstance(exc, KeyboardInterrupt):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"importing it raised {type(exc).__name__}: {first}"
    return None
