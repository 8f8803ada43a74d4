"""MathML (libsbml ASTs) ⇄ the expression strings of a :class:`~intracellular.definition.Definition`.

- :class:`MathReader`: a libsbml ``ASTNode`` → an expression string (SymPy syntax, as in the
  :mod:`intracellular.definition` docstring), with SBML ids renamed to the network's names,
  function definitions inlined and ``csymbol time`` read as the time species.
- :func:`to_ast`: an expression string → a libsbml ``ASTNode`` (for SBML export).
- :func:`canonical`: an expression string in the form :class:`MathReader` writes.

The written form is canonical: every operation is binary (sums and products, nested or n-ary,
are flattened and nest to the left)
and fully parenthesised, numbers are ``repr`` of the float (or the integer), and
:func:`to_ast` maps each construct back to the node it came from, so string → MathML →
string is the identity on strings this module wrote. That is what makes an SBML round trip
give an equal Definition (and so identical generated code and trajectories).
"""
from __future__ import annotations

import ast
import keyword
import math

import libsbml

UNARY = {libsbml.AST_FUNCTION_EXP: "exp", libsbml.AST_FUNCTION_LN: "log",
         libsbml.AST_FUNCTION_ABS: "abs", libsbml.AST_FUNCTION_FLOOR: "floor",
         libsbml.AST_FUNCTION_CEILING: "ceiling", libsbml.AST_FUNCTION_SIN: "sin",
         libsbml.AST_FUNCTION_COS: "cos", libsbml.AST_FUNCTION_TAN: "tan",
         libsbml.AST_FUNCTION_ARCSIN: "asin", libsbml.AST_FUNCTION_ARCCOS: "acos",
         libsbml.AST_FUNCTION_ARCTAN: "atan", libsbml.AST_FUNCTION_SINH: "sinh",
         libsbml.AST_FUNCTION_COSH: "cosh", libsbml.AST_FUNCTION_TANH: "tanh",
         libsbml.AST_LOGICAL_NOT: "Not"}
"""One-argument MathML functions → their name in expression strings."""
NARY = {libsbml.AST_FUNCTION_MIN: "min", libsbml.AST_FUNCTION_MAX: "max",
        libsbml.AST_LOGICAL_AND: "And", libsbml.AST_LOGICAL_OR: "Or"}
RECIPROCAL = {libsbml.AST_FUNCTION_SEC: "cos", libsbml.AST_FUNCTION_CSC: "sin",
              libsbml.AST_FUNCTION_COT: "tan"}
"""sec, csc, cot: written as 1 / cos, sin, tan (the expression language has no sec)."""
COMPARE = {libsbml.AST_RELATIONAL_LT: "<", libsbml.AST_RELATIONAL_LEQ: "<=",
           libsbml.AST_RELATIONAL_GT: ">", libsbml.AST_RELATIONAL_GEQ: ">="}
EQUALITY = {libsbml.AST_RELATIONAL_EQ: "Eq", libsbml.AST_RELATIONAL_NEQ: "Ne"}
BINARY = {libsbml.AST_PLUS: "+", libsbml.AST_MINUS: "-", libsbml.AST_TIMES: "*",
          libsbml.AST_DIVIDE: "/", libsbml.AST_POWER: "**", libsbml.AST_FUNCTION_POWER: "**"}
REFUSED = {libsbml.AST_FUNCTION_DELAY: "the delay function",
           libsbml.AST_FUNCTION_RATE_OF: "the rateOf function",
           libsbml.AST_FUNCTION_FACTORIAL: "factorial",
           libsbml.AST_LOGICAL_XOR: "xor", libsbml.AST_LOGICAL_IMPLIES: "implies",
           libsbml.AST_FUNCTION_QUOTIENT: "quotient", libsbml.AST_FUNCTION_REM: "rem",
           libsbml.AST_LAMBDA: "a lambda outside a function definition"}
