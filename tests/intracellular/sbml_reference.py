"""Independent references for SBML import: a Definition evaluated with SymPy + SciPy, and libRoadRunner.

- :func:`evaluate`: the trajectory of a :class:`Definition` by ``scipy.integrate.solve_ivp``
  (Radau, rtol 1e-10, atol 1e-12, finite-difference Jacobian: an analytic one can be infinite
where the rates are finite, e.g. √x at 0) on the SymPy form of its expression strings (not the
  project's code generator), events by solve_ivp event functions and a restart after each.
- :func:`roadrunner_run`: the same SBML document in libRoadRunner at the same tolerances.
- :func:`agreement`: the issue's criterion, max |ours − rr| / (range of the species over the
  run, or its max |value| if constant), per column.
"""
from __future__ import annotations

import numpy as np
import sympy
from scipy.integrate import solve_ivp

RTOL, ATOL = 1e-10, 1e-12
T_END, N_POINTS = 200.0, 2001
"""The issue's comparison: 200 model time units, roadrunner's default 2001 output points."""


def _sympy(definition):
    """Symbols, and rates / expressions / events in SymPy with the expressions substituted
    and the parameters and inputs replaced by their values."""
    names = (list(definition.species) + [p.name for p in definition.parameters]
             + [i.name for i in definition.inputs] + list(definition.expressions))
    symbols = {n: sympy.Symbol(n, real=True) for n in names}
    env = {**symbols, "min": sympy.Min, "max": sympy.Max, "abs": sympy.Abs, "ln": sympy.log}
    values = {symbols[p.name]: p.value for p in definition.parameters}
    values.update({symbols[i.name]: i.default for i in definition.inputs})

    def parse(text):
        return sympy.sympify(text, locals=env).xreplace(values)
    expressions = {}
    for name, text in definition.expressions.items():
        expressions[symbols[name]] = parse(text).xreplace(expressions)

    def full(text):
        return parse(text).xreplace(expressions)
    rates = [full(definition.rates.get(s, "0")) for s in definition.species]
    events = [(full(e.trigger), {definition.species.index(k): full(v)
                                 for k, v in e.assignments.items()}, e.initial_value)
              for e in definition.events]
    return [symbols[s] for s in definition.species], rates, expressions, events


def _root(condition):
    """A continuous function that is > 0 exactly where ``condition`` holds."""
    if condition in (sympy.true, True):
        return sympy.Integer(1)
    if condition in (sympy.false, False):
        return sympy.Integer(-1)
    if isinstance(condition, (sympy.StrictGreaterThan, sympy.GreaterThan)):
        return condition.lhs - condition.rhs
    if isinstance(condition, (sympy.StrictLessThan, sympy.LessThan)):
        return condition.rhs - condition.lhs
    if isinstance(condition, sympy.And):
        return sympy.Min(*[_root(a) for a in condition.args])
    if isinstance(condition, sympy.Or):
        return sympy.Max(*[_root(a) for a in condition.args])
    if isinstance(condition, sympy.Not):
        return -_root(condition.args[0])
    # an equality (Eq/Ne) has no sign change to locate: the evaluator refuses such a trigger
    raise ValueError(f"reference evaluator: trigger {condition} must be a comparison "
                     "(<, <=, >, >=) or And/Or/Not of comparisons")


