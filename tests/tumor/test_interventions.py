"""Drugs and immune killing in the model: what each therapy does to which cells, and the
killing statistics read back from the HDF5 event tables (abm.analysis.kill_statistics)."""
import dataclasses

import numpy as np
import pytest

from abm import TumorModel, load_config, run_scenario
from abm.immune.analysis import kill_statistics
from abm.tumor.cells import PHASES
from abm.culture import run_culture
from abm.therapy.schedule import TherapyEntry

from ..helpers import config_from_text

HYPOXIC_TISSUE = """
[run]
days = 2.0
thin_agents = false
[grid]
nx = 64
ny = 64
[vessels]
pattern = "array"
array_spacing_um = 300.0
avascular_radius_um = 0.0
[tumor]
radius_um = 500.0
[output]
figure = false
frame_every_min = 360.0
checkpoint_every_min = 1440.0
"""
"""A 1.1 mm tissue whose tumour has a proliferating rim and dormant hypoxic pockets by 24 h."""


def test_chemotherapy_kills_cycling_cells_and_spares_dormant_ones():
    """Tissue dosed at 24 h: of the cells present at the dose, those in S/G2/M die of it far
    more often than dormant ones over the next 12 h; no cell dies of it while dormant (the
    few dormant-at-dose cells that die had woken up: the rim's losses reoxygenate the
    tissue)."""
    model = TumorModel(config_from_text(HYPOXIC_TISSUE, [{"drug": "chemo", "at_h": [24.0]}]))
    model.run_steps(240)
    c = model.cells
    live = c.live_rows()
    in_cycle = model.phenotype.in_cycle(c)[live]
    at_dose = {"in_cycle": set(c.id[live][in_cycle].tolist()),
               "dormant": set(c.id[live][c.phase[live] == PHASES["dormant"]].tolist())}
    assert len(at_dose["dormant"]) > 500 and len(at_dose["in_cycle"]) > 200
    dead = set()
    for _ in range(120):
        model.step()
        events = model.step_events.get("drug_deaths")
        if events is not None:
            assert np.all(events["drug"] == "chemo")
            assert not np.any(events["phase"] == PHASES["dormant"])
            dead.update(events["cell_id"].tolist())
    killed = {name: len(ids & dead) / len(ids) for name, ids in at_dose.items()}
    # measured: 41 % of the cells in S/G2/M at the dose, 4.6 % of the dormant ones
    assert killed["in_cycle"] > 0.25
    assert killed["dormant"] < 0.1
    assert killed["in_cycle"] > 5 * killed["dormant"]


def test_a_dose_stops_a_normoxic_culture():
    """A drug-response culture (abm.culture with [[therapy]]): at 38 mmHg a dose at 12 h kills
    the cells in S/G2/M and arrests the rest in G1 (DNA damage → p21); the untreated culture
    keeps doubling every ~16 h."""
    config = load_config("scenarios/hypoxia_switch.toml")
    dosed = dataclasses.replace(config, therapy=(TherapyEntry(drug="chemo", at_h=(12.0,)),))
    frames = [run_culture(cfg, [(0.0, 38.0)], 48.0, n_cells=1000, max_cells=100_000,
                          record_every_h=6.0).set_index("time_h") for cfg in (config, dosed)]
    control, treated = (f["n_viable"] for f in frames)
    assert control[48.0] > 4 * control[12.0]
    assert treated[48.0] < 1.1 * treated[12.0]
    assert frames[1].loc[48.0, "drug_deaths"] > 0.2 * treated[12.0]


def _senescent_tissue(therapy=()):
    """The hypoxic tissue with every third tumour cell made senescent (therapy route) at t = 0,
    its SASP fields at steady state."""
    model = TumorModel(config_from_text(HYPOXIC_TISSUE, therapy))
    c = model.cells
    rows = c.live_rows()[::3]
    c.phase[rows] = PHASES["senescent"]
    c.route[rows] = 3  # therapy-induced
    for name in ("sasp", "sasp_metabolic"):
        model.solutes[name].update(c, np.inf)
    return model


def test_senolytic_removes_senescent_cells_and_lowers_sasp():
    """Of the senescent cells present at a senolytic dose d, the share alive 24 h later is
    exp(−kill·∫E dt), E = C/(EC50 + C), C = d·2^(−t/t½) (integrated here with scipy); the
    SASP falls with them."""
    from scipy.integrate import quad

    dose = 2.0
    control = _senescent_tissue()
    treated = _senescent_tissue([{"drug": "senolytic", "at_h": [0.0], "dose": dose}])
    c = treated.cells
    cohort = c.id[c.live_rows()][c.phase[c.live_rows()] == PHASES["senescent"]]
    for model in (control, treated):
        model.run_steps(240)  # 24 h
    drugs = treated.config.drugs
    exposure, _ = quad(lambda t: (C := dose * 2 ** (-t / drugs.senolytic_half_life_h))
                       / (drugs.senolytic_ec50 + C), 0.0, 24.0)
    expected = np.exp(-drugs.senolytic_kill_per_h * exposure)
    live = c.live_rows()
    survivors = np.isin(cohort, c.id[live][c.phase[live] == PHASES["senescent"]]).mean()
    se = np.sqrt(expected * (1 - expected) / len(cohort))
    assert abs(survivors - expected) < 4 * se, (survivors, expected)
    assert treated.counts["n_senescent"] < 0.75 * control.counts["n_senescent"]
    assert treated.counts["sasp_mean_viable"] < 0.75 * control.counts["sasp_mean_viable"]


