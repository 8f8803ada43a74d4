"""Tolerances shared by the myeloid tests: counts against binomial expectations and means
against normal ones, at 4.5 standard errors (a false alarm about once in 150 000 checks)."""
from __future__ import annotations

import numpy as np

N_SE = 4.5


def within(observed: float, expected: float, se: float, n_se: float = N_SE) -> None:
    """``observed`` is within ``n_se`` standard errors ``se`` of ``expected``."""
    assert abs(observed - expected) <= n_se * se, (observed, expected, se)


def binomial(count: int, n: int, p: float) -> None:
    """``count`` successes of ``n`` independent trials agree with probability ``p``."""
    within(count, n * p, np.sqrt(n * p * (1.0 - p)))
