"""Sensitivity analysis of study summaries (abm.study.sensitivity) against known answers:
Sobol' indices of the Ishigami function, exact Morris elementary effects of a function with
a linear, a quadratic and an inert term, input errors raised before anything is written,
the figure and the CSV/HDF5 files read back."""
from __future__ import annotations

import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("SALib")
from SALib.sample import morris as morris_sample  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402

from abm.study.sensitivity import (  # noqa: E402
    INDEX_COLUMNS, morris_indices, point_means, sensitivity_table, sobol_indices)
from abm.study.sensitivity_output import (plot_sensitivity, sensitivity_figure,  # noqa: E402
                                          write_sensitivity)
from abm.viz.journal import MAX_HEIGHT_INCHES, layout_problems, width_inches  # noqa: E402

# ----------------------------------------------------------------------- known answers

A, B = 7.0, 0.1
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami(X: np.ndarray) -> np.ndarray:
    """f = sin x1 + a sin² x2 + b x3⁴ sin x1 (Ishigami & Homma 1990)."""
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_analytic() -> tuple[np.ndarray, np.ndarray]:
    """Exact (S1, ST) for x_i ~ U(-π, π): V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0,
    V13 = b²π⁸(1/18 - 1/50), V = V1 + V2 + V13 (Sobol' & Levitan 1999)."""
    pi = np.pi
    V1 = 0.5 * (1 + B * pi ** 4 / 5) ** 2
    V2 = A ** 2 / 8
    V13 = B ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    V = V1 + V2 + V13
    return np.array([V1, V2, 0.0]) / V, np.array([V1 + V13, V2, V13]) / V


def summary_frame(X: np.ndarray, problem: dict, metrics: dict[str, np.ndarray],
                  replicates: int = 1) -> pd.DataFrame:
    """A summary shaped like the study's: one row per (point, replicate), all done."""
    n = len(X)
    rows = pd.DataFrame({"point": np.repeat(np.arange(n), replicates),
                         "replicate": np.tile(np.arange(replicates), n),
                         "seed": np.arange(n * replicates) + 100})
    for j, name in enumerate(problem["names"]):
        rows[name] = np.repeat(X[:, j], replicates)
    rows["status"] = "done"
    for name, values in metrics.items():
        rows[name] = np.asarray(values, dtype=float).reshape(n * replicates)
    return rows


@pytest.fixture(scope="module")
def ishigami_study():
    """Saltelli design N = 1024 (5120 points), two replicates per point whose values are
    f ± ε (noise of mean exactly zero per point, so the point mean is f), and two failed
    replicate rows carrying garbage metrics that must be skipped; rows shuffled."""
    X = sobol_sample.sample(ISHIGAMI, 1024, calc_second_order=False, seed=20240611)
    f = ishigami(X)
    eps = np.random.default_rng(5).normal(0.0, 0.5, len(X))
    pair = np.column_stack([f + eps, f - eps])
    summary = summary_frame(X, ISHIGAMI, {"y": pair, "y_half": 0.5 * pair + 3.0}, 2)
    failed = summary.iloc[[14, 15]].copy()  # point 7
    failed["replicate"] = [2, 3]
    failed["status"] = "failed"
    failed["y"] = [1e6, np.nan]
    failed["y_half"] = [-1e6, np.nan]
    summary = pd.concat([summary, failed], ignore_index=True)
    summary = summary.sample(frac=1.0, random_state=3).reset_index(drop=True)
    return X, f, summary


@pytest.fixture(scope="module")
def sobol_table(ishigami_study):
    _, _, summary = ishigami_study
    return sensitivity_table(summary, ISHIGAMI, ["y", "y_half"], "sobol",
                             n_points=5120, seed=11)


def test_point_means_average_replicates_and_skip_failed_runs(ishigami_study):
    X, f, summary = ishigami_study
    means = point_means(summary, "y", len(X))
    assert means.shape == (len(X),)
    np.testing.assert_allclose(means, f, rtol=1e-12, atol=1e-12)


