"""Module text of a network generated from its :class:`~intracellular.definition.Definition`.

:func:`module_source` writes one Python module holding

- ``rhs(y, p, u, out)`` and ``jac(y, p, u, J)``: numba ``@jit`` for ONE cell, common
  sub-expressions computed once (``sympy.cse``), J zeroed and then only its structurally
  non-zero entries written; derivatives of min/max/abs/Piecewise are explicit branches;
- ``rhs_lanes``, ``jac_lanes`` and their layout constants: the same over a block of cells
  (:mod:`intracellular.codegen_lanes`);
- ``rhs_reference(y, p, u)``: NumPy over leading axes (``y`` (..., n)), written in the
  definition's own terms (its named expressions, not CSE'd): the readable form;
- ``post_mitotic_reset(y, out)`` from ``division_reset`` (a copy when there is none);
- ``READOUTS`` (role → compiled ``f(y, p, u) -> float``) and ``READOUT_REFERENCES`` (role →
  NumPy twin over leading axes);
- ``events(y_start, y, p, u, apply) -> bool`` (the contract of
  :attr:`intracellular.network.Network.events`), or ``events = None``; and
  ``initial_events(y, p, u) -> bool`` (the ``"initial_events"`` hook the integrator's
  ``simulate`` calls at time 0) for events with ``initial_value`` False, or None.

Floats are printed with ``repr`` (they round-trip exactly); integer powers become products
(``x**3`` → ``x*x*x``; a general ``pow`` costs ~10× a multiplication), and a power whose
exponent is a parameter goes through ``_pow``, which multiplies for exponents 1, 2, 3 and 4
(the dormancy network's HIF Hill exponent nH = 3; n - 1 in its derivative).
"""
from __future__ import annotations

import keyword
import textwrap

import sympy
from sympy.printing.pycode import PythonCodePrinter

from .codegen_lanes import lane_source, split_powers
from .expressions import Parsed, derivative

MAX_PRODUCT_POWER = 8
"""Integer powers up to this are written as products (design choice: beyond it a product
chain loses its speed advantage and accuracy over ``pow``)."""
_RESERVED = {"y", "p", "u", "out", "J", "np", "math", "jit", "apply", "y_start", "nan",
             "min", "max", "abs", "float", "range", "True", "False", "None", "fired", "zero"}
"""Names the generated code uses itself (arguments, modules, builtins, its locals ``fired``
and ``zero``): a user name among them is renamed there."""


def code_names(names) -> dict[str, str]:
    """User name → name in generated code: unchanged unless it is reserved there (function
    arguments, modules, builtins) or starts with ``_`` (generated temporaries do), then
    prefixed ``v_`` (and suffixed until unique)."""
    taken, out = set(names), {}
    for name in names:
        code = name
        if name in _RESERVED or name.startswith("_") or keyword.iskeyword(name):
            code = "v_" + name.lstrip("_") or "v"
            while code in taken or code in _RESERVED:
                code += "_"
            taken.add(code)
        out[name] = code
    return out


