"""Parameters of the immune cells: one row per kind, with default values, units and sources.

Parameters are a float64 array ``params[kind_index, P_*]`` (kind_index 0 = CD8, 1 = NK, i.e.
the ``abm.cells.KINDS`` code − 1) and a recognition table ``recognition[kind_index, phase]``
(phase codes of ``abm.cells.PHASES``). :func:`default_params` is the single place where the
default values and their sources live (:data:`PARAMETER_DOCS`).
"""
from __future__ import annotations

import numpy as np

from abm.tumor.cells import PHASES

(P_SPEED_UM_PER_MIN, P_PERSISTENCE_MIN, P_CHEMOTAXIS, P_ATTACH_PER_MIN, P_KILL_PER_MIN,
 P_DETACH_MIN, P_MAX_KILLS, P_LIFETIME_MIN, P_PDL1_BRAKE, P_PDL1_K, P_RECRUIT_PER_MIN,
 P_RECRUIT_K, P_PD1_EXHAUSTION_MIN) = range(13)
N_PARAMS = 13

PARAM_NAMES = ("speed_um_per_min", "persistence_min", "chemotaxis", "attach_per_min",
               "kill_per_min", "detach_min", "max_kills", "lifetime_min", "pdl1_brake",
               "pdl1_k", "recruit_per_min", "recruit_k", "pd1_exhaustion_min")
"""Names of the ``P_*`` columns, in index order (the config keys of each kind)."""

KIND_NAMES = ("cd8", "nk")
"""Kind of each parameter row: row ``i`` is ``abm.cells.KINDS[KIND_NAMES[i]] - 1``."""

