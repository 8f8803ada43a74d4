"""``abm calibrate``: calibration files, the distance, and recovery of a known parameter
from synthetic observations (ABC-SMC with pyABC on the tiny model)."""
from __future__ import annotations

import math
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.study.calibrate_spec import CalibrationError, load_calibration_spec

from ..helpers import tiny_file_head

TRUE_MMHG = 18.0
PRIOR = (12.0, 24.0)


def write_calibration(tmp: Path, targets: str = "metric,value,sd\nhypoxic_fraction,0.64,0.02\n",
                      priors: str = f'"oxygen.vessel_mmHg" = {{ uniform = {list(PRIOR)} }}',
                      extra: str = "", name: str = "calib", population=15,
                      generations=2) -> Path:
    (tmp / "targets.csv").write_text(targets)
    path = tmp / f"{name}.toml"
    path.write_text(tiny_file_head("calibration", name, tmp / name, 7) + textwrap.dedent(f"""\
        observations = "targets.csv"
        population = {population}
        generations = {generations}
        predictive_draws = 4
        {extra}
        [priors]
        """) + priors + "\n")
    return path


def test_calibration_file_checked_every_problem_at_once(tmp_path):
    path = write_calibration(
        tmp_path, targets="metric,value,sd\nhypoxic_fraction,0.3,0\nno_such_metric,1,1\n",
        priors='"oxygen.vessel_mmHg" = { uniform = [40.0, 10.0] }\n'
               '"oxygen.no_such_key" = { uniform = [1.0, 2.0] }\n'
               '"tumor.radius_um" = { normal = [1.0, 2.0] }',
        population=1)
    with pytest.raises(CalibrationError) as info:
        load_calibration_spec(path)
    text = str(info.value)
    for part in ("calibration.population = 1", "line 2: sd 0: must be a finite number > 0",
                 "'no_such_metric' unknown", "priors.'oxygen.vessel_mmHg'.uniform = [40.0, 10.0]",
                 "priors.'oxygen.no_such_key'", "priors.'tumor.radius_um'"):
        assert part in text, (part, text)


def test_distance_and_particle_seed():
    from abm.study.calibrate import distance, particle_seed, weighted_quantile

    assert distance({"a": 3.0, "b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": 2.0, "b": 1.0}) == 1.0
    assert distance({"a": math.nan}, {"a": 1.0}, {"a": 1.0}) == math.inf
    assert particle_seed(1, {"x": 2.0}) == particle_seed(1, {"x": 2.0})
    assert particle_seed(1, {"x": 2.0}) != particle_seed(2, {"x": 2.0})
    assert particle_seed(1, {"x": 2.0}) != particle_seed(1, {"x": 2.0000001})
    assert weighted_quantile([0.0, 1.0, 2.0], [1, 1, 1], 0.5) == 1.0


def test_synthetic_observations_are_recovered(tmp_path):
    """Observations simulated at a known vessel pO2 (the mean of 3 seeds, their SD as the
    noise) are recovered: the true value lies in the 90 % credible interval, which is
    narrower than half the prior. hypoxic_fraction of the tiny model falls from 0.98 at
    14 mmHg through 0.64 at 18 mmHg to 0.08 at 22 mmHg (and is 0 above ~23 mmHg, where
    distances tie: a prior reaching far into that flat region stalls the median epsilon)."""
    pytest.importorskip("pyabc")
    from abm.study.calibrate import calibrate, simulate

    spec = load_calibration_spec(write_calibration(tmp_path))
    start = time.perf_counter()
    runs = [simulate(spec, {"oxygen.vessel_mmHg": TRUE_MMHG}, seed=s)["hypoxic_fraction"]
            for s in (101, 102, 103)]
    sd = max(float(np.std(runs, ddof=1)), 0.01)
    path = write_calibration(tmp_path, targets=f"metric,value,sd\nhypoxic_fraction,"
                                               f"{float(np.mean(runs))!r},{sd!r}\n")
    spec = load_calibration_spec(path)
    written = calibrate(spec)
    seconds = time.perf_counter() - start
    assert_recovered(written, "oxygen.vessel_mmHg", TRUE_MMHG, PRIOR, seconds)
    posterior = pd.read_csv(written["posterior"])
    assert len(posterior) == spec.population
    assert np.isclose(posterior["weight"].sum(), 1.0)
    assert written["figure"].stat().st_size > 0
    assert len(pd.read_csv(written["predictive"])) > 0


def test_a_second_call_continues_the_database(tmp_path):
    """`abm calibrate` on the same folder continues pyABC's database (up to `generations`
    in all); a changed calibration is refused for that folder."""
    pytest.importorskip("pyabc")
    import pyabc

    from abm.cli import main

    targets = "metric,value,sd\nhypoxic_fraction,0.64,0.2\n"
    path = write_calibration(tmp_path, targets=targets, population=4, generations=1)
    path.write_text(path.read_text().replace("predictive_draws = 4", "predictive_draws = 1"))
    assert main(["-q", "calibrate", str(path), "--no-progress"]) == 0
    db = "sqlite:///" + str(tmp_path / "calib" / "calibration.db")
    first = pyabc.History(db).get_distribution(0, 0)[0]
    path.write_text(path.read_text().replace("generations = 1", "generations = 2"))
    assert main(["-q", "calibrate", str(path), "--no-progress"]) == 0
    history = pyabc.History(db)
    assert history.max_t == 1
    pd.testing.assert_frame_equal(history.get_distribution(0, 0)[0], first)
    assert len(pd.read_csv(tmp_path / "calib" / "posterior.csv")) == 4
    path.write_text(path.read_text().replace("seed = 7", "seed = 8"))
    with pytest.raises(CalibrationError, match="holds another calibration"):
        from abm.study.calibrate import calibrate

        calibrate(load_calibration_spec(path))


def test_uniform_and_loguniform_priors(tmp_path):
    pytest.importorskip("pyabc")
    from abm.study.calibrate import _prior

    spec = load_calibration_spec(write_calibration(
        tmp_path, priors='"oxygen.vessel_mmHg" = { uniform = [12.0, 24.0] }\n'
                         '"intracellular.params.Smax" = { loguniform = [0.5, 20.0] }'))
    prior = _prior(spec)
    np.random.seed(0)
    draws = pd.DataFrame([dict(prior.rvs()) for _ in range(2000)])
    assert draws["oxygen.vessel_mmHg"].between(12.0, 24.0).all()
    assert draws["intracellular.params.Smax"].between(0.5, 20.0).all()
    assert abs(np.median(draws["intracellular.params.Smax"]) - math.sqrt(10.0)) < 0.5
    assert prior.pdf({"oxygen.vessel_mmHg": 30.0, "intracellular.params.Smax": 1.0}) == 0.0


def assert_recovered(written: dict, key: str, true: float, prior: tuple[float, float],
                     seconds: float) -> pd.Series:
    """The posterior summary row of ``key``: ``true`` lies in its 90 % credible interval,
    which is narrower than half the (uniform) prior; printed with the wall time."""
    summary = pd.read_csv(written["summary"], index_col="parameter").loc[key]
    print(f"\nprior {prior}, true {true}, median {summary['median']:.2f}, 90 % CI "
          f"[{summary.ci_lo:.2f}, {summary.ci_hi:.2f}], {seconds:.1f} s")
    assert summary.ci_lo <= true <= summary.ci_hi
    assert summary.ci_hi - summary.ci_lo < 0.5 * (prior[1] - prior[0])
    return summary
