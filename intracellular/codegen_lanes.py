"""Lane functions of a generated network: ``rhs`` and ``jac`` over a block of :data:`LANES` cells.

:func:`lane_source` writes, into the module of :mod:`intracellular.codegen`, the functions the
lockstep kernel (:mod:`intracellular.lanes`) calls once per block of cells instead of once per
cell:

- ``rhs_lanes(S, p)``: dy/dt of every lane, from the rows ``LANE_Y`` (species) and ``LANE_U``
  (inputs) of the work array into the rows ``LANE_F``;
- ``jac_lanes(S, p)``: the Jacobian's structural non-zeros, ``JAC_ENTRIES`` ((i, j) in order),
  into the rows ``LANE_J`` (only the non-zeros: nothing is zeroed).

``S`` (``_S`` in the code, ``_l`` the lane: generated names start with ``_``, so no user
name can take them) is ONE flat float64 array of rows of :data:`LANES` values (entry
``S[row·LANES + l]`` is lane ``l`` of ``row``; ``LANE_ROWS`` rows are the network's, the
sparse LU's lanes follow, :mod:`intracellular.sparse_lu_lanes`); ``p`` [n_params] is shared
by every lane. Each function is the same CSE'd expressions as the scalar ``rhs``/``jac``, both
made from the same reduced expressions (:func:`split_powers`), so the same operations in the
same order: the results are bitwise those of the scalar functions; inside
``for l in range(LANES)``, which LLVM vectorises across lanes without fastmath.

Why one flat array with constant offsets rather than separate ``Y``, ``U``, ``OUT`` arrays:
measured with numba 0.68, a loop over the (constant) lanes storing into one array and loading
from others is not vectorised at all (LLVM unrolls it, and then cannot rule out that the
arrays overlap), while with every row at a constant offset of one array it can prove that no
store meets a later load. A power with a symbolic exponent
(``_pow(x, nH)``, a call with branches) would keep its loop scalar, so such powers are
computed first, in a loop of their own, into scratch rows (``LANE_POW`` on) that the
vectorised loop reads. Min/max and Piecewise become selects there and vectorise.
"""
from __future__ import annotations

LANES = 8
"""Cells per block (design choice, measured on this AVX-512 machine, where numba/LLVM use
256-bit vectors: 8 lanes are two vectors per operation; a settled dormancy cell-step took
0.233, 0.225 and 0.216 µs with 4, 8 and 16 lanes; 8 halves the padding of a partly filled
block against 16 for 4 % of speed)."""


def lane_layout(n_species: int, n_inputs: int, n_entries: int) -> dict[str, int]:
    """Row offsets of the network's part of the work array (the scratch rows of the powers
    start at ``LANE_POW``)."""
    return {"LANE_Y": 0, "LANE_U": n_species, "LANE_F": n_species + n_inputs,
            "LANE_J": 2 * n_species + n_inputs, "LANE_POW": 2 * n_species + n_inputs + n_entries}


def split_powers(exprs) -> tuple[list, list]:
    """The powers of ``exprs`` whose exponent is not a number (in a deterministic order), and
    ``exprs`` with each replaced by a symbol ``_pw0``, ``_pw1``, … (the power's value). The
    scalar functions (:mod:`intracellular.codegen`) and the lane functions are both CSE'd
    and printed from these reduced expressions: SymPy orders the terms of a sum by its
    symbols, so reducing only one of them would add the same terms in another order, and
    the lanes would differ from the scalar kernel in the last bits."""
    import sympy  # only when generating: the kernels import LANES from here, SymPy-free
    found = {a for e in exprs for a in e.atoms(sympy.Pow) if not a.exp.is_number}
    powers = sorted(found, key=sympy.default_sort_key)
    swap = {pw: sympy.Symbol(f"_pw{k}", real=True) for k, pw in enumerate(powers)}
    return powers, [e.xreplace(swap) for e in exprs]


def _lane_loads(parsed, names, exprs, layout, indent) -> list[str]:
    """Species and inputs that ``exprs`` use, read from lane ``l`` of their rows."""
    used = {s.name for e in exprs for s in e.free_symbols}
    ns = parsed.namespace
    lines = []
    for base, group in ((layout["LANE_Y"], ns.species), (layout["LANE_U"], ns.inputs)):
        lines += [f"{indent}{names[name]} = _S[{(base + i) * LANES} + _l]"
                  for i, name in enumerate(group) if name in used]
    return lines


def _function(name, doc, parsed, names, printer, cse, exprs, targets, layout):
    """A lane function computing ``exprs`` into the rows ``targets`` (lines, and the number
    of scratch rows it uses): powers with a symbolic exponent first, then one vectorisable
    loop."""
    ns = parsed.namespace
    powers, reduced = split_powers(exprs)
    used = {s.name for e in exprs for s in e.free_symbols}
    out = ["@jit", f"def {name}(_S, p):", f'    """{doc}"""']
    out += [f"    {names[q]} = p[{i}]" for i, q in enumerate(ns.parameters) if q in used]
    scratch = layout["LANE_POW"]
    if powers:
        out += [f"    for _l in range({LANES}):"]
        out += _lane_loads(parsed, names, powers, layout, "        ")
        out += [f"        _S[{(scratch + k) * LANES} + _l] = {printer._print(pw)}"
                for k, pw in enumerate(powers)]
    lines, printed = cse(reduced, printer, indent="        ")
    out += [f"    for _l in range({LANES}):"]
    out += _lane_loads(parsed, names, reduced, layout, "        ")
    out += [f"        _pw{k} = _S[{(scratch + k) * LANES} + _l]" for k in range(len(powers))]
    out += lines
    out += [f"        _S[{row * LANES} + _l] = {e}" for row, e in zip(targets, printed)]
    if not targets:  # a Jacobian without non-zeros
        out.append("        pass")
    return out + ["", ""], len(powers)


def lane_source(parsed, names, printer, cse, entries) -> list[str]:
    """The lane functions and constants (module docstring) for the network of ``parsed``;
    ``entries``: the Jacobian's structural non-zeros as ((i, j), derivative), in the order of
    the scalar ``jac``; ``names``, ``printer`` and ``cse`` (CSE'd lines and printed
    expressions): those of the scalar functions (:mod:`intracellular.codegen`)."""
    ns = parsed.namespace
    n, m = len(ns.species), len(ns.inputs)
    layout = lane_layout(n, m, len(entries))
    f_rows = [layout["LANE_F"] + i for i in range(n)]
    j_rows = [layout["LANE_J"] + q for q in range(len(entries))]
    rhs, rhs_powers = _function("rhs_lanes", f"dy/dt of {LANES} lanes: rows LANE_Y, LANE_U "
                                "-> LANE_F.", parsed, names, printer, cse,
                                list(parsed.rates), f_rows, layout)
    jac, jac_powers = _function("jac_lanes", f"Jacobian non-zeros (JAC_ENTRIES) of {LANES} "
                                "lanes into rows LANE_J.", parsed, names, printer, cse,
                                [d for _, d in entries], j_rows, layout)
    out = [f"LANES = {LANES}"] + [f"{key} = {value}" for key, value in layout.items()]
    out += [f"LANE_ROWS = {layout['LANE_POW'] + max(rhs_powers, jac_powers)}",
            f"JAC_ENTRIES = {tuple(ij for ij, _ in entries)!r}", "", ""]
    return out + rhs + jac
