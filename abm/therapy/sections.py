"""Config of therapies: ``[drugs]`` (the drugs' kinetics and effect sizes) and the
``[[therapy]]`` dose schedules (:mod:`abm.therapy.schedule`)."""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from abm.config.bounds import MAX_DOSE, MAX_RATE, MAX_RUN_H
from abm.config.params import ParamInfo, param
from abm.config.registry import check, entry_array, section


_ONE_COMPARTMENT = ("; one compartment: the minutes-long distribution phase is left out, the "
                    "terminal phase kept")
_EC50_AT_PEAK = ("design choice: the reference dose's peak is the EC50, so one reference dose "
                 "gives half the maximal effect at its peak and the dose response is steepest "
                 "around the reference dose")


def _half_life(default: float, drug: str, source: str):
    return param(default, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                 doc=f"{drug} elimination half-life", source=source)


def _ec50(drug: str, default: float = 1.0, source: str = _EC50_AT_PEAK):
    return param(default, unit="reference doses", low=0.0, high=MAX_DOSE, low_inclusive=False,
                 doc=f"{drug} concentration of half-maximal effect", source=source)


@section("drugs")
@dataclass(frozen=True)
class DrugsSection:
    """Drugs given by [[therapy]] (abm/therapy/): one-compartment bolus kinetics and an Emax
    effect. A dose is in reference-dose units (1 = the clinical dose of the drug each default
    represents), so a dose d at t_d adds C = d·2^(−(t − t_d)/t½) for t ≥ t_d; the effect is
    Emax·C/(EC50 + C), Emax being the drug's effect sizes below (kill_per_h, damage_per_h,
    max_inhibition, max_blockade, max_depletion, digestion_per_h)."""

    chemo_half_life_h: float = _half_life(30.0, "chemotherapy (doxorubicin)",
                                          "doxorubicin terminal plasma t½ 20–48 h (US label "
                                          "§12.3); mean 32.6 h in Wihlm et al. 1997 Bull Cancer "
                                          "84:603" + _ONE_COMPARTMENT)
    chemo_ec50: float = _ec50("chemotherapy")
    chemo_kill_per_h: float = param(0.3, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                    doc="maximal death hazard of cells in S/G2/M (cycle-specific "
                                        "killing); G1, dormant, quiescent and senescent cells "
                                        "are spared",
                                    source="design choice: at a reference dose's peak effect "
                                           "(0.5) a cell passing a 10-h S/G2/M dies with "
                                           "probability 1 − e^(−1.5) ≈ 78 %, about one log of "
                                           "the cycling compartment per dose (log-kill model: "
                                           "Skipper et al. 1964 Cancer Chemother Rep 35:1)")
    chemo_damage_per_h: float = param(0.4, unit="network units/h", low=0.0, high=MAX_RATE,
                                      doc="maximal DNA-damage accrual rate of proliferating "
                                          "cells (cell_state.dna_repair_half_life_h repairs it)",
                                      source="design choice: one reference dose lifts a G1 "
                                             "cell's damage to 3.5 at 46 h and holds it ≥ 2 (a "
                                             "p21 arrest with active mTORC1) from 13 to 110 h, "
                                             "longer than the 72 h of geroconversion, so "
                                             "survivors of a dose senesce, as doxorubicin-"
                                             "treated tumour cells do (Chang et al. 1999 Cancer "
                                             "Res 59:3761)")
    senolytic_half_life_h: float = _half_life(16.0, "senolytic (navitoclax, ABT-263, a "
                                                    "BCL-2/BCL-xL inhibitor)",
                                              "navitoclax t½ ≈ 15–17 h (Wilson et al. 2010 "
                                              "Lancet Oncol 11:1149)")
    senolytic_ec50: float = _ec50("senolytic")
    senolytic_kill_per_h: float = param(0.04, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                        doc="maximal death hazard of senescent cells",
                                        source="design choice: one reference dose kills 47 % of "
                                               "senescent cells (1 − e^(−0.04·16)), five daily "
                                               "doses 92 %, as daily oral ABT-263 courses deplete "
                                               "senescent cells in mice (Chang et al. 2016 Nat "
                                               "Med 22:78)")
    senomorphic_half_life_h: float = _half_life(3.0, "senomorphic (ruxolitinib, a JAK1/2 "
                                                     "inhibitor)",
                                                "ruxolitinib t½ ≈ 3 h (Jakafi US label §12.3)"
                                                + _ONE_COMPARTMENT)
    senomorphic_ec50: float = _ec50("senomorphic")
    senomorphic_max_inhibition: float = param(0.8, low=0.0, high=1.0,
                                              doc="maximal fraction of SASP secretion "
                                                  "suppressed (every secreted field)",
                                              source="design choice: JAK inhibitors suppress "
                                                     "most of the SASP of senescent cells (Xu et "
                                                     "al. 2015 PNAS 112:E6301), not the part "
                                                     "signalled outside JAK/STAT")
    anti_pdl1_half_life_h: float = _half_life(648.0, "anti-PD-L1 antibody (atezolizumab)",
                                              "atezolizumab terminal t½ 27 d (Tecentriq US "
                                              "label §12.3)")
    anti_pdl1_ec50: float = _ec50("anti-PD-L1", 0.01,
                                  "design choice: 1200 mg in the 3.28 L central volume (label) "
                                  "peaks near 370 µg/mL; PD-L1 saturates above ~0.5 µg/mL (Deng "
                                  "et al. 2016 MAbs 8:593), 0.0014 reference doses; 0.01 allows "
                                  "for tumour penetration (interstitial/plasma ≥ 0.3, same paper)")
    anti_pdl1_max_blockade: float = param(0.9, low=0.0, high=1.0,
                                          doc="maximal fraction of the PD-L1 brake on T/NK "
                                              "cells removed",
                                          source="design choice: atezolizumab spares PD-L2/PD-1 "
                                                 "(Tecentriq label §12.1), so some brake stays")
    digoxin_half_life_h: float = _half_life(40.0, "digoxin",
                                            "digoxin elimination t½ 36–48 h with normal renal "
                                            "function (Lanoxin US label §12.3)")
    digoxin_ec50: float = _ec50("digoxin")
    platelet_inhibitor_half_life_h: float = _half_life(
        120.0, "platelet inhibitor (aspirin)",
        "aspirin acetylates platelet COX-1 irreversibly: the effect decays with platelet "
        "turnover (~10 % of platelets renewed per day), not with aspirin's 20-min plasma t½; "
        "5 d is a design choice within that turnover (Patrono et al. 2005 NEJM 353:2373)")
    platelet_inhibitor_ec50: float = _ec50("platelet inhibitor")
    platelet_inhibitor_max_inhibition: float = param(
        0.9, low=0.0, high=1.0,
        doc="maximal fraction of platelet activity (CTC cloaking, adhesion and TGF-β release by "
            "tissue platelets) prevented",
        source="design choice: antiplatelet therapy or platelet depletion removes most of the "
               "platelet shield in mice (Nieswandt et al. 1999 Cancer Res 59:1295)")
    neutrophil_depletion_half_life_h: float = _half_life(
        72.0, "neutrophil-depleting antibody (anti-Ly6G, clone 1A8)",
        "design choice: a rat IgG2a in mice, whose depletion lasts ~2–3 days after one dose; "
        "the duration of the effect, not a measured plasma t½, sets this (1A8: Daley et al. "
        "2008 J Leukoc Biol 83:64)")
    neutrophil_depletion_ec50: float = _ec50("neutrophil-depleting antibody")
    neutrophil_depletion_max_depletion: float = param(
        0.95, low=0.0, high=1.0,
        doc="maximal fraction of neutrophil recruitment (tissue and blood) prevented",
        source="1A8 depletes > 90 % of blood neutrophils in mice (Daley et al. 2008 J Leukoc "
               "Biol 83:64); 0.95 is a design choice within that")
    dnase_half_life_h: float = _half_life(
        6.0, "DNase I",
        "design choice, not a measured t½: NET digestion in mice uses daily i.p. DNase I "
        "(Cools-Lartigue et al. 2013 J Clin Invest 123:3446; Albrengues et al. 2018 Science "
        "361:eaao4227); 6 h lets a daily reference dose act through the day: its "
        "effect, half the maximal at the peak (EC50), stays at or above a fifth of the maximal "
        "for 12 h and averages 0.23 of it over the 24 h")
    dnase_ec50: float = _ec50("DNase I")
    dnase_digestion_per_h: float = param(
        1.0, unit="h⁻¹", low=0.0, high=MAX_RATE,
        doc="maximal NET clearance hazard added by the drug",
        source="design choice: at full effect a NET is digested within ~1 h")
    ne_inhibitor_half_life_h: float = _half_life(
        4.0, "neutrophil elastase inhibitor (sivelestat, GW311616A)",
        "design choice after Albrengues et al. 2018 Science 361:eaao4227, which gave the NE "
        "inhibitor daily")
    ne_inhibitor_ec50: float = _ec50("neutrophil elastase inhibitor")
    ne_inhibitor_max_inhibition: float = param(
        0.9, low=0.0, high=1.0, doc="maximal fraction of NET formation prevented",
        source="NE is required for NET formation (Papayannopoulos et al. 2010 J Cell Biol "
               "191:677); design choice: 0.9, as some NETs form without it")


