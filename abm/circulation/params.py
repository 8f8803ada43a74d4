"""Parameters of the blood compartment (:mod:`abm.circulation.blood`): a float64 vector
``params[P.<NAME>]`` (``P`` is :data:`abm.circulation.sections.BloodParam`); their defaults,
units, ranges and sources are declared once, in the ``[blood] params`` table of
:mod:`abm.circulation.sections`.
"""
from __future__ import annotations

import numpy as np

from abm.circulation.sections import BLOOD_PARAMS
from abm.circulation.sections import BloodParam as P

N_PARAMS = len(P)


def default_params() -> tuple[np.ndarray, dict]:
    """The default blood parameters and their documentation.

    Returns:
        ``(params, docs)``: ``params`` float64 ``[N_PARAMS]`` (indices
        :data:`~abm.circulation.sections.BloodParam`); ``docs`` ``{name: (value, unit,
        source)}`` in index order.
    """
    return BLOOD_PARAMS.vector(), BLOOD_PARAMS.docs


def blood_params(values: dict[str, float] | None = None, **overrides: float) -> np.ndarray:
    """The default parameter vector with ``values`` and ``overrides`` (``{name: value}``,
    names of the ``blood.params`` table) set.

    Raises:
        ConfigError (a ValueError): naming every unknown ``blood.params.<name>`` and value out
            of range.
    """
    return BLOOD_PARAMS.vector({**(values or {}), **overrides})


def check_params(params: np.ndarray) -> None:
    """Raise ValueError naming ``blood.params.<name>`` if ``params`` has the wrong shape or a
    value out of its range (the ``blood.params`` table's entries)."""
    BLOOD_PARAMS.check_vector(params)


PARAMETER_DOCS = BLOOD_PARAMS.docs
"""``{name: (default value, unit, source)}`` for the config docs."""
