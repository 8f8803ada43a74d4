"""SBML (Level 2 and 3 core, python-libsbml) → :class:`~intracellular.definition.Definition`: :func:`read_sbml`.

Semantics follow libRoadRunner's defaults, so that a trajectory can be compared column by
column: a species' value is its concentration (amount / compartment size), or its amount if
``hasOnlySubstanceUnits``; a reaction changes each non-boundary species by
stoichiometry × rate (a substance per time), divided by the compartment size for a
concentration. What the importer does with each element:

- compartments (constant sizes), global parameters → parameters (named by their ids; ids
  that are Python keywords or function names get a ``_`` appended); kinetic-law local
  parameters → parameters ``<reaction>_<id>``;
- function definitions → inlined; initial assignments → evaluated into initial values;
- assignment rules → :attr:`Definition.expressions` (in dependency order); rate rules, and
  parameters targeted by events → state species; ``csymbol time`` → the species ``time_``
  with rate 1;
- events (trigger, assignments, L3 ``initialValue``) → :class:`Event`.

Anything else with an effect on the dynamics is refused with an :class:`SBMLError` naming
the element (kind and id) and the file (the list is in ``docs/sbml.md``).

Ranges of imported parameters (design choice): SBML says nothing about a parameter's sign
or size, so an imported parameter may take any value in ±max(:data:`PARAMETER_CEILING`,
1000 × |published value|): it never rejects the published value, allows either sign (an
offset or a signed gain is legitimate SBML), and keeps the bound finite, which
:meth:`Parameter.problem` and the overflow guard of the ceiling need.
"""
from __future__ import annotations

import math

from pathlib import Path

import libsbml
import sympy

from .definition import Definition, Event
from .network import PARAMETER_CEILING, Input, Parameter
from .sbml_math import MathError, MathReader, canonical, free_name, names_in
from .sbml_meta import read_metadata, time_unit_h

RANGE_FACTOR = 1000.0
"""Head-room of an imported parameter's range over its published |value| (module docstring)."""
TIME_SPECIES = "time_"
"""Name of the species that carries model time when the math reads ``csymbol time``."""
_PACKAGES_ALLOWED = {"layout", "render", "groups", "l3v2extendedmath"}
"""Packages that only annotate (no effect on the dynamics), and libsbml's plugin for the
MathML of L3V2 core (max, min, rateOf, ...: present in every L3V2 document; its functions
are checked one by one); any other package is refused
(``qual``, ``fbc``, ``comp``, ...; a required package libsbml does not know is an error)."""


class SBMLError(ValueError):
    """An SBML document the importer refuses: the message names the file, the element (kind
    and id) and the reason."""


def read_sbml(path, *, inputs=(), name: str | None = None) -> Definition:
    """The :class:`Definition` of the SBML model in ``path``.

    ``inputs``: ids of parameters or constant species that become the network's
    :class:`Input` (default: their value), removed from parameters/state; ``name``: the
    network's name (default: the model id, or the file's stem)."""
    return _Reader(Path(path), tuple(inputs), name).definition()