def evaluate(definition, t_end: float = T_END, n_points: int = N_POINTS):
    """``times`` and name → trajectory (species and expressions) of ``definition``."""
    ys, rates, expressions, events = _sympy(definition)
    f = sympy.lambdify([ys], rates, "numpy")
    roots = [sympy.lambdify([ys], _root(trigger), "numpy") for trigger, _, _ in events]
    holds = [sympy.lambdify([ys], trigger, "numpy") for trigger, _, _ in events]
    resets = [{j: sympy.lambdify([ys], v, "numpy") for j, v in assign.items()}
              for _, assign, _ in events]
    def event_function(g, direction):
        def event(t, y):
            return float(g(y))
        event.terminal, event.direction = True, direction
        return event

    def fire(y, which):
        for k in which:  # in definition order, each on the state just before it fires
            values = {j: float(r(y)) for j, r in resets[k].items()}
            y = y.copy()
            y[list(values)] = list(values.values())
        return y

    def cascade(y, fired):
        """Fire ``fired``, then every event whose trigger the firing turned true, and so on."""
        for _ in range(100):
            if not fired:
                return y
            before = [bool(h(y)) for h in holds]
            y = fire(y, fired)
            fired = [k for k, h in enumerate(holds) if not before[k] and bool(h(y))]
        raise RuntimeError("reference evaluator: events keep triggering each other")

    times = np.linspace(0.0, t_end, n_points)
    y = np.array([definition.y0.get(s, 0.0) for s in definition.species], dtype=float)
    y = cascade(y, [k for k, (_, _, initial) in enumerate(events)
                    if not initial and bool(holds[k](y))])
    out, t, stalled = [], 0.0, set()
    armed = [not bool(h(y)) for h in holds]
    while True:
        # a false trigger (armed) is watched for turning true (it fires); a true one for
        # turning false (it re-arms)
        active = [k for k in range(len(events)) if k not in stalled]
        # scipy's finite-difference Jacobian grows its step for a column f does not depend
        # on (time_, a counter) until the factor overflows: harmless, so not an error here
        with np.errstate(over="ignore"):
            sol = solve_ivp(lambda _t, v: np.asarray(f(v), dtype=float).ravel(), (t, t_end),
                            y, method="Radau", rtol=RTOL, atol=ATOL, dense_output=True,
                            events=[event_function(roots[k], 1.0 if armed[k] else -1.0)
                                    for k in active] or None)
        if sol.status < 0:
            raise RuntimeError(f"reference evaluator: {sol.message}")
        crossed = [active[i] for i, te in enumerate(sol.t_events or []) if te.size]
        if sol.status == 1 and sol.t[-1] == t:  # a root function that stays 0: no crossing
            stalled.update(crossed)
            continue
        stalled = set()
        inside = times[(times >= t) & (times <= sol.t[-1])]
        out.append((inside, sol.sol(inside) if inside.size else np.empty((y.size, 0))))
        if sol.status == 0:
            break
        t = sol.t[-1]
        fired = [k for k in crossed if armed[k]]
        y = cascade(sol.y[:, -1].copy(), fired)
        # at its own root a trigger's value is ambiguous: one that crossed down is re-armed,
        # one that fired is re-armed only if its assignments took it clearly below its root;
        # the others are judged on the state (away from their roots)
        tiny = 1e-9 * max(1.0, float(np.max(np.abs(y))))
        armed = [True if k in crossed and k not in fired
                 else bool(roots[k](y) < -tiny) if k in fired else not bool(h(y))
                 for k, h in enumerate(holds)]
        times = times[times > t]
    states = np.concatenate([block for _, block in out], axis=1)
    result = {s: states[j] for j, s in enumerate(definition.species)}
    for symbol, expr in expressions.items():
        values = sympy.lambdify([ys], expr, "numpy")(states)
        result[str(symbol)] = np.broadcast_to(np.asarray(values, dtype=float),
                                              states.shape[1:]).copy()
    return np.concatenate([ts for ts, _ in out]), result


def roadrunner_run(sbml: str, t_end: float = T_END, n_points: int = N_POINTS):
    """``times`` and id → trajectory from libRoadRunner: species as concentrations (amounts
    if ``hasOnlySubstanceUnits``), and non-constant parameters and compartments."""
    import libsbml
    import roadrunner
    doc = libsbml.readSBMLFromString(sbml)  # keep the document alive while its model is used
    model = doc.getModel()
    columns = {s.getId(): (s.getId() if s.getHasOnlySubstanceUnits() else f"[{s.getId()}]")
               for s in model.getListOfSpecies()}
    columns.update({p.getId(): p.getId() for p in list(model.getListOfParameters())
                    + list(model.getListOfCompartments()) if not p.getConstant()})
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.timeCourseSelections = ["time"] + list(columns.values())
    result = rr.simulate(0.0, t_end, n_points)
    return result[:, 0], {sid: result[:, k + 1] for k, sid in enumerate(columns)}


def agreement(ours: dict, theirs: dict) -> dict[str, float]:
    """Column → max |ours − theirs| / scale (range over the run, or max |value| if constant:
    range ≤ 1e-9 × max |value|, or 1 if identically 0) for every column in both."""
    errors = {}
    for name in sorted(set(ours) & set(theirs)):
        ref = theirs[name]
        size = np.max(np.abs(ref))
        # constant up to rounding (a conserved sum varies by ~1e-15): the max |value|
        scale = np.ptp(ref) if np.ptp(ref) > 1e-9 * size else (size or 1.0)
        errors[name] = float(np.max(np.abs(ours[name] - ref)) / scale)
    return errors
