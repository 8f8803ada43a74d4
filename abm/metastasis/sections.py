"""Config section ``[secondary]``: the secondary site's tissue, niche and the rules of
extravasation and colony sizes (:mod:`abm.metastasis`)."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import ATMOSPHERIC_MMHG, MAX_DOMAIN_UM, MAX_RUN_H, MAX_SITES
from abm.config.params import param
from abm.config.registry import check, section


@section("secondary")
@dataclass(frozen=True)
class SecondarySection:
    """A secondary site (abm/metastasis/): a second tissue of ``nx`` × ``ny`` sites (the
    primary's dx) with its own vessels, fields, cells and, optionally, immune cells, stepped
    with the primary. CTC units that arrest in the blood land next to one of its vessels
    (chosen at random); each living cell extravasates with ``extravasation_probability`` and
    becomes a disseminated tumour cell (DTC) with the state it carried; the rest die. The
    site's cells follow the same programs as the primary's, in the site's niche: growth factor
    ``niche_growth_factor``, NR2F1 repressing it (``nr2f1_gf_repression``), and from
    ``awakening_at_h`` on (when ``awakening``) an awakening signal. Everything else (drugs
    included: they are systemic) is the primary's config. The site is recorded in the run
    file's group ``sites/secondary``."""

    enabled: bool = param(False, doc="simulate a secondary site that arrested CTC units reach "
                                     "(needs shedding.enabled)",
                          source="design choice: runs without one stay as they were")
    organ: str = param("lung", choices=("lung", "liver"),
                       doc="the organ it stands for (a label in the run file and figures; "
                           "the numbers below are what differ)",
                       source="design choice: the common sites of the seed reviews' cancers")
    nx: int = param(120, low=8, high=MAX_SITES, doc="sites along x",
                    source="design choice: 2 mm at 16.8 µm, room for a few macrometastases")
    ny: int = param(120, low=8, high=MAX_SITES, doc="sites along y",
                    source="design choice: as nx")
    vessel_density_per_mm2: float = param(
        20.0, unit="mm⁻²", low=0.0, high=2000.0,
        doc="vessel density (random pattern) of the site's tissue",
        source="design choice: the alveolar capillary bed is dense; 2D vessels here are "
               "O2 sources ~220 µm apart, so the tissue stays normoxic")
    vessel_min_spacing_um: float = param(100.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM,
                                         doc="minimum centre distance between its vessels",
                                         source="design choice")
    vessel_mmHg: float = param(60.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                               doc="O2 at the site's vessels",
                               source="design choice between venous (40) and arterial (100 "
                                      "mmHg) blood: lung tissue is well oxygenated")
    immune: bool = param(True, doc="CD8 T and NK cells at the site (its own immune layer, "
                                   "recruited by its own chemokine; the primary's [immune] "
                                   "parameters)",
                         source="Goddard et al. 2024 Cancer Cell 42:119 (dormant DTCs meet T "
                                "cells in the lung; they escape them by scarcity)")
    immune_recruitment: float = param(0.05, low=0.0, high=1.0,
                                      doc="the site's immune-cell entry rate per vessel "
                                          "relative to the primary's (immune.<kind>."
                                          "recruit_per_min and neutrophils.recruit_per_min "
                                          "× this)",
                                      source="design choice after Goddard et al. 2024 Cancer "
                                             "Cell 42:119 (T cells meet the few DTCs of a lung "
                                             "rarely; DTCs escape them by scarcity) and Halama "
                                             "et al. 2011 (tumour infiltrates are dense only "
                                             "in established tumours)")
    extravasation_probability: float = param(
        0.87, low=0.0, high=1.0,
        doc="probability that a cell of an arrested unit leaves the capillary into the tissue "
            "(the others die there)",
        source="Koop et al. 1995 Cancer Res 55:2520 (> 80 % of arrested cells extravasate by "
               "24 h; 87 % in Luzzi et al. 1998 Am J Pathol 153:865, B16F1 in mouse liver)")
    landing_radius_um: float = param(250.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM,
                                     doc="extravasated cells take the free sites nearest their "
                                         "vessel within this distance (none free: they die)",
                                     source="design choice: extravasated cells crawl a short "
                                            "way into the tissue (~15 cell diameters)")
    niche_growth_factor: float = param(0.01, low=0.0, high=1.0,
                                       doc="growth-factor input of cells at the site "
                                           "(intracellular.growth_factor there); at ≤ 0.01 the "
                                           "network keeps normoxic cells dormant, from ~0.02 "
                                           "they re-enter the cycle within days",
                                       source="design choice: a dormancy-imposing niche, as "
                                              "the perivascular niche of the lung and bone "
                                              "marrow (Ghajar et al. 2013 Nat Cell Biol 15:807: "
                                              "thrombospondin-1 keeps DTCs quiescent); cells "
                                              "that arrive cycling divide a few times first")
    nr2f1_gf_repression: float = param(1.0, low=0.0, high=1.0,
                                       doc="cell_state.nr2f1_gf_repression at the site: how "
                                           "fully NR2F1 represses the growth factor there",
                                       source="design choice after Sosa et al. 2015 Nat Commun "
                                              "6:6170 and Fluegen et al. 2017 Nat Cell Biol "
                                              "19:120 (NR2F1-high DTCs are dormant)")
    awakening: bool = param(False, doc="an awakening signal reaches the niche at "
                                       "awakening_at_h (e.g. inflammation)",
                            source="design choice: off unless a scenario asks")
    awakening_at_h: float = param(336.0, unit="h", low=0.0, high=MAX_RUN_H,
                                  doc="when the awakening signal starts: from then on the "
                                      "growth factor is 1 and NR2F1 no longer represses it "
                                      "(a niche growth factor 1: the dormant cells re-enter "
                                      "the cycle)",
                                  source="design choice after Albrengues et al. 2018 Science "
                                         "361:eaao4227 (inflammation-induced NETs awaken "
                                         "dormant cancer cells in the lung through "
                                         "integrin-FAK-ERK signalling); 2 weeks")
    inflammation_at_h: float = param(-1.0, unit="h", low=-1.0, high=MAX_RUN_H,
                                     doc="time of an inflammation pulse (LPS-like) at the "
                                         "site (-1: none): it recruits neutrophils and makes "
                                         "them cast NETs there ([neutrophils] inflammation_*)",
                                     source="design choice after Albrengues et al. 2018 "
                                            "Science 361:eaao4227 (LPS-induced lung "
                                            "inflammation awakens dormant cancer cells "
                                            "through NETs)")
    micrometastasis_cells: int = param(4, low=2, high=1_000_000,
                                       doc="a colony (the live descendants of one DTC) of at "
                                           "least this many cells is a micrometastasis",
                                       source="design choice: two divisions (Luzzi et al. "
                                              "1998 counted small multicellular foci)")
    macrometastasis_cells: int = param(100, low=3, high=10_000_000,
                                       doc="a colony of at least this many cells is a "
                                           "macrometastasis",
                                       source="design choice: a 2D disc of 100 sites is "
                                              "~190 µm across at 16.8 µm, the size of a "
                                              "visible nodule (Luzzi et al. 1998: > 100 µm)")


@check("secondary")
def _check_secondary(c, errors: list[str]) -> None:
    s = c.secondary
    if s.enabled and c.cells.program != "network":
        errors.append("secondary.enabled = true needs cells.program = 'network' (dormancy at "
                      "the site comes from the network and the state cells carry)")
    if s.enabled and not c.shedding.enabled:
        errors.append("secondary.enabled = true needs shedding.enabled = true (cells reach the "
                      "secondary site through the blood)")
    if s.micrometastasis_cells >= s.macrometastasis_cells:
        errors.append(f"secondary.micrometastasis_cells = {s.micrometastasis_cells} must be "
                      f"below secondary.macrometastasis_cells = {s.macrometastasis_cells}")
