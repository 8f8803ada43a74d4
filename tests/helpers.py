"""Helpers shared by tests: configs from TOML text, and comparing run files."""
from __future__ import annotations

import tomllib
from pathlib import Path

import h5py
import numpy as np

from abm.schema import config_from_dict

TINY = [
    "grid.nx=48", "grid.ny=40", "run.days=0.5", "vessels.pattern=array",
    "vessels.array_spacing_um=200.0", "vessels.avascular_radius_um=0.0", "tumor.radius_um=120.0",
    "output.frame_every_min=60.0",
    "output.checkpoint_every_min=180.0", "output.figure=false",
]
"""Overrides that make a 48×40-site, 12-hour run (120 steps) that finishes in well under a second."""



def tiny_file_head(section: str, name: str, out, seed: int) -> str:
    """The ``[section]`` head a study or calibration file of the tests shares: its name, the
    quickstart as base scenario, the output folder ``out``, the seed and the TINY overrides
    (quoted as --set strings: "vessels.pattern=array" works)."""
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.toml"
    overrides = ", ".join(f"'{o}'" for o in TINY)
    return (f'[{section}]\nname = "{name}"\nscenario = "{scenario}"\nout = "{out}"\n'
            f"seed = {seed}\noverrides = [{overrides}]\n")


SLURM_CLUSTER = """
[cluster]
kind = "slurm"
jobs = 2
cores = 1
processes = 1
memory = "2GB"
walltime = "00:20:00"
"""
"""A study's ``[cluster]`` for a dask-jobqueue SLURMCluster of 2 one-core jobs on the test
SLURM (``.ci/slurm/start.sh``): tests/study/test_slurm.py and benchmarks/bench_study.py."""

VOLATILE_ATTRS = {"created_utc", "metadata_sha256"}
"""Root attributes that legitimately differ between two runs of the same config (the
checksum of the root attributes covers the creation time)."""


def datasets(path) -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file by path, read into memory."""
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_same_run(path_a, path_b) -> None:
    """Two run files hold identical datasets and root attributes (except the creation time)."""
    a, b = datasets(path_a), datasets(path_b)
    assert sorted(a) == sorted(b)
    for name in a:
        equal_nan = np.asarray(a[name]).dtype.kind in "fc"  # NaN marks "not yet" (e.g. ctc.end_min)
        assert np.array_equal(a[name], b[name], equal_nan=equal_nan), f"dataset {name} differs"
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        keys = set(fa.attrs) - VOLATILE_ATTRS
        assert keys == set(fb.attrs) - VOLATILE_ATTRS
        for key in keys:
            assert np.array_equal(fa.attrs[key], fb.attrs[key]), f"attribute {key} differs"


def config_from_text(text: str, therapy=(), **sections):
    """A config from the TOML ``text`` with ``sections`` (``name={key: value}``) updated and
    ``therapy`` (``[[therapy]]`` tables as dicts) set."""
    data = tomllib.loads(text)
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    if therapy:
        data["therapy"] = list(therapy)
    return config_from_dict(data)


def sorted_mm(x_um, y_um):
    """Positions in mm as rows of [x, y], sorted by x then y (order-free comparison)."""
    xy = np.column_stack([np.asarray(x_um, float), np.asarray(y_um, float)]) / 1000.0
    return xy[np.lexsort(xy.T[::-1])]


def agents_at(run, time_min):
    """Label → positions (:func:`sorted_mm`) of the walking neutrophils, NETs and platelet
    aggregates of ``run`` at frame time ``time_min``, read straight from its event tables."""
    neutrophils, platelets = run.events("neutrophils"), run.events("platelets")
    n = neutrophils[neutrophils["time_min"] == time_min]
    p = platelets[platelets["time_min"] == time_min]
    net = n["net"].to_numpy() == 1
    return {"neutrophil": sorted_mm(n["x"][~net], n["y"][~net]),
            "NET": sorted_mm(n["x"][net], n["y"][net]),
            "platelet aggregate": sorted_mm(p["x"], p["y"])}


def central_differences(f, y: np.ndarray) -> np.ndarray:
    """∂f_i/∂y_j [n, n] by central differences with δ = 1e-6·max(|y_j|, 1) of ``f(y) -> [n]``
    (truncation δ²·|f'''|/6, round-off ε·|f|/δ: both ≲ 1e-6·(1 + max|J|) on the networks)."""
    n = y.shape[0]
    numeric = np.empty((n, n))
    for j in range(n):
        delta = 1e-6 * max(abs(y[j]), 1.0)
        up, down = y.copy(), y.copy()
        up[j] += delta
        down[j] -= delta
        numeric[:, j] = (np.asarray(f(up)) - np.asarray(f(down))) / (2 * delta)
    return numeric
