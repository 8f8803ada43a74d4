"""Config sections of the diffusing fields (:mod:`abm.fields.solutes`): ``[oxygen]``,
``[glucose]`` and the secreted fields ``[sasp]``, ``[sasp_metabolic]``, ``[chemokine]``."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import (ATMOSPHERIC_MMHG, MAX_DIFFUSIVITY, MAX_DX_UM, MAX_GLUCOSE,
                               MAX_RATE, MAX_SECRETION)
from abm.config.loader import collect
from abm.config.params import param
from abm.config.registry import check, section


MAX_SOLVE_EVERY = 240
"""Largest ``solve_every`` (steps): one simulated day at the default 6-min step (design
choice: a field solved less often than daily no longer follows the cells it couples to)."""


_SOLVE_EVERY = dict(unit="steps", low=1, high=MAX_SOLVE_EVERY,
                   doc="solve the field every this many steps, by one backward-Euler step of "
                       "solve_every × dt with the cells of that step; in between the cells read "
                       "the last solution at their sites (1: every step)")
"""The ``solve_every`` key's declaration but for its default and source (multi-rate
stepping, :mod:`abm.fields.process`)."""


_MULTIRATE_SOURCE = (
    "design choice, measured (docs/fields.md, 'Multi-rate stepping'): O2 and glucose every 3 "
    "steps, the secreted fields every 6; against every-step solves, in 3 cases × 5–6 seeds, "
    "every end-of-run count and field summary moved by less than its seed-to-seed sd, the "
    "largest a +0.4 % bias of the divisions over 6 days of the quickstart (one sd); at 1000² "
    "with 104k cells the fields took 62–68 instead of 206 ms per step. The checks had CD8 and "
    "NK cells walking up the chemokine, but no neutrophils (which walk up it too): with "
    "[myeloid] on, compare with chemokine.solve_every = 1 before trusting a fine effect")


def _solve_every(default: int, source: str):
    """The ``solve_every`` key of a field section."""
    return param(default, source=source, **_SOLVE_EVERY)


@section("oxygen")
@dataclass(frozen=True)
class OxygenSection:
    """The oxygen field: D∇²C − λC − Σ_cells V·C/(Km + C) = ∂C/∂t, vessels fixed at
    vessel_mmHg; the cells' Michaelis–Menten respiration V, Km is set by ``[metabolism]``."""

    diffusivity_um2_per_min: float = param(1.0e5, unit="µm²/min", low=0.0,
                                           high=MAX_DIFFUSIVITY, low_inclusive=False,
                                           doc="O2 diffusion coefficient",
                                           source="PhysiCell default (tissue); water 37 °C ≈ 1.8e5")
    decay_per_min: float = param(0.1, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                 doc="background consumption by the host tissue",
                                 source="PhysiCell (1 mm length scale without tumour cells)")
    vessel_mmHg: float = param(38.0, unit="mmHg", low=0.0,
                               high=ATMOSPHERIC_MMHG, low_inclusive=False,
                               doc="O2 partial pressure at vessel sites",
                               source="PhysiCell: 38 mmHg = 5% O2, physioxic")
    cell_volume_um3: float = param(2494.0, unit="µm³", low=0.0,
                                   high=MAX_DX_UM ** 3, low_inclusive=False,
                                   doc="tumour cell volume: a site's rate is a cell's rate "
                                       "(per its own volume) × cell_volume / dx³ (the 2D lattice "
                                       "is a slab one site thick)",
                                   source="PhysiCell MCF-7 (radius 8.41 µm)")
    initial: str = param("steady", choices=("steady", "vessel"),
                         doc="initial field: the steady state with the seeded tumour, or vessel_mmHg everywhere",
                         source="design choice")
    rtol: float = param(1e-5, low=1e-14, high=1e-2,
                        doc="solver tolerance: max residual / vessel_mmHg",
                        source="design choice, measured (docs/fields.md, 'Multi-rate stepping'): "
                               "at 1000² with 104k cells a step's O2 differs from a 1e-9 solve "
                               "by ≤ 0.0032 mmHg (0.0009 at 1e-6), far below the cells' O2 "
                               "thresholds (0.1–1 mmHg), in 3 V-cycles instead of 4; 1e-4 "
                               "errs by 0.084 mmHg")
    max_cycles: int = param(60, low=1, high=10000,
                            doc="multigrid V-cycles allowed per step before a NumericalError",
                            source="design choice")
    solve_every: int = _solve_every(3, _MULTIRATE_SOURCE)
    hypoxic_mmHg: float = param(10.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                                doc="threshold of the hypoxic-fraction reporter",
                                source="radiobiological hypoxia < 10 mmHg (Vaupel & Höckel 2000)")


