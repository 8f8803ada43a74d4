"""The glucose field: energy failure where glucose and O2 both run out, and old run files
without it (its uptake: tests/fields/test_metabolism.py, its balance:
tests/fields/test_mass_balance.py)."""
import numpy as np
import pytest

from abm.schema import load_config
from abm.model import TumorModel



@pytest.mark.parametrize("field", [True, False])
def test_without_vessels_energy_fails_much_sooner_when_glucose_runs_out_too(tiny_config, field):
    """Network program, no vessels: O2 = 0. With a uniform glucose level of 1 glycolysis makes
    ~0.42 of a cycling cell's demand and the reserve lasts at least τ/0.58 ≈ 10 h, longer as
    arrest lowers the demand (test_fate); with the field, the cells consume the glucose as
    well, ATP → 0 and necrosis comes within τ = 6 h of depletion."""
    model = TumorModel(tiny_config("vessels.pattern=none", "run.days=3.0",
                                   f"glucose.field={str(field).lower()}"))
    model.run_steps(240)  # 24 h
    if field:
        assert model.cells.glucose[model.cells.live_rows()].max() < 0.05
        assert model.counts["n_viable"] == 0 and model.counts["n_necrotic"] > 0
    else:
        assert model.counts["n_necrotic"] == 0
        assert np.all(model.cells.glucose[model.cells.live_rows()] == 1.0)


def test_stored_version_2_configs_ran_with_a_uniform_glucose_level():
    from abm.config.migrate import migrate_stored

    data = migrate_stored({"config_version": 2, "intracellular": {"glucose": 0.7}})
    assert data["glucose"] == {"level": 0.7, "field": False}
    assert "glucose" not in data["intracellular"]


def test_the_old_key_names_its_new_place():
    from abm.errors import ConfigError

    with pytest.raises(ConfigError, match="intracellular.glucose has moved: write it as glucose.level"):
        load_config(None, overrides=["intracellular.glucose=0.5"])
