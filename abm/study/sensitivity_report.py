"""After a Sobol or Morris study: the sensitivity indices of every metric, written (CSV and
HDF5) and plotted next to the summary (other designs have none)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .spec import StudySpec


def report_sensitivity(spec: StudySpec, summary: pd.DataFrame) -> list[Path]:
    """Write ``sensitivity_<method>.csv/.h5/.png`` in the study directory for a Sobol or
    Morris design whose runs all finished; returns the paths written (none otherwise)."""
    if spec.method not in ("sobol", "morris") or not (summary["status"] == "done").all():
        return []
    from .sensitivity import plot_sensitivity, sensitivity_table, write_sensitivity

    table = sensitivity_table(summary, spec.problem, list(spec.metrics), spec.method,
                              seed=spec.seed)
    written = list(write_sensitivity(table, spec.out_dir, spec.method))
    written.append(plot_sensitivity(table, spec.out_dir / f"sensitivity_{spec.method}.png",
                                    spec.method))
    return written