def test_sobol_ishigami_matches_analytic_indices(ishigami_study):
    _, _, summary = ishigami_study
    S1, ST = ishigami_analytic()
    # The textbook values, to make sure the formula above is the one meant.
    np.testing.assert_allclose(S1, [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(ST, [0.5576, 0.4424, 0.2437], atol=5e-5)
    res = sobol_indices(summary, ISHIGAMI, "y", n_points=5120, seed=11)
    assert list(res.index) == ["x1", "x2", "x3"] and res.index.name == "parameter"
    assert list(res.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    # Each index lies within its own reported 95 % bootstrap half-width of the exact value.
    # (Over 40 scrambled designs of this size the largest |error|/half-width was 0.49: the
    # bootstrap assumes iid points, a Sobol' sequence does better.) The half-widths must
    # themselves be small, or the check would say nothing.
    assert (res[["S1_conf", "ST_conf"]].to_numpy() < 0.1).all()
    assert (np.abs(res["S1"] - S1) < res["S1_conf"]).all(), res
    assert (np.abs(res["ST"] - ST) < res["ST_conf"]).all(), res


def test_sobol_indices_are_invariant_to_an_affine_metric_and_seed_zero_is_reproducible(
        ishigami_study, sobol_table):
    _, _, summary = ishigami_study
    y = sobol_table[sobol_table.metric == "y"].reset_index(drop=True)
    half = sobol_table[sobol_table.metric == "y_half"].reset_index(drop=True)
    for col in ("S1", "ST"):  # SALib standardises Y, so 0.5·y + 3 has the same indices
        np.testing.assert_allclose(half[col], y[col], rtol=1e-9, atol=1e-12)
    # SALib tests `if seed:`; seed 0 must still fix the bootstrap.
    one = sobol_indices(summary, ISHIGAMI, "y", seed=0, num_resamples=200)
    two = sobol_indices(summary, ISHIGAMI, "y", seed=0, num_resamples=200)
    pd.testing.assert_frame_equal(one, two)


def test_sobol_second_order_and_groups():
    X = sobol_sample.sample(ISHIGAMI, 512, calc_second_order=True, seed=7)
    summary = summary_frame(X, ISHIGAMI, {"y": ishigami(X)})
    first, second = sobol_indices(summary, ISHIGAMI, "y", calc_second_order=True, seed=3)
    S1, ST = ishigami_analytic()
    assert (np.abs(first["ST"] - ST) < first["ST_conf"]).all()
    assert list(zip(second.parameter_1, second.parameter_2)) == [("x1", "x2"), ("x1", "x3"),
                                                                  ("x2", "x3")]
    S2 = np.array([0.0, ST[0] - S1[0], 0.0])  # only x1 and x3 interact
    assert (np.abs(second["S2"] - S2) < second["S2_conf"]).all(), second

    # Grouping x1 with x3: the group's first-order index is V1 + V13 over V.
    grouped = {**ISHIGAMI, "groups": ["g13", "x2", "g13"]}
    X = sobol_sample.sample(grouped, 1024, calc_second_order=False, seed=7)
    summary = summary_frame(X, grouped, {"y": ishigami(X)})
    res = sobol_indices(summary, grouped, "y", seed=3)
    assert list(res.index) == ["g13", "x2"]
    exact = np.array([ST[0], ST[1]])  # = S1 = ST of each group: no interaction across
    assert (np.abs(res["S1"] - exact) < res["S1_conf"]).all(), res
    assert (np.abs(res["ST"] - exact) < res["ST_conf"]).all(), res


# ----------------------------------------------------------------------- Morris, exact

def morris_problem(lo1=0.0, hi1=1.0):
    return {"num_vars": 3, "names": ["x1", "x2", "x3"],
            "bounds": [[lo1, hi1], [0.0, 1.0], [0.0, 1.0]]}


def linear_quadratic_inert(X):
    return 10.0 * X[:, 0] + X[:, 1] ** 2 + 0.0 * X[:, 2]


@pytest.mark.parametrize("lo1, hi1", [(0.0, 1.0), (-1.0, 2.0)])
def test_morris_effects_are_exact(lo1, hi1):
    """SALib's elementary effect is [f(x + Δ(hi-lo)e_i) - f(x)] / Δ with Δ = p/(2(p-1))
    the unit-cube step (analyze.morris divides by _compute_delta(num_levels)), oriented
    from the lower to the higher value. So for 10·x1 it is 10·(hi-lo) on every step; for
    x2² on [0, 1] it is ((x+Δ)² - x²)/Δ = x_lo + x_hi; an unused x3 gives exactly 0."""
    problem = morris_problem(lo1, hi1)
    X = morris_sample.sample(problem, 30, num_levels=4, seed=42)
    assert X.shape == (30 * 4, 3)
    summary = summary_frame(X, problem, {"f": linear_quadratic_inert(X)})
    res = morris_indices(summary, problem, "f", n_points=len(X), num_levels=4, seed=1)
    assert list(res.columns) == ["mu", "mu_star", "sigma", "mu_star_conf"]
    assert res.loc["x1", "mu_star"] == pytest.approx(10.0 * (hi1 - lo1), rel=1e-12)
    assert res.loc["x1", "mu"] == pytest.approx(10.0 * (hi1 - lo1), rel=1e-12)
    assert res.loc["x1", "sigma"] == pytest.approx(0.0, abs=1e-9)
    # x2: mean over trajectories of (value before + value after) at the step that moves x2.
    steps = X.reshape(30, 4, 3)
    moved = np.diff(steps[:, :, 1], axis=1) != 0
    pairs = np.stack([steps[:, :-1, 1][moved], steps[:, 1:, 1][moved]], axis=1)
    assert res.loc["x2", "mu_star"] == pytest.approx(pairs.sum(axis=1).mean(), rel=1e-12)
    assert res.loc["x3", "mu_star"] == 0.0 and res.loc["x3", "sigma"] == 0.0
    mu_star = res["mu_star"]
    assert mu_star["x1"] > mu_star["x2"] > mu_star["x3"]


def test_morris_checks_the_design():
    problem = morris_problem()
    X = morris_sample.sample(problem, 10, num_levels=4, seed=4)
    summary = summary_frame(X, problem, {"f": linear_quadratic_inert(X)}, 1)
    with pytest.raises(ValueError, match="num_levels = 6"):
        morris_indices(summary, problem, "f", num_levels=6)
    swapped = summary.copy()
    swapped.loc[[1, 5], "point"] = [5, 1]  # two points of different trajectories swapped
    with pytest.raises(ValueError, match="not Morris trajectories"):
        morris_indices(swapped, problem, "f")
    with pytest.raises(ValueError, match="multiple of D\\+1 = 4"):
        morris_indices(summary, problem, "f", n_points=41)


# ----------------------------------------------------------------------- errors

def test_point_without_successful_run_is_named(ishigami_study, tmp_path):
    _, _, summary = ishigami_study
    broken = summary.copy()
    broken.loc[broken.point.isin([3, 4000]), "status"] = "failed"
    with pytest.raises(ValueError, match=r"points \[3, 4000\] \(2\) of 5120 have no "
                                         r"successful \('done'\) run"):
        point_means(broken, "y", 5120)
    with pytest.raises(ValueError, match=r"points \[3, 4000\]"):
        sensitivity_table(broken, ISHIGAMI, ["y"], "sobol", n_points=5120)
    nan = summary.copy()
    nan.loc[(nan.point == 9) & (nan.status == "done"), "y"] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite in a 'done' run of points \[9\]"):
        point_means(nan, "y", 5120)
    assert not any(tmp_path.iterdir())


def test_bad_metric_method_and_n_points(ishigami_study):
    _, _, summary = ishigami_study
    with pytest.raises(ValueError, match="metric 'nope' not in the summary; available "
                                         "metrics: seed, y, y_half"):
        sobol_indices(summary, ISHIGAMI, "nope")
    with pytest.raises(ValueError, match="metric 'nope'.*available metrics"):
        sensitivity_table(summary, ISHIGAMI, ["y", "nope"], "sobol")
    with pytest.raises(ValueError, match="metric 'x1' is a parameter"):
        sobol_indices(summary, ISHIGAMI, "x1")
    with pytest.raises(ValueError, match="method 'fast' unknown; allowed: sobol, morris"):
        sensitivity_table(summary, ISHIGAMI, ["y"], "fast")
    with pytest.raises(ValueError, match=r"num_vars = 2 but names has 3"):
        sobol_indices(summary, {**ISHIGAMI, "num_vars": 2}, "y")
    with pytest.raises(ValueError, match=r"lo < hi; not so for \['x3'\]"):
        sobol_indices(summary, {**ISHIGAMI, "bounds": [[0, 1], [0, 1], [1, 1]]}, "y")
    with pytest.raises(ValueError, match=r"n_points = 5121 .* multiple of 5 \(D\+2\)"):
        sobol_indices(summary, ISHIGAMI, "y", n_points=5121)
    with pytest.raises(ValueError, match=r"n_points = 5125 .* multiple of 8 \(2D\+2\)"):
        sobol_indices(summary, ISHIGAMI, "y", n_points=5125, calc_second_order=True)
    # 5120 = 640·8 fits the size, not the row structure of a second-order design.
    with pytest.raises(ValueError, match="not a Saltelli design .*calc_second_order=True"):
        sobol_indices(summary, ISHIGAMI, "y", n_points=5120, calc_second_order=True)
    with pytest.raises(ValueError, match=r"points \[5100, .*outside 0…5099"):
        sobol_indices(summary, ISHIGAMI, "y", n_points=5100)
    with pytest.raises(ValueError, match="no successful"):  # trailing points not run
        sobol_indices(summary, ISHIGAMI, "y", n_points=5125 + 5)


def test_sobol_checks_the_saltelli_structure():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 2]]}
    # 12 points fit both layouts (N·4 and N·6): only the row structure tells them apart.
    X = sobol_sample.sample(problem, 2, calc_second_order=True, seed=1)
    summary = summary_frame(X, problem, {"y": X[:, 0] + X[:, 1] ** 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's small-sample chatter
        sobol_indices(summary, problem, "y", calc_second_order=True, num_resamples=10)
        with pytest.raises(ValueError, match="not a Saltelli design"):
            sobol_indices(summary, problem, "y", calc_second_order=False, num_resamples=10)
    dup = pd.concat([summary, summary.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"several 'done' rows .*\(0, 0\)"):
        point_means(dup, "y", 12)


def test_output_errors_write_nothing(sobol_table, tmp_path):
    for name in ("fig.jpg", "fig"):
        with pytest.raises(ValueError, match="not supported; allowed: .png, .pdf, .svg"):
            plot_sensitivity(sobol_table, tmp_path / "sub" / name, "sobol")
    with pytest.raises(ValueError, match="method 'fast' unknown"):
        plot_sensitivity(sobol_table, tmp_path / "fig.png", "fast")
    with pytest.raises(ValueError, match="lacks column"):
        plot_sensitivity(sobol_table, tmp_path / "fig.png", "morris")
    with pytest.raises(ValueError, match="method 'fast' unknown"):
        write_sensitivity(sobol_table, tmp_path / "out", "fast")
    with pytest.raises(ValueError, match="lacks column"):
        write_sensitivity(sobol_table.drop(columns="ST_conf"), tmp_path / "out", "sobol")
    assert not any(tmp_path.iterdir())


# ----------------------------------------------------------------------- outputs

def _distinct_colours(path) -> int:
    from matplotlib.image import imread
    image = imread(path)
    return len(np.unique(image[..., :3].reshape(-1, 3), axis=0))


def test_constant_metric_gives_nan_rows_and_a_warning(ishigami_study, tmp_path):
    _, _, summary = ishigami_study
    flat = summary.assign(flat=2.5)
    with pytest.raises(ValueError, match="'flat' is constant over all 5120 points"):
        sobol_indices(flat, ISHIGAMI, "flat")
    with pytest.warns(UserWarning, match="'flat' is constant"):
        table = sensitivity_table(flat, ISHIGAMI, ["y", "flat"], "sobol", num_resamples=100,
                                  seed=1)
    assert table[table.metric == "flat"][list(INDEX_COLUMNS["sobol"])].isna().all().all()
    assert table[table.metric == "y"][list(INDEX_COLUMNS["sobol"])].notna().all().all()
    png = plot_sensitivity(table, tmp_path / "flat.png", "sobol")
    assert _distinct_colours(png) > 5
    flat_first = pd.concat([table[table.metric == "flat"], table[table.metric == "y"]])
    assert sensitivity_figure(flat_first, "sobol").legends  # the key, from the panel with bars
    csv, h5 = write_sensitivity(table, tmp_path, "sobol")
    pd.testing.assert_frame_equal(pd.read_csv(csv), table, check_dtype=False)
    with h5py.File(h5, "r") as f:
        np.testing.assert_array_equal(f["ST"][:], table["ST"].to_numpy())  # NaN == NaN here


def test_plot_sobol_and_morris(sobol_table, tmp_path):
    png = plot_sensitivity(sobol_table, tmp_path / "figs" / "sobol.png", "sobol")
    assert png == tmp_path / "figs" / "sobol.png" and _distinct_colours(png) > 5
    svg = plot_sensitivity(sobol_table, tmp_path / "sobol.svg", "sobol")
    assert "<svg" in svg.read_text()

    problem = morris_problem()
    X = morris_sample.sample(problem, 12, num_levels=4, seed=4)
    summary = summary_frame(X, problem, {"f": linear_quadratic_inert(X),
                                         "g": X[:, 0] * X[:, 2]})
    table = sensitivity_table(summary, problem, ["f", "g"], "morris", seed=2)
    assert list(table.columns) == ["metric", "parameter", *INDEX_COLUMNS["morris"]]
    assert list(table.metric) == ["f"] * 3 + ["g"] * 3
    png = plot_sensitivity(table, tmp_path / "morris.png", "morris")
    assert _distinct_colours(png) > 5
    # four metrics in a 3-column grid, config-key names: what a sweep of the model plots
    names = dict(zip(table.parameter.unique(), ("vessels.array_spacing_um",
                                                "oxygen.vessel_mmHg", "tumor.radius_um")))
    wide = pd.concat([table.assign(metric=table.metric + k) for k in ("_a", "_b")])
    wide = wide.assign(parameter=wide.parameter.map(names))
    for fig in (sensitivity_figure(sobol_table, "sobol"), sensitivity_figure(table, "morris"),
                sensitivity_figure(wide, "morris")):
        # print-ready: journal width, within the page depth, text >= 6 pt, keys off the data
        width, height = fig.get_size_inches()
        assert width == width_inches("double") and height <= MAX_HEIGHT_INCHES
        assert layout_problems(fig) == []


def test_write_sensitivity_round_trips(sobol_table, tmp_path):
    csv, h5 = write_sensitivity(sobol_table, tmp_path / "study", "sobol")
    assert (csv.name, h5.name) == ("sensitivity_sobol.csv", "sensitivity_sobol.h5")
    assert sorted(p.name for p in csv.parent.iterdir()) == [csv.name, h5.name]
    back = pd.read_csv(csv)
    assert list(back.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert back.metric.tolist() == sobol_table.metric.tolist()
    assert back.parameter.tolist() == sobol_table.parameter.tolist()
    for col in INDEX_COLUMNS["sobol"]:
        np.testing.assert_array_equal(back[col].to_numpy(), sobol_table[col].to_numpy())
    with h5py.File(h5, "r") as f:
        assert f.attrs["method"] == "sobol"
        assert [str(c) for c in f.attrs["columns"]] == list(back.columns)
        assert f["metric"].asstr()[:].tolist() == sobol_table.metric.tolist()
        assert f["parameter"].asstr()[:].tolist() == sobol_table.parameter.tolist()
        for col in INDEX_COLUMNS["sobol"]:
            assert f[col].dtype == np.float64
            np.testing.assert_array_equal(f[col][:], sobol_table[col].to_numpy())
