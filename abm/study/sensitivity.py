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
table, which :func:`plot_sensitivity` draws and :func:`write_sensitivity` writes as CSV and
HDF5.

SALib is an optional dependency (the ``study`` extra); it is imported only by the functions
that need it.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from abm.io.atomic import write_atomic

__all__ = [
    "METHODS",
    "INDEX_COLUMNS",
    "ConstantMetricError",
    "point_means",
    "sobol_indices",
    "morris_indices",
    "sensitivity_table",
    "plot_sensitivity",
    "write_sensitivity",
]

METHODS = ("sobol", "morris")
INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "sigma", "mu_star_conf"),
}
"""Columns of the per-factor results of each method (and of the long table after
``metric`` and ``parameter``)."""

FORMATS = (".png", ".pdf", ".svg")
BOOKKEEPING = ("point", "replicate", "status")
DONE = "done"

# Okabe & Ito (2008) colour-universal-design palette, black last (it is the text colour).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
S1_COLOR, ST_COLOR = "#0072B2", "#E69F00"

# Relative tolerance for "the same design value": the values of a point come from one
# float written the same way, so only text round-trips (CSV) can perturb them.
_RTOL = 1e-9


class ConstantMetricError(ValueError):
    """The metric takes one value at every design point: Sobol' indices (shares of its
    variance) are undefined. :func:`sensitivity_table` turns it into NaN rows and a
    warning so that one flat metric does not stop a study's report."""


# --------------------------------------------------------------------------- validation

def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method {method!r} unknown; allowed: {', '.join(METHODS)}")
    return method


def _check_suffix(out_path) -> Path:
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"output {str(out_path)!r}: format {suffix or '(none)'!r} not "
                         f"supported; allowed: {', '.join(FORMATS)}")
    return out_path


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r}: must be an integer >= {minimum}")
    return int(value)


def _check_conf_level(conf_level) -> float:
    if not (isinstance(conf_level, (int, float, np.floating)) and 0 < conf_level < 1):
        raise ValueError(f"conf_level = {conf_level!r}: must be a number in (0, 1)")
    return float(conf_level)


