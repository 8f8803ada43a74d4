"""Range checks of every kind of parameter (schema keys, network, immune and blood tables) and
the result guards that stop a run at the first NaN/inf (abm/guards.py)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import abm.tumor.process
from abm.cli import main
from abm.schema import load_config
from abm.errors import ConfigError, NumericalError
from abm.model import TumorModel

from ..helpers import TINY

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

# (override key, bad value, a bound the message must quote). The bounds are physical facts or
# the documented design limits (docs/numerical_guards.md), not read from the schema.
BAD = [
    # O2 cannot exceed pure O2 at 1 atm; 1e200 used to store inf in the field
    ("oxygen.vessel_mmHg", 1e200, "760"),
    ("oxygen.vessel_mmHg", 0.0, "(0,"),
    ("oxygen.hypoxic_mmHg", 800.0, "760"),
    ("cycle.arrest_mmHg", 761.0, "760"),
    ("cycle.o2_half_mmHg", 0.0, "(0,"),          # divides O2/(K + O2) at O2 = 0
    ("cycle.atp_o2_half_mmHg", 0.0, "(0,"),
    # 1e300 used to put inf into the PD-L1 column
    ("cell_state.pdl1_basal", 1e300, "10"),
    ("cell_state.pdl1_hypoxia", -0.1, "[0,"),
    ("cell_state.pdl1_half_life_h", 0.0, "(0,"),
    ("cell_state.stemness_rate_per_h", 1e6, "1000"),
    ("cell_state.emt_half_life_h", 1e9, "87600"),   # longer than the longest run (3650 d)
    # 1e308 used to overflow the vessel-coverage check
    ("vessels.min_spacing_um", 1e308, "409600"),  # 8192 sites × 50 µm
    ("vessels.avascular_radius_um", 1e12, "409600"),
    ("tumor.radius_um", 1e12, "409600"),
    ("oxygen.diffusivity_um2_per_min", 1e9, "1e+06"),
    ("metabolism.o2_uptake_mmHg_per_min", 1e6, "100000"),
    ("oxygen.cell_volume_um3", 1e6, "125000"),    # a cell fills at most a 50-µm site
    ("glucose.vessel_level", 100.0, "10"),
    ("sasp.decay_per_min", -1.0, "[0,"),
    ("sasp.secretion_per_min", 1e9, "1000"),
    ("chemokine.diffusivity_um2_per_min", 0.0, "(0,"),
    ("circadian.melatonin_kappa", 1e4, "100"),
    ("circadian.melatonin_weight", 1e3, "10"),
    ("circadian.reentrain_h_per_day", 25.0, "24"),
    ("shedding.rate_per_h", 1e9, "1000"),
    ("shedding.cluster_extra_mean", 1e3, "48"),  # clusters of 2–50 cells
    ("immune.initial_cd8_per_mm2", 1e9, "40000"),  # one cell per 5-µm site
    ("cells.energy_time_h", 1e9, "87600"),
    ("fate.commit_ef", 1e6, "100"),
    ("fate.sg2m_mean_h", 1e9, "87600"),
    ("output.frame_every_min", 1e12, "5.256e+06"),
    ("drugs.chemo_kill_per_h", 1e9, "1000"),
    ("drugs.chemo_ec50", 1e9, "1000"),
    ("drugs.anti_pdl1_half_life_h", 1e9, "87600"),
    # network parameters (intracellular.params): kMd = -10 used to give mTORC1 1.7e15
    ("intracellular.params.kMd", -10.0, "[0,"),
    ("intracellular.params.KH", 0.0, "[1e-06,"),   # O2/KH in the HIF kernel
    ("intracellular.params.KAe", 0.0, "[1e-06,"),
    ("intracellular.params.KS", 0.0, "[1e-06,"),
    ("intracellular.params.nH", 50.0, "10]"),
    ("intracellular.params.hD", 2.0, "1]"),        # 1 − hD·HIF < 0: negative cyclin D drive
    ("intracellular.params.Smax", 1e300, "1e+06"),
    # immune tables
    ("immune.cd8.speed_um_per_min", 1e9, "100"),
    ("immune.nk.pdl1_k", 0.0, "> 0"),             # PD-L1/(K + PD-L1) at PD-L1 = 0
    ("immune.cd8.recruit_k", 0.0, "> 0"),
    ("immune.cd8.chemotaxis", 1e5, "100"),
    ("immune.nk.hit_per_min", -1.0, "≥ 0"),
    ("immune.cd8.attach_per_min", 1e300, "1e+12"),
    ("immune.cd8.recognition_dormant", 2.0, "1"),
    # route secretion tables
    ("sasp.route_secretion.paracrine", 1e300, "100]"),
    ("sasp_metabolic.route_secretion.therapy", -1.0, "[0,"),
    # blood table
    ("blood.params.max_escorts", 1e300, "20"),
    ("blood.params.cloak_per_min", -1.0, "[0,"),
    ("blood.params.outgrowth", 2.0, "1]"),
    ("blood.params.arrest_size_exponent", 100.0, "10]"),
]


def _override(key: str, value: float) -> str:
    """``section.key=value``, or ``section.table={name=value}`` for a table entry."""
    parts = key.split(".")
    if len(parts) == 3:
        return f"{parts[0]}.{parts[1]}={{{parts[2]}={value!r}}}"
    return f"{key}={value!r}"


@pytest.mark.parametrize("key, value, bound", BAD, ids=[f"{k}={v:g}" for k, v, _ in BAD])
def test_out_of_range_value_is_refused_naming_key_value_and_range(key, value, bound):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides=[_override(key, value)])
    message = str(info.value)
    assert f"{key} = {value!r}" in message
    assert bound in message


def test_at_least_forty_keys_of_every_kind_are_covered():
    keys = {key for key, _, _ in BAD}
    assert len(keys) >= 40
    for table in ("intracellular.params.", "immune.", "blood.params."):
        assert sum(k.startswith(table) for k in keys) >= 4


def test_every_bad_table_entry_is_reported_in_one_round():
    """Network, immune and blood entries are checked together (after the per-key checks)."""
    bad = [("intracellular.params.kMd", -10.0), ("intracellular.params.KH", 0.0),
           ("blood.params.outgrowth", 2.0), ("blood.params.cloak_per_min", -1.0),
           ("immune.cd8.speed_um_per_min", 1e9)]
    overrides = ["intracellular.params={kMd=-10.0, KH=0.0}",
                 "blood.params={outgrowth=2.0, cloak_per_min=-1.0}",
                 "immune.cd8={speed_um_per_min=1e9}"]
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides=overrides)
    for key, value in bad:
        assert f"{key} = {value!r}" in str(info.value)


@pytest.mark.parametrize("path", [p for p in sorted(SCENARIOS.glob("*.toml"))
                                  if not p.name.startswith(("study_", "calibrate_"))],
                         ids=lambda p: p.name)
def test_shipped_scenarios_and_defaults_are_within_range(path):
    load_config(path)
    load_config(None)


def test_singular_steady_state_is_a_config_error_naming_the_keys(tiny_config):
    """No vessel, no uptake, no decay: the SASP steady state is undetermined."""
    config = tiny_config("vessels.pattern=none", "sasp.decay_per_min=0.0",
                         "sasp.uptake_per_min=0.0", "cells.program=placeholder")
    with pytest.raises(ConfigError, match=r"sasp\.initial = 'steady'.*sasp\.decay_per_min"):
        TumorModel(config)


# ---------------------------------------------------------------------------- result guards

def _poison_after(monkeypatch, name: str, at_step: int, poison):
    """Wrap ``abm.tumor.process.<name>`` (a kernel the step calls) so that at ``at_step`` it
    calls ``poison(args)`` after the real kernel."""
    real = getattr(abm.tumor.process, name)
    calls = []

    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(None)
        if len(calls) == at_step + 1:
            poison(args)
        return out
    monkeypatch.setattr(abm.tumor.process, name, wrapped)


def test_nan_in_a_cell_column_stops_the_run_naming_column_cell_and_time(tiny_config,
                                                                        monkeypatch):
    model = TumorModel(tiny_config("cells.program=placeholder"))
    row = int(model.cells.live_rows()[3])
    cell_id, x, y = int(model.cells.id[row]), int(model.cells.x[row]), int(model.cells.y[row])

    def poison(args):  # update_cell_state(cells, ...)
        args[0].pdl1[row] = np.nan
    _poison_after(monkeypatch, "update_cell_state", 4, poison)
    model.run_steps(4)  # steps 0–3 are clean
    with pytest.raises(NumericalError) as info:
        model.step()
    dx = model.dx_um
    message = str(info.value)
    assert "'pdl1' = nan" in message
    assert f"cell id {cell_id}" in message
    assert f"({(x + 0.5) * dx:g}, {(y + 0.5) * dx:g}) µm" in message
    assert f"t = {5 * model.dt_min:g} min" in message


def test_inf_in_network_state_is_named_by_species(tiny_config, monkeypatch):
    model = TumorModel(tiny_config())
    row = int(model.cells.live_rows()[0])
    species = model.phenotype.state_names[2]
    real = model.phenotype.advance

    def advance(table, step, dt_min, events):
        real(table, step, dt_min, events)
        table.state[row, 2] = np.inf
    monkeypatch.setattr(model.phenotype, "advance", advance)
    with pytest.raises(NumericalError, match=rf"'state {species}' = inf of cell id "
                                             rf"{model.cells.id[row]} "):
        model.step()


def test_nan_in_a_field_stops_the_run_naming_field_site_and_time(tiny_config, monkeypatch):
    model = TumorModel(tiny_config())
    solute = model.solutes["sasp"]
    real = solute.update

    def update(cells, dt):
        real(cells, dt)
        model.fields["sasp"][7, 11] = np.nan
    monkeypatch.setattr(solute, "update", update)
    with pytest.raises(NumericalError) as info:
        model.step()
    dx = model.dx_um
    message = str(info.value)
    assert "field 'sasp' = nan at site (x=11, y=7)" in message
    assert f"({11.5 * dx:g}, {7.5 * dx:g}) µm" in message
    assert f"t = {model.dt_min:g} min" in message


def test_a_poisoned_run_fails_from_the_command_line_with_one_message(tmp_path, monkeypatch,
                                                                     capsys):
    """``abm run`` ends with exit 1 and the guard's message, no traceback."""
    def poison(args):
        args[0].oxygen[args[0].alive] = math.inf  # local O2 of every cell
    _poison_after(monkeypatch, "update_cell_state", 2, poison)
    out = tmp_path / "run.h5"
    code = main(["run", str(SCENARIOS / "quickstart.toml"), "--out", str(out), "--no-progress",
                 *[a for o in TINY + ["cells.program=placeholder"] for a in ("--set", o)]])
    err = capsys.readouterr().err
    assert code == 1
    assert "cell column 'oxygen' = inf" in err and "Traceback" not in err
