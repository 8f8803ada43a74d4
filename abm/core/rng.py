"""Counter-based random numbers for kernels.

A draw is a pure function of (seed, step, cell id, stream): a SplitMix64 hash chain
(Steele, Lea & Flood 2014, the finaliser of Java's SplittableRandom). Results therefore do
not depend on the order in which cells are visited, on thread count, or on how a sweep is
spread over workers, and a resumed run draws exactly what the uninterrupted run drew.

Streams name the purpose of a draw, so that two decisions about the same cell in the same
step are independent.
"""
import numpy as np

from abm._numba import jit

STREAM_CYCLE_TIME = 1
STREAM_DIVISION_ORDER = 2
STREAM_DIVISION_SITE = 3
STREAM_RETRY = 4
STREAM_INITIAL_PROGRESS = 5
STREAM_NORMAL_2 = 6
STREAM_SG2M = 7  # and 8
STREAM_INHERIT = 100  # + species index
STREAM_CHEMO_KILL = 300
STREAM_SENOLYTIC_KILL = 301
STREAM_IMMUNE_INITIAL = 302
STREAM_SHED = 303
STREAM_SHED_CLUSTER = 304
STREAM_SHED_SIZE = 305
STREAM_IMMUNE_RECRUIT = 200  # + kind index × substream (abm.immune): entry at a vessel
STREAM_IMMUNE_ENTRY_SITE = 201  # + kind index × substream: which free neighbour of the vessel
STREAM_IMMUNE_HEADING = 202  # initial heading of a new immune cell
STREAM_IMMUNE_MOVES = 203  # Bernoulli for the fractional move of a step
STREAM_IMMUNE_PERSIST = 204  # + move index × substream: keep the heading or turn
STREAM_IMMUNE_TURN = 205  # + move index × substream: the new heading
STREAM_IMMUNE_ATTACH = 206
STREAM_IMMUNE_TARGET = 207
STREAM_IMMUNE_HIT = 208  # how many hits an engaged cell delivers this step
STREAM_IMMUNE_EXIT = 209
STREAM_IMMUNE_CAPACITY = 210  # the killing capacity drawn at entry
STREAM_IMMUNE_DYSFUNCTION = 211  # the dysfunction transition of a step

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit
def _mix(z):
    """SplitMix64 finaliser: a bijective avalanche of a 64-bit word."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def hash4(seed, step, cell_id, stream):
    """64-bit hash of four integers (each taken modulo 2**64)."""
    h = _mix(np.uint64(seed) + _GOLDEN)
    h = _mix(h ^ (np.uint64(step) + _GOLDEN))
    h = _mix(h ^ (np.uint64(cell_id) + _GOLDEN))
    return _mix(h ^ (np.uint64(stream) + _GOLDEN))


@jit
def uniform(seed, step, cell_id, stream):
    """A uniform float in [0, 1) determined by (seed, step, cell id, stream)."""
    return float(hash4(seed, step, cell_id, stream) >> _S11) * _TO_UNIT


@jit
def normal(seed, step, cell_id, stream):
    """A standard normal draw (Box–Muller on two independent uniforms)."""
    u1 = 1.0 - uniform(seed, step, cell_id, stream)  # (0, 1]: log is finite
    u2 = uniform(seed, step, cell_id, stream + STREAM_NORMAL_2 * 1000003)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


_MAX_COUNT = 100_000
"""Largest count the inversion samplers return (a guard on the loop; the means used are far
smaller)."""


@jit
def poisson_by_inversion(u, mean):
    """The Poisson(``mean``) count whose CDF first exceeds ``u`` (uniform in [0, 1)): one
    uniform per draw, so a counter-based draw stays one draw. For means ≲ 700 (exp(−mean)
    must not underflow)."""
    p = np.exp(-mean)
    cdf = p
    n = 0
    while u >= cdf and n < _MAX_COUNT:
        n += 1
        p *= mean / n
        cdf += p
        if p == 0.0 and n > mean:  # the rest of the tail is below float resolution
            break
    return n


@jit
def negative_binomial_by_inversion(u, mean, shape):
    """The negative binomial count (mean ``mean``, shape κ = ``shape``: variance mean +
    mean²/κ, the gamma–Poisson mixture) whose CDF first exceeds ``u``, by inversion:
    P(0) = (κ/(κ + mean))^κ, P(n + 1) = P(n)·(n + κ)/(n + 1)·mean/(κ + mean)."""
    q = mean / (shape + mean)
    p = (shape / (shape + mean)) ** shape
    cdf = p
    n = 0
    while u >= cdf and n < _MAX_COUNT:
        p *= (n + shape) / (n + 1) * q
        n += 1
        cdf += p
        if p == 0.0 and n > mean:
            break
    return n


@jit
def uniform_array(seed, step, cell_ids, stream):
    """Uniform draws for an array of cell ids (used from Python for small event sets)."""
    out = np.empty(cell_ids.shape[0])
    for i in range(cell_ids.shape[0]):
        out[i] = uniform(seed, step, cell_ids[i], stream)
    return out

# Blood compartment (abm.blood), each + substep index × 2**32 + event index × 2**12:
STREAM_CTC_WAIT = 400  # waiting time to the next proposed event of a circulating unit
STREAM_CTC_EVENT = 401  # which event (or a rejected NK proposal) it is
STREAM_CTC_SEED = 402  # whether an arrested unit grows out (a metastatic seed)
STREAM_SITE_VESSEL = 410  # which vessel of the secondary site an arrested unit lands at
STREAM_EXTRAVASATE = 411  # whether a cell of an arrested unit extravasates
# Myeloid agents (abm.myeloid); neutrophils walk with the immune walk's streams + this offset:
STREAM_NEUTROPHIL_WALK = 1000  # offset added to STREAM_IMMUNE_MOVES/PERSIST/TURN
STREAM_NEUTROPHIL_RECRUIT = 420  # entry at a vessel (keyed by the vessel's flat site)
STREAM_NEUTROPHIL_ENTRY_SITE = 421  # which free neighbour of the vessel
STREAM_NEUTROPHIL_HEADING = 422  # initial heading
STREAM_NEUTROPHIL_FATE = 423  # whether a neutrophil dies / forms a NET / its NET is cleared
STREAM_NEUTROPHIL_WHICH = 424  # which of the competing events it is
STREAM_NEUTROPHIL_ESCORT = 425  # whether a neutrophil next to a shedding cell goes with it
STREAM_NEUTROPHIL_ARRIVAL_SITE = 426  # where an escort arriving at a secondary site stands
STREAM_PLATELET_ADHERE = 430  # adhesion of an aggregate at a vessel site
STREAM_PLATELET_DETACH = 431  # detachment of an aggregate
