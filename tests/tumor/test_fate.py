"""The network fate layer (abm/phenotype/network_fate.py) in cultures and on the lattice."""
from __future__ import annotations

import numpy as np
import pytest

from abm import TumorModel, load_config
from abm.culture import run_culture

SCENARIO = "scenarios/hypoxia_switch.toml"


@pytest.fixture(scope="module")
def config():
    return load_config(SCENARIO)


def test_normoxic_culture_doubles_with_g1_plus_sg2m(config):
    """G1 ≈ 6 h at 38 mmHg (docs/network.md) + S/G2/M 10 ± 2.5 h ⇒ doubling time ≈ 16 h."""
    frame = run_culture(config, [(0.0, 38.0)], 48.0, n_cells=400, max_cells=100_000)
    n0, n48 = frame["n_viable"].iloc[0], frame["n_viable"].iloc[-1]
    doubling_h = 48.0 * np.log(2) / np.log(n48 / n0)
    assert 13.0 < doubling_h < 20.0, doubling_h
    assert frame["dormant_fraction"].iloc[-1] == 0 and frame["senescent_fraction"].iloc[-1] == 0


@pytest.mark.calibration
def test_anoxia_makes_cells_dormant_and_reoxygenation_wakes_them(config):
    """≤ 0.38 mmHg arrests with low mTORC1 (docs/network.md): after 24 h off, cells are dormant;
    back at 38 mmHg they re-enter the cycle within ~1 day (dormancy exits, then divisions)."""
    schedule = [(0.0, 0.1), (96.0, 38.0)]
    frame = run_culture(config, schedule, 144.0, n_cells=400, max_cells=100_000)
    at = frame.set_index("time_h")
    assert at.loc[96.0, "dormant_fraction"] > 0.8
    assert at.loc[96.0, "senescent_fraction"] == 0  # hypoxia keeps the arrest reversible
    assert at.loc[24.0, "dormant_fraction"] < at.loc[48.0, "dormant_fraction"]
    assert at.loc[144.0, "dormant_fraction"] < 0.2
    assert at.loc[144.0, "dormancy_exits"] > 0.8 * at.loc[96.0, "n_viable"]
    assert at.loc[144.0, "n_viable"] > at.loc[96.0, "n_viable"]


@pytest.mark.calibration
def test_sasp_arrest_with_active_mtor_becomes_senescence(config):
    """Arrest with active mTORC1 (SASP input, normoxia) → senescent after 72 h (Leontieva 2012)."""
    frame = run_culture(config, [(0.0, 38.0)], 144.0, n_cells=300, max_cells=100_000, sasp=3.0)
    at = frame.set_index("time_h")
    assert at.loc[60.0, "senescent_fraction"] < 0.05
    assert at.loc[144.0, "senescent_fraction"] > 0.5
    assert at.loc[144.0, "dormant_fraction"] < 0.1


def test_dna_damage_arrest_becomes_therapy_induced_senescence(config):
    """DNA damage 2 (p53 → p21, mTORC1 stays active) arrests normoxic cells; after 72 h they
    senesce, recorded as therapy-induced (damage ≥ fate.therapy_damage)."""
    frame = run_culture(config, [(0.0, 38.0)], 144.0, n_cells=300, max_cells=100_000,
                        dna_damage=2.0)
    end = frame.iloc[-1]
    assert end["senescent_fraction"] > 0.5
    assert end["senescent_therapy"] > 0
    assert end["senescent_geroconversion"] == end["senescent_paracrine"] == 0
    assert end["senescent_metabolic"] == 0


def test_mitochondrial_dysfunction_gives_metabolic_senescence(config):
    """Mitochondrial dysfunction 0.5 at normoxia: AMPK–p53 arrest with low mTORC1 (so no
    geroconversion) → dormant first, then senescent by the metabolic route (Wiley et al.
    2016); healthy mitochondria (the default) give none."""
    from dataclasses import replace
    sick = replace(config, intracellular=replace(config.intracellular, mito_dysfunction=0.5))
    frame = run_culture(sick, [(0.0, 38.0)], 144.0, n_cells=300, max_cells=100_000)
    at = frame.set_index("time_h")
    assert at.loc[48.0, "dormant_fraction"] > 0.5
    assert at.loc[144.0, "senescent_fraction"] > 0.5
    assert at.loc[144.0, "senescent_metabolic"] > 0
    routes = at.loc[144.0, [f"senescent_{r}" for r in ("geroconversion", "paracrine", "therapy")]]
    assert routes.sum() == 0


def test_crowded_normoxic_cells_are_quiescent_not_senescent(tmp_path):
    """A packed normoxic tumour: the core is contact-inhibited (quiescent) and, since crowding
    suppresses geroconversion, does not senesce over 5 days."""
    mask = np.zeros((40, 40), dtype=np.uint8)
    mask[5:35, 5:35] = 1
    np.save(tmp_path / "block.npy", mask)
    config = load_config(None, overrides=[
        "grid.nx=40", "grid.ny=40", "run.days=5.0", "vessels.pattern=array",
        "vessels.array_spacing_um=50.0",
        "tumor.seed_pattern=mask", f"tumor.mask_file={str(tmp_path / 'block.npy')!r}"])
    model = TumorModel(config, seed=2)
    model.run_steps(1200)
    counts = model.counts
    assert counts["n_senescent"] == 0 and counts["n_dormant"] == 0
    assert counts["n_quiescent"] > 0.5 * counts["n_tumor"]
    assert model.cells.oxygen[model.cells.live_rows()].min() > 20.0


def test_anoxia_kills_by_energy_failure(config):
    """At 0 mmHg and plasma glucose glycolysis alone makes Y = glycolytic_capacity × (1 +
    hif_glycolysis_gain) ≈ 0.42 of a cycling cell's demand (docs/fields.md), so the reserve
    cannot empty before τ/(1 − Y) ≈ 10 h (the fastest: demand staying at 1). Arrest lowers
    mTORC1 and with it the demand, but not below Y: the reserve empties within 2 days (some
    cells reach dormancy first), and the debris clears after necrotic_clearance_h. (At
    0.1 mmHg the arrested cells' demand is met: test_anoxia_makes_cells_dormant_...)"""
    cells, m = config.cells, config.metabolism
    supply = m.glycolytic_capacity * (1.0 + m.hif_glycolysis_gain)
    earliest_h = cells.energy_time_h / (1.0 - supply)
    assert 9.0 < earliest_h < 12.0
    frame = run_culture(config, [(0.0, 0.0)], 48.0 + cells.necrotic_clearance_h + 12.0,
                        n_cells=300, max_cells=100_000).set_index("time_h")
    assert frame.loc[float(int(earliest_h)), "necrotic_fraction"] == 0
    assert frame.loc[24.0, "dormant_fraction"] > 0.2 and frame.loc[24.0, "necrotic_fraction"] == 0
    assert frame.loc[48.0, "necrotic_fraction"] > 0.9
    assert frame["n_viable"].iloc[-1] == 0 and frame["removals"].iloc[-1] >= 300


def test_integration_failure_names_the_cell_and_species(tiny_config):
    """A blow-up inside the network is reported as a NumericalError with cell id, site and species."""
    from abm.errors import NumericalError

    model = TumorModel(tiny_config())
    row = model.cells.live_rows()[3]
    ef = model.phenotype.network.index("EF")
    model.cells.state[row, ef] = np.nan
    with pytest.raises(NumericalError, match=rf"cell id {model.cells.id[row]} at site .*EF = nan"):
        model.step()
