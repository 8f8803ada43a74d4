"""The spread of replicate values: mean ± the sample standard deviation.

Every scenario script and figure reports replicate seeds as mean ± SD with the *sample* SD
(ddof = 1, the unbiased variance's root), the estimate of the spread between seeds that a
reader expects; with one replicate there is no spread to estimate, and the SD is NaN (no
band, no error bar) rather than a misleading 0.
"""
from __future__ import annotations

import warnings

import numpy as np


def sample_sd(values, axis=None) -> np.ndarray | float:
    """The sample SD (ddof = 1) of ``values`` along ``axis``, ignoring NaN; NaN where fewer
    than two values are finite."""
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():  # fewer than two values: NaN is the answer, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(values, axis=axis, ddof=1)


def mean_sd(values, axis=None) -> tuple:
    """NaN-aware mean and sample SD (:func:`sample_sd`) of ``values`` along ``axis``."""
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():  # an all-NaN column has a NaN mean, as it should
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis), sample_sd(values, axis=axis)


def show(values, fmt: str = ".2f") -> str:
    """``"mean ± SD"`` of ``values`` (sample SD), each in format ``fmt``."""
    mean, sd = mean_sd(values)
    return f"{mean:{fmt}} ± {sd:{fmt}}"
