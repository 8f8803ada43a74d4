"""Batched stiff integration of a network over many cells: :class:`BatchIntegrator`, :func:`simulate`.

The method (RODAS3, a Rosenbrock method with step-size control, sparse or dense LU, events
located by bisection) is the kernel in :mod:`intracellular.rodas`, and its lockstep form over
blocks of cells in :mod:`intracellular.lanes` (the default where the network allows it; the
rows it hands back go through the scalar kernel); this module checks the arrays, converts
hours into the network's model time units (:attr:`Network.time_unit_h`), splits rows over
threads and reports failures. Results are bitwise independent of the number of threads:
rows are independent and each is computed by the same serial code (a lane of a lockstep
block computes exactly what the scalar kernel computes for its row, whichever rows share
the block).
"""
from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping

import numba
import numpy as np

from .network import Network
from .registry import get_network
from . import lanes as lockstep
from .rodas import OK, REASONS, kernel, no_events
from .sparse_lu import lu_for

EVENT_TOL = 1e-9
"""Default event time resolution, in model time units (design choice): an event fires at most
this long after its exact time. libRoadRunner locates events to round-off, and the issue asks
for agreement within 1e-3 of each species' range over 200 model time units: even with 200
self-resetting events in a row (each lag shifts the phase of what follows), the accumulated
lag stays ≤ 2e-7 units, below 1e-3 of the time a species takes to sweep its whole range unless
it does so faster than 2e-4 units. The cost is ~log2(h/event_tol) ≈ 30 discarded attempts
per event, paid only by rows where an event fires."""


class IntegrationError(FloatingPointError):
    """A cell's state could not be advanced. Attributes: ``network``, ``row`` (cell index),
    ``species``, ``value`` (of that species at the failure) and ``reason``."""

    def __init__(self, network: str, row: int, species: str, value: float, reason: str):
        super().__init__(f"network {network!r}, row {row}, species {species!r} = {value!r}: {reason}")
        self.network, self.row, self.species, self.value, self.reason = (
            network, row, species, value, reason)


