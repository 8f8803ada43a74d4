"""Result guards: stop a run at the first non-finite number in its fields or cell columns.

Config bounds keep every input finite and physical, but a result can still overflow (an
extreme yet allowed combination, a kernel bug). The field solver already refuses non-finite
input and output of each solve (:mod:`abm.fields.multigrid`); :func:`check_model` looks at
what a whole step leaves behind, after the last kernel and before anything is recorded, so
no NaN or inf is ever written to a run file or read by the next step.

Cost: one compiled read-only pass (:func:`abm.core.reductions.any_nonfinite`) over each field
and over the cell table's float columns and state up to the high-water mark (dead rows
included: they keep the finite values they had when they died); only when that finds
something is the place looked up, among the live rows. Measured against the step
(``benchmarks/bench_model.py`` cases): docs/numerical_guards.md.
"""
from __future__ import annotations

import numpy as np

from abm.core.reductions import any_nonfinite
from abm.errors import NumericalError

def check_model(model) -> None:
    """Raise :class:`NumericalError` if a field or a live cell's float column holds NaN or
    inf after a step, naming the field or column, the site or cell (row, id, site and
    position in µm: site centres, as the run file's coordinates) and the time (min)."""
    when = f"at t = {model.time_min:g} min (step {model.step_index})"
    dx = model.dx_um
    for name, values in model.fields.items():
        if any_nonfinite(values):
            j, i = np.argwhere(~np.isfinite(values))[0]
            raise NumericalError(
                f"field {name!r} = {float(values[j, i])!r} at site (x={i}, y={j}), position "
                f"({(i + 0.5) * dx:g}, {(j + 0.5) * dx:g}) µm, {when}")
    c, hwm = model.cells, model.cells.hwm
    # The table's float 1-D columns (as it declares them) and the program's state columns.
    floats = tuple(name for name, dtype in c.dtypes().items() if np.dtype(dtype).kind == "f")
    blocks = [getattr(c, name)[:hwm] for name in floats] + [c.state[:hwm]]
    if not any(any_nonfinite(block) for block in blocks):
        return
    names = floats + tuple(f"state {n}" for n in model.phenotype.state_names)
    values = np.column_stack(blocks)  # [hwm, columns]: built only on failure
    bad = ~np.isfinite(values) & c.alive[:hwm, None]
    if not bad.any():  # only dead rows: stale, never read again
        return
    row, k = (int(v) for v in np.argwhere(bad)[0])
    x, y = int(c.x[row]), int(c.y[row])
    raise NumericalError(
        f"cell column {names[k]!r} = {float(values[row, k])!r} of cell id {int(c.id[row])} "
        f"(row {row}) at site (x={x}, y={y}), position ({(x + 0.5) * dx:g}, "
        f"{(y + 0.5) * dx:g}) µm, {when}")
