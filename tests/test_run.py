"""Whole runs to HDF5: the file contract, reproducibility, threads, kill -9 and resume."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from abm import load_run, resume_run, run_scenario
from abm.tumor.cells import PHASES
from abm.schema import to_toml
from abm.model import TumorModel

from .helpers import TINY, assert_same_run, datasets

ROOT = Path(__file__).resolve().parents[1]


def test_run_file_follows_the_public_contract(tiny_config, tmp_path):
    config = tiny_config(seed=3)
    path = run_scenario(config, tmp_path / "run.h5", progress=False)
    with load_run(path) as run:
        assert run.seed == 3 and run.config_toml == to_toml(config)
        assert run.attrs["schema_version"] == 1 and run.attrs["status"] == "complete"
        assert run.n_frames == 13  # every 60 min over 12 h, plus t = 0
        assert np.allclose(run.frame_times, np.arange(13) * 60.0)
        assert run.field("oxygen", -1).shape == (40, 48)
        cells = run.cells(-1)
        assert set(cells["phase"].astype(str)) <= set(PHASES)
        assert {"x", "y", "kind", "phase", "oxygen", "parent_id"} <= set(cells.columns)
        series = run.timeseries
        assert len(series) == 121 and series["n_tumor"].iloc[-1] == len(cells)
    with h5py.File(path, "r") as f:
        assert f["fields/oxygen"].dtype == np.float32 and f["fields/oxygen"].chunks == (1, 40, 48)
        assert f["cells/offsets"][-1] == len(f["cells/id"])
        assert "proliferating" in f["cells/phase"].attrs["enum"]


def test_same_seed_identical_files_other_seed_differs(tiny_config, tmp_path):
    a = run_scenario(tiny_config(seed=1), tmp_path / "a.h5", progress=False)
    b = run_scenario(tiny_config(seed=1), tmp_path / "b.h5", progress=False)
    c = run_scenario(tiny_config(seed=2), tmp_path / "c.h5", progress=False)
    assert_same_run(a, b)
    da, dc = datasets(a), datasets(c)
    assert not np.array_equal(da["cells/x"], dc["cells/x"]) or len(da["cells/x"]) != len(dc["cells/x"])


def _cli(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "abm", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, **kwargs)


def _tiny_args(out):
    args = ["run", "scenarios/quickstart.toml", "--out", str(out), "--no-progress"]
    for item in TINY:
        args += ["--set", item]
    return args


def test_thread_count_does_not_change_the_run(tmp_path):
    runs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = tmp_path / f"threads{threads}.h5"
        result = _cli(*_tiny_args(out), env=env, timeout=600)
        assert result.returncode == 0, result.stderr
        runs.append(out)
    assert_same_run(*runs)


WITH_IMMUNE_AND_DRUGS = ("chemokine.field=true", "immune.enabled=true",
                         "immune.initial_cd8_per_mm2=100.0", "immune.initial_nk_per_mm2=50.0")
WITH_SHEDDING = ("shedding.enabled=true", "shedding.rate_per_h=5.0", "tumor.radius_um=200.0",
                 "shedding.cluster_probability=0.3", "circadian.jet_lag_at_h=6.0",
                 "circadian.jet_lag_shift_h=5.0")
"""Shedding 2,500× the default from a larger tumour, with many clusters and a jet lag before the checkpoint, so that
units are in the blood (and one clock is shifted) when the run is cut and resumed."""


WITH_SITE = WITH_SHEDDING + ("secondary.enabled=true", "secondary.nx=24", "secondary.ny=24",
                             "blood.params={arrest_per_min=0.5}", "chemokine.field=true")
"""The shedding case with a secondary site that units reach within minutes, and a resection
after the checkpoint."""


WITH_MYELOID = WITH_SITE + ("neutrophils.enabled=true", "il6.field=true",
                            "platelets.enabled=true", "tgfb.field=true",
                            "neutrophils.recruit_per_min=0.05", "platelets.adhesion_per_h=2.0",
                            "neutrophils.escort_probability=1.0",
                            "secondary.inflammation_at_h=1.0")
"""The two-site case with neutrophils (escorting every shed unit they touch) and platelets,
and an inflammation pulse at the site, so that NETs, escorts, cloaks and the agents' field
sources cross the checkpoint."""


SBML_NETWORK = str(Path(__file__).resolve().parent.parent / "scenarios" / "networks"
                   / "BIOMD0000000941.xml")
WITH_SBML = (f"intracellular.network={SBML_NETWORK!r}",
             "intracellular.inputs={GF={source='oxygen', half=10.0, hill=2.0}}",
             "intracellular.observables={e2f='cyclin_B_Cdk1'}", "fate.commit='rise'",
             "fate.commit_ef=1.0", "fate.sg2m_mean_h=2.0")
"""Every cell driven by the scenarios' BioModels SBML network (Gérard & Goldbeter 2011) with
its GF bound to O2, as in scenarios/sbml_cell_cycle.toml."""


@pytest.mark.parametrize("extra", [(), WITH_IMMUNE_AND_DRUGS, WITH_SHEDDING, WITH_SITE,
                                   WITH_MYELOID, WITH_SBML],
                         ids=["tumour", "immune+drugs", "shedding", "two sites", "myeloid",
                              "sbml network"])
def test_resume_after_an_interruption_equals_an_uninterrupted_run(tiny_config, tmp_path,
                                                                  monkeypatch, extra):
    import dataclasses

    from abm.therapy.schedule import TherapyEntry

    config = tiny_config("run.days=1.0", *extra)
    if extra == WITH_IMMUNE_AND_DRUGS:  # doses before and after the checkpoint (step 120 = 12 h)
        config = dataclasses.replace(config, therapy=(
            TherapyEntry(drug="chemo", at_h=(2.0,)), TherapyEntry(drug="anti_pdl1", at_h=(0.0,)),
            TherapyEntry(drug="senomorphic", at_h=(13.0,))))
    if extra == WITH_SHEDDING:
        config = dataclasses.replace(config, therapy=(
            TherapyEntry(drug="digoxin", at_h=(3.0,)),
            TherapyEntry(drug="platelet_inhibitor", at_h=(14.0,))))
    if extra == WITH_SITE:
        config = dataclasses.replace(config, therapy=(TherapyEntry(drug="resection",
                                                                   at_h=(14.0,)),))
    full = run_scenario(config, tmp_path / "full.h5", progress=False)
    with load_run(full) as run:
        tables = set(run.event_tables)
        if extra == WITH_IMMUNE_AND_DRUGS:
            assert {"immune_kills", "drug_deaths", "doses", "immune_cells"} <= tables
        if extra == WITH_SHEDDING:
            assert {"ctc", "ctc_members"} <= tables
            series = run.timeseries
            assert series["n_ctc_units"].iloc[120] > 0  # in the blood at the cut
        if extra == WITH_SITE:
            site = run.site("secondary")
            assert site.timeseries["n_tumor"].iloc[120] > 0 and "dtc" in site.event_tables

    class Interrupt(Exception):
        pass

    class StopAt:
        def on_step(self, model):
            if model.step_index == 137:  # after the checkpoint at step 120, mid-frame
                raise Interrupt

    original_init = TumorModel.__init__

    def init_with_stop(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.observers.append(StopAt())

    monkeypatch.setattr(TumorModel, "__init__", init_with_stop)
    with pytest.raises(Interrupt):
        run_scenario(config, tmp_path / "cut.h5", progress=False)
    monkeypatch.undo()
    with load_run(tmp_path / "cut.h5") as run:
        assert run.status == "interrupted" and run.n_frames == 14
    resume_run(tmp_path / "cut.h5", progress=False)
    assert_same_run(full, tmp_path / "cut.h5")


def test_kill_9_leaves_a_readable_file_and_resume_completes_it(tmp_path):
    args = _tiny_args(tmp_path / "killed.h5") + ["--set", "run.days=3.0",
                                                 "--set", "grid.nx=96", "--set", "grid.ny=96"]
    reference = _cli(*(_tiny_args(tmp_path / "ref.h5") + args[len(_tiny_args(tmp_path)):]), timeout=600)
    assert reference.returncode == 0, reference.stderr
    proc = subprocess.Popen([sys.executable, "-m", "abm", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_after = 0
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
        try:
            with load_run(tmp_path / "killed.h5") as run:
                frames = run.n_frames
        except Exception:  # not created yet, or caught between a create and its first flush
            continue
        if frames >= 8:  # past the checkpoints at 0 and 3 h
            os.kill(proc.pid, signal.SIGKILL)
            killed_after = frames
            break
    proc.wait()
    assert killed_after, "the run finished before it could be killed; make it longer"
    with load_run(tmp_path / "killed.h5") as run:
        assert run.n_frames >= killed_after and run.status == "interrupted"
    assert not (tmp_path / "killed.h5").exists()  # the file appears only complete
    resumed = _cli("resume", str(tmp_path / "killed.h5"), "--no-progress", timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(tmp_path / "ref.h5", tmp_path / "killed.h5")
