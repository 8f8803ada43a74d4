"""Cell-steps per second of the batched Rosenbrock integrator (one core, warm JIT).

For each network: N cells with heterogeneous inputs (O2 0.1–40 mmHg and GF 0–1 for
``dormancy``, serum 0.05–2 for ``yao2008``) advance by one 6-min step (0.1 h) after a first
step, so the step sizes are remembered (best of 5); the cells start from the published state,
still in their initial transient. The "@24h" rows time the same step after 24 h, the
typical state of cells in a running model. Each row times both kernels on one thread, side by
side: the lockstep lane kernel (``intracellular.lanes``, the default) and the scalar one
(``lanes=False``), and their ratio; they give bitwise the same states. The accuracy column
is the worst error after 24 h of 0.1 h steps at the model tolerance vs Radau (rtol 1e-10),
relative with a floor of 1e-3·max|y| per species, over 20 cells. The last column is a scipy
``solve_ivp`` (Radau, same tolerances, analytic Jacobian) loop over 200 cells for the same
step, as a ratio.

``--sbml FILE`` (default: the scenarios' BioModels BIOMD0000000941, Gérard & Goldbeter 2011,
with its parameter ``GF`` made an input) times instead an imported SBML network against
libRoadRunner simulating the same cells one by one, as PhysiCell and CompuCell3D drive SBML
cells: N cells spread along the network's limit cycle (states sampled from a 200 h
trajectory) with GF 0.05–1 µM, each advanced by the tissue's step (0.1 h) and by 1 h, at the
same tolerances for both solvers (the model's rtol 1e-4 / atol 1e-7, and 1e-6 / 1e-9). One
RoadRunner instance serves every cell: per cell, set its concentrations and GF, ``simulate``
over the step, read the state back (``reset`` first, so that no cell starts from another's
integrator history). Ours runs on 1 thread (per core: the "× rr" column) and on every core,
each row starting with the step size it chose in a first advance (the tissue keeps it from
one step to the next; libRoadRunner, one cell at a time, starts afresh at every call).
The "err" columns are each solver's largest error after the step over the first 2,000
cells, against the batched integrator at rtol 1e-11 / atol 1e-13, in units of the larger of
rtol·|y| and atol·10³ (a species' scale).

    python benchmarks/bench_intracellular.py [--sizes 10000 100000] [--sbml [FILE]]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numba
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


def cell_steps_per_second(net, n, rng, settle_hours=0.0, repeats=5, lanes=True):
    y, u, p = _cells(net, n, rng)
    integrator = ic.BatchIntegrator(net, rtol=RTOL, atol=ATOL, threads=1, lanes=lanes)
    h = np.zeros(n)
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


SBML_DEFAULT = Path(__file__).resolve().parent.parent / "scenarios/networks/BIOMD0000000941.xml"
SBML_TOLERANCES = ((1e-4, 1e-7), (1e-6, 1e-9))
SBML_STEPS_H = (0.1, 1.0)
REFERENCE_CELLS = 2000


def sbml_cells(net, n, rng):
    """States along the limit cycle (a 200 h trajectory at GF 1, after 100 h of settling)
    and GF 0.05–1 µM per cell."""
    _, traj = ic.simulate(net, hours=300.0, n_points=3001, rtol=1e-8, atol=1e-10)
    cycle = np.stack([traj[s] for s in net.species], axis=1)[1000:]
    y = cycle[rng.integers(0, cycle.shape[0], n)].copy()
    u = np.tile(net.input_vector(), (n, 1))
    u[:, net.input_names.index("GF")] = rng.uniform(0.05, 1.0, n)
    return y, u


def roadrunner_seconds(path, net, y, u, dt_h, rtol, atol):
    """Seconds for libRoadRunner to advance every row of ``y`` by ``dt_h`` hours, one cell
    after another; the end states are written into ``y``."""
    import roadrunner
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = rtol, atol
    ids = rr.model.getFloatingSpeciesIds()
    order = [ids.index(s) for s in net.species]  # our columns in roadrunner's order
    full = rr.model.getFloatingSpeciesConcentrations()
    gf = net.input_names.index("GF")
    end = dt_h / net.time_unit_h
    start = time.perf_counter()
    for row in range(y.shape[0]):
        rr.reset()
        full[order] = y[row]
        rr.model.setFloatingSpeciesConcentrations(full)
        rr["GF"] = u[row, gf]
        rr.simulate(0.0, end, 2)
        y[row] = rr.model.getFloatingSpeciesConcentrations()[order]
    return time.perf_counter() - start


def batched_seconds(net, y, u, p, dt_h, rtol, atol, threads):
    """Seconds for the batched integrator to advance every row of ``y`` by ``dt_h`` hours,
    with each row's step size remembered from a first advance of a copy (as in the tissue,
    which keeps it from step to step; that first call also compiles or loads the kernels)."""
    integrator = ic.BatchIntegrator(net, rtol=rtol, atol=atol, threads=threads)
    h = np.zeros(y.shape[0])
    integrator.advance(y.copy(), u, p, dt_h, h=h)
    start = time.perf_counter()
    integrator.advance(y, u, p, dt_h, h=h)
    return time.perf_counter() - start


def compare_with_roadrunner(path, sizes, rng):
    net = ic.get_network(str(path), inputs=("GF",))
    p = net.parameter_vector()
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"{net.name}: {net.n_species} species, {len(net.parameters)} parameters, "
          f"{net.time_unit_h:g} h per model time unit; libRoadRunner one cell at a time vs "
          f"batched (1 thread; {cores} threads)")
    print(f"{'cells':>7} {'step h':>6} {'rtol':>6} {'rr µs/cell':>10} {'ours µs/cell':>12} "
          f"{'× rr':>6} {'× rr, all cores':>15} {'rr err':>7} {'our err':>7}")
    for n in sizes:
        y0, u = sbml_cells(net, n, rng)
        for rtol, atol in SBML_TOLERANCES:
            for dt_h in SBML_STEPS_H:
                theirs = y0.copy()
                rr_s = roadrunner_seconds(path, net, theirs, u, dt_h, rtol, atol)
                ours = y0.copy()
                one = batched_seconds(net, ours, u, p, dt_h, rtol, atol, threads=1)
                every = batched_seconds(net, y0.copy(), u, p, dt_h, rtol, atol, threads=cores)
                ref = y0[:REFERENCE_CELLS].copy()
                ic.BatchIntegrator(net, rtol=1e-11, atol=1e-13).advance(
                    ref, u[:REFERENCE_CELLS], p, dt_h)
                scale = np.maximum(rtol * np.abs(ref), atol * 1e3)
                rr_err, our_err = (float(np.max(np.abs(end[:REFERENCE_CELLS] - ref) / scale))
                                   for end in (theirs, ours))
                print(f"{n:>7} {dt_h:>6g} {rtol:>6.0e} {rr_s / n * 1e6:>10.2f} "
                      f"{one / n * 1e6:>12.3f} {rr_s / one:>6.0f} {rr_s / every:>15.0f} "
                      f"{rr_err:>7.1f} {our_err:>7.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sbml", nargs="?", const=SBML_DEFAULT, type=Path, default=None,
                        help="compare an imported SBML network with libRoadRunner instead")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.sbml is not None:
        compare_with_roadrunner(args.sbml, args.sizes, rng)
        return
    print(f"step {DT} h, rtol {RTOL:g}, atol {ATOL:g}, warm JIT, 1 thread")
    print(f"{'network':<10} {'cells':>10} {'Mcell-steps/s':>14} {'µs/cell':>8} {'scalar µs':>9} "
          f"{'× scalar':>8} {'steps/cell':>10} {'err vs Radau':>12} {'× scipy':>8}")
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
            seed = int(rng.integers(2**32))  # the same cells for both kernels
            rate, work = cell_steps_per_second(net, n, np.random.default_rng(seed), settle)
            scalar, _ = cell_steps_per_second(net, n, np.random.default_rng(seed), settle,
                                              lanes=False)
            print(f"{name:<10} {label:>10} {rate / 1e6:>14.2f} {1e6 / rate:>8.2f} "
                  f"{1e6 / scalar:>9.2f} {rate / scalar:>8.2f} {work:>10.2f} {error:>12.1e} "
                  f"{rate / scipy_rate:>8.0f}")


if __name__ == "__main__":
    main()
