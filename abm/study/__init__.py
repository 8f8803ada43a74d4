"""Parameter studies: a study file (:mod:`abm.study.spec`), its design and seeds
(:mod:`abm.study.design`), summary metrics (:mod:`abm.study.metrics`), the runner on any
``concurrent.futures`` executor (:mod:`abm.study.runner`), Dask and SLURM engines
(:mod:`abm.study.engines`) and SALib sensitivity indices (:mod:`abm.study.sensitivity`).

    abm sweep scenarios/study_dormancy.toml --workers 2
    study = abm.load_study("outputs/study_dormancy")
    study.summary            # one row per run: parameters, seed, status, metrics
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from abm.study.metrics import register_metric
from abm.study.spec import StudySpec, load_study_spec
from abm.study.status import DONE
from abm.study.tables import read_summary_file

__all__ = ["Study", "StudySpec", "load_study", "load_study_spec", "register_metric"]


@dataclass
class Study:
    """A study, or a scenario script's replicates, read back from its summary: the defining
    text (the study file, or the scenario file) and one row per run."""

    path: Path
    study_toml: str
    summary: pd.DataFrame

    def done(self) -> pd.DataFrame:
        """The rows of the runs that finished."""
        return self.summary[self.summary["status"] == DONE]

    def run_file(self, run: int) -> Path:
        """The run file of run ``run`` (its ``file`` column, relative to the summary's
        folder, for replicates; ``runs/run_NNNN.h5`` for a study)."""
        if "file" in self.summary.columns:
            return self.path / str(self.summary.loc[run, "file"])
        return self.path / "runs" / f"run_{run:04d}.h5"

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run's time series in one tidy table: one row per run and recorded
        step, with the run's identifying columns (``run``, then the summary's columns before
        ``status``: ``arm, seed`` for replicates, ``point, replicate, seed`` and the
        parameters for a study), ``time_min``, ``time_d`` and ``columns`` (default: all) —
        ready for ``groupby(["arm", "time_d"])`` and a mean ± SD band."""
        from abm.io import load_run

        columns_in_order = list(self.summary.columns)
        ids = columns_in_order[:columns_in_order.index("status")]  # what names a run comes first
        parts = []
        for run, row in self.done().iterrows():
            with load_run(self.run_file(int(run))) as opened:
                series = opened.timeseries
            if columns is not None:
                series = series[list(columns)]
            frame = series.reset_index(names="time_min")
            frame.insert(1, "time_d", frame["time_min"] / 1440.0)
            for position, column in enumerate(["run", *ids]):
                frame.insert(position, column, run if column == "run" else row[column])
            parts.append(frame)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def load_study(path: str | Path) -> Study:
    """Read a summary: a study folder (its ``summary.h5``), or a summary file itself (a
    study's, or the ``<out>_summary.h5`` of a scenario script's replicates)."""
    path = Path(path)
    file = path / "summary.h5" if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"{file} not found: run `abm sweep STUDY.toml` (or the "
                                "scenario script) first")
    summary, text = read_summary_file(file)
    return Study(file.parent, text, summary)
