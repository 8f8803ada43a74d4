"""Checks of a sensitivity analysis's inputs: the method, the SALib problem, the summary
table and its metric, and that the summary's design points are the design of the SALib
sampler the analysis expects (:mod:`abm.study.sensitivity`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

METHODS = ("sobol", "morris")
BOOKKEEPING = ("point", "replicate", "status")

# Relative tolerance for "the same design value": the values of a point come from one
# float written the same way, so only text round-trips (CSV) can perturb them.
_RTOL = 1e-9


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method {method!r} unknown; allowed: {', '.join(METHODS)}")
    return method


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
