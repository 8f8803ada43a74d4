"""Readable reference: the solver's discretisation as a ``scipy.sparse`` matrix, solved directly.

Independent of the multigrid code (only NumPy/SciPy), for tests. Grid: cell-centred, shape
(ny, nx), spacing dx (µm), sites numbered row-major (k = y·nx + x). Row k of the system is

    (1/dt + K_k) C_k + Σ_{nb inside the grid} (D/dx²)(C_k − C_nb) = C_old_k/dt + F_k,

i.e. the 5-point Laplacian with no flux at the edges (the mirrored ghost cell equals the edge
cell, so a face on the edge contributes nothing). Dirichlet sites are identity rows
C_k = fixed value. dt = inf drops the time terms (steady state).
"""
import math

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def operator(D, dx, K, fixed_mask, inv_dt=0.0):
    """Sparse (N×N, N = ny·nx) matrix of the rows above; K = uptake + decay (min⁻¹), (ny, nx)."""
    ny, nx = K.shape
    index = np.arange(ny * nx).reshape(ny, nx)
    free = ~fixed_mask.ravel()
    a = D / dx**2
    rows, cols, vals = [], [], []
    diag = inv_dt + K.ravel().astype(float)
    # Each interior face couples its two sites: +a on both diagonals, −a off the diagonal.
    for left, right in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        for p, q in ((left.ravel(), right.ravel()), (right.ravel(), left.ravel())):
            np.add.at(diag, p, a)
            rows.append(p)
            cols.append(q)
            vals.append(np.full(p.size, -a))
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    keep = free[rows]  # Dirichlet rows keep only their identity diagonal
    diag[~free] = 1.0
    return sp.csr_matrix((np.concatenate([vals[keep], diag]),
                          (np.concatenate([rows[keep], np.arange(ny * nx)]),
                           np.concatenate([cols[keep], np.arange(ny * nx)]))),
                         shape=(ny * nx, ny * nx))


def solve(D, dx, uptake, fixed_mask, fixed_value, decay=0.0, dt=math.inf, C_old=None,
          source=None):
    """One backward-Euler step from C_old (or the steady state for dt = inf); returns new C.

    uptake, C_old, source: (ny, nx) arrays (min⁻¹, conc, conc/min); fixed_value scalar or
    (ny, nx). Solved with ``scipy.sparse.linalg.spsolve``.
    """
    uptake = np.asarray(uptake, dtype=float)
    shape = uptake.shape
    fixed_mask = np.asarray(fixed_mask, dtype=bool)
    inv_dt = 0.0 if math.isinf(dt) else 1.0 / dt
    rhs = np.zeros(shape)
    if C_old is not None:
        rhs += np.asarray(C_old, dtype=float) * inv_dt
    if source is not None:
        rhs += source
    rhs[fixed_mask] = np.broadcast_to(np.asarray(fixed_value, dtype=float), shape)[fixed_mask]
    A = operator(D, dx, uptake + decay, fixed_mask, inv_dt)
    return spla.spsolve(A.tocsc(), rhs.ravel()).reshape(shape)