@section("glucose")
@dataclass(frozen=True)
class GlucoseSection:
    """Glucose, the second vessel-supplied field (normalised to the plasma level: 1 ≈ 5.5 mM):
    D∇²G − λG − Σ_cells V_G·G/(K_G + G) = ∂G/∂t, vessels fixed at vessel_level; the cells'
    uptake follows their glycolysis (``[metabolism]``). With O2 it sets the cells' ATP, so
    energy (and the cell) fails where both run out: the necrotic centre."""

    field: bool = param(True, doc="solve the glucose field; false: every cell sees `level`",
                        source="design choice: necrosis only where energy fails (docs/targets.md) "
                               "needs glucose to run out in the core, as in spheroids")
    level: float = param(1.0, low=0.0, high=1.0,
                         doc="glucose (fraction of plasma) every cell sees when field = false, "
                             "and in well-mixed cultures",
                         source="docs/network.md §2 (glc default 1)")
    diffusivity_um2_per_min: float = param(6600.0, unit="µm²/min", low=0.0,
                                           high=MAX_DIFFUSIVITY, low_inclusive=False,
                                           doc="glucose diffusion coefficient in tumour tissue",
                                           source="Casciari et al. 1988 Cancer Res 48:3905: "
                                                  "1.1e-6 cm²/s in EMT6/Ro spheroids")
    decay_per_min: float = param(0.0, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                 doc="background consumption by the host tissue",
                                 source="design choice: host consumption is small next to a "
                                        "tumour's; raise it for a metabolically active host")
    vessel_level: float = param(1.0, low=0.0, high=MAX_GLUCOSE, low_inclusive=False,
                                doc="glucose at vessel sites (fraction of plasma)",
                                source="normalisation: 1 = plasma level (≈ 5.5 mM)")
    initial: str = param("steady", choices=("steady", "vessel"),
                         doc="initial field: the steady state with the seeded tumour, or "
                             "vessel_level everywhere",
                         source="design choice")
    rtol: float = param(1e-4, low=1e-14, high=1e-2,
                        doc="solver tolerance: max residual / vessel_level",
                        source="design choice: 1e-4 of plasma (≈ 0.5 µM) is far below any "
                               "threshold; the quickstart at 1e-6 differs by < 1 % in every "
                               "phase count and costs 60 % more field time")
    max_cycles: int = param(60, low=1, high=10000,
                            doc="multigrid V-cycles allowed per step before a NumericalError",
                            source="design choice")
    solve_every: int = _solve_every(3, _MULTIRATE_SOURCE)


def secreted_field(name: str):
    """Class decorator: register a :class:`SecretedFieldSection` subclass as ``[name]``, with
    the check of its ``route_secretion`` table (route names and factors)."""
    def register(cls: type) -> type:
        @check(name)
        def check_routes(c, errors: list[str]) -> None:
            from abm.fields.solutes import route_factors  # not at import time: stays light

            collect(errors, lambda: route_factors(getattr(c, name), name))
        return section(name)(cls)
    return register


_CYTOKINE = "docs/fields.md: PhysiCell's generic cytokine"


_CYTOKINE_KEYS = {
    "diffusivity_um2_per_min": dict(default=1000.0, unit="µm²/min", low=0.0,
                                    high=MAX_DIFFUSIVITY, low_inclusive=False,
                                    doc="diffusion coefficient", source=_CYTOKINE),
    "decay_per_min": dict(default=0.016, unit="min⁻¹", low=0.0, high=MAX_RATE,
                          doc="decay (t½ ≈ 43 min)", source=_CYTOKINE),
    "uptake_per_min": dict(default=0.1, unit="min⁻¹", low=0.0, high=MAX_RATE,
                           doc="first-order uptake by a viable cell, per cell volume",
                           source="docs/fields.md: 0.1–1 min⁻¹ by neighbouring cells (low end)"),
    "rtol": dict(default=1e-4, low=1e-14, high=1e-2,
                 doc="solver tolerance: max residual / max value",
                 source="design choice (as glucose.rtol)"),
    "max_cycles": dict(default=60, low=1, high=10000,
                       doc="multigrid V-cycles allowed per step before a NumericalError",
                       source="design choice"),
}
"""The keys every cytokine-like field section shares (secreted by cells or by agents),
declared once."""