def default_params() -> tuple[np.ndarray, np.ndarray, dict]:
    """The default immune parameters, the recognition table, and their documentation.

    Returns:
        ``(params, recognition, docs)``: ``params`` float64 ``[2, N_PARAMS]`` (row 0 CD8,
        row 1 NK, columns ``P_*``); ``recognition`` float64 ``[2, len(PHASES)]`` (how well
        each kind recognises a tumour cell of each phase, 0–1: it multiplies the kill rate,
        and 0 means never a target); ``docs`` ``{kind: {name: (value, unit, source)}}`` with
        the parameter names of :data:`PARAM_NAMES` and ``recognition_<phase>`` entries.
    """
    physicell = "PhysiCell cancer_immune sample (Ozik et al. 2018 BMC Bioinformatics)"
    # name: ((CD8 value, source), (NK value, source)); units in _UNITS.
    table = {
        "speed_um_per_min": (
            (1.0, f"{physicell}: immune motility speed 1 µm/min"),
            (1.0, f"{physicell}; design choice: NK in-tissue speeds vary with activation "
                  "class (Vanherberghen et al. 2013 Blood 121:1326), so no separate value")),
        "persistence_min": (
            (10.0, f"{physicell}: persistence time 10 min"),
            (10.0, f"{physicell}: persistence time 10 min")),
        "chemotaxis": (
            (_CHEMOTAXIS_DEFAULT, _CHEMOTAXIS_SOURCE), (_CHEMOTAXIS_DEFAULT, _CHEMOTAXIS_SOURCE)),
        "attach_per_min": (
            (0.2, f"{physicell}: attachment rate 1/5 min⁻¹ within 14–18 µm (≈ the Moore "
                  "neighbourhood at dx 16.8 µm)"),
            (0.2, f"{physicell} (generic immune cell)")),
        "kill_per_min": (
            (0.0667, f"{physicell}: kill rate 1/15 min⁻¹ while attached at immunogenicity 1"),
            (0.0667, f"{physicell} (generic immune cell); design choice: the faster hits of "
                     "NK serial killers (Vanherberghen et al. 2013) are not a separate class")),
        "detach_min": (
            (60.0, f"{physicell}: attachment lifetime 60 min, then detach and search again"),
            (60.0, f"{physicell}: attachment lifetime 60 min")),
        "max_kills": (
            (5.0, "Kather et al. 2018 Cancer Res 78:5970: killing capacity IMkmax = 5 per "
                  "lymphocyte"),
            (5.0, "design choice: a serial-killer cap as for CD8 (Kather et al. 2018); "
                  "Vanherberghen et al. 2013 saw a minority of NK cells kill several targets "
                  "consecutively and about half kill none")),
        "lifetime_min": (
            (14400.0, f"{physicell}: immune-cell apoptosis rate 6.94e-5 min⁻¹ (10 days)"),
            (14400.0, f"{physicell} (10 days); NK lifespans are of the order of 1–2 weeks "
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
    }
    recognition_table = {
        "proliferating": ((1.0, f"reference recognition ({physicell}: kill rate at "
                                "immunogenicity 1)"),
                          (0.5, "design choice: NK recognise tumour cells through stress "
                                "ligands and missing self, less than senescent cells")),
        "quiescent": ((1.0, "design choice: contact-inhibited G0 cells keep MHC-I"),
                      (0.5, "design choice: as proliferating")),
        "dormant": ((0.2, "design choice after Pommier et al. 2018 Science 360:eaao4908 "
                          "(quiescent disseminated cells lack MHC-I and escape T cells)"),
                    (0.2, "design choice after Malladi et al. 2016 Cell 165:45 (latent "
                          "quiescent cells down-regulate NKG2D ligands and evade NK cells)")),
        "senescent": ((1.0, "Marin et al. 2023 Cancer Discov 13:410 (senescent cells raise "
                            "MHC-I antigen presentation and prime CD8 immunity)"),
                      (1.0, "Krizhanovsky et al. 2008 Cell 134:657; Sagiv et al. 2016 Aging "
                            "8:328 (NKG2D ligands on senescent cells; NK cells clear them)")),
        "apoptotic": ((0.0, "dying cells are not targets"), (0.0, "dying cells are not targets")),
        "necrotic": ((0.0, "debris is not a target"), (0.0, "debris is not a target")),
    }
    params = np.zeros((2, N_PARAMS))
    recognition = np.zeros((2, len(PHASES)))
    docs: dict[str, dict[str, tuple]] = {kind: {} for kind in KIND_NAMES}
    for i, kind in enumerate(KIND_NAMES):
        for j, name in enumerate(PARAM_NAMES):
            value, source = table[name][i]
            params[i, j] = value
            docs[kind][name] = (value, _UNITS[name], source)
        for phase, entries in recognition_table.items():
            value, source = entries[i]
            recognition[i, PHASES[phase]] = value
            docs[kind][f"recognition_{phase}"] = (value, "-", source)
    return params, recognition, docs


_UNITS = {"speed_um_per_min": "µm/min", "persistence_min": "min", "chemotaxis": "-",
          "attach_per_min": "min⁻¹", "kill_per_min": "min⁻¹", "detach_min": "min",
          "max_kills": "kills", "lifetime_min": "min", "pdl1_brake": "-",
          "pdl1_k": "PD-L1 units (0–1)", "recruit_per_min": "min⁻¹ per vessel site",
          "recruit_k": "chemokine units", "pd1_exhaustion_min": "min"}

_CHEMOTAXIS_DEFAULT = 21.0
_CHEMOTAXIS_SOURCE = (
    "design choice calibrated to PhysiCell cancer_immune's migration bias 0.5: in a "
    "chemokine gradient of 10 % per site (the chemokine decay length √(D/(λ+k)) ≈ 90 µm ≈ "
    "5 sites makes 10–20 % per site typical near sources) the up-gradient drift is ≈ half "
    "the path speed (tests/test_immune.py)")


def params_from_mapping(values: dict[str, dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``(params, recognition)`` from ``{kind: {name: value}}`` (kinds :data:`KIND_NAMES`,
    names :data:`PARAM_NAMES` and ``recognition_<phase>``); missing names keep their
    defaults. For building the arrays from config sections."""
    params, recognition, _ = default_params()
    for i, kind in enumerate(KIND_NAMES):
        for name, value in values.get(kind, {}).items():
            if name in PARAM_NAMES:
                params[i, PARAM_NAMES.index(name)] = value
            elif name.startswith("recognition_") and name[12:] in PHASES:
                recognition[i, PHASES[name[12:]]] = value
            else:
                raise ValueError(f"immune.{kind}.{name}: unknown parameter; allowed: "
                                 f"{', '.join(PARAM_NAMES)}, recognition_<phase>")
    check_params(params, recognition)
    return params, recognition


def check_params(params: np.ndarray, recognition: np.ndarray) -> None:
    """Raise ValueError naming the offending ``immune.<kind>.<name>`` if the arrays have the
    wrong shape or a value outside its allowed range."""
    if params.shape != (2, N_PARAMS) or recognition.shape != (2, len(PHASES)):
        raise ValueError(f"immune params must have shape (2, {N_PARAMS}) and recognition "
                         f"(2, {len(PHASES)}); got {params.shape} and {recognition.shape}")
    for i, kind in enumerate(KIND_NAMES):
        for j, name in enumerate(PARAM_NAMES):
            _check_value(f"immune.{kind}.{name}", params[i, j], _UPPER.get(name, np.inf),
                         positive=name in _POSITIVE)
        for phase, code in PHASES.items():
            _check_value(f"immune.{kind}.recognition_{phase}", recognition[i, code], 1.0)


_RATE_MAX_PER_MIN = 1e12
"""Bound of the per-minute rates (design choice): high enough to make a process instantaneous
(tests use 1e9 for attachment at first contact), and rate × the longest run (5.3e6 min) stays
far below float overflow; the rates enter only as 1 − exp(−rate·time)."""
_UPPER = {
    "pdl1_brake": 1.0,  # a fraction of the kill rate
    # design choice: 4× the fastest T-cell speeds seen in vivo (~25 µm/min in lymph nodes,
    # Miller et al. 2002 Science 296:1869); the walk makes ~speed·dt/dx moves per step (at
    # most ~2000 with the allowed dt and dx), so an unbounded speed is an unbounded loop
    "speed_um_per_min": 100.0,
    # design choice: exp(χ·Δ) with |Δ| ≤ 1 stays finite; χ = 100 already follows the gradient
    # deterministically (the default is 21)
    "chemotaxis": 100.0,
    "attach_per_min": _RATE_MAX_PER_MIN, "kill_per_min": _RATE_MAX_PER_MIN,
    "recruit_per_min": _RATE_MAX_PER_MIN,
    "pdl1_k": 1e3, "recruit_k": 1e3,  # design choice: 1000× the unit scale of PD-L1 / chemokine
}
_POSITIVE = ("lifetime_min", "pdl1_k", "recruit_k")  # divisors: x/(K + x) is 0/0 at K = x = 0
_INFINITE_OK = ("detach_min", "max_kills", "lifetime_min", "pd1_exhaustion_min")  # inf: never


def _check_value(key: str, value: float, upper: float, positive: bool = False) -> None:
    name = key.rsplit(".", 1)[-1]
    finite_ok = np.isfinite(value) or (value == np.inf and name in _INFINITE_OK)
    low_ok = value > 0 if positive else value >= 0
    if not finite_ok or not low_ok or value > upper:
        allowed = ("> 0" if positive else "≥ 0") + (f" and ≤ {upper:g}" if upper < np.inf else "")
        raise ValueError(f"{key} = {float(value)!r}: must be {allowed}"
                         + (" (inf allowed)" if name in _INFINITE_OK else " and finite"))


PARAMETER_DOCS = default_params()[2]
"""``{kind: {name: (default value, unit, source)}}`` for the config docs."""
