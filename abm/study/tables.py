"""The summary table of a set of runs on disk: one row per run, written as CSV (for people and
spreadsheets) and HDF5 (for :func:`abm.load_study`), with the text that defined the runs.

Both a study (``summary.csv`` / ``summary.h5`` in its folder, :mod:`abm.study.runner`) and a
scenario script's replicates (``<out>_summary.csv`` / ``.h5``, :mod:`abm.study.replicates`)
write it here, so one reader serves both.

The HDF5 layout: group ``summary`` with one dataset per column (strings as UTF-8, the run
index as ``run``), root attributes ``columns`` (JSON list, in order) and ``study_toml`` (the
defining text: the study file, or the scenario file of the replicates).
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from abm.io.atomic import write_atomic


def write_summary_files(table: pd.DataFrame, csv_path: Path, h5_path: Path, text: str) -> None:
    """Write ``table`` (index: the run index) to ``csv_path`` and ``h5_path``, each atomically
    (a reader sees the old file or the new one)."""
    write_atomic(csv_path, lambda tmp: table.to_csv(tmp), durable=False)

    def write_h5(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            group = f.create_group("summary")
            group.create_dataset("run", data=table.index.to_numpy())
            for column in table.columns:
                values = table[column].to_numpy()
                if values.dtype == object:
                    values = np.array([str(v) for v in values], dtype=h5py.string_dtype())
                group.create_dataset(column, data=values)
            f.attrs["study_toml"] = text
            f.attrs["columns"] = json.dumps(["run", *table.columns])

    write_atomic(h5_path, write_h5, durable=False)


def read_summary_file(path: Path) -> tuple[pd.DataFrame, str]:
    """The table (index ``run``) and the defining text of a summary written by
    :func:`write_summary_files`."""
    with h5py.File(path, "r") as f:
        group = f["summary"]
        columns = json.loads(f.attrs["columns"])
        data = {c: (group[c].asstr()[:] if h5py.check_string_dtype(group[c].dtype)
                    else group[c][:]) for c in columns}
        text = str(f.attrs["study_toml"])
    return pd.DataFrame(data).set_index("run"), text