class _ScalarPrinter(PythonCodePrinter):
    """Python for numba: floats by repr, integer powers as products, ``math`` functions."""

    def __init__(self, names: dict[str, str]):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._names = names

    def _print_Symbol(self, expr):
        return self._names.get(expr.name, expr.name)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Integer(self, expr):
        return repr(float(int(expr)))

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_Pi(self, expr):
        return "math.pi"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        b = self.parenthesize(base, 1000, strict=True)  # atoms bare, anything else in ()
        if exp.is_Integer and 0 < abs(int(exp)) <= MAX_PRODUCT_POWER:
            # an atom as a product; a compound base once, to an integer power (numba
            # multiplies for a literal integer exponent)
            power = ("*".join([b] * abs(int(exp))) if base.is_Atom
                     else f"{b}**{abs(int(exp))}")
            return f"({power})" if exp > 0 else f"(1.0/({power}))"
        if exp == sympy.Rational(1, 2):
            return f"{self._sqrt()}({self._print(base)})"
        if exp == -sympy.Rational(1, 2):
            return f"(1.0/{self._sqrt()}({self._print(base)}))"
        return self._general_pow(base, exp)

    def _sqrt(self):
        return "math.sqrt"

    def _general_pow(self, base, exp):
        if exp.is_number:
            return f"({self.parenthesize(base, 1000, strict=True)}**{self._print(exp)})"
        return f"_pow({self._print(base)}, {self._print(exp)})"

    def _print_Piecewise(self, expr):
        text = "math.nan"  # no branch holds (a Piecewise without an 'otherwise')
        for value, cond in reversed(expr.args):
            if cond == sympy.true:
                text = self._print(value)
            else:
                text = f"({self._print(value)} if {self._print(cond)} else {text})"
        return text

    def _print_Min(self, expr):
        return self._nest("min", expr.args)

    def _print_Max(self, expr):
        return self._nest("max", expr.args)

    def _nest(self, fn, args):
        text = self._print(args[-1])
        for a in reversed(args[:-1]):
            text = f"{fn}({self._print(a)}, {text})"
        return text


class _ArrayPrinter(_ScalarPrinter):
    """NumPy over arrays: elementwise min/max/where and ``np`` functions."""

    _FUNCS = {"exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
              "cosh", "tanh", "floor", "ceil"}
    _RENAME = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "ceiling": "ceil"}

    def _print_Function(self, expr):
        name = type(expr).__name__
        name = self._RENAME.get(name, name)
        if name in self._FUNCS:
            return f"np.{name}({', '.join(self._print(a) for a in expr.args)})"
        raise ValueError(f"no NumPy form for {name}")

    _print_exp = _print_log = _print_sin = _print_cos = _print_tan = _print_Function
    _print_asin = _print_acos = _print_atan = _print_sinh = _print_cosh = _print_Function
    _print_tanh = _print_floor = _print_ceiling = _print_Function

    def _print_Abs(self, expr):
        return f"np.abs({self._print(expr.args[0])})"

    def _print_Pi(self, expr):
        return "np.pi"

    def _sqrt(self):
        return "np.sqrt"

    def _general_pow(self, base, exp):
        return f"({self.parenthesize(base, 1000, strict=True)}**{self.parenthesize(exp, 1000, strict=True)})"

    def _print_Piecewise(self, expr):
        text = "np.nan"
        for value, cond in reversed(expr.args):
            text = (self._print(value) if cond == sympy.true
                    else f"np.where({self._print(cond)}, {self._print(value)}, {text})")
        return text

    def _print_Min(self, expr):
        return self._nest("np.minimum", expr.args)

    def _print_Max(self, expr):
        return self._nest("np.maximum", expr.args)

    def _print_And(self, expr):
        return self._nest("np.logical_and", expr.args)

    def _print_Or(self, expr):
        return self._nest("np.logical_or", expr.args)

    def _print_Not(self, expr):
        return f"np.logical_not({self._print(expr.args[0])})"


def _cse(exprs, printer, indent="    "):
    """Lines assigning common sub-expressions, and the printed reduced expressions."""
    temps = sympy.numbered_symbols("_t")
    replacements, reduced = sympy.cse(list(exprs), symbols=temps, order="none")
    lines = [f"{indent}{printer._print(s)} = {printer._print(v)}" for s, v in replacements]
    return lines, [printer._print(e) for e in reduced]


def _loads(parsed: Parsed, names, exprs, indent="    ", scalar=True,
           arrays=("y", "p", "u")) -> list[str]:
    """Local assignments of the species, parameters and inputs (those of ``arrays``) that
    ``exprs`` use; ``scalar``: one cell (``y[i]``), else over leading axes (``y[..., i]``)."""
    used = set().union(*[e.free_symbols for e in exprs]) if exprs else set()
    used = {s.name for s in used}
    ns = parsed.namespace
    lines = []
    for array, group in (("y", ns.species), ("p", ns.parameters), ("u", ns.inputs)):
        for i, name in enumerate(group):
            if name in used and array in arrays:
                index = f"{i}" if scalar or array == "p" else f"..., {i}"
                lines.append(f"{indent}{names[name]} = {array}[{index}]")
    return lines


