"""The registry (shipped, registered, files by path) and the TOML network file."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import intracellular as ic
from intracellular import registry
from intracellular.definition import Event
from intracellular.network import Input, Parameter


def _definition(name="reg_toy", **changes):
    fields = dict(name=name, doc="decay towards S", species=("A", "B"),
                  parameters=(Parameter("k", 0.5, "h⁻¹", "test", low=0.0, high=10.0),),
                  inputs=(Input("S", 1.0, "", "target"),), expressions={"gap": "S - A"},
                  rates={"A": "k*gap", "B": "A - B"}, y0={"A": 0.1},
                  events=(Event("A > 0.9", {"B": "0.0"}, initial_value=False, name="cap"),),
                  time_unit_h=0.5, species_units={"A": "µM"}, presets={"fast": {"k": 2.0}},
                  observables={"level": "A"}, division_reset={"A": "0.5*A"},
                  readouts={"gap": "gap"})
    fields.update(changes)
    return ic.Definition(**fields)


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTERED", {})
    monkeypatch.setattr(registry, "_FILES", {})


def test_register_adds_a_network_and_refuses_a_clash(clean_registry):
    net = ic.register(_definition())
    assert ic.get_network("reg_toy") is net
    assert ic.networks()[:4] == ["dormancy", "yao2008", "alarcon2004", "gerard_goldbeter2011"]
    assert "reg_toy" in ic.networks()
    with pytest.raises(ValueError, match="registered network is already called 'reg_toy'"):
        ic.register(_definition())
    with pytest.raises(ValueError, match="shipped network is already called 'dormancy'"):
        ic.register(_definition(name="dormancy"))
    other = ic.register(_definition(rates={"A": "2.0*k*gap", "B": "A - B"}), replace=True)
    assert ic.get_network("reg_toy") is other


def test_unknown_names_and_bad_paths_have_clear_messages(tmp_path, clean_registry):
    with pytest.raises(ValueError, match="unknown network 'dormancyy'; did you mean 'dormancy'"):
        ic.get_network("dormancyy")
    with pytest.raises(ValueError, match="cannot be read"):
        ic.get_network(str(tmp_path / "missing.toml"))
    bad = tmp_path / "net.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match=r"unknown suffix '\.json'; allowed: \.xml, \.sbml, \.toml"):
        ic.get_network(str(bad))


def test_toml_round_trip_gives_the_same_definition_and_trajectory(tmp_path, clean_registry):
    d = _definition()
    path = tmp_path / "toy.toml"
    ic.save_definition(d, path)
    assert ic.load_definition(path) == d
    loaded = ic.get_network(str(path))
    assert ic.get_network(str(path)) is loaded  # memoised by content
    direct = ic.compile_network(d)
    _, a = ic.simulate(direct, 5.0)
    _, b = ic.simulate(loaded, 5.0)
    for s in d.species:
        np.testing.assert_array_equal(a[s], b[s])


def test_the_shipped_definitions_round_trip(tmp_path):
    for name in ("dormancy", "alarcon2004"):
        d = ic.get_network(name).definition
        ic.save_definition(d, tmp_path / f"{name}.toml")
        assert ic.load_definition(tmp_path / f"{name}.toml") == d


@pytest.mark.parametrize("text,message", [
    ('species = ["A"]\n[rates]\nA = "-A"\n', "name = None: is required"),
    ('name = "x"\nspecies = ["A"]\ncolour = 3\n[rates]\nA = "-A"\n',
     "colour = 3: unknown key; allowed: name, doc"),
    ('name = "x"\nspecies = ["A"]\n[rates]\nA = 2\n', "rates.A = 2: must be a string"),
    ('name = "x"\nspecies = ["A"]\n[rates]\nA = "-k*A"\n[[parameters]]\nname = "k"\n'
     'value = "fast"\n', "parameters[0].value = 'fast': must be a number"),
    ('name = "x"\nspecies = ["A"]\n[rates]\nA = "-k*A"\n[[parameters]]\nname = "k"\n'
     'value = -1.0\n', "parameters[0].value = -1.0: must be a finite value in [0, 1e+06]"),
    ('name = "x"\nspecies = ["A"]\ntime_unit_h = 0\n[rates]\nA = "-A"\n',
     "time_unit_h = 0.0: must be a finite number of hours > 0"),
    ('name = "x"\nspecies = ["A"\n', "not valid TOML"),
])
def test_bad_network_files_name_the_file_the_key_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        ic.load_definition(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_sbml_paths_go_to_load_sbml_with_options(tmp_path, monkeypatch, clean_registry):
    calls = []
    fake = types.ModuleType("intracellular.sbml")
    fake.load_sbml = lambda path, **options: calls.append((path, options)) or ic.compile_network(
        _definition(name="from_sbml"))
    monkeypatch.setitem(sys.modules, "intracellular.sbml", fake)
    path = tmp_path / "m.xml"
    path.write_text("<sbml/>")
    net = ic.get_network(str(path), inputs=("S",))
    assert net.name == "from_sbml" and ic.get_network(str(path), inputs=("S",)) is net
    assert calls == [(path, {"inputs": ("S",)})]


def test_file_options_on_a_shipped_network_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"options \['inputs'\] apply to network files"):
        ic.get_network("dormancy", inputs=("GF",))
