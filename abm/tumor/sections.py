"""Config sections of the tissue and its tumour cells: ``[vessels]`` and ``[tumor]`` (the
initial tissue, :mod:`abm.tumor.tissue`), ``[cells]`` (what every cell program shares),
``[cycle]`` (the placeholder program), ``[intracellular]`` and ``[fate]`` (the network
program), and the parameter vectors their kernels read by named index (``[cell_state]``:
:mod:`abm.tumor.cell_state_sections`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abm.config.bounds import (ATMOSPHERIC_MMHG, MAX_DOMAIN_UM, MAX_NETWORK_LEVEL, MAX_RATE,
                               MAX_RELATIVE, MAX_RUN_H)
from abm.config.loader import collect
from abm.config.masks import check_mask
from abm.config.params import Table, param
from abm.config.registry import check, section
from abm.config.tables import ConfigVector, Derived
from abm.errors import ConfigError


@section("vessels")
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
                           source="issue #2", path=True)
    poorly_perfused_fraction: float = param(
        0.0, low=0.0, high=1.0,
        doc="share of the vessels (drawn at random) that are tumour-associated, leaky and "
            "poorly perfused: they supply poor_perfusion × the O2 and glucose of a perfused "
            "vessel, and tumour cells next to them are hypoxic yet can intravasate",
        source="design choice (0: every vessel perfused, as before) after Chaplin et al. "
               "1987 Cancer Res 47:597 (intermittent, sluggish flow in tumour microvessels "
               "makes cells hypoxic next to them) and Donato et al. 2020 Cell Rep 32:108105 "
               "(hypoxic tumour regions shed CTC clusters into leaky vessels)")
    poor_perfusion: float = param(0.1, low=0.0, high=1.0,
                                  doc="supply of a poorly perfused vessel relative to a "
                                      "perfused one (its O2 and glucose at the vessel site)",
                                  source="design choice: 3.8 mmHg at the default 38 mmHg, "
                                         "below oxygen.hypoxic_mmHg")


@section("tumor")
@dataclass(frozen=True)
class TumorSection:
    """Where the initial tumour cells sit."""

    seed_pattern: str = param("disc", choices=("disc", "mask", "none"),
                              doc="disc: all free sites within radius_um of the centre; "
                                  "mask: sites from mask_file; none: no tumour cell (a "
                                  "secondary site, which disseminated cells reach)",
                              source="issue #2; none: issue 17")
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
                           source="issue #2", path=True)


@section("cells")
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
                                        "gives a proliferating rim ~100–200 µm (docs/targets.md)")
    retry_min: float = param(60.0, unit="min", low=0.0, high=MAX_RUN_H * 60.0, low_inclusive=False,
                             doc="placeholder program: a contact-inhibited cell retries division at "
                                 "this mean interval (the network program looks for space at each "
                                 "commitment)",
                             source="design choice: saves a neighbour search per blocked cell per step")
    energy_time_h: float = param(6.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                                 doc="τ of the energy reserve E ∈ [0, 1], dE/dt = (ATP − demand)/τ; "
                                     "E = 0 is necrosis (network program, a cycling cell in anoxia "
                                     "at plasma glucose: ATP ≈ 0.42, τ/0.58 ≈ 10 h, an arrested "
                                     "one 1–3 days; placeholder: τ/(0.5 − 0.3) = 30 h)",
                                 source="design choice: necrosis after ~1 day of anoxia")
    necrotic_clearance_h: float = param(48.0, unit="h", low=0.0,
                                        high=MAX_RUN_H, low_inclusive=False,
                                        doc="a necrotic cell's debris frees its site after this time",
                                        source="design choice")
    apoptosis_duration_h: float = param(8.6, unit="h", low=0.0,
                                        high=MAX_RUN_H, low_inclusive=False,
                                        doc="an apoptotic cell is removed after this time",
                                        source="PhysiCell apoptosis duration 516 min")


@section("cycle")
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
                                       "(Richards et al. 2016 PeerJ; docs/network.md design targets)")
    arrest_mmHg: float = param(0.38, unit="mmHg", low=0.0, high=ATMOSPHERIC_MMHG,
                               doc="hypoxic arrest below this O2 (reversible quiescence)",
                               source="docs/network.md: ≤ 0.38 mmHg (0.05% O2) arrests")
    oxphos_atp: float = param(0.7, low=0.0, high=1.0,
                              doc="ATP supply from oxidative phosphorylation at saturating O2 "
                                  "(fraction of demand at full supply)",
                              source="docs/network.md ATP term (0.7·O2/(Kox+O2))")
    atp_o2_half_mmHg: float = param(1.0, unit="mmHg", low=0.0,
                                    high=ATMOSPHERIC_MMHG, low_inclusive=False,
                                    doc="Kox: O2 at half-maximal oxidative ATP supply",
                                    source="docs/network.md (Kox 1 mmHg)")
    glycolytic_atp: float = param(0.3, low=0.0, high=1.0,
                                  doc="ATP supply from glycolysis (O2-independent)",
                                  source="design choice: glycolysis covers ~30% of demand")
    atp_demand: float = param(0.5, low=0.0, high=1.0, low_inclusive=False,
                              doc="ATP below which the energy reserve drains",
                              source="design choice: reserve drains below ~0.4 mmHg")


@section("intracellular")
@dataclass(frozen=True)
class IntracellularSection:
    """The per-cell ODE network (``cells.program = "network"``); see ``intracellular.networks()``."""

    network: str = param("dormancy", path=(".xml", ".sbml", ".toml"),
                         doc="network driving the fate layer: a shipped name "
                             "(intracellular.networks()), a name registered with "
                             "intracellular.register, or a network file (.xml/.sbml SBML, "
                             ".toml); a relative path is relative to the scenario file "
                             "(docs/network_binding.md)",
                         source="docs/network.md §2 (the default hypoxia → dormancy/senescence "
                                "network); any network: issue 18")
    inputs: Table = param({}, doc="network input → what feeds it: a source (oxygen, glucose, "
                                  "sasp, dna_damage, growth_factor, mito), a number, or "
                                  "{ source = ..., half = K, hill = n, scale = s, falling = "
                                  "false } for s·xⁿ/(Kⁿ + xⁿ) (falling: s·Kⁿ/(Kⁿ + xⁿ)); inputs "
                                  "named O2, GF, glc, SASP, DNA, mito bind to their sources "
                                  "without an entry, others keep the network default; for an "
                                  "SBML file, the keys (parameters or species) become its inputs",
                          source="design choice: docs/network_binding.md (issue 18)")
    observables: Table = param({}, doc="role → species of the network, over the network's own "
                                       "observables: e2f (commitment; required), mtorc1, ampk, "
                                       "p21, hif, and hif_half_mmHg → a parameter; an unbound "
                                       "role switches off the rules that read it",
                               source="design choice: docs/network_binding.md (issue 18)")
    preset: str = param("default", doc="parameter preset of the network (e.g. default, "
                                       "hypoxia_sensitive); checked against the network; "
                                       "default on a network without one: its published values",
                        source="docs/network.md §2 presets")
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
                                 source="docs/network.md §2 (GF 1 in the design targets)")
    mito_dysfunction: float = param(0.0, low=0.0, high=1.0,
                                    doc="mitochondrial dysfunction input (lost share of "
                                        "respiration) seen by every cell; 0.45–0.55 arrests "
                                        "normoxic cells through AMPK–p53 → metabolic "
                                        "senescence; above ~0.56 glycolysis alone cannot meet "
                                        "fate.atp_demand and cells die of energy failure",
                                    source="design choice: healthy mitochondria by default; "
                                           "MiDAS (Wiley et al. 2016 Cell Metab 23:303) is an "
                                           "experimental condition (e.g. mtDNA depletion)")


@section("fate")
@dataclass(frozen=True)
class FateSection:
    """Fate rules on the network state (docs/network.md §2 "Fate layer")."""

    commit_ef: float = param(0.5, low=0.0, high=MAX_NETWORK_LEVEL, low_inclusive=False,
                             doc="E2F (the e2f role, EF) above this commits the cell to S/G2/M",
                             source="docs/network.md §2 fate table")
    commit: str = param("level", choices=("level", "rise"),
                        doc="level: a cell in G1 commits whenever e2f is above commit_ef; rise: "
                            "only when e2f has crossed commit_ef upward since its last "
                            "commitment (oscillators whose Cdk stays high for a while, inherited "
                            "by the daughters)",
                        source="design choice: level is the dormancy network's switch; rise "
                               "for oscillators (docs/network_binding.md)")
    sg2m_mean_h: float = param(10.0, unit="h", low=0.0, high=MAX_RUN_H, low_inclusive=False,
                               doc="mean duration of S/G2/M after commitment", source="docs/network.md §2")
    sg2m_sd_h: float = param(2.5, unit="h", low=0.0,
                             high=MAX_RUN_H, doc="its standard deviation (normal, "
                             "truncated to ≥ 25% of the mean)", source="docs/network.md §2")
    dormant_after_h: float = param(24.0, unit="h", low=0.0, high=MAX_RUN_H,
                                   doc="E2F off this long with mTORC1 < mtor_threshold → dormant (G0, reversible)",
                                   source="docs/network.md §2 fate table")
    senescent_after_h: float = param(72.0, unit="h", low=0.0, high=MAX_RUN_H,
                                     doc="arrested with mTORC1 ≥ mtor_threshold this long → senescent "
                                         "(geroconversion, irreversible)",
                                     source="Leontieva et al. 2012 PNAS 109:13314 (~3 days); docs/network.md §2")
    mtor_threshold: float = param(0.6, low=0.0, high=1.0,
                                  doc="mTORC1 level separating dormancy (below) from geroconversion (at or above)",
                                  source="docs/network.md §2 fate table")
    apoptosis_ampk: float = param(0.7, low=0.0, high=1.0, doc="energy-stress apoptosis needs AMPK above this",
                                  source="Zhou & Liu 2022 IJMS 23:14945 (qualitative); docs/network.md §2")
    apoptosis_mtor: float = param(0.3, low=0.0, high=1.0, doc="... and mTORC1 below this",
                                  source="docs/network.md §2")
    apoptosis_p21: float = param(0.4, low=0.0,
                                 high=MAX_NETWORK_LEVEL, doc="... and p21 above this", source="docs/network.md §2")
    apoptosis_after_h: float = param(48.0, unit="h", low=0.0, high=MAX_RUN_H,
                                     doc="... sustained this long", source="docs/network.md §2")
    atp_demand: float = param(1.0, low=0.0, high=1.0, low_inclusive=False,
                              doc="ATP supply / demand (the cell's metabolism, the atp column) "
                                  "below which the energy reserve drains: 1 = any unmet demand. "
                                  "A proliferating cell meets its demand down to ~1 mmHg O2; in "
                                  "anoxia its glycolysis makes ~0.42 of it (plasma glucose) and "
                                  "the reserve empties in cells.energy_time_h/0.58 ≈ 10 h; "
                                  "arrest lowers the demand (mTORC1, [metabolism]), so an "
                                  "arrested cell lasts longer",
                              source="design choice: necrosis only where energy fails "
                                     "(docs/fields.md, 'Respiration and glycolysis'), not at an "
                                     "O2 threshold")
    paracrine_sasp: float = param(1.0, unit="network units", low=0.0, high=MAX_NETWORK_LEVEL,
                                  doc="a cell that senesces with its SASP input at or above this "
                                      "is recorded as paracrine (secondary) senescence",
                                  source="measured: normoxic cultures at constant SASP 1.0 show "
                                         "0 % senescence at 144 h, at 1.25 86 % (the network's "
                                         "threshold; docs/network.md §2: SASP 1 arrests with active "
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


# ---------------------------------------------------------------------------- checks
def _check_mask_key(c, section: str, pattern_key: str, errors: list[str]) -> None:
    """A mask pattern needs a readable mask file of the grid's shape (the tumour's: with at
    least one site set)."""
    obj = getattr(c, section)
    if getattr(obj, pattern_key) != "mask":
        return
    if not obj.mask_file:
        errors.append(f"{section}.{pattern_key} = 'mask' needs {section}.mask_file (a .npy or "
                      f".png of shape (ny, nx) = ({c.grid.ny}, {c.grid.nx}))")
        return
    collect(errors, lambda: check_mask(obj.mask_file, (c.grid.ny, c.grid.nx),
                                       f"{section}.mask_file", need_sites=section == "tumor"))


@check("vessels")
def _check_vessels(c, errors: list[str]) -> None:
    _check_mask_key(c, "vessels", "pattern", errors)
    v = c.vessels
    if v.pattern == "random":
        # Random sequential adsorption of discs jams at ~55% area coverage. (Both factors are
        # below the magnitude limit, so the product is finite.)
        coverage = v.density_per_mm2 * 1e-6 * math.pi * (v.min_spacing_um / 2) ** 2
        if coverage > 0.5:
            errors.append(f"vessels.density_per_mm2 = {v.density_per_mm2!r} with vessels.min_spacing_um = "
                          f"{v.min_spacing_um!r}: discs of that spacing cannot reach that density "
                          f"(coverage {coverage:.2g} > 0.5); lower one of them")
    if v.pattern == "array" and v.array_spacing_um < c.grid.dx_um:
        errors.append(f"vessels.array_spacing_um = {v.array_spacing_um!r}: must be ≥ grid.dx_um = {c.grid.dx_um!r}")


@check("tumor")
def _check_tumor(c, errors: list[str]) -> None:
    _check_mask_key(c, "tumor", "seed_pattern", errors)
    t = c.tumor
    if t.seed_pattern == "disc":
        size = min(c.grid.nx, c.grid.ny) * c.grid.dx_um
        if t.radius_um >= size / 2:
            errors.append(f"tumor.radius_um = {t.radius_um!r}: the disc must fit in the domain "
                          f"(< {size / 2:g} µm, half the smaller side)")


@check("cycle")
def _check_cycle(c, errors: list[str]) -> None:
    if c.cycle.arrest_mmHg >= c.oxygen.vessel_mmHg:
        errors.append(f"cycle.arrest_mmHg = {c.cycle.arrest_mmHg!r}: must be below "
                      f"oxygen.vessel_mmHg = {c.oxygen.vessel_mmHg!r}, or no cell could ever cycle")


@check("intracellular")
def _check_network(c, errors: list[str]) -> None:
    """The network, preset and parameter names (and values, as the network checks them);
    for the network program also its input bindings and observable roles."""
    def check_all():
        network_parameters(c.intracellular)  # resolves the network: one message if unknown
        if c.cells.program == "network":
            from abm.tumor.phenotype.binding import bind_roles, parse_inputs, resolve_network

            network = resolve_network(c.intracellular)
            collect(errors, lambda: parse_inputs(c.intracellular.inputs, network.input_names))
            collect(errors, lambda: bind_roles(network, c.intracellular.observables))
    collect(errors, check_all)


def network_parameters(ic) -> np.ndarray:
    """The parameter vector of the ``[intracellular]`` section ``ic`` (network, preset,
    params), every entry checked against its range (:class:`intracellular.Parameter`).

    Raises:
        ConfigError: naming ``intracellular.params.<name>`` (or the preset), the value and
            the allowed range, or an unknown network, preset or parameter name.
    """
    import intracellular  # not at import time: the sections stay light
    from abm.tumor.phenotype.binding import resolve_network

    network = resolve_network(ic)  # its own ConfigError names intracellular.network
    # "default" on a network without such a preset means its published values
    preset = None if ic.preset == "default" and "default" not in network.presets else ic.preset
    try:
        return network.parameter_vector(preset, ic.params)
    except intracellular.ParameterRangeError as exc:
        raise ConfigError("; ".join(
            f"{_param_key(ic, name, origin)} = {value!r}: must be {allowed} (network "
            f"{exc.network!r})" for name, value, allowed, origin in exc.problems)) from None
    except ValueError as exc:
        raise ConfigError(f"intracellular.preset = {ic.preset!r} / intracellular.params = "
                          f"{ic.params!r}: {exc}") from None


def _param_key(ic, name: str, origin: str) -> str:
    """The config key behind a network parameter's value: the override, else the preset."""
    if origin == "override":
        return f"intracellular.params.{name}"
    return f"intracellular.preset = {ic.preset!r}: parameter {name}"


