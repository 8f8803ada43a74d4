"""The fate layer: the intracellular network decides each tumour cell's cycle and fate.

Every step the batched integrator advances every viable cell's network (inputs: local O2,
growth factor, glucose, SASP) by ``dt``; then one kernel applies the rules of docs/network.md §2
("Fate layer"), with parameters in ``[fate]`` and ``[cells]``:

- **Commitment → division.** E2F (``EF``; the ``e2f`` role) above ``commit_ef`` commits the
  cell (``fate.commit = "rise"``: only if it has been at or below ``commit_ef`` since the
  cell's last commitment, the ``rearmed`` column); S/G2/M then
  lasts a normal draw (``sg2m_mean_h`` ± ``sg2m_sd_h``, truncated at a quarter of the mean),
  after which the cell divides. Both sisters get the post-mitotic reset (RP → RB,
  EF × 0.05, CE × 0.05) and lognormal noise ``exp(σ·z)`` on every species.
- **Dormancy (G0, reversible).** E2F off for more than ``dormant_after_h`` with mTORC1 below
  ``mtor_threshold``. A dormant cell whose E2F turns on exits and commits; its depth (time
  arrested, and the Rb pool the network accumulates) grows while it stays.
- **Senescence (irreversible).** Arrested with mTORC1 ≥ ``mtor_threshold`` continuously for
  more than ``senescent_after_h`` (geroconversion). The route is recorded: ``therapy`` when
  the cell's DNA damage is ≥ ``therapy_damage`` at conversion, else ``paracrine`` when its
  SASP input is ≥ ``paracrine_sasp``, else ``geroconversion``. **Metabolic route:** arrested
  (or dormant) with AMPK ≥ ``metabolic_ampk`` and HIF < ``metabolic_hif`` (energy stress that
  hypoxia does not explain: mitochondrial dysfunction, AMPK–p53; Wiley et al. 2016) for
  more than ``senescent_after_h``. Senescent cells never divide.
- **Apoptosis.** AMPK > ``apoptosis_ampk`` with mTORC1 < ``apoptosis_mtor`` and p21 >
  ``apoptosis_p21`` sustained for ``apoptosis_after_h``; removed after
  ``cells.apoptosis_duration_h``.
- **Necrosis (energy-based).** The cell's ATP supply over its demand (its respiration and
  glycolysis at the local O2 and glucose, the ``atp`` column of :mod:`abm.fields.metabolism`)
  drains an energy reserve ``E`` when below ``atp_demand``:
  ``dE/dt = (ATP − atp_demand)/cells.energy_time_h``; ``E = 0``
  is necrosis; debris clears after ``cells.necrotic_clearance_h``.
- **Contact inhibition (in G1).** A cell whose E2F turns on commits only if a free site
  exists within ``cells.division_radius``. Otherwise it does not pass the restriction point:
  its E2F module gets the post-mitotic reset (E2F low again, as in contact-inhibited G0/G1
  cells) and it is ``quiescent`` until a later commitment finds space. Crowding deactivates
  mTOR and suppresses geroconversion (Leontieva & Blagosklonny 2010 Aging 2:924), so
  contact-inhibited cells accumulate no geroconversion time. A crowded cell that turns hypoxic
  keeps E2F off with low mTORC1 and becomes dormant; a crowded normoxic one stays quiescent.
  (Letting a blocked cell keep E2F on would lock it on through the Yao switch's hysteresis,
  and no crowded core could ever go dormant.) A cell whose space was taken during S/G2/M
  aborts the division the same way, without a daughter.

Phases: G1 and S/G2/M cells are ``proliferating`` (the ``sg2m_h`` column > 0 marks S/G2/M),
contact-inhibited G1 cells ``quiescent``. Without a bound lattice (a well-mixed culture)
there is always space.

The layer reads the network through its roles, never its module (:mod:`abm.tumor.phenotype.
binding`, docs/network_binding.md): the species of :data:`OBSERVED` (``Network.observables``
over ``[intracellular] observables``; a rule whose role is unbound is off), the HIF
half-point (role ``hif_half_mmHg``, a parameter; it also drives PD-L1,
:mod:`abm.tumor.cell_state`), its inputs as ``[intracellular] inputs`` binds them, and the
hooks of :data:`HOOKS` (``Network.hooks``; without ``post_mitotic_reset`` daughters inherit
the mother's state), which the kernels call as first-class functions (typed by signature, as
the integrator calls ``rhs``; the kernels are compiled once and cached on disk whatever the
network).
"""
from __future__ import annotations

