"""Immune cells (CD8 T cells and NK cells): recruitment from vessels, a persistent biased
random walk on the lattice, contact killing of tumour cells by additive hits, dysfunction,
and exit.

The immune cells are a second layer over the tumour lattice: at most one immune cell per
site (``ImmuneLayer.occupancy``), never on a vessel, but an immune cell may sit on a site
that also holds a tumour cell (lymphocytes squeeze between tumour cells). Their state is a
structure-of-arrays (:class:`ImmuneTable`, stable rows + free list like the tumour table);
every per-cell rule is a serial numba kernel that visits rows in row order, so the outcome is
deterministic, and every random decision is a counter-based draw keyed by
(seed, step, immune cell id, stream) — or by the vessel's flat site index for recruitment —
so it does not depend on thread count or on how a sweep is spread over workers.

One step (:meth:`ImmuneLayer.step`): :func:`recruit` → :func:`move` → the targets' damage
decays (:func:`abm.immune.damage.decay_damage`) → :func:`engage_and_hit` →
:func:`age_and_exit` (:mod:`abm.immune.kernels` documents the lattice walk,
:mod:`abm.immune.killing` the contacts, hits, capacity and dysfunction); parameters in
:mod:`abm.immune.params`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.immune.damage import DamageModel, decay_damage
from abm.immune.kernels import age_and_exit, move, recruit, start_rows
from abm.immune.killing import FIXED, FUNCTIONAL, HitEvents, KillEvents, Targets, engage_and_hit
from abm.immune.params import check_params
from abm.immune.table import ImmuneTable
from abm.tumor.cells import CD8, NK, CellTable

KILL_EVENT_COLUMNS = ("time_min", "immune_id", "immune_kind", "target_id", "target_phase",
                      "target_pdl1", "target_mhc1")
"""Keys of :attr:`StepResult.kill_events`: the time stamp, then fields of :class:`KillEvents`."""
HIT_EVENT_COLUMNS = ("time_min",) + HitEvents._fields
"""Keys of :attr:`StepResult.hit_events`: the time stamp, then fields of :class:`HitEvents`."""
RECOVERY_EVENT_COLUMNS = ("time_min", "cell_id")
"""Keys of :attr:`StepResult.recovery_events`: tumour cells whose damage was repaired."""


@dataclass
class StepResult:
    """What one :meth:`ImmuneLayer.step` did.

    Attributes:
        killed_rows: int64 tumour rows killed this step, ascending (the model applies the
            death).
        kill_events: column name (:data:`KILL_EVENT_COLUMNS`) → 1-D array, one entry per
            kill in immune row order: time_min (min, end of the step), immune_id, immune_kind
            (1 CD8, 2 NK), target_id, target_phase (phase code), target_pdl1, target_mhc1.
        hit_events: :data:`HIT_EVENT_COLUMNS` → 1-D array, one entry per immune cell that hit
            this step: time_min, immune_id, immune_kind, target_id, hits, damage (the
            target's, after the hits), lethal.
        recovery_events: :data:`RECOVERY_EVENT_COLUMNS` → 1-D array: tumour cells whose
            damage decayed below ``immune.recovered_below_hits`` this step.
        entered_rows, exited_rows: int64 immune rows that entered / left this step. A row
            may be in both (entered and left in one step): add agents for ``entered_rows``
            before removing those of ``exited_rows``. Exited rows are reused only from the
            next step on.
        counts: live counts after the step (:meth:`ImmuneLayer.counts`).
    """

    killed_rows: np.ndarray
    kill_events: dict[str, np.ndarray]
    hit_events: dict[str, np.ndarray]
    recovery_events: dict[str, np.ndarray]
    entered_rows: np.ndarray
    exited_rows: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


class ImmuneLayer:
    """The immune cells of one tissue: table, occupancy and the per-step orchestration.

    Args:
        shape: ``(ny, nx)`` of the lattice. dx_um: site size (µm).
        vessels: bool ``[ny, nx]`` (entry points; never stood on).
        params, recognition: as from :func:`abm.immune.params.default_params` (checked).
        seed: the run's seed (all draws are keyed by it).
        damage: the additive-damage rule (default: ``[immune]``'s defaults).

    Attributes:
        table: the :class:`ImmuneTable`. occupancy: int32 ``[ny, nx]`` immune row per site
            (-1 empty), kept consistent with the table by every kernel.
        vessel_x, vessel_y: int64 vessel sites in row-major order (the recruitment order).
    """

    def __init__(self, shape: tuple[int, int], dx_um: float, vessels: np.ndarray,
                 params: np.ndarray, recognition: np.ndarray, seed: int,
                 damage: DamageModel | None = None):
        self.shape = (int(shape[0]), int(shape[1]))
        vessels = np.ascontiguousarray(vessels, dtype=np.bool_)
        if vessels.shape != self.shape:
            raise ValueError(f"vessels has shape {vessels.shape}, the lattice is {self.shape}")
        self.params = np.ascontiguousarray(params, dtype=np.float64).copy()
        self.recognition = np.ascontiguousarray(recognition, dtype=np.float64).copy()
        check_params(self.params, self.recognition)
        self.dx_um = float(dx_um)
        self.vessels = vessels
        self.seed = int(seed)
        self.damage = DamageModel() if damage is None else damage
        self.vessel_y, self.vessel_x = (a.astype(np.int64) for a in np.nonzero(vessels))
        self.table = ImmuneTable(capacity=max(16, 2 * len(self.vessel_x)))
        self.occupancy = np.full(self.shape, -1, dtype=np.int32)
        self._zero_chemokine = np.zeros(self.shape)

    # -------------------------------------------------------------- seeding and checkpoints
    def place(self, kind: int, xs: np.ndarray, ys: np.ndarray, time_min: float = 0.0) -> np.ndarray:
        """Put cells of ``kind`` (``abm.cells.CD8``/``NK``) on free non-vessel sites
        ``(xs, ys)`` (an initial infiltrate, tests); returns their rows."""
        xs, ys = np.asarray(xs, dtype=np.int64), np.asarray(ys, dtype=np.int64)
        if kind not in (CD8, NK):
            raise ValueError(f"kind = {kind!r}: must be abm.cells.CD8 ({CD8}) or NK ({NK})")
        ny, nx = self.shape
        inside = (xs >= 0) & (xs < nx) & (ys >= 0) & (ys < ny)
        if not inside.all():
            raise ValueError(f"sites outside the {nx}×{ny} lattice: {np.flatnonzero(~inside)[:5]}")
        flat = ys * nx + xs
        taken = (self.occupancy[ys, xs] >= 0) | self.vessels[ys, xs]
        if taken.any() or len(np.unique(flat)) != len(flat):
            raise ValueError("immune cells need distinct sites without a vessel or another "
                             "immune cell")
        rows = self.table.add(kind, xs, ys)
        start_rows(self.seed, self.params, self.table.arrays(), rows, time_min)
        self.occupancy[ys, xs] = rows
        return rows

    def snapshot(self) -> dict[str, np.ndarray]:
        """The table and the occupancy, for checkpoints (keys ``immune.*``)."""
        snap = self.table.snapshot()
        snap["immune.occupancy"] = self.occupancy.copy()
        return snap

    @classmethod
    def from_snapshot(cls, snap: dict, dx_um: float, vessels: np.ndarray, params: np.ndarray,
                      recognition: np.ndarray, seed: int,
                      damage: DamageModel | None = None) -> ImmuneLayer:
        """Rebuild a layer saved by :meth:`snapshot`; stepping it continues exactly."""
        layer = cls(np.shape(vessels), dx_um, vessels, params, recognition, seed, damage)
        layer.table = ImmuneTable.from_snapshot(snap)
        layer.occupancy[:] = snap["immune.occupancy"]
        return layer

    # -------------------------------------------------------------- one step
    def step(self, step_index: int, dt_min: float, time_min: float, chemokine: np.ndarray | None,
             tumour_occupancy: np.ndarray, cells: CellTable, blockade: float) -> StepResult:
        """Advance the immune cells by ``dt_min``: recruit → move → damage decay →
        engage_and_hit → age_and_exit.

        Args:
            step_index: the model's step (keys the draws). time_min: time at the start of
                the step (min); entries, hits, recoveries and kills are stamped
                ``time_min + dt_min``.
            chemokine: float64 ``[ny, nx]`` (chemokine units), or None (no chemokine: no
                recruitment, no chemotaxis).
            tumour_occupancy: int32 ``[ny, nx]`` tumour row per site. cells: the tumour
                table (its ``immune_damage`` is updated; killed cells are the caller's to
                remove).
            blockade: anti-PD-L1 effect this step, 0–1.
        """
        if not 0.0 <= blockade <= 1.0:
            raise ValueError(f"blockade = {blockade!r}: must be in [0, 1]")
        chem = self._zero_chemokine if chemokine is None else chemokine
        if chem.shape != self.shape or tumour_occupancy.shape != self.shape:
            raise ValueError(f"chemokine {chem.shape} and tumour occupancy "
                             f"{tumour_occupancy.shape} must match the lattice {self.shape}")
        t_end = time_min + dt_min
        entered = self._recruit(step_index, dt_min, t_end, chem)
        t = self.table
        move(self.seed, step_index, dt_min, self.dx_um, chem, self.params, t.arrays(),
             self.occupancy, self.vessels)
        recovered = self._decay_damage(cells, dt_min, t_end)
        killed_rows, kills, hits = self._engage_and_hit(step_index, dt_min, t_end, blockade,
                                                        tumour_occupancy, cells)
        exited = self._age_and_exit(step_index, dt_min)
        return StepResult(killed_rows, kills, hits, recovered, entered, exited, self.counts())

    def counts(self) -> dict[str, int]:
        """Live CD8 and NK cells, engaged cells, and CD8 cells by dysfunction: ``n_exhausted``
        (plastic or fixed) and ``n_exhausted_fixed``."""
        t = self.table
        h = t.hwm
        alive, kind, state = t.alive[:h], t.kind[:h], t.dysfunction[:h]
        cd8 = alive & (kind == CD8)
        return {"n_cd8": int(np.count_nonzero(cd8)),
                "n_nk": int(np.count_nonzero(alive & (kind == NK))),
                "n_engaged": int(np.count_nonzero(alive & (t.target[:h] >= 0))),
                "n_exhausted": int(np.count_nonzero(cd8 & (state != FUNCTIONAL))),
                "n_exhausted_fixed": int(np.count_nonzero(cd8 & (state == FIXED)))}

    def _recruit(self, step_index, dt_min, t_end, chem) -> np.ndarray:
        n_max = 2 * len(self.vessel_x)  # at most one cell per kind and vessel site
        if n_max == 0:
            return np.zeros(0, dtype=np.int64)
        t = self.table
        t.ensure_capacity(n_max)
        rows = np.empty(n_max, dtype=np.int64)
        n = recruit(self.seed, step_index, dt_min, t_end, self.vessel_x, self.vessel_y, chem,
                    self.params, t.arrays(), self.occupancy, self.vessels, rows)
        return rows[:n]

    def _decay_damage(self, cells: CellTable, dt_min: float, t_end: float) -> dict:
        ids = np.empty(max(cells.hwm, 1), dtype=np.int64)
        n = decay_damage(cells.arrays(), np.exp(-dt_min / self.damage.decay_min),
                         self.damage.recovered_below_hits, ids)
        return {"time_min": np.full(n, t_end), "cell_id": ids[:n].copy()}

    def _engage_and_hit(self, step_index, dt_min, t_end, blockade, tumour_occupancy, cells):
        t = self.table
        killed = np.zeros(cells.alive.shape[0], dtype=np.uint8)
        n_max = max(t.count, 1)  # each immune cell kills and hits at most once per step
        kill_buffer, hit_buffer = KillEvents.empty(n_max), HitEvents.empty(n_max)
        n_kills, n_hits = engage_and_hit(
            self.seed, step_index, dt_min, self.params, self.recognition, float(blockade),
            self.damage.lethal, t.arrays(),
            Targets(tumour_occupancy, cells.alive, cells.phase, cells.id, cells.pdl1,
                    cells.mhc1, cells.immune_damage), killed, kill_buffer, hit_buffer)
        kills = {"time_min": np.full(n_kills, t_end),
                 **{name: getattr(kill_buffer, name)[:n_kills].copy()
                    for name in KILL_EVENT_COLUMNS[1:]}}
        hits = {"time_min": np.full(n_hits, t_end),
                **{name: getattr(hit_buffer, name)[:n_hits].copy()
                   for name in HIT_EVENT_COLUMNS[1:]}}
        return np.flatnonzero(killed).astype(np.int64), kills, hits

    def _age_and_exit(self, step_index, dt_min) -> np.ndarray:
        t = self.table
        rows = np.empty(max(t.count, 1), dtype=np.int64)
        n = age_and_exit(self.seed, step_index, dt_min, self.params, t.arrays(), self.occupancy,
                         rows)
        return rows[:n]
