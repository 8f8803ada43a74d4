"""SBML import against libRoadRunner on a directory of SBML files: agreement, or the refusal.

Usage: ``python benchmarks/sbml_vs_roadrunner.py DIRECTORY [--t-end 200]``

For each ``*.xml`` file: :func:`intracellular.sbml.read_sbml`; a refused file prints its
SBMLError. An imported one is run over ``--t-end`` model time units (2001 points, rtol 1e-10,
atol 1e-12) three ways: libRoadRunner (truth), the independent reference evaluator of the
tests (SymPy + scipy Radau on the Definition), and the compiled network through
``intracellular.simulate`` (the project's code generator and batched RODAS3 kernel). Printed
per file: sizes, and the issue's error measure, max |ours − rr| / range of the column (max
|value| if constant), worst column over all, for both of ours; and wall times (one run each,
first call includes numba compilation unless cached; indicative only).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intracellular.sbml import SBMLError, load_sbml, read_sbml  # noqa: E402
from tests.intracellular.sbml_reference import (  # noqa: E402
    N_POINTS, agreement, evaluate, roadrunner_run)


def _worst(ours: dict, theirs: dict) -> str:
    # an SBML id that is a reserved word is renamed with trailing "_" (intracellular.sbml_math)
    renamed = {}
    for sid, values in theirs.items():
        name = sid
        while name not in ours and len(name) < len(sid) + 3:
            name += "_"
        if name in ours:
            renamed[name] = values
    errors = agreement(ours, renamed)
    worst = max(errors, key=errors.get)
    return f"{errors[worst]:.1e} ({worst}; {len(errors)}/{len(theirs)} columns)"


def compare(path: Path, t_end: float) -> dict:
    row = {"file": path.name}
    try:
        started = time.perf_counter()
        definition = read_sbml(path)
        row["import_s"] = time.perf_counter() - started
    except SBMLError as exc:
        row["refused"] = str(exc)
        return row
    row["size"] = (f"{len(definition.species)} state, {len(definition.parameters)} params, "
                   f"{len(definition.expressions)} rules, {len(definition.events)} events")
    started = time.perf_counter()
    _, theirs = roadrunner_run(path.read_text(encoding="utf-8"), t_end)
    row["rr_s"] = time.perf_counter() - started
    started = time.perf_counter()
    _, reference = evaluate(definition, t_end)
    row["reference_s"] = time.perf_counter() - started
    row["reference"] = _worst(reference, theirs)
    try:
        from intracellular import simulate
        started = time.perf_counter()
        network = load_sbml(path)
        row["compile_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _, compiled = simulate(network, model_time=t_end, n_points=N_POINTS, rtol=1e-10,
                               atol=1e-12)
        row["simulate_s"] = time.perf_counter() - started
        row["compiled"] = _worst(compiled, theirs)
    except ImportError as exc:  # the code generator is not there (a branch without it)
        row["compiled"] = f"n/a ({exc})"
    except (ArithmeticError, ValueError, RuntimeError) as exc:  # reported, not hidden
        row["compiled"] = f"failed: {type(exc).__name__}: {exc}"
    return row


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--t-end", type=float, default=200.0)
    args = parser.parse_args(argv)
    print("| file | result | error, reference evaluator | error, compiled (simulate) | "
          "times: import / rr / reference / compile / simulate (s) |")
    print("|---|---|---|---|---|")
    for path in sorted(args.directory.glob("*.xml")):
        row = compare(path, args.t_end)
        if "refused" in row:
            print(f"| {row['file']} | refused: {row['refused']} | | | |")
            continue
        times = " / ".join(f"{row[k]:.2f}" if k in row else "–" for k in
                           ("import_s", "rr_s", "reference_s", "compile_s", "simulate_s"))
        print(f"| {row['file']} | {row['size']} | {row['reference']} | {row['compiled']} | "
              f"{times} |", flush=True)


if __name__ == "__main__":
    main()
