"""The bookkeeping reductions (abm.core.reductions) against NumPy's own."""
import numpy as np
import pytest

from abm.core.reductions import any_nonfinite, masked_mean


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape", [(1,), (7,), (33, 17)])
def test_any_nonfinite_finds_every_kind_anywhere(bad, shape):
    rng = np.random.default_rng(3)
    values = rng.normal(scale=1e300, size=shape)  # near the top of the float range, finite
    assert not any_nonfinite(values)
    for flat in (0, values.size // 2, values.size - 1):
        spoiled = values.copy()
        spoiled.reshape(-1)[flat] = bad
        assert any_nonfinite(spoiled)
        assert any_nonfinite(spoiled) == (not np.isfinite(spoiled).all())


def test_any_nonfinite_of_a_strided_view_sees_only_the_view():
    values = np.zeros((4, 6))
    values[:, 5] = np.nan  # outside the view below
    assert not any_nonfinite(values[:, :5])
    assert any_nonfinite(values[:, 4:])


def test_masked_mean_equals_numpy():
    rng = np.random.default_rng(4)
    values = rng.lognormal(size=1000)
    mask = rng.random(800) < 0.3  # shorter than values: the first 800 rows (a high-water mark)
    assert masked_mean(values, mask) == pytest.approx(values[:800][mask].mean(), rel=1e-13)
    assert masked_mean(values, np.zeros(800, dtype=bool)) == 0.0


@pytest.mark.parametrize("values, mask", [
    (np.ones(3), np.ones(4, dtype=bool)),  # a mask longer than the values
    (np.ones(5), np.ones(5)),  # not bool
    (np.ones((5, 2)), np.ones(5, dtype=bool)),  # not 1-D
])
def test_masked_mean_refuses_what_its_loop_cannot_index(values, mask):
    with pytest.raises(ValueError, match="masked_mean"):
        masked_mean(values, mask)
