"""Config sections of the circulation: ``[circadian]`` (the host's clock), ``[shedding]``
(intravasation) and ``[blood]`` (the CTCs' journey), with the blood parameter table and the
shedding vector their kernels read by named index."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import (MAX_CLUSTER_EXTRA, MAX_KAPPA, MAX_LOG_WEIGHT, MAX_RATE,
                               MAX_RELATIVE, MAX_RUN_H)
from abm.config.params import param
from abm.config.registry import section
from abm.config.tables import ConfigVector, Entry, ParamTable, index_enum


# ---------------------------------------------------------------------------- the blood table
_RATE_MAX_PER_MIN = 1e12
"""Bound of the blood's rates (design choice): high enough to make a process instantaneous
(tests use 1e9 for cloaking at entry), and rate × the longest run (5.3e6 min) stays far below
float overflow."""

BLOOD_ENTRIES = (
    Entry("cloak_per_min", "min⁻¹", high=_RATE_MAX_PER_MIN),
    Entry("platelet_shield", "-", high=1.0),
    Entry("neutrophil_attach_per_min", "min⁻¹ per unit", high=_RATE_MAX_PER_MIN),
    # design choice: CTC–white-cell clusters carry one to a few white cells (Szczerba et al.
    # 2019); 20 bounds the escort loop
    Entry("max_escorts", "neutrophils", high=20.0, whole=True),
    # design choice: 100 unescorted cells' outgrowth per escort
    Entry("neutrophil_gain", "per escort", high=100.0),
    Entry("nk_kill_per_min", "min⁻¹ per cell", high=_RATE_MAX_PER_MIN),
    Entry("shear_death_per_min", "min⁻¹ per cell", high=_RATE_MAX_PER_MIN),
    # design choice: size^exponent for clusters of up to ~50 cells stays far below overflow
    Entry("cluster_protection", "-", high=10.0),
    Entry("anoikis_protection", "-", high=1.0),
    Entry("arrest_per_min", "min⁻¹", high=_RATE_MAX_PER_MIN),
    Entry("arrest_size_exponent", "-", high=10.0),
    Entry("outgrowth", "per cell", high=1.0),
    Entry("digoxin_dissociation_per_min", "min⁻¹", high=_RATE_MAX_PER_MIN),
)
"""Entries of the blood parameter vector ``params[BloodParam.*]`` (``[blood] params``)."""
BloodParam = index_enum("BloodParam", [e.name for e in BLOOD_ENTRIES], __name__)
"""Indices of the blood parameters, read by the kernels (``params[P.CLOAK_PER_MIN]``)."""

_CALIBRATED = ("design choice calibrated with arrest_per_min, arrest_size_exponent and "
               "nk_kill_per_min to Aceto et al. 2014 Cell 158:1110 (single-CTC half-life "
               "25–30 min, clusters 6–10 min, clusters 23–50× the metastatic potential): "
               "abm/circulation/blood.py docstring")

_DEFAULTS = {
    "cloak_per_min": (1.0, "design choice after Labelle et al. 2011 Cancer Cell 20:576 "
                           "and Palumbo et al. 2005 Blood 105:178 (platelets coat CTCs "
                           "within minutes of entering the blood): coverage 63 % after "
                           "1 min, 99 % after 5 min"),
    "platelet_shield": (0.8, "design choice after Nieswandt et al. 1999 Cancer Res "
                             "59:1295 and Palumbo et al. 2005 (platelet/fibrin cloaks "
                             "protect tumour cells from NK lysis; platelet depletion cut "
                             "metastasis only of NK-sensitive cells)"),
    "neutrophil_attach_per_min": (
        0.005, "design choice after Szczerba et al. 2019 Nature 566:553 (most CTC-"
               "associated white cells are neutrophils; CTC–neutrophil clusters are a "
               "minority of CTC events): ~17 % of singles carry an escort when they leave "
               "the blood (r/(r + H₁)), ~6 % of clusters"),
    "max_escorts": (3.0, "design choice: Szczerba et al. 2019 saw CTC–WBC clusters with "
                         "one to a few white cells"),
    "neutrophil_gain": (1.0, "design choice after Szczerba et al. 2019 (neutrophil-"
                             "associated CTCs progress through the cell cycle and "
                             "metastasise more efficiently): each escort adds the "
                             "outgrowth probability of one unescorted cell"),
    "nk_kill_per_min": (0.04, "design choice: NK cells clear unshielded NK-sensitive "
                              "tumour cells from the blood within an hour (Nieswandt et "
                              "al. 1999); with the shield NK cells kill 32 % of single "
                              "CTCs, without it 70 %, and full platelet inhibition "
                              "cuts single-CTC seeding to 0.44× (abm/circulation/blood.py docstring)"),
    "shear_death_per_min": (0.015, _CALIBRATED),
    "cluster_protection": (1.0, "design choice after Aceto et al. 2014 (plakoglobin-"
                                "mediated cell–cell junctions keep cluster cells alive; "
                                "knock-down dissociated clusters and cut metastasis): the "
                                "per-cell shear/anoikis hazard falls as 1/size"),
    "anoikis_protection": (0.5, "design choice: a fully anoikis-resistant cell (e.g. "
                                "after EMT) halves its shear/anoikis hazard (shear itself "
                                "still kills: Regmi et al. 2017 Sci Rep 7:39975)"),
    "arrest_per_min": (0.0022, _CALIBRATED),
    "arrest_size_exponent": (3.0, _CALIBRATED),
    "outgrowth": (0.025, "Luzzi et al. 1998 Am J Pathol 153:865: after arrest and "
                         "extravasation ~1 in 40 B16F1 cells began to grow (micro"
                         "metastases by day 3)"),
    "digoxin_dissociation_per_min": (
        0.1, "design choice after Gkountela et al. 2019 Cell 176:98 (Na⁺/K⁺-ATPase "
             "inhibitors such as digoxin dissociate CTC clusters into singles and suppress "
             "metastasis) and Kurzeder et al. 2025 Nat Med (digoxin shrank CTC clusters in "
             "patients): at full effect 48 % of the shed clusters of the default mix come "
             "apart in the blood (64 % of pairs, 9 % of 8-cell clusters, which arrest "
             "first), the share of circulating units that are clusters falls 4× and the "
             "seeds per shed cluster fall by a quarter"),
}
"""Entry name → (default, source)."""

BLOOD_PARAMS = ParamTable("blood.params", BLOOD_ENTRIES, _DEFAULTS)
"""The ``[blood] params`` table."""


@section("circadian")
@dataclass(frozen=True)
class CircadianSection:
    """The host's circadian clock (abm/circadian.py): rest/active phases of the body's clock,
    hormone profiles as von Mises bumps of clock time, the shedding factor they make, and
    perturbations (jet lag, constant light or darkness). Defaults: a human-like sleeper."""

    rest_onset_h: float = param(23.0, unit="h", low=0.0, high=24.0,
                                doc="clock time at which the rest phase starts (mice: ~7, lights "
                                    "on)", source="design choice: a 23:00–07:00 sleeper, as the "
                                                  "04:00 (asleep) vs 10:00 (awake) patient draws "
                                                  "of Diamantopoulou et al. 2022 Nature 607:156")
    rest_duration_h: float = param(8.0, unit="h", low=1.0, high=23.0,
                                   doc="length of the rest phase (mice: ~12)",
                                   source="design choice: human sleep ~8 h")
    melatonin_kappa: float = param(1.4, low=0.0,
                                   high=MAX_KAPPA, doc="melatonin bump concentration (peak at "
                                   "mid-rest; half-maximal ±4 h from it)",
                                   source="Arendt 2005 J Biol Rhythms 20:291: melatonin high "
                                          "through the night, peak 02:00–04:00")
    glucocorticoid_delay_h: float = param(0.5, unit="h", low=-12.0, high=12.0,
                                          doc="glucocorticoid peak after the end of rest",
                                          source="Debono et al. 2009 JCEM 94:1548 (cortisol "
                                                 "peaks ~30–45 min after waking)")
    glucocorticoid_kappa: float = param(2.0, low=0.0,
                                        high=MAX_KAPPA, doc="glucocorticoid bump concentration",
                                        source="design choice: a morning peak falling to a "
                                               "nadir by the evening (Debono et al. 2009)")
    sex_hormone_delay_h: float = param(0.0, unit="h", low=-12.0, high=12.0,
                                       doc="sex-hormone (testosterone) peak after the end of "
                                           "rest", source="Brambilla et al. 2009 JCEM 94:907 "
                                                          "(testosterone peaks in the early "
                                                          "morning)")
    sex_hormone_kappa: float = param(1.0, low=0.0,
                                     high=MAX_KAPPA, doc="sex-hormone bump concentration",
                                     source="design choice: a shallow diurnal rhythm")
    melatonin_weight: float = param(1.2, low=0.0, high=MAX_LOG_WEIGHT,
                                    doc="log-shedding raised by melatonin 1",
                                    source="calibrated: with the glucocorticoid and sex-hormone "
                                           "weights, blood draws at 04:00 vs 10:00 hold 3–4.5× "
                                           "the CTCs (78.3 % at 04:00, ratio 3.6: "
                                           "Diamantopoulou et al. 2022; tests/test_ctc.py)")
    glucocorticoid_weight: float = param(1.0, low=0.0, high=MAX_LOG_WEIGHT,
                                         doc="log-shedding lowered by glucocorticoid 1",
                                         source="Diamantopoulou et al. 2022 (glucocorticoids "
                                                "suppress rest-phase CTC generation); size "
                                                "calibrated as melatonin_weight")
    sex_hormone_weight: float = param(0.5, low=0.0, high=MAX_LOG_WEIGHT,
                                      doc="log-shedding lowered by sex hormone 1",
                                      source="Diamantopoulou et al. 2022 (testosterone shapes "
                                             "the rhythm); size a design choice")
    light: str = param("normal", choices=("normal", "constant_dark", "constant_light"),
                       doc="light regime: normal entrainment, or free-running in constant "
                           "darkness / light (light also suppresses melatonin)",
                       source="design choice")
    free_running_period_h: float = param(24.2, unit="h", low=20.0, high=28.0,
                                         doc="period of the body's clock without entrainment",
                                         source="Czeisler et al. 1999 Science 284:2177 (human "
                                                "intrinsic period 24.18 h)")
    constant_light_melatonin: float = param(0.1, low=0.0, high=1.0,
                                            doc="melatonin amplitude under constant light",
                                            source="Lewy et al. 1980 Science 210:1267 (light "
                                                   "suppresses melatonin); 0.1 a design choice")
    jet_lag_at_h: float = param(-1.0, unit="h", low=-1.0, high=MAX_RUN_H,
                                doc="time of a jet-lag shift (h from the start; -1: none)",
                                source="design choice")
    jet_lag_shift_h: float = param(0.0, unit="h", low=-12.0, high=12.0,
                                   doc="the shift of local time (+: flying east)",
                                   source="design choice")
    reentrain_h_per_day: float = param(1.0, unit="h/d", low=0.0, high=24.0, low_inclusive=False,
                                       doc="re-entrainment speed of the body's clock",
                                       source="Aschoff et al. 1975 Chronobiologia 2:23 (about "
                                              "1 h per day after a flight)")


@section("shedding")
@dataclass(frozen=True)
class SheddingSection:
    """Intravasation of tumour cells next to vessels as single CTCs or clusters
    (abm/shedding.py): a tumour cell on a Moore neighbour of a vessel site sheds with hazard
    rate × (the circadian shedding factor if proliferating, else quiescent_factor) × (1 +
    emt_gain·EMT); a shed event is a cluster with probability cluster_probability, which takes
    the cell's tumour neighbours with it (clusters leave together, Aceto et al. 2014)."""

    enabled: bool = param(False, doc="simulate shedding and the blood ([blood])",
                          source="design choice: the earlier scenarios stay as they were")
    rate_per_h: float = param(0.002, unit="h⁻¹", low=0.0, high=MAX_RATE,
                              doc="mean shedding hazard of a proliferating perivascular cell",
                              source="design choice from Butler & Gullino 1975 Cancer Res "
                                     "35:512 (3–4×10⁶ cells shed per g of tumour per day, ~0.4 % "
                                     "of its cells; with ~10–20 % of cells next to a vessel, "
                                     "~0.02–0.04 per perivascular cell per day)")
    quiescent_factor: float = param(0.2, low=0.0, high=MAX_RELATIVE,
                                    doc="shedding hazard of a non-proliferating viable cell "
                                        "relative to the mean of a proliferating one (no "
                                        "circadian modulation)",
                                    source="design choice: rest-phase CTCs are the "
                                           "proliferative ones (mitotic genes high; "
                                           "Diamantopoulou et al. 2022), so the rhythm acts on "
                                           "proliferating cells")
    emt_gain: float = param(1.0, low=0.0,
                            high=MAX_RELATIVE, doc="relative increase of the hazard at EMT 1",
                            source="design choice: EMT promotes intravasation (Yang et al. 2008 "
                                   "Nat Cell Biol 10:295, HIF-1α → Twist)")
    active_competence_loss: float = param(
        0.8, low=0.0, high=1.0,
        doc="share of a shed unit's competence (its proliferating share) lost when shed at "
            "melatonin 0 (competence × (1 − loss·(1 − melatonin))): active-phase CTCs leave "
            "with their mitotic programme off",
        source="design choice after Diamantopoulou et al. 2022 Nature 607:156 (rest-phase CTCs "
               "are mitotic-gene-high and metastasise; active-phase CTCs barely do)")
    cluster_probability: float = param(0.04, low=0.0, high=1.0,
                                       doc="probability that a shed event is a cluster",
                                       source="Aceto et al. 2014 Cell 158:1110 (clusters are a "
                                              "few % of CTC events in patients)")
    cluster_extra_mean: float = param(2.0, low=0.0, high=MAX_CLUSTER_EXTRA,
                                      doc="mean of (cluster size − 2), geometric: sizes 2, 3, "
                                          "4, … with mean 4",
                                      source="Aceto et al. 2014 (clusters of 2–50 cells, most "
                                             "of 2–10); geometric a design choice")
    hypoxia_gain: float = param(2.0, low=0.0, high=MAX_RELATIVE,
                                doc="relative increase of the shedding hazard of a hypoxic cell",
                                source="design choice after Donato et al. 2020 Cell Rep "
                                       "32:108105 (hypoxia triggers intravasation; the size "
                                       "of the effect is not measured per cell)")
    cluster_hypoxia_gain: float = param(5.0, low=0.0, high=MAX_RELATIVE,
                                        doc="relative increase of the cluster probability "
                                            "when the shedding cell is hypoxic (capped at 1)",
                                        source="design choice after Donato et al. 2020 (most "
                                               "CTC clusters are hypoxic, single CTCs mostly "
                                               "not)")
    cluster_size_hypoxia_gain: float = param(1.0, low=0.0, high=MAX_RELATIVE,
                                             doc="relative increase of the mean extra cluster "
                                                 "size when the shedding cell is hypoxic",
                                             source="design choice after Donato et al. 2020 "
                                                    "(hypoxic clusters are larger)")