"""MathML the importer refuses by name (anything else not handled is refused as well)."""
RESERVED = frozenset(keyword.kwlist) | frozenset(UNARY.values()) | frozenset(NARY.values()) \
    | {"ln", "sqrt", "Piecewise", "Eq", "Ne", "pi", "True", "False", "None"}
"""Names an SBML id cannot keep (Python keywords, the expression language's functions and
constants): such ids are renamed (:func:`free_name`)."""


class MathError(ValueError):
    """MathML that has no expression-string form: the message says what (the caller adds the
    element and the file)."""


def free_name(wanted: str, taken) -> str:
    """``wanted``, or with ``_`` appended until it is neither reserved nor in ``taken``."""
    name = wanted
    while name in RESERVED or name in taken:
        name += "_"
    return name


SIGNIFICANT_DIGITS = 15
"""Digits of a number in math: libsbml writes MathML numbers with 15 significant digits, so
the importer rounds to 15 as well and export → import is exact (a relative change ≤ 5e-15,
far below any integration tolerance)."""
_INT_LIMIT = 2 ** 31
"""libsbml's Python binding keeps MathML integers in 32 bits: larger ones are read as reals."""


def number(value) -> str:
    """The canonical text of a number (parenthesised if negative)."""
    if isinstance(value, int) and abs(value) >= _INT_LIMIT:
        value = float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MathError(f"the non-finite number {value!r}")
        value = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


class MathReader:
    """Converts MathML to expression strings for one model.

    ``names``: SBML id → network name; ``functions``: function-definition id → its lambda
    ``ASTNode``; ``time_name``: the name of the time species (used if some math reads
    ``csymbol time``: :attr:`uses_time` then becomes True)."""

    def __init__(self, names: dict[str, str], functions: dict, time_name: str):
        self.names, self.functions, self.time_name = names, functions, time_name
        self.uses_time = False

    def __call__(self, node, local: dict[str, str] | None = None) -> str:
        """The expression string of ``node``; ``local`` maps further ids (kinetic-law local
        parameters) to names."""
        if node is None:
            raise MathError("missing math")
        return self._text(node, dict(local or {}))

    def _text(self, node, env: dict[str, str]) -> str:
        kind, n = node.getType(), node.getNumChildren()
        kids = [node.getChild(i) for i in range(n)]

        def text(i):
            return self._text(kids[i], env)

        if kind == libsbml.AST_INTEGER:
            return number(int(node.getInteger()))
        if kind in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            return number(float(node.getReal()))
        if kind == libsbml.AST_NAME:
            return self._name(node.getName(), env)
        if kind == libsbml.AST_NAME_TIME:
            self.uses_time = True
            return self.time_name
        if kind == libsbml.AST_NAME_AVOGADRO:
            return number(6.02214179e23)  # the SBML L3 value of csymbol avogadro
        if kind == libsbml.AST_CONSTANT_PI:
            return "pi"
        if kind == libsbml.AST_CONSTANT_E:
            return "exp(1)"  # exact, where a number would be rounded to 15 digits
        if kind in (libsbml.AST_CONSTANT_TRUE, libsbml.AST_CONSTANT_FALSE):
            return "True" if kind == libsbml.AST_CONSTANT_TRUE else "False"
        if kind in (libsbml.AST_PLUS, libsbml.AST_TIMES):
            return self._arithmetic(kind, [self._text(k, env) for k in _operands(node, kind)])
        if kind in BINARY:
            return self._arithmetic(kind, [text(i) for i in range(n)])
        if kind in COMPARE and n >= 2:
            pairs = [f"({text(i)} {COMPARE[kind]} {text(i + 1)})" for i in range(n - 1)]
            return pairs[0] if n == 2 else f"And({', '.join(pairs)})"
        if kind in EQUALITY and n == 2:
            return f"{EQUALITY[kind]}({text(0)}, {text(1)})"
        if kind in UNARY and n == 1:
            return f"{UNARY[kind]}({text(0)})"
        if kind in RECIPROCAL and n == 1:
            return f"(1 / {RECIPROCAL[kind]}({text(0)}))"
        if kind in NARY and n >= 1:
            return f"{NARY[kind]}({', '.join(text(i) for i in range(n))})"
        if kind == libsbml.AST_FUNCTION_LOG and n in (1, 2):  # base first; default 10
            return f"log({text(n - 1)}, {text(0) if n == 2 else '10'})"
        if kind == libsbml.AST_FUNCTION_ROOT and n in (1, 2):  # degree first; default 2
            if n == 1 or (kids[0].isInteger() and kids[0].getInteger() == 2):
                return f"sqrt({text(n - 1)})"
            return f"({text(1)} ** (1 / {text(0)}))"
        if kind == libsbml.AST_FUNCTION_PIECEWISE and n >= 1:
            pieces = [f"({text(i)}, {text(i + 1)})" for i in range(0, n - 1, 2)]
            if n % 2:
                pieces.append(f"({text(n - 1)}, True)")
            return f"Piecewise({', '.join(pieces)})"
        if kind == libsbml.AST_FUNCTION and node.getName() in self.functions:
            return self._inline(node.getName(), [text(i) for i in range(n)])
        if kind in REFUSED:
            raise MathError(REFUSED[kind])
        what = node.getName() or libsbml.formulaToL3String(node)
        raise MathError(f"the MathML function or symbol {what!r}")

    def _name(self, sid: str, env: dict[str, str]) -> str:
        if sid in env:
            return env[sid]
        if sid in self.names:
            return self.names[sid]
        raise MathError(f"the unknown symbol {sid!r}")

    @staticmethod
    def _arithmetic(kind, parts: list[str]) -> str:
        op = BINARY[kind]
        if kind in (libsbml.AST_PLUS, libsbml.AST_TIMES) and len(parts) <= 1:
            return parts[0] if parts else ("0" if op == "+" else "1")
        if kind == libsbml.AST_MINUS and len(parts) == 1:
            return f"(-{parts[0]})"
        if len(parts) < 2 or (op in ("/", "**", "-") and len(parts) != 2):
            raise MathError(f"'{op}' with {len(parts)} arguments")
        out = parts[0]
        for part in parts[1:]:  # n-ary nests to the left, as Python parses a + b + c
            out = f"({out} {op} {part})"
        return out

    def _inline(self, fid: str, args: list[str]) -> str:
        lam = self.functions[fid]
        n_args = lam.getNumBvars()
        if n_args != len(args):
            raise MathError(f"function {fid!r} called with {len(args)} arguments; "
                            f"it takes {n_args}")
        env = {lam.getChild(i).getName(): args[i] for i in range(n_args)}
        return self._text(lam.getChild(lam.getNumChildren() - 1), env)


