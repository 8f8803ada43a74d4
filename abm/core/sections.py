"""Config sections of the run itself: ``[run]`` (length, step, seed, clock), ``[grid]`` (the
lattice) and ``[output]`` (what is written and how often)."""
from __future__ import annotations

from dataclasses import dataclass

from abm.config.bounds import MAX_DAYS, MAX_DX_UM, MAX_RUN_H, MAX_SITES, MIN_DX_UM
from abm.config.loader import collect
from abm.config.names import check_output_template
from abm.config.params import param
from abm.config.registry import check, section


@section("run")
@dataclass(frozen=True)
class RunSection:
    """Length, time step and seed of a run."""

    days: float = param(12.0, unit="d", low=0.0, high=MAX_DAYS, low_inclusive=False,
                        doc="simulated time",
                        source="design choice: the quickstart tumour reaches >10,000 cells in ~12 d")
    dt_min: float = param(6.0, unit="min", low=0.1, high=120.0,
                          doc="ABM step: fields, cells and events advance once per step",
                          source="design choice (6 min): cells change over hours, O2 relaxes in <1 min")
    seed: int = param(0, low=0, high=2**63 - 1, doc="seed of the whole run (also --seed)",
                      source="design choice")
    thin_agents: bool = param(True, doc="materialise a thin Mesa agent per tumour cell "
                              "(created/removed on events only); switch off for large headless runs",
                              source="design choice (docs/mesa_costs.md: ~7 µs per birth/death)")
    start_clock_h: float = param(0.0, unit="h", low=0.0, high=24.0,
                                 doc="clock time at t = 0, h since midnight in [0, 24) (24 is "
                                     "rejected: write 0); [[therapy]] daily_at doses follow "
                                     "this clock",
                                 source="design choice: a run starts at midnight unless the "
                                        "scenario says otherwise")


@section("grid")
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


@section("output")
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
    compression: int = param(4, low=0, high=9,
                             doc="gzip level of fields and cell tables (checkpoints: of their "
                                 "integer and bool arrays only, docs/storage.md)",
                             source="design choice: ~3× smaller float32 fields at modest cost")
    figure: bool = param(True, doc="write a summary figure next to the run file at the end",
                         source="design choice")


def _is_multiple(value: float, unit: float) -> bool:
    """Whether ``value`` is a whole number (≥ 1) of ``unit`` (to 1e-9 relative)."""
    ratio = value / unit
    return abs(ratio - round(ratio)) < 1e-9 * max(1.0, ratio) and round(ratio) >= 1


@check("run")
def _check_run(c, errors: list[str]) -> None:
    dt = c.run.dt_min
    if not _is_multiple(c.run.days * 1440.0, dt):
        errors.append(f"run.days = {c.run.days!r}: must be a whole number (≥ 1) of steps of "
                      f"run.dt_min = {dt!r} min")
    if c.run.start_clock_h >= 24.0:
        errors.append(f"run.start_clock_h = {c.run.start_clock_h!r}: must be a value in [0, 24) "
                      "(h since midnight; write midnight as 0)")


@check("output")
def _check_output(c, errors: list[str]) -> None:
    out = c.output
    if not _is_multiple(out.frame_every_min, c.run.dt_min):
        errors.append(f"output.frame_every_min = {out.frame_every_min!r}: must be a "
                      f"multiple of run.dt_min = {c.run.dt_min!r}")
    if not _is_multiple(out.checkpoint_every_min, out.frame_every_min):
        errors.append(f"output.checkpoint_every_min = {out.checkpoint_every_min!r}: must be "
                      f"a multiple of output.frame_every_min = {out.frame_every_min!r}")
    collect(errors, lambda: check_output_template(out.path))
