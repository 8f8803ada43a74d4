"""Dense LU with partial pivoting of the Rosenbrock matrix W = I − γhJ, for the steps the
generated sparse LU (:mod:`intracellular.sparse_lu`) cannot take, and for ``sparse=False``."""
from ._numba import jit


@jit
def lu_factor(M, piv):
    """LU with partial pivoting of W, given its transpose ``M`` = Wᵀ [n, n], in place; False
    if W is singular.

    Column-major LU as in LAPACK: with Wᵀ stored row-major, the pivot search, the multipliers
    and every elimination update run along contiguous memory (axpy loops that vectorise without
    reassociating sums). On return row k of ``M`` holds column k of the factors: L below the
    diagonal (unit diagonal implied) and U above it, with 1/U[k, k] stored on the diagonal (the
    solves multiply instead of divide: divisions sit on the critical path of back
    substitution); ``piv[k]`` is the row of W swapped with row k.
    """
    n = M.shape[0]
    for k in range(n):
        pk = k
        big = abs(M[k, k])
        for i in range(k + 1, n):
            if abs(M[k, i]) > big:
                pk, big = i, abs(M[k, i])
        piv[k] = pk
        if big == 0.0:
            return False
        if pk != k:
            for j in range(n):
                M[j, k], M[j, pk] = M[j, pk], M[j, k]
        inv = 1.0 / M[k, k]
        M[k, k] = inv
        for i in range(k + 1, n):
            M[k, i] *= inv
        for j in range(k + 1, n):
            ukj = M[j, k]
            if ukj != 0.0:  # network Jacobians are sparse: skip empty columns
                for i in range(k + 1, n):
                    M[j, i] -= M[k, i] * ukj
    return True


@jit
def lu_solve(M, piv, b):
    """Solve ``W·x = b`` in place (``b`` becomes ``x``) with the factors of :func:`lu_factor`
    (column-oriented substitutions, contiguous in ``M``)."""
    n = M.shape[0]
    for k in range(n):
        if piv[k] != k:
            b[k], b[piv[k]] = b[piv[k]], b[k]
    for j in range(n):
        bj = b[j]
        if bj != 0.0:
            for i in range(j + 1, n):
                b[i] -= M[j, i] * bj
    for j in range(n - 1, -1, -1):
        bj = b[j] * M[j, j]
        b[j] = bj
        if bj != 0.0:
            for i in range(j):
                b[i] -= M[j, i] * bj


@jit
def dense_factor(J, c, W, piv):
    """W = I + c·J, stored transposed in ``W``, and its LU with partial pivoting
    (:func:`lu_factor`); False if W is singular."""
    n = J.shape[0]
    for i in range(n):
        for j in range(n):
            W[j, i] = c * J[i, j]
        W[i, i] += 1.0
    return lu_factor(W, piv)
