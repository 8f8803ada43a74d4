"""Cell-steps per second of the batched Rosenbrock integrator (one core, warm JIT).

For each network: N cells with heterogeneous inputs (O2 0.1–40 mmHg and GF 0–1 for
``dormancy``, serum 0.05–2 for ``yao2008``) advance by one 6-min step (0.1 h) after a first
step, so the step sizes are remembered (best of 5); the cells start from the published state,
still in their initial transient. The "@24h" rows time the same step after 24 h, the
typical state of cells in a running model. The accuracy column is the worst error after
24 h of 0.1 h steps at the model tolerance vs Radau (rtol 1e-10), relative with a floor of
1e-3·max|y| per species, over 20 cells. The last column is a scipy ``solve_ivp`` (Radau, same
tolerances, analytic Jacobian) loop over 200 cells for the same step, as a ratio.

    python benchmarks/bench_intracellular.py [--sizes 10000 100000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

import intracellular as ic

RTOL, ATOL = 1e-4, 1e-7  # the model's tolerance (BatchIntegrator's defaults)
DT = 0.1  # hours (6 min)
SPREADS = {"dormancy": {"O2": (0.1, 40.0), "GF": (0.0, 1.0)}, "yao2008": {"S": (0.05, 2.0)}}


def _inputs(net, n, rng):
    u = np.tile(net.input_vector(), (n, 1))
    for name, (lo, hi) in SPREADS[net.name].items():
        u[:, net.input_names.index(name)] = rng.uniform(lo, hi, n)
    return u


def _cells(net, n, rng):
    return np.tile(net.state_vector(), (n, 1)), _inputs(net, n, rng), net.parameter_vector()


def cell_steps_per_second(net, n, rng, settle_hours=0.0, repeats=5):
    y, u, p = _cells(net, n, rng)
    integrator, h = ic.BatchIntegrator(net, rtol=RTOL, atol=ATOL), np.zeros(n)
    for _ in range(1 + round(settle_hours / DT)):  # the first compiles (or loads) and sets h
        integrator.advance(y, u, p, DT, h=h)
    best, work = np.inf, 0
    for _ in range(repeats):
        start = time.perf_counter()
        steps, rejected = integrator.advance(y, u, p, DT, h=h)
        best = min(best, time.perf_counter() - start)
        work = steps + rejected
    return n / best, work / n


def accuracy(net, rng, cells=20, hours=24.0):
    y, u, p = _cells(net, cells, rng)
    start = y.copy()
    integrator, h = ic.BatchIntegrator(net, rtol=RTOL, atol=ATOL), np.zeros(cells)
    for _ in range(round(hours / DT)):
        integrator.advance(y, u, p, DT, h=h)
    worst = 0.0
    for row in range(cells):
        ref = solve_ivp(lambda t, x, ui: net.rhs_reference(x, p, ui), (0.0, hours), start[row],
                        method="Radau", rtol=1e-10, atol=1e-12, dense_output=True, args=(u[row],))
        b = ref.sol(np.linspace(0.0, hours, 25))
        floor = np.maximum(np.abs(b[:, -1]), 1e-3 * np.abs(b).max(axis=1))
        worst = max(worst, float(np.max(np.abs(y[row] - b[:, -1]) / floor)))
    return worst


def scipy_cell_steps_per_second(net, rng, cells=200):
    y, u, p = _cells(net, cells, rng)
    integrator, h = ic.BatchIntegrator(net, rtol=RTOL, atol=ATOL), np.zeros(cells)
    integrator.advance(y, u, p, DT, h=h)  # the same starting point as the batched timing
    out, J = np.empty(net.n_species), np.empty((net.n_species, net.n_species))

    def fun(t, x, ui):
        net.rhs(x, p, ui, out)
        return out.copy()

    def jac(t, x, ui):
        net.jac(x, p, ui, J)
        return J.copy()

    start = time.perf_counter()
    for row in range(cells):
        solve_ivp(fun, (0.0, DT), y[row], method="Radau", rtol=RTOL, atol=ATOL, jac=jac, args=(u[row],))
    return cells / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"step {DT} h, rtol {RTOL:g}, atol {ATOL:g}, warm JIT, 1 thread")
    print(f"{'network':<10} {'cells':>10} {'Mcell-steps/s':>14} {'µs/cell':>8} {'steps/cell':>10} "
          f"{'err vs Radau':>12} {'× scipy':>8}")
    for name in ("dormancy", "yao2008"):
        try:
            net = ic.get_network(name)
        except ModuleNotFoundError:
            print(f"{name:<10} (module not written yet)")
            continue
        error = accuracy(net, rng)
        scipy_rate = scipy_cell_steps_per_second(net, rng)
        small = min(args.sizes)
        runs = [(n, 0.0, f"{n}") for n in args.sizes] + [(small, 24.0, f"{small}@24h")]
        for n, settle, label in runs:
            rate, work = cell_steps_per_second(net, n, rng, settle)
            print(f"{name:<10} {label:>10} {rate / 1e6:>14.2f} {1e6 / rate:>8.2f} {work:>10.2f} "
                  f"{error:>12.1e} {rate / scipy_rate:>8.0f}")


if __name__ == "__main__":
    main()
