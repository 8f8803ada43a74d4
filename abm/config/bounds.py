"""Bounds shared by many config keys, declared once (each key states its own range; these
say why).

A value beyond them is not a possible tissue, and each keeps derived quantities (rates ×
times, exponentials, areas) far from float overflow, so nonsense is refused at load time
instead of putting inf/NaN into fields and cell columns.
"""
ATMOSPHERIC_MMHG = 760.0
"""pO2 of pure O2 at 1 atm (mmHg): no vessel or tissue pO2 exceeds it (the bound of every O2
level and O2 constant; 1e200 would overflow the field)."""

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
