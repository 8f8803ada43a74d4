"""Shared fixtures: small, fast configs and numerical strictness."""
from __future__ import annotations

import numpy as np
import pytest

from abm.schema import load_config

from .helpers import TINY

@pytest.fixture
def tiny_config():
    """A factory: ``tiny_config("key=value", ..., seed=N)`` → a small validated Config."""
    def make(*overrides: str, seed: int | None = None):
        return load_config(None, overrides=TINY + list(overrides), seed=seed)
    return make


@pytest.fixture(autouse=True)
def strict_numpy():
    """Turn silent floating-point trouble into errors (py-pde's convention)."""
    old = np.seterr(all="raise", under="ignore")
    yield
    np.seterr(**old)
