"""Parameters of the blood compartment (:mod:`abm.circulation.blood`): a float64 vector
``params[P_*]``; :func:`default_params` is the single place where the default values and
their sources live (:data:`PARAMETER_DOCS`)."""
from __future__ import annotations

import numpy as np

(P_CLOAK_PER_MIN, P_PLATELET_SHIELD, P_NEUTROPHIL_ATTACH_PER_MIN, P_MAX_ESCORTS,
 P_NEUTROPHIL_GAIN, P_NK_KILL_PER_MIN, P_SHEAR_DEATH_PER_MIN, P_CLUSTER_PROTECTION,
 P_ANOIKIS_PROTECTION, P_ARREST_PER_MIN, P_ARREST_SIZE_EXPONENT, P_OUTGROWTH,
 P_DIGOXIN_DISSOCIATION_PER_MIN) = range(13)
N_PARAMS = 13

PARAM_NAMES = ("cloak_per_min", "platelet_shield", "neutrophil_attach_per_min",
               "max_escorts", "neutrophil_gain", "nk_kill_per_min", "shear_death_per_min",
               "cluster_protection", "anoikis_protection", "arrest_per_min",
               "arrest_size_exponent", "outgrowth", "digoxin_dissociation_per_min")
"""Names of the ``P_*`` entries, in index order (the config keys)."""

_UNITS = {"cloak_per_min": "min⁻¹", "platelet_shield": "-",
          "neutrophil_attach_per_min": "min⁻¹ per unit", "max_escorts": "neutrophils",
          "neutrophil_gain": "per escort", "nk_kill_per_min": "min⁻¹ per cell",
          "shear_death_per_min": "min⁻¹ per cell", "cluster_protection": "-",
          "anoikis_protection": "-", "arrest_per_min": "min⁻¹", "arrest_size_exponent": "-",
          "outgrowth": "per cell", "digoxin_dissociation_per_min": "min⁻¹"}

_FRACTIONS = ("platelet_shield", "anoikis_protection", "outgrowth")  # must be ≤ 1
_UPPER = {
    # design choice: high enough to make a process instantaneous (tests use 1e9 for cloaking
    # at entry), and rate × the longest run (5.3e6 min) stays far below float overflow
    **{name: 1e12 for name in PARAM_NAMES if name.endswith("_per_min")},
    # design choice: CTC–white-cell clusters carry one to a few white cells (Szczerba et al.
    # 2019); 20 bounds the escort loop
    "max_escorts": 20.0,
    "neutrophil_gain": 100.0,  # design choice: 100 unescorted cells' outgrowth per escort
    # design choice: size^exponent for clusters of up to ~50 cells stays far below overflow
    "cluster_protection": 10.0, "arrest_size_exponent": 10.0,
    **dict.fromkeys(_FRACTIONS, 1.0),
}
_CALIBRATED = ("design choice calibrated with arrest_per_min, arrest_size_exponent and "
               "nk_kill_per_min to Aceto et al. 2014 Cell 158:1110 (single-CTC half-life "
               "25–30 min, clusters 6–10 min, clusters 23–50× the metastatic potential): "
               "abm.circulation.blood's docstring")


def default_params() -> tuple[np.ndarray, dict]:
    """The default blood parameters and their documentation.

    Returns:
        ``(params, docs)``: ``params`` float64 ``[N_PARAMS]`` (indices ``P_*``); ``docs``
        ``{name: (value, unit, source)}`` with the names of :data:`PARAM_NAMES`.
    """
    table = {
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
                                  "cuts single-CTC seeding to 0.44× (abm.circulation.blood's docstring)"),
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
    params = np.zeros(N_PARAMS)
    docs = {}
    for i, name in enumerate(PARAM_NAMES):
        value, source = table[name]
        params[i] = value
        docs[name] = (value, _UNITS[name], source)
    return params, docs


def blood_params(values: dict[str, float] | None = None, **overrides: float) -> np.ndarray:
    """The default parameter vector with ``values`` and ``overrides`` (``{name: value}``,
    names of :data:`PARAM_NAMES`) set; checked (:func:`check_params`)."""
    params = default_params()[0]
    for name, value in {**(values or {}), **overrides}.items():
        if name not in PARAM_NAMES:
            raise ValueError(f"blood.params.{name}: unknown parameter; allowed: "
                             f"{', '.join(PARAM_NAMES)}")
        params[PARAM_NAMES.index(name)] = value
    check_params(params)
    return params


def check_params(params: np.ndarray) -> None:
    """Raise ValueError naming ``blood.<name>`` if ``params`` has the wrong shape or a value
    out of range (all finite and ≥ 0, at most their bound in ``_UPPER``; max_escorts a whole
    number)."""
    params = np.asarray(params)
    if params.shape != (N_PARAMS,):
        raise ValueError(f"blood params must have shape ({N_PARAMS},); got {params.shape}")
    problems = [f"blood.params.{name} = {float(value)!r}: must be a finite value in [0, "
                f"{_UPPER[name]:g}] {_UNITS[name]}"
                for name, value in zip(PARAM_NAMES, params)
                if not (np.isfinite(value) and 0.0 <= value <= _UPPER[name])]
    if problems:
        raise ValueError("; ".join(problems))
    if params[P_MAX_ESCORTS] != np.floor(params[P_MAX_ESCORTS]):
        raise ValueError(f"blood.params.max_escorts = {float(params[P_MAX_ESCORTS])!r}: must "
                         "be a whole number")


PARAMETER_DOCS = default_params()[1]
"""``{name: (default value, unit, source)}`` for the config docs."""
