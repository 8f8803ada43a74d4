"""Expression strings of a :class:`~intracellular.definition.Definition` → SymPy, in a closed namespace.

The text is parsed with Python's :mod:`ast` and every node is checked against a whitelist and
converted to SymPy by hand: nothing the user writes is ever evaluated, so a definition file
cannot run code (no attribute access, no subscripts, no lambdas, no names outside the
network's own). Allowed, as in the :mod:`intracellular.definition` docstring: numbers,
``+ - * / **``, the names of the species, parameters, inputs and earlier expressions, the
functions of :data:`FUNCTIONS`, comparisons ``< <= > >=`` (one per comparison), ``True``/
``False`` and ``Piecewise((value, condition), ..., (otherwise, True))``.

- :class:`Namespace`: the symbols of one network (one real SymPy symbol per name).
- :func:`parse`: one expression string → SymPy, or ValueError naming the network, the entry
  (e.g. ``"rate of EF"``) and what is allowed.
- :func:`parse_definition`: all entries of a definition, expressions substituted in order.
- :func:`differentiable`: Min/Max/Abs/sign rewritten as Piecewise, so that derivatives are
  explicit branches (SymPy would give Heaviside, which has no compiled form).
"""
from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass

import sympy

FUNCTIONS = {
    "exp": sympy.exp, "log": sympy.log, "ln": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "min": sympy.Min, "max": sympy.Max, "floor": sympy.floor, "ceiling": sympy.ceiling,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin,
    "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "tanh": sympy.tanh, "Piecewise": None, "Eq": sympy.Eq, "Ne": sympy.Ne, "And": sympy.And,
    "Or": sympy.Or, "Not": sympy.Not,
}
"""Function name → SymPy function (Piecewise is built from its (value, condition) pairs)."""
CONSTANTS = {"pi": sympy.pi}  # True/False are Python constants (ast.Constant)
_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b}
ALLOWED = ("numbers, + - * / **, comparisons < <= > >=, the network's names, pi, True, False "
           "and the functions " + " ".join(FUNCTIONS))


class ExpressionError(ValueError):
    """An expression string that cannot be parsed (a ValueError: bad input)."""


@dataclass(frozen=True)
class Namespace:
    """The names an expression of network ``network`` may use, as real SymPy symbols."""

    network: str
    species: tuple[str, ...]
    parameters: tuple[str, ...]
    inputs: tuple[str, ...]

    def __post_init__(self):
        seen: dict[str, str] = {}
        for kind, names in (("species", self.species), ("parameter", self.parameters),
                            ("input", self.inputs)):
            for name in names:
                check_name(self.network, f"{kind} {name!r}", name)
                if name in seen:
                    raise ValueError(f"network {self.network!r}: {kind} {name!r} is also a "
                                     f"{seen[name]}; every name must be unique")
                seen[name] = kind

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        return {n: sympy.Symbol(n, real=True)
                for n in self.species + self.parameters + self.inputs}


def check_name(network: str, entry: str, name: str) -> None:
    """ValueError unless ``name`` can be a symbol: a Python identifier, not a keyword, not one
    of the function or constant names."""
    if not (isinstance(name, str) and name.isidentifier()) or keyword.iskeyword(name) \
            or name in FUNCTIONS or name in CONSTANTS:
        raise ValueError(f"network {network!r}: {entry}: {name!r} is not allowed as a name; "
                         "names are identifiers (letters, digits, _; not starting with a digit), "
                         f"not Python keywords, nor {' '.join(list(FUNCTIONS) + list(CONSTANTS))}")


