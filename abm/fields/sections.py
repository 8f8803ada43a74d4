"""Config sections of the diffusing fields (:mod:`abm.fields.solutes`): ``[oxygen]``,
``[glucose]`` and the secreted fields ``[sasp]``, ``[sasp_metabolic]``, ``[chemokine]``."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import (ATMOSPHERIC_MMHG, MAX_DIFFUSIVITY, MAX_DX_UM, MAX_GLUCOSE,
                               MAX_RATE, MAX_SECRETION)
from abm.config.loader import collect
from abm.config.params import param
from abm.config.registry import check, section


@section("oxygen")
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


@section("glucose")
@dataclass(frozen=True)
class GlucoseSection:
    """Glucose, the second vessel-supplied field (normalised to the plasma level: 1 ≈ 5.5 mM):
    D∇²G − (k_cells + λ)G = ∂G/∂t, vessels fixed at vessel_level. With O2 it sets the network's
    ATP, so energy (and the cell) fails where both run out: the necrotic centre."""

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
    uptake_per_min: float = param(0.09, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                  doc="first-order uptake by a viable tumour cell, per cell volume "
                                      "(oxygen.cell_volume_um3), at the plasma level",
                                  source="≈ 2e-17 mol/cell/s at 5.5 mM (EMT6/Ro order of magnitude, "
                                         "Casciari et al. 1992 J Cell Physiol 151:386) / (5.5 mM × "
                                         "2494 µm³); weak source: calibrate per cell line")
    dormant_uptake_factor: float = param(0.2, low=0.0, high=1.0,
                                         doc="uptake of a dormant cell relative to a cycling one",
                                         source="docs/targets.md: long-term hypoxia lowers glucose "
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


@dataclass(frozen=True)
class SecretedFieldSection:
    """What every secreted field shares (SASP, metabolic SASP, chemokine): senescent cells
    secrete it with a composition set by their senescence route, viable cells take it up,
    vessels drain it (0 there), and it decays:
    D∇²S − (k_cells + λ)S + secretion = ∂S/∂t."""

    field: bool = param(True, doc="solve this field; false: no cell secretes or sees it",
                        source="docs/fields.md: secretion by senescent cells")
    diffusivity_um2_per_min: float = param(1000.0, unit="µm²/min", low=0.0,
                                           high=MAX_DIFFUSIVITY, low_inclusive=False,
                                           doc="diffusion coefficient", source=_CYTOKINE)
    decay_per_min: float = param(0.016, unit="min⁻¹", low=0.0,
                                 high=MAX_RATE, doc="decay (t½ ≈ 43 min)",
                                 source=_CYTOKINE)
    uptake_per_min: float = param(0.1, unit="min⁻¹", low=0.0, high=MAX_RATE,
                                  doc="first-order uptake by a viable cell, per cell volume",
                                  source="docs/fields.md: 0.1–1 min⁻¹ by neighbouring cells (low end)")
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
    rtol: float = param(1e-4, low=1e-14, high=1e-2,
                        doc="solver tolerance: max residual / max value",
                        source="design choice (as glucose.rtol)")
    max_cycles: int = param(60, low=1, high=10000,
                            doc="multigrid V-cycles allowed per step before a NumericalError",
                            source="design choice")


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
