"""SBML import against libRoadRunner: each supported element alone and combined.

Truth is libRoadRunner on the same document (rtol 1e-10, atol 1e-12); the imported
Definition is evaluated independently of the project's code generator
(:mod:`tests.intracellular.sbml_reference`: SymPy + scipy Radau at the same tolerances). The
criterion is the issue's: max |ours − rr| ≤ 1e-3 × the range of each column over 200 model
time units (its max |value| if constant).
"""
import math

import numpy as np
import pytest

pytest.importorskip("libsbml")
pytest.importorskip("roadrunner")

from intracellular.network import PARAMETER_CEILING  # noqa: E402
from intracellular.sbml import read_sbml  # noqa: E402
from tests.intracellular import sbml_documents as docs  # noqa: E402
from tests.intracellular.sbml_reference import agreement, evaluate, roadrunner_run  # noqa: E402

CRITERION = 1e-3
"""The issue's agreement criterion (fraction of each species' range)."""


def check_against_roadrunner(doc, tmp_path, **kwargs):
    """Import ``doc``, evaluate it, compare every roadrunner column; returns the Definition."""
    path = doc.write(tmp_path)
    definition = read_sbml(path, **kwargs)
    times, ours = evaluate(definition)
    rr_times, theirs = roadrunner_run(doc.text())
    np.testing.assert_allclose(times, rr_times)
    missing = set(theirs) - set(ours) - {i.name for i in definition.inputs}
    assert not missing, f"roadrunner columns not in the import: {missing}"
    errors = agreement(ours, theirs)
    assert max(errors.values()) <= CRITERION, errors
    return definition


def mass_action(**kwargs):
    d = docs.Doc(size=kwargs.pop("size", 1.0), **kwargs)
    d.parameter("k1", 0.3), d.parameter("k2", 0.1)
    return d


def test_concentrations_in_a_compartment_of_size_2(tmp_path):
    d = mass_action(size=2.0)
    d.species("A", amount=4.0), d.species("B", conc=0.5)  # A: 2 (concentration)
    d.reaction("R1", "k1 * A * c", reactants=["A"], products=["B"])
    d.reaction("R2", "k2 * B * c", reactants=["B"])
    definition = check_against_roadrunner(d, tmp_path)
    assert definition.y0["A"] == 2.0 and definition.y0["B"] == 0.5


def test_species_with_only_substance_units_are_amounts(tmp_path):
    d = mass_action(size=3.0)
    d.species("A", amount=6.0, only_substance=True), d.species("B", conc=1.0)
    d.reaction("R1", "k1 * A", reactants=["A"], products=["B"])
    definition = check_against_roadrunner(d, tmp_path)
    assert definition.y0["A"] == 6.0


def test_boundary_and_constant_species_and_stoichiometry(tmp_path):
    d = mass_action()
    d.species("S", conc=2.0, boundary=True), d.species("E", conc=0.5, constant=True)
    d.species("P", conc=0.0)
    d.reaction("R1", "k1 * S * E", reactants=[("S", 1.0)], products=[("P", 2.0)],
               modifiers=["E"])
    d.reaction("R2", "k2 * P^2", reactants=[("P", 2.0)], products=[("S", 1.0)])
    definition = check_against_roadrunner(d, tmp_path)
    assert "S" not in definition.rates and "E" not in definition.rates


def test_local_parameters_are_renamed_beside_a_global_of_the_same_id(tmp_path):
    d = mass_action()
    d.parameter("k", 5.0)
    d.species("A", conc=1.0), d.species("B", conc=0.0)
    d.reaction("R1", "k * A", reactants=["A"], products=["B"], local={"k": 0.2})
    d.reaction("R2", "k * B / (k + 100)", reactants=["B"])  # the global k
    definition = check_against_roadrunner(d, tmp_path)
    values = {p.name: p.value for p in definition.parameters}
    assert values["R1_k"] == 0.2 and values["k"] == 5.0


def test_function_definitions_nested_are_inlined(tmp_path):
    d = mass_action()
    d.function("hill", ["x", "K", "n"], "x^n / (K^n + x^n)")
    d.function("act", ["V", "x"], "V * hill(x, 0.5, 2)")
    d.species("A", conc=1.0), d.species("B", conc=0.1)
    d.reaction("R1", "act(k1, A) * c", reactants=["A"], products=["B"])
    d.reaction("R2", "k2 * B * c", reactants=["B"], products=["A"])
    check_against_roadrunner(d, tmp_path)


