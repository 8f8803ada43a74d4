"""Benchmark of the oxygen field solver on a realistic, slowly changing tumour.

Setup per grid size N×N: dx 16.8 µm, D 1e5 µm²/min, decay 0.1 min⁻¹, dt 6 min, ~1% random
vessel sites fixed at 38 mmHg, a tumour disc covering ~40% of the area with uptake
5.3 min⁻¹ that grows by one site of radius per step; the field is warm-started from the
previous step. After a JIT warm-up and a first (cold) step, it reports medians over the
timed steps of: ms per advance, V-cycles per advance, voxel updates per second, µs per voxel
per simulated minute (PhysiCell reference: 3.0), the memory-bandwidth floor (one read of C,
K, F and one write of C per voxel from main memory: the caches are evicted before each timed
pass; timed in the same run) and solver time / floor.
The tolerance is the model's O2 default (``oxygen.rtol``; ``--rtol`` to change it).
Targets: 1000² < 50 ms per advance, ratio ≤ 15.

With ``--saturating N [N ...]`` (default 250 1000; none to skip) it also times, on N×N grids, one
advance with a saturating (Michaelis–Menten) sink next to the linear advance on the same setup
(same vessels, same growing disc, each warm-started from its own previous step, the two
advances alternating step by step): the disc takes up vmax·C/(km + C) with vmax 167 mmHg/min
(the model's O2 consumption of packed tissue) and km 1 mmHg instead of 5.3·C, solved by
Newton's method with one multigrid solve per Newton step. It prints the medians of ms per
advance, V-cycles (of all Newton steps) and Newton steps, and saturating / linear time.

With ``--split N`` (default 1000, 0 to skip) it also prints the time of each kernel of one
advance on the N×N setup (median of repeated calls on the solver's own arrays): the fused
setup + warm-start measure, the coarse-level rebuild, the finest level's two passes of a
V-cycle and the coarse part of the cycle. The machine is shared, so repeat runs.

    python benchmarks/bench_fields.py [--sizes 250 1000 2000] [--steps 10] [--saturating 250 1000]
        [--split 1000] [--rtol 1e-5]
"""
import argparse
import math
import time
from pathlib import Path

import numpy as np

from abm._numba import jit
from abm.fields import FieldSolver
from abm.fields import kernels as kn
from abm.fields import multigrid as mg
from abm.fields.sections import OxygenSection

DX, D, DECAY, DT, VESSEL_O2, UPTAKE = 16.8, 1e5, 0.1, 6.0, 38.0, 5.3
VMAX, KM = 167.0, 1.0  # saturating sink: mmHg/min (packed tissue), mmHg


@jit
def bandwidth_pass(C, K, F):
    """One read of C, K, F and one write of C per voxel: the memory-traffic floor of a pass
    (a multiply-add, so that arithmetic never bounds it)."""
    ny, nx = C.shape
    for j in range(ny):
        for i in range(nx):
            C[j, i] = C[j, i] * K[j, i] + F[j, i]


def last_level_cache_bytes() -> int:
    """The size of the largest CPU cache (bytes) as Linux reports it; 64 MiB where it does not
    (design choice: more than any common last-level cache per socket of 2024)."""
    sizes = []
    for entry in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = entry.read_text().strip()
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        sizes.append(int(text.rstrip("KMG")) * scale)
    return max(sizes, default=64 << 20)


def evict_caches(buffer: np.ndarray) -> None:
    """Stream through ``buffer`` (twice the last-level cache) so that no array of the timed
    pass is left in any cache: the pass then reads and writes main memory."""
    buffer += 1.0


