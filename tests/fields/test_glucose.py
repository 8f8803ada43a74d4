"""The glucose field: coupling to the cells against the analytic slab profile, uptake by
phase, energy failure where glucose and O2 both run out, and old run files without it."""
import numpy as np
import pytest

from abm.tumor.cells import PHASES
from abm.schema import load_config
from abm.model import TumorModel

from ..helpers import TINY


def _strip_model(tmp_path, *overrides, nx=60, ny=8):
    """A vessel column at x = 0 and tumour cells on every other site."""
    vessels = np.zeros((ny, nx), dtype=np.uint8)
    vessels[:, 0] = 1
    np.save(tmp_path / "vessels.npy", vessels)
    np.save(tmp_path / "tumour.npy", 1 - vessels)
    return TumorModel(load_config(None, overrides=TINY + [
        f"grid.nx={nx}", f"grid.ny={ny}", "vessels.pattern=mask",
        f"vessels.mask_file={str(tmp_path / 'vessels.npy')!r}", "tumor.seed_pattern=mask",
        f"tumor.mask_file={str(tmp_path / 'tumour.npy')!r}", "cells.program=placeholder",
        *overrides]))


def test_steady_glucose_in_a_tumour_slab_matches_the_cosh_profile(tmp_path):
    """D G'' = k G with G = 1 at the vessel column and no flux half a site past the last one:
    G = cosh((W − x)/λ)/cosh(W/λ), λ = √(D/k), k = uptake × cell volume / dx³ (+ decay)."""
    model = _strip_model(tmp_path)
    cfg = model.config
    g, dx = cfg.glucose, cfg.grid.dx_um
    k = g.uptake_per_min * cfg.oxygen.cell_volume_um3 / dx ** 3 + g.decay_per_min
    lam = np.sqrt(g.diffusivity_um2_per_min / k)
    W = (cfg.grid.nx - 0.5) * dx
    assert W > 2 * lam  # the cells deplete it (G falls to < 25 % at the far end)
    rows = model.cells.live_rows()
    x = model.cells.x[rows] * dx
    exact = np.cosh((W - x) / lam) / np.cosh(W / lam)
    assert exact.min() < 0.25
    np.testing.assert_allclose(model.cells.glucose[rows], exact, rtol=5e-3)
    assert model.counts["glucose_mean_viable"] == pytest.approx(model.cells.glucose[rows].mean())


def test_uptake_by_phase_dormant_a_fifth_necrotic_none(tmp_path):
    model = _strip_model(tmp_path, nx=12, ny=8)
    cells, glucose = model.cells, model.solutes["glucose"]
    rows = cells.live_rows()
    cells.phase[rows[0]] = PHASES["dormant"]
    cells.phase[rows[1]] = PHASES["necrotic"]
    glucose.update(cells, model.dt_min)
    sink = glucose.sink[cells.y[rows], cells.x[rows]]
    cfg = model.config
    full = cfg.glucose.uptake_per_min * cfg.oxygen.cell_volume_um3 / cfg.grid.dx_um ** 3
    assert sink[0] == pytest.approx(cfg.glucose.dormant_uptake_factor * full)
    assert sink[1] == 0.0
    np.testing.assert_allclose(sink[2:], full)
    assert glucose.sink.sum() == pytest.approx(full * (len(rows) - 2 + cfg.glucose.dormant_uptake_factor))


@pytest.mark.parametrize("field", [True, False])
def test_without_vessels_energy_fails_much_sooner_when_glucose_runs_out_too(tiny_config, field):
    """Network program, no vessels: O2 = 0. With a uniform glucose level of 1 the ATP is the
    glycolytic 0.5 < demand 0.6 and the reserve lasts τ/0.1 = 60 h; with the field, the cells
    consume the glucose as well, ATP → 0 and necrosis comes within τ/0.6 = 10 h of depletion."""
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
