"""Whole-array reductions of the per-step bookkeeping, one pass each and no temporaries.

NumPy's ``np.isfinite(a).all()`` and ``a[mask].mean()`` each allocate an array of the input's
size and pass over memory twice; at 1000² sites and 100k cells the guard and the time-series
means did that ~40 times per step (~25 ms of a ~260 ms step, measured with
``benchmarks/bench_immune.py --size large``). These kernels read each array once. Serial sums
in row order: the result does not depend on the thread count.
"""
from __future__ import annotations

import numpy as np

from abm._numba import jit


@jit
def _any_nonfinite(flat):
    bad = False
    for k in range(flat.shape[0]):
        bad |= flat[k] - flat[k] != 0.0  # NaN for NaN and ±inf, 0 for every finite value
    return bad


def any_nonfinite(values: np.ndarray) -> bool:
    """Whether a float array (any shape; C-contiguous, or it is copied) holds NaN or ±inf."""
    return bool(_any_nonfinite(np.ascontiguousarray(values).reshape(-1)))


@jit
def _masked_mean(values, mask):
    total = 0.0
    n = 0
    for k in range(mask.shape[0]):
        if mask[k]:
            total += values[k]
            n += 1
    return total / n if n else 0.0


def masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    """Mean of ``values[:len(mask)]`` where the bool ``mask`` holds (0.0 where it never
    does); ``values`` 1-D, ``mask`` 1-D bool no longer than it (ValueError otherwise: the
    compiled loop does not check its indices)."""
    if (mask.dtype != np.bool_ or mask.ndim != 1 or values.ndim != 1
            or mask.shape[0] > values.shape[0]):
        raise ValueError(f"masked_mean needs 1-D values and a 1-D bool mask no longer than them; "
                         f"got values {values.dtype}{values.shape}, mask {mask.dtype}{mask.shape}")
    return float(_masked_mean(values, mask))
