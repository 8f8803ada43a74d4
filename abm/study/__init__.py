"""Parameter studies: a study file (:mod:`abm.study.spec`), its design and seeds
(:mod:`abm.study.design`), summary metrics (:mod:`abm.study.metrics`), the runner on any
``concurrent.futures`` executor (:mod:`abm.study.runner`), Dask and SLURM engines
(:mod:`abm.study.engines`) and SALib sensitivity indices (:mod:`abm.study.sensitivity`).

    abm sweep scenarios/study_dormancy.toml --workers 2
    study = abm.load_study("outputs/study_dormancy")
    study.summary            # one row per run: parameters, seed, status, metrics
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import pandas as pd

from abm.study.metrics import register_metric
from abm.study.spec import StudySpec, load_study_spec
from abm.study.status import DONE

__all__ = ["Study", "StudySpec", "load_study", "load_study_spec", "register_metric"]


@dataclass
class Study:
    """A study read back from its directory: the study file's text and the summary."""

    path: Path
    study_toml: str
    summary: pd.DataFrame

    def done(self) -> pd.DataFrame:
        """The rows of the runs that finished."""
        return self.summary[self.summary["status"] == DONE]


def load_study(path: str | Path) -> Study:
    """Read a study's ``summary.h5`` (``path``: the study directory or the file itself)."""
    path = Path(path)
    file = path / "summary.h5" if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"{file} not found: run `abm sweep STUDY.toml` first")
    with h5py.File(file, "r") as f:
        group = f["summary"]
        columns = json.loads(f.attrs["columns"])
        data = {c: (group[c].asstr()[:] if h5py.check_string_dtype(group[c].dtype)
                    else group[c][:]) for c in columns}
        text = str(f.attrs["study_toml"])
    summary = pd.DataFrame(data).set_index("run")
    return Study(file.parent, text, summary)
