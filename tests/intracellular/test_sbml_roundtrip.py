"""SBML export: import → export → import gives an equal Definition; the exported file is valid
SBML that libRoadRunner runs to the same trajectories; and, once the code generator exists,
the compiled network agrees with libRoadRunner through ``intracellular.simulate``."""
import dataclasses

import numpy as np
import pytest

pytest.importorskip("roadrunner")

from intracellular.definition import Definition, Event  # noqa: E402
from intracellular.network import Input, Parameter  # noqa: E402
from intracellular.sbml import read_sbml, save_sbml, sbml_string  # noqa: E402
from intracellular.sbml_math import canonical  # noqa: E402
from tests.intracellular import sbml_documents as docs  # noqa: E402
from tests.intracellular.sbml_reference import agreement, evaluate, roadrunner_run  # noqa: E402


def combined() -> docs.Doc:
    """Most supported elements at once: compartment size, local parameters, functions,
    initial assignments, assignment and rate rules, events, time, a time unit."""
    d = docs.goldbeter_like()
    d.unit("minute", ("second", 1, 0, 60.0))
    d.model.setTimeUnits("minute")
    d.parameter("GF", 0.7), d.parameter("pulse", 0.0, constant=False)
    d.parameter("total", constant=False)
    d.assignment("total", "C + M + X")
    d.initial("vi", "0.05 * GF / 1.4")
    d.species("R", conc=0.0)
    d.reaction("Rsyn", "c * kR * GF * piecewise(1, time < 100, 0.5)", products=["R"],
               local={"kR": 0.03})
    d.reaction("Rdeg", "c * kR * R", reactants=["R"], local={"kR": 0.02})
    d.event("flash", "total > 1.2", {"pulse": "pulse + 1", "R": "R / 2"}, initial_value=False)
    return d


def test_round_trip_gives_an_equal_definition(tmp_path):
    first = read_sbml(combined().write(tmp_path, "combined.xml"), inputs=("GF",))
    path = save_sbml(first, tmp_path / "exported.xml")
    second = read_sbml(path)
    assert second == first
    assert first.time_unit_h == 1 / 60 and [i.name for i in first.inputs] == ["GF"]


def test_exported_file_runs_in_roadrunner_like_the_original(tmp_path):
    original = combined()
    definition = read_sbml(original.write(tmp_path, "combined.xml"))
    _, ours = evaluate(definition)
    _, theirs = roadrunner_run(original.text())
    assert max(agreement(ours, theirs).values()) <= 1e-3
    _, exported = roadrunner_run(sbml_string(definition))
    assert max(agreement(ours, exported).values()) <= 1e-3


def test_a_handwritten_definition_round_trips_to_its_canonical_form(tmp_path):
    written = Definition(
        name="toy", doc="a toy network", species=("x", "y"),
        parameters=(Parameter("k", 0.3, "1/h", "design choice", 0.0, 10.0),),
        inputs=(Input("O2", 0.2, "mmHg", "oxygen"),),
        rates={"x": "k*O2 - x*y", "y": "Piecewise((x - y, x > 1), (-y, True))"},
        y0={"x": 0.1, "y": 0.0}, expressions={"s": "x + y"},
        events=(Event("s > 2", {"x": "x/2"}, initial_value=False, name="halve"),),
        time_unit_h=0.25, presets={"fast": {"k": 1.0}}, observables={"e2f": "x"},
        division_reset={"y": "y/2"}, readouts={"energy": "s"}, species_units={"x": "µM"})
    back = read_sbml(save_sbml(written, tmp_path / "toy.xml"))
    expected = dataclasses.replace(
        written, rates={k: canonical(v) for k, v in written.rates.items()},
        expressions={"s": canonical("x + y")},
        events=(dataclasses.replace(written.events[0], trigger=canonical("s > 2"),
                                    assignments={"x": canonical("x/2")}),))
    assert back == expected


def test_export_refuses_to_overwrite_and_networks_without_definition(tmp_path):
    definition = read_sbml(docs.tyson_like().write(tmp_path))
    target = save_sbml(definition, tmp_path / "out.xml")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_sbml(definition, target)
    save_sbml(definition, target, overwrite=True)
    from intracellular import get_network
    handwritten = dataclasses.replace(get_network("dormancy"), definition=None)
    with pytest.raises(ValueError, match="'dormancy' has no definition"):
        save_sbml(handwritten, tmp_path / "dormancy.xml")


def test_compiled_network_agrees_with_roadrunner(tmp_path):
    pytest.importorskip("intracellular.compile")
    from intracellular import simulate
    from intracellular.sbml import load_sbml
    for doc in (docs.tyson_like(), docs.goldbeter_like(), combined()):
        network = load_sbml(doc.write(tmp_path, f"{doc.model.getId()}.xml"))
        _, ours = simulate(network, model_time=200.0, n_points=2001, rtol=1e-10, atol=1e-12)
        _, theirs = roadrunner_run(doc.text())
        errors = agreement(ours, theirs)
        assert errors and max(errors.values()) <= 1e-3, (doc.model.getId(), errors)
        np.testing.assert_equal(sorted(ours), sorted(network.species))


@pytest.mark.parametrize("name", ["dormancy", "yao2008", "alarcon2004", "gerard_goldbeter2011"])
def test_shipped_networks_export_to_sbml_that_roadrunner_agrees_with(tmp_path, name):
    """Each shipped network, exported: libRoadRunner on the file agrees with the network
    (inputs at their defaults), and importing the file back gives bitwise the same run."""
    pytest.importorskip("intracellular.compile")
    from intracellular import compile_network, get_network, simulate
    network = get_network(name)
    path = save_sbml(network, tmp_path / f"{name}.xml")
    _, ours = simulate(network, model_time=200.0, n_points=2001, rtol=1e-10, atol=1e-12)
    _, theirs = roadrunner_run(path.read_text(encoding="utf-8"))
    errors = agreement(ours, theirs)
    assert len(errors) == network.n_species and max(errors.values()) <= 1e-3, errors
    _, again = simulate(compile_network(read_sbml(path)), model_time=200.0, n_points=2001,
                        rtol=1e-10, atol=1e-12)
    for species in network.species:
        np.testing.assert_array_equal(again[species], ours[species])


def test_get_network_loads_an_sbml_path_with_inputs(tmp_path):
    pytest.importorskip("intracellular.compile")
    from intracellular import get_network
    d = docs.goldbeter_like()
    d.parameter("GF", 0.4)
    d.rate("C", "vi * GF / 0.4 - mm(vd * X, C, Kd) - kd * C")
    d.model.getListOfReactions().clear()
    path = d.write(tmp_path, "gf.xml")
    network = get_network(str(path), inputs=("GF",))
    assert network.input_names == ("GF",) and network.input_vector()[0] == 0.4
    assert get_network(str(path), inputs=("GF",)) is network  # cached by content hash
