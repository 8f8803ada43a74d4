"""Any network drives the cells: [intracellular] network / inputs / observables and
[fate] commit (abm/tumor/phenotype/binding.py, docs/network_binding.md)."""
from __future__ import annotations

import types

import numpy as np
import pytest

import intracellular
from abm import TumorModel
from abm.errors import ConfigError
from abm.io.recorder import RunRecorder
from abm.schema import config_from_dict
from abm.tumor.cells import PHASES
from abm.tumor.phenotype.binding import Binding, InputBinder, file_record, parse_inputs
from abm.tumor.phenotype.network_fate import FATE_COLUMNS

DT_MIN = 6.0
GRID = {"run": {"dt_min": DT_MIN, "seed": 5},
        "grid": {"nx": 60, "ny": 60},
        "vessels": {"pattern": "array", "array_spacing_um": 200.0, "avascular_radius_um": 0.0},
        "tumor": {"radius_um": 60.0}}
"""A 60×60-site tissue (1 mm²) with a vessel every 200 µm (cells are normoxic) and ~40
founders, so that three generations still find space."""
SG2M_H = 10.0
EXACT_FATE = {"sg2m_mean_h": SG2M_H, "sg2m_sd_h": 0.0, "inherit_noise": 0.0}
"""No noise: every division comes SG2M_H after its commitment, daughters copy the mother."""
FIRST_DIVISIONS_H = SG2M_H + 3 * DT_MIN / 60.0
"""By then every founder has divided once (those in G1 commit in the first step; a
countdown of SG2M_H can end a step late by rounding)."""


def _config(intracellular_section: dict, fate: dict | None = None, **sections):
    data = {**GRID, "intracellular": intracellular_section, "fate": fate or {}, **sections}
    return config_from_dict(data)


def _run(config, hours: float):
    """Step a tissue of ``config`` for ``hours``; per step the ids of cells that divided
    (left S/G2/M, alive, not contact-inhibited) and the time (h) at the step's end."""
    model = TumorModel(config, seed=config.run.seed)
    n = model.phenotype.n_species
    sg2m, blocked = n + FATE_COLUMNS.index("sg2m_h"), n + FATE_COLUMNS.index("contact_inhibited")
    divisions = []
    for _ in range(round(hours * 60 / DT_MIN)):
        c = model.cells
        before = c.alive[:c.hwm] & (c.state[:c.hwm, sg2m] > 0.0)
        ids = c.id[:c.hwm].copy()
        model.step()
        c = model.cells
        h = before.size
        done = before & c.alive[:h] & (c.state[:h, sg2m] <= 0.0) & (c.state[:h, blocked] == 0.0)
        done &= c.id[:h] == ids
        divisions.append((model.time_min / 60.0, ids[done]))
    return model, divisions


def _division_times(divisions) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for t, ids in divisions:
        for i in ids.tolist():
            out.setdefault(i, []).append(t)
    return out


# ------------------------------------------------------------------------- shipped networks
def test_gerard_goldbeter_divides_at_its_oscillation_period():
    """GF bound to O2 by a Hill function (GF ≈ 1 above 10 mmHg), e2f = Mb, commit on the
    rise of Mb through 1 µM: a cell divides once per oscillation. Daughters inherit the
    state, so every cell runs the trajectory of intracellular.simulate (GF = 1) from the
    initial state: after its first division (founders start at a random point of S/G2/M) it
    divides S/G2/M after each upward crossing of Mb, within two steps, and the interval
    between its divisions is the oscillation period."""
    config = _config({"network": "gerard_goldbeter2011",
                      "inputs": {"GF": {"source": "oxygen", "half": 1.0, "hill": 4.0}},
                      "observables": {"e2f": "Mb"}},
                     {**EXACT_FATE, "commit_ef": 1.0, "commit": "rise"})
    model, divisions = _run(config, 60.0)
    c = model.cells
    assert np.all(c.oxygen[c.live_rows()] > 10.0)  # the premise: GF ≥ 0.9999 everywhere
    t, y = intracellular.simulate("gerard_goldbeter2011", 80.0, inputs={"GF": 1.0},
                                  n_points=8001)
    mb = y["Mb"]
    crossings = t[1:][(mb[:-1] <= 1.0) & (mb[1:] > 1.0)]  # the first at t = 0
    expected = crossings[1:3] + SG2M_H
    later = np.array([v[1:3] for v in _division_times(divisions).values() if len(v) >= 3])
    assert len(later) >= 10
    assert np.all(np.abs(later - expected) <= 2 * DT_MIN / 60.0), (later, expected)
    period = np.diff(later, axis=1)
    assert np.all(np.abs(period - np.diff(crossings[1:3])) <= 2 * DT_MIN / 60.0)