# ---------------------------------------------------------------------------- kernel vectors
FATE_RULES = ConfigVector("Rule", __name__, [
    "fate.commit_ef", "fate.sg2m_mean_h", "fate.sg2m_sd_h", "fate.dormant_after_h",
    "fate.senescent_after_h", "fate.mtor_threshold", "fate.apoptosis_ampk",
    "fate.apoptosis_mtor", "fate.apoptosis_p21", "fate.apoptosis_after_h", "fate.atp_demand",
    "cells.energy_time_h", "cells.necrotic_clearance_h", "cells.apoptosis_duration_h",
    "fate.inherit_noise", "fate.paracrine_sasp", "fate.therapy_damage", "fate.metabolic_ampk",
    "fate.metabolic_hif",
    Derived("commit_rise", "fate.commit", lambda mode: float(mode == "rise"),
            "fate.commit = 'rise' as 1.0, 'level' as 0.0")])
"""The fate layer's rules (:mod:`abm.tumor.phenotype.network_fate`): ``rules[Rule.<KEY>]`` is
the value of ``[fate]``/``[cells]`` key ``<key>`` (units, ranges and sources: the sections)."""
Rule = FATE_RULES.index

CYCLE_PARAMS = ConfigVector("CycleParam", __name__, [
    "cycle.o2_half_mmHg", "cycle.arrest_mmHg", "cycle.oxphos_atp", "cycle.atp_o2_half_mmHg",
    "cycle.glycolytic_atp", "cycle.atp_demand", "cells.energy_time_h",
    Derived("necrotic_clearance_min", "cells.necrotic_clearance_h", lambda h: h * 60.0,
            "cells.necrotic_clearance_h in min"),
    "cells.retry_min"])
"""The placeholder cycle's parameters (:mod:`abm.tumor.phenotype.placeholder`), indexed by
:data:`CycleParam`."""
CycleParam = CYCLE_PARAMS.index
