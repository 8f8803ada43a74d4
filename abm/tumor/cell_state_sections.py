"""Config section ``[cell_state]``: the per-cell state besides the network (PD-L1, MHC-I,
stemness, DNA damage, EMT, NR2F1, time spent hypoxic; :mod:`abm.tumor.cell_state`) and the
parameter vector its kernel reads by named index."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import MAX_RATE, MAX_RELATIVE, MAX_RUN_H
from abm.config.params import param
from abm.config.registry import section
from abm.config.tables import ConfigVector, Derived, per_hour_from_half_life


@section("cell_state")
@dataclass(frozen=True)
class CellStateSection:
    """Per-cell state driven by the environment besides the network: PD-L1, stemness and DNA
    damage (columns ``pdl1``, ``stemness``, ``dna_damage``), each a linear ODE integrated
    exactly over a step with the inputs held:

    - PD-L1: dP/dt = (b + aH·h + aS·S/(1 + S))·ln2/t½ − P·ln2/t½, h = 1/(1 + (O2/11 mmHg)³)
      the hypoxia drive (the network's HIF steady state), S the inflammatory SASP (its effect
      saturates: PD-L1 stays within 0–(b + aH + aS) however dense the senescent focus);
    - MHC-I (antigen presentation, 1 = a cycling cell): dM/dt = (M∞ − M)·ln2/t½ with M∞ =
      ``mhc1_dormant`` for dormant cells, ``mhc1_senescent`` for senescent ones, else 1;
    - stemness: dσ/dt = ks·(S + S_m)·(1 − σ) − σ·ln2/t½, S_m the metabolic SASP; it lowers the
      cell's growth-factor input by ``stemness_gf_reduction``·σ (slower cycling) and its
      chemotherapy death hazard by ``stemness_chemo_tolerance``·σ;
    - EMT (0–1): dE/dt = (k·h + kT·T/(KT + T))·(1 − E) − E·ln2/t½: hypoxia and platelet
      TGF-β (T, the local ``tgfb`` field) drive it; it raises shedding and
      the anoikis resistance of shed cells ([shedding], abm/blood.py) and, with
      ``[migration]``, moves cells up the O2 gradient;
    - NR2F1 (0–1), the dormancy program hypoxia leaves behind: dN/dt = k·h·(1 − N) −
      N·ln2/t½; where ``nr2f1_gf_repression`` r > 0 (a secondary site) it represses the
      growth-factor input, GF·(1 − r·Nⁿ/(Kⁿ + Nⁿ)), so a post-hypoxic cell that disseminates
      is more often dormant where it lands;
    - time spent hypoxic (``hypoxic_h``, h): grows while O2 < ``oxygen.hypoxic_mmHg``;
    - DNA damage: dD/dt = chemo damage rate (cycling cells) − D·ln2/t½ (repair); the network's
      DNA input (p53 → p21)."""

    pdl1_basal: float = param(0.1, low=0.0,
                              high=MAX_RELATIVE, doc="PD-L1 of a normoxic cell without SASP "
                              "(relative units; 1 ≈ a fully induced cell)",
                              source="design choice: constitutive PD-L1 is low in most lines")
    pdl1_hypoxia: float = param(0.5, low=0.0,
                                high=MAX_RELATIVE, doc="PD-L1 added by full hypoxia (h = 1)",
                                source="Barsoum et al. 2014 Cancer Res 74:665 (HIF-1α raises "
                                       "PD-L1; strength a design choice)")
    pdl1_sasp: float = param(0.5, low=0.0,
                             high=MAX_RELATIVE, doc="PD-L1 added by saturating inflammatory SASP "
                             "(half of it at SASP 1)",
                             source="senescence review (SASP raises PD-L1); strength a design "
                                    "choice")
    pdl1_half_life_h: float = param(6.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                                    doc="PD-L1 turnover half-life",
                                    source="design choice: PD-L1 protein half-life is hours "
                                           "(CSN5-stabilised; Lim et al. 2016 Cancer Cell 30:925)")
    mhc1_dormant: float = param(0.5, low=0.0, high=MAX_RELATIVE,
                                doc="MHC-I of a dormant cell relative to a cycling one (CD8 "
                                    "hits scale with it: immune.cd8.mhc1_dependence)",
                                source="design choice between Pommier et al. 2018 Science "
                                       "360:eaao4908 (latent pancreatic DTCs are MHC-I-low) "
                                       "and Goddard et al. 2024 Cancer Cell 42:119 (dormant "
                                       "DTCs present antigen; they escape T cells by "
                                       "scarcity); set ~0.1 for the Pommier case")
    mhc1_senescent: float = param(1.5, low=0.0, high=MAX_RELATIVE,
                                  doc="MHC-I of a senescent cell relative to a cycling one",
                                  source="Marin et al. 2023 Cancer Discov 13:410 (senescent "
                                         "cells raise MHC-I antigen presentation; the size "
                                         "of the rise is a design choice)")
    mhc1_half_life_h: float = param(8.0, unit="h", low=0.0, high=MAX_RUN_H,
                                    low_inclusive=False,
                                    doc="MHC-I turnover half-life: a waking dormant cell "
                                        "regains antigen presentation over hours",
                                    source="design choice: surface MHC-I class I complexes "
                                           "turn over in hours")
    stemness_rate_per_h: float = param(0.01, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                       doc="stemness gain per unit SASP (inflammatory + metabolic)",
                                       source="design choice: days of SASP exposure induce "
                                              "stemness (Ritschka et al. 2017 Genes Dev 31:172; "
                                              "Milanovic et al. 2018 Nature 553:96)")
    stemness_half_life_h: float = param(72.0, unit="h", low=0.0,
                                        high=MAX_RUN_H, low_inclusive=False,
                                        doc="stemness decay half-life without SASP",
                                        source="design choice: transient SASP exposure gives "
                                               "reversible stemness (Ritschka et al. 2017)")
    stemness_gf_reduction: float = param(0.5, low=0.0, high=1.0,
                                         doc="fraction of the growth-factor input lost at "
                                             "stemness 1 (stem-like cells cycle slower)",
                                         source="design choice")
    stemness_chemo_tolerance: float = param(0.8, low=0.0, high=1.0,
                                            doc="fraction of the chemotherapy death hazard "
                                                "removed at stemness 1",
                                            source="design choice: senescence-associated "
                                                   "stemness confers chemoresistance "
                                                   "(Milanovic et al. 2018)")
    emt_rate_per_h: float = param(0.02, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                  doc="EMT gain at full hypoxia (dE/dt = k·h·(1 − E) − E·ln2/t½)",
                                  source="design choice: HIF-1α induces EMT through Twist/Snail "
                                         "over days (Yang et al. 2008 Nat Cell Biol 10:295)")
    emt_tgfb_rate_per_h: float = param(0.02, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                       doc="EMT gain at saturating platelet TGF-β (dE/dt "
                                           "gains kT·T/(KT + T)·(1 − E))",
                                       source="design choice after Labelle et al. 2011 Cancer "
                                              "Cell 20:576 (platelet TGF-β with platelet "
                                              "contact induces an EMT-like state within ~2 days "
                                              "in vitro): as strong as full hypoxia "
                                              "(emt_rate_per_h)")
    emt_tgfb_k: float = param(0.1, unit="TGF-β units", low=0.0, high=1e3, low_inclusive=False,
                              doc="TGF-β of half the maximal EMT gain (KT)",
                              source="design choice: a tenth of the level at a site next to "
                                     "an adhered platelet aggregate ([tgfb] units), so cells "
                                     "next to platelets respond fully; the drive stays above "
                                     "half its maximum ~150 µm into the tumour around an "
                                     "aggregate")
    emt_half_life_h: float = param(48.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                                   doc="EMT reversal half-life after reoxygenation",
                                   source="design choice: EMT is reversible over days (MET)")
    nr2f1_rate_per_h: float = param(0.05, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                    doc="NR2F1 gain at full hypoxia (dN/dt = k·h·(1 − N) − "
                                        "N·ln2/t½): the dormancy program hypoxia leaves in a "
                                        "cell, which it carries when it disseminates",
                                    source="Fluegen et al. 2017 Nat Cell Biol 19:120 (hypoxia "
                                           "in primary tumours induces NR2F1; post-hypoxic "
                                           "disseminated cells are NR2F1-high and dormant); "
                                           "rate a design choice: ~1 day of hypoxia induces "
                                           "it to ~0.7")
    nr2f1_half_life_h: float = param(336.0, unit="h", low=0.0, high=MAX_RUN_H,
                                     low_inclusive=False,
                                     doc="NR2F1 decay half-life after reoxygenation",
                                     source="design choice: post-hypoxic DTCs stayed NR2F1-high "
                                            "and dormant in the lung (Fluegen et al. 2017); "
                                            "two weeks")
    nr2f1_gf_repression: float = param(0.0, low=0.0, high=1.0,
                                       doc="largest fraction of the growth-factor input "
                                           "NR2F1 represses: GF × (1 − r·Nⁿ/(Kⁿ + Nⁿ)); at "
                                           "GF ≲ 0.01 the network makes a normoxic cell "
                                           "dormant within 1–3 days and keeps it so",
                                       source="design choice: in the primary tumour NR2F1 is "
                                              "a readout (0); its dormancy program acts in the "
                                              "niche of disseminated cells (Sosa et al. 2015 "
                                              "Nat Commun 6:6170; Fluegen et al. 2017), where "
                                              "[secondary] sets it")
    nr2f1_gf_k: float = param(0.4, low=0.0, high=1.0, low_inclusive=False,
                              doc="NR2F1 of half the repression (K above)",
                              source="design choice: a day of hypoxia (NR2F1 ≈ 0.7) represses "
                                     "fully; the repression lifts when NR2F1 has decayed to "
                                     "~0.4, ~1.5 half-lives after reoxygenation")
    nr2f1_gf_hill: float = param(8.0, low=1.0, high=20.0,
                                 doc="Hill exponent n of the repression (a switch: the "
                                     "network's cycling is insensitive to GF down to ~0.05)",
                                 source="design choice: GF 0.15 still lets cells cycle, GF 0 "
                                        "makes them dormant (measured on the network, "
                                        "docs/metastasis.md), so the repression must be "
                                        "nearly all or nothing")
    dna_repair_half_life_h: float = param(24.0, unit="h", low=0.0,
                                          high=MAX_RUN_H, low_inclusive=False,
                                          doc="DNA-damage repair half-life",
                                          source="design choice: γH2AX foci after genotoxic "
                                                 "doses resolve over ~1 day; persistent foci "
                                                 "mark senescence (Rodier et al. 2009)")


CELL_STATE_PARAMS = ConfigVector("CellStateParam", __name__, [
    "cell_state.pdl1_basal", "cell_state.pdl1_hypoxia", "cell_state.pdl1_sasp",
    Derived("pdl1_turnover_per_h", "cell_state.pdl1_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.pdl1_half_life_h (h⁻¹)"),
    "cell_state.mhc1_dormant", "cell_state.mhc1_senescent",
    Derived("mhc1_turnover_per_h", "cell_state.mhc1_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.mhc1_half_life_h (h⁻¹)"),
    "cell_state.stemness_rate_per_h",
    Derived("stemness_decay_per_h", "cell_state.stemness_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.stemness_half_life_h (h⁻¹)"),
    Derived("dna_repair_per_h", "cell_state.dna_repair_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.dna_repair_half_life_h (h⁻¹)"),
    "cell_state.emt_rate_per_h", "cell_state.emt_tgfb_rate_per_h", "cell_state.emt_tgfb_k",
    Derived("emt_reversal_per_h", "cell_state.emt_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.emt_half_life_h (h⁻¹)"),
    "cell_state.nr2f1_rate_per_h",
    Derived("nr2f1_decay_per_h", "cell_state.nr2f1_half_life_h", per_hour_from_half_life,
            "ln 2 / cell_state.nr2f1_half_life_h (h⁻¹)"),
    "oxygen.hypoxic_mmHg"])
"""The per-cell state kernel's parameters (:mod:`abm.tumor.cell_state`), indexed by
:data:`CellStateParam`."""
CellStateParam = CELL_STATE_PARAMS.index
