"""Global sensitivity analysis of a parameter study's summary table with SALib.

A parameter study runs the simulator at the design points of a SALib sampler and writes a
*summary table*: a :class:`pandas.DataFrame` with one row per run and the columns

``point``
    index of the design point in SALib's sample order, ``0 … n_points-1``;
``replicate``
    replicate number of that point (replicates differ only by their random seed);
``status``
    ``"done"`` for a finished run (anything else, e.g. ``"failed"``, is skipped);
one column per parameter name of the SALib ``problem``
    the value the run used (the design value, the same for every replicate of a point);
one float column per metric
    e.g. ``dormant_fraction``, ``ctc_shed_cells``.

The functions here reduce the replicates of each point to their mean
(:func:`point_means`), check that the points form the SALib design the analysis expects,
and compute

* Sobol' indices (:func:`sobol_indices`, design from ``SALib.sample.sobol.sample``,
  ``N·(D+2)`` points, or ``N·(2D+2)`` with second order), or
* Morris elementary-effect statistics (:func:`morris_indices`, design from
  ``SALib.sample.morris.sample``, ``N·(D+1)`` points),

where ``D`` is the number of factors: the parameters, or the groups when the problem has
``"groups"``. :func:`sensitivity_table` stacks the indices of several metrics into one long
table, which :func:`abm.study.sensitivity_output.plot_sensitivity` draws and
:func:`abm.study.sensitivity_output.write_sensitivity` writes as CSV and HDF5. The checks of
the inputs and of the design are in :mod:`abm.study.sensitivity_checks`.

SALib is an optional dependency (the ``study`` extra); it is imported only by the functions
that need it.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from abm.study.sensitivity_checks import (_candidate_metrics, _check_conf_level, _check_method,
                                          _check_metric, _check_morris, _check_positive_int,
                                          _check_problem, _check_saltelli, _check_summary,
                                          _design_matrix, _factors, _infer_n_points, _listing,
                                          _point_numbers, _rng)
from abm.study.status import DONE

__all__ = [
    "INDEX_COLUMNS",
    "ConstantMetricError",
    "point_means",
    "sobol_indices",
    "morris_indices",
    "sensitivity_table",
]

INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "sigma", "mu_star_conf"),
}
"""Columns of the per-factor results of each method (and of the long table after
``metric`` and ``parameter``)."""


class ConstantMetricError(ValueError):
    """The metric takes one value at every design point: Sobol' indices (shares of its
    variance) are undefined. :func:`sensitivity_table` turns it into NaN rows and a
    warning so that one flat metric does not stop a study's report."""


# --------------------------------------------------------------------------- reduction

def point_means(summary: pd.DataFrame, metric: str, n_points: int) -> np.ndarray:
    """Mean of ``metric`` over the successful replicates of each design point.

    Parameters
    ----------
    summary
        The study's summary table (one row per run; columns ``point``, ``replicate``,
        ``status``, parameters, metrics).
    metric
        Name of a numeric metric column.
    n_points
        Number of design points (``N·(D+2)`` etc.; the sampler's row count).

    Returns
    -------
    numpy.ndarray, shape ``(n_points,)``, float64
        Element ``p`` is the mean of ``metric`` over the rows with ``point == p`` and
        ``status == "done"`` — i.e. the model output ``Y[p]`` for row ``p`` of SALib's
        sample matrix.

    Raises
    ------
    ValueError
        Unknown metric (the message lists the numeric columns), bad ``point`` values,
        duplicate ``(point, replicate)`` among the done runs, or points that have no done
        run or a non-finite metric in a done run (all such points are named). SALib's
        estimators need every point, and averaging around an undefined value would bias
        the point, so neither is papered over. Runs whose status is not ``"done"`` are
        skipped whatever their metric holds.
    """
    _check_summary(summary)
    _check_metric(summary, metric)
    n_points = _check_positive_int("n_points", n_points)
    points = _point_numbers(summary, n_points)
    done = (summary["status"] == DONE).to_numpy(dtype=bool, na_value=False)

    keys = pd.DataFrame({"point": points[done],
                         "replicate": summary["replicate"].to_numpy()[done]})
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        pairs = sorted({(int(p), r) for p, r in keys[dup].itertuples(index=False)})
        raise ValueError(f"summary has several 'done' rows for (point, replicate) "
                         f"{pairs[:10]}{' …' if len(pairs) > 10 else ''}; keep one per run")

    values = summary[metric].to_numpy(dtype=float, na_value=np.nan)[done]
    p_done = points[done]
    nonfinite = np.unique(p_done[~np.isfinite(values)])
    if nonfinite.size:
        raise ValueError(f"metric {metric!r} is NaN or infinite in a 'done' run of points "
                         f"{_listing(nonfinite)}; SALib needs a value at every point")
    counts = np.bincount(p_done, minlength=n_points)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(f"points {_listing(empty)} of {n_points} have no successful "
                         f"('done') run for metric {metric!r}; SALib needs every design "
                         "point: rerun them")
    sums = np.bincount(p_done, weights=values, minlength=n_points)
    return sums / counts


