"""The scenario config schema: every key, its type, unit, allowed values and source.

A scenario TOML file has one table per section below (``[run]``, ``[grid]``, ...). Keys left
out take the defaults written here. ``abm params`` prints this schema as a table.

Units: lengths µm, times min (hours where the name says ``_h``, days where it says ``days``),
oxygen mmHg, rates per min.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from abm.config.params import param

ATMOSPHERIC_MMHG = 760.0
"""pO2 of pure O2 at 1 atm (mmHg): no vessel or tissue pO2 exceeds it (the bound of every O2
level and O2 constant; 1e200 would overflow the field)."""
MMHG_PER_PERCENT_O2 = ATMOSPHERIC_MMHG / 100.0
"""1% O2 at 37 °C in mmHg (760 mmHg × 1%); used to quote O2 levels in both units."""

# Bounds shared by many keys (each key states its own; these say why). A value beyond them is
# not a possible tissue, and each keeps derived quantities (rates × times, exponentials,
# areas) far from float overflow, so nonsense is refused at load time instead of putting
# inf/NaN into fields and cell columns.
MAX_DAYS = 3650.0
"""Longest run (d; design choice: ten years of tumour growth)."""
MAX_RUN_H = MAX_DAYS * 24.0
"""Bound of durations, delays and half-lives (h): a process slower than the longest run
acts like none, so larger values add nothing but overflow risk."""
MAX_SITES = 8192
"""Largest lattice side (sites; design choice: 8192² sites is ~16 GB of run state)."""
MIN_DX_UM, MAX_DX_UM = 5.0, 50.0
"""Site size range (µm): one cell diameter, from small lymphocyte-like to large cells."""
MAX_DOMAIN_UM = MAX_SITES * MAX_DX_UM
"""Longest domain side (µm): the bound of spacings and radii."""
MAX_SITES_PER_MM2 = 1e6 / MIN_DX_UM**2
"""Most sites per mm² (at the smallest site): the bound of initial cell densities."""
MAX_RATE = 1e3
"""Bound of first-order rates, per min or per h as the key says (design choice): a time
constant of 0.06 s or 3.6 s is instantaneous for any allowed step (0.1–120 min), while
rate × step and rate × concentration stay far from overflow."""
MAX_DIFFUSIVITY = 1e6
"""Bound of diffusion coefficients (µm²/min; design choice): 5× O2 in water at 37 °C
(1.8e5), faster than any solute in tissue."""
MAX_GLUCOSE = 10.0
"""Bound of glucose levels (fraction of plasma; design choice): 55 mM, beyond the worst
hyperglycaemia."""
MAX_SECRETION = 1e3
"""Bound of secretion rates (field units/min; design choice): 100× the default, which
holds a secreting cell's own site near 1 field unit."""
MAX_RELATIVE = 10.0
"""Bound of relative factors and gains (design choice): 10× the reference they scale."""
MAX_NETWORK_LEVEL = 100.0
"""Bound of thresholds on network species and inputs (network units; design choice): the
species live at O(0.01–10), so a higher threshold could never be crossed."""
MAX_KAPPA = 100.0
"""Bound of von Mises concentrations (design choice): a hormone peak ~0.4 h wide, while
the bump's minimum e^(−2κ) stays a normal float (the daily mean it is divided by > 0)."""
MAX_LOG_WEIGHT = 10.0
"""Bound of log-shedding weights (design choice): e^10 ≈ 22,000× per unit hormone, far
beyond the 3–4.5× day/night ratio measured (Diamantopoulou et al. 2022)."""
MAX_CLUSTER_EXTRA = 48.0
"""Bound of the mean cluster size − 2: clusters hold 2–50 cells (Aceto et al. 2014)."""
MAX_DOSE = 1e3
"""Bound of drug concentrations and EC50s (reference doses; design choice): a thousand
clinical doses at once is no treatment."""


