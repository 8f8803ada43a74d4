"""Peak memory of a run, estimated from its config before anything is built, and the limit
a run must stay under.

Estimate (bytes)::

    BASE_BYTES                                   the interpreter, numpy/numba/h5py/mesa, the
                                                 compiled kernels
    + sites × (PER_SITE_BYTES                    lattice, occupancy, vessels, frame buffers
               + PER_FIELD_SITE_BYTES × fields   each solved field: values, sources and sinks,
                                                 its multigrid levels
               + PER_IMMUNE_SITE_BYTES)          with immune.enabled: the immune layer
    + cells × PER_CELL_BYTES                     a tumour cell: its rows of the cell table
                                                 (capacity doubles), ODE state and work arrays,
                                                 its rows of the frame being written
    + steps × reporters × PER_RECORD_BYTES       the model-level time series Mesa's
                                                 DataCollector keeps in memory (one Python
                                                 float per reporter and step)

with ``sites = grid.nx × grid.ny``, ``fields`` the fields the config solves (oxygen and the
declared fields it turns on), ``cells`` the initial tumour (the disc's sites, or
the tumour mask's), ``steps = run.days × 1440 / run.dt_min`` and ``reporters`` the model's
time-series columns (63). The last term is small for the shipped scenarios (6 MB for 12 days
at 6 min) but not for long runs with short steps (1.8 GB for 10 years at 6 min). A tumour grows; the estimate for a lattice full of tumour cells
(``cells = sites``) is :func:`estimate_full_bytes`, which a run is not refused for (it may
never get there) but warned about.

The coefficients were measured (peak RSS, ``VmHWM`` of /proc/self/status, of a process that
imports abm and runs 12 steps) on Linux x86-64, Python 3.11, with the default network
program and a tumour disc filling 64 % of a square lattice:

=================================  ========  ========  ==========
run                                measured  estimate  est./meas.
=================================  ========  ========  ==========
64², 4 fields, 2.6k cells          259 MB    260 MB    1.00
200², 4 fields, 25k cells          307 MB    303 MB    0.99
200², 5 fields + immune, 25k cells 312 MB    314 MB    1.01
400², 4 fields, 102k cells         432 MB    448 MB    1.04
400², 4 fields, 112 cells          293 MB    306 MB    1.04
400², 1 field, 102k cells          401 MB    417 MB    1.04
400², 5 fields + immune, 102k cells 515 MB   490 MB    0.95
800², 4 fields, 407k cells         930 MB    1027 MB   1.10
=================================  ========  ========  ==========

The per-field and per-cell terms are differences between these runs (4 fields vs 1; 102k
cells vs 112), the base is the 64² run; the immune term is the least certain (its share of
the 400² run is 73 MB, of the 200² run 5 MB) and is taken between the two. By this formula
the largest allowed grid (8192²) needs about 21 GB before its first cell divides.
``tests/test_cli.py::test_memory_estimate_is_within_a_factor_two_of_a_run`` checks a run
against it.
"""
from __future__ import annotations

import logging
import math
import os

from abm.schema import Config
from abm.errors import ConfigError

log = logging.getLogger("abm")

BASE_BYTES = 255e6
PER_SITE_BYTES = 60.0
PER_FIELD_SITE_BYTES = 64.0
PER_IMMUNE_SITE_BYTES = 200.0
PER_CELL_BYTES = 1400.0
PER_RECORD_BYTES = 32.0
"""Measured with tracemalloc: a million distinct floats appended to a list take 32.4 MB
(a 24-byte float object and an 8-byte list slot)."""

ENV_VAR = "ABM_MAX_MEMORY_GB"
"""Environment variable with the limit in GB (10⁹ bytes); ``--max-memory-gb`` overrides it."""

PHYSICAL_FRACTION = 0.5
"""Default limit as a fraction of physical memory. Design choice: the estimate is honest
within about 2×, so a run at the limit still fits in the machine, and the rest stays for the
system and other processes (an HPC node or a laptop is rarely ours alone)."""


