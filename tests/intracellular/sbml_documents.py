"""Small SBML documents built with python-libsbml for the SBML tests (no files from outside the repo).

:class:`Doc` wraps an ``SBMLDocument``: one call per element, math in libsbml's L3 infix
syntax (``parseL3Formula``: ``^`` power, ``&&``, ``piecewise(v, c, otherwise)``, ``time``,
``ln``), and :meth:`Doc.write` saves it. The functions at the end build the whole models the
tests use (a Tyson-like 2-variable oscillator, a Goldbeter-like mitotic oscillator).
"""
from __future__ import annotations

from pathlib import Path

import libsbml


def _ok(status, what):
    if status != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"test document: {what}: {libsbml.OperationReturnValue_toString(status)}")


def math(formula: str):
    node = libsbml.parseL3Formula(formula)
    if node is None:
        raise ValueError(f"test document: {formula!r}: {libsbml.getLastParseL3Error()}")
    return node


class Doc:
    """An SBML document under construction (Level/Version as given; one compartment ``c`` of
    size ``size`` unless ``compartment=None``)."""

    def __init__(self, level=3, version=2, model_id="test_model", size=1.0,
                 compartment="c", namespaces=None):
        self.doc = libsbml.SBMLDocument(namespaces) if namespaces else \
            libsbml.SBMLDocument(level, version)
        self.level = self.doc.getLevel()
        self.model = self.doc.createModel()
        self.model.setId(model_id)
        if compartment:
            self.compartment(compartment, size)

    def compartment(self, cid, size=1.0, constant=True):
        c = self.model.createCompartment()
        c.setId(cid), c.setConstant(constant)
        if size is not None:
            c.setSize(size)
        if self.level > 2:
            c.setSpatialDimensions(3)
        return c

    def species(self, sid, conc=None, amount=None, compartment="c", boundary=False,
                constant=False, only_substance=False):
        s = self.model.createSpecies()
        s.setId(sid), s.setCompartment(compartment), s.setBoundaryCondition(boundary)
        s.setConstant(constant), s.setHasOnlySubstanceUnits(only_substance)
        if conc is not None:
            s.setInitialConcentration(conc)
        if amount is not None:
            s.setInitialAmount(amount)
        return s

    def parameter(self, pid, value=None, constant=True, units=None):
        p = self.model.createParameter()
        p.setId(pid), p.setConstant(constant)
        if value is not None:
            p.setValue(value)
        if units:
            p.setUnits(units)
        return p

    def reaction(self, rid, formula, reactants=(), products=(), local=None, fast=None,
                 modifiers=()):
        """``reactants``/``products``: species ids or (id, stoichiometry) pairs."""
        r = self.model.createReaction()
        r.setId(rid), r.setReversible(False)
        if self.level > 2 and self.doc.getVersion() == 1:
            r.setFast(bool(fast))
        elif fast is not None:
            r.setFast(fast)
        for refs, create in ((reactants, r.createReactant), (products, r.createProduct)):
            for ref in refs:
                sid, n = (ref, 1.0) if isinstance(ref, str) else ref
                sr = create()
                sr.setSpecies(sid), sr.setStoichiometry(n)
                if self.level > 2:
                    sr.setConstant(True)
        for sid in modifiers:
            r.createModifier().setSpecies(sid)
        law = r.createKineticLaw()
        for pid, value in (local or {}).items():
            p = law.createLocalParameter() if self.level > 2 else law.createParameter()
            p.setId(pid), p.setValue(value)
        _ok(law.setMath(math(formula)), f"kinetic law of {rid}")
        return r

    def function(self, fid, args, body):
        f = self.model.createFunctionDefinition()
        f.setId(fid)
        _ok(f.setMath(math(f"lambda({', '.join(list(args) + [body])})")), f"function {fid}")

    def assignment(self, variable, formula):
        rule = self.model.createAssignmentRule()
        rule.setVariable(variable), rule.setMath(math(formula))

    def rate(self, variable, formula):
        rule = self.model.createRateRule()
        rule.setVariable(variable), rule.setMath(math(formula))

    def initial(self, symbol, formula):
        a = self.model.createInitialAssignment()
        a.setSymbol(symbol), a.setMath(math(formula))

    def algebraic(self, formula):
        self.model.createAlgebraicRule().setMath(math(formula))

    def event(self, eid, trigger, assignments, initial_value=True, delay=None, priority=None):
        e = self.model.createEvent()
        e.setId(eid)
        if self.level > 2:
            e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setMath(math(trigger))
        if self.level > 2:
            t.setInitialValue(initial_value), t.setPersistent(True)
        for variable, formula in assignments.items():
            a = e.createEventAssignment()
            a.setVariable(variable), a.setMath(math(formula))
        if delay is not None:
            e.createDelay().setMath(math(delay))
        if priority is not None:
            e.createPriority().setMath(math(priority))
        return e

    def unit(self, uid, *units):
        """A unit definition: ``units`` are (kind name, exponent, scale, multiplier)."""
        d = self.model.createUnitDefinition()
        d.setId(uid)
        for kind, exponent, scale, multiplier in units:
            u = d.createUnit()
            u.setKind(libsbml.UnitKind_forName(kind)), u.setExponent(exponent)
            u.setScale(scale), u.setMultiplier(multiplier)

    def text(self) -> str:
        return libsbml.writeSBMLToString(self.doc)

    def write(self, directory, name="model.xml") -> Path:
        path = Path(directory) / name
        path.write_text(self.text(), encoding="utf-8")
        return path