def test_initial_assignments_and_assignment_rules_in_dependency_order(tmp_path):
    d = mass_action()
    d.species("A", conc=1.0), d.species("B", conc=0.0)
    d.parameter("total", constant=False), d.parameter("half", constant=False)
    d.parameter("kA", 1.0)
    d.assignment("half", "total / 2")  # reads a rule defined after it
    d.assignment("total", "A + B")
    d.initial("A", "3 * k1 + 1")
    d.initial("kA", "k2 * 4")
    d.reaction("R1", "kA * A * c / (1 + half)", reactants=["A"], products=["B"])
    definition = check_against_roadrunner(d, tmp_path)
    assert list(definition.expressions) == ["total", "half"]
    assert definition.y0["A"] == pytest.approx(1.9, rel=1e-15)


def test_assignment_rule_on_a_species(tmp_path):
    d = mass_action()
    d.species("A", conc=1.0), d.species("B", conc=0.0), d.species("Tot", conc=0.0)
    d.assignment("Tot", "2 * A + B")
    d.reaction("R1", "k1 * A", reactants=["A"], products=["B"])
    definition = check_against_roadrunner(d, tmp_path)
    assert "Tot" in definition.expressions and "Tot" not in definition.species


def test_rate_rules_on_species_parameters_and_compartments(tmp_path):
    d = mass_action()
    d.species("A", conc=1.0)
    d.parameter("p", 0.5, constant=False)
    d.compartment("volume_counter", 1.0, constant=False)  # holds no species
    d.rate("A", "-k1 * A + p")
    d.rate("p", "-k2 * p")
    d.rate("volume_counter", "0.01 * A")
    definition = check_against_roadrunner(d, tmp_path)
    assert {"p", "volume_counter"} <= set(definition.species)


def test_time_is_a_state_species(tmp_path):
    d = mass_action()
    d.species("A", conc=0.0)
    d.rate("A", "piecewise(1, time < 50, -0.5 * A)")
    definition = check_against_roadrunner(d, tmp_path)
    assert definition.rates["time_"] == "1" and definition.y0["time_"] == 0.0


def test_events_reset_species_and_parameters(tmp_path):
    d = mass_action()
    d.species("A", conc=0.0), d.parameter("grow", 1.0, constant=False)
    d.parameter("count", 0.0, constant=False)
    d.rate("A", "grow * 0.2 - k2 * A")
    d.event("reset", "A > 1.5", {"A": "A / 4", "count": "count + 1"})
    d.event("stop", "count >= 3", {"grow": "0.5"})
    definition = check_against_roadrunner(d, tmp_path)
    assert [e.name for e in definition.events] == ["reset", "stop"]
    assert {"grow", "count"} <= set(definition.species)


def test_event_with_initial_value_false_fires_at_time_zero(tmp_path):
    d = mass_action()
    d.species("A", conc=1.0)
    d.rate("A", "-k2 * A")
    d.event("at_start", "A > 0.5", {"A": "5"}, initial_value=False)
    definition = check_against_roadrunner(d, tmp_path)
    assert definition.events[0].initial_value is False


def test_mathml_functions(tmp_path):
    d = mass_action()
    d.parameter("a", 2.7)
    d.species("A", conc=1.0), d.species("B", conc=0.2)
    d.rate("A", "floor(a) * 0.01 + ceil(a) * 0.001 - abs(-k1) * A + root(3, B) * 0.01")
    d.rate("B", "piecewise(0.1 * exp(-B), A > 0.5 && B < 2 || !(A >= 0.1), 0.01 * ln(1 + A))"
           " + 0.001 * log(10 + A) - 0.02 * B^1.5 + 0.01 * max(A, B) - 0.01 * min(A, 0.3)"
           " + 0.001 * sin(pi * A) * exponentiale")
    check_against_roadrunner(d, tmp_path)


def test_level_2_document(tmp_path):
    d = docs.Doc(level=2, version=4)
    d.parameter("k1", 0.3)
    d.species("A", amount=1.0), d.species("B", conc=0.0)
    d.reaction("R1", "k1 * A * c", reactants=["A"], products=["B"], local={"k2": 0.1})
    d.reaction("R2", "k2 * B * c", reactants=["B"], local={"k2": 0.05})
    d.event("bump", "B > 0.4", {"A": "A + 1"})
    definition = check_against_roadrunner(d, tmp_path)
    assert definition.events[0].initial_value is True  # L2 has no initialValue: true


def test_tyson_like_oscillator(tmp_path):
    check_against_roadrunner(docs.tyson_like(), tmp_path)


def test_goldbeter_like_oscillator(tmp_path):
    check_against_roadrunner(docs.goldbeter_like(), tmp_path)