def _rng(seed):
    """A Generator for SALib's bootstraps.

    SALib's Sobol' analysis tests ``if seed:``, so ``seed=0`` would silently fall back to
    numpy's global legacy RNG; a Generator is always truthy and both analyses accept one
    (``default_rng(n)`` and SALib's own ``default_rng(default_rng(n))`` draw the same
    stream, so a nonzero int gives SALib's results for that int). ``None`` means fresh
    entropy rather than the global state.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed = {seed!r}: must be None, a non-negative integer or a "
                         "numpy Generator")
    return np.random.default_rng(int(seed))


def _check_problem(problem: Mapping) -> dict:
    """A plain-dict copy of a SALib problem, validated (SALib mutates the dict it gets)."""
    if not isinstance(problem, Mapping):
        raise ValueError(f"problem must be a dict with num_vars, names and bounds, not "
                         f"{type(problem).__name__}")
    missing = [key for key in ("num_vars", "names", "bounds") if key not in problem]
    if missing:
        raise ValueError(f"problem lacks key(s) {', '.join(missing)}; a SALib problem is "
                         "{'num_vars': D, 'names': [...], 'bounds': [[lo, hi], ...]}")
    names = [str(name) for name in problem["names"]]
    num_vars = problem["num_vars"]
    if isinstance(num_vars, bool) or not isinstance(num_vars, (int, np.integer)) \
            or num_vars != len(names) or num_vars < 1:
        raise ValueError(f"problem num_vars = {num_vars!r} but names has {len(names)} "
                         f"entries: {names}")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"problem names repeat: {dup}")
    clash = [n for n in names if n in BOOKKEEPING]
    if clash:
        raise ValueError(f"problem names {clash} clash with the summary's bookkeeping "
                         f"columns {BOOKKEEPING}")
    raw = problem["bounds"]
    if problem.get("dists"):
        # Distribution parameters (e.g. [mean, sd], or three numbers for "triang"): the
        # analyses use none of them, so only their count is checked.
        if len(raw) != len(names) or len(problem["dists"]) != len(names):
            raise ValueError(f"problem bounds and dists need one entry per name "
                             f"({len(names)}); got {len(raw)} and {len(problem['dists'])}")
        return _with_groups(problem, {"num_vars": int(num_vars), "names": names,
                                      "bounds": [list(b) for b in raw],
                                      "dists": list(problem["dists"])})
    try:
        bounds = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"problem bounds = {raw!r}: not numbers ({exc})") from None
    if bounds.shape != (len(names), 2) or not np.all(np.isfinite(bounds)):
        raise ValueError(f"problem bounds = {raw!r}: need one finite [lo, hi] per name "
                         f"({len(names)})")
    # Without "dists" the bounds are the uniform ranges the samplers scale onto.
    bad = [n for n, (lo, hi) in zip(names, bounds) if not lo < hi]
    if bad:
        raise ValueError(f"problem bounds need lo < hi; not so for {bad}")
    return _with_groups(problem, {"num_vars": int(num_vars), "names": names,
                                  "bounds": bounds.tolist()})


def _with_groups(problem: Mapping, out: dict) -> dict:
    if problem.get("groups"):
        groups = [str(g) for g in problem["groups"]]
        if len(groups) != len(out["names"]):
            raise ValueError(f"problem groups has {len(groups)} entries, names has "
                             f"{len(out['names'])}")
        out["groups"] = groups
    return out


def _factors(problem: dict) -> tuple[list[str], np.ndarray]:
    """Factor labels (the groups, in first-appearance order, else the names) and the
    ``(num_vars, D)`` boolean membership matrix, as SALib defines them."""
    labels = problem.get("groups") or problem["names"]
    factors = list(dict.fromkeys(labels))
    member = np.array([[label == f for f in factors] for label in labels], dtype=bool)
    return factors, member


def _candidate_metrics(summary: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    return [str(c) for c in summary.columns
            if c not in BOOKKEEPING and c not in exclude
            and pd.api.types.is_numeric_dtype(summary[c])]


def _check_summary(summary) -> None:
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(f"summary must be a pandas DataFrame, not {type(summary).__name__}")
    missing = [c for c in BOOKKEEPING if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks column(s) {', '.join(missing)}; it has "
                         f"{[str(c) for c in summary.columns]}")


def _check_metric(summary: pd.DataFrame, metric, parameters: Sequence[str] = ()) -> str:
    available = _candidate_metrics(summary, parameters)
    if metric in parameters:
        raise ValueError(f"metric {metric!r} is a parameter of the problem, not a metric; "
                         f"available metrics: {', '.join(available) or '(none)'}")
    if metric not in summary.columns or metric in BOOKKEEPING:
        raise ValueError(f"metric {metric!r} not in the summary; available metrics: "
                         f"{', '.join(available) or '(none)'}")
    if not pd.api.types.is_numeric_dtype(summary[metric]):
        raise ValueError(f"metric {metric!r} has dtype {summary[metric].dtype}, not numbers")
    return metric


def _point_numbers(summary: pd.DataFrame, n_points: int) -> np.ndarray:
    """The ``point`` column as int64, checked to be whole numbers in ``[0, n_points)``."""
    raw = pd.to_numeric(summary["point"], errors="coerce").to_numpy(dtype=float,
                                                                    na_value=np.nan)
    bad = ~np.isfinite(raw) | (raw != np.round(raw))
    if bad.any():
        raise ValueError(f"summary column point has non-integer values "
                         f"{_listing(summary['point'][bad].tolist())}")
    points = raw.astype(np.int64)
    out = (points < 0) | (points >= n_points)
    if out.any():
        raise ValueError(f"summary points {_listing(np.unique(points[out]))} lie outside "
                         f"0…{n_points - 1} (n_points = {n_points})")
    return points


def _listing(values, limit: int = 10) -> str:
    values = [int(v) if isinstance(v, (int, np.integer)) else v for v in values]
    head = ", ".join(str(v) for v in values[:limit])
    return f"[{head}{', …' if len(values) > limit else ''}] ({len(values)})"


def _infer_n_points(summary: pd.DataFrame) -> int:
    # Only a lower bound: trailing points with no row at all are invisible; the study
    # spec knows the true size, so callers should pass n_points.
    if len(summary) == 0:
        raise ValueError("summary has no rows")
    points = pd.to_numeric(summary["point"], errors="coerce")
    if points.isna().any():
        raise ValueError("summary column point has missing or non-numeric values")
    return int(points.max()) + 1


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


def _design_matrix(summary: pd.DataFrame, problem: dict, n_points: int) -> np.ndarray:
    """The sample matrix ``X``, shape ``(n_points, num_vars)``: the parameter columns of
    the lowest-numbered replicate of each point (any status: the design value does not
    depend on how the run ended), checked to agree across the point's replicates."""
    names = problem["names"]
    missing = [n for n in names if n not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks parameter column(s) {missing} of the problem")
    points = _point_numbers(summary, n_points)
    try:
        values = summary[names].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"summary parameter columns {names} are not all numeric ({exc})") from None
    replicate = pd.to_numeric(summary["replicate"], errors="coerce").to_numpy(
        dtype=float, na_value=np.inf)
    # Prefer, per point, a row whose parameter values are all present, then the lowest
    # replicate (lexsort: last key is the primary one).
    incomplete = ~np.isfinite(values).all(axis=1)
    order = np.lexsort((replicate, incomplete, points))
    first = np.ones(len(order), dtype=bool)
    first[1:] = points[order][1:] != points[order][:-1]
    rows = order[first]
    X = np.full((n_points, len(names)), np.nan)
    X[points[rows]] = values[rows]
    absent = np.flatnonzero(np.isnan(X).all(axis=1))
    if absent.size:
        raise ValueError(f"points {_listing(absent)} have no row in the summary")
    bad = np.unique(np.nonzero(~np.isfinite(X))[0])
    if bad.size:
        raise ValueError(f"parameter values missing or non-finite at points {_listing(bad)}")
    scale = np.maximum(np.abs(X).max(axis=0), np.finfo(float).tiny)
    # A missing value in another replicate's row says nothing about the design: ignore it.
    differs = ~np.isclose(values, X[points], rtol=_RTOL, atol=_RTOL * scale) \
        & np.isfinite(values)
    if differs.any():
        rows_bad = np.unique(points[differs.any(axis=1)])
        raise ValueError(f"replicates of points {_listing(rows_bad)} disagree on the "
                         "parameter values; a point's replicates must share its design values")
    return X


