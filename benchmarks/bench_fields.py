"""Benchmark of the oxygen field solver on a realistic, slowly changing tumour.

Setup per grid size N×N: dx 16.8 µm, D 1e5 µm²/min, decay 0.1 min⁻¹, dt 6 min, ~1% random
vessel sites fixed at 38 mmHg, a tumour disc covering ~40% of the area with uptake
5.3 min⁻¹ that grows by one site of radius per step; the field is warm-started from the
previous step. After a JIT warm-up and a first (cold) step, it reports medians over the
timed steps of: ms per advance, V-cycles per advance, voxel updates per second, µs per voxel
per simulated minute (PhysiCell reference: 3.0), the memory-bandwidth floor (one read of C,
K, F and one write of C per voxel, timed in the same run) and solver time / floor.
Targets: 1000² < 50 ms per advance at rtol 1e-6, ratio ≤ 15.

With ``--split N`` (default 1000, 0 to skip) it also prints the time of each kernel of one
advance on the N×N setup (median of repeated calls on the solver's own arrays): the fused
setup + warm-start measure, the coarse-level rebuild, the finest level's two passes of a
V-cycle and the coarse part of the cycle. The machine is shared, so repeat runs.

    python benchmarks/bench_fields.py [--sizes 250 1000 2000] [--steps 10] [--split 1000]
"""
import argparse
import math
import time

import numpy as np

from abm._numba import jit
from abm.fields import FieldSolver
from abm.fields import kernels as kn
from abm.fields import multigrid as mg

DX, D, DECAY, DT, VESSEL_O2, UPTAKE = 16.8, 1e5, 0.1, 6.0, 38.0, 5.3


@jit
def bandwidth_pass(C, K, F):
    """One read of C, K, F and one write of C per voxel: the memory-traffic floor of a pass."""
    ny, nx = C.shape
    for j in range(ny):
        for i in range(nx):
            C[j, i] = (C[j, i] + F[j, i]) / (1.0 + K[j, i])


def floor_seconds(n, repeats=10):
    """Median time of ``bandwidth_pass`` on fresh n×n arrays (after compilation)."""
    C, K, F = np.ones((n, n)), np.full((n, n), 0.1), np.zeros((n, n))
    bandwidth_pass(C, K, F)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        bandwidth_pass(C, K, F)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def tumour_setup(n, rng):
    """The benchmark problem on an n×n grid after a first (cold, untimed) advance.

    Returns (solver, C, r2, radius): r2 is each site's squared distance (sites²) from the
    centre and radius the tumour disc's radius (sites), so callers can grow the disc.
    """
    vessels = rng.random((n, n)) < 0.01
    y, x = np.mgrid[0:n, 0:n]
    r2 = (y - n / 2) ** 2 + (x - n / 2) ** 2
    radius = math.sqrt(0.4 * n * n / math.pi)
    solver = FieldSolver((n, n), DX, D, DECAY, vessels, VESSEL_O2, rtol=1e-6)
    C = np.full((n, n), VESSEL_O2)
    solver.advance(C, np.where(r2 <= radius**2, UPTAKE, 0.0), DT)
    return solver, C, r2, radius


def bench(n, steps, rng):
    """Run ``steps`` warm-started advances on an n×n grid; returns the row of medians."""
    solver, C, r2, radius = tumour_setup(n, rng)
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


def _median_ms(f, repeats=7):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def kernel_split(n, rng):
    """ms per kernel call for the benchmark setup on an n×n grid (after one warm step)."""
    s, C, r2, radius = tumour_setup(n, rng)
    uptake = np.where(r2 <= (radius + 1) ** 2, UPTAKE, 0.0)
    add, inv_dt = DECAY + 1 / DT, 1 / DT
    f, c = s.levels[0], s.levels[1]
    rows = {
        "prepare (setup + measure)": lambda: kn.prepare(
            C, uptake, uptake, False, False, s._mask, s._fixed, add, inv_dt, f.system, s._stats, f.res),
        "coarse levels rebuild": lambda: s._setup_levels(C, uptake, None, add, inv_dt),
        f"fine smooth_restrict ({mg.PRE_SWEEPS} sweeps)": lambda: kn.smooth_restrict(
            C, f.system, mg.PRE_SWEEPS, False, f.restriction, c.system, True, c.b, f.res),
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
    parser.add_argument("--split", type=int, default=1000, help="grid of the kernel split; 0 skips")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bench(32, 1, rng)  # JIT warm-up (compiles or loads every kernel)
    rows = [bench(n, args.steps, rng) for n in args.sizes]
    header = list(rows[0])
    print("  ".join(f"{h:>11}" for h in header))
    for row in rows:
        print("  ".join(f"{v:>11}" if isinstance(v, str) else f"{v:>11.3g}" for v in row.values()))
    print("PhysiCell reference: 3.0 µs/vox/min; targets: 1000² < 50 ms, ratio ≤ 15")
    if args.split:
        kernel_split(args.split, rng)


if __name__ == "__main__":
    main()
