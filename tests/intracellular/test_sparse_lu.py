"""The generated sparse LU (intracellular.sparse_lu) against numpy's dense solver."""
import numpy as np
import pytest

import intracellular as ic
from intracellular.sparse_lu import MAX_MULTIPLIER, compile_lu, lu_for, lu_source

NETWORKS = ["dormancy", "yao2008", "alarcon2004", "gerard_goldbeter2011"]


def _random_matrix(pattern, rng):
    """W = I + c·J with J random on ``pattern`` (negative diagonal, as in decaying networks)."""
    n = pattern.shape[0]
    J = np.where(pattern, rng.normal(0.0, 1.0, (n, n)), 0.0)
    J[np.diag_indices(n)] = -rng.uniform(0.5, 5.0, n)
    c = -rng.uniform(0.01, 2.0)
    return J, c, np.eye(n) + c * J


def _factor_and_solve(lu, J, c, b):
    a = np.empty(lu.slots)
    ok = lu.factor(np.ascontiguousarray(J).ravel(), c, a)
    x = b.copy()
    if ok:
        lu.solve(a, x)
    return ok, x


@pytest.mark.parametrize("name", NETWORKS)
def test_generated_lu_solves_like_numpy_on_each_network_pattern(name):
    net = ic.get_network(name)
    lu = lu_for(net)
    pattern = lu.off.reshape(net.n_species, -1) == 0  # the filled pattern
    rng = np.random.default_rng(1)
    for _ in range(20):
        J, c, W = _random_matrix(pattern, rng)
        b = rng.normal(size=net.n_species)
        ok, x = _factor_and_solve(lu, J, c, b)
        assert ok
        np.testing.assert_allclose(x, np.linalg.solve(W, b), rtol=1e-10,
                                   atol=1e-12 * np.abs(x).max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_lu_on_random_patterns(seed, tmp_path, monkeypatch):
    """Any pattern: the elimination order and fill are computed, not assumed."""
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(seed)
    n = 9 + seed
    pattern = rng.random((n, n)) < 0.25
    lu = compile_lu(pattern, n, f"random {seed}")
    assert lu.path.parent == tmp_path and lu.slots > 0
    assert not lu.off.reshape(n, n)[pattern].any()  # the filled pattern covers the input
    for _ in range(10):
        J, c, W = _random_matrix(pattern, rng)
        b = rng.normal(size=n)
        ok, x = _factor_and_solve(lu, J, c, b)
        assert ok
        np.testing.assert_allclose(x, np.linalg.solve(W, b), rtol=1e-10,
                                   atol=1e-12 * np.abs(x).max())


def test_zero_pivot_and_large_multiplier_hand_the_step_to_the_dense_lu(tmp_path, monkeypatch):
    """Tridiagonal pattern: the Markowitz order eliminates row/column 0 first, so W[0, 0] is
    the first pivot and W[1, 0]/W[0, 0] a multiplier."""
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(tmp_path))
    pattern = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=bool)
    lu = compile_lu(pattern, 3, "tridiagonal")

    def factors(W):  # with c = −1, W = I + c·J for J = I − W
        return _factor_and_solve(lu, np.eye(3) - W, -1.0, np.ones(3))[0]

    W = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    assert factors(W)
    zero = W.copy()
    zero[0, 0] = 0.0
    assert not factors(zero)
    large = W.copy()
    large[0, 0] = 1.0 / (10.0 * MAX_MULTIPLIER)  # multiplier W[1, 0]/W[0, 0] = 10·MAX_MULTIPLIER
    assert not factors(large)
    large[0, 0] = 1.0 / (0.1 * MAX_MULTIPLIER)
    assert factors(large)
    assert not factors(np.full((3, 3), np.nan))


def test_dense_patterns_get_the_stub_that_always_declines(tmp_path, monkeypatch):
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(tmp_path))
    lu = compile_lu(np.ones((4, 4), dtype=bool), 4, "full")
    assert lu.slots == 0 and not lu.off.any()
    assert not lu.factor(np.zeros(16), -1.0, np.empty(0))


def test_generated_module_is_written_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(tmp_path))
    pattern = np.eye(5, dtype=bool) | np.eye(5, k=1, dtype=bool)
    first = compile_lu(pattern, 5, "bidiagonal")
    stamp = first.path.stat().st_mtime_ns
    second = compile_lu(pattern, 5, "bidiagonal")
    assert second.path == first.path and second.path.stat().st_mtime_ns == stamp
    assert first.path.read_text() == lu_source(pattern, "bidiagonal")
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".py"] == [first.path.name]
