"""Config section ``[immune]`` and the CD8 / NK parameter tables its ``cd8`` and ``nk`` keys
hold (:mod:`abm.immune.layer` reads them by named index)."""
from __future__ import annotations

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
    Entry("kill_per_min", "min⁻¹", high=_RATE_MAX_PER_MIN),
    Entry("detach_min", "min", inf_ok=True),  # inf: never
    Entry("max_kills", "kills", inf_ok=True),
    # divisors (x/(K + x) is 0/0 at K = x = 0, the exit hazard is dt/lifetime) are > 0
    Entry("lifetime_min", "min", low_inclusive=False, inf_ok=True),
    Entry("pdl1_brake", "-", high=1.0),  # a fraction of the kill rate
    # design choice: 1000× the unit scale of PD-L1 / chemokine
    Entry("pdl1_k", "PD-L1 units (0–1)", high=1e3, low_inclusive=False),
    Entry("recruit_per_min", "min⁻¹ per vessel site", high=_RATE_MAX_PER_MIN),
    Entry("recruit_k", "chemokine units", high=1e3, low_inclusive=False),
    Entry("pd1_exhaustion_min", "min", inf_ok=True),
)
"""Entries of the behaviour parameter vector ``params[kind, ImmuneParam.*]`` (row 0 CD8, row 1
NK)."""
ImmuneParam = index_enum("ImmuneParam", [e.name for e in PARAM_ENTRIES], __name__)
"""Indices of the behaviour parameters, read by the kernels (``params[k, P.KILL_PER_MIN]``)."""
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
    "kill_per_min": (
        (0.0667, f"{_PHYSICELL}: kill rate 1/15 min⁻¹ while attached at immunogenicity 1"),
        (0.0667, f"{_PHYSICELL} (generic immune cell); design choice: the faster hits of "
                 "NK serial killers (Vanherberghen et al. 2013) are not a separate class")),
    "detach_min": (
        (60.0, f"{_PHYSICELL}: attachment lifetime 60 min, then detach and search again"),
        (60.0, f"{_PHYSICELL}: attachment lifetime 60 min")),
    "max_kills": (
        (5.0, "Kather et al. 2018 Cancer Res 78:5970: killing capacity IMkmax = 5 per "
              "lymphocyte"),
        (5.0, "design choice: a serial-killer cap as for CD8 (Kather et al. 2018); "
              "Vanherberghen et al. 2013 saw a minority of NK cells kill several targets "
              "consecutively and about half kill none")),
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
    "pd1_exhaustion_min": (
        (30.0, "design choice after Barber et al. 2006 Nature 439:682 and Wherry 2011 Nat "
               "Immunol 12:492 (PD-1 signalling drives CD8 exhaustion; PD-1/PD-L1 blockade "
               "restores it): 30 min of full PD-1 signalling (engaged with targets of "
               "PD-L1 ≫ pdl1_k, no blockade) exhaust a cell, ~3 engagements with hypoxic "
               "targets (PD-L1 ≈ 0.5), fewer than the 5 kills of max_kills"),
        (1e9, "design choice: NK cells are not exhausted through PD-1 here (few express "
              "it: Hsu et al. 2018 J Clin Invest 128:4654); max_kills still caps them")),
    "recruit_k": (
        (0.1, "design choice: half-maximal entry at 0.1 chemokine units next to the vessel "
              "(1 unit ≈ an isolated fully secreting senescent cell's own site, [chemokine])"),
        (0.1, "design choice: as CD8")),
    "recognition_proliferating": (
        (1.0, f"reference recognition ({_PHYSICELL}: kill rate at immunogenicity 1)"),
        (0.5, "design choice: NK recognise tumour cells through stress ligands and missing "
              "self, less than senescent cells")),
    "recognition_quiescent": (
        (1.0, "design choice: contact-inhibited G0 cells keep MHC-I"),
        (0.5, "design choice: as proliferating")),
    "recognition_dormant": (
        (0.2, "design choice after Pommier et al. 2018 Science 360:eaao4908 (quiescent "
              "disseminated cells lack MHC-I and escape T cells)"),
        (0.2, "design choice after Malladi et al. 2016 Cell 165:45 (latent quiescent cells "
              "down-regulate NKG2D ligands and evade NK cells)")),
    "recognition_senescent": (
        (1.0, "Marin et al. 2023 Cancer Discov 13:410 (senescent cells raise MHC-I antigen "
              "presentation and prime CD8 immunity)"),
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
    the local chemokine, walk up its gradient with persistence, attach to tumour cells in
    reach, kill with a hazard lowered by the target's PD-L1 (CD8 far more than NK) and by low
    recognition (dormant cells), stop killing after ``max_kills`` (exhaustion) and leave after
    a lifetime. Every parameter, its unit and its source: ``abm params`` (section
    "immune.cd8 / immune.nk")."""

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


@check("immune")
def _check_immune(c, errors: list[str]) -> None:
    if c.immune.enabled and not c.chemokine.field:
        errors.append("immune.enabled = true needs chemokine.field = true (immune cells enter "
                      "and navigate by the chemokine)")
