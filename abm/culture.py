"""A well-mixed cell culture: the cell program without space, for in-vitro-style experiments.

Cells sit in a dish at one uniform O2 level that follows a schedule (e.g. 38 mmHg, then switched
to 1% O2 at t = 24 h); every division succeeds (no contact inhibition, as in a sub-confluent
culture); dead cells are removed when cleared. When the viable population exceeds
``max_cells`` the culture is passaged: half of the cells, drawn with the counter-based rng, are
discarded, which leaves every fraction unbiased. Recorded every ``record_every_h``: the
fractions a flow-cytometry experiment reports (G0/G1 = viable cells not in S/G2/M) and the
phase fractions.

Only the network program has an S/G2/M stage (``sg2m_h`` column), so the culture needs
``cells.program = "network"``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from abm.tumor.cells import NO_ROUTE, PHASES, SENESCENCE_ROUTES, CellTable
from abm.config import Config
from abm.tumor.cell_state import cell_state_params, drug_deaths, update_cell_state
from abm.errors import ConfigError
from abm.tumor.phenotype import EVENT_DIVIDE, EVENT_NAMES, EVENT_REMOVE, make_phenotype
from abm.core.rng import STREAM_DIVISION_SITE, uniform_array
from abm.therapy.schedule import TherapySchedule

VIABLE_PHASES = ("proliferating", "quiescent", "dormant", "senescent")


def o2_at(schedule: Sequence[tuple[float, float]], t_h: float) -> float:
    """O2 (mmHg) of a piecewise-constant schedule ``[(start_h, mmHg), ...]`` at time ``t_h``."""
    level = schedule[0][1]
    for start, value in schedule:
        if t_h >= start:
            level = value
    return level


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
    ``config.therapy`` (chemotherapy damages cycling cells; :mod:`abm.cell_state`), which also
    kill cells as in the tissue (a drug-response assay).
    """
    if config.cells.program != "network":
        raise ConfigError(f"cells.program = {config.cells.program!r}: a culture needs 'network' "
                          "(only the network program has an S/G2/M stage)")
    seed = config.run.seed if seed is None else int(seed)
    program = make_phenotype(config, seed)
    sg2m_col = program.n_species + program.state_names[program.n_species:].index("sg2m_h")
    table = CellTable(capacity=2 * max_cells + 16, n_state=len(program.state_names))
    zeros = np.zeros(n_cells, dtype=np.int32)
    program.initialize(table, table.add(zeros, zeros, phase=PHASES["proliferating"], birth_min=0.0), 0)
    dt_min = config.run.dt_min
    events = np.zeros(table.capacity, dtype=np.int8)
    totals = dict.fromkeys(EVENT_NAMES.values(), 0)
    record_every = max(1, round(record_every_h * 60 / dt_min))
    n_steps = round(hours * 60 / dt_min)
    rows = []
    therapy = TherapySchedule.from_config(config)
    state_params = cell_state_params(config.cell_state)
    killed = np.empty(table.capacity, dtype=np.int64)
    totals["drug_deaths"] = 0
    for step in range(n_steps + 1):
        t_h = step * dt_min / 60
        if step % record_every == 0:
            rows.append(_record(table, t_h, o2_at(schedule, t_h), sg2m_col, totals))
        if step == n_steps:
            break
        table.oxygen[: table.hwm] = o2_at(schedule, t_h)
        table.glucose[: table.hwm] = config.glucose.level  # well mixed: the medium's level
        table.sasp[: table.hwm] = sasp
        effects = therapy.step_effects(step * dt_min, (step + 1) * dt_min)
        if dna_damage > 0.0:
            table.dna_damage[: table.hwm] = dna_damage
        else:
            update_cell_state(table.arrays(), state_params, effects.chemo_damage_per_h,
                              dt_min / 60)
        program.advance(table, step, dt_min, events)
        hits = events[: table.hwm]
        counts = np.bincount(hits, minlength=max(EVENT_NAMES) + 1)
        for code, name in EVENT_NAMES.items():
            totals[name] += int(counts[code])
        table.release(np.flatnonzero(hits == EVENT_REMOVE))
        if killed.shape[0] < table.capacity:
            killed = np.empty(table.capacity, dtype=np.int64)
        n_killed = drug_deaths(table.arrays(), program.in_cycle(table),
                               effects.chemo_kill_per_h, config.cell_state.stemness_chemo_tolerance,
                               effects.senolytic_kill_per_h, seed, step, dt_min / 60, killed)
        table.release(program.kill(table, killed[:n_killed], step))
        totals["drug_deaths"] += n_killed
        mothers = np.flatnonzero(hits == EVENT_DIVIDE)
        if len(mothers):
            daughters = table.append_copies(mothers, birth_min=(step + 1) * dt_min)
            program.on_division(table, mothers, daughters, step)
            if table.capacity > events.shape[0]:
                events = np.zeros(table.capacity, dtype=np.int8)
        viable = _viable_rows(table)
        if len(viable) > max_cells:
            draws = uniform_array(seed, step, table.id[viable], STREAM_DIVISION_SITE)
            table.release(viable[draws < 0.5])
    return pd.DataFrame(rows)


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