def floor_seconds(n, repeats=5):
    """Median time of ``bandwidth_pass`` on n×n arrays read from main memory (the caches
    evicted before each timed pass; the arrays of a 1000² grid, 24 MB, fit in the 480 MiB
    last-level cache of the machines this was written on, where a pass without eviction runs
    from the cache)."""
    C, K, F = np.ones((n, n)), np.full((n, n), 0.999), np.zeros((n, n))
    bandwidth_pass(C, K, F)
    buffer = np.zeros(2 * last_level_cache_bytes() // 8)
    times = []
    for _ in range(repeats):
        evict_caches(buffer)
        t = time.perf_counter()
        bandwidth_pass(C, K, F)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def tumour_setup(n, rng, saturating=False, rtol=None):
    """The benchmark problem on an n×n grid after a first (cold, untimed) advance.

    Returns (solver, C, r2, radius): r2 is each site's squared distance (sites²) from the
    centre and radius the tumour disc's radius (sites), so callers can grow the disc. With
    ``saturating`` the disc's sink is the saturating one (see :func:`advance_disc`); ``rtol``:
    the solver's tolerance (None: the model's O2 default).
    """
    vessels = rng.random((n, n)) < 0.01
    y, x = np.mgrid[0:n, 0:n]
    r2 = (y - n / 2) ** 2 + (x - n / 2) ** 2
    radius = math.sqrt(0.4 * n * n / math.pi)
    rtol = OxygenSection().rtol if rtol is None else rtol
    solver = FieldSolver((n, n), DX, D, DECAY, vessels, VESSEL_O2, rtol=rtol)
    C = np.full((n, n), VESSEL_O2)
    advance_disc(solver, C, r2 <= radius**2, saturating)
    return solver, C, r2, radius


def advance_disc(solver, C, disc, saturating):
    """One advance with the disc's sink: first-order UPTAKE·C, or with ``saturating``
    VMAX·C/(KM + C) (no first-order uptake, decay only)."""
    if saturating:
        return solver.advance(C, np.zeros(C.shape), DT, vmax=np.where(disc, VMAX, 0.0), km=KM)
    return solver.advance(C, np.where(disc, UPTAKE, 0.0), DT)


def bench(n, steps, rng, rtol=None):
    """Run ``steps`` warm-started advances on an n×n grid; returns the row of medians."""
    solver, C, r2, radius = tumour_setup(n, rng, rtol=rtol)
    ms, cycles = [], []
    for _ in range(steps):
        radius += 1.0
        uptake = np.where(r2 <= radius**2, UPTAKE, 0.0)
        info = solver.advance(C, uptake, DT)
        ms.append(1e3 * info.seconds)
        cycles.append(info.cycles)
    t = np.median(ms) / 1e3
    floor = floor_seconds(n)
    return {
        "grid": f"{n}²", "ms/advance": 1e3 * t, "V-cycles": np.median(cycles),
        "Mvox/s": n * n / t / 1e6, "µs/vox/min": 1e6 * t / (n * n * DT),
        "floor ms": 1e3 * floor, "ratio": t / floor,
    }


def bench_saturating(n, steps, seed=0, rtol=None):
    """Linear and saturating sink on the same n×n setup (vessels drawn from ``seed``),
    alternating advances; returns the row of medians."""
    setups = [tumour_setup(n, np.random.default_rng(seed), saturating, rtol)
              for saturating in (False, True)]
    ms, cycles, newton = ([], []), ([], []), []
    for _ in range(steps):
        for k, (solver, C, r2, radius) in enumerate(setups):
            radius += 1.0
            setups[k] = solver, C, r2, radius
            info = advance_disc(solver, C, r2 <= radius**2, saturating=k == 1)
            ms[k].append(1e3 * info.seconds)
            cycles[k].append(info.cycles)
        newton.append(info.newton)
    linear, sat = (float(np.median(m)) for m in ms)
    return {
        "grid": f"{n}²", "linear ms": linear, "V-cycles": np.median(cycles[0]),
        "MM ms": sat, "MM V-cycles": np.median(cycles[1]), "Newton": np.median(newton),
        "MM/linear": float(np.median(np.array(ms[1]) / np.array(ms[0]))),
    }


def print_rows(rows):
    header = list(rows[0])
    print("  ".join(f"{h:>11}" for h in header))
    for row in rows:
        print("  ".join(f"{v:>11}" if isinstance(v, str) else f"{v:>11.3g}" for v in row.values()))


def _median_ms(f, repeats=7):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def kernel_split(n, rng, rtol=None):
    """ms per kernel call for the benchmark setup on an n×n grid (after one warm step)."""
    s, C, r2, radius = tumour_setup(n, rng, rtol=rtol)
    uptake = np.where(r2 <= (radius + 1) ** 2, UPTAKE, 0.0)
    add, inv_dt = DECAY + 1 / DT, 1 / DT
    f, c = s.levels[0], s.levels[1]
    rows = {
        "prepare (setup + measure)": lambda: kn.prepare(
            C, uptake, uptake, False, False, s._mask, s._fixed, add, inv_dt, f.system, s._stats, f.res),
        "coarse levels rebuild": lambda: s._setup_levels(C, uptake, None, add, inv_dt),
        f"fine smooth_restrict ({mg.PRE_SWEEPS} sweeps)": lambda: kn.smooth_restrict(
            C, f.system, mg.PRE_SWEEPS, False, f.restriction, c.system, True, c.b, f.res, c.res),
        f"fine prolong_smooth ({mg.POST_SWEEPS} sweeps + measure)": lambda: kn.prolong_smooth(
            C, f.system, c.e, f.y.prolongation, f.x.prolongation, f.ring, f.ring_rows,
            mg.POST_SWEEPS, True, s._stats, f.res),
        "coarse levels of one V-cycle": lambda: s._vcycle(1, c.e),
        "whole V-cycle": lambda: s._vcycle(0, C),
    }
    print(f"kernel split at {n}² (ms per call):")
    for name, f_ in rows.items():
        print(f"  {name:<42} {_median_ms(f_):8.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--saturating", type=int, nargs="*", default=[250, 1000],
                        help="grids of the saturating-sink comparison; none skips")
    parser.add_argument("--split", type=int, default=1000, help="grid of the kernel split; 0 skips")
    parser.add_argument("--rtol", type=float, default=OxygenSection().rtol,
                        help="solver tolerance (default: the model's oxygen.rtol)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bench(32, 1, rng)  # JIT warm-up (compiles or loads every kernel)
    rows = [bench(n, args.steps, rng, args.rtol) for n in args.sizes]
    print_rows(rows)
    print(f"rtol {args.rtol:g}; PhysiCell reference: 3.0 µs/vox/min; targets: 1000² < 50 ms, "
          "ratio ≤ 15")
    if args.saturating:
        bench_saturating(32, 1)  # JIT warm-up of the Newton kernels
        print(f"saturating sink (vmax {VMAX:g} mmHg/min, km {KM:g} mmHg) vs linear ({UPTAKE} min⁻¹), "
              f"same setup; MM/linear: median of the per-step ratios")
        print_rows([bench_saturating(n, args.steps, rtol=args.rtol) for n in args.saturating])
    if args.split:
        kernel_split(args.split, rng, args.rtol)


if __name__ == "__main__":
    main()
