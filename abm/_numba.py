"""Project-wide numba options.

All kernels are compiled with ``cache=True`` (spawned sweep workers and the quickstart's
first run reuse the on-disk cache instead of recompiling) and ``fastmath=False`` (bitwise
reproducibility: the same seed gives the same HDF5 datasets on every machine and thread count).
"""
import numba

OPTIONS = {"cache": True, "fastmath": False, "nogil": True}

jit = numba.njit(**OPTIONS)
"""Decorator for serial kernels: ``@jit`` on a function compiles it with the project options."""