class BatchIntegrator:
    """Advance the states of many cells of one network with RODAS3 (module docstring).

    ``rtol``/``atol``: the local error per step is kept below atol + rtol·|y| per species in
    the RMS norm (species are dimensionless activities of order 0.01–10). ``max_steps``: the
    step budget per row and call of :meth:`advance`. ``sparse``: factor W with the network's
    generated sparse LU (default; steps it cannot take fall back to the dense pivoted LU); False
    uses the dense LU for every step (the reference the sparse path is tested against).
    ``threads``: rows are split over this many threads (default ``NUMBA_NUM_THREADS``, so
    ``NUMBA_NUM_THREADS=1`` keeps single-core HPC jobs serial); results do not depend on it.
    ``event_tol``: the event time resolution in model time units (:data:`EVENT_TOL`; events
    fire at most this late). After each :meth:`advance`, ``last_events`` holds the number of
    event firings in it (steps at whose end at least one event fired, summed over rows).
    ``lanes``: advance the rows in lockstep blocks (:mod:`intracellular.lanes`; default, used
    when the network and call allow it: a generated network without events, ``sparse``, a
    sparsity pattern the sparse LU can factor, ``p`` shared by all rows; a row whose
    Jacobian leaves that pattern goes to the scalar kernel); False: the scalar kernel for
    every row (the reference). Both give bitwise the same results
    (tests/intracellular/test_lanes.py).
    """

    def __init__(self, network: str | Network, rtol: float = 1e-4, atol: float = 1e-7,
                 max_steps: int = 100_000, sparse: bool = True, threads: int | None = None,
                 event_tol: float = EVENT_TOL, lanes: bool = True):
        self.network = get_network(network)
        self.threads = numba.config.NUMBA_NUM_THREADS if threads is None else max(1, int(threads))
        if not (rtol > 0 and atol > 0 and max_steps > 0 and event_tol > 0):
            raise ValueError(f"need rtol > 0, atol > 0, max_steps > 0, event_tol > 0; got "
                             f"{rtol}, {atol}, {max_steps}, {event_tol}")
        self.rtol, self.atol, self.max_steps = float(rtol), float(atol), int(max_steps)
        self.event_tol = float(event_tol)
        unit = self.network.time_unit_h
        if not (isinstance(unit, (int, float)) and math.isfinite(unit) and unit > 0):
            raise ValueError(f"network {self.network.name!r}: time_unit_h = {unit!r}; must be a "
                             "finite number of hours > 0")
        self._lu = lu_for(self.network, sparse)
        self._lanes = lockstep.lane_code(self.network) if lanes and sparse else None
        signed = set(self.network.signed)
        self._guard = np.array([s not in signed for s in self.network.species], dtype=np.bool_)
        """Per species: whether the blow-up guard watches it (not for ``Network.signed``)."""
        self.last_events = 0

    def advance(self, y: np.ndarray, u: np.ndarray, p: np.ndarray, dt: float,
                active: np.ndarray | None = None, h: np.ndarray | None = None) -> tuple[int, int]:
        """Advance each active row of ``y`` by ``dt`` hours (``dt / network.time_unit_h`` model
        time units), in place, firing the network's events; return (steps, rejected).

        - ``y``: float64 [N, n_species], any strides (e.g. the first columns of a wider table).
        - ``u``: float64 [N, n_inputs] per-row inputs, constant over ``dt``.
        - ``p``: float64 [n_params] shared by all rows, or [N, n_params] per row.
        - ``active``: bool [N] (None: all rows); inactive rows (and their ``h``) are untouched.
        - ``h``: float64 [N], the step size (h, model time units) to try first per row,
          updated in place with the step to try next; 0 picks one. Pass the same array every
          call to save work.

        Returns the total accepted and rejected steps (rejected includes the attempts
        discarded to locate events; the firings are in ``last_events``). Raises
        :class:`IntegrationError` at the first failing row; rows before it are advanced and
        that row is untouched; the rest of its chunk is untouched by the scalar kernel and
        advanced where the lockstep kernel took it (``lanes``). With ``threads`` > 1,
        batches of at least ``PARALLEL_MIN_ROWS`` rows are split into that many contiguous
        chunks advanced concurrently.
        """
        if not dt > 0:
            raise ValueError(f"dt must be > 0 hours; got {dt}")
        return self.advance_model(y, u, p, dt / self.network.time_unit_h, active, h)

    def advance_model(self, y: np.ndarray, u: np.ndarray, p: np.ndarray, dt: float,
                      active: np.ndarray | None = None,
                      h: np.ndarray | None = None) -> tuple[int, int]:
        """:meth:`advance` by ``dt`` model time units (the network's own unit of time)."""
        net = self.network
        N = self._check(y, 2, (None, net.n_species), "y", writable=True)[0]
        u = np.ascontiguousarray(u, dtype=np.float64)
        self._check(u, 2, (N, len(net.inputs)), "u")
        p = np.ascontiguousarray(p, dtype=np.float64)
        p = p[None, :] if p.ndim == 1 else p
        if p.ndim != 2 or p.shape[1] != len(net.parameters) or p.shape[0] not in (1, N):
            raise ValueError(f"p must have shape ({len(net.parameters)},) or ({N}, "
                             f"{len(net.parameters)}) for network {net.name!r}; got {p.shape}")
        active = np.ones(N, dtype=np.bool_) if active is None else active
        self._check(active, 1, (N,), "active", dtype=np.bool_)
        h = np.zeros(N) if h is None else h
        self._check(h, 1, (N,), "h", writable=True)
        if not dt > 0:
            raise ValueError(f"dt must be > 0 model time units; got {dt}")
        lane = self._lanes if p.shape[0] == 1 else None
        bounds = _chunks(N, self.threads)
        events = no_events if net.events is None else net.events
        handoff = np.zeros(N, dtype=np.bool_)

        def scalar(a: int, b: int, rows: np.ndarray):
            lu = self._lu
            return kernel()(net.rhs, net.jac, events, lu.factor, lu.solve, lu.off, lu.slots,
                            y[a:b], u[a:b], p if p.shape[0] == 1 else p[a:b], float(dt),
                            rows, h[a:b], self.rtol, self.atol, self.max_steps,
                            net.events is not None, self.event_tol, self._guard)

        def run(a: int, b: int):
            if lane is None:
                return scalar(a, b, active[a:b])
            s, r = lockstep.kernel()(lane.rhs, lane.jac, lane.factor, lane.solve, lane.rows,
                                     y[a:b], u[a:b], p[0], float(dt), active[a:b], h[a:b],
                                     self.rtol, self.atol, self.max_steps, self._guard,
                                     handoff[a:b])
            if not handoff[a:b].any():
                return s, r, 0, OK, -1, 0, 0.0
            s2, r2, fired, code, row, k, value = scalar(a, b, handoff[a:b])
            return s + s2, r + r2, fired, code, row, k, value

        if len(bounds) == 1:
            results = [run(*bounds[0])]
        else:
            # Rows are independent and each is computed exactly as in the serial kernel (which
            # releases the GIL), so any chunking gives bitwise the same states.
            results = list(_pool(len(bounds)).map(lambda ab: run(*ab), bounds))
        self.last_events = int(sum(result[2] for result in results))
        steps = rejected = 0
        for (a, _), (s, r, _, code, row, k, value) in zip(bounds, results):
            steps, rejected = steps + s, rejected + r
            if code != OK:
                raise IntegrationError(net.name, a + int(row), net.species[k], float(value),
                                       REASONS[code])
        return int(steps), int(rejected)

    @staticmethod
    def _check(a, ndim, shape, name, dtype=np.float64, writable=False):
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim:
            raise TypeError(f"{name} must be a {ndim}-D {np.dtype(dtype)} ndarray")
        if any(want is not None and got != want for got, want in zip(a.shape, shape)):
            raise ValueError(f"{name} has shape {a.shape}; expected {shape}")
        if writable and not a.flags.writeable:
            raise ValueError(f"{name} is updated in place and must be writable")
        return a.shape