@dataclass(frozen=True)
class RunSection:
    """Length, time step and seed of a run."""

    days: float = param(12.0, unit="d", low=0.0, high=MAX_DAYS, low_inclusive=False,
                        doc="simulated time",
                        source="design choice: the quickstart tumour reaches >10,000 cells in ~12 d")
    dt_min: float = param(6.0, unit="min", low=0.1, high=120.0,
                          doc="ABM step: fields, cells and events advance once per step",
                          source="DESIGN.md (6 min); cells change over hours, O2 relaxes in <1 min")
    seed: int = param(0, low=0, high=2**63 - 1, doc="seed of the whole run (also --seed)",
                      source="design choice")
    thin_agents: bool = param(True, doc="materialise a thin Mesa agent per tumour cell "
                              "(created/removed on events only); switch off for large headless runs",
                              source="design choice (notes/mesa.md §4.3: ~7 µs per birth/death)")
    start_clock_h: float = param(0.0, unit="h", low=0.0, high=24.0,
                                 doc="clock time at t = 0, h since midnight in [0, 24) (24 is "
                                     "rejected: write 0); [[therapy]] daily_at doses follow "
                                     "this clock",
                                 source="design choice: a run starts at midnight unless the "
                                        "scenario says otherwise")


@dataclass(frozen=True)
class GridSection:
    """The tissue lattice: one site holds at most one cell."""

    nx: int = param(200, unit="sites", low=8, high=MAX_SITES, doc="lattice width",
                    source="design choice: 200 × 16.8 µm ≈ 3.4 mm (quickstart)")
    ny: int = param(200, unit="sites", low=8, high=MAX_SITES, doc="lattice height",
                    source="design choice")
    dx_um: float = param(16.8, unit="µm", low=MIN_DX_UM, high=MAX_DX_UM,
                         doc="site size = one cell diameter; also the field grid spacing",
                         source="2 × MCF-7 radius 8.41 µm (PhysiCell)")


@dataclass(frozen=True)
class VesselSection:
    """Vessels are oxygen-source sites (Dirichlet) that tumour cells cannot occupy."""

    pattern: str = param("random", choices=("random", "array", "mask", "none"),
                         doc="random: uniform density with a minimum spacing (dart throwing); "
                             "array: a regular square array; mask: sites from mask_file; none: no vessels",
                         source="issue #2")
    density_per_mm2: float = param(10.0, unit="mm⁻²", low=0.0, high=2000.0,
                                   doc="vessel density for pattern=random",
                                   source="design choice: mean spacing ~320 µm, so tissue beyond "
                                          "~150 µm of a vessel turns hypoxic (viable cord ≈ 150 µm: "
                                          "Thomlinson & Gray 1955)")
    min_spacing_um: float = param(150.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM,
                                  doc="minimum centre distance between random vessels",
                                  source="design choice: ~2 × O2 diffusion length with cells")
    array_spacing_um: float = param(300.0, unit="µm", low=1.0, high=MAX_DOMAIN_UM,
                                    doc="spacing of pattern=array (first vessel at half a spacing)",
                                    source="design choice: same mean spacing as the random default")
    avascular_radius_um: float = param(0.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM,
                                       doc="no vessel within this distance of the tumour centre "
                                           "(tumor.center_*_frac): an avascular nodule growing into "
                                           "vascularised tissue; random and array patterns only",
                                       source="design choice: small tumours start avascular and "
                                              "co-opt vessels as they grow")
    mask_file: str = param("", doc="pattern=mask: .npy (nonzero = vessel) or .png (bright = vessel) "
                                   "of shape (ny, nx); relative paths are relative to the scenario file",
                           source="issue #2")


@dataclass(frozen=True)
class TumorSection:
    """Where the initial tumour cells sit."""

    seed_pattern: str = param("disc", choices=("disc", "mask"),
                              doc="disc: all free sites within radius_um of the centre; "
                                  "mask: sites from mask_file", source="issue #2")
    center_x_frac: float = param(0.5, low=0.0, high=1.0,
                                 doc="disc centre as a fraction of the domain width",
                                 source="design choice")
    center_y_frac: float = param(0.5, low=0.0, high=1.0,
                                 doc="disc centre as a fraction of the domain height",
                                 source="design choice")
    radius_um: float = param(150.0, unit="µm", low=0.0, high=MAX_DOMAIN_UM, low_inclusive=False,
                             doc="initial disc radius", source="design choice: ~250 cells, a "
                                                               "small avascular-sized nodule")
    mask_file: str = param("", doc="seed_pattern=mask: .npy/.png of shape (ny, nx), nonzero = tumour cell",
                           source="issue #2")


