"""Sparse LU of W = I + c·J for one network, as generated straight-line code (KPP's approach).

Network Jacobians are sparse (dormancy: 54 of 196 entries), so the integrator factors W
without pivoting in a static, fill-reducing elimination order instead of the dense pivoted
LU. As KPP does (Sandu et al. 1997; Damian et al. 2002), the elimination is written out once
per network as straight-line Python (:func:`lu_source`) and compiled by numba: every index
is a constant and each dot product a chain of expressions, so the work per step is the
arithmetic alone. (The interpreted form, a loop over an integer operation list, spent ~60 %
of its time on the indices and branches: measured 500 ns against 190 ns per factorisation
and four solves of the dormancy network, with bitwise-identical results.)

Numba caches compiled functions only for functions defined in a file, so the generated
module is written, once, to a cache directory (:func:`cache_dir`) under a name that carries
a hash of its text; any process that needs the same code (a sweep worker, the next run) loads
it and its compiled functions from disk. Writes go through a temporary file and an atomic
rename, so concurrent workers cannot see half a file.

- :func:`structural_pattern`: where ∂f_i/∂y_j can be non-zero, probed on random states.
- :func:`lu_source`: the module text for a pattern (with a dense-only stub for patterns too
  dense to gain anything).
- :func:`compile_lu` → :class:`SparseLU` (``factor``, ``solve``, ``off``, ``slots``), cached
  per network object by :func:`lu_for`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .network import Network

PATTERN_SAMPLES = 64
"""Random states at which the Jacobian's structural pattern is probed (analytic ``jac`` and
one-sided differences of ``rhs``)."""
MAX_DENSITY = 0.8
"""A network whose filled LU pattern covers more than this fraction of W uses the dense LU."""
MAX_MULTIPLIER = 1e6
"""The sparse LU does not pivot; a multiplier larger than this (or a zero pivot) hands the
step to the dense LU with partial pivoting. On the shipped networks, along trajectories and
for γh from 5e-4 to 50 h, multipliers stay below ~3e3 and the solutions agree with the
pivoted LU to rounding (≤ 1e-10 relative, at condition numbers up to ~5e5)."""
SOURCE_VERSION = 3
"""Bumped whenever :func:`lu_source` changes what it writes (it is part of the hashed text)."""


@dataclass(frozen=True)
class SparseLU:
    """The compiled sparse LU of one pattern.

    - ``factor(J, c, a) -> bool``: W = I + c·J (``J`` the flat [n·n] Jacobian, row-major) and
      its LU into ``a`` [``slots``], in place; False on a zero pivot or a multiplier above
      :data:`MAX_MULTIPLIER` (the caller then uses the dense pivoted LU). The dense-only stub
      always returns False.
    - ``solve(a, b)``: solve W·x = b in place (``b`` [n] becomes x) with those factors.
    - ``off``: int64 [n·n], 1 where J's flat entry lies outside the filled pattern (a Jacobian
      non-zero there cannot go through ``factor``); all 0 for the dense-only stub.
    - ``slots``: length of the scratch array ``a`` (the filled entries, then 1/pivot per
      row; 0 for the stub).
    - ``path``: the generated module.
    """

    factor: object
    solve: object
    off: np.ndarray
    slots: int
    path: Path


def structural_pattern(net: Network, samples: int = PATTERN_SAMPLES, seed: int = 0) -> np.ndarray:
    """Boolean [n, n]: where ∂f_i/∂y_j can be non-zero (plus the diagonal), the union over
    random positive states, inputs (some set to 0) and parameters (defaults × 0.5–2) of the
    non-zeros of ``jac`` and of the entries that a change of y_j moves in ``rhs``. The
    integrator checks every Jacobian against it, so a missed entry costs speed, not accuracy."""
    n = net.n_species
    rng = np.random.default_rng(seed)
    p0, u0 = net.parameter_vector(), net.input_vector()
    J, f, fd = np.empty((n, n)), np.empty(n), np.empty(n)
    mask = np.eye(n, dtype=bool)
    for _ in range(samples):
        y = 10.0 ** rng.uniform(-3.0, 1.0, n)
        u = np.where(u0 != 0, u0 * 10.0 ** rng.uniform(-2.0, 1.0, u0.size),
                     10.0 ** rng.uniform(-3.0, 1.0, u0.size))
        u[rng.random(u0.size) < 0.2] = 0.0
        p = np.where(p0 != 0, p0 * rng.uniform(0.5, 2.0, p0.size), rng.uniform(0.1, 1.0, p0.size))
        try:
            net.jac(y, p, u, J)
            net.rhs(y, p, u, f)
            mask |= J != 0.0  # NaN counts
            for j in range(n):
                yd = y.copy()
                yd[j] *= 1.0 + 1e-3
                net.rhs(yd, p, u, fd)
                mask[:, j] |= fd != f
        except ZeroDivisionError:
            continue
    return mask


def _elimination(pattern: np.ndarray) -> tuple[list[int], np.ndarray] | None:
    """Greedy Markowitz order on the diagonal (eliminate next the row/column pair with the
    fewest (r − 1)(c − 1) updates, ties by index) and the filled pattern of symbolic
    elimination; None when the fill exceeds :data:`MAX_DENSITY`."""
    n = pattern.shape[0]
    filled = pattern | np.eye(n, dtype=bool)
    left, order = list(range(n)), []
    while left:
        k = min(left, key=lambda k: ((filled[k, left].sum() - 1) * (filled[left, k].sum() - 1), k))
        order.append(k)
        left.remove(k)
        rows = [i for i in left if filled[i, k]]
        for j in (j for j in left if filled[k, j]):
            filled[rows, j] = True
    if filled.sum() > MAX_DENSITY * n * n:
        return None
    return order, filled


def _chain(start: str, terms: list[str], scale: str | None) -> str:
    """``start − t₁ − t₂ − …`` left to right (the order of the sums is part of the result),
    times ``scale`` when given."""
    expr = start
    for term in terms:
        expr = f"({expr} - {term})"
    return f"{expr} * {scale}" if scale else expr


def lu_source(pattern: np.ndarray | None, label: str = "") -> str:
    """Text of a module defining ``factor(J, c, a)`` and ``solve(a, b)`` (see
    :class:`SparseLU`) for a structural ``pattern`` (bool [n, n]); ``None`` or a pattern too
    dense for :data:`MAX_DENSITY` gives the dense-only stub.

    ``a`` holds the filled pattern row by row in elimination order (L entries, columns in
    elimination order; the diagonal; U entries), then 1/pivot per row. Crout form W = L̃·Ũ
    (L̃ = L·diag(U) lower, Ũ unit upper), entry by entry as dot products:
    L̃[i, k] = W[i, k] − Σ L̃[i, m]·Ũ[m, k] and Ũ[i, j] = (W[i, j] − Σ L̃[i, m]·Ũ[m, j])/U[i, i]
    (m eliminated before both); Markowitz orders leave most entries in L, so the Crout form
    scales only the few in U. The solve keeps b in local variables: forward
    z_i = (b_i − Σ L̃[i, k]·z_k)/U[i, i], then backward x_i = z_i − Σ Ũ[i, j]·x_j.
    """
    return _source(_eliminate(pattern), label)


def _eliminate(pattern: np.ndarray | None) -> tuple[list[int], np.ndarray] | None:
    """:func:`_elimination` of ``pattern``; None for no pattern (the dense-only stub)."""
    return None if pattern is None else _elimination(np.asarray(pattern, dtype=bool))


def _source(elimination: tuple[list[int], np.ndarray] | None, label: str) -> str:
    """The module text of :func:`lu_source` for an elimination (None: the stub)."""
    head = [f'"""Sparse LU of W = I + c·J, generated by intracellular.sparse_lu '
            f'(version {SOURCE_VERSION}){" for " + label if label else ""}. Do not edit."""',
            "from intracellular._numba import jit", ""]
    if elimination is None:
        return "\n".join(head + [
            "", "@jit", "def factor(J, c, a):", "    return False  # dense LU for every step",
            "", "", "@jit", "def solve(a, b):", "    pass", ""])
    order, filled = elimination
    n = len(order)
    step = {k: t for t, k in enumerate(order)}
    lower = [[j for j in order[:t] if filled[i, j]] for t, i in enumerate(order)]
    upper = [[j for j in order[t + 1:] if filled[i, j]] for t, i in enumerate(order)]
    slot: dict[tuple[int, int], int] = {}
    for t, i in enumerate(order):
        for j in lower[t] + [i] + upper[t]:
            slot[i, j] = len(slot)
    inverse = {i: len(slot) + t for t, i in enumerate(order)}  # 1/U[i, i]

    # The factor works on local variables a0, a1, … and stores them all at the end: with the
    # entries in ``a`` itself, every store might alias J, so the compiler must keep the
    # dependency chains in memory order (measured: ~250 ns per factorisation in the kernel,
    # against ~100 ns with locals, bitwise the same result).
    factor = ["", "@jit", "def factor(J, c, a):"]
    diagonal = {slot[i, i] for i in order}
    factor += [f"    a{e} = c * J[{i * n + j}]{' + 1.0' if e in diagonal else ''}"
               for (i, j), e in slot.items()]
    for (i, j), e in slot.items():  # in the order of a: every term is final when used
        t, tj = step[i], step[j]
        terms = [f"a{slot[i, m]} * a{slot[m, j]}" for m in order[:min(t, tj)]
                 if filled[i, m] and filled[m, j]]
        scale = f"a{inverse[i]}" if tj > t else None
        if terms or scale:
            factor.append(f"    a{e} = {_chain(f'a{e}', terms, scale)}")
        if tj == t:
            factor += [f"    if not abs(a{e}) > 0.0:  # zero or NaN pivot",
                       "        return False",
                       f"    a{inverse[i]} = 1.0 / a{e}"]
    factor += [f"    a[{k}] = a{k}" for k in range(len(slot) + n)]
    # L = L̃·(1/pivot): every multiplier bounded (NaN: False); one expression without
    # branches (``and`` would make a block per term, which compiles slowly)
    bounds = [f"(abs(a{slot[i, k]} * a{inverse[k]}) <= {MAX_MULTIPLIER!r})"
              for t, i in enumerate(order) for k in lower[t]]
    factor.append(f"    return {' & '.join(bounds) if bounds else 'True'}")

    solve = ["", "@jit", "def solve(a, b):"]
    solve += [f"    b{i} = b[{i}]" for i in range(n)]
    for t, i in enumerate(order):
        terms = [f"a[{slot[i, k]}] * b{k}" for k in lower[t]]
        solve.append(f"    b{i} = {_chain(f'b{i}', terms, f'a[{inverse[i]}]')}")
    for t in range(n - 1, -1, -1):
        i = order[t]
        if upper[t]:
            solve.append(f"    b{i} = {_chain(f'b{i}', [f'a[{slot[i, j]}] * b{j}' for j in upper[t]], None)}")
    solve += [f"    b[{i}] = b{i}" for i in range(n)]
    return "\n".join(head + factor + ["", ""] + solve + [""])


