"""Config sections ``[neutrophils]`` and ``[platelets]``: the myeloid agents in the tissue
(:mod:`abm.myeloid`). Their fields are ``[il6]`` and ``[tgfb]`` (:mod:`abm.fields.sections`)."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import MAX_DOMAIN_UM, MAX_RATE, MAX_RELATIVE, MAX_RUN_H, MAX_SECRETION
from abm.config.params import param
from abm.config.registry import check, section

_LIMIT = "design choice: a bound far beyond any tissue"


@section("neutrophils")
@dataclass(frozen=True)
class NeutrophilsSection:
    """Neutrophils as agents (abm/myeloid/): they enter next to vessels at a rate that rises
    with the local chemokine (CXCL, part of the SASP) and with inflammation, walk up its
    gradient, live about a day, form neutrophil extracellular traps (NETs) under inflammation,
    secrete IL-6/IL-1β (the ``[il6]`` field), go with tumour cells they touch into the blood
    (escorts), and, through NETs, raise the capture and extravasation of arrested CTCs and
    awaken dormant cells nearby. Rates in min⁻¹ or h⁻¹ as the key says."""

    enabled: bool = param(False, doc="simulate neutrophils (needs chemokine.field and "
                                     "il6.field)",
                          source="design choice: the earlier scenarios stay as they were")
    recruit_per_min: float = param(
        0.005, unit="min⁻¹ per vessel site", low=0.0, high=MAX_RATE,
        doc="entry rate next to a vessel site at saturating chemokine (× C/(recruit_k + C), "
            "C the chemokine next to the vessel; an inflammation pulse adds to it)",
        source="design choice: at saturating chemokine and a 1-day life a vessel site keeps "
               "~7 neutrophils around it, tens per mm² at 10 vessels per mm² (tumour-"
               "associated neutrophils: tens to hundreds per mm², Shaul & Fridlender 2019 Nat "
               "Rev Clin Oncol 16:601)")
    recruit_k: float = param(0.1, unit="chemokine units", low=0.0, high=1e3,
                             low_inclusive=False, doc="chemokine of half-maximal entry",
                             source="design choice: as the CD8 T cells' ([immune] cd8."
                                    "recruit_k)")
    speed_um_per_min: float = param(10.0, unit="µm/min", low=0.0, high=100.0,
                                    doc="path speed of a walking neutrophil",
                                    source="Lämmermann et al. 2013 Nature 498:371 (neutrophils "
                                           "migrate through interstitial tissue at ~10–20 "
                                           "µm/min); the lower end in a dense tumour")
    persistence_min: float = param(3.0, unit="min", low=0.0, high=MAX_RUN_H * 60.0,
                                   doc="persistence time of the walk (the lattice walk of "
                                       "abm.immune.kernels)",
                                   source="design choice: neutrophils turn within minutes "
                                          "(Lämmermann et al. 2013)")
    chemotaxis: float = param(2.0, low=0.0, high=100.0,
                              doc="chemotactic bias χ of the walk up the chemokine",
                              source="design choice: as the immune cells' default bias "
                                     "([immune])")
    lifetime_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                              doc="mean time in tissue (exponential) before apoptosis",
                              source="design choice after Summers et al. 2010 Trends Immunol "
                                     "31:318 (neutrophils live about a day once in tissue, "
                                     "longer when inflammation delays apoptosis)")
    il6_secretion_per_min: float = param(
        0.3, unit="IL-6 units/min", low=0.0, high=MAX_SECRETION,
        doc="IL-6/IL-1β secreted by a neutrophil (into the [il6] field at its site)",
        source="design choice (normalisation): an isolated neutrophil holds its own site "
               "near 0.05 IL-6 units, ~0.1 where neutrophils crowd")
    il6_gf_gain: float = param(0.05, unit="GF units", low=0.0, high=1.0,
                               doc="growth factor a tumour cell gains at saturating IL-6 "
                                   "(× I/(il6_k + I))",
                               source="design choice after Szczerba et al. 2019 Nature 566:"
                                      "553 (neutrophil IL-6 and IL-1β drive CTCs through the "
                                      "cycle): enough to bring a cell out of the dormancy "
                                      "niche's GF 0.01, little against the primary's GF 1")
    il6_k: float = param(0.05, unit="IL-6 units", low=0.0, high=1e3, low_inclusive=False,
                         doc="IL-6 of half the maximal GF gain",
                         source="design choice: about the level at an isolated neutrophil's "
                                "own site")
    net_per_h: float = param(0.5, unit="h⁻¹", low=0.0, high=MAX_RATE,
                             doc="maximal NET-formation hazard (× I/(net_k + I), I the "
                                 "inflammation: local SASP + the inflammation pulse)",
                             source="design choice after Albrengues et al. 2018 Science 361:"
                                    "eaao4227 (LPS or tobacco-smoke inflammation makes lung "
                                    "neutrophils form NETs): at the pulse's peak a neutrophil "
                                    "casts a NET within ~3 h, so most recruited ones do")
    net_k: float = param(0.5, unit="inflammation units", low=0.0, high=1e3,
                         low_inclusive=False,
                         doc="inflammation of half-maximal NET formation (SASP network units; "
                             "the pulse peaks at 1)",
                         source="design choice: a peak pulse forms NETs at 2/3 of the maximum")
    net_lifetime_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H,
                                  low_inclusive=False,
                                  doc="mean life of a NET without DNase (a netting neutrophil "
                                      "stays put until then)",
                                  source="design choice after Albrengues et al. 2018 (NETs "
                                         "remain in inflamed lungs for days)")
    net_radius_um: float = param(40.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM,
                                 doc="reach of a NET: sites within it are exposed",
                                 source="design choice: NET strands extend several cell "
                                        "diameters (Brinkmann et al. 2004 Science 303:1532)")
    net_gf_gain: float = param(0.3, unit="GF units", low=0.0, high=1.0,
                               doc="growth factor a tumour cell gains at full NET exposure "
                                   "(× n/(n + 1), n NETs within reach); NR2F1 does not "
                                   "repress it",
                               source="design choice after Albrengues et al. 2018 (NET "
                                      "proteases remodel laminin, which awakens dormant cells "
                                      "through integrin α3β1–FAK–ERK): one NET awakens a "
                                      "dormant cell within days")
    net_arrest_gain: float = param(1.0, low=0.0, high=MAX_RELATIVE,
                                   doc="at a secondary site: relative rise of the CTCs' arrest "
                                       "hazard when every vessel site is within reach of a "
                                       "NET (× 1 + gain·share)",
                                   source="design choice after Cools-Lartigue et al. 2013 J "
                                          "Clin Invest 123:3446 (NETs sequester circulating "
                                          "tumour cells; DNase I abrogated it)")
    net_extravasation_gain: float = param(0.5, low=0.0, high=1.0,
                                          doc="at a secondary site: share of the cells that "
                                              "would not extravasate that do when a NET "
                                              "reaches the landing vessel",
                                          source="design choice after Cools-Lartigue et al. "
                                                 "2013 (NETs promote arrest and "
                                                 "extravasation)")
    escort_probability: float = param(0.3, low=0.0, high=1.0,
                                      doc="probability that a neutrophil next to a shedding "
                                          "cell (Moore neighbourhood of any member) goes with "
                                          "its unit into the blood",
                                      source="design choice after Szczerba et al. 2019 (CTC–"
                                             "neutrophil clusters form through VCAM-1 "
                                             "contacts; a minority of CTC events)")
    inflammation_at_h: float = param(-1.0, unit="h", low=-1.0, high=MAX_RUN_H,
                                     doc="time of an inflammation pulse in this tissue (an "
                                         "LPS-like event; -1: none); secondary.inflammation_at_h "
                                         "sets it at a secondary site",
                                     source="design choice: off unless a scenario asks")
    inflammation_half_life_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H,
                                            low_inclusive=False,
                                            doc="half-life of the pulse (1 at its start)",
                                            source="design choice after Albrengues et al. "
                                                   "2018 (LPS-induced lung inflammation "
                                                   "resolves over days)")
    inflammation_recruit_gain: float = param(
        1.0, low=0.0, high=1e4,
        doc="entry at inflammation I, relative to entry at saturating chemokine: the entry "
            "rate is recruit_per_min·(C/(recruit_k + C) + gain·I), so a pulse draws "
            "neutrophils without chemokine (at a secondary site the gain is divided by "
            "secondary.immune_recruitment, which scales recruit_per_min there)",
        source="design choice: LPS recruits neutrophils to the lung within hours "
               "(Albrengues et al. 2018); at the pulse's peak entry doubles over saturating "
               "chemokine, and at a secondary site (entry up the chemokine at 0.05×) it is "
               "20× the site's own")


@section("platelets")
@dataclass(frozen=True)
class PlateletsSection:
    """Platelet aggregates as agents (abm/myeloid/): they adhere at vessel sites next to
    tumour cells, release TGF-β into the tissue around them (the ``[tgfb]`` field, which
    drives EMT: ``cell_state.emt_tgfb_*``), cloak units shed next to them, and open the
    endothelium where a unit arrests at a secondary site. An antiplatelet drug lowers
    adhesion and release (``drugs.platelet_inhibitor_*``)."""

    enabled: bool = param(False, doc="simulate platelet aggregates at vessel walls (needs "
                                     "tgfb.field)",
                          source="design choice: the earlier scenarios stay as they were")
    adhesion_per_h: float = param(0.1, unit="h⁻¹", low=0.0, high=MAX_RATE,
                                  doc="adhesion hazard of an aggregate at a free vessel site "
                                      "with a viable tumour cell among its neighbours",
                                  source="design choice after Labelle et al. 2011 Cancer Cell "
                                         "20:576 and Palumbo et al. 2005 Blood 105:178 "
                                         "(platelets bind tumour cells through galectin-3/GPVI "
                                         "and tissue factor; aggregates form within hours)")
    lifetime_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                              doc="mean time an aggregate stays adhered",
                              source="design choice: aggregates turn over within a day, well "
                                     "within platelets' 8–10-day life")
    tgfb_secretion_per_min: float = param(
        20.0, unit="TGF-β units/min", low=0.0, high=MAX_SECRETION,
        doc="TGF-β released by an aggregate, shared among the non-vessel sites around it",
        source="design choice (normalisation): the sites next to an aggregate reach ~1 "
               "TGF-β unit; platelets are the main source of TGF-β1 in blood (Labelle et "
               "al. 2011)")
    cloak_coverage: float = param(0.5, low=0.0, high=1.0,
                                  doc="platelet coverage a unit enters the blood with when "
                                      "it is shed next to an aggregate (it cloaks further in "
                                      "the blood, blood.params cloak_per_min)",
                                  source="design choice: the aggregate that bound the cell "
                                         "leaves with it (Labelle et al. 2011)")
    permeability_share: float = param(0.5, low=0.0, high=1.0,
                                      doc="at a secondary site: share of extravasation that "
                                          "needs the unit's platelets (a cell extravasates "
                                          "with secondary.extravasation_probability × (1 − "
                                          "share·(1 − coverage)))",
                                      source="design choice after Schumacher et al. 2013 "
                                             "Cancer Cell 24:130 (platelet ATP opens the "
                                             "endothelial barrier through P2Y2; without it "
                                             "tumour-cell extravasation fell about by half)")


@check("neutrophils")
def _check_myeloid(c, errors: list[str]) -> None:
    n, p = c.neutrophils, c.platelets
    if n.enabled and not c.chemokine.field:
        errors.append("neutrophils.enabled = true needs chemokine.field = true (neutrophils "
                      "enter and navigate by the chemokine)")
    if n.enabled and not c.il6.field:
        errors.append("neutrophils.enabled = true needs il6.field = true (the IL-6/IL-1β "
                      "they secrete)")
    if p.enabled and not c.tgfb.field:
        errors.append("platelets.enabled = true needs tgfb.field = true (the TGF-β they "
                      "release)")
