"""``TumorModel``: the Mesa model that owns the tissue, the cells and the fields.

The arrays are the source of truth and Mesa is the shell (docs/architecture.md): the model is a
``mesa.Model`` with its seeded rng, a ``DataCollector`` of model-level counts and thin agents
created on events; all per-cell work runs in numba kernels over the cell table.

A step (``dt_min``) is an ordered loop over processes (:class:`abm.core.process.Process`),
the order of docs/architecture.md (:data:`STEP`):

0. drug effects over the step (:mod:`abm.therapy.process`); they act in 1 (senomorphic:
   less secretion), 3b, 7 (anti-PD-L1), 8 (digoxin, platelet inhibitor) and 9;
1–3. fields (:mod:`abm.fields.process`): scatter viable cells' O2 and glucose uptake and
   senescent cells' secretion onto rate maps, advance each field by one backward-Euler step
   (multigrid), gather local values at every cell;
3b. cell state (:mod:`abm.tumor.process`): PD-L1, stemness, DNA damage and EMT;
4–5. fate: the phenotype program advances every cell and emits events;
6. events: remove cleared debris, place daughters on the lattice (or report contact
   inhibition), sync thin agents;
7. immune cells (:mod:`abm.immune.process`): enter from vessels, walk up the chemokine, kill;
7b. neutrophils and platelets (:mod:`abm.myeloid.process`): neutrophils enter up the
   chemokine, walk, secrete IL-6, cast NETs; platelet aggregates adhere at vessels next to
   tumour cells and release TGF-β (the fields take both in the next step);
8. blood (:mod:`abm.circulation.process`): perivascular tumour cells shed as single CTCs or
   clusters at a rate set by the circadian clock, taking neutrophils and platelets that
   touch them along; the shed units circulate (platelets, neutrophils, NK cells, shear,
   arrest) until they seed a metastasis or die;
8b. with ``[secondary]``: the secondary site's tissue takes its step, then the cells of units
   that arrested arrive there (:mod:`abm.metastasis.process`);
9. drug deaths (chemotherapy, senolytic); the killed cells die (apoptotic for the network
   program, removed at once otherwise);
10. record: counts from every process (DataCollector), then the observers (the HDF5
   recorder), which also store this step's event rows (:attr:`TumorModel.step_events`).

The model keeps construction (tissue, cells, lattice), the loop and the clock, and assembles
snapshots and reporters from the processes.
"""
from __future__ import annotations

import functools
import json
import time

import mesa
import numpy as np

from abm.circulation.process import Circulation, Clock
from abm.config.schema import ConfigBase
from abm.core.agents import AgentMirror
from abm.core.guards import check_model
from abm.core.process import Process, find
from abm.extend import registered_processes
from abm.fields.process import Fields
from abm.immune.process import Immune
from abm.metastasis.process import Dissemination
from abm.myeloid.process import Neutrophils, Platelets
from abm.schema import Config, load_config
from abm.therapy.process import DrugDeaths, DrugEffects
from abm.tumor.cells import PHASES, CellTable
from abm.tumor.lattice_events import placement_shells
from abm.tumor.phenotype import make_phenotype
from abm.tumor.process import Census, CellState, Deaths, Events, Fate
from abm.tumor.space import Lattice
from abm.tumor.tissue import place_vessels, poorly_perfused, tumor_sites

STEP: tuple[type[Process], ...] = (DrugEffects, Fields, CellState, Fate, Events, Deaths, Immune,
                                   Neutrophils, Platelets, Clock, Circulation, Dissemination,
                                   DrugDeaths, Census)
"""The processes of a step, in order (module docstring)."""

def step_processes() -> tuple[type[Process], ...]:
    """:data:`STEP` with the processes plugins registered (:func:`abm.extend.register_process`)
    each inserted after the process it names."""
    order = list(STEP)
    for kind, after in registered_processes():
        names = [p.name for p in order]
        if after not in names:
            raise ValueError(f"process {kind.name!r} is registered after {after!r}, which is "
                             f"not a process of the step: {', '.join(names)}")
        order.insert(names.index(after) + 1, kind)
    return tuple(order)


def reporting_processes() -> tuple[type[Process], ...]:
    """Whose reporters make the time-series columns, in column order: :data:`REPORTING`, then
    the registered processes."""
    return REPORTING + tuple(kind for kind, _ in registered_processes())