@dataclass(frozen=True)
class OxygenSection:
    """The oxygen field: D∇²C − (k_cells + λ)C = ∂C/∂t, vessels fixed at vessel_mmHg."""

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
    uptake_per_min: float = param(10.0, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                  doc="first-order uptake by a viable tumour cell, per cell volume",
                                  source="PhysiCell cancer_immune sample")
    cell_volume_um3: float = param(2494.0, unit="µm³", low=0.0,
                                   high=MAX_DX_UM ** 3, low_inclusive=False,
                                   doc="tumour cell volume: a site's uptake rate is "
                                       "uptake_per_min × cell_volume / dx³ (the 2D lattice is a "
                                       "slab one site thick)",
                                   source="PhysiCell MCF-7 (radius 8.41 µm)")
    initial: str = param("steady", choices=("steady", "vessel"),
                         doc="initial field: the steady state with the seeded tumour, or vessel_mmHg everywhere",
                         source="design choice")
    rtol: float = param(1e-6, low=1e-14, high=1e-2,
                        doc="solver tolerance: max residual / vessel_mmHg", source="design choice: "
                        "1e-6 × 38 mmHg is far below any biological threshold")
    max_cycles: int = param(60, low=1, high=10000,
                            doc="multigrid V-cycles allowed per step before a NumericalError",
                            source="design choice")
    hypoxic_mmHg: float = param(10.0, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                                doc="threshold of the hypoxic-fraction reporter",
                                source="radiobiological hypoxia < 10 mmHg (Vaupel & Höckel 2000)")


@dataclass(frozen=True)
class GlucoseSection:
    """Glucose, the second vessel-supplied field (normalised to the plasma level: 1 ≈ 5.5 mM):
    D∇²G − (k_cells + λ)G = ∂G/∂t, vessels fixed at vessel_level. With O2 it sets the network's
    ATP, so energy (and the cell) fails where both run out: the necrotic centre."""

    field: bool = param(True, doc="solve the glucose field; false: every cell sees `level`",
                        source="design choice: necrosis only where energy fails (targets.md) "
                               "needs glucose to run out in the core, as in spheroids")
    level: float = param(1.0, low=0.0, high=1.0,
                         doc="glucose (fraction of plasma) every cell sees when field = false, "
                             "and in well-mixed cultures",
                         source="network.md §2 (glc default 1)")
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
    uptake_per_min: float = param(0.09, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                  doc="first-order uptake by a viable tumour cell, per cell volume "
                                      "(oxygen.cell_volume_um3), at the plasma level",
                                  source="≈ 2e-17 mol/cell/s at 5.5 mM (EMT6/Ro order of magnitude, "
                                         "Casciari et al. 1992 J Cell Physiol 151:386) / (5.5 mM × "
                                         "2494 µm³); weak source: calibrate per cell line")
    dormant_uptake_factor: float = param(0.2, low=0.0, high=1.0,
                                         doc="uptake of a dormant cell relative to a cycling one",
                                         source="targets.md: long-term hypoxia lowers glucose "
                                                "uptake by ~80 % in dormant tumour cells")
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


_CYTOKINE = "fields.md: PhysiCell's generic cytokine"