def tyson_like() -> Doc:
    """A 2-variable relaxation oscillator in the form of Tyson's cdc2–cyclin reduction
    (Tyson 1991, PNAS 88:7328, u = active MPF, v = total cyclin): mass-action reactions plus an
    autocatalytic term, α = k4'/k4 as an assignment rule."""
    d = Doc(model_id="tyson_like")
    d.species("u", conc=0.0), d.species("v", conc=0.0)
    for pid, value in (("kappa", 0.015), ("k6", 1.0), ("k4", 180.0), ("k4prime", 0.018)):
        d.parameter(pid, value)
    d.parameter("alpha", constant=False)
    d.assignment("alpha", "k4prime / k4")
    d.reaction("activation", "c * k4 * (v - u) * (alpha + u^2)", products=["u"],
               modifiers=["v"])
    d.reaction("degradation", "c * k6 * u", reactants=["u"])
    d.rate("v", "kappa - k6 * u")  # total cyclin: synthesis − degradation (a rate rule)
    return d


def goldbeter_like() -> Doc:
    """Goldbeter's minimal mitotic oscillator (Goldbeter 1991, PNAS 88:9107): cyclin C,
    active cdc2 fraction M, active protease fraction X; Michaelis–Menten conversions written
    with function definitions, rate rules for the fractions."""
    d = Doc(model_id="goldbeter_like")
    d.species("C", conc=0.01), d.species("M", conc=0.01), d.species("X", conc=0.01)
    values = {"vi": 0.025, "vd": 0.25, "Kd": 0.02, "kd": 0.01, "Kc": 0.5, "VM1": 3.0,
              "V2": 1.5, "VM3": 1.0, "V4": 0.5, "K1": 0.005, "K2": 0.005, "K3": 0.005,
              "K4": 0.005}
    for pid, value in values.items():
        d.parameter(pid, value)
    d.function("mm", ["V", "S", "K"], "V * S / (K + S)")
    d.function("up", ["V", "f", "K"], "mm(V, 1 - f, K)")
    d.reaction("synth", "c * vi", products=["C"])
    d.reaction("deg", "c * (mm(vd * X, C, Kd) + kd * C)", reactants=["C"], modifiers=["X"])
    d.rate("M", "up(VM1 * C / (Kc + C), M, K1) - mm(V2, M, K2)")
    d.rate("X", "up(VM3 * M, X, K3) - mm(V4, X, K4)")
    return d