def test_inputs_replace_parameters_and_constant_species(tmp_path):
    d = mass_action()
    d.parameter("GF", 0.8)
    d.species("O2", conc=0.3, boundary=True, constant=True), d.species("A", conc=0.0)
    d.reaction("R1", "k1 * GF * O2 * c", products=["A"], modifiers=["O2"])
    d.reaction("R2", "k2 * A * c", reactants=["A"])
    definition = check_against_roadrunner(d, tmp_path, inputs=("GF", "O2"))
    assert [(i.name, i.default) for i in definition.inputs] == [("GF", 0.8), ("O2", 0.3)]
    assert "GF" not in [p.name for p in definition.parameters]
    assert "O2" not in definition.species


def test_parameters_keep_published_values_in_a_symmetric_finite_range(tmp_path):
    d = mass_action()
    d.parameter("offset", -2.5), d.parameter("huge", 3e9)
    d.species("A", conc=1.0)
    d.rate("A", "offset * 1e-9 * huge - k1 * A")
    definition = check_against_roadrunner(d, tmp_path)
    params = {p.name: p for p in definition.parameters}
    assert params["offset"].problem(-2.5) is None
    assert (params["offset"].low, params["offset"].high) == (-PARAMETER_CEILING, PARAMETER_CEILING)
    assert params["huge"].high == 3e12 and params["huge"].problem(math.inf) is not None
    assert params["offset"].source == "SBML model.xml (test_model)"


def test_ids_that_are_not_allowed_as_names_are_renamed(tmp_path):
    d = mass_action()
    d.parameter("lambda", 0.2), d.parameter("exp", 0.1)
    d.species("A", conc=1.0)
    d.rate("A", "-lambda * A + exp")
    definition = read_sbml(d.write(tmp_path))
    assert {"lambda_", "exp_"} <= {p.name for p in definition.parameters}
    times, ours = evaluate(definition)
    expected = 0.5 + 0.5 * np.exp(-0.2 * times)  # A' = −0.2 A + 0.1, A(0) = 1
    np.testing.assert_allclose(ours["A"], expected, rtol=1e-7)


def test_time_units(tmp_path):
    cases = {"minute": ((("second", 1, 0, 60.0),), 1 / 60),
             "sec": ((("second", 1, 0, 1.0),), 1 / 3600),
             "day": ((("second", 1, 0, 86400.0),), 24.0),
             "decaminute": ((("second", 1, 1, 60.0),), 1 / 6),  # 60 × 10¹ s
             "per_per_hour": ((("second", -1, 0, 1 / 3600), ("dimensionless", -1, 0, 1.0),
                               ("second", 2, 0, 1.0)), 1.0)}
    for unit_id, (units, hours) in cases.items():
        d = mass_action()
        d.unit(unit_id, *units)
        d.model.setTimeUnits(unit_id)
        assert read_sbml(d.write(tmp_path, f"{unit_id}.xml")).time_unit_h == pytest.approx(
            hours, rel=1e-15), unit_id
    base = mass_action()
    base.model.setTimeUnits("second")  # the SBML base unit itself
    assert read_sbml(base.write(tmp_path, "base.xml")).time_unit_h == 1 / 3600
    l2 = docs.Doc(level=2, version=4)
    l2.unit("time", ("second", 1, 0, 60.0))
    assert read_sbml(l2.write(tmp_path, "l2.xml")).time_unit_h == pytest.approx(1 / 60)
    assert read_sbml(mass_action().write(tmp_path, "none.xml")).time_unit_h == 1.0


def test_a_state_that_is_negative_by_nature_runs(tmp_path):
    """A membrane-potential-like parameter V(0) = −70 relaxing by the rate rule
    dV/dt = −0.1·(V + 65): V = −65 − 5·e^(−0.1·t). Parameters carried as state are signed, so
    the integrator's non-negativity guard (a blow-up detector for amounts) leaves V alone."""
    import intracellular as ic

    doc = docs.Doc()
    doc.parameter("V", -70.0, constant=False)
    doc.rate("V", "-0.1*(V + 65)")
    net = ic.load_sbml(doc.write(tmp_path))
    assert net.signed == ("V",)
    times, traj = ic.simulate(net, model_time=30.0, n_points=7, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(traj["V"], -65.0 - 5.0 * np.exp(-0.1 * times), rtol=1e-8)


def test_time_is_carried_under_a_free_name_when_time_underscore_is_taken(tmp_path):
    """A model with its own parameter ``time_`` that also reads ``csymbol time``: x' = time,
    so x = t²/2 (the clock must not clash with the parameter)."""
    import intracellular as ic

    doc = docs.Doc()
    doc.parameter("time_", 3.0)
    doc.species("x", conc=0.0)
    doc.rate("x", "time")
    net = ic.load_sbml(doc.write(tmp_path))
    times, traj = ic.simulate(net, model_time=4.0, n_points=5, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(traj["x"], times ** 2 / 2.0, rtol=1e-8, atol=1e-12)
