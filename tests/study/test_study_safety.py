"""A study file is data, and a study folder is never raced or mixed: the sbatch script quotes
and checks what it takes from the study file; local workers die with a sweep killed by
kill -9; the folder lock refuses a second sweep naming the holder; a folder holding another
study, or other files, is refused; a metrics module that cannot be imported is one message.
The whole killed-sweep story (kill, no orphans, rerun identical) runs in the slow tier."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from abm.cli import main
from abm.study import load_study_spec
from abm.study.engines import slurm_script
from abm.study.folder import study_lock
from abm.study.runner import read_row

from ..helpers import assert_same_run
from .test_study import write_study

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"


# ---------------------------------------------------------------------------- processes
def children(pid: int) -> dict[int, str]:
    """Every descendant of ``pid`` → its start time (field 22 of /proc/PID/stat), so that
    a recycled PID is not mistaken for the same process."""
    parent_of, start_of = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent_of[int(entry.name)], start_of[int(entry.name)] = int(fields[1]), fields[19]
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parent_of.items():
            if ppid == parent and child not in found:
                found[child] = start_of[child]
                todo.append(child)
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (a zombie has ended)."""
    out = []
    for pid, start in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            out.append(pid)
    return out


def wait_until_gone(processes: dict[int, str], seconds: float) -> list[int]:
    deadline = time.time() + seconds
    while (left := alive(processes)) and time.time() < deadline:
        time.sleep(0.1)
    return left


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

POOL_SCRIPT = """
import os, time
from abm.study.runner import local_executor
pool = local_executor(2)
workers = set()
while len(workers) < 2:  # both workers started (a task runs after the initializer)
    workers |= {f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}
busy = [pool.submit(time.sleep, 120) for _ in range(2)]
time.sleep(0.5)
print("busy", flush=True)
time.sleep(120)
"""


@needs_proc
def test_local_workers_die_when_the_sweep_is_killed(tmp_path):
    """A process with a local pool whose two workers are busy is killed with SIGKILL: every
    process it started is gone within 3 s (they used to block on the pipe forever)."""
    proc = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT], cwd=tmp_path,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "busy"
        started = children(proc.pid)
        assert len(started) >= 2  # the two workers (and multiprocessing's resource tracker)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as a user's kill -9
        proc.wait()
        assert wait_until_gone(started, 3.0) == []
    finally:
        for pid in alive(children(proc.pid)):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def hold_lock(out: Path) -> int:
    """A forked child that holds the study lock (as a running sweep does) until killed;
    returns its PID once it holds the lock (fork: no second interpreter to start)."""
    ready, signal_ready = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing but the lock, then wait to be killed
        try:
            os.close(ready)
            with study_lock(out):
                os.write(signal_ready, b"1")
                time.sleep(120)
        finally:
            os._exit(0)
    os.close(signal_ready)
    assert os.read(ready, 1) == b"1"
    os.close(ready)
    return pid


def test_a_second_sweep_is_refused_while_the_folder_is_locked(tmp_path, capsys):
    """While another process holds the study folder's lock, `abm sweep` and `abm run-design`
    stop at once with one message naming the folder (and the sweep's PID), running nothing;
    once that process is killed with SIGKILL the lock is free."""
    path = write_study(tmp_path)
    out = load_study_spec(path).out_dir
    holder = hold_lock(out)
    try:
        for argv in (["sweep", str(path), "--no-progress"],
                     ["run-design", str(path), "--index", "0"]):
            capsys.readouterr()
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and err.startswith(f"abm {argv[0]}: error: "), err
            assert f"study folder {out} is in use by another abm sweep (PID {holder})" in err
        assert sorted(p.name for p in out.iterdir()) == [".abm-study.lock"]  # nothing ran
    finally:
        os.kill(holder, signal.SIGKILL)
        os.waitpid(holder, 0)
    with study_lock(out):
        pass


# ---------------------------------------------------------------------------- the folder
def test_a_folder_of_another_study_or_of_other_files_is_refused(tmp_path, capsys):
    """Editing the study (its seed) and writing into the same folder is refused naming what
    changed; a non-empty folder without a study is refused and left as it was."""
    path = write_study(tmp_path)
    assert main(["sweep", str(path), "--emit-slurm"]) == 0
    path.write_text(path.read_text().replace("seed = 11", "seed = 12"))
    for argv in (["sweep", str(path), "--emit-slurm"], ["sweep", str(path), "--no-progress"],
                 ["run-design", str(path), "--index", "0"]):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "holds the runs of a different study (design changed" in err, err
    assert not list((tmp_path / "tiny" / "runs").iterdir())
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    path.write_text(path.read_text().replace(f'out = "{tmp_path / "tiny"}"',
                                             f'out = "{foreign}"'))
    capsys.readouterr()
    assert main(["sweep", str(path), "--no-progress"]) == 2
    assert "holds other files and no study" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------------------- sbatch
def study_text(out: Path, name: str = "q.1+x", slurm: str = "") -> str:
    return textwrap.dedent(f"""\
        [study]
        name = "{name}"
        scenario = "{QUICKSTART}"
        out = "{out}"
        replicates = 2
        overrides = ["run.days=0.5"]
        [design]
        method = "lhs"
        n = 2
        [parameters]
        "oxygen.vessel_mmHg" = {{ range = [12.0, 38.0] }}
        [slurm]
        """) + (slurm or 'time = "1-02:00:00"\nmemory = "500M"\npartition = "gpu.long-1"\n'
                          'account = "lab_x"\nmax_parallel = 3\n')


