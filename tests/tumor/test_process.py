"""The step as a loop over processes: the culture and the tissue run the same tumour code, the
reporters and timings derive from the processes, and the fate layer reads the network through
its declared observables and hooks."""
from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest

import intracellular
from abm import TumorModel, load_config
from abm.culture import run_culture
from abm.errors import ConfigError
from abm.model import REPORTING, STEP, TIMING_PHASES
from abm.tumor import process as tumor_process
from abm.tumor.cell_state import HIF_HALF_MMHG, HIF_HALF
from abm.tumor.phenotype import network_fate
from abm.tumor.space import Lattice, WellMixed

SHARED = ("cell_state", "fate", "events", "deaths", "drug_effects", "drug_deaths")
"""Processes the culture shares with the tissue."""


def test_culture_and_tissue_step_through_the_same_tumour_processes(tiny_config, monkeypatch):
    """A fate test on the culture exercises the code a tissue run executes: the same process
    classes advance, divide and kill, only the space differs."""
    calls: dict[str, list] = {}
    for kind in (tumor_process.Fate, tumor_process.Events, tumor_process.CellState):
        real = kind.step

        def spy(self, model, real=real, kind=kind):
            calls.setdefault(kind.__name__, []).append(type(model.space))
            real(self, model)
        monkeypatch.setattr(kind, "step", spy)
    model = TumorModel(tiny_config())
    model.run_steps(2)
    run_culture(load_config("scenarios/hypoxia_switch.toml"), [(0.0, 38.0)], 1.0, n_cells=20)
    for name in ("Fate", "Events", "CellState"):
        assert Lattice in calls[name] and WellMixed in calls[name], name
    assert all(model.process(name) is not None for name in SHARED)


def test_reporters_and_timings_derive_from_the_processes(tiny_config):
    names = TumorModel.reporter_names()
    assert len(names) == len(set(names))
    assert set(REPORTING) <= set(STEP)
    assert all(kind in REPORTING for kind in STEP if kind.reporters)
    assert TIMING_PHASES == ("field", "cells", "events", "immune", "myeloid", "blood", "site",
                             "therapy", "output")
    model = TumorModel(tiny_config())  # immune and blood off: their reporters are 0
    assert list(model.counts) == names
    assert model.counts["n_cd8"] == 0 and model.counts["ctc_shed_units"] == 0
    assert model.process("immune") is None and model.immune is None and model.blood is None


def test_pdl1_hif_half_point_is_the_networks(tiny_config):
    """The default network's KH is the half-point programs without a network use, and an
    override of KH moves the PD-L1/EMT hypoxia drive with the network's HIF."""
    net = intracellular.get_network("dormancy")
    assert HIF_HALF_MMHG == net.parameter_vector()[net.parameter_for("hif_half_mmHg")]
    model = TumorModel(tiny_config("intracellular.params={ KH = 7.5 }"))
    assert model.phenotype.hif_half_mmHg == 7.5
    assert model.process("cell_state").params[HIF_HALF] == 7.5
    placeholder = TumorModel(tiny_config("cells.program=placeholder"))
    assert placeholder.process("cell_state").params[HIF_HALF] == HIF_HALF_MMHG


def test_fate_layer_uses_hooks_not_network_modules():
    source = inspect.getsource(network_fate)
    imported = {node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)}
    assert not any(m and m.startswith("intracellular.models") for m in imported)
    net = intracellular.get_network("dormancy")
    assert set(network_fate.HOOKS) <= set(net.hooks)
    assert set(network_fate.OBSERVED) <= set(net.observables)


def test_a_network_without_a_reset_hook_lets_daughters_inherit_the_state(tiny_config, monkeypatch):
    """Without ``post_mitotic_reset`` the fate layer copies the mother's state (the hook is
    optional: an SBML network has none)."""
    net = intracellular.get_network("dormancy")
    bare = dataclasses.replace(net, hooks={})
    monkeypatch.setattr(intracellular, "get_network", lambda name, **options: bare)
    model = TumorModel(tiny_config())
    y = net.state_vector()
    out = np.zeros_like(y)
    model.phenotype.reset[0](y, out)
    np.testing.assert_array_equal(out, y)


def test_hooks_match_the_network_functions():
    """The hooks compute what the network's own functions do (the energy supply)."""
    net = intracellular.get_network("dormancy")
    y, p = net.state_vector(), net.parameter_vector()
    for o2 in (0.0, 1.0, 38.0):
        u = net.input_vector({"O2": o2})
        supply = net.hooks["energy"](y, p, u)
        assert 0.0 < supply <= 1.0
    out = np.empty_like(y)
    net.hooks["post_mitotic_reset"](y, out)
    assert out[net.species_for("e2f")] == pytest.approx(0.05 * y[net.species_for("e2f")])
