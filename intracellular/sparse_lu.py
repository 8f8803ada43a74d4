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
a hash of its text; any process that needs the same code (a sweep worker, the next run) finds
it there and loads numba's compiled functions from disk. Writes go through a temporary file
and an atomic rename, so concurrent workers cannot see half a file.

Trust (docs/numerical_guards.md, "Generated code cache"): the cache directory must belong to
the user and be writable by nobody else (:func:`cache_dir`), because numba's cache files
there are pickles; and no file in it is ever executed as found: :func:`compile_lu` compiles
the source text it generated itself (byte-compared with the file, which is rewritten when it
differs) and executes that, so neither an edited ``.py`` nor a planted ``__pycache__/*.pyc``
can run.

- :func:`structural_pattern`: where ∂f_i/∂y_j can be non-zero, probed on random states.
- :func:`lu_source`: the module text for a pattern (with a dense-only stub for patterns too
  dense to gain anything).
- :func:`compile_lu` → :class:`SparseLU` (``factor``, ``solve``, ``off``, ``slots``), cached
  per network object by :func:`lu_for`.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import stat
import sys
import tempfile
import types
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
SOURCE_VERSION = 4
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


@dataclass(frozen=True)
class Layout:
    """Where each entry of an elimination lives: ``order`` (elimination order), ``filled``
    (bool [n, n]), ``lower``/``upper`` (per step, the filled columns before/after the pivot,
    in elimination order), ``slot`` ((i, j) → index in ``a``, row by row in elimination
    order), ``inverse`` (row → index of 1/pivot) and ``step`` (row → its elimination step)."""

    order: list
    filled: np.ndarray
    lower: list
    upper: list
    slot: dict
    inverse: dict
    step: dict


def layout(elimination: tuple[list[int], np.ndarray]) -> Layout:
    """The :class:`Layout` of an elimination (:func:`_elimination`)."""
    order, filled = elimination
    step = {k: t for t, k in enumerate(order)}
    lower = [[j for j in order[:t] if filled[i, j]] for t, i in enumerate(order)]
    upper = [[j for j in order[t + 1:] if filled[i, j]] for t, i in enumerate(order)]
    slot: dict[tuple[int, int], int] = {}
    for t, i in enumerate(order):
        for j in lower[t] + [i] + upper[t]:
            slot[i, j] = len(slot)
    inverse = {i: len(slot) + t for t, i in enumerate(order)}  # 1/U[i, i]
    return Layout(order, filled, lower, upper, slot, inverse, step)


def factor_lines(lay: Layout, indent: str, on_pivot) -> list[str]:
    """The Crout elimination on locals ``a0, a1, …`` (initialised by the caller), in the
    order of ``a`` (every term is final when used); after each pivot ``a{e}`` the lines of
    ``on_pivot(e)`` (a zero-pivot check), then its inverse."""
    out = []
    for (i, j), e in lay.slot.items():
        t, tj = lay.step[i], lay.step[j]
        terms = [f"a{lay.slot[i, m]} * a{lay.slot[m, j]}" for m in lay.order[:min(t, tj)]
                 if lay.filled[i, m] and lay.filled[m, j]]
        scale = f"a{lay.inverse[i]}" if tj > t else None
        if terms or scale:
            out.append(f"{indent}a{e} = {_chain(f'a{e}', terms, scale)}")
        if tj == t:
            out += on_pivot(e) + [f"{indent}a{lay.inverse[i]} = 1.0 / a{e}"]
    return out


def multiplier_bounds(lay: Layout) -> str:
    """One branch-free expression: every multiplier of L = L̃·(1/pivot) is at most
    :data:`MAX_MULTIPLIER` (False for NaN)."""
    bounds = [f"(abs(a{lay.slot[i, k]} * a{lay.inverse[k]}) <= {MAX_MULTIPLIER!r})"
              for t, i in enumerate(lay.order) for k in lay.lower[t]]
    return " & ".join(bounds) if bounds else "True"


def solve_lines(lay: Layout, indent: str, entry) -> list[str]:
    """Forward and backward substitution on locals ``b0, b1, …``; ``entry(k)`` is the text
    reading entry k of the factors."""
    out = []
    for t, i in enumerate(lay.order):
        terms = [f"{entry(lay.slot[i, k])} * b{k}" for k in lay.lower[t]]
        out.append(f"{indent}b{i} = {_chain(f'b{i}', terms, entry(lay.inverse[i]))}")
    for t in range(len(lay.order) - 1, -1, -1):
        i = lay.order[t]
        if lay.upper[t]:
            terms = [f"{entry(lay.slot[i, j])} * b{j}" for j in lay.upper[t]]
            out.append(f"{indent}b{i} = {_chain(f'b{i}', terms, None)}")
    return out


def _source(elimination: tuple[list[int], np.ndarray] | None, label: str) -> str:
    """The module text of :func:`lu_source` for an elimination (None: the stub)."""
    # the label (a network's name: user text) enters only inside a repr() literal
    head = [repr(f"Sparse LU of W = I + c·J, generated by intracellular.sparse_lu (version "
                 f"{SOURCE_VERSION}){' for ' + repr(label) if label else ''}. Do not edit."),
            "from intracellular._numba import jit", ""]
    if elimination is None:
        return "\n".join(head + [
            "", "@jit", "def factor(J, c, a):", "    return False  # dense LU for every step",
            "", "", "@jit", "def solve(a, b):", "    pass", ""])
    lay = layout(elimination)
    n, slot = len(lay.order), lay.slot

    # The factor works on local variables a0, a1, … and stores them all at the end: with the
    # entries in ``a`` itself, every store might alias J, so the compiler must keep the
    # dependency chains in memory order (measured: ~250 ns per factorisation in the kernel,
    # against ~100 ns with locals, bitwise the same result).
    factor = ["", "@jit", "def factor(J, c, a):"]
    diagonal = {slot[i, i] for i in lay.order}
    factor += [f"    a{e} = c * J[{i * n + j}]{' + 1.0' if e in diagonal else ''}"
               for (i, j), e in slot.items()]
    factor += factor_lines(lay, "    ", lambda e: [
        f"    if not abs(a{e}) > 0.0:  # zero or NaN pivot", "        return False"])
    factor += [f"    a[{k}] = a{k}" for k in range(len(slot) + n)]
    # L = L̃·(1/pivot): every multiplier bounded (NaN: False); one expression without
    # branches (``and`` would make a block per term, which compiles slowly)
    factor.append(f"    return {multiplier_bounds(lay)}")

    solve = ["", "@jit", "def solve(a, b):"]
    solve += [f"    b{i} = b[{i}]" for i in range(n)]
    solve += solve_lines(lay, "    ", lambda k: f"a[{k}]")
    solve += [f"    b[{i}] = b{i}" for i in range(n)]
    return "\n".join(head + factor + ["", ""] + solve + [""])


CACHE_ENV = "INTRACELLULAR_CACHE_DIR"
"""Environment variable naming the cache directory of generated modules."""


class CacheDirError(PermissionError):
    """A cache directory named by the user is not private to the user (wrong owner, or
    writable by group or others): its files could have been written by someone else."""


def cache_dir() -> Path:
    """Where generated modules (and numba's compiled code for them) live.

    Candidates, in order: ``$INTRACELLULAR_CACHE_DIR``; ``$NUMBA_CACHE_DIR/intracellular``;
    ``$XDG_CACHE_HOME`` (default ``~/.cache``)``/intracellular``; ``$TMPDIR/intracellular-
    <uid>``. A directory is used only if it is *private*: owned by the current user and not
    writable by group or others (:func:`_private_problem`); one created here gets mode 0700.

    - A directory the user named that is not private is **refused**: :class:`CacheDirError`
      says which variable and directory, why, and what is allowed (silently using another
      one would hide the problem). ``$NUMBA_CACHE_DIR`` itself is checked whenever it is
      set, because numba then keeps the compiled code (pickles) of the generated modules
      there, whichever directory holds their source.
    - The implicit candidates are skipped when not private or not creatable (e.g.
      ``/tmp/intracellular-<uid>`` made by another user), and when none is usable a fresh
      private directory from :func:`tempfile.mkdtemp` (unpredictable name, mode 0700,
      removed at exit) is used: the process then compiles its code itself.
    """
    numba_dir = os.environ.get("NUMBA_CACHE_DIR")
    if numba_dir:
        _require_private("NUMBA_CACHE_DIR", numba_dir, Path(numba_dir))
    named = os.environ.get(CACHE_ENV)
    if named:
        return _require_private(CACHE_ENV, named, Path(named))
    if numba_dir:
        return _require_private("NUMBA_CACHE_DIR", numba_dir, Path(numba_dir) / "intracellular")
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(xdg, "intracellular"),
                      os.path.join(tempfile.gettempdir(), f"intracellular-{os.getuid()}")):
        if not _make_private(Path(candidate)):
            return Path(candidate)
    return _process_dir()


def _require_private(variable: str, value: str, path: Path) -> Path:
    """``path`` (named through the environment ``variable`` = ``value``), created if need be;
    :class:`CacheDirError` unless it is private."""
    problem = _make_private(path)
    if problem:
        raise CacheDirError(
            f"{variable} = {value!r}: cache directory {str(path)!r} {problem}; it must be a "
            f"directory owned by you (uid {os.getuid()}) that group and others cannot write "
            "(e.g. chmod 700), because code is loaded from it")
    return path


def _make_private(path: Path) -> str | None:
    """Create ``path`` (mode 0700, parents as needed) unless it exists; None if it is then a
    private directory, else what is wrong with it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc})"
    return _private_problem(path)


def _private_problem(path: Path) -> str | None:
    """None if ``path`` is a directory owned by the current user, not writable by group or
    others, and (if a symbolic link) a link made by the user; else what is wrong."""
    uid = os.getuid()
    try:
        link = os.lstat(path)
        st = os.stat(path)
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISLNK(link.st_mode) and link.st_uid != uid:
        return f"is a symbolic link made by uid {link.st_uid}"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != uid:
        return f"is owned by uid {st.st_uid}"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    if not os.access(path, os.W_OK | os.X_OK):
        return "is not writable by you"
    return None


_PROCESS_DIR: list[Path] = []


def _process_dir() -> Path:
    """A private directory for this process only (made once, removed at exit)."""
    if not _PROCESS_DIR:
        path = Path(tempfile.mkdtemp(prefix="intracellular-"))  # mode 0700, unpredictable
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        _PROCESS_DIR.append(path)
    return _PROCESS_DIR[0]


def load_generated(name: str, source: str, directory: Path) -> types.ModuleType:
    """The module ``name`` built from ``source``, a module text this process generated.

    The file ``directory/name.py`` is (re)written unless it holds exactly ``source``
    (numba's cache needs a file, and keys its compiled code on that file's time stamp, so a
    rewrite invalidates what was compiled from anything else). The module is then made by
    compiling ``source`` itself, never the file or any bytecode: Python's import would load
    a matching ``__pycache__/*.pyc`` without looking at the text. Registered in
    ``sys.modules`` before execution (numba's cache looks the module up by name); a module
    already loaded by this process is returned as is.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    path = directory / f"{name}.py"
    try:
        current = path.read_bytes()
    except OSError:
        current = None
    if current != source.encode():
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(tmp, path)
    code = compile(source, str(path), "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def compile_lu(pattern: np.ndarray | None, n: int, label: str = "") -> SparseLU:
    """Generate (or find on disk) and load the sparse LU of ``pattern`` (None: dense-only)."""
    elimination = _eliminate(pattern)
    source = _source(elimination, label)
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"_intracellular_lu_{digest}"
    module = load_generated(name, source, cache_dir())
    if elimination is None:
        off, slots = np.zeros(n * n, dtype=np.int64), 0
    else:
        filled = elimination[1]
        off, slots = (~filled).ravel().astype(np.int64), int(filled.sum()) + n
    return SparseLU(module.factor, module.solve, off, slots, Path(module.__file__))


_LU: dict[int, tuple[Network, SparseLU]] = {}


def lu_for(net: Network, sparse: bool = True) -> SparseLU:
    """The compiled sparse LU of ``net`` (``sparse=False``: the dense-only stub), built once
    per network object and process."""
    key = id(net) if sparse else -1 - net.n_species
    if key not in _LU or (sparse and _LU[key][0] is not net):
        pattern = structural_pattern(net) if sparse else None
        _LU[key] = (net, compile_lu(pattern, net.n_species, net.name if sparse else "dense"))
    return _LU[key][1]