def test_gerard_goldbeter_below_the_hopf_point_stops_dividing():
    """GF = 0.001 (< the Hopf point 0.00165, intracellular/models/gerard_goldbeter2011.py): Mb
    settles to a steady state; after the founders' first S/G2/M no cell divides."""
    config = _config({"network": "gerard_goldbeter2011",
                      "inputs": {"GF": {"source": "oxygen", "half": 1.0, "hill": 4.0,
                                        "scale": 0.001}},
                      "observables": {"e2f": "Mb"}},
                     {**EXACT_FATE, "commit_ef": 1.0, "commit": "rise"})
    _, divisions = _run(config, 48.0)
    early = sum(len(ids) for t, ids in divisions if t <= FIRST_DIVISIONS_H)
    late = sum(len(ids) for t, ids in divisions if t > FIRST_DIVISIONS_H)
    assert early > 0 and late == 0


@pytest.mark.parametrize("scale, divides", [(4.0, True), (0.2, False)])
def test_yao_switch_on_growth_factor_scaled(scale, divides):
    """S = scale·GF/(0.01 + GF) with GF = 1: S ≈ 4 switches E2F on from the published initial
    state (intracellular/models/yao2008.py: above S ≈ 1.05), S ≈ 0.2 keeps it off; without
    an mTORC1 species every arrested cell turns dormant after dormant_after_h."""
    config = _config({"network": "yao2008",
                      "inputs": {"S": {"source": "growth_factor", "half": 0.01, "scale": scale}},
                      "observables": {"e2f": "EF"}},
                     {**EXACT_FATE, "dormant_after_h": 24.0})
    model, divisions = _run(config, 36.0)
    late = sum(len(ids) for t, ids in divisions if t > FIRST_DIVISIONS_H)
    phase = model.cells.phase[model.cells.live_rows()]
    if divides:
        assert late > 0
    else:
        assert late == 0 and np.all(phase == PHASES["dormant"])


@pytest.mark.parametrize("o2, divides", [("oxygen", True), (0.0, False)])
def test_alarcon_divides_with_oxygen_and_arrests_in_anoxia(o2, divides):
    """Cyclin–CDK (y) above 0.2 commits; with O2 from the tissue (normalised by a Hill
    function, ≈ 1 near vessels) y rises past it within ~9 h, at a constant O2 = 0 p27 holds
    it at ≈ 0.015 (intracellular/models/alarcon2004.py)."""
    binding = {"source": "oxygen", "half": 5.0} if o2 == "oxygen" else o2
    config = _config({"network": "alarcon2004", "inputs": {"O2": binding},
                      "observables": {"e2f": "y"}}, {**EXACT_FATE, "commit_ef": 0.2})
    _, divisions = _run(config, 30.0)
    late = sum(len(ids) for t, ids in divisions if t > FIRST_DIVISIONS_H)
    assert (late > 0) == divides