import functools

import numba
import numpy as np
from numba import types
from numba.typed import List

import intracellular
from intracellular.sparse_lu import CacheDirError

from abm._numba import OPTIONS, jit
from abm.tumor.cells import (APOPTOTIC, DORMANT, GEROCONVERSION, METABOLIC, NECROTIC, PARACRINE,
                             PROLIFERATING, QUIESCENT, SENESCENT, THERAPY)
from abm.schema import Config
from abm.errors import ConfigError, NumericalError, RunFileError
from abm.fields.metabolism import demand_from_mtorc1
from abm.tumor.phenotype.binding import (ROLES, InputBinder, bind_roles, file_record, parse_inputs,
                                         resolve_network)
from abm.tumor.lattice_events import has_free_site
from abm.tumor.sections import FATE_RULES, network_parameters
from abm.tumor.sections import Rule as R
from abm.core.rng import STREAM_INHERIT, STREAM_INITIAL_PROGRESS, STREAM_SG2M, normal, uniform
from abm.tumor.phenotype.base import (EVENT_APOPTOSIS, EVENT_DIVIDE, EVENT_DORMANCY_ENTRY, EVENT_DORMANCY_EXIT,
                                      EVENT_NECROSIS, EVENT_NONE, EVENT_REMOVE, EVENT_SENESCENCE, Phenotype)

FATE_COLUMNS = ("step_h", "sg2m_h", "arrested_h", "gero_h", "stress_h", "energy", "dead_h",
                "contact_inhibited", "metabolic_h", "rearmed")
"""State columns after the species: integrator step memory (h), remaining S/G2/M (h), time
with E2F off (h), time arrested with active mTORC1 (h), time under energy stress (h), energy
reserve (0–1), time since death (h), waiting to divide (0/1), time arrested under normoxic
energy stress (h), E2F at or below ``commit_ef`` since the last commitment (0/1; read by
``fate.commit = "rise"``)."""
(STEP_H, SG2M_H, ARRESTED_H, GERO_H, STRESS_H, ENERGY, DEAD_H, BLOCKED, METABOLIC_H,
 REARMED) = range(10)