def _same(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.isclose(a, b, rtol=_RTOL, atol=_RTOL * scale)


def _check_saltelli(X: np.ndarray, problem: dict, calc_second_order: bool) -> None:
    """Check that ``X`` has the row structure of ``SALib.sample.sobol.sample``: blocks of
    ``[A, AB_1 … AB_D, (BA_1 … BA_D,) B]`` where ``AB_j`` is ``A`` with factor ``j``'s
    columns taken from ``B`` (``BA_j`` the reverse). A shuffled point numbering or a
    ``calc_second_order`` that differs from the sampler's would otherwise pass silently."""
    factors, member = _factors(problem)
    D = len(factors)
    step = 2 * D + 2 if calc_second_order else D + 2
    scale = np.maximum(np.abs(X).max(axis=0), np.finfo(float).tiny)
    A, B = X[0::step], X[step - 1::step]
    blocks = [(j + 1, np.where(member[:, j], B, A)) for j in range(D)]
    if calc_second_order:
        blocks += [(D + 1 + j, np.where(member[:, j], A, B)) for j in range(D)]
    for offset, expected in blocks:
        ok = _same(X[offset::step], expected, scale)
        if not ok.all():
            i, v = np.argwhere(~ok)[0]
            raise ValueError(
                f"the summary's points are not a Saltelli design in SALib order "
                f"(calc_second_order={calc_second_order}): point {i * step + offset}, "
                f"parameter {problem['names'][v]!r} should repeat a value of point "
                f"{i * step} (A) or {i * step + step - 1} (B); check n_points, "
                "calc_second_order and the point numbering")


def _check_morris(X: np.ndarray, problem: dict, num_levels: int) -> None:
    """Check that ``X`` is made of Morris trajectories of ``D+1`` rows in which each step
    moves exactly one factor, by the grid step ``Δ·(hi-lo)`` that ``num_levels`` implies
    (``Δ = p/(2(p-1))``; SALib divides output differences by ``Δ``, so a ``num_levels``
    that differs from the sampler's would scale every effect silently)."""
    factors, member = _factors(problem)
    D = len(factors)
    steps = X.reshape(-1, D + 1, X.shape[1])
    diff = np.diff(steps, axis=1)  # (trajectories, D, num_vars)
    scale = np.maximum(np.abs(X).max(axis=0), np.finfo(float).tiny)
    moved = ~np.isclose(diff, 0.0, atol=_RTOL * scale)
    # match[t, s, j]: step s of trajectory t moves exactly the columns of factor j.
    match = (moved[..., :, None] == member[None, None]).all(axis=2)
    ok = (match.sum(axis=2) == 1).all(axis=1) & (match.sum(axis=1) == 1).all(axis=1)
    if not ok.all():
        t = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"the summary's points are not Morris trajectories in SALib order: trajectory "
            f"{t} (points {t * (D + 1)}…{t * (D + 1) + D}) does not move each factor once, "
            "one per step; check n_points and the point numbering")
    if "dists" in problem:
        return  # non-uniform scaling: the step in X is not a fixed fraction of a range
    delta = num_levels / (2.0 * (num_levels - 1))
    width = np.diff(np.asarray(problem["bounds"]), axis=1)[:, 0]
    size = np.abs(diff) / width
    wrong = moved & ~np.isclose(size, delta, rtol=1e-6)
    if wrong.any():
        t, _, v = np.argwhere(wrong)[0]
        raise ValueError(
            f"Morris step of parameter {problem['names'][v]!r} in trajectory {t} is "
            f"{size[t, :, v][moved[t, :, v]][0]:.6g} of its range, not Δ = {delta:.6g} "
            f"for num_levels = {num_levels}; pass the num_levels the design was sampled with")


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