DRUG_NAMES: tuple[str, ...] = tuple(f.name.removesuffix("_half_life_h")
                                    for f in dataclasses.fields(DrugsSection)
                                    if f.name.endswith("_half_life_h"))
"""The drugs a ``[[therapy]]`` entry can name: those with ``<drug>_*`` keys in ``[drugs]``."""


# --- the [[therapy]] entries ---------------------------------------------------------------

PROCEDURES: tuple[str, ...] = ("resection",)
"""What a ``[[therapy]]`` entry can name besides a drug: procedures at given times, without
kinetics (``dose`` is ignored). ``resection`` removes every tumour cell of the primary site
(the secondary site keeps its disseminated cells: minimal residual disease)."""

_DRUG_KEY = dataclasses.field(metadata={"info": ParamInfo(
    unit="", choices=DRUG_NAMES + PROCEDURES,
    doc="the drug (its parameters: [drugs]) or a procedure (resection: the primary tumour is "
        "removed at each time)", source="issue #4; resection: issue 17")})


@dataclass(frozen=True)
class TherapyEntry:
    """One entry of the therapy array: a drug, a dose and its times (at_h, daily_at or both)."""

    drug: str = _DRUG_KEY
    dose: float = param(1.0, unit="reference doses", low=0.0, low_inclusive=False,
                        doc="dose, × the drug's reference dose (dimensionless)",
                        source="design choice: reference-dose units keep the drugs comparable")
    at_h: tuple = param((), unit="h", low=0.0,
                        doc="dose times, h from the start of the run (each < run.days·24)",
                        source="issue #4")
    daily_at: str = param("", doc="a daily clock time 'HH:MM' (run.start_clock_h sets the "
                                  "clock): doses at the first such time from first_day on, "
                                  "then every 24 h", source="issue #4 (chronotherapy)")
    first_day: int = param(0, unit="d", low=0, doc="with daily_at: the day index of the first "
                                                    "dose (0 = the run's first day)",
                           source="issue #4")
    n_days: int = param(1, unit="d", low=1, doc="with daily_at: how many daily doses",
                        source="design choice: one dose unless the scenario says more")


