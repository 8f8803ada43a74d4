"""Scenario configs: defaults, overrides, and every class of bad input rejected clearly."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from abm.config import SECTIONS, config_from_toml, describe_params, load_config, to_toml
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