REPORTING: tuple[type[Process], ...] = (Census, Events, Fields, Deaths, Immune, DrugEffects,
                                        Circulation, Clock, DrugDeaths, Dissemination,
                                        Neutrophils, Platelets)
"""Whose reporters make the time-series columns, in column order (the order of every run
file so far; it differs from the step order)."""

TIMING_PHASES = tuple(dict.fromkeys([p.timing for p in STEP] + ["output"]))
"""Phases of a step whose wall time is accumulated in ``model.timings`` (s): the processes'
buckets in step order, then the recording."""


class TumorModel(mesa.Model):
    """A vascularised 2D tissue in which a tumour grows.

    Args:
        config: a :class:`abm.config.Config` (from :func:`abm.load_config`), or a path to a
            scenario TOML file, or None for the defaults.
        seed: overrides ``config.run.seed``; one seed makes the whole run.

    Attributes:
        cells: the :class:`abm.tumor.cells.CellTable` of tumour cells.
        occupancy: int32 ``[ny, nx]`` row of the cell at each site, -1 if empty.
        vessels: bool ``[ny, nx]`` vessel sites (O2 sources, never occupied).
        poor_vessels: bool ``[ny, nx]`` the poorly perfused ones among them
            (``vessels.poorly_perfused_fraction``).
        space: the :class:`abm.tumor.space.Lattice` over ``occupancy`` and ``vessels``.
        processes: the enabled processes of a step, in order (:data:`STEP`).
        fields: name → float64 ``[ny, nx]`` field: ``oxygen`` (mmHg), and ``glucose``
            (fraction of plasma) and the secreted fields when their ``field`` key is on.
        solutes: name → :class:`abm.fields.solutes.Solute`, the coupling of each field to
            the cells.
        oxygen, glucose: shortcuts to ``fields`` (glucose None without its field).
        immune: the :class:`abm.immune.layer.ImmuneLayer`, or None; blood: the
            :class:`abm.circulation.blood.Circulation`, or None.
        effects: the drugs' :class:`abm.therapy.schedule.DrugEffects` during the last step.
        time_min: simulated time (min); ``step_index`` the number of steps taken.
        counts: the latest model-level reporters (also in ``datacollector``).
        timings: accumulated wall time (s) per step phase, keys :data:`TIMING_PHASES`.
    """

    def __init__(self, config: Config | str | None = None, seed: int | None = None, *,
                 _checkpoint: dict | None = None):
        if not isinstance(config, ConfigBase):
            config = load_config(config, seed=seed)
        self.seed = int(config.run.seed if seed is None else seed)
        super().__init__(rng=self.seed)
        self.config = config
        self.dt_min = config.run.dt_min
        g = config.grid
        self.shape = (g.ny, g.nx)
        self.dx_um = g.dx_um
        self.phenotype = make_phenotype(config, self.seed)
        self.observers: list = []
        # a plugin process may time itself in a bucket of its own
        self.timings = dict.fromkeys(TIMING_PHASES + tuple(p.timing for p in step_processes()), 0.0)

        if _checkpoint is None:
            self._build_initial()
        else:
            self._restore(_checkpoint)
        if _checkpoint is None or "cells.glucose" not in _checkpoint:
            self.cells.glucose[:] = config.glucose.level  # the level without a field
        self.agents_mirror = AgentMirror(self) if config.run.thin_agents else None
        if self.agents_mirror is not None:
            self.agents_mirror.add(self.cells.live_rows())
        self.space = Lattice(self.occupancy, self.vessels,
                             placement_shells(config.cells.division_radius), self.agents_mirror)
        self.step_events: dict[str, dict[str, np.ndarray]] = {}
        self.processes: list[Process] = []
        for kind in step_processes():  # in order: a process may use those built before it
            process = kind.from_config(self, _checkpoint)
            if process is not None:
                self.processes.append(process)
        self.counts: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: functools.partial(_read_count, name=name)
                             for name in self.reporter_names()})
        self.update_counts()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction
    def _build_initial(self) -> None:
        cfg = self.config
        self.time_min = 0.0
        self.step_index = 0
        self.vessels = place_vessels(cfg, self.rng)
        self.poor_vessels = poorly_perfused(cfg, self.vessels, self.rng)
        self.occupancy = np.full(self.shape, -1, dtype=np.int32)
        xs, ys = tumor_sites(cfg, self.vessels)
        self.cells = CellTable(capacity=2 * len(xs) + 1024, n_state=len(self.phenotype.state_names))
        rows = self.cells.add(xs, ys, phase=PHASES["proliferating"], birth_min=0.0)
        self.occupancy[ys, xs] = rows
        self.phenotype.initialize(self.cells, rows, 0)

    def _restore(self, snap: dict) -> None:
        self.step_index = int(snap["model.step_index"])
        self.time_min = self.step_index * self.dt_min
        self.vessels = np.asarray(snap["tissue.vessels"], dtype=np.bool_)
        self.poor_vessels = (np.asarray(snap["tissue.poor_vessels"], dtype=np.bool_)
                             if "tissue.poor_vessels" in snap else np.zeros_like(self.vessels))
        self.occupancy = np.asarray(snap["tissue.occupancy"], dtype=np.int32).copy()
        self.cells = CellTable.from_snapshot(snap)
        self.rng.bit_generator.state = json.loads(_as_str(snap["model.rng_state"]))

    @classmethod
    def from_checkpoint(cls, config: Config, seed: int, snapshot: dict) -> "TumorModel":
        """Rebuild a model from :meth:`snapshot` output; stepping it continues the run exactly."""
        return cls(config, seed=seed, _checkpoint=snapshot)

    def snapshot(self, copy: bool = True) -> dict:
        """Everything needed to continue the run bit for bit (written to checkpoints): the
        cells, the clock, the rng, the lattice, and each process's own state. ``copy=False``:
        the tumour cells' arrays are views of the live table, valid only until the next
        step (the recorder writes them at once and keeps nothing;
        :meth:`abm.core.rowtable.RowTable.snapshot`)."""
        snap = self.cells.snapshot(copy=copy)
        snap.update({
            "model.step_index": self.step_index,
            "model.rng_state": json.dumps(self.rng.bit_generator.state),
            "tissue.vessels": self.vessels,
            "tissue.poor_vessels": self.poor_vessels,
            "tissue.occupancy": self.occupancy,
        })
        for process in self.processes:
            snap.update(process.snapshot())
        return snap

    def process(self, name: str) -> Process | None:
        """The enabled process called ``name`` (e.g. ``"immune"``), or None."""
        return find(self.processes, name)

    @property
    def fields(self) -> dict[str, np.ndarray]:
        return self.process("fields").fields

    @property
    def solutes(self) -> dict:
        return self.process("fields").solutes

    @property
    def oxygen(self) -> np.ndarray:
        return self.fields["oxygen"]

    @property
    def glucose(self) -> np.ndarray | None:
        return self.fields.get("glucose")

    @property
    def immune(self):
        process = self.process("immune")
        return None if process is None else process.layer

    @property
    def blood(self):
        process = self.process("blood")
        return None if process is None else process.blood

    # ------------------------------------------------------------------ one step
    def step(self) -> None:
        """Advance the tissue by ``dt_min``: every process in order, then the record."""
        self.step_events = {}
        for process in self.processes:
            t0 = time.perf_counter()
            process.step(self)
            self.timings[process.timing] += time.perf_counter() - t0
        self.step_index += 1
        self.time_min = self.step_index * self.dt_min

        t0 = time.perf_counter()
        check_model(self)  # before anything is recorded
        self.update_counts()
        self.datacollector.collect(self)
        for observer in self.observers:
            observer.on_step(self)
        self.timings["output"] += time.perf_counter() - t0

    def run_steps(self, n: int) -> None:
        """Take ``n`` steps."""
        for _ in range(int(n)):
            self.step()

    # ------------------------------------------------------------------ reporting
    @staticmethod
    def reporter_names() -> list[str]:
        """Names of the model-level reporters (DataCollector columns and HDF5 time series):
        the reporters of :data:`REPORTING`, in order."""
        return [name for kind in reporting_processes() for name in kind.reporter_names()]

    def update_counts(self) -> None:
        """Read every reporter into :attr:`counts` (0 for those of disabled processes); done
        after every step, and again by whoever changes the cells between steps (cells
        arriving at a secondary site)."""
        counts: dict[str, float] = {}
        for kind in reporting_processes():
            process = self.process(kind.name)
            counts.update(dict.fromkeys(kind.reporter_names(), 0) if process is None
                          else process.counts(self))
        self.counts = counts


def _read_count(model: TumorModel, name: str):
    """DataCollector reporter: one entry of ``model.counts`` (bound with functools.partial,
    which Mesa 3.3–3.5 call with the model)."""
    return model.counts[name]


def _as_str(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
