"""Additive cytotoxicity: the sublethal damage immune hits leave in a tumour cell.

Each hit adds ``hit_damage`` (hits) to the target's ``CellTable.immune_damage``; the damage
decays exponentially with the decay time τ, and the target dies when its damage reaches
the lethal level θ = n − 0.5, n = ``immune.lethal_hits`` (Weigelin et al. 2021 Nat Commun
12:5217: about 3 serial hits decide death vs recovery). θ lies between n − 1 and n hits, so
n − 1 hits never kill and n hits at once always do.

τ follows from the longest lethal interval Δ (``immune.lethal_hit_interval_min``, 50 min in
Weigelin et al.): n hits spaced Δ apart leave, just after the last one,

    D = 1 + x + x² + … + x^(n−1),   x = exp(−Δ/τ),

and that must equal θ, so x is the root in (0, 1) of Σ x^i = n − 0.5 and τ = Δ/ln(1/x)
(n = 3: x = (√7 − 1)/2 = 0.823, τ = 256 min, a half-life of 178 min). Closer hits kill,
hits further apart let the cell recover.

A damaged cell whose damage decays below ``immune.recovered_below_hits`` has recovered: its
damage is set to 0 and a recovery event is written (:func:`decay_damage`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from abm._numba import jit
from abm.core.rowtable import high_water_mark
from abm.immune.sections import ImmuneSection

_SECTION_DEFAULTS = ImmuneSection()


def lethal_damage(lethal_hits: int) -> float:
    """The damage (hits) at which a target dies: ``lethal_hits − 0.5``."""
    return float(lethal_hits) - 0.5


def damage_decay_min(lethal_hits: int, lethal_interval_min: float) -> float:
    """The damage's decay time τ (min) such that ``lethal_hits`` hits spaced
    ``lethal_interval_min`` apart reach :func:`lethal_damage` exactly (module docstring)."""
    n = int(lethal_hits)
    if n < 2:
        raise ValueError(f"lethal_hits = {lethal_hits!r}: must be ≥ 2 (one hit below the "
                         "lethal level has nothing to add to)")
    theta = lethal_damage(n)
    x = brentq(lambda x: sum(x ** i for i in range(n)) - theta, 0.0, 1.0, xtol=1e-15)
    return float(lethal_interval_min / np.log(1.0 / x))


@dataclass(frozen=True)
class DamageModel:
    """The additive-damage rule of one tissue: ``[immune]``'s ``lethal_hits``,
    ``lethal_hit_interval_min`` (min) and ``recovered_below_hits`` (hits); the defaults are
    that section's.

    Attributes:
        lethal: the lethal damage (hits), :func:`lethal_damage`.
        decay_min: the decay time τ (min), :func:`damage_decay_min`.
    """

    lethal_hits: int = _SECTION_DEFAULTS.lethal_hits
    lethal_hit_interval_min: float = _SECTION_DEFAULTS.lethal_hit_interval_min
    recovered_below_hits: float = _SECTION_DEFAULTS.recovered_below_hits
    lethal: float = field(init=False)
    decay_min: float = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "lethal", lethal_damage(self.lethal_hits))
        object.__setattr__(self, "decay_min",
                           damage_decay_min(self.lethal_hits, self.lethal_hit_interval_min))

    @classmethod
    def from_section(cls, section) -> DamageModel:
        """The rule of an :class:`abm.immune.sections.ImmuneSection`."""
        return cls(section.lethal_hits, section.lethal_hit_interval_min,
                   section.recovered_below_hits)


@jit
def decay_damage(cells, decay, recovered_below, recovered_ids):
    """Multiply the ``immune_damage`` of every live damaged cell of ``cells``
    (``CellTable.Arrays``) by ``decay`` (exp(−dt/τ)); a cell whose damage falls below
    ``recovered_below`` (hits) is reset to 0 and its id written to ``recovered_ids``.
    Returns the number of recoveries."""
    n = 0
    damage = cells.immune_damage
    for r in range(high_water_mark(cells)):
        if damage[r] == 0.0 or not cells.alive[r]:
            continue
        damage[r] *= decay
        if damage[r] < recovered_below:
            damage[r] = 0.0
            recovered_ids[n] = cells.id[r]
            n += 1
    return n