@dataclass(frozen=True)
class SecretedFieldSection:
    """What every secreted field shares (SASP, metabolic SASP, chemokine): senescent cells
    secrete it with a composition set by their senescence route, viable cells take it up,
    vessels drain it (0 there), and it decays:
    D∇²S − (k_cells + λ)S + secretion = ∂S/∂t."""

    field: bool = param(True, doc="solve this field; false: no cell secretes or sees it",
                        source="fields.md: secretion by senescent cells")
    diffusivity_um2_per_min: float = param(1000.0, unit="µm²/min", low=0.0,
                                           high=MAX_DIFFUSIVITY, low_inclusive=False,
                                           doc="diffusion coefficient", source=_CYTOKINE)
    decay_per_min: float = param(0.016, unit="min⁻¹", low=0.0,
                                 high=MAX_RATE, doc="decay (t½ ≈ 43 min)",
                                 source=_CYTOKINE)
    uptake_per_min: float = param(0.1, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                  doc="first-order uptake by a viable cell, per cell volume",
                                  source="fields.md: 0.1–1 min⁻¹ by neighbouring cells (low end)")
    secretion_per_min: float = param(10.0, unit="field units/min", low=0.0, high=MAX_SECRETION,
                                     doc="secretion by a senescent cell of a fully secreting "
                                         "route, per cell volume (a site gets secretion × "
                                         "cell volume / dx³ × the route's factor)",
                                     source="design choice (normalisation, fields.md: 'a "
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
    rtol: float = param(1e-4, low=1e-14, high=1e-2,
                        doc="solver tolerance: max residual / max value",
                        source="design choice (as glucose.rtol)")
    max_cycles: int = param(60, low=1, high=10000,
                            doc="multigrid V-cycles allowed per step before a NumericalError",
                            source="design choice")


@dataclass(frozen=True)
class SaspSection(SecretedFieldSection):
    """Inflammatory SASP (IL-6/IL-8/IL-1-like; network units: the network's SASP input, where 1
    arrests a normoxic cell with active mTORC1, G1 ≈ 56 h, network.md §2). Every cell's local
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
class CellsSection:
    """What every cell program shares: which program runs, placement, energy reserve, clearance."""

    program: str = param("network", choices=("network", "placeholder"),
                         doc="network: the intracellular ODE network ([intracellular]) with the fate "
                             "layer ([fate]); placeholder: the O2-driven cycle of [cycle] (cheap, no ODEs)",
                         source="issue #3: the network replaces the placeholder; the placeholder stays "
                                "for fast exploratory runs")
    division_radius: float = param(5.0, unit="sites", low=1.0, high=8.0,
                                   doc="a daughter is placed on the nearest free site within this "
                                       "Euclidean radius (ties at random); none free = contact inhibition",
                                 source="design choice: a lattice stand-in for mechanical shoving "
                                        "(off-lattice tools push neighbours aside); 5 sites ≈ 84 µm "
                                        "gives a proliferating rim ~100–200 µm (targets.md)")
    retry_min: float = param(60.0, unit="min", low=0.0, high=MAX_RUN_H * 60.0, low_inclusive=False,
                             doc="placeholder program: a contact-inhibited cell retries division at "
                                 "this mean interval (the network program looks for space at each "
                                 "commitment)",
                             source="design choice: saves a neighbour search per blocked cell per step")
    energy_time_h: float = param(6.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                                 doc="τ of the energy reserve E ∈ [0, 1], dE/dt = (ATP − demand)/τ; "
                                     "E = 0 is necrosis (placeholder at anoxia: τ/(0.5 − 0.3) = 30 h)",
                                 source="design choice: necrosis after ~1 day of anoxia")
    necrotic_clearance_h: float = param(48.0, unit="h", low=0.0,
                                        high=MAX_RUN_H, low_inclusive=False,
                                        doc="a necrotic cell's debris frees its site after this time",
                                        source="design choice")
    apoptosis_duration_h: float = param(8.6, unit="h", low=0.0,
                                        high=MAX_RUN_H, low_inclusive=False,
                                        doc="an apoptotic cell is removed after this time",
                                        source="PhysiCell apoptosis duration 516 min")


@dataclass(frozen=True)
class CycleSection:
    """Placeholder cell cycle (``cells.program = "placeholder"``): a cheap stand-in for the network.

    Progress p ∈ [0, 1) advances at (1/T)·O2/(K + O2) per hour with an individual cycle time T
    (log-normal around cycle_time_h); p ≥ 1 divides. Below arrest_mmHg the cell arrests
    (quiescent, reversible). An energy reserve E ∈ [0, 1] follows
    dE/dt = (ATP − demand)/τ (τ = cells.energy_time_h) with
    ATP = min(1, 0.7·O2/(Kox + O2) + glycolytic_atp); E = 0 is necrosis, so necrosis needs
    sustained energy failure, not a single O2 threshold.
    """

    cycle_time_h: float = param(16.0, unit="h", low=1.0, high=1000.0,
                                doc="median cycle time at normoxia",
                                source="design choice: fast carcinoma lines double in 15–20 h in vitro")
    cycle_time_cv: float = param(0.15, low=0.0, high=1.0,
                                 doc="coefficient of variation of the individual cycle time (log-normal)",
                                 source="design choice: desynchronises divisions")
    o2_half_mmHg: float = param(0.76, unit="mmHg", low=0.0, low_inclusive=False,
                                high=ATMOSPHERIC_MMHG,
                                doc="O2 at which cycle progress runs at half speed",
                                source="0.1% O2: cycle unaffected at 1–8% O2, slowed near 0.1% "
                                       "(Richards et al. 2016 PeerJ; network.md design targets)")
    arrest_mmHg: float = param(0.38, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                               doc="hypoxic arrest below this O2 (reversible quiescence)",
                               source="network.md: ≤ 0.38 mmHg (0.05% O2) arrests")
    oxphos_atp: float = param(0.7, low=0.0, high=1.0,
                              doc="ATP supply from oxidative phosphorylation at saturating O2 "
                                  "(fraction of demand at full supply)",
                              source="network.md ATP term (0.7·O2/(Kox+O2))")
    atp_o2_half_mmHg: float = param(1.0, unit="mmHg", low=0.0,
                                    high=ATMOSPHERIC_MMHG, low_inclusive=False,
                                    doc="Kox: O2 at half-maximal oxidative ATP supply",
                                    source="network.md (Kox 1 mmHg)")
    glycolytic_atp: float = param(0.3, low=0.0, high=1.0,
                                  doc="ATP supply from glycolysis (O2-independent)",
                                  source="design choice: glycolysis covers ~30% of demand")
    atp_demand: float = param(0.5, low=0.0, high=1.0, low_inclusive=False,
                              doc="ATP below which the energy reserve drains",
                              source="design choice: reserve drains below ~0.4 mmHg")


@dataclass(frozen=True)
class IntracellularSection:
    """The per-cell ODE network (``cells.program = "network"``); see ``intracellular.networks()``."""

    network: str = param("dormancy", choices=("dormancy",),
                         doc="network driving the fate layer (its species are read by [fate])",
                         source="network.md §2 (the default hypoxia → dormancy/senescence network)")
    preset: str = param("default", doc="parameter preset of the network (e.g. default, "
                                       "hypoxia_sensitive); checked against the network",
                        source="network.md §2 presets")
    params: dict = param({}, doc="network parameter overrides, a table name = value "
                                 "(e.g. { Smax = 5.0 }); names checked against the network",
                         source="issue #3")
    rtol: float = param(1e-4, low=1e-12, high=1e-1,
                        doc="relative tolerance of the batched Rosenbrock integrator",
                        source="design choice: one 6-min step of the dormancy network lands within "
                               "2.5e-5 of Radau at rtol 1e-8 (benchmarks/bench_intracellular.py)")
    atol: float = param(1e-7, low=1e-14, high=1e-1,
                        doc="absolute tolerance of the integrator (species are O(0.01–10))",
                        source="design choice")
    growth_factor: float = param(1.0, low=0.0, high=1.0,
                                 doc="mitogen/niche input GF seen by every cell",
                                 source="network.md §2 (GF 1 in the design targets)")
    mito_dysfunction: float = param(0.0, low=0.0, high=1.0,
                                    doc="mitochondrial dysfunction input (lost share of "
                                        "respiration) seen by every cell; 0.45–0.55 arrests "
                                        "normoxic cells through AMPK–p53 → metabolic "
                                        "senescence; above ~0.56 glycolysis alone cannot meet "
                                        "fate.atp_demand and cells die of energy failure",
                                    source="design choice: healthy mitochondria by default; "
                                           "MiDAS (Wiley et al. 2016 Cell Metab 23:303) is an "
                                           "experimental condition (e.g. mtDNA depletion)")


@dataclass(frozen=True)
class FateSection:
    """Fate rules on the network state (network.md §2 "Fate layer")."""

    commit_ef: float = param(0.5, low=0.0, high=MAX_NETWORK_LEVEL, low_inclusive=False,
                             doc="E2F (EF) above this commits the cell to S/G2/M",
                             source="network.md §2 fate table")
    sg2m_mean_h: float = param(10.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                               doc="mean duration of S/G2/M after commitment", source="network.md §2")
    sg2m_sd_h: float = param(2.5, unit="h", low=0.0,
                             high=MAX_RUN_H, doc="its standard deviation (normal, "
                             "truncated to ≥ 25% of the mean)", source="network.md §2")
    dormant_after_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H,
                                   doc="E2F off this long with mTORC1 < mtor_threshold → dormant (G0, reversible)",
                                   source="network.md §2 fate table")
    senescent_after_h: float = param(72.0, unit="h", low=0.0, high=MAX_RUN_H,
                                     doc="arrested with mTORC1 ≥ mtor_threshold this long → senescent "
                                         "(geroconversion, irreversible)",
                                     source="Leontieva et al. 2012 PNAS 109:13314 (~3 days); network.md §2")
    mtor_threshold: float = param(0.6, low=0.0, high=1.0,
                                  doc="mTORC1 level separating dormancy (below) from geroconversion (at or above)",
                                  source="network.md §2 fate table")
    apoptosis_ampk: float = param(0.7, low=0.0, high=1.0, doc="energy-stress apoptosis needs AMPK above this",
                                  source="Zhou & Liu 2022 IJMS 23:14945 (qualitative); network.md §2")
    apoptosis_mtor: float = param(0.3, low=0.0, high=1.0, doc="... and mTORC1 below this",
                                  source="network.md §2")
    apoptosis_p21: float = param(0.4, low=0.0,
                                 high=MAX_NETWORK_LEVEL, doc="... and p21 above this", source="network.md §2")
    apoptosis_after_h: float = param(48.0, unit="h", low=0.0, high=MAX_RUN_H,
                                     doc="... sustained this long", source="network.md §2")
    atp_demand: float = param(0.6, low=0.0, high=1.0, low_inclusive=False,
                              doc="ATP (network.md §2 formula) below which the energy reserve drains; "
                                  "with glucose 1 the network's ATP falls below 0.6 only under "
                                  "~0.17 mmHg, and glycolysis alone (0.5) empties the reserve in "
                                  "energy_time_h/(0.6 − 0.5) = 60 h of anoxia",
                              source="design choice: necrosis only where energy fails (network.md §2), "
                                     "not at PhysiCell's O2-only 5 mmHg")
    paracrine_sasp: float = param(1.0, unit="network units", low=0.0, high=MAX_NETWORK_LEVEL,
                                  doc="a cell that senesces with its SASP input at or above this "
                                      "is recorded as paracrine (secondary) senescence",
                                  source="measured: normoxic cultures at constant SASP 1.0 show "
                                         "0 % senescence at 144 h, at 1.25 86 % (the network's "
                                         "threshold; network.md §2: SASP 1 arrests with active "
                                         "mTORC1)")
    therapy_damage: float = param(0.5, unit="network units", low=0.0, high=MAX_NETWORK_LEVEL,
                                  doc="a cell that senesces with DNA damage at or above this is "
                                      "recorded as therapy-induced senescence",
                                  source="design choice: DNA damage 0.5 alone delays G1 (~13 h) "
                                         "but does not arrest; at and above it the damage is "
                                         "the main p21 drive (network a21D)")
    metabolic_ampk: float = param(0.6, low=0.0, high=1.0,
                                  doc="metabolic senescence: arrested with AMPK at or above this ...",
                                  source="design choice: mitochondrial dysfunction ≥ 0.5 holds "
                                         "AMPK at 0.69–0.77 in normoxia (the network's energy "
                                         "stress); healthy normoxic cells stay < 0.01")
    metabolic_hif: float = param(0.5, low=0.0, high=1.0,
                                 doc="... and HIF below this (the stress is not hypoxic) for "
                                     "senescent_after_h",
                                 source="design choice: hypoxic energy stress keeps cells "
                                        "reversibly quiescent (Leontieva et al. 2012); HIF 0.5 "
                                        "at O2 = KH = 11 mmHg")
    inherit_noise: float = param(0.05, low=0.0, high=1.0,
                                 doc="daughters' species are multiplied by exp(σ·z), σ = this, after the "
                                     "post-mitotic reset (desynchronises sisters)",
                                 source="design choice")


@dataclass(frozen=True)
class CellStateSection:
    """Per-cell state driven by the environment besides the network: PD-L1, stemness and DNA
    damage (columns ``pdl1``, ``stemness``, ``dna_damage``), each a linear ODE integrated
    exactly over a step with the inputs held:

    - PD-L1: dP/dt = (b + aH·h + aS·S/(1 + S))·ln2/t½ − P·ln2/t½, h = 1/(1 + (O2/11 mmHg)³)
      the hypoxia drive (the network's HIF steady state), S the inflammatory SASP (its effect
      saturates: PD-L1 stays within 0–(b + aH + aS) however dense the senescent focus);
    - stemness: dσ/dt = ks·(S + S_m)·(1 − σ) − σ·ln2/t½, S_m the metabolic SASP; it lowers the
      cell's growth-factor input by ``stemness_gf_reduction``·σ (slower cycling) and its
      chemotherapy death hazard by ``stemness_chemo_tolerance``·σ;
    - EMT (0–1): dE/dt = k·h·(1 − E) − E·ln2/t½: hypoxia drives it; it raises shedding and
      the anoikis resistance of shed cells ([shedding], abm/blood.py);
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
    emt_half_life_h: float = param(48.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                                   doc="EMT reversal half-life after reoxygenation",
                                   source="design choice: EMT is reversible over days (MET)")
    dna_repair_half_life_h: float = param(24.0, unit="h", low=0.0,
                                          high=MAX_RUN_H, low_inclusive=False,
                                          doc="DNA-damage repair half-life",
                                          source="design choice: γH2AX foci after genotoxic "
                                                 "doses resolve over ~1 day; persistent foci "
                                                 "mark senescence (Rodier et al. 2009)")


@dataclass(frozen=True)
class ImmuneSection:
    """CD8 T cells and NK cells (abm/immune.py): they enter next to vessels at a rate set by
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
                      source="abm/immune.py default_params (PhysiCell cancer_immune; Kather "
                             "et al. 2018)")
    nk: dict = param({}, doc="NK-cell parameter overrides, a table name = value (names: abm "
                             "params, immune.nk)",
                     source="abm/immune.py default_params (PhysiCell; Vanherberghen et al. "
                            "2013; Krizhanovsky et al. 2008)")
    initial_cd8_per_mm2: float = param(0.0, unit="mm⁻²", low=0.0, high=MAX_SITES_PER_MM2,
                                       doc="CD8 T cells placed at random free sites at t = 0",
                                       source="design choice: none; they arrive by recruitment")
    initial_nk_per_mm2: float = param(0.0, unit="mm⁻²", low=0.0, high=MAX_SITES_PER_MM2,
                                      doc="NK cells placed at random free sites at t = 0",
                                      source="design choice: none; they arrive by recruitment")


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
                                 "params, blood)",
                         source="abm/blood.py default_params")


@dataclass(frozen=True)
class OutputSection:
    """What is written and how often."""

    path: str = param("outputs/{name}.h5",
                      doc="run file; {name} is the scenario name; relative to the working directory",
                      source="design choice")
    frame_every_min: float = param(360.0, unit="min", low=0.0,
                                   high=MAX_RUN_H * 60.0, low_inclusive=False,
                                   doc="field and cell-table snapshots (a multiple of run.dt_min)",
                                   source="design choice: 4 frames per day")
    checkpoint_every_min: float = param(1440.0, unit="min", low=0.0,
                                        high=MAX_RUN_H * 60.0, low_inclusive=False,
                                        doc="full restart state (a multiple of frame_every_min)",
                                        source="design choice: lose at most a day on a crash")
    compression: int = param(4, low=0, high=9, doc="gzip level of fields and cell tables",
                             source="design choice: ~3× smaller float32 fields at modest cost")
    figure: bool = param(True, doc="write a summary figure next to the run file at the end",
                         source="design choice")


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


@dataclass(frozen=True)
class DrugsSection:
    """Drugs given by [[therapy]] (abm/therapy.py): one-compartment bolus kinetics and an Emax
    effect. A dose is in reference-dose units (1 = the clinical dose of the drug each default
    represents), so a dose d at t_d adds C = d·2^(−(t − t_d)/t½) for t ≥ t_d; the effect is
    Emax·C/(EC50 + C), Emax being the drug's effect sizes below (kill_per_h, damage_per_h,
    max_inhibition, max_blockade)."""

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
        0.9, low=0.0, high=1.0, doc="maximal fraction of platelet cloaking of CTCs prevented",
        source="design choice: antiplatelet therapy or platelet depletion removes most of the "
               "platelet shield in mice (Nieswandt et al. 1999 Cancer Res 59:1295)")


@dataclass(frozen=True)
class Config:
    """A fully resolved scenario."""

    name: str = "scenario"
    run: RunSection = field(default_factory=RunSection)
    grid: GridSection = field(default_factory=GridSection)
    vessels: VesselSection = field(default_factory=VesselSection)
    tumor: TumorSection = field(default_factory=TumorSection)
    oxygen: OxygenSection = field(default_factory=OxygenSection)
    glucose: GlucoseSection = field(default_factory=GlucoseSection)
    sasp: SaspSection = field(default_factory=SaspSection)
    sasp_metabolic: SaspMetabolicSection = field(default_factory=SaspMetabolicSection)
    chemokine: ChemokineSection = field(default_factory=ChemokineSection)
    cell_state: CellStateSection = field(default_factory=CellStateSection)
    immune: ImmuneSection = field(default_factory=ImmuneSection)
    circadian: CircadianSection = field(default_factory=CircadianSection)
    shedding: SheddingSection = field(default_factory=SheddingSection)
    blood: BloodSection = field(default_factory=BloodSection)
    cells: CellsSection = field(default_factory=CellsSection)
    cycle: CycleSection = field(default_factory=CycleSection)
    intracellular: IntracellularSection = field(default_factory=IntracellularSection)
    fate: FateSection = field(default_factory=FateSection)
    output: OutputSection = field(default_factory=OutputSection)
    drugs: DrugsSection = field(default_factory=DrugsSection)
    therapy: tuple = ()
    """The [[therapy]] entries (:class:`abm.therapy.TherapyEntry`) in file order; () = none."""
    base_dir: str = field(default=".", compare=False)
    """Directory that relative mask paths were resolved against (the scenario file's folder);
    not part of the resolved config, whose paths are absolute."""


SECTIONS: dict[str, type] = {
    "run": RunSection,
    "grid": GridSection,
    "vessels": VesselSection,
    "tumor": TumorSection,
    "oxygen": OxygenSection,
    "glucose": GlucoseSection,
    "sasp": SaspSection,
    "sasp_metabolic": SaspMetabolicSection,
    "chemokine": ChemokineSection,
    "cell_state": CellStateSection,
    "immune": ImmuneSection,
    "circadian": CircadianSection,
    "shedding": SheddingSection,
    "blood": BloodSection,
    "cells": CellsSection,
    "cycle": CycleSection,
    "intracellular": IntracellularSection,
    "fate": FateSection,
    "output": OutputSection,
    "drugs": DrugsSection,
}
"""Section name → dataclass, in the order they are documented and written."""