def _cytokine(key: str):
    """A new declaration of the shared key ``key`` of :data:`_CYTOKINE_KEYS`."""
    spec = dict(_CYTOKINE_KEYS[key])
    return param(spec.pop("default"), **spec)


@dataclass(frozen=True)
class SecretedFieldSection:
    """What every secreted field shares (SASP, metabolic SASP, chemokine): senescent cells
    secrete it with a composition set by their senescence route, viable cells take it up,
    vessels drain it (0 there), and it decays:
    D∇²S − (k_cells + λ)S + secretion = ∂S/∂t."""

    field: bool = param(True, doc="solve this field; false: no cell secretes or sees it",
                        source="docs/fields.md: secretion by senescent cells")
    diffusivity_um2_per_min: float = _cytokine("diffusivity_um2_per_min")
    decay_per_min: float = _cytokine("decay_per_min")
    uptake_per_min: float = _cytokine("uptake_per_min")
    secretion_per_min: float = param(10.0, unit="field units/min", low=0.0, high=MAX_SECRETION,
                                     doc="secretion by a senescent cell of a fully secreting "
                                         "route, per cell volume (a site gets secretion × "
                                         "cell volume / dx³ × the route's factor)",
                                     source="design choice (normalisation, docs/fields.md: 'a "
                                            "parameter'): an isolated fully secreting cell holds "
                                            "its own site near 1 field unit and its neighbours "
                                            "below it")
    route_secretion: dict = param({"geroconversion": 1.0, "paracrine": 0.02, "therapy": 1.0,
                                   "metabolic": 0.1},
                                  doc="secretion factor of a senescent cell by senescence route "
                                      "(names: geroconversion, paracrine, therapy, metabolic)",
                                  source="see each field's section doc")
    initial: str = param("steady", choices=("steady", "vessel"),
                         doc="initial field: the steady state with the seeded tumour, or 0 "
                             "everywhere (the vessels' value)",
                         source="design choice")
    rtol: float = _cytokine("rtol")
    max_cycles: int = _cytokine("max_cycles")
    solve_every: int = _solve_every(6, _MULTIRATE_SOURCE)


@secreted_field("sasp")
@dataclass(frozen=True)
class SaspSection(SecretedFieldSection):
    """Inflammatory SASP (IL-6/IL-8/IL-1-like; network units: the network's SASP input, where 1
    arrests a normoxic cell with active mTORC1, G1 ≈ 56 h, docs/network.md §2). Every cell's local
    value is its network's SASP input (secondary senescence through p21 and p38) and raises its
    PD-L1 and stemness ([cell_state]).

    Route composition (``route_secretion``): full for geroconversion and for DNA-damage
    (therapy-induced) senescence, whose persistent damage signalling drives IL-6/IL-8 (Rodier
    et al. 2009 Nat Cell Biol 11:973); 0.1 for metabolic senescence, whose SASP lacks the
    IL-1-dependent inflammatory arm (Wiley et al. 2016 Cell Metab 23:303); 0.02 for paracrine
    senescence: a front of cells secreting q (site rate) holds S ≈ q/(2(λ + k)) at its edge,
    the network senesces above S ≈ 1.0–1.25 (culture, 144 h), so q/(2(λ + k)) must stay below
    ~1 or secondary senescence percolates through a growing tissue: 0.02 × 10 = 0.2 per cell
    gives 0.77 with the defaults (tests/test_sasp.py)."""


