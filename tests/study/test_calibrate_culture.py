"""``abm calibrate`` with a ``[culture]`` section: the culture keys and metrics are checked,
a particle is one culture read at the metric's time, and a known O2 level after the switch
is recovered from synthetic observations."""
from __future__ import annotations

import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from abm.study.calibrate_spec import CalibrationError, load_calibration_spec

from .test_calibrate import assert_recovered

ROOT = Path(__file__).resolve().parents[2]
SENSITIVE = 'intracellular.preset="hypoxia_sensitive"'
# A short, small culture: 48 h at 38 mmHg, then 12 h at the level. With the hypoxia-sensitive
# preset the G0/G1 fraction 12 h after the switch falls monotonically over the prior (200
# cells, 3 seeds: 0.94 at 6 mmHg, 0.88 at 10, 0.83 at 12, 0.75 at 14, 0.52 at 20).
CULTURE = "pre_culture_h = 48.0\nhours = 12.0\nn_cells = 200\nmax_cells = 600\n"
TRUE_MMHG = 12.0
PRIOR = (6.0, 20.0)


def write_calibration(tmp: Path, targets: str, culture: str = CULTURE,
                      priors: str = f'"culture.hypoxia_mmHg" = {{ uniform = {list(PRIOR)} }}',
                      overrides: str = SENSITIVE, population: int = 15,
                      generations: int = 2) -> Path:
    (tmp / "targets.csv").write_text(targets)
    path = tmp / "calib.toml"
    path.write_text(textwrap.dedent(f"""\
        [calibration]
        scenario = "{ROOT / 'scenarios/hypoxia_switch.toml'}"
        out = "{tmp / 'calib'}"
        seed = 5
        overrides = ['{overrides}']
        observations = "targets.csv"
        population = {population}
        generations = {generations}
        predictive_draws = 3

        [culture]
        """) + culture + "\n[priors]\n" + priors + "\n")
    return path


def test_culture_keys_metrics_and_priors_checked_every_problem_at_once(tmp_path):
    targets = ("metric,value,sd\ng0g1_fraction@0,0.6,0.03\ng0g1_fractoin@12,0.8,0.03\n"
               "g0g1_fraction@13,0.8,0.03\ng0g1_fraction,0.8,0.03\n")
    culture = "hours = 12.0\nn_cells = 0\nhypoxia_mmHg = -1.0\nmax_cell = 10\n"
    priors = ('"culture.hypoxia_mmHg" = { loguniform = [0.4, 200.0] }\n'
              '"culture.n_cells" = { uniform = [100.0, 200.0] }\n'
              '"intracellular.params.kMH" = { loguniform = [1.0, 16.0] }')
    with pytest.raises(CalibrationError) as info:
        load_calibration_spec(write_calibration(tmp_path, targets, culture, priors))
    text = str(info.value)
    for part in ("culture.n_cells = 0: must be a whole number",
                 "culture.hypoxia_mmHg = -1.0: must be a number in [0, 160]",
                 "culture.max_cell",  # unknown key (with its did-you-mean)
                 "line 3: metric 'g0g1_fractoin@12': unknown column 'g0g1_fractoin'",
                 "line 4: metric 'g0g1_fraction@13': 13 h after the switch is outside",
                 "line 5: metric 'g0g1_fraction': a culture metric is COLUMN@HOURS",
                 "priors.'culture.hypoxia_mmHg'.loguniform = [0.4, 200]: must lie in [0, 160]",
                 "priors.'culture.n_cells': allowed culture keys: culture.normoxia_mmHg, "
                 "culture.hypoxia_mmHg"):
        assert part in text, (part, text)
    assert "line 2" not in text and "kMH" not in text


def test_culture_needs_its_section_and_the_network_program(tmp_path):
    path = write_calibration(tmp_path, "metric,value,sd\nn_tumor,10,1\n")
    path.write_text(path.read_text().replace("[culture]\n" + CULTURE, ""))
    with pytest.raises(CalibrationError, match=r"priors.'culture.hypoxia_mmHg': a culture key "
                                               r"needs a \[culture\] section"):
        load_calibration_spec(path)
    path = write_calibration(tmp_path, "metric,value,sd\ng0g1_fraction@0,0.6,0.03\n",
                             overrides='cells.program="placeholder"')
    with pytest.raises(CalibrationError, match="a culture needs 'network'"):
        load_calibration_spec(path)


def test_a_particle_is_one_culture_read_at_the_nearest_record(tmp_path):
    """simulate() returns what run_culture records for the same config, schedule and seed,
    at the record nearest to the metric's time after the switch; the table's columns are
    those record_columns() lists (the metrics' vocabulary)."""
    from abm import load_config
    from abm.culture import record_columns, run_culture
    from abm.study.calibrate import simulate

    spec = load_calibration_spec(write_calibration(
        tmp_path, "metric,value,sd\ng0g1_fraction@-0.4,0.6,0.03\nn_viable@11.6,300,30\n"
                  "dormant_fraction@12,0.1,0.05\n"))
    got = simulate(spec, {"culture.hypoxia_mmHg": 9.0}, seed=11)
    config = load_config(ROOT / "scenarios/hypoxia_switch.toml", overrides=[SENSITIVE])
    table = run_culture(config, [(0.0, 38.0), (48.0, 9.0)], 60.0, n_cells=200, max_cells=600,
                        seed=11).set_index("time_h")
    assert tuple(table.reset_index().columns) == record_columns()
    assert got == {"g0g1_fraction@-0.4": table.loc[48.0, "g0g1_fraction"],
                   "n_viable@11.6": table.loc[60.0, "n_viable"],
                   "dormant_fraction@12": table.loc[60.0, "dormant_fraction"]}


def test_synthetic_o2_level_is_recovered(tmp_path):
    """Observations simulated at a known O2 level after the switch (the mean of 3 seeds,
    their SD as the noise, at least 0.02) are recovered: the true level lies in the 90 %
    credible interval, which is narrower than half the prior."""
    pytest.importorskip("pyabc")
    from abm.study.calibrate import calibrate, simulate

    spec = load_calibration_spec(write_calibration(tmp_path, "metric,value,sd\n"
                                                             "g0g1_fraction@12,0.8,0.03\n"))
    start = time.perf_counter()
    runs = [simulate(spec, {"culture.hypoxia_mmHg": TRUE_MMHG}, seed=s)["g0g1_fraction@12"]
            for s in (101, 102, 103)]
    sd = max(float(np.std(runs, ddof=1)), 0.02)
    path = write_calibration(tmp_path, f"metric,value,sd\ng0g1_fraction@12,"
                                       f"{float(np.mean(runs))!r},{sd!r}\n")
    written = calibrate(load_calibration_spec(path))
    seconds = time.perf_counter() - start
    summary = assert_recovered(written, "culture.hypoxia_mmHg", TRUE_MMHG, PRIOR, seconds)
    assert summary.scenario_value == 7.6  # the [culture] section's default level
    assert written["posterior_figure"].stat().st_size > 0