# ------------------------------------------------------------------------- default network
def test_default_bindings_equal_an_explicit_table_bitwise():
    """The dormancy network without a table binds O2, GF, glc, SASP, DNA and mito to their
    sources and reads its own roles: the same run as with all of it written out."""
    explicit = {"inputs": {"O2": "oxygen", "GF": "growth_factor", "glc": "glucose",
                           "SASP": "sasp", "DNA": "dna_damage", "mito": "mito"},
                "observables": {"e2f": "EF", "mtorc1": "mTORC1", "ampk": "AMPK", "p21": "p21",
                                "hif": "HIF", "hif_half_mmHg": "KH"}}
    runs = []
    for section in ({}, explicit):
        model, _ = _run(_config(section), 6.0)
        c = model.cells
        runs.append((c.state[:c.hwm].copy(), c.phase[:c.hwm].copy(), c.demand[:c.hwm].copy()))
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_hill_binding_matches_its_closed_form():
    """s·xⁿ/(Kⁿ + xⁿ) and, falling, s·Kⁿ/(Kⁿ + xⁿ) of the cells' O2; a constant; an unbound
    input keeps the network default."""
    network = intracellular.get_network("dormancy")
    config = _config({})
    bindings = {"O2": Binding("oxygen", half=4.0, hill=2.5, scale=3.0),
                "GF": Binding("oxygen", half=4.0, hill=2.5, scale=3.0, falling=True),
                "glc": Binding(None, 0.25)}
    table = types.SimpleNamespace(capacity=5, hwm=5, oxygen=np.array([0.0, 1.0, 4.0, 10.0, 80.0]))
    u = InputBinder(network, bindings, config).fill(table)
    x, k, n = table.oxygen, 4.0, 2.5
    np.testing.assert_allclose(u[:, 0], 3.0 * x ** n / (k ** n + x ** n), rtol=1e-14)
    np.testing.assert_allclose(u[:, 1], 3.0 * k ** n / (k ** n + x ** n), rtol=1e-14)
    assert np.all(u[:, 2] == 0.25)
    assert np.all(u[:, 3:] == network.input_vector()[3:])


# ------------------------------------------------------------------------- config errors
@pytest.mark.parametrize("section, fate, key, value", [
    ({"network": "yao2008", "inputs": {"S": "serum"}, "observables": {"e2f": "EF"}}, {},
     "intracellular.inputs.S", "'serum'"),
    ({"network": "yao2008", "inputs": {"S": {"source": "oxygen", "half": 1.0, "hill": 20}},
      "observables": {"e2f": "EF"}}, {}, "intracellular.inputs.S.hill", "20"),
    ({"network": "yao2008", "inputs": {"Q": 1.0}, "observables": {"e2f": "EF"}}, {},
     "intracellular.inputs.Q", "1.0"),
    ({"network": "yao2008", "observables": {"e2f": "EF", "cyclin": "CE"}}, {},
     "intracellular.observables.cyclin", "'CE'"),
    ({"network": "yao2008", "observables": {"e2f": "E2F"}}, {},
     "intracellular.observables.e2f", "'E2F'"),
    ({"network": "yao2008"}, {}, "intracellular.observables", "e2f"),
    ({"network": "yao2009"}, {}, "intracellular.network", "'yao2009'"),
    ({"network": "nets/missing.xml"}, {}, "intracellular.network", "missing.xml"),
    ({}, {"commit": "edge"}, "fate.commit", "'edge'"),
])
def test_config_errors_name_key_and_value(section, fate, key, value):
    with pytest.raises(ConfigError) as info:
        _config(section, fate)
    assert len(info.value.problems) == 1, info.value.problems
    assert key in info.value.problems[0] and value in info.value.problems[0]


def test_relative_network_file_resolves_against_the_scenario_folder(tmp_path):
    with pytest.raises(ConfigError) as info:
        config_from_dict({**GRID, "intracellular": {"network": "nets/cycle.sbml"}},
                         base_dir=tmp_path)
    assert str(tmp_path / "nets" / "cycle.sbml") in str(info.value)
    assert "dormancy" in str(info.value)  # names what else is allowed