def _scalar_body(parsed: Parsed, names, printer, exprs) -> tuple[list[str], list[str]]:
    """Lines of ONE cell's function body computing ``exprs`` (loads, the powers with a
    symbolic exponent, CSE'd temporaries) and the printed expressions, from the same reduced
    expressions as the lane functions (:func:`~intracellular.codegen_lanes.split_powers`)."""
    powers, reduced = split_powers(exprs)
    lines, printed = _cse(reduced, printer)
    powered = [f"    _pw{k} = {printer._print(pw)}" for k, pw in enumerate(powers)]
    return _loads(parsed, names, exprs) + powered + lines, printed


def module_source(definition, parsed: Parsed, version: int) -> str:
    """The generated module text (see the module docstring); ``version``: the generator
    version (:data:`intracellular.compile.GENERATOR_VERSION`), written in its header."""
    names = code_names(list(parsed.symbols))
    scalar, array = _ScalarPrinter(names), _ArrayPrinter(names)
    ns = parsed.namespace
    n = len(ns.species)
    # user text (names, roles) enters the module only as repr() literals: never as code
    out = [repr(f"Generated from the definition of network {definition.name!r} by "
                f"intracellular.codegen (version {version}); do not edit."),
           "import math", "", "import numpy as np", "",
           "from intracellular._numba import jit_generated as jit", "", "",
           "@jit", "def _pow(x, n):",
           '    """x**n, by products for n = 1, 2, 3, 4 (pow costs ~10x a product)."""',
           "    if n == 1.0:", "        return x",
           "    if n == 2.0:", "        return x * x", "    if n == 3.0:",
           "        return x * x * x", "    if n == 4.0:", "        return x * x * x * x",
           "    return x**n", "", ""]
    # rhs: one cell, CSE'd
    out += ["@jit", "def rhs(y, p, u, out):",
            f'    """dy/dt of ONE cell into ``out`` ({n},) (per model time unit)."""']
    lines, printed = _scalar_body(parsed, names, scalar, parsed.rates)
    out += lines + [f"    out[{i}] = {e}" for i, e in enumerate(printed)] + ["", ""]
    # jac: structurally non-zero entries only
    entries = []
    for i, rate in enumerate(parsed.rates):
        for j, s in enumerate(ns.species):
            d = derivative(rate, parsed.symbols[s])
            if d != 0:
                entries.append(((i, j), d))
    out += ["@jit", "def jac(y, p, u, J):",
            f'    """Analytic Jacobian J[i, j] = df_i/dy_j of ONE cell into ``J`` ({n}, {n})."""']
    lines, printed = _scalar_body(parsed, names, scalar, [d for _, d in entries])
    out += lines + ["    J[:, :] = 0.0"]
    out += [f"    J[{i}, {j}] = {e}" for ((i, j), _), e in zip(entries, printed)] + ["", ""]
    out += lane_source(parsed, names, scalar, _cse, entries)
    out += _reference(definition, parsed, names, array)
    out += _reset(definition, parsed, names, scalar)
    out += _readouts(definition, parsed, names, scalar, array)
    out += _events(definition, parsed, names, scalar)
    return "\n".join(out) + "\n"


def _reference(definition, parsed, names, printer) -> list[str]:
    ns = parsed.namespace
    out = ["def rhs_reference(y, p, u):",
           f'    """dy/dt of states ``y`` (..., {len(ns.species)}) with parameters ``p`` '
           f'({len(ns.parameters)},) and inputs ``u`` (..., {len(ns.inputs)}); '
           'shape of ``y`` broadcast with ``u``."""',
           "    y = np.asarray(y, dtype=np.float64)", "    u = np.asarray(u, dtype=np.float64)"]
    out += _unpack(ns, names)
    for name, value in parsed.local.items():
        out.append(f"    {names[name]} = {printer._print(value)}")
    out.append("    zero = np.zeros(np.broadcast_shapes(y.shape[:-1], u.shape[:-1]))")
    out.append("    return np.stack([")
    for s, rate in zip(ns.species, parsed.local_rates):
        out.append(f"        zero + {printer._print(rate)},  # d{s}/dt")
    return out + ["    ], axis=-1)", "", ""]