@secreted_field("sasp_metabolic")
@dataclass(frozen=True)
class SaspMetabolicSection(SecretedFieldSection):
    """Non-inflammatory (metabolic) SASP (network units, normalised as the inflammatory one):
    dominant for metabolic (mitochondrial-dysfunction) senescence, weak (0.2) for the
    classical routes (the senescence review's two SASP programmes; Wiley et al. 2016). It
    does not arrest neighbours; it raises their stemness ([cell_state])."""

    route_secretion: dict = param({"geroconversion": 0.2, "paracrine": 0.004, "therapy": 0.2,
                                   "metabolic": 1.0},
                                  doc="secretion factor by senescence route",
                                  source="design choice after Wiley et al. 2016 Cell Metab "
                                         "23:303 (MiDAS: a distinct, IL-1-independent SASP); "
                                         "paracrine cells secrete 0.02 × the classical share, "
                                         "as for the inflammatory SASP")


@secreted_field("chemokine")
@dataclass(frozen=True)
class ChemokineSection(SecretedFieldSection):
    """A chemokine (CCL2/CXCL9/10-like, normalised units) that recruits immune cells from the
    vessels and steers them up its gradient. Senescent cells secrete it with the inflammatory
    SASP (CCL2 in the SASP recruits the immune cells that clear senescent cells: Kang et al.
    2011 Nature 479:547); viable tumour cells secrete a little (``tumor_secretion_factor``) so
    that a tumour without senescence is still found."""

    field: bool = param(False, doc="solve the chemokine field (immune cells need it; off by "
                                   "default because nothing else reads it)",
                        source="design choice: saves a multigrid solve per step in runs "
                               "without immune cells")
    route_secretion: dict = param({"geroconversion": 1.0, "paracrine": 0.02, "therapy": 1.0,
                                   "metabolic": 0.1},
                                  doc="secretion factor by senescence route",
                                  source="design choice: follows the inflammatory SASP "
                                         "(CCL2 is one of its components, Kang et al. 2011)")
    tumor_secretion_factor: float = param(0.02, low=0.0, high=1.0,
                                          doc="secretion of a viable non-senescent tumour cell "
                                              "relative to a fully secreting senescent cell",
                                          source="design choice: a packed tumour of N cells "
                                                 "outshines one senescent cell when N ≳ 50 "
                                                 "(tumour-derived CXCL9/10 recruit T cells)")


@dataclass(frozen=True)
class AgentFieldSection:
    """A field secreted by agents other than tumour cells (neutrophils, platelets; their
    processes set the secretion, [neutrophils] and [platelets]): tumour cells take it up,
    vessels drain it (0 there) and it decays: D∇²S − (k_cells + λ)S + secretion = ∂S/∂t.
    Its units are set by the agents' secretion rates (``[neutrophils]``, ``[platelets]``)."""

    field: bool = param(False, doc="solve this field (the agents that secrete it need it)",
                        source="design choice: off unless the agents are on")
    diffusivity_um2_per_min: float = _cytokine("diffusivity_um2_per_min")
    decay_per_min: float = _cytokine("decay_per_min")
    uptake_per_min: float = _cytokine("uptake_per_min")
    initial: str = param("vessel", choices=("steady", "vessel"),
                         doc="initial field: 0 everywhere (the vessels' value), or the steady "
                             "state (no agent secretes yet: 0 as well)",
                         source="design choice")
    rtol: float = _cytokine("rtol")
    max_cycles: int = _cytokine("max_cycles")
    solve_every: int = _solve_every(1, "design choice: every step; the model-level check of "
                                          "multi-rate stepping ran without neutrophils and "
                                          "platelets, so it says nothing about these fields")


@section("il6")
@dataclass(frozen=True)
class Il6Section(AgentFieldSection):
    """IL-6/IL-1β (normalised units) secreted by neutrophils ([neutrophils]): a proliferative
    signal that tumour cells read as extra growth factor (Szczerba et al. 2019 Nature 566:553:
    neutrophil IL-6 and IL-1β push CTCs through the cell cycle)."""


@section("tgfb")
@dataclass(frozen=True)
class TgfbSection(AgentFieldSection):
    """TGF-β (normalised units) released by platelets adhering at vessel walls ([platelets]):
    it drives tumour cells' EMT (``cell_state.emt_tgfb_rate_per_h``; Labelle et al. 2011
    Cancer Cell 20:576)."""


_MM = "docs/fields.md, 'Respiration and glycolysis'"


