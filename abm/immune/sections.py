"""Config section ``[immune]`` and the CD8 / NK parameter tables its ``cd8`` and ``nk`` keys
hold (:mod:`abm.immune.layer` reads them by named index)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from abm.config.bounds import MAX_SITES_PER_MM2
from abm.config.params import param
from abm.config.registry import check, section
from abm.config.tables import Entry, ParamTable, index_enum

# ---------------------------------------------------------------------------- the cd8 / nk tables
_RATE_MAX_PER_MIN = 1e12
"""Bound of the per-minute rates (design choice): high enough to make a process instantaneous
(tests use 1e9 for attachment at first contact), and rate × the longest run (5.3e6 min) stays
far below float overflow; the rates enter only as 1 − exp(−rate·time)."""

PARAM_ENTRIES = (
    # design choice: 4× the fastest T-cell speeds seen in vivo (~25 µm/min in lymph nodes,
    # Miller et al. 2002 Science 296:1869); the walk makes ~speed·dt/dx moves per step (at
    # most ~2000 with the allowed dt and dx), so an unbounded speed is an unbounded loop
    Entry("speed_um_per_min", "µm/min", high=100.0),
    Entry("persistence_min", "min"),
    # design choice: exp(χ·Δ) with |Δ| ≤ 1 stays finite; χ = 100 already follows the gradient
    # deterministically (the default is 21)
    Entry("chemotaxis", "-", high=100.0),
    Entry("attach_per_min", "min⁻¹", high=_RATE_MAX_PER_MIN),
    # hits per step are drawn from a Poisson law by inversion: a mean of 1e3 per step already
    # means "every contact kills at once"
    Entry("hit_per_min", "min⁻¹", high=1e3),
    Entry("hit_damage", "hits", high=1e3),  # damage one hit adds to the target
    Entry("detach_min", "min", inf_ok=True),  # inf: never
    # the killing capacity drawn at entry: negative binomial of this mean and shape
    Entry("capacity_mean", "kills", inf_ok=True),  # inf: no cap (nothing is drawn)
    Entry("capacity_shape", "-", low_inclusive=False, high=1e6),
    Entry("serial_slowdown", "-", high=1.0),  # hit-rate factor per kill already made
    # divisors (x/(K + x) is 0/0 at K = x = 0, the exit hazard is dt/lifetime) are > 0
    Entry("lifetime_min", "min", low_inclusive=False, inf_ok=True),
    Entry("pdl1_brake", "-", high=1.0),  # a fraction of the hit rate
    # design choice: 1000× the unit scale of PD-L1 / chemokine
    Entry("pdl1_k", "PD-L1 units (0–1)", high=1e3, low_inclusive=False),
    Entry("mhc1_dependence", "-", high=1.0),
    Entry("recruit_per_min", "min⁻¹ per vessel site", high=_RATE_MAX_PER_MIN),
    Entry("recruit_k", "chemokine units", high=1e3, low_inclusive=False),
    # dysfunction (exhaustion): functional → plastic → fixed, a Markov chain per cell
    Entry("antigen_to_plastic_h", "h", low_inclusive=False, inf_ok=True),
    Entry("pd1_drive", "-", high=1e3),
    Entry("plastic_to_fixed_d", "d", low_inclusive=False, inf_ok=True),
    Entry("reinvigoration_per_d", "d⁻¹", high=1e6),
    Entry("plastic_function", "-", high=1.0),
    Entry("fixed_function", "-", high=1.0),
)
"""Entries of the behaviour parameter vector ``params[kind, ImmuneParam.*]`` (row 0 CD8, row 1
NK)."""
ImmuneParam = index_enum("ImmuneParam", [e.name for e in PARAM_ENTRIES], __name__)
"""Indices of the behaviour parameters, read by the kernels (``params[k, P.HIT_PER_MIN]``)."""
PARAM_NAMES = tuple(e.name for e in PARAM_ENTRIES)

RECOGNITION_ENTRIES = tuple(
    Entry(f"recognition_{phase}", "-", high=1.0)
    for phase in ("proliferating", "quiescent", "dormant", "senescent", "apoptotic", "necrotic"))
"""How well a kind recognises a tumour cell of each phase, 0–1: it multiplies the kill rate, and
0 means never a target (``recognition[kind, phase code]``; a phase without an entry is an error
where the array is built)."""

_CHEMOTAXIS_DEFAULT = 21.0
_CHEMOTAXIS_SOURCE = (
    "design choice calibrated to PhysiCell cancer_immune's migration bias 0.5: in a "
    "chemokine gradient of 10 % per site (the chemokine decay length √(D/(λ+k)) ≈ 90 µm ≈ "
    "5 sites makes 10–20 % per site typical near sources) the up-gradient drift is ≈ half "
    "the path speed (tests/test_immune.py)")

_PHYSICELL = "PhysiCell cancer_immune sample (Ozik et al. 2018 BMC Bioinformatics)"
_DEFAULTS = {
    "speed_um_per_min": (
        (1.0, f"{_PHYSICELL}: immune motility speed 1 µm/min"),
        (1.0, f"{_PHYSICELL}; design choice: NK in-tissue speeds vary with activation "
              "class (Vanherberghen et al. 2013 Blood 121:1326), so no separate value")),
    "persistence_min": (
        (10.0, f"{_PHYSICELL}: persistence time 10 min"),
        (10.0, f"{_PHYSICELL}: persistence time 10 min")),
    "chemotaxis": (
        (_CHEMOTAXIS_DEFAULT, _CHEMOTAXIS_SOURCE), (_CHEMOTAXIS_DEFAULT, _CHEMOTAXIS_SOURCE)),
    "attach_per_min": (
        (0.2, f"{_PHYSICELL}: attachment rate 1/5 min⁻¹ within 14–18 µm (≈ the Moore "
              "neighbourhood at dx 16.8 µm)"),
        (0.2, f"{_PHYSICELL} (generic immune cell)")),
    "hit_per_min": (
        (0.03, "fitted: the hit rate while attached at recognition 1 that puts the treated "
               "arm of scenarios/immune_pdl1.py inside Halle et al. 2016's 2–16 kills per "
               "CTL per day (one hit per ~33 min of contact; Weigelin et al. 2021 saw CTL "
               "contacts with solid-tumour cells deliver sublethal hits, rarely a kill)"),
        (0.0667, f"{_PHYSICELL}: kill rate 1/15 min⁻¹ while attached, here the rate of "
                 "lethal granule hits")),
    "hit_damage": (
        (1.0, "Weigelin et al. 2021 Nat Commun 12:5217: a CTL hit is sublethal; about 3 "
              "hits decide death (immune.lethal_hits)"),
        (3.0, "design choice after Vanherberghen et al. 2013 Blood 121:1326 and Prager et al. "
              "2019 J Exp Med 216:2113: an NK lytic hit on a susceptible target kills within "
              "one contact, so one hit is lethal (≥ immune.lethal_hits − 0.5)")),
    "detach_min": (
        (60.0, f"{_PHYSICELL}: attachment lifetime 60 min, then detach and search again"),
        (60.0, f"{_PHYSICELL}: attachment lifetime 60 min")),
    "capacity_mean": (
        (math.inf, "design choice: no lifetime cap on CTL killing (Halle et al. 2016 and "
                   "Weigelin et al. 2021 saw CTLs keep killing; their decline is the "
                   "dysfunction below)"),
        (2.0, "fitted with capacity_shape to Vanherberghen et al. 2013 (about half of the NK "
              "cells kill none; a minority of serial killers do most of the killing; some "
              "kill ≥ 5 targets, Prager et al. 2019)")),
    "capacity_shape": (
        (1.0, "unused while capacity_mean is inf"),
        (0.5, "fitted with capacity_mean: an over-dispersed (gamma–Poisson) capacity, P(0) "
              "= (0.5/2.5)^0.5 = 0.45 (Vanherberghen et al. 2013: ~half kill none)")),
    "serial_slowdown": (
        (1.0, "design choice: CTL hits do not slow with kills (Halle et al. 2016)"),
        (0.5, "design choice after Prager et al. 2019: an NK cell's first kills are fast "
              "(granzyme B), later ones slower (death receptors); each kill halves the hit "
              "rate")),
    "lifetime_min": (
        (14400.0, f"{_PHYSICELL}: immune-cell apoptosis rate 6.94e-5 min⁻¹ (10 days)"),
        (14400.0, f"{_PHYSICELL} (10 days); NK lifespans are of the order of 1–2 weeks "
                  "(Zhang et al. 2007 Blood 109:2059)")),
    "pdl1_brake": (
        (0.8, "design choice after Barsoum et al. 2014 Cancer Res 74:665: hypoxia-induced "
              "PD-L1 made tumour cells resistant to CTL lysis and PD-L1 blockade restored "
              "it; 0.8 leaves some PD-1-independent killing"),
        (0.2, "design choice: few NK cells express PD-1, so PD-L1 checks NK killing only "
              "weakly (Hsu et al. 2018 J Clin Invest 128:4654)")),
    "pdl1_k": (
        (0.5, "design choice: PD-L1 is on a 0–1 scale ([cell_state]); half-maximal brake "
              "at 0.5, so a fully hypoxic cell (PD-L1 ≈ 0.6) loses ~44 % of CD8 killing"),
        (0.5, "design choice: as CD8")),
    "recruit_per_min": (
        (0.002, "design choice: with vessel density ~10 mm⁻² and a 10-day lifetime, "
                "saturating chemokine gives ~300 CD8 per mm², the hundreds per mm² of "
                "well-infiltrated tumours (Galon et al. 2006 Science 313:1960)"),
        (0.0003, "design choice: NK cells are scarce in solid-tumour infiltrates, about a "
                 "tenth of CD8 (Halama et al. 2011 Clin Cancer Res 17:678)")),
    "recruit_k": (
        (0.1, "design choice: half-maximal entry at 0.1 chemokine units next to the vessel "
              "(1 unit ≈ an isolated fully secreting senescent cell's own site, [chemokine])"),
        (0.1, "design choice: as CD8")),
    "mhc1_dependence": (
        (1.0, "Halle et al. 2016 Immunity 44:233: MHC-I loss abolishes CTL killing; the hit "
              "rate is proportional to the target's MHC-I (cell_state.mhc1_*)"),
        (0.0, "design choice: NK cells see stress ligands and missing self, not antigen; "
              "their recognition is the per-phase ligand table below")),
    "antigen_to_plastic_h": (
        (200.0, "fitted: hours of full antigen stimulation (engaged with a target of "
                "recognition 1, no PD-1 signal) before a CTL turns plastic-dysfunctional, so "
                "that half of the CTLs in the untreated scenario are dysfunctional after 5–6 "
                "days in the tumour (Schietinger et al. 2016 Immunity 45:389; Philip et al. "
                "2017 Nature 545:452: plastic dysfunction at ~days 5–7)"),
        (math.inf, "design choice: NK dysfunction in tumours is not modelled")),
    "pd1_drive": (
        (1.0, "design choice after Barber et al. 2006 Nature 439:682 and Wherry 2011 Nat "
              "Immunol 12:492 (PD-1 signalling drives exhaustion): full PD-1 signal doubles "
              "the progression"),
        (0.0, "design choice: few NK cells express PD-1 (Hsu et al. 2018 J Clin Invest "
              "128:4654)")),
    "plastic_to_fixed_d": (
        (10.0, "Philip et al. 2017; Schietinger et al. 2016: a plastic dysfunctional state at "
               "~days 5–7 becomes fixed by ~days 14–30; mean 10 days in the plastic state"),
        (math.inf, "design choice: as antigen_to_plastic_h")),
    "reinvigoration_per_d": (
        (0.5, "design choice after Pauken et al. 2016 Science 354:1160 and Philip et al. "
              "2017: PD-1 pathway blockade restores plastic, not fixed, dysfunctional cells "
              "within days; the rate at full blockade"),
        (0.0, "design choice: as antigen_to_plastic_h")),
    "plastic_function": (
        (0.3, "design choice: plastic-dysfunctional CTLs keep some cytotoxicity; their hit "
              "rate and chemotaxis are multiplied by this (motility becomes random-walk-like "
              "within ~10 days: Boldajipour et al. 2016 JCI Insight 1:e89289)"),
        (1.0, "unused: NK cells stay functional")),
    "fixed_function": (
        (0.05, "design choice: fixed dysfunction leaves little cytotoxicity (Philip et al. "
               "2017); hit rate and chemotaxis × this"),
        (1.0, "unused: NK cells stay functional")),
    "recognition_proliferating": (
        (1.0, f"reference recognition ({_PHYSICELL}: kill rate at immunogenicity 1)"),
        (0.5, "design choice: NK recognise tumour cells through stress ligands and missing "
              "self, less than senescent cells")),
    "recognition_quiescent": (
        (1.0, "design choice: contact-inhibited G0 cells keep MHC-I"),
        (0.5, "design choice: as proliferating")),
    "recognition_dormant": (
        (1.0, "design choice: what CTLs see of a dormant cell is its MHC-I "
              "(cell_state.mhc1_dormant), not its phase"),
        (0.2, "design choice after Malladi et al. 2016 Cell 165:45 (latent quiescent cells "
              "down-regulate NKG2D ligands and evade NK cells)")),
    "recognition_senescent": (
        (1.0, "design choice: what CTLs see of a senescent cell is its MHC-I "
              "(cell_state.mhc1_senescent)"),
        (1.0, "Krizhanovsky et al. 2008 Cell 134:657; Sagiv et al. 2016 Aging 8:328 (NKG2D "
              "ligands on senescent cells; NK cells clear them)")),
    "recognition_apoptotic": ((0.0, "dying cells are not targets"),
                              (0.0, "dying cells are not targets")),
    "recognition_necrotic": ((0.0, "debris is not a target"), (0.0, "debris is not a target")),
}
"""Entry name → ((CD8 default, source), (NK default, source))."""


IMMUNE_TABLES = {kind: ParamTable(f"immune.{kind}", PARAM_ENTRIES + RECOGNITION_ENTRIES,
                                  {name: pair[i] for name, pair in _DEFAULTS.items()})
                 for i, kind in enumerate(("cd8", "nk"))}
"""The ``[immune] cd8`` and ``nk`` tables, in parameter-row order."""


@section("immune")
@dataclass(frozen=True)
class ImmuneSection:
    """CD8 T cells and NK cells (abm/immune/layer.py): they enter next to vessels at a rate set by
    the local chemokine, walk up its gradient with persistence and attach to tumour cells in
    reach. While attached they deliver hits at a rate raised by the target's MHC-I (CD8) or
    stress ligands (NK, by phase) and lowered by its PD-L1; a hit adds damage to the target,
    the damage decays, and the target dies when it reaches ``lethal_hits − 0.5`` (additive
    cytotoxicity). CD8 cells turn dysfunctional over days of antigen and PD-1 signal
    (plastic, reversed by anti-PD-L1, then fixed); NK cells draw a killing capacity at entry.
    They leave after a lifetime. Every parameter, its unit and its source: ``abm params``
    (section "immune.cd8 / immune.nk"); the rules: docs/immune.md."""

    enabled: bool = param(False, doc="simulate immune cells (needs chemokine.field)",
                          source="design choice: the tumour-only scenarios of issues 2–3 stay "
                                 "as they were")
    cd8: dict = param({}, doc="CD8 T-cell parameter overrides, a table name = value (names: "
                              "abm params, immune.cd8)",
                      source="the immune.cd8 table (PhysiCell cancer_immune; Kather et al. 2018)",
                      table=IMMUNE_TABLES["cd8"])
    nk: dict = param({}, doc="NK-cell parameter overrides, a table name = value (names: abm "
                             "params, immune.nk)",
                     source="the immune.nk table (PhysiCell; Vanherberghen et al. 2013; "
                            "Krizhanovsky et al. 2008)",
                     table=IMMUNE_TABLES["nk"])
    initial_cd8_per_mm2: float = param(0.0, unit="mm⁻²", low=0.0, high=MAX_SITES_PER_MM2,
                                       doc="CD8 T cells placed at random free sites at t = 0",
                                       source="design choice: none; they arrive by recruitment")
    initial_nk_per_mm2: float = param(0.0, unit="mm⁻²", low=0.0, high=MAX_SITES_PER_MM2,
                                      doc="NK cells placed at random free sites at t = 0",
                                      source="design choice: none; they arrive by recruitment")
    lethal_hits: int = param(3, unit="hits", low=2, high=100,
                               doc="hits in quick succession that kill a target: the damage "
                                   "threshold is lethal_hits − 0.5 (design choice: between "
                                   "two and three hits, so two never kill)",
                               source="Weigelin et al. 2021 Nat Commun 12:5217: 3 serial hits "
                                      "decide death vs recovery")
    lethal_hit_interval_min: float = param(50.0, unit="min", low=0.0, high=1e6,
                                           low_inclusive=False,
                                           doc="the longest interval between lethal_hits "
                                               "evenly spaced hits that still kills: it sets "
                                               "the damage's decay time",
                                           source="Weigelin et al. 2021: hits < 50 min apart "
                                                  "kill, longer intervals allow recovery")
    recovered_below_hits: float = param(0.1, unit="hits", low=0.0, high=1.0,
                                        low_inclusive=False,
                                        doc="a damaged target whose damage decays below this "
                                            "has recovered: its damage is reset to 0 and a "
                                            "recovery event is written",
                                        source="design choice: 90 % of one hit repaired")


@check("immune")
def _check_immune(c, errors: list[str]) -> None:
    if c.immune.enabled and not c.chemokine.field:
        errors.append("immune.enabled = true needs chemokine.field = true (immune cells enter "
                      "and navigate by the chemokine)")
