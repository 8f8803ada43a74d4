"""The design of a study: its points (parameter values), replicates and seeds.

Run ``i`` is replicate ``i % replicates`` of point ``i // replicates``. Seeds come from
``numpy.random.SeedSequence(study.seed).spawn(n_runs)``, so the study is reproducible and
a run's seed depends only on the study seed and its index, not on which engine ran it or in
what order. Designs:

- ``factorial``: every combination of ``levels`` evenly spaced values per range and every
  listed value;
- ``random``: ``n`` points, each value uniform in its range or uniform among its values;
- ``lhs``: ``n`` Latin-hypercube points (scipy.stats.qmc; a listed parameter takes the
  value whose stratum its coordinate falls in);
- ``sobol``: SALib's Saltelli scheme, ``n·(D + 2)`` points (first and total order);
- ``morris``: SALib's Morris trajectories, ``n·(D + 1)`` points on a ``levels`` grid.
"""
from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # spec imports this module to count runs while it checks a file
    from abm.study.spec import Parameter, StudySpec


def design_points(spec: StudySpec) -> pd.DataFrame:
    """One row per design point (index ``point``), one column per parameter key."""
    names = [p.key for p in spec.parameters]
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 1]))
    if spec.method == "factorial":
        axes = [np.linspace(*p.range, spec.levels) if p.range is not None else list(p.values)
                for p in spec.parameters]
        rows = list(itertools.product(*axes))
    elif spec.method in ("sobol", "morris"):
        rows = _salib_sample(spec)
    else:
        unit = (rng.random((spec.n, len(names))) if spec.method == "random"
                else _latin_hypercube(spec.n, len(names), rng))
        rows = [[_scale(p, u) for p, u in zip(spec.parameters, row)] for row in unit]
    frame = pd.DataFrame(rows, columns=names)
    frame.index.name = "point"
    return frame


def count_runs(method: str, n: int, levels: int, parameters: "list[Parameter]") -> int:
    """Design points of ``method`` (per replicate), without building them: the counts of the
    module docstring (exact integers, so a huge design is refused, not allocated)."""
    if method == "factorial":
        return math.prod(levels if p.range is not None else len(p.values) for p in parameters)
    extra = {"sobol": 2, "morris": 1}
    return n * (len(parameters) + extra[method]) if method in extra else n


def _latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=rng).random(n)


def _scale(parameter, u: float):
    """The value at unit coordinate ``u`` (0–1) of a range, or the value of that stratum."""
    if parameter.range is not None:
        lo, hi = parameter.range
        return lo + u * (hi - lo)
    values = parameter.values
    return values[min(int(u * len(values)), len(values) - 1)]


def _salib_sample(spec: StudySpec) -> np.ndarray:
    try:
        from SALib.sample import morris, sobol
    except ImportError:
        raise ImportError(f"design.method = {spec.method!r} needs SALib: "
                          'pip install "tumor-abm[study]"') from None
    if spec.method == "sobol":
        return sobol.sample(spec.problem, spec.n, calc_second_order=False, seed=spec.seed)
    return morris.sample(spec.problem, spec.n, num_levels=spec.levels, seed=spec.seed)


def run_table(spec: StudySpec) -> pd.DataFrame:
    """One row per run (index ``run``): ``point``, ``replicate``, ``seed`` and the parameter
    values of its point."""
    points = design_points(spec)
    n_runs = len(points) * spec.replicates
    seeds = [int(s.generate_state(1, dtype=np.uint32)[0])
             for s in np.random.SeedSequence(spec.seed).spawn(n_runs)]
    point = np.repeat(points.index.to_numpy(), spec.replicates)
    table = points.loc[point].reset_index()
    table.insert(1, "replicate", np.tile(np.arange(spec.replicates), len(points)))
    table.insert(2, "seed", seeds)
    table.index.name = "run"
    return table