@section("metabolism")
@dataclass(frozen=True)
class MetabolismSection:
    """How a tumour cell makes its ATP, and so what it takes up (docs/fields.md, 'Respiration
    and glycolysis'). In units of the ATP demand of a cycling cell: respiration can make
    up to ``oxidative_capacity`` × O2/(Km + O2), glycolysis up to ``glycolytic_capacity`` ×
    (glucose saturation, 1 at plasma) × (1 + ``hif_glycolysis_gain`` × HIF(O2)). A cell whose
    capacity exceeds its demand runs both pathways in proportion to their capacity; one
    whose capacity falls short runs both at capacity and has an energy deficit. O2 uptake
    follows respiration (``atp_per_o2``), glucose uptake glycolysis (``atp_per_glucose``,
    plus the glucose respiration burns): so glucose uptake rises in hypoxia, O2 uptake rises
    when glucose runs short, and both fall with the demand of arrested cells."""

    o2_uptake_mmHg_per_min: float = param(167.0, unit="mmHg/min", low=0.0, high=1e5,
                                          doc="O2 consumption of packed tissue of cycling cells (one "
                                              "cell per site, ATP demand 1) at saturating O2 and "
                                              "plasma glucose, as a rate of partial pressure",
                                          source="tumours in vivo consume 2–10 µL O2/g/min (Vaupel, "
                                                 "Kallinowski & Okunieff 1989 Cancer Res 49:6449): "
                                                 "5 µL/g/min ÷ 3.0e-5 mL O2/mL/mmHg = 167 mmHg/min. "
                                                 "Spheroids in vitro respire ~8× more: 1326 mmHg/min "
                                                 "for DLD1 (Grimes et al. 2014 J R Soc Interface "
                                                 "11:20131124), scenarios/spheroid.toml")
    o2_km_mmHg: float = param(1.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                              low_inclusive=False,
                              doc="O2 at which respiration is half-maximal (Michaelis–Menten)",
                              source="Wagner et al. 2011: cellular respiration is near zero order "
                                     "down to ~1 mmHg, Km ~0.5–1 mmHg (upper end)")
    o2_solubility_uM_per_mmHg: float = param(1.3, unit="µM/mmHg", low=0.0, high=100.0,
                                             low_inclusive=False,
                                             doc="O2 concentration per mmHg in tissue (Henry): "
                                                 "turns O2 use into ATP and glucose amounts",
                                             source="1.3–1.4 µM/mmHg in water and tissue at "
                                                    "37 °C (Wagner et al. 2011)")
    oxidative_capacity: float = param(1.0, low=0.0, high=10.0,
                                      doc="ATP respiration can make at saturating O2, in units of "
                                          "a cycling cell's demand",
                                      source="design choice: respiration alone can meet the demand "
                                             "(cells raise O2 use when glucose runs short, Casciari "
                                             "et al. 1992 J Cell Physiol 151:386)")
    glycolytic_capacity: float = param(0.25, low=0.0, high=10.0,
                                       doc="ATP glycolysis can make at plasma glucose without "
                                           "HIF, in units of a cycling cell's demand",
                                       source="Zu & Guppy 2004 Biochem Biophys Res Commun 313:459: "
                                              "glycolysis makes ~17 % of a normoxic cancer cell's "
                                              "ATP on average; 0.25/(1 + 0.25) = 20 %")
    hif_glycolysis_gain: float = param(0.67, low=0.0, high=10.0,
                                       doc="relative rise of glycolytic capacity at full HIF "
                                           "(GLUT1, hexokinase 2, LDHA are HIF targets)",
                                       source="the network's glycolytic share: fGLY0 = 0.6 without "
                                              "HIF, 1 with it (docs/network.md §2) → 1/0.6 − 1")
    hif_half_mmHg: float = param(11.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                                 low_inclusive=False,
                                 doc="O2 at which HIF is half-maximal: HIF = 1/(1 + (O2/K)^n)",
                                 source="as the network's KH (docs/network.md §2): HIF-1α "
                                        "half-maximal at ~1.5–2 % O2")
    hif_hill: float = param(3.0, low=0.0, high=10.0, low_inclusive=False,
                            doc="Hill coefficient of HIF in O2", source="as the network's nH")
    glucose_km: float = param(0.2, unit="× plasma", low=0.0, high=MAX_GLUCOSE,
                              low_inclusive=False,
                              doc="glucose at which glycolytic uptake is half-maximal "
                                  "(Michaelis–Menten)",
                              source="GLUT1 Km ~1–3 mM; 0.2 × 5.5 mM = 1.1 mM (low end: EMT6/Ro "
                                     "uptake still rises between 0.4 and 5.5 mM, Casciari 1992)")
    atp_per_o2: float = param(5.0, unit="ATP/O2", low=0.0, high=10.0, low_inclusive=False,
                              doc="ATP made per O2 respired",
                              source="P/O ≈ 2.5 (Hinkle 2005 Biochim Biophys Acta 1706:1) × 2 O")
    atp_per_glucose: float = param(2.0, unit="ATP/glucose", low=0.0, high=10.0,
                                   low_inclusive=False,
                                   doc="ATP made per glucose by glycolysis to lactate",
                                   source="textbook stoichiometry")
    respired_glucose_share: float = param(0.5, low=0.0, high=1.0,
                                          doc="share of respiration fuelled by glucose (6 O2 per "
                                              "glucose; glutamine and fatty acids the rest)",
                                          source="design choice: tumour cells respire glucose and "
                                                 "glutamine in comparable amounts (DeBerardinis "
                                                 "et al. 2007 PNAS 104:19345)")
    maintenance_demand: float = param(0.2, low=0.0, high=1.0,
                                      doc="ATP demand of a cell with mTORC1 off, relative to a "
                                          "cycling one: the demand is maintenance + (1 − "
                                          "maintenance) × min(1, mTORC1 / mtorc1_reference), so it "
                                          "falls as a cell arrests (dormancy: mTORC1 low) and "
                                          "stays high in senescence (mTORC1 active)",
                                      source="Wagner et al. 2011 Free Radic Biol Med 51:700: growing "
                                             "cells respire 1.5–5× more than plateau-phase ones "
                                             "(1/5 taken: mTORC1-driven protein synthesis is the "
                                             "largest ATP consumer, Buttgereit & Brand 1995 "
                                             "Biochem J 312:163)")
    mtorc1_reference: float = param(0.9, low=0.0, high=10.0, low_inclusive=False,
                                    doc="mTORC1 activity of a cycling cell (full demand at or "
                                        "above it)",
                                    source="the default network's mTORC1 at GF 1, normoxia "
                                           "(docs/network.md §2)")