@section("blood")
@dataclass(frozen=True)
class BloodSection:
    """The blood compartment (abm/blood.py): every shed unit circulates with its own step
    until it seeds, dies or arrests; parameters with sources: ``abm params`` ("blood")."""

    substeps: int = param(6, low=1, high=1000,
                          doc="blood steps per tissue step (6 = 1-min blood steps)",
                          source="design choice: the circulation is exact in continuous "
                                 "time for any blood step (abm/blood.py), so the step changes "
                                 "which random numbers are drawn, not the statistics "
                                 "(tests/test_blood.py halves it); 1-min steps match CTC "
                                 "lifetimes of minutes (Aceto et al. 2014). Each substep costs "
                                 "one draw per unit: 12 instead of 6 is ×1.6 blood time "
                                 "(benchmarks/bench_blood.py)")
    nk_killing: bool = param(True, doc="NK cells lyse CTCs in the blood",
                             source="Nieswandt et al. 1999 Cancer Res 59:1295")
    params: dict = param({}, doc="blood parameter overrides, a table name = value (names: abm "
                                 "params, blood.params)",
                         source="the blood.params table", table=BLOOD_PARAMS)


SHEDDING_PARAMS = ConfigVector("SheddingParam", __name__, [
    "shedding.rate_per_h", "shedding.quiescent_factor", "shedding.emt_gain",
    "shedding.cluster_probability", "shedding.cluster_extra_mean", "shedding.hypoxia_gain",
    "shedding.cluster_hypoxia_gain", "shedding.cluster_size_hypoxia_gain",
    "oxygen.hypoxic_mmHg"])
"""The shedding kernel's parameters (:mod:`abm.circulation.shedding`), indexed by
:data:`SheddingParam`."""
SheddingParam = SHEDDING_PARAMS.index
