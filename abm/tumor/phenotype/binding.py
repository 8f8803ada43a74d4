"""Binding any intracellular network to the tissue: which network, what feeds its inputs, which
species play the roles the fate rules read (docs/network_binding.md).

- :func:`resolve_network`: ``[intracellular] network`` (a shipped or registered name, or a
  network file) → :class:`intracellular.Network`, loaded once per file content.
- :func:`parse_inputs` / :class:`InputBinder`: ``[intracellular] inputs`` (network input →
  a source of the cell table, a constant, or a Hill function of a source) and the per-step
  input matrix ``u[rows, inputs]``, column by column in NumPy (no loop over cells).
- :func:`bind_roles`: ``[intracellular] observables`` merged over the network's own roles →
  the species column of each role the fate rules read (-1: unbound, its rules off).

Everything raises :class:`abm.errors.ConfigError` with one message naming the key, the value
and what is allowed.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abm.errors import ConfigError

NETWORK_SUFFIXES = (".xml", ".sbml", ".toml")
"""Suffixes of network files (SBML; the TOML network file of :mod:`intracellular`)."""
SBML_SUFFIXES = (".xml", ".sbml")
SOURCES = ("oxygen", "glucose", "sasp", "dna_damage", "growth_factor", "mito")
"""What a network input can read, per cell: local O2 (mmHg), glucose availability (local
glucose / plasma, at most 1), the SASP and DNA-damage inputs (network units), the configured
growth factor (lowered by stemness and NR2F1, plus the neutrophils' ``gf_signal``, at most 1)
and the configured mitochondrial dysfunction (0–1)."""
DEFAULT_INPUTS = {"O2": "oxygen", "GF": "growth_factor", "glc": "glucose", "SASP": "sasp",
                  "DNA": "dna_damage", "mito": "mito"}
"""Inputs bound without a table entry, by name (the dormancy network's inputs: so it needs no
table). An input neither named here nor in the table keeps its network default (design
choice: a network's own default is its authors' resting value)."""
ROLES = ("e2f", "mtorc1", "ampk", "p21", "hif")
"""Species roles the fate rules read, in the order of the kernel's index vector; ``e2f`` is
required (commitment), the others switch their rules off when unbound."""
HIF_HALF_ROLE = "hif_half_mmHg"
"""Parameter role: O2 (mmHg) of half-maximal HIF (PD-L1, EMT; :mod:`abm.tumor.cell_state`)."""
HILL_RANGE = (0.5, 10.0)
"""Allowed Hill exponents of a binding (design choice, as the networks' own
``intracellular.network.HILL_RANGE``: cooperative binding gives ~1–4; 10 keeps xⁿ finite)."""
_FUNCTION_KEYS = ("source", "half", "hill", "scale", "falling")
_KEY = "intracellular.inputs"


@dataclass(frozen=True)
class Binding:
    """What feeds one network input: ``source`` (one of :data:`SOURCES`) or None for the
    constant ``constant``; with ``half`` set, the Hill function
    ``scale·xⁿ/(Kⁿ + xⁿ)`` (``falling``: ``scale·Kⁿ/(Kⁿ + xⁿ)``) of the source x."""

    source: str | None
    constant: float = 0.0
    half: float | None = None
    hill: float = 1.0
    scale: float = 1.0
    falling: bool = False


def network_file(value: str) -> bool:
    """Whether ``[intracellular] network = value`` names a file (by its suffix)."""
    return value.lower().endswith(NETWORK_SUFFIXES)


def resolve_network(ic):
    """The network of the ``[intracellular]`` section ``ic``: a shipped or registered name, or
    a network file, through ``intracellular.get_network`` (which loads a file once per
    content); an SBML file (``.xml``/``.sbml``) gets the ``inputs`` table's keys as its
    inputs. The config loader has made a relative path absolute against the scenario file's
    folder.

    Raises:
        ConfigError: naming ``intracellular.network``, its value and what is allowed (or the
            unsafe code cache directory, a setting of the user's environment).
    """
    import intracellular  # not at import time: the config sections stay light
    from intracellular.sparse_lu import CacheDirError

    value = ic.network
    options = {}
    if network_file(value):
        if not Path(value).is_file():
            raise ConfigError(f"intracellular.network = {value!r}: no such file; must be a "
                              f"network name ({', '.join(intracellular.networks())}) or an "
                              f"existing {'/'.join(NETWORK_SUFFIXES)} file")
        if value.lower().endswith(SBML_SUFFIXES) and ic.inputs:
            options["inputs"] = tuple(ic.inputs)
    try:
        return intracellular.get_network(value, **options)
    except CacheDirError as exc:
        raise ConfigError(str(exc)) from None
    except ValueError as exc:  # the registry names the known networks, a loader the element
        raise ConfigError(f"intracellular.network = {value!r}: {exc}") from None


def file_record(ic) -> dict[str, str]:
    """What a run stores about a file network (empty for a named one): its path, sha256 and
    text (root attributes ``network_file``, ``network_sha256``, ``network_text``)."""
    if not network_file(ic.network):
        return {}
    data = Path(ic.network).read_bytes()
    return {"network_file": ic.network, "network_sha256": hashlib.sha256(data).hexdigest(),
            "network_text": data.decode("utf-8", errors="replace")}


def parse_inputs(table: dict, input_names: tuple[str, ...]) -> dict[str, Binding]:
    """The binding of every bound input of a network with inputs ``input_names``: the
    :data:`DEFAULT_INPUTS` the network has, then the ``[intracellular] inputs`` ``table``.

    Raises:
        ConfigError: one message per bad entry, naming ``intracellular.inputs.<input>``, the
            value and what is allowed.
    """
    out = {name: Binding(source) for name, source in DEFAULT_INPUTS.items()
           if name in input_names}
    problems = []
    for name, value in table.items():
        key = f"{_KEY}.{name}"
        if name not in input_names:
            problems.append(f"{key} = {value!r}: the network has no input {name!r}; its "
                            f"inputs are {', '.join(input_names) or 'none'}")
            continue
        try:
            out[name] = _binding(key, value)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError("; ".join(problems), problems=problems)
    return out


def _binding(key: str, value) -> Binding:
    """One table entry as a :class:`Binding` (see :func:`parse_inputs`)."""
    allowed = (f"a source ({', '.join(SOURCES)}), a number, or {{ source = ..., half = K, "
               f"hill = n, scale = s, falling = false }}")
    if isinstance(value, bool):
        raise ConfigError(f"{key} = {value!r}: must be {allowed}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ConfigError(f"{key} = {value!r}: a constant must be finite")
        return Binding(None, float(value))
    if isinstance(value, str):
        return Binding(_source(key, value))
    if not isinstance(value, dict):
        raise ConfigError(f"{key} = {value!r}: must be {allowed}")
    unknown = [k for k in value if k not in _FUNCTION_KEYS]
    if unknown or "source" not in value or "half" not in value:
        what = (f"unknown key {unknown[0]!r}" if unknown else "needs source and half")
        raise ConfigError(f"{key} = {value!r}: {what}; must be {allowed}")
    source = _source(f"{key}.source", value["source"])
    half = _number(f"{key}.half", value["half"], 0.0, math.inf, "a finite value > 0", open_low=True)
    hill = _number(f"{key}.hill", value.get("hill", 1.0), *HILL_RANGE,
                   f"a value in [{HILL_RANGE[0]:g}, {HILL_RANGE[1]:g}]")
    scale = _number(f"{key}.scale", value.get("scale", 1.0), 0.0, math.inf, "a finite value ≥ 0")
    falling = value.get("falling", False)
    if not isinstance(falling, bool):
        raise ConfigError(f"{key}.falling = {falling!r}: must be true or false")
    return Binding(source, half=half, hill=hill, scale=scale, falling=falling)


def _source(key: str, value) -> str:
    if value not in SOURCES:
        raise ConfigError(f"{key} = {value!r}: unknown source; must be one of "
                          f"{', '.join(SOURCES)}")
    return value


def _number(key: str, value, low: float, high: float, allowed: str, open_low=False) -> float:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and math.isfinite(value) and (value > low if open_low else value >= low)
          and value <= high)
    if not ok:
        raise ConfigError(f"{key} = {value!r}: must be {allowed}")
    return float(value)


def bind_roles(network, table: dict) -> tuple[np.ndarray, str | None]:
    """The species column of each of :data:`ROLES` (int64 ``[5]``, -1 = unbound) and the
    parameter playing :data:`HIF_HALF_ROLE` (or None): the network's own
    ``observables`` overridden by ``[intracellular] observables`` ``table``.

    Raises:
        ConfigError: an unknown role, a name that is not a species of the network (a
            parameter for ``hif_half_mmHg``), or no ``e2f``.
    """
    problems = []
    for role, name in table.items():
        key = f"intracellular.observables.{role}"
        if role not in ROLES + (HIF_HALF_ROLE,):
            problems.append(f"{key} = {name!r}: unknown role; roles are "
                            f"{', '.join(ROLES + (HIF_HALF_ROLE,))}")
        elif role == HIF_HALF_ROLE and name not in network.parameter_names:
            problems.append(f"{key} = {name!r}: must be a parameter of network "
                            f"{network.name!r} ({', '.join(network.parameter_names)})")
        elif role != HIF_HALF_ROLE and name not in network.species:
            problems.append(f"{key} = {name!r}: must be a species of network "
                            f"{network.name!r} ({', '.join(network.species)})")
    roles = {**network.observables, **table}
    problems += [f"intracellular.network = {network.name!r}: its own observable {r} = "
                 f"{roles[r]!r} is not one of its species ({', '.join(network.species)}); "
                 f"set intracellular.observables.{r}" for r in ROLES
                 if r in roles and r not in table and roles[r] not in network.species]
    if "e2f" not in roles and not problems:
        problems.append(f"intracellular.observables = {table!r}: needs e2f (the species whose "
                        f"level commits a cell), one of {', '.join(network.species)}; network "
                        f"{network.name!r} declares none")
    if problems:
        raise ConfigError("; ".join(problems), problems=problems)
    index = np.array([network.species.index(roles[r]) if r in roles else -1 for r in ROLES],
                     dtype=np.int64)
    return index, roles.get(HIF_HALF_ROLE)


class InputBinder:
    """Fills the per-row input matrix ``u[capacity, n_inputs]`` from the cell table: unbound
    inputs hold the network defaults, constants their value, the rest their source (raw, or
    through the binding's Hill function), one NumPy pass per column.

    ``growth_factor`` and ``mito`` are settable levels (:meth:`set_level`); the growth factor
    of a cell also depends on its stemness and NR2F1 (``[cell_state]``) and its ``gf_signal``.
    """

    def __init__(self, network, bindings: dict[str, Binding], config):
        ic, cs = config.intracellular, config.cell_state
        self.defaults = network.input_vector({n: b.constant for n, b in bindings.items()
                                              if b.source is None})
        names = network.input_names
        self.columns = [(names.index(n), b) for n, b in bindings.items() if b.source is not None]
        self.levels = {"growth_factor": float(ic.growth_factor), "mito": float(ic.mito_dysfunction)}
        self._stem_gf_reduction = cs.stemness_gf_reduction
        self.nr2f1_repression = cs.nr2f1_gf_repression
        self._nr2f1_hill = cs.nr2f1_gf_hill
        self._nr2f1_kn = cs.nr2f1_gf_k ** self._nr2f1_hill
        self._u = np.zeros((0, len(names)))

    def set_level(self, source: str, value: float) -> None:
        """Set the level of a settable source (``growth_factor``, ``mito``) every cell sees."""
        self.levels[source] = float(value)
        self._u = np.zeros((0, self._u.shape[1]))

    def fill(self, table) -> np.ndarray:
        """The inputs of the rows below the table's high-water mark (float64 ``[hwm,
        n_inputs]``, a view of an array reused while the capacity holds; rows above it are
        never read, so they are not written: at 1M cells the capacity's headroom made that
        half the cost)."""
        if self._u.shape[0] != table.capacity:
            self._u = np.tile(self.defaults, (table.capacity, 1))
        n = table.hwm
        u = self._u[:n]
        for j, b in self.columns:
            col = u[:, j]
            if b.half is None:
                self._source(table, b.source, col)
                continue
            x = np.empty(n)
            self._source(table, b.source, x)
            xn = np.maximum(x, 0.0) ** b.hill  # a source is never negative; guard the power
            kn = b.half ** b.hill
            np.multiply(b.scale, (kn if b.falling else xn) / (kn + xn), out=col)
        return u

    def _source(self, table, source: str, out: np.ndarray) -> None:
        """Write source ``source`` of the first ``len(out)`` rows into ``out`` (float64)."""
        n = out.shape[0]
        if source == "oxygen":
            out[:] = table.oxygen[:n]
        elif source == "glucose":  # relative to plasma, at most 1: a medium's 3 × is full supply
            np.minimum(1.0, table.glucose[:n], out=out)
        elif source == "sasp":
            out[:] = table.sasp[:n]
        elif source == "dna_damage":
            out[:] = table.dna_damage[:n]
        elif source == "mito":
            out[:] = self.levels["mito"]
        else:
            self._growth_factor(table, out)

    def _growth_factor(self, table, out: np.ndarray) -> None:
        """The configured GF lowered by stemness (stem-like cells cycle slower) and NR2F1,
        plus the cell's ``gf_signal`` (neutrophils' IL-6 and NETs act past NR2F1), at most 1."""
        n = out.shape[0]
        np.multiply(self.levels["growth_factor"],
                    1.0 - self._stem_gf_reduction * table.stemness[:n], out=out)
        if self.nr2f1_repression > 0.0:
            nn = table.nr2f1[:n] ** self._nr2f1_hill
            out *= 1.0 - self.nr2f1_repression * nn / (self._nr2f1_kn + nn)
        out += table.gf_signal[:n]
        np.minimum(out, 1.0, out=out)
