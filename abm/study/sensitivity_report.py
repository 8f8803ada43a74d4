"""What a finished study draws and writes next to its summary: the effects plot, and after a
Sobol or Morris design the sensitivity indices of every metric (CSV, HDF5 and a plot)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from abm.study.spec import StudySpec
from abm.study.status import DONE


def report_sensitivity(spec: StudySpec, summary: pd.DataFrame) -> list[Path]:
    """Write the effects plot (``effects.png``: every metric against every parameter) and,
    for a Sobol or Morris design whose runs all finished, ``sensitivity_<method>.csv/.h5/
    .png`` in the study directory; returns the paths written."""
    from abm.study.plots import plot_effects

    written = [plot_effects(spec, summary, spec.out_dir / "effects.png")]
    if spec.method not in ("sobol", "morris") or not (summary["status"] == DONE).all():
        return written
    from abm.study.sensitivity import sensitivity_table
    from abm.study.sensitivity_output import plot_sensitivity, write_sensitivity

    from abm.study.design import design_points

    options = {"num_levels": spec.levels} if spec.method == "morris" else {}
    table = sensitivity_table(summary, spec.problem, list(spec.metrics), spec.method,
                              n_points=len(design_points(spec)), seed=spec.seed, **options)
    written += write_sensitivity(table, spec.out_dir, spec.method)
    written.append(plot_sensitivity(table, spec.out_dir / f"sensitivity_{spec.method}.png",
                                    spec.method))
    return written