# --------------------------------------------------------------------------- output

def _check_table(table, method: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, not {type(table).__name__}")
    need = ["metric", "parameter", *INDEX_COLUMNS[method]]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing} of a {method} sensitivity table "
                         f"(has {[str(c) for c in table.columns]})")
    if len(table) == 0:
        raise ValueError("table has no rows")


def _draw_sobol(ax, rows: pd.DataFrame, legend: bool) -> None:
    y = np.arange(len(rows))
    if not np.isfinite(rows[["S1", "ST"]].to_numpy(float)).any():
        # A metric that never varied (see ConstantMetricError): say so, draw no bars.
        ax.text(0.5, 0.5, "constant over the design:\nindices undefined", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_yticks(y, rows["parameter"].astype(str).tolist())
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Sobol' index (share of output variance)")
        ax.set_ylabel("parameter")
        return
    h = 0.38  # two bars per factor, a small gap between factors
    for offset, key, color, label in ((-h / 2, "S1", S1_COLOR, "S1 (first order)"),
                                      (h / 2, "ST", ST_COLOR, "ST (total)")):
        ax.barh(y + offset, rows[key].to_numpy(float), height=h, color=color, label=label,
                xerr=rows[f"{key}_conf"].to_numpy(float),
                error_kw={"ecolor": "#000000", "capsize": 3, "elinewidth": 1})
    ax.axvline(0.0, color="#000000", lw=0.8)
    ax.set_yticks(y, rows["parameter"].astype(str).tolist())
    ax.invert_yaxis()  # first parameter on top, as in the problem
    ax.set_xlabel("Sobol' index (share of output variance)")
    ax.set_ylabel("parameter")
    if legend:
        ax.legend(loc="lower right", fontsize=8)


def _draw_morris(ax, rows: pd.DataFrame, colors: dict, legend: bool) -> None:
    names = rows["parameter"].astype(str).tolist()
    mu_star = rows["mu_star"].to_numpy(float)
    sigma = rows["sigma"].to_numpy(float)
    conf = rows["mu_star_conf"].to_numpy(float)
    finite = np.isfinite(mu_star) & np.isfinite(sigma)
    top = max(float(np.max(mu_star[finite] + np.nan_to_num(conf[finite]), initial=0.0)),
              float(np.max(sigma[finite], initial=0.0)))
    top = top * 1.15 if top > 0 else 1.0
    # sigma = mu* separates mostly linear/additive effects (below) from non-linear or
    # interacting ones (above): the usual reading of a Morris plot.
    ax.plot([0, top], [0, top], ls="--", color="#999999", lw=1, label="σ = μ*")
    labels: dict[tuple[float, float], list[str]] = {}
    for i, name in enumerate(names):
        if not finite[i]:
            continue
        ax.errorbar(mu_star[i], sigma[i], xerr=conf[i] if np.isfinite(conf[i]) else None,
                    fmt="o", ms=7, color=colors[name], ecolor=colors[name], capsize=3,
                    clip_on=False, zorder=3)
        # Inert parameters pile up at the origin: one label per spot, names joined.
        spot = (round(mu_star[i] / top, 2), round(sigma[i] / top, 2))
        labels.setdefault(spot, []).append(name)
    for (x, y), group in labels.items():
        ax.annotate(", ".join(group), (x * top, y * top), xytext=(6, 6),
                    textcoords="offset points", fontsize=8)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("μ* (mean |elementary effect|, metric units per range)")
    ax.set_ylabel("σ (std. of elementary effects)")
    if legend:
        ax.legend(loc="upper left", fontsize=8)


def plot_sensitivity(table: pd.DataFrame, out_path, method: str, *, dpi: int = 150) -> Path:
    """Draw a long sensitivity table (:func:`sensitivity_table`) to ``out_path``.

    One panel per metric (grid of up to three columns). Sobol': horizontal bars of ``S1``
    and ``ST`` per factor with the ``*_conf`` half-widths as error bars. Morris: ``sigma``
    against ``mu_star`` per factor (``mu_star_conf`` as horizontal error bars), labelled,
    with the line ``σ = μ*``. The format follows the suffix (.png, .pdf, .svg; anything
    else raises ValueError before anything is written). Returns the path.
    """
    out_path = _check_suffix(out_path)
    _check_method(method)
    _check_table(table, method)
    from matplotlib.figure import Figure  # never pyplot: no global state, any backend

    metrics = list(dict.fromkeys(table["metric"].astype(str)))
    parameters = list(dict.fromkeys(table["parameter"].astype(str)))
    colors = {p: OKABE_ITO[i % len(OKABE_ITO)] for i, p in enumerate(parameters)}
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    if method == "sobol":
        size = (5.0 * ncols, (1.2 + 0.45 * len(parameters)) * nrows + 0.4)
    else:
        size = (5.0 * ncols, 4.4 * nrows)
    fig = Figure(figsize=size, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, (ax, metric) in enumerate(zip(axes, metrics)):
        rows = table[table["metric"].astype(str) == metric]
        if method == "sobol":
            _draw_sobol(ax, rows, legend=i == 0)
        else:
            _draw_morris(ax, rows, colors, legend=i == 0)
        label = f"({chr(ord('a') + i)}) {metric}" if len(metrics) > 1 else metric
        ax.set_title(label)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle("Sobol' indices" if method == "sobol" else "Morris screening")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, dpi=dpi)
    return out_path


def write_sensitivity(table: pd.DataFrame, out_dir, method: str) -> tuple[Path, Path]:
    """Write ``sensitivity_<method>.csv`` and ``sensitivity_<method>.h5`` into ``out_dir``.

    The CSV is the table without its index. The HDF5 file (h5py, no pytables) has one 1-D
    dataset per column, named after the column, of length ``len(table)``: float64 for the
    numbers, variable-length UTF-8 strings for ``metric`` and ``parameter``; root attributes
    ``method``, ``columns`` (column order) and ``kind = "abm-sensitivity"``. Each file is
    written under a temporary name and renamed, so a failed write leaves no partial file.
    Returns ``(csv_path, h5_path)``.
    """
    import h5py

    _check_method(method)
    _check_table(table, method)
    columns = ["metric", "parameter", *INDEX_COLUMNS[method]]
    table = table[columns]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"sensitivity_{method}.csv"
    h5_path = out_dir / f"sensitivity_{method}.h5"

    write_atomic(csv_path, lambda tmp: table.to_csv(tmp, index=False), durable=False)

    def write_h5(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = "abm-sensitivity"
            f.attrs["method"] = method
            f.attrs.create("columns", np.array(columns, dtype=object),
                           dtype=h5py.string_dtype("utf-8"))
            for col in ("metric", "parameter"):
                f.create_dataset(col, data=np.array(table[col].astype(str).tolist(), dtype=object),
                                 dtype=h5py.string_dtype("utf-8"))
            for col in INDEX_COLUMNS[method]:
                f.create_dataset(col, data=table[col].to_numpy(dtype=float, na_value=np.nan))

    write_atomic(h5_path, write_h5, durable=False)
    return csv_path, h5_path