def _operands(node, kind) -> list:
    """The terms of a sum (factors of a product), nested sums (products) flattened: libsbml
    writes nested ``+`` and ``*`` as one n-ary apply, so reading must not depend on the
    nesting (the left-nested result differs from the written one only by float rounding)."""
    out = []
    for i in range(node.getNumChildren()):
        child = node.getChild(i)
        out += _operands(child, kind) if child.getType() == kind else [child]
    return out


_OPS = {ast.Add: libsbml.AST_PLUS, ast.Sub: libsbml.AST_MINUS, ast.Mult: libsbml.AST_TIMES,
        ast.Div: libsbml.AST_DIVIDE, ast.Pow: libsbml.AST_POWER}
_CMP = {ast.Lt: libsbml.AST_RELATIONAL_LT, ast.LtE: libsbml.AST_RELATIONAL_LEQ,
        ast.Gt: libsbml.AST_RELATIONAL_GT, ast.GtE: libsbml.AST_RELATIONAL_GEQ}
_CALLS = {**{v: k for k, v in UNARY.items()}, **{v: k for k, v in NARY.items()},
          **{v: k for k, v in EQUALITY.items()}, "ln": libsbml.AST_FUNCTION_LN,
          "Min": libsbml.AST_FUNCTION_MIN, "Max": libsbml.AST_FUNCTION_MAX,
          "Abs": libsbml.AST_FUNCTION_ABS}