def test_the_sbatch_script_is_valid_bash_and_quotes_a_hostile_study_path(tmp_path):
    """A study file in a folder named with a quote, a space, $() and backticks: the emitted
    script passes `bash -n`, has the --array line, exactly one command line, and a task run
    by bash hands exactly the study path and its index to `abm run-design`, running nothing
    else."""
    folder = tmp_path / "it's a $(touch pwned) `touch pwned2` dir"
    folder.mkdir()
    path = folder / "study.toml"
    path.write_text(study_text(tmp_path / "out"))
    assert main(["sweep", str(path), "--emit-slurm"]) == 0
    emitted = (tmp_path / "out" / "slurm_array.sh").read_text()
    spec = load_study_spec(path)
    assert emitted == slurm_script(spec)
    assert subprocess.run(["bash", "-n", "-c", emitted]).returncode == 0
    lines = emitted.splitlines()
    sbatch = [line for line in lines if line.startswith("#SBATCH")]
    assert "#SBATCH --array=0-3%3" in sbatch  # 2 LHS points × 2 replicates, 3 at a time
    assert {"#SBATCH --job-name=q.1+x", "#SBATCH --time=1-02:00:00", "#SBATCH --mem=500M",
            "#SBATCH --partition=gpu.long-1", "#SBATCH --account=lab_x"} <= set(sbatch)
    assert all(len(line.split()) == 2 for line in sbatch)  # one option each, nothing after
    assert len([line for line in lines if "run-design" in line]) == 1
    # run a task with a stand-in interpreter (in a folder with a space) that records argv
    fake = tmp_path / "fake python" / "python"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "$ARGS_OUT"\n')
    fake.chmod(0o755)
    record = tmp_path / "argv.txt"
    task = subprocess.run(["bash", "-c", slurm_script(spec, python=str(fake))], cwd=tmp_path,
                          env={**os.environ, "SLURM_ARRAY_TASK_ID": "2", "ARGS_OUT": str(record)})
    assert task.returncode == 0
    assert record.read_text().splitlines() == ["-m", "abm", "run-design", str(path),
                                               "--index", "2"]
    assert not list(tmp_path.rglob("pwned*"))
    assert shlex.quote(str(path)) in emitted and shlex.quote(str(path)) != str(path)


@pytest.mark.parametrize("name, slurm, key", [
    ("x\\n#SBATCH --array=0-0\\ntouch pwned", "", "study.name"),
    ("q", 'time = "01:00:00\\ntouch pwned"\n', "slurm.time"),
    ("q", 'partition = "short --wrap=id"\n', "slurm.partition"),
    ("q", 'account = "$(touch pwned)"\n', "slurm.account"),
])
def test_hostile_script_values_are_refused_and_no_script_is_written(tmp_path, capsys, name,
                                                                    slurm, key):
    path = tmp_path / "study.toml"
    path.write_text(study_text(tmp_path / "out", name=name, slurm=slurm))
    capsys.readouterr()
    assert main(["sweep", str(path), "--emit-slurm"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abm: error: study.toml: " + key) and err.count("\n") == 1, err
    assert [p.name for p in tmp_path.iterdir()] == ["study.toml"]


# ---------------------------------------------------------------------------- trusted code
@pytest.mark.parametrize("source, problem", [
    ("raise RuntimeError('no licence server')",
     "importing it raised RuntimeError: no licence server"),
    ("def broken(:\n    pass", "importing it raised SyntaxError"),
    ("import sys\nsys.exit(3)", "importing it raised SystemExit: 3"),
])
def test_a_metrics_module_that_fails_on_import_is_one_message(tmp_path, monkeypatch, capsys,
                                                              source, problem):
    module = f"failing_metrics_{abs(hash(source))}"
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write_study(tmp_path, extra_study=f'metrics_module = "{module}"')
    capsys.readouterr()
    assert main(["sweep", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"abm: error: tiny.toml: study.metrics_module = '{module}': {problem}")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "tiny").exists()


# ---------------------------------------------------------------------------- killed sweep
def summary_without_timing(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "summary.csv", index_col="run").drop(columns="seconds")


@needs_proc
@pytest.mark.slow
def test_a_killed_sweep_leaves_no_process_and_a_rerun_equals_an_uninterrupted_one(tmp_path):
    """`abm sweep` (4 runs, 2 workers) killed with SIGKILL (its main process only) while runs
    are in flight: within 3 s no process it started is left; the rerun completes and its
    summary and run files equal those of an uninterrupted sweep of the same study."""
    design = 'method = "lhs"\nn = 2'
    path = write_study(tmp_path, "killed", design)
    spec = load_study_spec(path)
    proc = subprocess.Popen([sys.executable, "-m", "abm", "sweep", str(path), "--workers", "2",
                             "--no-progress"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            rows = [read_row(spec, i) for i in range(4)]
            if any(r and r["status"] == "running" for r in rows):
                break
            time.sleep(0.05)
        started = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rows = [read_row(spec, i) for i in range(4)]
        assert any(r and r["status"] == "running" for r in rows), "no run was in flight"
        assert len(started) >= 2
        assert wait_until_gone(started, 3.0) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in alive(children(proc.pid)):
            os.kill(pid, signal.SIGKILL)
    assert main(["sweep", str(path), "--workers", "2", "--no-progress"]) == 0
    reference = write_study(tmp_path, "reference", design)
    assert main(["sweep", str(reference), "--workers", "2", "--no-progress"]) == 0
    pd.testing.assert_frame_equal(summary_without_timing(tmp_path / "killed"),
                                  summary_without_timing(tmp_path / "reference"))
    for i in range(4):
        assert_same_run(tmp_path / "killed" / "runs" / f"run_{i:04d}.h5",
                        tmp_path / "reference" / "runs" / f"run_{i:04d}.h5")
    assert not list((tmp_path / "killed" / "runs").glob("*.parts"))