def _unpack(ns, names, indent="    ") -> list[str]:
    """Tuple unpacking of p, y, u by name (readable NumPy form)."""
    out = []
    for array, group in (("p", ns.parameters), ("y", ns.species), ("u", ns.inputs)):
        if not group:
            continue
        targets = ", ".join(names[g] for g in group) + ("," if len(group) == 1 else "")
        source = "p" if array == "p" else f"np.moveaxis({array}, -1, 0)"
        lines = textwrap.wrap(targets, 92, break_on_hyphens=False)
        if len(lines) == 1:
            out.append(f"{indent}{targets} = {source}")
        else:  # a long unpacking, wrapped in parentheses
            out += [f"{indent}({lines[0]}"] + [f"{indent} {line}" for line in lines[1:-1]]
            out.append(f"{indent} {lines[-1]}) = {source}")
    return out


def _reset(definition, parsed, names, printer) -> list[str]:
    ns = parsed.namespace
    values = [(ns.species.index(s), parsed.full(text, f"division_reset of {s}"))
              for s, text in definition.division_reset.items() if _is_species(ns, s, "division_reset")]
    out = ["@jit", "def post_mitotic_reset(y, out):",
           '    """A daughter\'s state right after division of ONE cell in state ``y`` into '
           '``out`` (may be ``y``)."""']
    lines, printed = _cse([v for _, v in values], printer)
    out += _loads(parsed, names, [v for _, v in values])
    out += lines + [f"    _r{k} = {e}" for k, e in enumerate(printed)]
    out += ["    for i in range(y.shape[0]):", "        out[i] = y[i]"]
    out += [f"    out[{i}] = _r{k}" for k, (i, _) in enumerate(values)]
    return out + ["", ""]


def _is_species(ns, name, where) -> bool:
    if name not in ns.species:
        raise ValueError(f"network {ns.network!r}: {where} names {name!r}, which is not a "
                         f"species; species: {', '.join(ns.species)}")
    return True


def _readouts(definition, parsed, names, scalar, array) -> list[str]:
    out, roles = [], []
    for k, (role, target) in enumerate(definition.readouts.items()):
        if target not in parsed.symbols:
            raise ValueError(f"network {definition.name!r}: readout {role!r} = {target!r} is "
                             "not an expression or species; expressions: "
                             f"{', '.join(definition.expressions) or 'none'}")
        value = parsed.full(target, f"readout {role}")
        lines, printed = _cse([value], scalar)
        out += ["@jit", f"def _readout{k}(y, p, u):",
                "    " + repr(f"Readout {role!r} ({target}) of ONE cell.")]
        out += _loads(parsed, names, [value]) + lines + [f"    return {printed[0]}", "", ""]
        out += [f"def _readout{k}_reference(y, p, u):",
                "    " + repr(f"Readout {role!r} ({target}) over leading axes of y and u."),
                "    y = np.asarray(y, dtype=np.float64)", "    u = np.asarray(u, dtype=np.float64)"]
        out += _loads(parsed, names, [value], scalar=False)
        out += ["    zero = np.zeros(np.broadcast_shapes(y.shape[:-1], u.shape[:-1]))",
                f"    return zero + {array._print(value)}", "", ""]
        roles.append((role, k))
    out.append("READOUTS = {" + ", ".join(f"{r!r}: _readout{k}" for r, k in roles) + "}")
    out.append("READOUT_REFERENCES = {" + ", ".join(f"{r!r}: _readout{k}_reference"
                                                    for r, k in roles) + "}")
    return out + ["", ""]


