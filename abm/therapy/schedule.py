"""Therapies as timed dose schedules: one-compartment kinetics and an Emax effect per drug.

A scenario gives its therapy as ``[[therapy]]`` entries (validated by the config loader)::

    [run]
    start_clock_h = 8.0          # clock time at t = 0

    [[therapy]]
    drug = "chemo"               # a drug of [drugs] (DRUG_NAMES) or "resection"
    dose = 1.0                   # × the drug's reference dose (default 1)
    at_h = [72.0, 96.0]          # dose times, h from the start of the run

    [[therapy]]
    drug = "anti_pdl1"
    daily_at = "02:30"           # a daily clock time (chronotherapy) ...
    first_day = 2                # ... from this day index (0 = the run's first day)
    n_days = 5                   # ... for this many days (default 1)

The doses of ``daily_at`` are the first time t ≥ first_day·24 h at which the clock
(``run.start_clock_h`` + t) reads that time, then every 24 h.

Pharmacokinetics: every dose is a bolus into one compartment with first-order elimination, so a
dose d at t_d contributes d·2^(−(t − t_d)/t½) for t ≥ t_d (reference-dose units: a reference dose
peaks at 1) and the doses of a drug superpose. Pharmacodynamics: the effect is the fraction
E = C/(EC50 + C) ∈ [0, 1) of the drug's maximal effect. :meth:`TherapySchedule.effect` and
:meth:`TherapySchedule.mean_effect` return that fraction; the effect sizes (Emax: the
``kill_per_h``, ``damage_per_h``, ``max_inhibition``, ``max_blockade``, ``max_depletion``,
``digestion_per_h`` of :data:`DRUGS`, set in
``[drugs]``) are applied by :meth:`TherapySchedule.step_effects`, which gives the model what
one step needs.

Consistency with the time step: a step [t0, t1] uses the exact mean of E over the step
(the analytic integral of C/(EC50 + C) between doses, with a dose inside the step splitting it),
not a point value, so a dose's effect does not depend on where in a step it falls and the
death probability 1 − exp(−kill·mean(E)·dt) is exact for a hazard proportional to E. The
doses of a step are :meth:`TherapySchedule.events_between` (t0, t1], for the event log.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from abm.therapy.sections import (DRUG_NAMES, PROCEDURES, DrugsSection, TherapyEntry,
                                  first_daily_dose_h)


# --- the drugs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Drug:
    """Kinetics and potency of one drug (the numbers and their sources: ``[drugs]`` in
    :mod:`abm.therapy.sections`)."""

    name: str
    target: str
    """What the drug acts on in the model."""
    represents: str
    """The drug whose pharmacokinetics the defaults represent."""
    half_life_h: float
    """One-compartment elimination half-life."""
    ec50: float
    """Concentration (reference doses) of half the maximal effect."""

    @property
    def elimination_per_min(self) -> float:
        """First-order elimination rate k = ln 2/t½ (min⁻¹)."""
        return math.log(2.0) / (self.half_life_h * 60.0)


@dataclass(frozen=True)
class Chemo(Drug):
    kill_per_h: float
    """Maximal death hazard of cycling (proliferating) cells, h⁻¹."""
    damage_per_h: float
    """Maximal DNA-damage accrual rate of cycling cells, network units/h."""


@dataclass(frozen=True)
class Senolytic(Drug):
    kill_per_h: float
    """Maximal death hazard of senescent cells, h⁻¹."""


@dataclass(frozen=True)
class Senomorphic(Drug):
    max_inhibition: float
    """Maximal fraction of SASP secretion suppressed (0–1)."""


@dataclass(frozen=True)
class AntiPdl1(Drug):
    max_blockade: float
    """Maximal fraction of the PD-L1 brake on immune killing removed (0–1)."""


@dataclass(frozen=True)
class Digoxin(Drug):
    """Dissociates CTC clusters in the blood; the maximal hazard is a blood parameter
    (``abm.blood``, ``digoxin_dissociation_per_min``), scaled by C/(EC50 + C)."""


@dataclass(frozen=True)
class PlateletInhibitor(Drug):
    max_inhibition: float
    """Maximal fraction of platelet activity prevented (0–1): CTC cloaking in the blood,
    adhesion and TGF-β release by tissue platelets."""


@dataclass(frozen=True)
class NeutrophilDepletion(Drug):
    max_depletion: float
    """Maximal fraction of neutrophil recruitment (tissue and blood) prevented (0–1)."""


@dataclass(frozen=True)
class Dnase(Drug):
    digestion_per_h: float
    """Maximal NET clearance hazard added by the drug, h⁻¹."""


@dataclass(frozen=True)
class NeInhibitor(Drug):
    max_inhibition: float
    """Maximal fraction of NET formation prevented (0–1)."""


_DRUG_KINDS = {
    "chemo": (Chemo, "cycling tumour cells (S/G2/M and proliferating G1): death and DNA "
                     "damage; dormant, quiescent and senescent cells spared",
              "doxorubicin (topoisomerase II poison)"),
    "senolytic": (Senolytic, "senescent cells: death", "navitoclax (ABT-263, BCL-2/BCL-xL)"),
    "senomorphic": (Senomorphic, "SASP secretion of senescent cells: suppression",
                    "ruxolitinib (JAK1/2 inhibitor)"),
    "anti_pdl1": (AntiPdl1, "PD-L1 brake on T and NK cell killing: blockade",
                  "atezolizumab (anti-PD-L1 IgG1)"),
    "digoxin": (Digoxin, "CTC clusters in the blood: dissociation (Na⁺/K⁺-ATPase inhibition)",
                "digoxin"),
    "platelet_inhibitor": (PlateletInhibitor, "platelets (CTC cloaking in the blood; adhesion "
                                              "and TGF-β release in the tissue): inhibition",
                           "aspirin (irreversible COX-1 inhibition of platelets)"),
    "neutrophil_depletion": (NeutrophilDepletion, "neutrophil recruitment (tissue and blood): "
                                                  "depletion",
                             "anti-Ly6G antibody (clone 1A8, rat IgG2a)"),
    "dnase": (Dnase, "neutrophil extracellular traps (NETs): digestion",
              "DNase I"),
    "ne_inhibitor": (NeInhibitor, "NET formation: inhibition of neutrophil elastase",
                     "neutrophil elastase inhibitor (sivelestat, GW311616A)"),
}
if tuple(_DRUG_KINDS) != DRUG_NAMES:  # a drug is its [drugs] keys and its kind here
    raise RuntimeError(f"drug kinds {tuple(_DRUG_KINDS)} differ from the drugs of [drugs] "
                       f"{DRUG_NAMES}")


def drugs_from_section(section: DrugsSection) -> dict[str, Drug]:
    """The drugs with the parameters of a ``[drugs]`` section (keys ``<drug>_<parameter>``)."""
    drugs = {}
    for name, (cls, target, represents) in _DRUG_KINDS.items():
        values = {f.name: getattr(section, f"{name}_{f.name}") for f in dataclasses.fields(cls)
                  if f.name not in ("name", "target", "represents")}
        drugs[name] = cls(name=name, target=target, represents=represents, **values)
    return drugs


DRUGS: dict[str, Drug] = drugs_from_section(DrugsSection())
"""Drug name → :class:`Drug` with the default parameters (sources in ``[drugs]``)."""


# --- the [[therapy]] entries ---------------------------------------------------------------

def daily_times_h(entry: TherapyEntry, start_clock_h: float) -> np.ndarray:
    """Dose times (h from the start) of the entry's ``daily_at`` schedule ([] without one)."""
    if not entry.daily_at:
        return np.empty(0)
    return first_daily_dose_h(entry, start_clock_h) + 24.0 * np.arange(entry.n_days)