def cache_dir() -> Path:
    """Where generated modules live: ``$INTRACELLULAR_CACHE_DIR``, else ``$NUMBA_CACHE_DIR/
    intracellular``, else ``$XDG_CACHE_HOME`` (default ``~/.cache``)``/intracellular``, else
    the temporary directory: the first one that can be created and written."""
    candidates = [os.environ.get("INTRACELLULAR_CACHE_DIR")]
    if os.environ.get("NUMBA_CACHE_DIR"):
        candidates.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], "intracellular"))
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates += [os.path.join(xdg, "intracellular"),
                   os.path.join(tempfile.gettempdir(), f"intracellular-{os.getuid()}")]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise OSError(f"no writable cache directory for generated code among {candidates}; "
                  "set INTRACELLULAR_CACHE_DIR")


def compile_lu(pattern: np.ndarray | None, n: int, label: str = "") -> SparseLU:
    """Generate (or find on disk) and load the sparse LU of ``pattern`` (None: dense-only)."""
    elimination = _eliminate(pattern)
    source = _source(elimination, label)
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"_intracellular_lu_{digest}"
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".py")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache looks the module up by name
        spec.loader.exec_module(module)
    if elimination is None:
        off, slots = np.zeros(n * n, dtype=np.int64), 0
    else:
        filled = elimination[1]
        off, slots = (~filled).ravel().astype(np.int64), int(filled.sum()) + n
    return SparseLU(module.factor, module.solve, off, slots, path)


_LU: dict[int, tuple[Network, SparseLU]] = {}


def lu_for(net: Network, sparse: bool = True) -> SparseLU:
    """The compiled sparse LU of ``net`` (``sparse=False``: the dense-only stub), built once
    per network object and process."""
    key = id(net) if sparse else -1 - net.n_species
    if key not in _LU or (sparse and _LU[key][0] is not net):
        pattern = structural_pattern(net) if sparse else None
        _LU[key] = (net, compile_lu(pattern, net.n_species, net.name if sparse else "dense"))
    return _LU[key][1]