def parse(text: str, names: dict[str, sympy.Expr], network: str, entry: str) -> sympy.Basic:
    """SymPy form of ``text``; ``names`` maps each allowed name to its symbol or value."""
    def fail(what: str):
        raise ExpressionError(f"network {network!r}: {entry} = {text!r}: {what}; allowed: "
                              f"{ALLOWED}; names: {', '.join(names) or 'none'}")
    if not isinstance(text, str):
        fail(f"an expression must be a string, not {type(text).__name__}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        fail(f"syntax error ({exc.msg})")

    def convert(node):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return sympy.true if node.value else sympy.false
            if isinstance(node.value, int):
                return sympy.Integer(node.value)
            if isinstance(node.value, float):
                return sympy.Float(node.value)  # exact binary value, printed back with repr
            fail(f"constant {node.value!r} is not a number")
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            fail(f"unknown name {node.id!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](convert(node.left), convert(node.right))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            fail("'^' is not a power here: write '**'")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = convert(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
                fail("comparisons are one of < <= > >= between two terms (Eq, Ne for equality)")
            return _COMPARE[type(node.ops[0])](convert(node.left), convert(node.comparators[0]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            if name == "Piecewise":
                return piecewise(node.args)
            if name in FUNCTIONS:
                return FUNCTIONS[name](*[convert(a) for a in node.args])
            fail(f"unknown function {name!r}")
        if isinstance(node, ast.BoolOp):
            fail("'and'/'or' are not allowed: write And(a, b), Or(a, b)")
        fail(f"{type(node).__name__} is not allowed ({ast.unparse(node)!r})")

    def piecewise(args):
        pairs = []
        for arg in args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                fail("Piecewise takes (value, condition) pairs")
            pairs.append((convert(arg.elts[0]), convert(arg.elts[1])))
        if not pairs:
            fail("Piecewise needs at least one (value, condition) pair")
        return sympy.Piecewise(*pairs)

    try:
        return convert(tree.body)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ExpressionError):
            raise
        fail(f"invalid ({exc})")


@dataclass(frozen=True)
class Parsed:
    """A definition in SymPy form: ``rates`` (one per species, 0 for constant species),
    ``expressions`` (name → value in species/parameters/inputs, earlier ones substituted),
    ``local`` (name → value as written, over earlier expression symbols: the readable form),
    ``symbols`` (every name → its symbol)."""

    namespace: Namespace
    symbols: dict[str, sympy.Symbol]
    local: dict[str, sympy.Basic]
    expressions: dict[str, sympy.Basic]
    rates: tuple[sympy.Basic, ...]
    local_rates: tuple[sympy.Basic, ...]

    def full(self, text: str, entry: str) -> sympy.Basic:
        """``text`` parsed over every name, with the expressions substituted."""
        return parse(text, {**self.symbols, **self.expressions}, self.namespace.network, entry)


def parse_definition(definition) -> Parsed:
    """Parse every rate and expression of ``definition`` (ValueError on the first bad one)."""
    ns = Namespace(definition.name, tuple(definition.species),
                   tuple(p.name for p in definition.parameters),
                   tuple(i.name for i in definition.inputs))
    symbols = ns.symbols
    local: dict[str, sympy.Basic] = {}
    full: dict[str, sympy.Basic] = {}
    for name, text in definition.expressions.items():
        check_name(ns.network, f"expression {name!r}", name)
        if name in symbols:
            raise ValueError(f"network {ns.network!r}: expression {name!r} has the name of a "
                             "species, parameter, input or earlier expression")
        entry = f"expression {name}"
        local[name] = parse(text, dict(symbols), ns.network, entry)
        full[name] = parse(text, {**symbols, **full}, ns.network, entry)
        symbols[name] = sympy.Symbol(name, real=True)
    unknown = [s for s in definition.rates if s not in ns.species]
    if unknown:
        raise ValueError(f"network {ns.network!r}: rates given for {unknown}, which are not "
                         f"species; species: {', '.join(ns.species)}")
    rates, local_rates = [], []
    for s in ns.species:
        text = definition.rates.get(s, "0")
        local_rates.append(parse(text, symbols, ns.network, f"rate of {s}"))
        rates.append(parse(text, {**symbols, **full}, ns.network, f"rate of {s}"))
    return Parsed(ns, symbols, local, full, tuple(rates), tuple(local_rates))


def differentiable(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` with Min, Max, Abs and sign written as Piecewise (same value), so that
    SymPy's derivative is an explicit branch per piece."""
    return expr.replace(
        lambda e: isinstance(e, (sympy.Min, sympy.Max, sympy.Abs, sympy.sign)),
        lambda e: e.rewrite(sympy.Piecewise))


class _Power(sympy.Function):
    """b**e for differentiation only: d/db = e*b**(e - 1), d/de = b**e*log(b)."""

    def fdiff(self, argindex=1):
        base, exp = self.args
        if argindex == 1:
            return exp * _Power(base, exp - 1)
        return _Power(base, exp) * sympy.log(base)


def derivative(expr: sympy.Basic, symbol: sympy.Symbol) -> sympy.Basic:
    """∂expr/∂symbol with piecewise-constant functions (floor, ceiling) given slope 0 and
    Heaviside (from a derivative SymPy left in that form) as an explicit branch."""
    # A power with a symbolic exponent is differentiated as n*b**(n - 1) (_Power): SymPy's
    # n*b**n/b is 0/0 at b = 0, where a Hill term's slope is a plain 0 (for n > 1).
    powers = differentiable(expr).replace(
        lambda e: e.is_Pow and not e.exp.is_number, lambda e: _Power(e.base, e.exp))
    d = sympy.diff(powers, symbol).replace(lambda e: isinstance(e, _Power),
                                           lambda e: sympy.Pow(*e.args))
    d = d.replace(lambda e: isinstance(e, sympy.Derivative)
                  and isinstance(e.expr, (sympy.floor, sympy.ceiling)), lambda e: sympy.S.Zero)
    d = d.replace(lambda e: isinstance(e, sympy.Heaviside),
                  lambda e: sympy.Piecewise((0, e.args[0] < 0), (1, True)))
    if d.has(sympy.Derivative):
        raise ValueError(f"no derivative of {expr} by {symbol}: {d}")
    return d
