"""Numba options for the intracellular kernels (``intracellular`` imports nothing from ``abm``).

``cache=True``: a second process (a sweep worker, the next model run) loads the compiled
kernels from disk instead of recompiling. ``fastmath=False``: bitwise reproducible results on
every machine and thread count. ``nogil=True``: callers may run kernels from threads.
"""
import numba

OPTIONS = {"cache": True, "fastmath": False, "nogil": True}

jit = numba.njit(**OPTIONS)
"""Decorator for serial kernels: ``@jit`` compiles a function with the options above."""

GENERATED_OPTIONS = {**OPTIONS, "error_model": "numpy"}
"""Options of generated network code (:mod:`intracellular.codegen`): as :data:`OPTIONS`, but a
division by zero gives inf/NaN instead of raising ``ZeroDivisionError``, so that a network's
singular point (a Jacobian entry 1/(2√x) at x = 0) reaches the integrator, which handles it
(a difference Jacobian, a rejected step, or an :class:`~intracellular.IntegrationError` that
names the cell and species) instead of an exception without a location."""

jit_generated = numba.njit(**GENERATED_OPTIONS)
"""Decorator of generated network code."""