SALIB_MIN = (1, 5, 2)
"""Oldest SALib this module works with: before 1.5.2 SALib's analyses call numpy APIs that
numpy 2 removed (``ndarray.ptp``) and Morris reseeds numpy's global RNG instead of taking a
Generator."""


def _salib(module: str):
    hint = "pip install 'SALib>=1.5.2,<2' (the package's 'study' extra)"
    try:
        if module == "sobol":
            from SALib.analyze import sobol as mod
        else:
            from SALib.analyze import morris as mod
    except ImportError as exc:  # optional dependency: say how to get it
        raise ImportError(f"sensitivity analysis needs SALib: {hint}") from exc
    from importlib.metadata import PackageNotFoundError, version
    try:
        found = version("SALib")
    except PackageNotFoundError:  # imported from a source tree: trust it
        return mod
    parts = tuple(int(p) for p in found.split(".")[:3] if p.isdigit())
    if parts < SALIB_MIN:
        raise ImportError(f"SALib {found} is too old for abm.study.sensitivity: {hint}")
    return mod


# --------------------------------------------------------------------------- analyses

def _prepare(summary: pd.DataFrame, problem: dict, metric: str, n_points: int | None):
    """Checked ``(problem, factors, D, n_points)`` shared by both analyses (``n_points``
    inferred from the summary when None)."""
    _check_summary(summary)
    problem = _check_problem(problem)
    _check_metric(summary, metric, problem["names"])
    factors, _ = _factors(problem)
    n_points = _infer_n_points(summary) if n_points is None else n_points
    return problem, factors, len(factors), _check_positive_int("n_points", n_points)


def sobol_indices(summary: pd.DataFrame, problem: Mapping, metric: str, *,
                  n_points: int | None = None, calc_second_order: bool = False,
                  num_resamples: int = 1000, conf_level: float = 0.95, seed=None,
                  check_design: bool = True):
    """Sobol' indices of ``metric`` from a Saltelli design (``SALib.analyze.sobol``).

    Parameters
    ----------
    summary, metric
        As for :func:`point_means`; the replicate mean of each point is the model output.
    problem
        The SALib problem the design was sampled from (``num_vars``, ``names``,
        ``bounds``; optional ``groups``, ``dists``).
    n_points
        Design size; ``None`` infers ``max(point) + 1`` (pass it to catch trailing points
        that have no row at all). Must be ``N·(D+2)``, or ``N·(2D+2)`` with
        ``calc_second_order``, ``D`` = number of factors.
    calc_second_order
        Must match the sampler's ``calc_second_order``.
    num_resamples, conf_level
        Bootstrap resamples and level of the confidence half-widths ``*_conf``.
    seed
        None, an int or a numpy Generator for the bootstrap (``0`` is honoured).
    check_design
        When the summary has the parameter columns, check they have the Saltelli row
        structure (catches shuffled points and a mismatched ``calc_second_order``).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` = factor names (the groups if the problem has groups), in
        problem order; columns ``S1`` (first-order index: share of the output variance due
        to the factor alone), ``S1_conf``, ``ST`` (total index: share including all its
        interactions), ``ST_conf`` (half-widths of the ``conf_level`` bootstrap intervals).
        With ``calc_second_order`` the result is a tuple ``(indices, second)``, ``second``
        a long DataFrame with columns ``parameter_1``, ``parameter_2``, ``S2``, ``S2_conf``
        for each factor pair ``j < k`` (a separate frame, not ``attrs``: a DataFrame held in
        ``attrs`` makes ``pandas.concat`` raise).
    """
    problem, factors, D, n_points = _prepare(summary, problem, metric, n_points)
    step = 2 * D + 2 if calc_second_order else D + 2
    if n_points % step:
        raise ValueError(
            f"n_points = {n_points} is not a Saltelli design size for D = {D} factors "
            f"with calc_second_order={calc_second_order}: need a multiple of {step} "
            f"({'2D+2' if calc_second_order else 'D+2'}); "
            f"n_points % {step} = {n_points % step}")
    num_resamples = _check_positive_int("num_resamples", num_resamples, 2)
    conf_level = _check_conf_level(conf_level)
    rng = _rng(seed)

    Y = point_means(summary, metric, n_points)
    if check_design and all(n in summary.columns for n in problem["names"]):
        _check_saltelli(_design_matrix(summary, problem, n_points), problem,
                        calc_second_order)
    if np.ptp(Y) <= np.finfo(float).eps * max(1.0, float(np.abs(Y).max())):
        # SALib divides by Y.std(): a constant output has no variance to apportion.
        raise ConstantMetricError(f"metric {metric!r} is constant over all {n_points} points "
                         f"({Y[0]:g}); Sobol' indices are undefined")

    Si = _salib("sobol").analyze(problem, Y, calc_second_order=calc_second_order,
                                 num_resamples=num_resamples, conf_level=conf_level,
                                 seed=rng)
    index = pd.Index(factors, name="parameter")
    table = pd.DataFrame({k: np.asarray(Si[k], dtype=float) for k in INDEX_COLUMNS["sobol"]},
                         index=index)
    if not calc_second_order:
        return table
    j, k = np.triu_indices(D, 1)
    second = pd.DataFrame({"parameter_1": [factors[i] for i in j],
                           "parameter_2": [factors[i] for i in k],
                           "S2": np.asarray(Si["S2"], dtype=float)[j, k],
                           "S2_conf": np.asarray(Si["S2_conf"], dtype=float)[j, k]})
    return table, second