PARALLEL_MIN_ROWS = 2048
"""Below this many rows a batch runs in one call: thread hand-off would cost more than it saves."""


def _chunks(n_rows: int, threads: int) -> list[tuple[int, int]]:
    """Contiguous [a, b) row ranges, one per thread (one range for small batches)."""
    k = max(1, min(threads, n_rows // PARALLEL_MIN_ROWS))
    edges = np.linspace(0, n_rows, k + 1).astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """A process-wide pool (threads stay idle between steps)."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="intracellular")


def simulate(name_or_network: str | Network, hours: float | None = None,
             inputs: Mapping[str, float] | None = None, params: Mapping[str, float] | None = None,
             y0: Mapping[str, float] | None = None, n_points: int = 201, preset: str | None = None,
             rtol: float = 1e-8, atol: float = 1e-10, *, model_time: float | None = None,
             event_tol: float = EVENT_TOL) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Trajectory of one cell under constant inputs, on the batched kernel (N = 1).

    The duration is ``hours`` or, instead, ``model_time`` in the network's own time units
    (:attr:`Network.time_unit_h`; e.g. 200 units of an SBML model in seconds); ``times`` are
    returned in the same unit (``n_points`` from 0 to the duration). ``inputs``: input name →
    value (defaults from the network); ``params``: overrides on top of ``preset``; ``y0``:
    species → value on top of the published initial state. ``rtol``, ``atol``, ``event_tol``:
    as :class:`BatchIntegrator`. Events whose trigger holds at time 0 and whose
    ``initial_value`` is False fire once before the first step, through the network's
    ``"initial_events"`` hook (``f(y, p, u) -> bool``, firing them in place) when it has one.
    Returns ``times`` and a dict species → trajectory.
    """
    if (hours is None) == (model_time is None):
        raise ValueError(f"simulate needs exactly one of hours and model_time; got hours="
                         f"{hours!r}, model_time={model_time!r}")
    net = get_network(name_or_network)
    p = net.parameter_vector(preset, params)
    u = net.input_vector(inputs)[None, :]
    y = net.state_vector(y0)[None, :]
    initial = net.hooks.get("initial_events")
    if initial is not None:
        initial(y[0], p, u[0])
    times = np.linspace(0.0, float(hours if model_time is None else model_time), int(n_points))
    out = np.empty((times.size, net.n_species))
    out[0] = y[0]
    integrator = BatchIntegrator(net, rtol=rtol, atol=atol, event_tol=event_tol)
    advance = integrator.advance if model_time is None else integrator.advance_model
    h = np.zeros(1)
    for k in range(1, times.size):
        advance(y, u, p, times[k] - times[k - 1], h=h)
        out[k] = y[0]
    return times, {s: out[:, j].copy() for j, s in enumerate(net.species)}