_NO_LATTICE = (np.full((1, 1), -1, dtype=np.int32), np.zeros((1, 1), dtype=np.bool_),
               np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
SETTABLE_INPUTS = {"GF": "growth_factor", "mito": "mito"}
"""Levels every cell sees that a caller may set (:meth:`NetworkFate.set_input`) → the source
they set (:mod:`abm.tumor.phenotype.binding`)."""
OBSERVED = ROLES
"""Observables (species roles) the fate rules read, in the order of ``species_index``."""
_VECTOR = types.float64[::1]
HOOKS = {"post_mitotic_reset": types.FunctionType(types.void(_VECTOR, _VECTOR))}
"""Hooks the fate layer calls (``Network.hooks``) and their compiled signatures:
``post_mitotic_reset(y, out)``. (The network's own ``energy`` hook drives its AMPK inside the
network; the energy reserve reads the cell's metabolism, the ``atp`` column.)"""
FOUNDER_SG2M_FRACTION = 0.4
"""Founders start in S/G2/M with this probability (≈ 10 h of a ~16 h cycle at normoxia; design
choice so the seeded tumour is not synchronised)."""


class NetworkFate(Phenotype):
    """Cells driven by an intracellular network (see module docstring)."""

    def __init__(self, config: Config, seed: int):
        ic = config.intracellular
        self.seed = int(seed)
        self.network = resolve_network(ic)
        net = self.network
        self.binder = InputBinder(net, parse_inputs(ic.inputs, net.input_names), config)
        self.species_index, hif_half = bind_roles(net, ic.observables)
        self.reset = _reset_list(net.hooks.get("post_mitotic_reset", _inherit))
        self._demand = functools.partial(demand_from_mtorc1, config)
        # without an mTORC1 role every cell has a cycling cell's demand (mTORC1 at the
        # reference: design choice, docs/network_binding.md)
        self._mtorc1_reference = np.array([config.metabolism.mtorc1_reference])
        self.params = network_parameters(ic)
        self.run_attrs = file_record(ic)
        try:  # builds (or loads) the network's generated LU code
            self.integrator = intracellular.BatchIntegrator(net, rtol=ic.rtol, atol=ic.atol)
        except CacheDirError as exc:  # a setting of the user's environment: one message
            raise ConfigError(str(exc)) from None
        self.n_species = net.n_species
        self.state_names = tuple(net.species) + FATE_COLUMNS
        self.y0 = net.state_vector()
        if hif_half is not None:  # else the class default (abm.tumor.cell_state)
            self.hif_half_mmHg = float(self.params[net.parameter_names.index(hif_half)])
        self.rules = FATE_RULES.values(config)
        self._dx_um = config.grid.dx_um  # positions in error messages
        self._lattice = _NO_LATTICE

    def bind_lattice(self, occupancy, vessels, shells):
        off_x, off_y, _ = shells
        self._lattice = (occupancy, vessels, off_x, off_y)

    def set_input(self, name: str, value: float) -> None:
        """Set a level that every cell sees: ``GF`` (the ``growth_factor`` source) or ``mito``
        (O2, glucose, SASP and DNA damage come from the cell table)."""
        if name not in SETTABLE_INPUTS:
            raise ValueError(f"input {name!r}: settable inputs are {tuple(SETTABLE_INPUTS)}")
        self.binder.set_level(SETTABLE_INPUTS[name], value)

    def set_nr2f1_repression(self, repression: float) -> None:
        """Set how fully NR2F1 represses the growth factor (``cell_state.
        nr2f1_gf_repression``; an awakening niche signal lifts it)."""
        if not 0.0 <= repression <= 1.0:
            raise ValueError(f"nr2f1 repression = {repression!r}: must be in [0, 1]")
        self.binder.nr2f1_repression = float(repression)

    def demand(self, table, rows) -> np.ndarray:
        """ATP demand of ``rows`` from their mTORC1 (:func:`abm.fields.metabolism.
        demand_from_mtorc1`); a cycling cell's demand when no species plays mtorc1."""
        i_mtor = self.species_index[1]
        if i_mtor < 0:
            return np.full(table.state[rows, 0].shape, self._demand(self._mtorc1_reference)[0])
        return self._demand(table.state[rows, i_mtor])

    def _inputs(self, table) -> np.ndarray:
        """Per-row network inputs [hwm, n_inputs] as ``[intracellular] inputs`` binds
        them (:class:`abm.tumor.phenotype.binding.InputBinder`)."""
        return self.binder.fill(table)

    def initialize(self, table, rows, step):
        _init_founders(rows, table.id, table.phase, table.state, self.y0, self.rules,
                       self.seed, step)
        table.demand[rows] = self.demand(table, rows)

    def advance(self, table, step, dt_min, events):
        if table.state.shape[1] != len(self.state_names):  # the kernels index columns unchecked
            raise RunFileError(
                f"checkpoint: the cell table has {table.state.shape[1]} state columns, network "
                f"{self.network.name!r} with the fate layer needs {len(self.state_names)} "
                f"({', '.join(self.state_names)}): a checkpoint of another network or of an "
                "older version (before the 'rearmed' column) cannot be resumed")
        hwm = table.hwm
        dt_h = dt_min / 60.0
        u = self._inputs(table)
        phase = table.phase[:hwm]
        active = table.alive[:hwm] & (phase != NECROTIC) & (phase != APOPTOTIC)
        n = self.n_species
        try:
            self.integrator.advance(table.state[:hwm, :n], u, self.params, dt_h, active,
                                    table.state[:hwm, n + STEP_H])
        except intracellular.IntegrationError as exc:
            r, dx = exc.row, self._dx_um
            raise NumericalError(
                f"intracellular network {exc.network!r}, step {step} (from t = "
                f"{step * dt_min:g} min): cell id {table.id[r]} at site (x={table.x[r]}, "
                f"y={table.y[r]}), position ({(table.x[r] + 0.5) * dx:g}, "
                f"{(table.y[r] + 0.5) * dx:g}) µm, O2 {table.oxygen[r]:.4g} mmHg: "
                f"{exc.species} = {exc.value!r}: {exc.reason}") from exc
        _kernels()[0](hwm, table.alive, table.id, table.phase, table.route, table.state,
                      table.sasp, table.dna_damage, self.params, events, self.species_index, n, self.rules, self.seed, step,
                      dt_h, table.x, table.y, *self._lattice, table.atp, self.reset)
        # ATP demand follows mTORC1 (the fields read it next step)
        table.demand[:hwm] = self.demand(table, slice(0, hwm))

    def in_cycle(self, table):
        """Cells in S/G2/M (committed: the remaining S/G2/M time is > 0)."""
        hwm = table.hwm
        return (table.phase[:hwm] == PROLIFERATING) & (table.state[:hwm, self.n_species + SG2M_H] > 0.0)

    def kill(self, table, rows, step):
        """Killed cells become apoptotic (removed after ``cells.apoptosis_duration_h``, like
        the network's own apoptosis); nothing is removed at once."""
        table.phase[rows] = APOPTOTIC
        table.state[rows, self.n_species + DEAD_H] = 0.0
        return np.zeros(0, dtype=np.int64)

    def on_division(self, table, mothers, daughters, step):
        _kernels()[1](mothers, daughters, table.id, table.phase, table.state, self.n_species,
                      self.rules, self.seed, step, self.reset)

    def on_contact_inhibited(self, table, rows, step):
        _kernels()[2](rows, table.id, table.phase, table.state, self.n_species, self.rules,
                      self.seed, step, self.reset)


@jit
def _draw_sg2m(rules, seed, step, cell_id):
    mean, sd = rules[R.SG2M_MEAN_H], rules[R.SG2M_SD_H]
    return max(0.25 * mean, mean + sd * normal(seed, step, cell_id, STREAM_SG2M))


@jit
def _init_founders(rows, ids, phase, state, y0, rules, seed, step):
    n = y0.shape[0]
    noise = rules[R.INHERIT_NOISE]
    for r in rows:
        for j in range(n):
            state[r, j] = y0[j] * np.exp(noise * normal(seed, step, ids[r], STREAM_INHERIT + j))
        for k in range(len(FATE_COLUMNS)):
            state[r, n + k] = 0.0
        state[r, n + ENERGY] = 1.0
        state[r, n + REARMED] = 1.0  # a G1 founder may commit at once, as in level mode
        if uniform(seed, step, ids[r], STREAM_INITIAL_PROGRESS) < FOUNDER_SG2M_FRACTION:
            state[r, n + REARMED] = 0.0  # committed: the next commitment needs a new rise
            state[r, n + SG2M_H] = _draw_sg2m(rules, seed, step, ids[r]) * uniform(
                seed, step, ids[r], STREAM_SG2M + 1)
        phase[r] = PROLIFERATING


def _apply_fate(hwm, alive, ids, phase, route, state, sasp, dna, p, events, idx, n, rules, seed,
                step, dt_h, xs, ys, occupancy, vessels, off_x, off_y, atp, reset_hook):
    """The fate rules for every live row (module docstring); writes phase, events and, at
    senescence, the route (therapy when the DNA damage dna[r] ≥ rules[R.THERAPY_DAMAGE],
    else paracrine when the SASP sasp[r] ≥ rules[R.PARACRINE_SASP]; metabolic by its own
    rule).

    ``idx``: species column of each role of :data:`OBSERVED`, -1 when unbound: no mtorc1 →
    no geroconversion and every arrest becomes dormancy; apoptosis needs ampk, mtorc1 and
    p21; metabolic senescence ampk and hif. ``off_x``/``off_y`` are the placement offsets;
    empty means no lattice (always space); ``atp`` the cells' ATP supply / demand (the
    energy reserve's input)."""
    use_lattice = off_x.shape[0] > 0
    reset = reset_hook[0]
    commit_ef, dormant_after = rules[R.COMMIT_EF], rules[R.DORMANT_AFTER_H]
    senescent_after, mtor_thr = rules[R.SENESCENT_AFTER_H], rules[R.MTOR_THRESHOLD]
    apo_ampk, apo_mtor = rules[R.APOPTOSIS_AMPK], rules[R.APOPTOSIS_MTOR]
    apo_p21, apo_after = rules[R.APOPTOSIS_P21], rules[R.APOPTOSIS_AFTER_H]
    demand, tau_e = rules[R.ATP_DEMAND], rules[R.ENERGY_TIME_H]
    necrotic_clear, apoptotic_clear = rules[R.NECROTIC_CLEARANCE_H], rules[R.APOPTOSIS_DURATION_H]
    i_ef, i_mtor, i_ampk, i_p21, i_hif = idx[0], idx[1], idx[2], idx[3], idx[4]
    metabolic_ampk, metabolic_hif = rules[R.METABOLIC_AMPK], rules[R.METABOLIC_HIF]
    has_mtor = i_mtor >= 0
    apoptosis_on = i_ampk >= 0 and has_mtor and i_p21 >= 0
    metabolic_on = i_ampk >= 0 and i_hif >= 0
    rise = rules[R.COMMIT_RISE] > 0.0
    for r in range(hwm):
        events[r] = EVENT_NONE
        if not alive[r]:
            continue
        s = state[r]
        ph = phase[r]
        if ph == NECROTIC or ph == APOPTOTIC:
            s[n + DEAD_H] += dt_h
            if s[n + DEAD_H] >= (necrotic_clear if ph == NECROTIC else apoptotic_clear):
                events[r] = EVENT_REMOVE
            continue
        reserve = s[n + ENERGY] + dt_h * (atp[r] - demand) / tau_e
        s[n + ENERGY] = min(1.0, max(0.0, reserve))
        if s[n + ENERGY] <= 0.0:
            phase[r] = NECROTIC
            s[n + DEAD_H] = 0.0
            events[r] = EVENT_NECROSIS
            continue
        ef = s[i_ef]
        mtor = s[i_mtor] if has_mtor else 0.0
        if ef <= commit_ef:
            s[n + REARMED] = 1.0
        if apoptosis_on and s[i_ampk] > apo_ampk and mtor < apo_mtor and s[i_p21] > apo_p21:
            s[n + STRESS_H] += dt_h
        else:
            s[n + STRESS_H] = 0.0
        if s[n + STRESS_H] > apo_after:
            phase[r] = APOPTOTIC
            s[n + DEAD_H] = 0.0
            events[r] = EVENT_APOPTOSIS
            continue
        if ph == SENESCENT:
            continue
        if s[n + SG2M_H] > 0.0:
            s[n + SG2M_H] -= dt_h
            if s[n + SG2M_H] <= 0.0:
                events[r] = EVENT_DIVIDE
            continue
        if ef > commit_ef and (s[n + REARMED] > 0.0 or not rise):
            if use_lattice and not has_free_site(xs[r], ys[r], occupancy, vessels, off_x, off_y):
                reset(s[:n], s[:n])
                s[n + BLOCKED] = 1.0
                s[n + GERO_H] = 0.0
                if ph != DORMANT:
                    phase[r] = QUIESCENT
                continue
            s[n + BLOCKED] = 0.0
            s[n + REARMED] = 0.0
            s[n + SG2M_H] = _draw_sg2m(rules, seed, step, ids[r])
            s[n + ARRESTED_H] = 0.0
            s[n + GERO_H] = 0.0
            if ph == DORMANT:
                events[r] = EVENT_DORMANCY_EXIT
            phase[r] = PROLIFERATING
            continue
        blocked = s[n + BLOCKED] > 0.0
        s[n + ARRESTED_H] += dt_h
        gero = has_mtor and mtor >= mtor_thr and not blocked
        s[n + GERO_H] = s[n + GERO_H] + dt_h if gero else 0.0
        metabolic = metabolic_on and s[i_ampk] >= metabolic_ampk and s[i_hif] < metabolic_hif
        s[n + METABOLIC_H] = s[n + METABOLIC_H] + dt_h if metabolic else 0.0
        if s[n + GERO_H] > senescent_after or s[n + METABOLIC_H] > senescent_after:
            phase[r] = SENESCENT
            if s[n + METABOLIC_H] > senescent_after:
                route[r] = METABOLIC
            elif dna[r] >= rules[R.THERAPY_DAMAGE]:
                route[r] = THERAPY
            elif sasp[r] >= rules[R.PARACRINE_SASP]:
                route[r] = PARACRINE
            else:
                route[r] = GEROCONVERSION
            events[r] = EVENT_SENESCENCE
        elif ph == DORMANT:
            continue
        elif s[n + ARRESTED_H] > dormant_after and mtor < mtor_thr:
            phase[r] = DORMANT
            events[r] = EVENT_DORMANCY_ENTRY
        else:
            phase[r] = QUIESCENT if blocked else PROLIFERATING


@jit
def _restart_g1(r, reset, ids, state, n, noise, seed, step):
    """Row r starts G1 from the post-mitotic state ``reset`` with lognormal noise."""
    for j in range(n):
        state[r, j] = reset[j] * np.exp(noise * normal(seed, step, ids[r], STREAM_INHERIT + j))
    for k in (SG2M_H, ARRESTED_H, GERO_H, STRESS_H, DEAD_H, BLOCKED, METABOLIC_H):
        state[r, n + k] = 0.0


def _reset_sisters(mothers, daughters, ids, phase, state, n, rules, seed, step, reset_hook):
    """Post-mitotic reset of both sisters plus lognormal noise; cycle timers restart."""
    reset = reset_hook[0]
    y = np.empty(n)
    for i in range(mothers.shape[0]):
        reset(state[mothers[i], :n], y)
        for r in (mothers[i], daughters[i]):
            _restart_g1(r, y, ids, state, n, rules[R.INHERIT_NOISE], seed, step)
            phase[r] = PROLIFERATING


def _abort_division(rows, ids, phase, state, n, rules, seed, step, reset_hook):
    """No site for the daughter: back to G1 without dividing, contact-inhibited."""
    reset = reset_hook[0]
    y = np.empty(n)
    for r in rows:
        reset(state[r, :n], y)
        _restart_g1(r, y, ids, state, n, rules[R.INHERIT_NOISE], seed, step)
        state[r, n + BLOCKED] = 1.0
        phase[r] = QUIESCENT


@numba.njit(HOOKS["post_mitotic_reset"].signature, **OPTIONS)
def _inherit(y, out):
    """The ``post_mitotic_reset`` of a network without one: daughters inherit the mother's
    state (``out`` may be ``y``)."""
    for j in range(y.shape[0]):
        out[j] = y[j]


_INT, _REAL = types.int64, types.float64
_ROWS, _I8, _STATE = types.int64[::1], types.int8[::1], types.float64[:, ::1]
_RESET = types.ListType(HOOKS["post_mitotic_reset"])
_SIGNATURES = (
    types.void(_INT, types.boolean[::1], _ROWS, _I8, _I8, _STATE, _VECTOR, _VECTOR, _VECTOR, _I8,
               _ROWS,
               _INT, _VECTOR, _INT, _INT, _REAL, types.int32[::1], types.int32[::1],
               types.int32[:, ::1], types.boolean[:, ::1], _ROWS, _ROWS, _VECTOR, _RESET),
    types.void(_ROWS, _ROWS, _ROWS, _I8, _STATE, _INT, _VECTOR, _INT, _INT, _RESET),
    types.void(_ROWS, _ROWS, _I8, _STATE, _INT, _VECTOR, _INT, _INT, _RESET),
)
"""Signatures of :func:`_apply_fate`, :func:`_reset_sisters` and :func:`_abort_division`
(the cell table's contiguous columns; the hook a typed list of one function value of its
:data:`HOOKS` type)."""


_RESET_HOOK = HOOKS["post_mitotic_reset"]


@numba.njit(_RESET(_RESET_HOOK), **OPTIONS)
def _reset_list(hook):
    """``hook`` as a typed list holding one function value of the reset hook's type. A kernel
    takes the list in ~1 µs; a dispatcher passed directly is converted at every call (~0.1 ms).
    Built by a compiled function loaded from the disk cache: building it from Python compiled
    the typed list's methods anew in every process (~0.2 s of every start)."""
    value = List.empty_list(_RESET_HOOK)
    value.append(hook)
    return value


@functools.cache
def _kernels():
    """The three kernels that call hooks, compiled for :data:`_SIGNATURES` (or loaded from the
    disk cache) on first use. An explicit signature types the hooks as function values: a
    plain dispatcher argument would specialise each kernel per network and miss the disk
    cache in every new process (see :mod:`intracellular.integrate`)."""
    return tuple(numba.njit(sig, **OPTIONS)(kernel) for sig, kernel in
                 zip(_SIGNATURES, (_apply_fate, _reset_sisters, _abort_division)))