_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def parse_clock(text: str) -> float:
    """Hours since midnight of a clock time 'HH:MM' (or 'H:MM'), 00:00–23:59.

    Raises:
        ValueError: if ``text`` is not such a time.
    """
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a clock time 'HH:MM' (00:00 to 23:59)")
    return int(match[1]) + int(match[2]) / 60.0


def first_daily_dose_h(entry: TherapyEntry, start_clock_h: float) -> float:
    """Time (h from the start) of the first dose of the entry's ``daily_at`` schedule: the
    first t ≥ first_day·24 h at which the clock (``start_clock_h`` + t) reads ``daily_at``."""
    return entry.first_day * 24.0 + (parse_clock(entry.daily_at) - start_clock_h) % 24.0


def _check_entry(key: str, values: dict, kwargs: dict, errors: list[str]) -> None:
    """An entry gives its dose times (at_h, daily_at or both); the daily keys only with
    daily_at, which must be a clock time."""
    if not values.get("at_h") and "daily_at" not in values:
        errors.append(f"{key}: needs at_h (dose times, h from the start of the run) or "
                      "daily_at (a daily clock time 'HH:MM'), or both")
    if "daily_at" not in values:
        errors.extend(f"{key}.{k} = {values[k]!r}: only with daily_at (a daily clock time "
                      "'HH:MM')" for k in ("first_day", "n_days") if k in values)
    elif "daily_at" in kwargs:  # a string (the key check reported anything else)
        try:
            parse_clock(kwargs["daily_at"])
        except ValueError:
            errors.append(f"{key}.daily_at = {kwargs['daily_at']!r}: must be a clock time "
                          "'HH:MM' from 00:00 to 23:59")


def _written(entry: TherapyEntry):
    """The keys of a [[therapy]] entry worth writing: the daily keys only with daily_at, at_h
    only when it holds doses (the loader rejects first_day/n_days without daily_at)."""
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        if f.name == "at_h" and not value:
            continue
        if f.name in ("daily_at", "first_day", "n_days") and not entry.daily_at:
            continue
        yield f.name, value


entry_array("therapy", TherapyEntry, check_entry=_check_entry, written=_written)


@check("therapy")
def _check_therapy_times(c, errors: list[str]) -> None:
    """Every dose must fall within the run: t < run.days·24 h."""
    end_h = c.run.days * 24.0
    length = f"the run ends at {end_h:g} h (run.days = {c.run.days!r})"
    for i, entry in enumerate(c.therapy):
        for j, t in enumerate(entry.at_h):
            if t >= end_h:
                errors.append(f"therapy[{i}].at_h[{j}] = {t!r}: after the end of the run; "
                              f"{length}, so doses must be at < {end_h:g} h")
        if not entry.daily_at:
            continue
        # The first late dose by arithmetic: n_days may be huge (never list every dose here).
        first = first_daily_dose_h(entry, c.run.start_clock_h)
        k = max(0, math.ceil((end_h - first) / 24.0))  # doses 0 … k-1 fall before the end
        if k < entry.n_days:
            t = first + 24.0 * k
            fix = f"n_days can be at most {k}" if k else "lower first_day"
            errors.append(f"therapy[{i}].daily_at = {entry.daily_at!r} (first_day = "
                          f"{entry.first_day}, n_days = {entry.n_days}): daily dose {k + 1} of "
                          f"{entry.n_days} at t = {t:g} h is after the end of the run; "
                          f"{length}, so {fix}")
