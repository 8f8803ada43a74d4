"""A well-mixed cell culture: the tissue's cell processes without space, for in-vitro-style
experiments.

Cells sit in a dish at one uniform O2 level that follows a schedule (e.g. 38 mmHg, then switched
to 1% O2 at t = 24 h). The culture runs the same processes as the tissue model
(:mod:`abm.tumor.process`, :mod:`abm.therapy.process`) in a :class:`abm.tumor.space.WellMixed`
space: every division succeeds (no contact inhibition, as in a sub-confluent culture) and dead
cells are removed when cleared. When the viable population exceeds ``max_cells`` the culture
is passaged: half of the cells, drawn with the counter-based rng, are discarded, which leaves
every fraction unbiased. Recorded every ``record_every_h``: the fractions a flow-cytometry
experiment reports (G0/G1 = viable cells not in S/G2/M) and the phase fractions.

Only the network program has an S/G2/M stage (``sg2m_h`` column), so the culture needs
``cells.program = "network"``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from abm.schema import Config
from abm.core.process import Process, find
from abm.core.rng import STREAM_DIVISION_SITE, uniform_array
from abm.errors import ConfigError
from abm.fields.metabolism import Metabolism
from abm.therapy.process import DrugDeaths, DrugEffects
from abm.tumor.cells import NO_ROUTE, PHASES, SENESCENCE_ROUTES, CellTable
from abm.tumor.phenotype import EVENT_NAMES, make_phenotype
from abm.tumor.process import CellState, Deaths, Events, Fate
from abm.tumor.space import WellMixed

def o2_at(schedule: Sequence[tuple[float, float]], t_h: float) -> float:
    """O2 (mmHg) of a piecewise-constant schedule ``[(start_h, mmHg), ...]`` at time ``t_h``."""
    level = schedule[0][1]
    for start, value in schedule:
        if t_h >= start:
            level = value
    return level


class Medium(Process):
    """The dish's environment at the start of a step: O2 (mmHg) from the schedule, the
    medium's glucose (``glucose.level``), a constant SASP input (network units) and, when
    ``dna_damage`` > 0, a clamped DNA-damage input (network units); then every cell's ATP
    supply / demand at those levels (:class:`abm.fields.metabolism.Metabolism` on one-site
    maps: every cell of the dish sits at site (0, 0))."""

    name, timing = "medium", "field"

    def __init__(self, schedule: Sequence[tuple[float, float]], glucose: float, sasp: float,
                 dna_damage: float, config: Config):
        self.schedule, self.glucose = schedule, glucose
        self.sasp, self.dna_damage = sasp, dna_damage
        self.metabolism = Metabolism(config, np.zeros((1, 1)), np.full((1, 1), glucose))

    def step(self, model):
        c, hwm = model.cells, model.cells.hwm
        c.oxygen[:hwm] = self.metabolism.o2_map[0, 0] = o2_at(self.schedule,
                                                              model.time_min / 60)
        c.glucose[:hwm] = self.glucose
        c.sasp[:hwm] = self.sasp
        if self.dna_damage > 0.0:
            c.dna_damage[:hwm] = self.dna_damage
        self.metabolism.update_atp(c)


class Passage(Process):
    """Discards half of the cells (counter-based draws) when the viable ones exceed
    ``max_cells``."""

    name, timing = "passage", "events"

    def __init__(self, max_cells: int):
        self.max_cells = max_cells

    def step(self, model):
        viable = _viable_rows(model.cells)
        if len(viable) > self.max_cells:
            draws = uniform_array(model.seed, model.step_index, model.cells.id[viable],
                                  STREAM_DIVISION_SITE)
            model.space.remove(model.cells, viable[draws < 0.5])


class Culture:
    """The host of the culture's processes: the dish's cells, clock and space (the culture's
    counterpart of :class:`abm.model.TumorModel`).

    Per step: :class:`Medium`, drug effects, the cell state (not when the DNA damage is
    clamped: the assay fixes that input), fate, drug deaths, events, :class:`Passage`. The
    drugs kill before the events (the tissue kills last), so that a cell killed in S/G2/M
    cannot have divided in the same step.
    """

    def __init__(self, config: Config, seed: int, schedule, n_cells: int, max_cells: int,
                 sasp: float, dna_damage: float):
        self.config, self.seed, self.dt_min = config, int(seed), config.run.dt_min
        self.phenotype = make_phenotype(config, self.seed)
        self.cells = CellTable(capacity=2 * max_cells + 16,
                               n_state=len(self.phenotype.state_names))
        zeros = np.zeros(n_cells, dtype=np.int32)
        rows = self.cells.add(zeros, zeros, phase=PHASES["proliferating"], birth_min=0.0)
        self.phenotype.initialize(self.cells, rows, 0)
        self.space = WellMixed()
        self.step_index, self.time_min = 0, 0.0
        self.step_events: dict[str, dict[str, np.ndarray]] = {}
        self.processes: list[Process] = [Medium(schedule, config.glucose.level, sasp, dna_damage,
                                                 config)]
        kinds = (DrugEffects,) + (() if dna_damage > 0.0 else (CellState,)) + (
            Fate, Deaths, DrugDeaths, Events)
        for kind in kinds:
            self.processes.append(kind.from_config(self, None))
        self.processes.append(Passage(max_cells))

    def process(self, name: str) -> Process | None:
        """The process called ``name``, or None."""
        return find(self.processes, name)

    def step(self) -> None:
        """Advance the dish by ``dt_min``."""
        self.step_events = {}
        for process in self.processes:
            process.step(self)
        self.step_index += 1
        self.time_min = self.step_index * self.dt_min


def run_culture(config: Config, schedule: Sequence[tuple[float, float]], hours: float, *,
                n_cells: int = 1000, max_cells: int = 8000, record_every_h: float = 1.0,
                sasp: float = 0.0, dna_damage: float = 0.0, seed: int | None = None
                ) -> pd.DataFrame:
    """Simulate a culture for ``hours`` under the O2 ``schedule``; one row per record time.

    Columns: ``time_h``, ``o2_mmHg``, ``n_viable``, ``g0g1_fraction`` and ``sg2m_fraction``
    (of viable cells), ``<phase>_fraction`` for every phase (of all cells present),
    ``senescent_<route>`` counts for every senescence route, and the cumulative event counts
    (``divisions``, ``dormancy_entries``, ...), and ``drug_deaths`` (cumulative). ``sasp``
    is the constant SASP input of every cell (network units); ``dna_damage`` a constant
    DNA-damage input, or, when 0 (the default), each cell's damage follows the drugs of
    ``config.therapy`` (chemotherapy damages cycling cells; :mod:`abm.tumor.cell_state`),
    which also kill cells as in the tissue (a drug-response assay).
    """
    if config.cells.program != "network":
        raise ConfigError(f"cells.program = {config.cells.program!r}: a culture needs 'network' "
                          "(only the network program has an S/G2/M stage)")
    seed = config.run.seed if seed is None else int(seed)
    culture = Culture(config, seed, schedule, n_cells, max_cells, sasp, dna_damage)
    program = culture.phenotype
    sg2m_col = program.n_species + program.state_names[program.n_species:].index("sg2m_h")
    dt_min = config.run.dt_min
    totals = dict.fromkeys(EVENT_NAMES.values(), 0)
    totals["drug_deaths"] = 0
    record_every = max(1, round(record_every_h * 60 / dt_min))
    n_steps = round(hours * 60 / dt_min)
    rows = []
    events, deaths = culture.process("events"), culture.process("deaths")
    for step in range(n_steps + 1):
        t_h = step * dt_min / 60
        if step % record_every == 0:
            rows.append(_record(culture.cells, t_h, o2_at(schedule, t_h), sg2m_col, totals))
        if step == n_steps:
            break
        culture.step()
        counts = events.counts(culture)
        for name in EVENT_NAMES.values():
            totals[name] += counts[name]
        killed = deaths.counts(culture)
        totals["drug_deaths"] += killed["chemo_deaths"] + killed["senolytic_deaths"]
    return pd.DataFrame(rows)


def record_columns() -> tuple[str, ...]:
    """The columns of :func:`run_culture`'s table, in order (what :func:`_record` writes)."""
    return ("time_h", "o2_mmHg", "n_viable", "g0g1_fraction", "sg2m_fraction",
            *(f"{name}_fraction" for name in PHASES),
            *(f"senescent_{name}" for name, code in SENESCENCE_ROUTES.items()
              if code != NO_ROUTE),
            *EVENT_NAMES.values(), "drug_deaths")


def _viable_rows(table: CellTable) -> np.ndarray:
    live = table.live_rows()
    phase = table.phase[live]
    return live[(phase != PHASES["necrotic"]) & (phase != PHASES["apoptotic"])]


def _record(table: CellTable, t_h: float, o2: float, sg2m_col: int, totals: dict) -> dict:
    live = table.live_rows()
    viable = _viable_rows(table)
    in_sg2m = float(np.mean(table.state[viable, sg2m_col] > 0)) if len(viable) else 0.0
    row = {"time_h": t_h, "o2_mmHg": o2, "n_viable": len(viable),
           "g0g1_fraction": 1.0 - in_sg2m, "sg2m_fraction": in_sg2m}
    phases = table.phase[live]
    for name, code in PHASES.items():
        row[f"{name}_fraction"] = float(np.mean(phases == code)) if len(live) else 0.0
    senescent = table.route[live][phases == PHASES["senescent"]]
    for name, code in SENESCENCE_ROUTES.items():
        if code != NO_ROUTE:
            row[f"senescent_{name}"] = int(np.count_nonzero(senescent == code))
    row.update(totals)
    return row
