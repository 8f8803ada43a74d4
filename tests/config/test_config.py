"""Scenario configs: defaults, overrides, and every class of bad input rejected clearly."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from abm.schema import SECTIONS, config_from_toml, describe_params, load_config, to_toml
from abm.config.params import info_of
from abm.errors import ConfigError


def test_every_key_has_a_source_doc_and_default():
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            info = info_of(f)
            assert info.source.strip(), f"{section}.{f.name} has no source"
            assert info.doc.strip(), f"{section}.{f.name} has no doc"
    text = describe_params()
    assert "source: PhysiCell" in text and "[oxygen]" in text


def test_resolved_toml_round_trips():
    config = load_config("scenarios/quickstart.toml", overrides=["oxygen.rtol=1e-7"], seed=5)
    assert config.run.seed == 5 and config.oxygen.rtol == 1e-7 and config.name == "quickstart"
    assert config_from_toml(to_toml(config)) == config


def test_override_values_parse_as_toml_or_bare_strings():
    config = load_config(None, overrides=["vessels.pattern=array", "grid.nx=64",
                                          "oxygen.vessel_mmHg=20", "run.thin_agents=false"])
    assert config.vessels.pattern == "array" and config.grid.nx == 64
    assert config.oxygen.vessel_mmHg == 20.0 and isinstance(config.oxygen.vessel_mmHg, float)
    assert config.run.thin_agents is False


@pytest.mark.parametrize("overrides, expected", [
    (["grid.nxx=10"], "unknown key 'grid.nxx'; did you mean 'grid.nx'?"),
    (["oxigen.rtol=1e-3"], "did you mean 'oxygen.rtol'?"),
    (["grid.nx=12.5"], "grid.nx = 12.5: must be an integer, got float"),
    (["run.thin_agents=1"], "run.thin_agents = 1: must be true or false"),
    (["oxygen.vessel_mmHg=\"high\""], "oxygen.vessel_mmHg = 'high': must be a number, got str"),
    (["grid.dx_um=500"], "grid.dx_um = 500: must be a value in [5, 50] (µm)"),
    (["run.days=0"], "run.days = 0: must be a value in (0, 3650] (d)"),
    (["vessels.pattern=hexagonal"], "vessels.pattern = 'hexagonal': must be one of 'random'"),
    (["vessels.pattern=arary"], "(did you mean 'array'?)"),
    (["output.frame_every_min=100"], "output.frame_every_min = 100.0: must be a multiple of run.dt_min = 6.0"),
    (["output.checkpoint_every_min=500"], "must be a multiple of output.frame_every_min"),
    (["run.days=0.001"], "run.days = 0.001: must be a whole number (≥ 1) of steps"),
    (["vessels.pattern=mask"], "vessels.pattern = 'mask' needs vessels.mask_file"),
    (["tumor.seed_pattern=mask", "tumor.mask_file=nowhere.npy"], "tumor.mask_file = "),
    (["vessels.density_per_mm2=100", "vessels.min_spacing_um=150"], "cannot reach that density"),
    (["tumor.radius_um=5000"], "the disc must fit in the domain"),
    (["cycle.arrest_mmHg=50"], "must be below oxygen.vessel_mmHg"),
    (["cycle.division_radius=3.0"], "cycle.division_radius has moved: write it as cells.division_radius"),
    (["intracellular.params={ Smax = \"x\" }"], "entries must be finite numbers"),
    (["gridnx=3"], "unknown override 'gridnx'; did you mean 'grid.nx'?"),
    (["grid.nx"], "override 'grid.nx': expected section.key=value"),
])
def test_bad_input_is_named_with_value_and_what_is_allowed(overrides, expected):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides=overrides)
    assert expected in str(err.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides=["grid.nx=1", "grid.ny=1.5", "run.bogus=2"])
    message = str(err.value)
    assert "grid.nx = 1" in message and "grid.ny = 1.5" in message and "run.bogus" in message


def test_unknown_section_and_bad_toml_in_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[oxygn]\nrtol = 1e-6\n")
    with pytest.raises(ConfigError, match="unknown section 'oxygn'; did you mean 'oxygen'"):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[grid\nnx = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_mask_paths_resolve_relative_to_the_scenario_file(tmp_path):
    np.save(tmp_path / "vessels.npy", np.zeros((20, 30)))
    scenario = tmp_path / "masked.toml"
    scenario.write_text('[grid]\nnx = 30\nny = 20\n[vessels]\npattern = "mask"\n'
                        'mask_file = "vessels.npy"\n[tumor]\nradius_um = 60.0\n')
    config = load_config(scenario)
    assert config.vessels.mask_file == str((tmp_path / "vessels.npy").resolve())


def test_a_broken_file_and_bad_overrides_are_reported_in_one_round(tmp_path):
    scenario = tmp_path / "latin1.toml"
    scenario.write_bytes(b"[run]\n# caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_config(scenario, overrides=["grid.nx=3", "run.bogus=1"])
    problems = err.value.problems
    assert len(problems) == 3 and "is not UTF-8 text" in problems[0]
    assert problems[1].startswith("grid.nx = 3") and "run.bogus" in problems[2]
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_cross_key_rules_run_with_bad_keys_but_skip_those_that_involve_them():
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides=["run.dt_min=nan", "output.frame_every_min=9",
                                     "cycle.arrest_mmHg=50"])
    problems = err.value.problems
    assert problems[0].startswith("run.dt_min = nan: must be finite")
    # frame_every_min is checked against dt_min: reported only once dt_min is valid.
    assert not any("output.frame_every_min" in p for p in problems)
    assert any(p.startswith("cycle.arrest_mmHg = 50.0") for p in problems)
    assert len(problems) == 2


@pytest.mark.parametrize("value", ["1e308", "-1e31", "1" + "0" * 31])
def test_numbers_beyond_the_magnitude_limit_are_refused(value):
    """A number no quantity of the model comes near would overflow what is derived from it
    (vessels.min_spacing_um=1e308 once overflowed the vessel-coverage check)."""
    for key in ("vessels.min_spacing_um", "oxygen.decay_per_min", "grid.nx",
                "intracellular.params", "therapy_times"):
        if key == "intracellular.params":
            overrides = [f"{key}={{ kMd = {value} }}"]
        elif key == "therapy_times":
            continue
        else:
            overrides = [f"{key}={value}"]
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(None, overrides=overrides)


def test_the_last_daily_dose_is_found_without_listing_every_dose(tmp_path):
    import time
    import tracemalloc

    from abm.therapy.schedule import daily_times_h
    from abm.therapy.sections import TherapyEntry

    scenario = tmp_path / "s.toml"
    scenario.write_text('[run]\ndays = 5.0\nstart_clock_h = 7.5\n[[therapy]]\ndrug = "chemo"\n'
                        'daily_at = "08:00"\nfirst_day = 1\nn_days = 100000000\n')
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        load_config(scenario)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6 and time.perf_counter() - start < 5.0
    # The oracle lists the doses: 08:00 on days 1…4 are t = 24.5, 48.5, 72.5, 96.5 h < 120 h.
    times = daily_times_h(TherapyEntry(drug="chemo", daily_at="08:00", first_day=1, n_days=9), 7.5)
    assert int((times < 120.0).sum()) == 4
    assert "daily dose 5 of 100000000 at t = 120.5 h" in str(err.value)
    assert "n_days can be at most 4" in str(err.value)


@pytest.mark.parametrize("start, clock, first_day, days", [
    (0.0, "00:00", 0, 1.0), (23.5, "23:00", 0, 2.0), (7.0, "06:59", 2, 3.0), (12.0, "12:00", 1, 2.0)])
def test_daily_doses_within_the_run_are_accepted_up_to_the_last_one(start, clock, first_day, days):
    from abm.therapy.schedule import daily_times_h
    from abm.therapy.sections import TherapyEntry

    listed = daily_times_h(TherapyEntry(drug="chemo", daily_at=clock, first_day=first_day,
                                        n_days=50), start)
    fit = int((listed < days * 24.0).sum())  # the oracle: every dose listed
    entry = (f'[[therapy]]\ndrug = "chemo"\ndaily_at = "{clock}"\nfirst_day = {first_day}\n')
    base = {"run": {"days": days, "start_clock_h": start}}
    from abm.schema import config_from_dict
    import tomllib

    def load(n_days):
        data = dict(base, therapy=[dict(tomllib.loads(entry)["therapy"][0], n_days=n_days)])
        return config_from_dict(data)

    if fit:
        assert load(fit).therapy[0].n_days == fit
    with pytest.raises(ConfigError, match=f"n_days can be at most {fit}" if fit else "first_day"):
        load(fit + 1)


def test_names_and_output_templates_that_could_leave_the_folder_are_refused():
    for name in ("../../escaped", "a/b", "..", ".hidden", "a\nb", "x" * 101):
        with pytest.raises(ConfigError, match="name = "):
            load_config(None, overrides={"name": name})
    for template in ("{name.__class__}", "{name:>3000000000}", "{0}", "{name!r}", "{x}", "{"):
        with pytest.raises(ConfigError, match="output.path"):
            load_config(None, overrides={"output.path": template})
    config = load_config(None, overrides={"name": "a.b-c_1", "output.path": "o/{name}-{seed}.h5"})
    assert config.name == "a.b-c_1"


def test_masks_with_nan_pixels_or_garbage_are_refused_naming_the_key(tmp_path):
    mask = np.ones((20, 30))
    mask[3, 4] = np.nan
    np.save(tmp_path / "nan.npy", mask)
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    common = ["grid.nx=30", "grid.ny=20", "tumor.radius_um=60.0"]
    for key, file, expected in [("tumor", "nan.npy", "1 pixel(s) are NaN or inf"),
                                ("vessels", "junk.png", "not a readable PNG image")]:
        pattern = "seed_pattern" if key == "tumor" else "pattern"
        with pytest.raises(ConfigError) as err:
            load_config(None, overrides=[*common, f"{key}.{pattern}=mask",
                                         f'{key}.mask_file="{tmp_path / file}"'])
        assert f"{key}.mask_file = " in str(err.value) and expected in str(err.value)