def _events(definition, parsed, names, printer) -> list[str]:
    if not definition.events:
        return ["events = None"]
    ns = parsed.namespace
    parsed_events = []
    for k, event in enumerate(definition.events):
        trigger = parsed.full(event.trigger, f"event {k + 1} trigger")
        if not isinstance(trigger, sympy.logic.boolalg.Boolean):
            raise ValueError(f"network {definition.name!r}: event {k + 1} trigger = "
                             f"{event.trigger!r}: must be a condition (a comparison, or "
                             "And/Or/Not of comparisons), not a number")
        values = [(ns.species.index(target), parsed.full(text, f"event {k + 1} assignment to {target}"))
                  for target, text in event.assignments.items()
                  if _is_species(ns, target, f"event {k + 1} assignment")]
        parsed_events.append((event, trigger, values))
    every = [e for _, trigger, values in parsed_events for e in [trigger] + [v for _, v in values]]
    out = ["@jit", "def events(y_start, y, p, u, apply):",
           '    """True if an event trigger turned from false (at ``y_start``) to true (at '
           '``y``); with ``apply``, those events fire in order, setting their targets in ``y``."""']
    out += _loads(parsed, names, every, arrays=("p", "u"))  # species: from y_start or y
    # every trigger is read before any event fires (simultaneous events all fire, as in
    # libRoadRunner); then they fire in order, each from the state the previous ones left
    for k, (event, trigger, values) in enumerate(parsed_events):
        out.append(f"    # event {k + 1}: {event.name!r}")
        out.append(f"    _before{k} = {_over(trigger, ns, names, printer, 'y_start')}")
        out.append(f"    _after{k} = {_over(trigger, ns, names, printer, 'y')}")
    out.append("    fired = False")
    for k, (event, trigger, values) in enumerate(parsed_events):
        out += [f"    if _after{k} and not _before{k}:", "        fired = True", "        if apply:"]
        out += [f"            _v{m} = {_over(value, ns, names, printer, 'y')}"
                for m, (_, value) in enumerate(values)]
        out += [f"            y[{i}] = _v{m}" for m, (i, _) in enumerate(values)] or ["            pass"]
    out += ["    return fired", "", ""]
    return out + _initial_events(parsed, names, printer, parsed_events)


def _initial_events(parsed, names, printer, parsed_events) -> list[str]:
    """``initial_events(y, p, u) -> bool``: fires, in order, the events whose trigger holds
    at ``y`` and whose ``initial_value`` is False (SBML: such an event fires at time 0);
    ``initial_events = None`` when there are none."""
    at_start = [(k, trigger, values) for k, (event, trigger, values) in enumerate(parsed_events)
                if not event.initial_value]
    if not at_start:
        return ["initial_events = None"]
    ns = parsed.namespace
    every = [e for _, trigger, values in at_start for e in [trigger] + [v for _, v in values]]
    out = ["@jit", "def initial_events(y, p, u):",
           '    """Fire the events that hold at time 0 and were false before it (initial_value '
           'False); True if any fired."""']
    out += _loads(parsed, names, every, arrays=("p", "u"))
    out += [f"    _holds{k} = {_over(trigger, ns, names, printer, 'y')}"
            for k, trigger, _ in at_start]
    out.append("    fired = False")
    for k, trigger, values in at_start:
        out += [f"    if _holds{k}:", "        fired = True"]
        out += [f"        _v{m} = {_over(value, ns, names, printer, 'y')}"
                for m, (_, value) in enumerate(values)]
        out += [f"        y[{i}] = _v{m}" for m, (i, _) in enumerate(values)] or ["        pass"]
    return out + ["    return fired"]


def _over(expr, ns, names, printer, state: str) -> str:
    """``expr`` printed with each species read from array ``state`` (parameters and inputs
    are locals)."""
    mapping = {sympy.Symbol(s, real=True): sympy.Symbol(f"{state}[{i}]", real=True)
               for i, s in enumerate(ns.species)}
    return printer._print(expr.xreplace(mapping))
