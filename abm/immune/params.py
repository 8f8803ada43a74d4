"""Parameters of the immune cells: ``params[kind_index, P.<NAME>]`` (kind_index 0 = CD8,
1 = NK, i.e. the ``abm.tumor.cells.KINDS`` code − 1; ``P`` is
:data:`abm.immune.sections.ImmuneParam`) and a recognition table
``recognition[kind_index, phase]`` (phase codes of ``abm.tumor.cells.PHASES``). Their defaults,
units, ranges and sources are declared once, in the ``[immune] cd8``/``nk`` tables of
:mod:`abm.immune.sections`; :func:`params_from_mapping` builds the arrays.
"""
from __future__ import annotations

import numpy as np

from abm.immune.sections import IMMUNE_TABLES
from abm.immune.sections import ImmuneParam as P
from abm.tumor.cells import PHASES

N_PARAMS = len(P)
KIND_NAMES = tuple(IMMUNE_TABLES)
"""Kind of each parameter row: row ``i`` is ``abm.cells.KINDS[KIND_NAMES[i]] - 1``."""
_RECOGNITION_COLUMN = {code: IMMUNE_TABLES["cd8"].names.index(f"recognition_{phase}")
                       for phase, code in PHASES.items()}
"""Phase code → the column of its ``recognition_<phase>`` entry in a kind's table vector."""


def params_from_mapping(values: dict[str, dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``(params, recognition)`` from ``{kind: {name: value}}`` (kinds :data:`KIND_NAMES`,
    names those of the kind's table, :data:`abm.immune.sections.IMMUNE_TABLES`); missing
    names keep their defaults.

    Returns:
        ``params`` float64 ``[2, N_PARAMS]`` (row 0 CD8, row 1 NK, columns
        :data:`~abm.immune.sections.ImmuneParam`) and ``recognition`` float64
        ``[2, len(PHASES)]`` (columns: phase codes).

    Raises:
        ConfigError (a ValueError): naming every unknown ``immune.<kind>.<name>`` and value
            out of range.
    """
    vectors = np.array([IMMUNE_TABLES[kind].vector(values.get(kind, {})) for kind in KIND_NAMES])
    recognition = np.zeros((len(KIND_NAMES), len(PHASES)))
    for code, column in _RECOGNITION_COLUMN.items():
        recognition[:, code] = vectors[:, column]
    return vectors[:, :N_PARAMS].copy(), recognition


def default_params() -> tuple[np.ndarray, np.ndarray, dict]:
    """The default ``(params, recognition)`` (as :func:`params_from_mapping`) and their
    documentation :data:`PARAMETER_DOCS`."""
    return *params_from_mapping({}), PARAMETER_DOCS


def check_params(params: np.ndarray, recognition: np.ndarray) -> None:
    """Raise ValueError naming the offending ``immune.<kind>.<name>`` if the arrays have the
    wrong shape or a value outside its allowed range."""
    if params.shape != (2, N_PARAMS) or recognition.shape != (2, len(PHASES)):
        raise ValueError(f"immune params must have shape (2, {N_PARAMS}) and recognition "
                         f"(2, {len(PHASES)}); got {params.shape} and {recognition.shape}")
    for i, kind in enumerate(KIND_NAMES):
        vector = np.empty(len(IMMUNE_TABLES[kind].names))
        vector[:N_PARAMS] = params[i]
        for code, column in _RECOGNITION_COLUMN.items():
            vector[column] = recognition[i, code]
        IMMUNE_TABLES[kind].check_vector(vector)


PARAMETER_DOCS = {kind: table.docs for kind, table in IMMUNE_TABLES.items()}
"""``{kind: {name: (default value, unit, source)}}`` for the config docs."""
