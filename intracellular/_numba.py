"""Numba options for the intracellular kernels (``intracellular`` imports nothing from ``abm``).

``cache=True``: a second process (a sweep worker, the next model run) loads the compiled
kernels from disk instead of recompiling. ``fastmath=False``: bitwise reproducible results on
every machine and thread count. ``nogil=True``: callers may run kernels from threads.
"""
import numba

OPTIONS = {"cache": True, "fastmath": False, "nogil": True}

jit = numba.njit(**OPTIONS)
"""Decorator for serial kernels: ``@jit`` compiles a function with the options above."""