class _Reader:
    def __init__(self, path: Path, inputs: tuple[str, ...], name: str | None):
        self.path, self.file = path, path.name
        if not path.is_file():
            raise SBMLError(f"SBML file {str(path)!r} does not exist")
        doc = libsbml.readSBMLFromFile(str(path))
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
        doc.checkConsistency()
        errors = [doc.getError(i) for i in range(doc.getNumErrors())]
        errors = [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        if errors:
            raise SBMLError(f"{self.file}: invalid SBML ({len(errors)} errors); first: line "
                            f"{errors[0].getLine()}: {errors[0].getMessage().strip()}")
        self.doc, self.model = doc, doc.getModel()
        if self.model is None:
            raise SBMLError(f"{self.file}: the document has no model")
        for i in range(doc.getNumPlugins()):
            package = doc.getPlugin(i).getPackageName()
            if package not in _PACKAGES_ALLOWED:
                self.refuse("package", package, "SBML packages are not supported (core only)")
        self.meta = read_metadata(self.model)
        self.inputs = set(inputs) | set(self.meta.get("inputs", {}))
        self.name = name or self.meta.get("name") or self.model.getId() or path.stem
        self.source = f"SBML {self.file} ({self.model.getId() or 'no model id'})"

    def refuse(self, kind: str, sid: str, why: str):
        raise SBMLError(f"{self.file}: {kind} {sid!r}: {why}")

    def definition(self) -> Definition:
        m = self.model
        self._refuse_unsupported()
        self._rules()
        self._names()
        self.read = MathReader(self.names, {f.getId(): f.getMath() for f in m.getListOfFunctionDefinitions()},
                               self.time_name)
        rates = self._rates()
        expressions = self._expressions()
        events = self._events()
        if self.read.uses_time:
            self.state.append(self.time_name)
            rates[self.time_name] = "1"
        values = self._initial_values()
        return self._assemble(rates, expressions, events, values)

    # -- what is refused ---------------------------------------------------------------------
    def _refuse_unsupported(self):
        m = self.model
        if m.getNumConstraints():
            self.refuse("constraint", m.getConstraint(0).getMetaId() or "#1",
                        "constraints are not supported (they cannot be checked during a run)")
        for rule in m.getListOfRules():
            if rule.isAlgebraic():
                self.refuse("algebraicRule", rule.getMetaId() or rule.getVariable() or "#",
                            "algebraic rules (DAEs) are not supported")
        for r in m.getListOfReactions():
            if r.isSetFast() and r.getFast():
                self.refuse("reaction", r.getId(), "fast reactions are not supported")
            if not r.isSetKineticLaw() or not r.getKineticLaw().isSetMath():
                self.refuse("reaction", r.getId(), "a reaction without a kineticLaw has no rate")
            for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                if ref.isSetStoichiometryMath() or (m.getLevel() > 2 and not ref.getConstant()):
                    self.refuse("speciesReference", ref.getId() or ref.getSpecies(),
                                f"variable stoichiometry (in reaction {r.getId()!r}) is not supported")
                if ref.getId() and (m.getInitialAssignment(ref.getId()) or m.getRule(ref.getId())):
                    self.refuse("speciesReference", ref.getId(),
                                "stoichiometry set by a rule or initial assignment is not supported")
        for e in m.getListOfEvents():
            if e.isSetDelay():
                self.refuse("event", e.getId(), "event delays are not supported")
            if e.isSetPriority():
                self.refuse("event", e.getId(), "event priorities are not supported")
        if m.getLevel() > 2 and (m.isSetConversionFactor() or any(
                s.isSetConversionFactor() for s in m.getListOfSpecies())):
            self.refuse("model", m.getId(), "conversion factors are not supported")
        in_use = {s.getCompartment() for s in m.getListOfSpecies()}
        for c in m.getListOfCompartments():
            if not c.getConstant() and c.getId() in in_use:  # empty ones are plain variables
                self.refuse("compartment", c.getId(), "variable sizes of compartments that "
                            "hold species are not supported")

    # -- which symbol is what ----------------------------------------------------------------
    def _rules(self):
        m = self.model
        self.assigned = [r.getVariable() for r in m.getListOfRules() if r.isAssignment()]
        self.rate_ruled = {r.getVariable(): r for r in m.getListOfRules() if r.isRate()}
        self.event_targets = {a.getVariable() for e in m.getListOfEvents()
                              for a in e.getListOfEventAssignments()}

    def _names(self):
        """SBML id → name; which ids are state, expressions, parameters or inputs."""
        m, taken = self.model, set()
        self.names: dict[str, str] = {}
        for element in (list(m.getListOfSpecies()) + list(m.getListOfCompartments())
                        + list(m.getListOfParameters())):
            self.names[element.getId()] = free_name(element.getId(), taken)
            taken.add(self.names[element.getId()])
        self.local: dict[str, dict[str, str]] = {}
        for r in m.getListOfReactions():
            law = r.getKineticLaw()
            params = list(law.getListOfParameters()) + list(law.getListOfLocalParameters())
            self.local[r.getId()] = {p.getId(): free_name(f"{r.getId()}_{p.getId()}", taken)
                                     for p in params}
            taken.update(self.local[r.getId()].values())
        self.time_name = free_name(TIME_SPECIES, taken)
        unknown = sorted(self.inputs - set(self.names) - set(self.names.values()))
        if unknown:
            raise SBMLError(f"{self.file}: inputs {unknown} are not parameters or species of "
                            f"model {m.getId()!r}; known: {', '.join(self.names)}")
        self.state = [self.names[s.getId()] for s in m.getListOfSpecies()
                      if s.getId() not in self.assigned]
        self.state += [self.names[p.getId()] for p in list(m.getListOfParameters())
                       + list(m.getListOfCompartments())
                       if p.getId() in self.rate_ruled or p.getId() in self.event_targets]
        self.input_names = [n for sid, n in self.names.items()
                            if sid in self.inputs or n in self.inputs]
        for name in self.input_names:
            sid = next(s for s, n in self.names.items() if n == name)
            if sid in self.assigned or sid in self.rate_ruled or sid in self.event_targets \
                    or self._in_reactions(sid):
                self.refuse("input", sid, "an input must be constant in the model (no rule, "
                            "event or reaction changes it)")
        self.state = [s for s in self.state if s not in self.input_names]

    def _in_reactions(self, sid: str) -> bool:
        s = self.model.getSpecies(sid)
        if s is None or s.getBoundaryCondition() or s.getConstant():
            return False
        return any(r.getReactant(sid) or r.getProduct(sid) for r in self.model.getListOfReactions())

    def _math(self, kind: str, sid: str, math, local=None) -> str:
        try:
            return canonical(self.read(math, local))
        except MathError as exc:
            self.refuse(kind, sid, f"{exc} is not supported")

    # -- equations ---------------------------------------------------------------------------
    def _rates(self) -> dict[str, str]:
        m, terms = self.model, {}
        for r in m.getListOfReactions():
            rate = self._math("reaction", r.getId(), r.getKineticLaw().getMath(), self.local[r.getId()])
            for refs, sign in ((r.getListOfReactants(), -1.0), (r.getListOfProducts(), 1.0)):
                for ref in refs:
                    s = m.getSpecies(ref.getSpecies())
                    if s.getBoundaryCondition() or s.getConstant():
                        continue  # reactions do not change boundary or constant species
                    if not math.isfinite(ref.getStoichiometry()):  # L3: an unset attribute
                        self.refuse("speciesReference", f"{r.getId()}/{ref.getSpecies()}",
                                    "the stoichiometry is not set (SBML Level 3 requires it "
                                    "for a constant reference)")
                    stoich = sign * ref.getStoichiometry()  # the sign goes in as + or −
                    term = rate if abs(stoich) == 1.0 else f"({abs(stoich)!r} * {rate})"
                    if not s.getHasOnlySubstanceUnits():  # substance/time → concentration/time
                        term = f"({term} / {self.names[s.getCompartment()]})"
                    terms.setdefault(self.names[s.getId()], []).append((stoich > 0, term))
        rates = {}
        for name, parts in terms.items():
            text = parts[0][1] if parts[0][0] else f"(-{parts[0][1]})"
            for positive, term in parts[1:]:
                text = f"({text} {'+' if positive else '-'} {term})"
            rates[name] = canonical(text)
        for sid, rule in self.rate_ruled.items():
            rates[self.names[sid]] = self._math("rateRule", sid, rule.getMath())
        return rates

    def _expressions(self) -> dict[str, str]:
        """Assignment rules, ordered so that each one follows those it reads."""
        m = self.model
        texts = {self.names[sid]: self._math("assignmentRule", sid, m.getRule(sid).getMath())
                 for sid in self.assigned}
        ordered: dict[str, str] = {}
        visiting: list[str] = []

        def visit(name):
            if name in ordered:
                return
            if name in visiting:
                self.refuse("assignmentRule", name, "assignment rules form a cycle: "
                            + " → ".join(visiting[visiting.index(name):] + [name]))
            visiting.append(name)
            for dep in sorted(names_in(texts[name]) & set(texts)):
                visit(dep)
            visiting.pop()
            ordered[name] = texts[name]
        for name in texts:
            visit(name)
        return ordered

    def _events(self) -> tuple[Event, ...]:
        events = []
        for e in self.model.getListOfEvents():
            trigger = self._math("event", e.getId(), e.getTrigger().getMath())
            assignments = {}
            for a in e.getListOfEventAssignments():
                target = self.names.get(a.getVariable())
                if target not in self.state:
                    self.refuse("event", e.getId(), f"assigns {a.getVariable()!r}, which is not "
                                "a species or parameter the network can change")
                assignments[target] = self._math("event", e.getId(), a.getMath())
            initial = e.getTrigger().getInitialValue() if self.model.getLevel() > 2 else True
            events.append(Event(trigger=trigger, assignments=assignments,
                                initial_value=bool(initial), name=e.getId()))
        return tuple(events)

    # -- values at time 0 --------------------------------------------------------------------
    def _initial_values(self) -> dict[str, float]:
        """Name → value at time 0 of every species, compartment and parameter (initial
        assignments and assignment rules applied, in whatever order they depend on each other)."""
        m, known, pending = self.model, {self.time_name: 0.0}, {}
        for c in m.getListOfCompartments():
            if c.isSetSize():
                known[self.names[c.getId()]] = c.getSize()
            elif m.getLevel() == 2:
                known[self.names[c.getId()]] = 1.0  # the L2 default size
        for p in m.getListOfParameters():
            if p.isSetValue():
                known[self.names[p.getId()]] = p.getValue()
        for r in m.getListOfReactions():
            law = r.getKineticLaw()
            for p in list(law.getListOfParameters()) + list(law.getListOfLocalParameters()):
                if not p.isSetValue():
                    self.refuse("localParameter", p.getId(), f"(in reaction {r.getId()!r}) has no value")
                known[self.local[r.getId()][p.getId()]] = p.getValue()
        for s in m.getListOfSpecies():
            name, size = self.names[s.getId()], self.names[s.getCompartment()]
            amount = s.getHasOnlySubstanceUnits()
            if s.isSetInitialConcentration() and not amount:
                known[name] = s.getInitialConcentration()
            elif s.isSetInitialConcentration():
                pending[name] = f"({s.getInitialConcentration()!r} * {size})"
            elif s.isSetInitialAmount() and amount:
                known[name] = s.getInitialAmount()
            elif s.isSetInitialAmount():
                pending[name] = f"({s.getInitialAmount()!r} / {size})"
        for a in m.getListOfInitialAssignments():
            pending[self.names.get(a.getSymbol(), a.getSymbol())] = self._math(
                "initialAssignment", a.getSymbol(), a.getMath())
        for sid in self.assigned:
            pending[self.names[sid]] = self._math("assignmentRule", sid, m.getRule(sid).getMath())
        return self._solve(known, pending)

    def _solve(self, known: dict[str, float], pending: dict[str, str]) -> dict[str, float]:
        symbols = {n: sympy.Symbol(n) for n in set(known) | set(pending) | set(self.names.values())}
        env = {**symbols, "min": sympy.Min, "max": sympy.Max, "abs": sympy.Abs}
        exprs = {n: sympy.sympify(t, locals=env) for n, t in pending.items()}
        for name in pending:
            known.pop(name, None)  # an initial assignment overrides the declared value
        while exprs:
            ready = [n for n, e in exprs.items()
                     if {str(s) for s in e.free_symbols} <= set(known)]
            if not ready:
                missing = sorted({str(s) for e in exprs.values() for s in e.free_symbols} - set(known) - set(exprs))
                first = missing[0] if missing else sorted(exprs)[0]
                self.refuse("symbol", first, "has no value at time 0 (no value, no initial "
                            "assignment, or a cycle of initial assignments)")
            for n in ready:
                value = exprs.pop(n).subs({symbols[k]: v for k, v in known.items()})
                try:
                    known[n] = float(value)
                except TypeError:
                    self.refuse("symbol", n, f"its value at time 0 is not a number ({value})")
        for n, v in known.items():
            if v != v or v in (float("inf"), float("-inf")):
                self.refuse("symbol", n, f"its value at time 0 is {v!r}; values must be finite")
        return known

    # -- the definition ----------------------------------------------------------------------
    def _assemble(self, rates, expressions, events, values) -> Definition:
        m, meta = self.model, self.meta
        for name, exact in meta.get("values", {}).items():  # our export's exact values
            if name in values and abs(exact - values[name]) <= 1e-14 * abs(exact):
                values[name] = exact
        params, inputs, unit_of = [], [], {}
        for element in list(m.getListOfCompartments()) + list(m.getListOfParameters()):
            unit_of[self.names[element.getId()]] = element.getUnits()
        for r in m.getListOfReactions():
            law = r.getKineticLaw()
            for p in list(law.getListOfParameters()) + list(law.getListOfLocalParameters()):
                unit_of[self.local[r.getId()][p.getId()]] = p.getUnits()
        for s in m.getListOfSpecies():
            unit_of[self.names[s.getId()]] = s.getSubstanceUnits()
        param_meta, input_meta = meta.get("parameters", {}), meta.get("inputs", {})
        for name in self.state:
            if name not in values:
                self.refuse("species", name, "has no initial value")
        for name in unit_of:
            if name in self.state or name in expressions or name == meta.get("container"):
                continue  # the container compartment of an exported file is not a parameter
            value = values.get(name)
            if value is None:
                self.refuse("parameter", name, "has no value")
            if name in self.input_names:
                info = input_meta.get(name, {})
                inputs.append(Input(name, value, info.get("unit", unit_of[name]),
                                    info.get("doc", f"{self.source}: {name}")))
            else:
                bound = max(PARAMETER_CEILING, RANGE_FACTOR * abs(value))
                info = {"unit": unit_of[name], "source": self.source, "low": -bound,
                        "high": bound, **param_meta.get(name, {})}
                params.append(Parameter(name, value, info["unit"], info["source"],
                                        float(info["low"]), float(info["high"])))
        inputs.sort(key=lambda i: list(input_meta).index(i.name) if i.name in input_meta else -1)
        return Definition(
            name=self.name,
            doc=meta.get("doc", f"{m.getName() or m.getId()} (imported from {self.source})"),
            species=tuple(self.state), parameters=tuple(params), inputs=tuple(inputs),
            rates={s: rates[s] for s in self.state if s in rates},
            y0={s: values.get(s, 0.0) for s in self.state}, expressions=expressions,
            events=events, time_unit_h=time_unit_h(m, meta, self.refuse),
            species_units=meta.get("species_units", {}), presets=meta.get("presets", {}),
            observables=meta.get("observables", {}),
            division_reset=meta.get("division_reset", {}), readouts=meta.get("readouts", {}),
            signed=tuple(meta.get("signed", self._signed(values))))

    def _signed(self, values: dict) -> list[str]:
        """State that may go negative: what is not an SBML species (parameters and
        compartments carried as state, time) and species that start negative."""
        species = {self.names[s.getId()] for s in self.model.getListOfSpecies()}
        return [s for s in self.state if s not in species or values.get(s, 0.0) < 0.0]