def dose_times_h(entry: TherapyEntry, start_clock_h: float) -> np.ndarray:
    """All dose times (h from the start of the run) of one entry: ``at_h``, then the daily ones."""
    return np.concatenate([np.asarray(entry.at_h, dtype=np.float64),
                           daily_times_h(entry, start_clock_h)])


# --- the schedule --------------------------------------------------------------------------

@dataclass(frozen=True)
class DrugEffects:
    """What the drugs do during one step: the step means of Emax·C/(EC50 + C)."""

    chemo_kill_per_h: float = 0.0
    """Death hazard of proliferating cells (before stemness tolerance), h⁻¹."""
    chemo_damage_per_h: float = 0.0
    """DNA-damage accrual rate of proliferating cells, network units/h."""
    senolytic_kill_per_h: float = 0.0
    """Death hazard of senescent cells, h⁻¹."""
    sasp_secretion_scale: float = 1.0
    """Factor on the secretion of every secreted field (1 − senomorphic inhibition)."""
    pdl1_blockade: float = 0.0
    """Fraction of the PD-L1 brake on immune killing removed."""
    digoxin_effect: float = 0.0
    """Digoxin's effect C/(EC50 + C) (0–1), which scales the blood's dissociation hazard."""
    platelet_inhibition: float = 0.0
    """Fraction of platelet activity prevented (0–1): CTC cloaking in the blood, adhesion and
    TGF-β release by tissue platelets."""
    neutrophil_depletion: float = 0.0
    """Fraction of neutrophil entry (tissue) and attachment to CTCs (blood) prevented (0–1)."""
    net_digestion_per_h: float = 0.0
    """NET clearance hazard added by DNase I, h⁻¹."""
    net_inhibition: float = 0.0
    """Fraction of NET formation prevented (0–1)."""
    resection: bool = False
    """The primary tumour is removed at the end of this step (a ``resection`` entry)."""


