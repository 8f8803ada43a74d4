"""Multi-rate stepping (``<field>.solve_every``): a field solved every k steps is advanced by
one backward-Euler step of k·dt (checked against the sparse direct solve of that step), the
steps between leave it alone while the cells still read it, and a resumed run keeps the
schedule."""
import numpy as np
import pytest

from abm.errors import ConfigError
from abm.fields import reference
from abm.model import TumorModel
from abm.schema import load_config
from abm.tumor.cells import PHASES

from ..helpers import TINY

EVERY = 3


@pytest.fixture
def one_senescent_cell(tmp_path):
    """A 41² tissue without vessels, one senescent tumour cell at its centre, the SASP field 0
    everywhere (``initial = 'vessel'``) so that every step changes it, solved every
    :data:`EVERY` steps to a tight tolerance; no glucose field."""
    n = 41
    mask = np.zeros((n, n), dtype=np.uint8)
    mask[n // 2, n // 2] = 1
    np.save(tmp_path / "cells.npy", mask)
    model = TumorModel(load_config(None, overrides=TINY + [
        f"grid.nx={n}", f"grid.ny={n}", "vessels.pattern=none", "tumor.seed_pattern=mask",
        f"tumor.mask_file={str(tmp_path / 'cells.npy')!r}", "glucose.field=false",
        "sasp.initial='vessel'", "sasp.rtol=1e-10", f"sasp.solve_every={EVERY}"]))
    cell = model.cells.live_rows()[0]
    model.cells.phase[cell] = PHASES["senescent"]
    return model, cell


def test_field_is_advanced_by_one_backward_euler_step_of_k_dt(one_senescent_cell):
    model, cell = one_senescent_cell
    cfg = model.config
    sasp = model.fields["sasp"]
    start = sasp.copy()
    model.step()  # the first step solves, over the k steps up to the next solve
    # The truth, from the section's rates (independent of the scatter): one site holding the
    # senescent cell takes up and secretes, at rate × cell volume / dx³.
    per_site = cfg.oxygen.cell_volume_um3 / cfg.grid.dx_um ** 3
    site = np.zeros(model.shape, dtype=bool)
    site[model.cells.y[cell], model.cells.x[cell]] = True
    uptake = np.where(site, cfg.sasp.uptake_per_min * per_site, 0.0)
    source = np.where(site, cfg.sasp.secretion_per_min * per_site, 0.0)  # classical route: 1
    no_vessel = np.zeros(model.shape, dtype=bool)

    def step(dt):
        return reference.solve(cfg.sasp.diffusivity_um2_per_min, cfg.grid.dx_um, uptake,
                               no_vessel, 0.0, decay=cfg.sasp.decay_per_min, dt=dt,
                               C_old=start, source=source)

    long_step = step(EVERY * cfg.run.dt_min)
    np.testing.assert_allclose(sasp, long_step, rtol=0, atol=1e-8 * long_step.max())
    # ... and not the one-dt step (the test can tell them apart)
    assert np.abs(step(cfg.run.dt_min) - long_step).max() > 0.1 * long_step.max()
    solved = sasp.copy()
    for _ in range(EVERY - 1):  # not due: no solve, but the cell reads the map at its site
        model.step()
        assert model.solutes["sasp"].cycles == 0
        np.testing.assert_array_equal(sasp, solved)
        assert model.cells.sasp[cell] == sasp[model.cells.y[cell], model.cells.x[cell]]
    model.step()  # due again
    assert model.solutes["sasp"].cycles > 0
    assert not np.array_equal(sasp, solved)


def test_a_resumed_run_keeps_the_schedule(one_senescent_cell):
    """Solves fall on every k-th step counted from the run's start, so a run resumed between
    two solves continues as the run that was not interrupted."""
    model, _ = one_senescent_cell
    model.step()
    snapshot = {k: np.copy(v) for k, v in model.snapshot().items()}
    resumed = TumorModel.from_checkpoint(model.config, model.config.run.seed, snapshot)
    for _ in range(2 * EVERY):
        model.step()
        resumed.step()
        np.testing.assert_array_equal(resumed.fields["sasp"], model.fields["sasp"])
        assert resumed.solutes["sasp"].cycles == model.solutes["sasp"].cycles


@pytest.mark.parametrize("value", [0, 241])
def test_bad_solve_every_is_named(value):
    with pytest.raises(ConfigError, match=f"oxygen.solve_every.*{value}"):
        load_config(None, overrides=[f"oxygen.solve_every={value}"])