def test_error_for_unknown_input_lists_the_network_inputs():
    with pytest.raises(ConfigError, match="its inputs are S"):
        parse_inputs({"GF": "growth_factor", "X": 1.0}, ("S",))


# ------------------------------------------------------------------------- the run's record
def test_file_network_is_recorded_and_a_changed_file_refused(tmp_path):
    """A file network's path, sha256 and text are root attributes of the run; resuming after
    the file changed is one clear error."""
    path = tmp_path / "net.toml"
    path.write_text("# version 1\n")
    ic = types.SimpleNamespace(network=str(path))
    record = file_record(ic)
    assert record["network_text"] == "# version 1\n" and record["network_file"] == str(path)
    config = _config({})
    model = types.SimpleNamespace(config=config, dt_min=DT_MIN,
                                  phenotype=types.SimpleNamespace(run_attrs=record))
    writer = types.SimpleNamespace(attrs=dict(record))
    RunRecorder.for_model(writer, model)  # unchanged: accepted
    path.write_text("# version 2\n")
    model.phenotype.run_attrs = file_record(ic)
    with pytest.raises(ConfigError, match="has changed since the run started"):
        RunRecorder.for_model(writer, model)
    assert file_record(types.SimpleNamespace(network="dormancy")) == {}


def test_a_network_file_runs_is_recorded_and_a_changed_file_stops_resume(tmp_path, monkeypatch):
    """A scenario naming a network file by a path relative to itself: the run stores the
    file's sha256 and text; after the file changed, resuming the interrupted run is refused."""
    import dataclasses
    import hashlib

    from abm import TumorModel as Model
    from abm import load_run, resume_run, run_scenario
    from abm.schema import load_config

    net_file = tmp_path / "nets" / "gg.toml"
    net_file.parent.mkdir()
    definition = intracellular.get_network("gerard_goldbeter2011").definition
    intracellular.save_definition(dataclasses.replace(definition, name="gg_file"), net_file)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[run]\ndays = 0.1\n[grid]\nnx = 40\nny = 40\n[tumor]\nradius_um = 60.0\n'
        '[output]\nframe_every_min = 30.0\ncheckpoint_every_min = 30.0\nfigure = false\n'
        '[intracellular]\nnetwork = "nets/gg.toml"\n'
        'inputs = { GF = { source = "oxygen", half = 1.0 } }\nobservables = { e2f = "Mb" }\n'
        '[fate]\ncommit = "rise"\ncommit_ef = 1.0\n')
    config = load_config(scenario)
    assert config.intracellular.network == str(net_file)

    class Interrupt(Exception):
        pass

    class StopAt:
        def on_step(self, model):
            if model.step_index == 7:  # after the checkpoint at step 5
                raise Interrupt

    original_init = Model.__init__

    def init_with_stop(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.observers.append(StopAt())

    monkeypatch.setattr(Model, "__init__", init_with_stop)
    with pytest.raises(Interrupt):
        run_scenario(config, tmp_path / "cut.h5", progress=False)
    monkeypatch.undo()
    text = net_file.read_text()
    with load_run(tmp_path / "cut.h5") as run:
        assert run.attrs["network_sha256"] == hashlib.sha256(net_file.read_bytes()).hexdigest()
        assert run.attrs["network_text"] == text and run.attrs["network_file"] == str(net_file)
    net_file.write_text(text + "\n# edited\n")
    with pytest.raises(ConfigError, match="has changed since the run started"):
        resume_run(tmp_path / "cut.h5", progress=False)


def test_a_checkpoint_without_the_rearmed_column_is_refused():
    """A cell table restored from a checkpoint of an older version (one fate column fewer)
    stops the run with one message instead of reading past the rows."""
    from abm.errors import RunFileError

    model = TumorModel(_config({}), seed=1)
    model.cells.state = np.ascontiguousarray(model.cells.state[:, :-1])
    with pytest.raises(RunFileError, match="rearmed"):
        model.step()