@section("medium")
@dataclass(frozen=True)
class MediumSection:
    """Culture medium around a tumour without vessels (a spheroid): the domain edge is held
    at the medium's O2 and glucose (and 0 of every secreted field), and, when ``stirred``,
    every cell-free site joined to the edge by cell-free sites is medium too (a spinner
    flask's well-mixed medium; necrotic debris and cells shield the inside)."""

    edge: bool = param(False, doc="hold the domain edge at the medium values (a boundary "
                                  "condition of every field)",
                       source="design choice: on for spheroids in culture, off in tissue")
    oxygen_mmHg: float = param(142.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                               doc="O2 of the medium",
                               source="20 % O2 over humidified medium at 37 °C: 0.2 × (760 − 47) "
                                      "mmHg (Freyer & Sutherland 1986 Cancer Res 46:3504)")
    glucose_level: float = param(3.0, unit="× plasma", low=0.0, high=MAX_GLUCOSE,
                                 doc="glucose of the medium (1 = 5.5 mM)",
                                 source="16.5 mM, EMT6/Ro spheroid medium (Freyer & Sutherland "
                                        "1986)")
    stirred: bool = param(True, doc="cell-free sites joined to the edge are medium (relax to "
                                    "the medium values at exchange_per_min)",
                          source="design choice: spinner-flask culture (Freyer & Sutherland "
                                 "1986); false: the medium diffuses with the field's D")
    exchange_per_min: float = param(1000.0, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                    low_inclusive=False,
                                    doc="rate at which a medium site relaxes to the medium values",
                                    source="design choice: ≫ D/dx² (~350 min⁻¹ for O2), so a "
                                           "medium site holds the medium value within a few %")
