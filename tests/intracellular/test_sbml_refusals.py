"""What SBML import refuses: one SBMLError naming the element (kind and id) and the file."""
import libsbml
import pytest

from intracellular.sbml import SBMLError, read_sbml
from tests.intracellular import sbml_documents as docs


def base(**kwargs):
    d = docs.Doc(**kwargs)
    d.parameter("k", 0.5)
    d.species("A", conc=1.0), d.species("B", conc=0.0)
    return d


def refused(doc, tmp_path, *fragments, name="bad.xml", **kwargs):
    with pytest.raises(SBMLError) as info:
        read_sbml(doc.write(tmp_path, name), **kwargs)
    message = str(info.value)
    for fragment in (name,) + fragments:
        assert fragment in message, message
    return message


def test_event_delay(tmp_path):
    d = base()
    d.rate("A", "-k * A")
    d.event("later", "A < 0.5", {"B": "1"}, delay="2")
    refused(d, tmp_path, "event 'later'", "delay")


def test_event_priority(tmp_path):
    d = base()
    d.rate("A", "-k * A")
    d.event("ranked", "A < 0.5", {"B": "1"}, priority="1")
    refused(d, tmp_path, "event 'ranked'", "priorit")


def test_algebraic_rule(tmp_path):
    d = base()
    d.parameter("x", 1.0, constant=False)
    d.algebraic("x + A - 2")
    refused(d, tmp_path, "algebraicRule", "algebraic")


def test_fast_reaction(tmp_path):
    d = base(level=3, version=1)
    d.reaction("quick", "k * A * c", reactants=["A"], products=["B"], fast=True)
    refused(d, tmp_path, "reaction 'quick'", "fast")


def test_variable_compartment_holding_species(tmp_path):
    d = base(compartment=None)
    d.compartment("c", 1.0, constant=False)
    d.rate("c", "0.1")
    refused(d, tmp_path, "compartment 'c'", "variable")


def test_variable_stoichiometry_level_3(tmp_path):
    d = base()
    r = d.reaction("R1", "k * A * c", reactants=["A"], products=["B"])
    ref = r.getReactant(0)
    ref.setId("nA"), ref.setConstant(False)
    d.rate("nA", "0.1")
    refused(d, tmp_path, "speciesReference 'nA'", "stoichiometry")


def test_stoichiometry_math_level_2(tmp_path):
    d = base(level=2, version=4)
    r = d.reaction("R1", "k * A * c", reactants=["A"], products=["B"])
    r.getReactant(0).createStoichiometryMath().setMath(docs.math("2 * k"))
    refused(d, tmp_path, "speciesReference 'A'", "stoichiometry")


@pytest.mark.parametrize("formula, what", [("delay(A, 1)", "delay"), ("rateOf(B)", "rateOf"),
                                           ("factorial(3) * k", "factorial")])
def test_refused_math(tmp_path, formula, what):
    d = base()
    d.rate("A", formula)
    refused(d, tmp_path, "rateRule 'A'", what)


def test_constraint(tmp_path):
    d = base()
    c = d.model.createConstraint()
    c.setMetaId("positive"), c.setMath(docs.math("A > 0"))
    refused(d, tmp_path, "constraint 'positive'", "constraint")


def test_conversion_factor(tmp_path):
    d = base()
    d.model.setConversionFactor("k")
    refused(d, tmp_path, "model 'test_model'", "conversion factor")


def test_qual_package(tmp_path):
    namespaces = libsbml.SBMLNamespaces(3, 1, "qual", 1)
    d = docs.Doc(namespaces=namespaces)
    d.doc.setPackageRequired("qual", True)
    refused(d, tmp_path, "package 'qual'")


def test_invalid_document_gives_libsbml_message(tmp_path):
    d = base()
    d.reaction("R1", "k * A * c", reactants=["A"], products=["Nowhere"])
    refused(d, tmp_path, "invalid SBML", "Nowhere")


def test_missing_file(tmp_path):
    with pytest.raises(SBMLError, match="absent.xml.*does not exist"):
        read_sbml(tmp_path / "absent.xml")


def test_unknown_input(tmp_path):
    d = base()
    refused(d, tmp_path, "inputs ['GF']", "k", inputs=("GF",))


def test_input_changed_by_the_model(tmp_path):
    d = base()
    d.reaction("R1", "k * A * c", reactants=["A"], products=["B"])
    refused(d, tmp_path, "input 'A'", "constant", inputs=("A",))


def test_parameter_without_value(tmp_path):
    d = base()
    d.parameter("ghost")
    d.rate("A", "-ghost * A")
    refused(d, tmp_path, "'ghost'", "value")


def test_time_unit_not_in_seconds(tmp_path):
    d = base()
    d.unit("furlong", ("metre", 1, 0, 201.0))
    d.model.setTimeUnits("furlong")
    with pytest.raises(SBMLError):  # libsbml already flags a time unit that is not time
        read_sbml(d.write(tmp_path, "bad.xml"))


def test_unset_stoichiometry_level_3(tmp_path):
    """L3 has no default stoichiometry: a constant reference without one is refused (libsbml
    reports NaN; it must not reach the equations)."""
    d = base()
    r = d.model.createReaction()
    r.setId("R1")
    r.setReversible(False)
    reactant = r.createReactant()
    reactant.setSpecies("A")
    reactant.setConstant(True)
    product = r.createProduct()
    product.setSpecies("B")
    product.setConstant(True)
    product.setStoichiometry(1.0)
    r.createKineticLaw().setMath(libsbml.parseL3Formula("k * A"))
    refused(d, tmp_path, "speciesReference 'R1/A'", "stoichiometry")