def morris_indices(summary: pd.DataFrame, problem: Mapping, metric: str, *,
                   n_points: int | None = None, num_levels: int = 4,
                   num_resamples: int = 1000, conf_level: float = 0.95, seed=None,
                   check_design: bool = True) -> pd.DataFrame:
    """Morris elementary-effect statistics of ``metric`` (``SALib.analyze.morris``).

    The sample matrix ``X`` (shape ``(n_points, num_vars)``) is rebuilt from the summary's
    parameter columns (lowest replicate of each point, point order), ``Y`` is
    :func:`point_means`. ``n_points`` must be ``N·(D+1)`` (``N`` trajectories of ``D+1``
    points, ``D`` = number of factors); ``None`` infers ``max(point) + 1``. ``num_levels``
    must be the sampler's: SALib divides each output difference by the unit-cube step
    ``Δ = p/(2(p-1))``, so an elementary effect is *output change per whole parameter
    range* (a term ``c·x`` on ``[lo, hi]`` has effect ``c·(hi-lo)``). ``check_design``
    verifies the trajectories (one factor moves per step, by ``Δ·(hi-lo)``).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` = factor names (groups if any), problem order; columns ``mu``
        (mean elementary effect), ``mu_star`` (mean absolute effect: overall importance),
        ``sigma`` (standard deviation of the effects: non-linearity and interactions; NaN
        for a group of several parameters) and ``mu_star_conf`` (half-width of the
        ``conf_level`` bootstrap interval of ``mu_star``). Units: metric units.
    """
    problem, factors, D, n_points = _prepare(summary, problem, metric, n_points)
    if n_points % (D + 1):
        raise ValueError(
            f"n_points = {n_points} is not a Morris design size for D = {D} factors: need a "
            f"multiple of D+1 = {D + 1} (n_points % {D + 1} = {n_points % (D + 1)})")
    if n_points // (D + 1) < 2:
        raise ValueError(f"n_points = {n_points} is one trajectory; sigma needs at least two")
    num_levels = _check_positive_int("num_levels", num_levels, 2)
    num_resamples = _check_positive_int("num_resamples", num_resamples, 2)
    conf_level = _check_conf_level(conf_level)
    rng = _rng(seed)

    Y = point_means(summary, metric, n_points)
    X = _design_matrix(summary, problem, n_points)
    if check_design:
        _check_morris(X, problem, num_levels)
    Si = _salib("morris").analyze(problem, X, Y, num_resamples=num_resamples,
                                  conf_level=conf_level, num_levels=num_levels, seed=rng)
    return pd.DataFrame(
        {k: np.ma.filled(np.ma.asarray(Si[k], dtype=float), np.nan)
         for k in INDEX_COLUMNS["morris"]},
        index=pd.Index(factors, name="parameter"))


def sensitivity_table(summary: pd.DataFrame, problem: Mapping, metrics, method: str,
                      **kw) -> pd.DataFrame:
    """Indices of several metrics in one long table.

    ``metrics`` is a name or a sequence of names; ``method`` is ``"sobol"`` or
    ``"morris"``; ``kw`` go to :func:`sobol_indices` / :func:`morris_indices` (a ``seed``
    int is reused for every metric). All metrics are checked before any is analysed.

    Returns
    -------
    pandas.DataFrame
        One row per (metric, factor), metrics in the given order, factors in problem
        order; columns ``metric``, ``parameter`` and then :data:`INDEX_COLUMNS` of the
        method. Second-order Sobol' indices are not part of this table (call
        :func:`sobol_indices` for them). A metric that is constant over the design gets
        NaN Sobol' indices and a UserWarning (:class:`ConstantMetricError`); every other
        problem raises.
    """
    _check_method(method)
    _check_summary(summary)
    names = _check_problem(problem)["names"]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("metrics is empty; name at least one of "
                         f"{', '.join(_candidate_metrics(summary, names))}")
    dup = sorted({m for m in metrics if metrics.count(m) > 1})
    if dup:
        raise ValueError(f"metrics repeat: {dup}")
    for metric in metrics:
        _check_metric(summary, metric, names)
    frames = []
    for metric in metrics:
        if method == "sobol":
            try:
                result = sobol_indices(summary, problem, metric, **kw)
            except ConstantMetricError as exc:
                warnings.warn(f"{exc}: its rows are NaN", stacklevel=2)
                result = pd.DataFrame(np.nan, columns=list(INDEX_COLUMNS["sobol"]),
                                      index=pd.Index(_factors(_check_problem(problem))[0],
                                                     name="parameter"))
            result = result[0] if isinstance(result, tuple) else result
        else:
            result = morris_indices(summary, problem, metric, **kw)
        frame = result.reset_index()
        frame.insert(0, "metric", metric)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return table[["metric", "parameter", *INDEX_COLUMNS[method]]]