def test_senomorphic_lowers_sasp_without_killing():
    """A senomorphic scales secretion by (1 − inhibition): the SASP relaxes within ~1 h
    (1/(λ + k) ≈ 15 min), so 2 h after the dose the field is that factor of the control's
    and no senescent cell has died."""
    control = _senescent_tissue()
    treated = _senescent_tissue([{"drug": "senomorphic", "at_h": [0.0], "dose": 4.0}])
    for model in (control, treated):
        model.run_steps(20)  # 2 h
    scale = treated.counts["sasp_secretion_scale"]
    assert scale < 0.6
    assert treated.counts["n_senescent"] == control.counts["n_senescent"]
    ratio = treated.fields["sasp"].sum() / control.fields["sasp"].sum()
    assert ratio == pytest.approx(scale, rel=0.05)


TARGET_RICH = HYPOXIC_TISSUE.replace("days = 2.0", "days = 0.5").replace(
    "radius_um = 500.0", "radius_um = 520.0")


def _kill_run(tmp_path, pdl1, blockade_dose=0.0, seed=0, **cd8):
    """Kill statistics from the run file of a tissue packed with tumour cells of fixed PD-L1
    ``pdl1`` and ~22 CD8 T cells that never leave and do not recruit more (``cd8``: more
    CD8 parameters)."""
    therapy = [{"drug": "anti_pdl1", "at_h": [0.0], "dose": blockade_dose}] if blockade_dose else []
    cfg = config_from_text(TARGET_RICH, therapy, chemokine={"field": True},
                  immune={"enabled": True, "initial_cd8_per_mm2": 50.0,
                          "cd8": {"recruit_per_min": 0.0, "lifetime_min": 1e9, **cd8},
                          "nk": {"recruit_per_min": 0.0}},
                  cell_state={"pdl1_basal": pdl1, "pdl1_hypoxia": 0.0, "pdl1_sasp": 0.0,
                              "pdl1_half_life_h": 0.001},
                  run={"seed": seed})
    name = "_".join(f"{k}{v}" for k, v in cd8.items())
    path = run_scenario(cfg, tmp_path / f"kill_{pdl1}_{blockade_dose}_{seed}_{name}.h5",
                        progress=False)
    return kill_statistics(path, since_min=60.0), cfg


def _blockade(cfg, dose):
    if not dose:
        return 0.0
    from abm.therapy.schedule import TherapySchedule
    return TherapySchedule.from_config(cfg).step_effects(60.0, 720.0).pdl1_blockade


def _expected_hit_rate(cfg, pdl1, blockade):
    from abm.immune.params import params_from_mapping
    from abm.immune.sections import ImmuneParam as P
    params, _ = params_from_mapping({"cd8": cfg.immune.cd8})
    cd8 = params[0]
    brake = cd8[P.PDL1_BRAKE] * (1 - blockade) * pdl1 / (cd8[P.PDL1_K] + pdl1)
    return cd8[P.HIT_PER_MIN] * (1 - brake)


def test_hit_rate_follows_the_pdl1_dose_response(tmp_path):
    """From the HDF5 events of whole-model runs: hits per engaged CD8 minute fall with the
    targets' PD-L1 as the configured brake says (h·(1 − b·P/(K + P))), anti-PD-L1 restores
    them, and kills follow. No dysfunction and no MHC-I dependence here, so that the brake is
    the only difference between contacts."""
    results = {}
    for pdl1, dose in ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)):
        stats, cfg = _kill_run(tmp_path, pdl1, dose, antigen_to_plastic_h=1e9,
                               mhc1_dependence=0.0)
        results[(pdl1, dose)] = stats
        expected = _expected_hit_rate(cfg, pdl1, _blockade(cfg, dose))
        # hundreds of hits per run: a few % standard error; the engaged count is read at the
        # end of the previous step and hits past a lethal one are not counted, which biases
        # the rate low by a few %
        assert stats["hits_per_engaged_min"] == pytest.approx(expected, rel=0.12), (pdl1, dose)
        assert stats["kills_cd8"] > 20
    assert results[(1.0, 0.0)]["kills_per_cd8_day"] < 0.6 * results[(0.0, 0.0)]["kills_per_cd8_day"]
    assert results[(1.0, 1.0)]["kills_per_cd8_day"] > 1.3 * results[(1.0, 0.0)]["kills_per_cd8_day"]


def test_pd1_signal_speeds_dysfunction_and_anti_pdl1_slows_it(tmp_path):
    """With a fast dysfunction clock (4 h of full stimulation), T cells facing PD-L1-high
    targets turn dysfunctional faster (drive 1 + s, s = 1/(0.5 + 1)) than against PD-L1-free
    ones, and anti-PD-L1 (blockade ≈ 0.9) slows them and reinvigorates plastic ones."""
    share = {}
    for pdl1, dose in ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)):
        stats, _ = _kill_run(tmp_path, pdl1, dose, antigen_to_plastic_h=4.0,
                             reinvigoration_per_d=20.0)
        share[(pdl1, dose)] = stats["dysfunction"][["plastic", "fixed"]].sum(axis=1).iloc[-1]
    assert share[(1.0, 0.0)] > share[(0.0, 0.0)] + 0.1
    assert share[(1.0, 1.0)] < share[(1.0, 0.0)] - 0.2