def solved_fields(config: Config) -> list[str]:
    """The fields a run of ``config`` solves."""
    from abm.fields.solutes import field_specs

    return [spec.name for spec in field_specs(config)]


def initial_cells(config: Config) -> int:
    """The number of tumour cells a run starts with (the disc's sites within the domain, or
    the tumour mask's; vessel sites are not subtracted)."""
    g, t = config.grid, config.tumor
    if t.seed_pattern == "mask":
        from abm.config.masks import load_mask

        return int(load_mask(t.mask_file, (g.ny, g.nx), "tumor.mask_file").sum())
    return min(g.nx * g.ny, math.ceil(math.pi * (t.radius_um / g.dx_um) ** 2))


def _lattice_bytes(config: Config) -> float:
    per_site = (PER_SITE_BYTES + PER_FIELD_SITE_BYTES * len(solved_fields(config))
                + (PER_IMMUNE_SITE_BYTES if config.immune.enabled else 0.0))
    return BASE_BYTES + config.grid.nx * config.grid.ny * per_site


def _series_bytes(config: Config) -> float:
    from abm.model import TumorModel  # not at import time: the model pulls in every kernel

    steps = config.run.days * 1440.0 / config.run.dt_min
    return steps * len(TumorModel.reporter_names()) * PER_RECORD_BYTES


def estimate_peak_bytes(config: Config) -> float:
    """Estimated peak memory (bytes) of a run of ``config`` with its initial tumour."""
    return (_lattice_bytes(config) + _series_bytes(config)
            + initial_cells(config) * PER_CELL_BYTES)


def estimate_full_bytes(config: Config) -> float:
    """Estimated peak memory (bytes) once tumour cells fill the lattice."""
    return (_lattice_bytes(config) + _series_bytes(config)
            + config.grid.nx * config.grid.ny * PER_CELL_BYTES)


def memory_limit(max_memory_gb: float | None = None) -> tuple[float, str]:
    """The limit in bytes and where it comes from: ``max_memory_gb`` (``--max-memory-gb``),
    else :data:`ENV_VAR`, else :data:`PHYSICAL_FRACTION` of physical memory.

    Raises ConfigError naming the option or variable for a value that is not a positive
    finite number."""
    if max_memory_gb is not None:
        return _gb(max_memory_gb, "--max-memory-gb"), f"--max-memory-gb {max_memory_gb:g}"
    if os.environ.get(ENV_VAR):
        text = os.environ[ENV_VAR]
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{ENV_VAR} = {text!r}: must be a number of GB > 0") from None
        return _gb(value, ENV_VAR), f"{ENV_VAR}={text}"
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return PHYSICAL_FRACTION * physical, (
        f"{PHYSICAL_FRACTION:.0%} of the {physical / 1e9:.1f} GB of physical memory; set "
        f"--max-memory-gb or {ENV_VAR} to change it")


def _gb(value: float, where: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{where} = {value!r}: must be a number of GB > 0")
    return value * 1e9


def check_memory(config: Config, max_memory_gb: float | None = None) -> float:
    """Raise ConfigError if the estimated peak memory of a run of ``config`` is above the
    limit (:func:`memory_limit`); warn if a lattice full of tumour cells would be. Returns
    the estimate (bytes)."""
    limit, source = memory_limit(max_memory_gb)
    estimate = estimate_peak_bytes(config)
    size = (f"grid.nx × grid.ny = {config.grid.nx} × {config.grid.ny} for run.days = "
            f"{config.run.days:g} in steps of run.dt_min = {config.run.dt_min:g}")
    if estimate > limit:
        raise ConfigError(f"a run of {size} needs about {estimate / 1e9:.2f} GB, above the "
                          f"limit of {limit / 1e9:.2f} GB ({source}); use a smaller grid, a "
                          "shorter run or longer steps")
    full = estimate_full_bytes(config)
    if full > limit:
        log.warning("note: %s needs about %.2f GB at the start but %.2f GB if tumour cells "
                    "fill the lattice, above the limit of %.2f GB (%s)", size, estimate / 1e9,
                    full / 1e9, limit / 1e9, source)
    return estimate
