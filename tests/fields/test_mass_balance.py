"""Mass balance of O2 and glucose at steady state: everything the cells (and the host tissue)
take up enters through the Dirichlet sites (vessels, or the medium-held domain edge) and,
in stirred medium, through the medium sites' exchange."""
import math

import numpy as np
import pytest

from abm.model import TumorModel


def _face_flux_in(values, fixed, D):
    """Σ over faces between a fixed site and a free one of D·(C_fixed − C_free): the inflow
    per unit depth (µm² · conc/min per µm of depth, i.e. conc·µm²/min)."""
    total = 0.0
    for axis in (0, 1):
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(0, -1), slice(1, None)
        ca, cb = values[tuple(a)], values[tuple(b)]
        fa, fb = fixed[tuple(a)], fixed[tuple(b)]
        total += D * np.sum(np.where(fa & ~fb, ca - cb, 0.0))
        total += D * np.sum(np.where(fb & ~fa, cb - ca, 0.0))
    return total


def _balance(model, name):
    """(inflow through fixed sites, net uptake at free sites) of field ``name`` at the steady
    state with the model's cells, per unit depth (conc·µm²/min)."""
    solute = model.solutes[name]
    if solute.medium is not None:  # as the fields' step does before solving
        solute.medium.update(model.occupancy, model.vessels)
    solute.update(model.cells, math.inf)
    C, dx = solute.values, model.dx_um
    solver = solute.solver
    fixed = solver._mask
    km = solute.saturating.km
    uptake = (solute.vmax * C / (km + C) + (solute.sink + solver.decay) * C
              - (0.0 if solute.source is None else solute.source))
    return _face_flux_in(C, fixed, solver.D), float(np.sum(uptake[~fixed])) * dx * dx


@pytest.mark.parametrize("field", ["oxygen", "glucose"])
def test_vessels_supply_what_the_tissue_takes_up(tiny_config, field):
    model = TumorModel(tiny_config("oxygen.rtol=1e-10", "glucose.rtol=1e-10"))
    model.run_steps(30)
    inflow, uptake = _balance(model, field)
    assert uptake > 0 and inflow == pytest.approx(uptake, rel=1e-6)


@pytest.mark.parametrize("stirred", [False, True])
@pytest.mark.parametrize("field", ["oxygen", "glucose"])
def test_the_medium_supplies_what_a_spheroid_takes_up(tiny_config, field, stirred):
    """No vessels: the domain edge is held at the medium values; with stirring the cell-free
    sites joined to the edge are medium too, and their exchange is part of the supply (a
    negative net uptake there)."""
    model = TumorModel(tiny_config(
        "vessels.pattern=none", "medium.edge=true", f"medium.stirred={str(stirred).lower()}",
        "grid.nx=60", "grid.ny=60", "tumor.radius_um=250.0", "oxygen.rtol=1e-10",
        "glucose.rtol=1e-10", "metabolism.o2_uptake_mmHg_per_min=1326.0"))
    model.run_steps(20)
    inflow, uptake = _balance(model, field)
    solute = model.solutes[field]
    cells_uptake = float(np.sum(solute.vmax * solute.values / (solute.saturating.km
                                                              + solute.values)))
    assert cells_uptake > 0
    # the medium exchange (rate × C ~ 1e5 per site) cancels to a tiny net: compare both sides
    # with the cells' uptake
    assert abs(inflow - uptake) < 1e-6 * cells_uptake * model.dx_um ** 2
    if stirred:
        medium = model.solutes[field].medium.sites
        assert medium.any() and not medium[model.occupancy >= 0].any()