def to_ast(text: str):
    """The libsbml ``ASTNode`` of an expression string (ValueError naming the construct if it
    has no MathML form here)."""
    return _node(ast.parse(text.strip(), mode="eval").body, text)


def canonical(text: str) -> str:
    """``text`` in the form :class:`MathReader` writes (names unchanged)."""
    node = to_ast(text)
    names = {}
    _collect(node, names)
    return MathReader(names, {}, "time")(node)


def names_in(text: str) -> set[str]:
    """The names an expression string reads."""
    return {n.id for n in ast.walk(ast.parse(text.strip(), mode="eval"))
            if isinstance(n, ast.Name)} - {"True", "False", "pi"}


def _collect(node, names: dict[str, str]) -> None:
    if node.getType() == libsbml.AST_NAME:
        names[node.getName()] = node.getName()
    for i in range(node.getNumChildren()):
        _collect(node.getChild(i), names)


def _make(kind, children=(), name=None):
    node = libsbml.ASTNode(kind)
    if name is not None:
        node.setName(name)
    for child in children:
        node.addChild(child)
    return node


def _node(tree, text: str):
    def fail(what):
        raise ValueError(f"expression {text!r}: {what} has no SBML form")

    if isinstance(tree, ast.Constant):
        if isinstance(tree.value, bool):
            return _make(libsbml.AST_CONSTANT_TRUE if tree.value else libsbml.AST_CONSTANT_FALSE)
        if isinstance(tree.value, (int, float)):
            small_int = isinstance(tree.value, int) and abs(tree.value) < _INT_LIMIT
            node = libsbml.ASTNode(libsbml.AST_INTEGER if small_int else libsbml.AST_REAL)
            node.setValue(tree.value if small_int else float(tree.value))
            return node
        fail(repr(tree.value))
    if isinstance(tree, ast.Name):
        if tree.id == "pi":
            return _make(libsbml.AST_CONSTANT_PI)
        return _make(libsbml.AST_NAME, name=tree.id)
    if isinstance(tree, ast.BinOp) and type(tree.op) in _OPS:
        return _make(_OPS[type(tree.op)], [_node(tree.left, text), _node(tree.right, text)])
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return _make(libsbml.AST_MINUS, [_node(tree.operand, text)])
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.UAdd):
        return _node(tree.operand, text)
    if isinstance(tree, ast.Compare) and len(tree.ops) == 1 and type(tree.ops[0]) in _CMP:
        return _make(_CMP[type(tree.ops[0])],
                     [_node(tree.left, text), _node(tree.comparators[0], text)])
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and not tree.keywords:
        return _call(tree.func.id, tree.args, text)
    fail(ast.unparse(tree))


def _call(name: str, args, text: str):
    kids = [_node(a, text) for a in args] if name != "Piecewise" else []
    if name == "sqrt" and len(kids) == 1:
        return _make(libsbml.AST_FUNCTION_ROOT, kids)
    if name == "log" and len(kids) == 2:  # log(x, base): MathML puts the base first
        return _make(libsbml.AST_FUNCTION_LOG, [kids[1], kids[0]])
    if name == "log" and len(kids) == 1:
        return _make(libsbml.AST_FUNCTION_LN, kids)
    if name == "Piecewise" and args:
        for i, pair in enumerate(args):
            if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2):
                raise ValueError(f"expression {text!r}: Piecewise takes (value, condition) pairs")
            value, condition = (_node(e, text) for e in pair.elts)
            last_true = i == len(args) - 1 and isinstance(pair.elts[1], ast.Constant) \
                and pair.elts[1].value is True
            kids += [value] if last_true else [value, condition]  # (x, True) last: otherwise
        return _make(libsbml.AST_FUNCTION_PIECEWISE, kids)
    if name in _CALLS and kids:
        return _make(_CALLS[name], kids)
    raise ValueError(f"expression {text!r}: the function {name}() with {len(args)} arguments "
                     "has no SBML form")