class TherapySchedule:
    """The doses of a run and the drug concentrations and effects they give.

    Times are minutes from the start of the run (the model clock). Build it with
    :meth:`from_config`; per-step cost is a few numpy operations over the (few) doses.
    """

    def __init__(self, entries=(), drugs: dict[str, Drug] | None = None,
                 start_clock_h: float = 0.0):
        self.drugs = dict(DRUGS if drugs is None else drugs)
        self.start_clock_h = float(start_clock_h)
        times = {name: [] for name in DRUG_NAMES + PROCEDURES}
        doses = {name: [] for name in DRUG_NAMES + PROCEDURES}
        for entry in entries:
            t = dose_times_h(entry, self.start_clock_h) * 60.0
            times[entry.drug].extend(t)
            doses[entry.drug].extend([entry.dose] * len(t))
        self._doses = {}
        for name in DRUG_NAMES + PROCEDURES:
            order = np.argsort(times[name], kind="stable")
            self._doses[name] = (np.asarray(times[name], dtype=np.float64)[order],
                                 np.asarray(doses[name], dtype=np.float64)[order])
        self.active_drugs: tuple[str, ...] = tuple(n for n in DRUG_NAMES if self._doses[n][0].size)
        """Drugs with at least one dose, in :data:`DRUG_NAMES` order."""
        self.resections_min = self._doses["resection"][0]
        """Times (min) of the ``resection`` entries, sorted."""

    @classmethod
    def from_config(cls, config) -> TherapySchedule:
        """The schedule of a :class:`~abm.schema.Config` (its [[therapy]], [drugs] and clock)."""
        return cls(config.therapy, drugs_from_section(config.drugs), config.run.start_clock_h)

    def _drug(self, drug: str) -> Drug:
        if drug not in self.drugs:
            raise KeyError(f"unknown drug {drug!r}; known: {', '.join(DRUG_NAMES)}")
        return self.drugs[drug]

    def doses(self, drug: str) -> tuple[np.ndarray, np.ndarray]:
        """(dose times in min, sorted; doses in reference-dose units) of one drug."""
        self._drug(drug)
        times, doses = self._doses[drug]
        return times.copy(), doses.copy()

    def concentration(self, drug: str, t_min):
        """C(t) = Σ_{t_d ≤ t} dose·2^(−(t − t_d)/t½) (reference-dose units) at time(s) ``t_min``;
        a float for a scalar time, an array for an array of times."""
        k = self._drug(drug).elimination_per_min
        times, doses = self._doses[drug]
        t = np.asarray(t_min, dtype=np.float64)
        lag = t[..., None] - times
        c = np.where(lag >= 0.0, doses * np.exp(-k * np.maximum(lag, 0.0)), 0.0).sum(axis=-1)
        return float(c) if c.ndim == 0 else c

    def effect(self, drug: str, t_min):
        """The fraction of the maximal effect, C/(EC50 + C) ∈ [0, 1), at time(s) ``t_min``."""
        c = self.concentration(drug, t_min)
        return c / (self._drug(drug).ec50 + c)

    def mean_effect(self, drug: str, t0_min: float, t1_min: float) -> float:
        """Exact mean of C/(EC50 + C) over the step [t0, t1] (the effect at t0 when t1 = t0).

        Between doses C = C_a·e^(−k(t − a)), whose effect integrates to
        ln((EC50 + C_a)/(EC50 + C_b))/k; a dose inside the step starts a new piece.
        """
        if t1_min < t0_min:
            raise ValueError(f"step end {t1_min!r} min is before its start {t0_min!r} min")
        if t1_min == t0_min:
            return self.effect(drug, t0_min)
        drug_ = self._drug(drug)
        times, _ = self._doses[drug]
        if times.size == 0 or times[0] >= t1_min:
            return 0.0
        k, ec50 = drug_.elimination_per_min, drug_.ec50
        inside = times[(times > t0_min) & (times < t1_min)]
        edges = np.concatenate([[t0_min], inside, [t1_min]])
        starts, lengths = edges[:-1], np.diff(edges)
        c_start = self.concentration(drug, starts)
        # ln((EC50 + C)/(EC50 + C·e^(−kτ))) = log1p(C·(1 − e^(−kτ))/(EC50 + C·e^(−kτ)))
        decay = np.exp(-k * lengths)
        pieces = np.log1p(c_start * -np.expm1(-k * lengths) / (ec50 + c_start * decay)) / k
        return float(pieces.sum() / (t1_min - t0_min))

    def step_effects(self, t0_min: float, t1_min: float) -> DrugEffects:
        """The drugs' effects over the step [t0, t1]: step-mean effect fractions × effect
        sizes; ``resection`` when a resection time lies in (t0, t1] (or is t0 = 0)."""
        r = self.resections_min
        resection = bool(np.any((r > t0_min) & (r <= t1_min)) or (t0_min == 0.0 and np.any(r == 0.0)))
        if not self.active_drugs:
            return DrugEffects(resection=resection)
        e = {name: self.mean_effect(name, t0_min, t1_min) for name in self.active_drugs}
        chemo, seno = e.get("chemo", 0.0), e.get("senolytic", 0.0)
        d = self.drugs
        return DrugEffects(
            chemo_kill_per_h=d["chemo"].kill_per_h * chemo,
            chemo_damage_per_h=d["chemo"].damage_per_h * chemo,
            senolytic_kill_per_h=d["senolytic"].kill_per_h * seno,
            sasp_secretion_scale=1.0 - d["senomorphic"].max_inhibition * e.get("senomorphic", 0.0),
            pdl1_blockade=d["anti_pdl1"].max_blockade * e.get("anti_pdl1", 0.0),
            digoxin_effect=e.get("digoxin", 0.0),
            platelet_inhibition=(d["platelet_inhibitor"].max_inhibition
                                 * e.get("platelet_inhibitor", 0.0)),
            neutrophil_depletion=(d["neutrophil_depletion"].max_depletion
                                  * e.get("neutrophil_depletion", 0.0)),
            net_digestion_per_h=d["dnase"].digestion_per_h * e.get("dnase", 0.0),
            net_inhibition=d["ne_inhibitor"].max_inhibition * e.get("ne_inhibitor", 0.0),
            resection=resection)

    def events_between(self, t0_min: float, t1_min: float) -> list[tuple[float, str, float]]:
        """The doses given in (t0, t1] as (time_min, drug, dose), by time (then drug order).

        A dose at exactly t = 0 lies in no step (t0, t1] of a run starting at 0: ask for it
        with ``events_between(-math.inf, t1)`` in the first step."""
        events = []
        for name in self.active_drugs + PROCEDURES:
            times, doses = self._doses[name]
            sel = (times > t0_min) & (times <= t1_min)
            events.extend((float(t), name, float(d)) for t, d in zip(times[sel], doses[sel]))
        order = {name: i for i, name in enumerate(DRUG_NAMES + PROCEDURES)}
        return sorted(events, key=lambda ev: (ev[0], order[ev[1]]))

    def clock_h(self, t_min):
        """Clock time of day (h since midnight, [0, 24)) at time(s) ``t_min`` of the run."""
        clock = (self.start_clock_h + np.asarray(t_min, dtype=np.float64) / 60.0) % 24.0
        return float(clock) if clock.ndim == 0 else clock
