"""Output identity: record every scenario's HDF5 outputs with fixed seeds, and compare two
recordings object by object, byte by byte (issue 14: "not one output byte changes").

Usage::

    # record with whatever ``abm`` is importable (from a worktree: PYTHONPATH=<worktree>)
    python benchmarks/output_identity.py record OUTDIR [--quick] [--jobs N]
    # every .h5 under A must exist under B (and vice versa) and hold the same objects
    python benchmarks/output_identity.py compare A B

A reference is a recording of an earlier commit, made from a checkout of it (a git worktree)
with this script::

    git worktree add --detach ../before 174ba30
    (cd ../before && PYTHONPATH=$PWD python <this checkout>/benchmarks/output_identity.py \\
        record ../recordings/ref_quick --quick)

and a change is checked against it with::

    python benchmarks/output_identity.py record ../recordings/mine --quick
    python benchmarks/output_identity.py compare ../recordings/ref_quick ../recordings/mine

``record``
    Runs, as subprocesses of ``sys.executable`` with the current directory as the project
    root (``scenarios/`` is taken from it), every scenario into OUTDIR:

    * ``runs/<scenario>_s1.h5``, ``runs/<scenario>_s2.h5``: ``python -m abm run
      scenarios/<scenario>.toml --seed S`` for each run scenario (quickstart, ctc_circadian,
      immune_pdl1, senescence_sasp);
    * ``runs/<scenario>_s1_thin_agents_off.h5``: the same, seed 1, with ``--set
      run.thin_agents=false`` (only if ``abm params`` lists that key);
    * ``runs/<scenario>_s1_resumed.h5``: seed 1, interrupted with SIGINT (Ctrl-C, exit 130)
      as soon as its parts folder holds a checkpoint newer than the one written at step 0,
      then finished by ``python -m abm resume``. The interrupt comes within milliseconds of
      the day-1 checkpoint (a simulated day takes seconds), so the run always resumes from
      it (each log says the checkpoint's time). That is needed for identical recordings:
      the datasets of a resumed run equal an uninterrupted run's wherever it resumes, but
      the ``/checkpoint`` attribute ``event_rows`` lists its tables in an order that
      depends on it (ctc_circadian: ``{"ctc_members": .., "ctc": ..}`` resumed,
      ``{"ctc": .., "ctc_members": ..}`` uninterrupted, at 174ba30);
    * ``scripts/<script>_<arm>_seed1.h5`` and ``scripts/<script>_summary.h5``: ``python
      scenarios/<script>.py --seeds 1 --out scripts/<script>.h5`` for senescence_sasp.py,
      immune_pdl1.py and ctc_circadian.py (one file per arm, and the replicate summary), and
      ``scripts/hypoxia_switch.h5`` (``--seeds 3``, its scenario's seed);
      ``arms.py`` is their library, ``hypoxia_switch.toml`` the culture config of
      hypoxia_switch.py;
    * ``study_dormancy/``: ``python -m abm sweep`` of ``scenarios/study_dormancy.toml``. A
      sweep has no output option (the study file says where), so the study file and its base
      scenario are copied into ``_inputs/`` with ``out = "../study_dormancy"`` and the scenario
      named by its file name; nothing else changes. Its ``runs/run_NNNN.h5`` and
      ``summary.h5`` are compared.

    ``--quick`` shortens every run as far as its therapy schedule allows (a dose after the
    end is refused): ``--days 1`` for quickstart, ctc_circadian and immune_pdl1 (``--days
    2`` for their interrupted runs, so that the interrupt follows the day-1 checkpoint),
    ``--days 4`` for senescence_sasp (chemotherapy at 72 h); the scripts ``--days 12``
    (senescence_sasp.py), ``3`` (immune_pdl1.py) and ``5.5`` (ctc_circadian.py),
    ``--hours 12`` for hypoxia_switch.py, and ``run.days=1.0`` in the study's overrides (in
    place of its ``run.days=4.0``). The full mode runs everything as written. ``--jobs N``
    runs N commands at once (and gives the sweep N workers); results do not depend on it.
    Every subprocess gets the directory that holds the ``abm`` this script imported first on
    ``PYTHONPATH``, so that ``python -m abm``, the scripts and the sweep's workers all import
    the same package (printed once). OUTDIR gets ``logs/<job>.log`` (each command's output)
    and ``manifest.json`` (the package's path, the root's git commit and whether its code was
    modified, the commands, their times and exit codes, the files written). 42 files in
    either mode. Measured with ``--jobs 1`` on the shared 2-core machine (load 4-10):
    ``--quick`` 11-18 min (two thirds in the arm scripts, whose schedules cannot be
    shortened much), full 32 min.

    What the recording relies on (adapt here if a redesign changes it): the command lines
    ``abm run SCENARIO --seed --out --days --set --no-progress``, ``abm resume RUN``,
    ``abm sweep STUDY --workers --no-progress``, ``abm params`` (for the thin_agents key),
    the scripts' ``--seeds --out --days`` (``--hours``), the study keys ``scenario``, ``out``
    and ``overrides``, and, for the interrupt, the checkpoint file ``RUN.h5.parts/checkpoint.h5``.

``compare``
    For every ``.h5`` under A (recursively) the same relative path must exist under B and vice
    versa. Both are opened with h5py and walked: the set of links of every group (hard, soft
    and external, and the kind of object each names), every dataset's shape, HDF5 type (H5Tequal,
    so string type, size, character set and compound layout count), storage (chunks, filters,
    fill value, maxshape) and values, compared as raw bytes (``tobytes``: NaN payloads and
    the sign of zero count; variable-length elements one by one), and every attribute of
    every object (root, groups, datasets) by type and value. Object references (dimension
    scales' ``DIMENSION_LIST``/``REFERENCE_LIST``) are compared by the path of the object
    they point at, since addresses inside a file are not outputs. Strings that contain
    A's or B's absolute path have it replaced by ``<OUTDIR>`` before comparison (none of
    today's files holds one: two recordings in different folders are identical without it).
    Prints one line per difference (``file: object: what``; a dataset's line gives how many
    elements differ, the first and, for floats, the largest difference) and a summary line;
    exit status 1 on any difference, 0 if identical. ``--strict`` drops the exclusions below
    (to see what differs between two runs of one code).

Exclusions, and why (measured: two ``record --quick`` runs of the same code, commit 174ba30,
in different folders and from different worktrees, differ in
exactly these and nothing else):

* root attribute ``created_utc`` of every run file: the wall-clock time the run was created;
* root attribute ``metadata_sha256`` of every run file: the SHA-256 over all other root
  attributes, ``created_utc`` among them, so it differs whenever that does; every attribute
  it covers except ``created_utc`` is compared one by one;
* the values of dataset ``/summary/seconds`` of a study's ``summary.h5``: each run's wall
  time (its shape and type are still compared, and every other column is).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

RUN_SCENARIOS = ("quickstart", "ctc_circadian", "immune_pdl1", "senescence_sasp")
ARM_SCRIPTS = ("senescence_sasp", "immune_pdl1", "ctc_circadian")
CULTURE_SCRIPT, CULTURE_SEED = "hypoxia_switch", 3
STUDIES = ("study_dormancy",)
NOT_RUN = {"arms.py": "library of the arm scripts",
           "hypoxia_switch.toml": "culture config, run by hypoxia_switch.py"}
SEEDS = (1, 2)
# --quick: the shortest runs that keep every dose of their therapy schedules (a dose after
# the end of a run is refused): chemotherapy at 72 h (senescence_sasp), anti-PD-L1 at 48 h
# (immune_pdl1.py), a senomorphic on days 7-11 at 21:00 from an 08:00 start (11.5 d,
# senescence_sasp.py), daily 08:00 doses on days 0-5 from a 00:00 start (5.33 d,
# ctc_circadian.py). The interrupted runs need two days: the interrupt follows the day-1
# checkpoint.
QUICK_RUN_DAYS = {"quickstart": 1.0, "ctc_circadian": 1.0, "immune_pdl1": 1.0,
                  "senescence_sasp": 4.0}
QUICK_RESUME_DAYS = {"quickstart": 2.0, "ctc_circadian": 2.0, "immune_pdl1": 2.0,
                     "senescence_sasp": 4.0}
QUICK_SCRIPT_DAYS = {"senescence_sasp": 12.0, "immune_pdl1": 3.0, "ctc_circadian": 5.5}
QUICK_STUDY_DAYS, QUICK_HOURS = 1.0, 12.0
POLL_S = 0.05

EXCLUDED_ROOT_ATTRS = {
    "created_utc": "the wall-clock time the run was created",
    "metadata_sha256": "SHA-256 over the root attributes, created_utc among them",
}
EXCLUDED_DATASET_VALUES = {
    ("summary.h5", "/summary/seconds"): "each run's wall time (a study's summary.h5, a "
                                        "script's <script>_summary.h5)",
}


# --------------------------------------------------------------------------------- record


@dataclass
class Job:
    """One output of the recording: commands run in order (``interrupt``: the first is
    stopped with SIGINT once its run has a checkpoint after step 0)."""

    name: str
    commands: list[list[str]]
    outputs: list[str]            # what it must write (globs)
    interrupt: str | None = None  # the run file whose parts folder is watched
    prepare: object = None        # callable run before the commands
    seconds: float = 0.0
    returncodes: list[int] = field(default_factory=list)
    error: str = ""


def _abm(*args: str) -> list[str]:
    return [sys.executable, "-m", "abm", *args]


def _has_thin_agents(root: Path, env: dict) -> bool:
    text = subprocess.run(_abm("params"), cwd=root, env=env, capture_output=True, text=True,
                          check=True).stdout
    return re.search(r"^\s*thin_agents\s*=", text, re.M) is not None


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def _to_toml(data: dict) -> str:
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items()
             if not isinstance(v, dict)]
    for section, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{_toml_key(section)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != data:
        raise RuntimeError("the study file did not survive being rewritten as TOML")
    return text


def _study_inputs(root: Path, out: Path, study: str, quick: bool) -> Path:
    """Copy the study file (and its base scenario) into ``out/_inputs`` so that the sweep
    writes to ``out/<study>``; returns the copied study file."""
    source = root / "scenarios" / f"{study}.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    scenario = source.parent / data["study"]["scenario"]
    inputs = out / "_inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scenario, inputs / scenario.name)
    data["study"]["scenario"] = scenario.name
    data["study"]["out"] = f"../{study}"
    if quick:
        overrides = [o for o in data["study"].get("overrides", [])
                     if not o.replace(" ", "").startswith("run.days=")]
        data["study"]["overrides"] = [f"run.days={QUICK_STUDY_DAYS}", *overrides]
    path = inputs / source.name
    path.write_text(_to_toml(data), encoding="utf-8")
    return path


def plan(root: Path, out: Path, quick: bool, jobs: int, thin_agents: bool) -> list[Job]:
    """Every job of a recording, in the order they start."""
    plan: list[Job] = []
    for name in RUN_SCENARIOS:
        days = ["--days", f"{QUICK_RUN_DAYS[name]:g}"] if quick else []
        toml = f"scenarios/{name}.toml"
        for seed in SEEDS:
            target = out / "runs" / f"{name}_s{seed}.h5"
            plan.append(Job(f"run_{name}_s{seed}", [_abm(
                "run", toml, "--seed", str(seed), "--out", str(target), "--no-progress", *days)],
                [str(target)]))
        if thin_agents:
            target = out / "runs" / f"{name}_s1_thin_agents_off.h5"
            plan.append(Job(f"run_{name}_s1_thin_agents_off", [_abm(
                "run", toml, "--seed", "1", "--set", "run.thin_agents=false",
                "--out", str(target), "--no-progress", *days)], [str(target)]))
        target = out / "runs" / f"{name}_s1_resumed.h5"
        resume_days = ["--days", f"{QUICK_RESUME_DAYS[name]:g}"] if quick else []
        plan.append(Job(f"run_{name}_s1_resumed", [
            _abm("run", toml, "--seed", "1", "--out", str(target), "--no-progress", *resume_days),
            _abm("resume", str(target), "--no-progress")], [str(target)], interrupt=str(target)))
    for name in ARM_SCRIPTS:
        days = ["--days", f"{QUICK_SCRIPT_DAYS[name]:g}"] if quick else []
        target = out / "scripts" / f"{name}.h5"
        plan.append(Job(f"script_{name}", [[
            sys.executable, f"scenarios/{name}.py", "--seeds", "1", "--out", str(target), *days]],
            [str(target.with_name(f"{name}_*.h5"))]))
    target = out / "scripts" / f"{CULTURE_SCRIPT}.h5"
    hours = ["--hours", f"{QUICK_HOURS:g}"] if quick else []
    plan.append(Job(f"script_{CULTURE_SCRIPT}", [[
        sys.executable, f"scenarios/{CULTURE_SCRIPT}.py", "--seeds", str(CULTURE_SEED),
        "--out", str(target), *hours]], [str(target)]))
    for study in STUDIES:
        study_file = out / "_inputs" / f"{study}.toml"
        plan.append(Job(f"sweep_{study}", [_abm(
            "sweep", str(study_file), "--workers", str(jobs), "--no-progress")],
            [str(out / study / "runs" / "run_*.h5"), str(out / study / "summary.h5")],
            prepare=lambda s=study: _study_inputs(root, out, s, quick)))
    return plan


def _run_interrupted(command: list[str], run_file: Path, cwd: Path, env: dict, log) -> int:
    """Run ``command`` and send it SIGINT once ``run_file``'s parts folder holds a checkpoint
    that replaced the first one (written at step 0)."""
    checkpoint = run_file.with_name(run_file.name + ".parts") / "checkpoint.h5"
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    first = None
    while proc.poll() is None:
        try:
            inode = checkpoint.stat().st_ino
        except FileNotFoundError:
            inode = None
        if inode is not None and first is None:
            first = inode
        elif inode is not None and inode != first:
            proc.send_signal(signal.SIGINT)
            log.write(f"[output_identity] SIGINT sent after the checkpoint was replaced "
                      f"({_checkpoint_time(checkpoint)})\n".encode())
            log.flush()
            break
        time.sleep(POLL_S)
    return proc.wait()


def _checkpoint_time(path: Path) -> str:
    """The simulated time of the checkpoint file at ``path``, for the log (best effort: its
    layout is the package's business)."""
    found = []
    try:
        with h5py.File(path, "r", locking=False) as f:
            f.visititems(lambda name, obj: found.append(obj.attrs["time_min"])
                         if "time_min" in obj.attrs else None)
            if "time_min" in f.attrs:
                found.append(f.attrs["time_min"])
    except Exception as exc:  # noqa: BLE001
        return f"checkpoint not read: {type(exc).__name__}"
    return f"checkpoint at t = {float(found[0]):g} min" if found else "checkpoint time unknown"


def _execute(job: Job, root: Path, out: Path, env: dict, say) -> Job:
    start = time.perf_counter()
    log_path = out / "logs" / f"{job.name}.log"
    try:
        if job.prepare is not None:
            job.prepare()
        with open(log_path, "ab") as log:
            for i, command in enumerate(job.commands):
                shown = " ".join(_shown(c, out) for c in command)
                log.write(f"[output_identity] $ {shown}\n".encode())
                log.flush()
                if job.interrupt is not None and i == 0:
                    rc = _run_interrupted(command, Path(job.interrupt), root, env, log)
                    job.returncodes.append(rc)
                    if rc != 130:
                        job.error = (f"the run to interrupt exited with {rc}, not 130 "
                                     "(interrupted): it was not interrupted as planned")
                        break
                    continue
                rc = subprocess.run(command, cwd=root, env=env, stdout=log,
                                    stderr=subprocess.STDOUT).returncode
                job.returncodes.append(rc)
                if rc != 0:
                    job.error = f"exit status {rc}: {shown}"
                    break
        missing = [_shown(o, out) for o in job.outputs
                   if not any(Path(o).parent.glob(Path(o).name))]
        if missing and not job.error:
            job.error = f"no output {', '.join(missing)}"
    except Exception as exc:  # noqa: BLE001 - reported with the job, the others go on
        job.error = f"{type(exc).__name__}: {exc}"
    job.seconds = time.perf_counter() - start
    say(f"{'FAILED' if job.error else 'done  '} {job.name:<40} {job.seconds:8.1f} s"
        + (f"  {job.error} (log: {log_path})" if job.error else ""))
    return job


def _shown(text: str, out: Path) -> str:
    text = text.replace(str(out), "<OUTDIR>")
    return "python" if text == sys.executable else text


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def record(out: Path, quick: bool, jobs: int) -> int:
    root = Path.cwd().resolve()
    out = out.resolve()
    if out.exists() and any(out.iterdir()):
        print(f"{out} exists and is not empty: record into a new folder", file=sys.stderr)
        return 2
    import abm
    import intracellular

    package_root = Path(abm.__file__).resolve().parents[1]
    print(f"abm: {abm.__file__}")
    print(f"intracellular: {intracellular.__file__}")
    if Path(intracellular.__file__).resolve().parents[1] != package_root:
        print("warning: abm and intracellular come from different folders", file=sys.stderr)
    if package_root != root:
        print(f"warning: scenarios come from {root}, the package from {package_root}",
              file=sys.stderr)
    unknown = sorted(p.name for p in (root / "scenarios").iterdir()
                     if p.suffix in (".toml", ".py") and p.name not in NOT_RUN
                     and p.stem not in (*RUN_SCENARIOS, *ARM_SCRIPTS, CULTURE_SCRIPT, *STUDIES))
    if unknown:
        print(f"warning: scenarios/ holds files this harness does not run: {unknown}",
              file=sys.stderr)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(package_root), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
    env.setdefault("MPLBACKEND", "Agg")
    (out / "logs").mkdir(parents=True, exist_ok=True)
    for sub in ("runs", "scripts"):
        (out / sub).mkdir(exist_ok=True)
    thin = _has_thin_agents(root, env)
    if not thin:
        print("run.thin_agents is not a config key here: no thin_agents=false runs")
    todo = plan(root, out, quick, jobs, thin)
    print(f"recording {len(todo)} jobs ({'quick' if quick else 'full'}) into {out} with "
          f"{jobs} at a time")
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            print(line, flush=True)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(lambda j: _execute(j, root, out, env, say), todo))
    total = time.perf_counter() - start
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.h5") if p.is_file())
    leftovers = sorted(str(p.relative_to(out)) for p in out.rglob("*.parts"))
    failed = [j for j in done if j.error]
    modified = _git(root, "status", "--porcelain", "--", "abm", "intracellular", "scenarios",
                    "pyproject.toml")
    manifest = {
        "mode": "quick" if quick else "full", "jobs": jobs, "root": str(root),
        "abm": abm.__file__, "intracellular": intracellular.__file__,
        "git_head": _git(root, "rev-parse", "HEAD"), "code_modified": modified.splitlines(),
        "python": sys.version, "platform": platform.platform(),
        "numpy": np.__version__, "h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version,
        "seconds": round(total, 1),
        "commands": [{"job": j.name, "seconds": round(j.seconds, 1),
                      "returncodes": j.returncodes, "error": j.error,
                      "commands": [" ".join(_shown(c, out) for c in cmd) for cmd in j.commands]}
                     for j in done],
        "files": files, "leftover_parts": leftovers,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(files)} .h5 files in {out} after {total:.0f} s "
          f"({len(failed)} failed jobs{', code modified: ' + str(len(modified.splitlines())) + ' paths' if modified else ''})")
    if leftovers:
        print(f"left-over parts folders: {leftovers}", file=sys.stderr)
    return 1 if failed or leftovers else 0


# -------------------------------------------------------------------------------- compare


class Comparison:
    """The differences between two files, one line each."""

    def __init__(self, rel: str, roots_a: list[str], roots_b: list[str], strict: bool = False):
        self.rel = rel
        self.strict = strict
        self.roots = (roots_a, roots_b)
        self.lines: list[str] = []
        self.objects = 0
        self.attributes = 0
        self.excluded: dict[str, int] = {}

    def differ(self, path: str, what: str) -> None:
        self.lines.append(f"{self.rel}: {path}: {what}")

    def text(self, value: str | bytes, side: int) -> str | bytes:
        """``value`` with its side's output folder replaced by ``<OUTDIR>``."""
        for root in self.roots[side]:
            if isinstance(value, bytes):
                value = value.replace(root.encode(), b"<OUTDIR>")
            else:
                value = value.replace(root, "<OUTDIR>")
        return value


def _norm(value, side: int, cmp: Comparison, h5file: h5py.File):
    """A value read from a file, as something ``==`` compares exactly: arrays as (dtype,
    shape, raw bytes), strings with the output folder normalised, references by target."""
    if isinstance(value, h5py.Empty):
        return ("empty", str(value.dtype))
    if isinstance(value, h5py.RegionReference):
        return ("region", _target(value, h5file), _region(value, h5file))
    if isinstance(value, h5py.Reference):
        return ("ref", _target(value, h5file))
    if isinstance(value, (str, bytes)):
        return (type(value).__name__, cmp.text(value, side))
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            if value.dtype.names:
                return ("records", str(value.dtype), value.shape,
                        [tuple(_norm(r[n], side, cmp, h5file) for n in value.dtype.names)
                         for r in value.reshape(-1)])
            return ("objects", value.shape, [_norm(v, side, cmp, h5file) for v in value.reshape(-1)])
        if value.dtype.kind in "SU":
            return ("strings", str(value.dtype), value.shape,
                    [cmp.text(v, side) for v in value.reshape(-1).tolist()])
        return ("array", value.dtype.str, value.dtype.descr, value.shape, value.tobytes())
    if isinstance(value, np.void):
        if value.dtype.hasobject:
            return ("record", str(value.dtype),
                    tuple(_norm(value[n], side, cmp, h5file) for n in value.dtype.names))
        return ("void", str(value.dtype), value.tobytes())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.tobytes())
    if isinstance(value, (bool, int, float)):
        return (type(value).__name__, np.asarray(value).tobytes())
    if isinstance(value, (list, tuple)):
        return ("list", [_norm(v, side, cmp, h5file) for v in value])
    return ("repr", repr(value))


def _target(ref, h5file: h5py.File):
    if not ref:
        return None
    try:
        return h5file[ref].name
    except Exception:  # noqa: BLE001 - a dangling reference compares as such
        return "<dangling>"


def _region(ref, h5file: h5py.File):
    try:
        return h5py.h5r.get_region(ref, h5file[ref].id).encode()
    except Exception:  # noqa: BLE001
        return None


def _short(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _compare_attrs(oa, ob, path: str, cmp: Comparison, fa, fb) -> None:
    names_a, names_b = set(oa.attrs.keys()), set(ob.attrs.keys())
    for name in sorted(names_a ^ names_b):
        side = "A" if name in names_a else "B"
        if path == "/" and name in EXCLUDED_ROOT_ATTRS and not cmp.strict:
            cmp.excluded[f"attribute {name}"] = cmp.excluded.get(f"attribute {name}", 0) + 1
            continue
        cmp.differ(path, f"attribute {name!r} only in {side}")
    for name in sorted(names_a & names_b):
        if path == "/" and name in EXCLUDED_ROOT_ATTRS and not cmp.strict:
            cmp.excluded[f"attribute {name}"] = cmp.excluded.get(f"attribute {name}", 0) + 1
            continue
        cmp.attributes += 1
        ia, ib = oa.attrs.get_id(name), ob.attrs.get_id(name)
        if ia.get_type() != ib.get_type():
            cmp.differ(path, f"attribute {name!r}: type {ia.dtype} vs {ib.dtype} (HDF5 types differ)")
            continue
        if ia.shape != ib.shape:
            cmp.differ(path, f"attribute {name!r}: shape {ia.shape} vs {ib.shape}")
            continue
        try:
            va = oa.attrs[name]
        except Exception as exc:  # noqa: BLE001
            va = ("unreadable", type(exc).__name__)
        try:
            vb = ob.attrs[name]
        except Exception as exc:  # noqa: BLE001
            vb = ("unreadable", type(exc).__name__)
        if _norm(va, 0, cmp, fa) != _norm(vb, 1, cmp, fb):
            cmp.differ(path, f"attribute {name!r}: {_short(va)} vs {_short(vb)}")


def _storage(d: h5py.Dataset) -> dict:
    out = {k: getattr(d, k) for k in ("chunks", "compression", "compression_opts", "shuffle",
                                      "fletcher32", "scaleoffset", "maxshape")}
    try:
        fill = d.fillvalue
        out["fillvalue"] = (fill.tobytes() if isinstance(fill, (np.ndarray, np.generic))
                            else repr(fill))
    except Exception:  # noqa: BLE001 - e.g. variable-length types
        out["fillvalue"] = None
    return out


BLOCK_BYTES = 64 * 2**20


def _blocks(d: h5py.Dataset):
    """Slices along the first axis of about BLOCK_BYTES each."""
    if d.shape is None or len(d.shape) == 0:
        yield ()
        return
    row = max(1, int(np.prod(d.shape[1:], dtype=np.int64)) * d.dtype.itemsize)
    step = max(1, BLOCK_BYTES // row)
    for start in range(0, d.shape[0], step):
        yield slice(start, min(start + step, d.shape[0]))
    if d.shape[0] == 0:
        yield slice(0, 0)


def _describe_numeric(a: np.ndarray, b: np.ndarray, offset: int) -> str:
    """Where and by how much two same-shaped arrays of a fixed-size type differ."""
    flat_a = np.ascontiguousarray(a).reshape(-1)
    flat_b = np.ascontiguousarray(b).reshape(-1)
    unequal = (flat_a.view(np.uint8).reshape(flat_a.size, -1)
               != flat_b.view(np.uint8).reshape(flat_b.size, -1)).any(axis=1)
    bad = np.flatnonzero(unequal)
    detail = ""
    if a.dtype.names:
        detail = "fields " + ", ".join(n for n in a.dtype.names
                                       if flat_a[n].tobytes() != flat_b[n].tobytes())
    elif a.dtype.kind in "fc":
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(flat_a[bad].astype(np.complex128) - flat_b[bad].astype(np.complex128))
        finite = diff[np.isfinite(diff)]
        detail = (f"max |A-B| {finite.max():.3g}" if finite.size else "NaN/inf placement")
    if a.ndim == 0:
        return f"value {a.item()!r} vs {b.item()!r}" + (f"; {detail}" if detail else "")
    first = [int(i) for i in np.unravel_index(int(bad[0]), a.shape)]
    first[0] += offset
    return (f"{bad.size} element(s) differ in rows {offset}..{offset + a.shape[0] - 1}, first at "
            f"{tuple(first)}: {_short(flat_a[bad[0]], 60)} vs {_short(flat_b[bad[0]], 60)}"
            + (f"; {detail}" if detail else ""))


def _compare_dataset(da: h5py.Dataset, db: h5py.Dataset, path: str, cmp: Comparison,
                     fa, fb) -> None:
    if da.id.get_type() != db.id.get_type():
        cmp.differ(path, f"type {da.dtype} vs {db.dtype} (HDF5 types differ)")
        return
    if da.shape != db.shape:
        cmp.differ(path, f"shape {da.shape} vs {db.shape}")
        return
    sa, sb = _storage(da), _storage(db)
    for key in sa:
        if sa[key] != sb[key]:
            cmp.differ(path, f"storage {key}: {sa[key]!r} vs {sb[key]!r}")
    excluded = next((why for (suffix, name), why in EXCLUDED_DATASET_VALUES.items()
                     if Path(cmp.rel).name.endswith(suffix) and name == path), None)
    if excluded and not cmp.strict:
        cmp.excluded[f"values of {path}"] = cmp.excluded.get(f"values of {path}", 0) + 1
        return
    if da.shape is None:  # null dataspace: no values
        return
    for block in _blocks(da):
        va, vb = da[block], db[block]
        offset = block.start if isinstance(block, slice) else 0
        if isinstance(va, np.ndarray) and not va.dtype.hasobject:
            if va.tobytes() != vb.tobytes():
                cmp.differ(path, _describe_numeric(np.asarray(va), np.asarray(vb), offset))
                return
            continue
        na, nb = _norm(va, 0, cmp, fa), _norm(vb, 1, cmp, fb)
        if na != nb:
            if isinstance(va, np.ndarray):
                flat_a, flat_b = va.reshape(-1), vb.reshape(-1)
                bad = [i for i in range(flat_a.size)
                       if _norm(flat_a[i], 0, cmp, fa) != _norm(flat_b[i], 1, cmp, fb)]
                first = (np.unravel_index(bad[0], va.shape) if bad else ())
                first = tuple(int(i) for i in first)
                if first:
                    first = (first[0] + offset, *first[1:])
                rows = (f"rows {offset}..{offset + va.shape[0] - 1}" if va.ndim else "value")
                cmp.differ(path, f"{len(bad)} element(s) differ in {rows}, first at "
                                 f"{first}: {_short(flat_a[bad[0]] if bad else None, 60)} vs "
                                 f"{_short(flat_b[bad[0]] if bad else None, 60)}")
            else:
                cmp.differ(path, f"value {_short(va)} vs {_short(vb)}")
            return


def _kind(obj) -> str:
    if isinstance(obj, h5py.Dataset):
        return "dataset"
    if isinstance(obj, h5py.Group):
        return "group"
    if isinstance(obj, h5py.Datatype):
        return "datatype"
    return type(obj).__name__


def _walk(ga: h5py.Group, gb: h5py.Group, path: str, cmp: Comparison, fa, fb) -> None:
    cmp.objects += 1
    _compare_attrs(ga, gb, path, cmp, fa, fb)
    names_a, names_b = set(ga.keys()), set(gb.keys())
    for name in sorted(names_a ^ names_b):
        cmp.differ(f"{path.rstrip('/')}/{name}", f"only in {'A' if name in names_a else 'B'}")
    for name in sorted(names_a & names_b):
        child = f"{path.rstrip('/')}/{name}"
        la, lb = ga.get(name, getlink=True), gb.get(name, getlink=True)
        if type(la) is not type(lb):
            cmp.differ(child, f"link {type(la).__name__} vs {type(lb).__name__}")
            continue
        if isinstance(la, h5py.SoftLink):
            if la.path != lb.path:
                cmp.differ(child, f"soft link to {la.path!r} vs {lb.path!r}")
            continue
        if isinstance(la, h5py.ExternalLink):
            if (la.filename, la.path) != (lb.filename, lb.path):
                cmp.differ(child, f"external link to {la.filename}:{la.path} vs "
                                  f"{lb.filename}:{lb.path}")
            continue
        oa, ob = ga[name], gb[name]
        if _kind(oa) != _kind(ob):
            cmp.differ(child, f"{_kind(oa)} vs {_kind(ob)}")
            continue
        if isinstance(oa, h5py.Group):
            _walk(oa, ob, child, cmp, fa, fb)
        else:
            cmp.objects += 1
            _compare_attrs(oa, ob, child, cmp, fa, fb)
            if isinstance(oa, h5py.Dataset):
                _compare_dataset(oa, ob, child, cmp, fa, fb)
            elif oa.id != ob.id and not oa.id.equal(ob.id):
                cmp.differ(child, "committed datatypes differ")


def _roots(folder: Path) -> list[str]:
    forms = {str(folder.absolute()), str(folder.resolve())}
    return sorted(forms, key=len, reverse=True)  # the longest first


def compare(a: Path, b: Path, strict: bool = False) -> int:
    if not a.is_dir() or not b.is_dir():
        print(f"both must be folders: {a}, {b}", file=sys.stderr)
        return 2
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*.h5") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*.h5") if p.is_file()}
    lines: list[str] = []
    for rel in sorted(files_a - files_b):
        lines.append(f"{rel}: file only in A")
    for rel in sorted(files_b - files_a):
        lines.append(f"{rel}: file only in B")
    objects = attributes = 0
    excluded: dict[str, int] = {}
    for rel in sorted(files_a & files_b):
        cmp = Comparison(rel, _roots(a), _roots(b), strict)
        try:
            with h5py.File(a / rel, "r", locking=False) as fa, \
                    h5py.File(b / rel, "r", locking=False) as fb:
                _walk(fa, fb, "/", cmp, fa, fb)
        except OSError as exc:
            cmp.differ("/", f"cannot be read: {exc}")
        lines += cmp.lines
        objects += cmp.objects
        attributes += cmp.attributes
        for key, n in cmp.excluded.items():
            excluded[key] = excluded.get(key, 0) + n
        print(f"{'differs ' if cmp.lines else 'same    '} {rel}", file=sys.stderr, flush=True)
    for line in lines:
        print(line)
    files = len(files_a | files_b)
    skipped = ", ".join(f"{k} ({n} files)" for k, n in sorted(excluded.items())) or "nothing"
    print(f"{'IDENTICAL' if not lines else 'DIFFERENT'}: {files} files, {objects} objects, "
          f"{attributes} attributes compared; {len(lines)} differences; excluded: {skipped}")
    return 1 if lines else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run every scenario with fixed seeds into OUTDIR")
    rec.add_argument("outdir", type=Path)
    rec.add_argument("--quick", action="store_true", help="short runs (a few minutes in all)")
    rec.add_argument("--jobs", type=int, default=1, help="commands run at once (default 1)")
    cmp = sub.add_parser("compare", help="compare every .h5 of two recordings")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    cmp.add_argument("--strict", action="store_true",
                     help="exclude nothing (shows what differs between two runs of one code)")
    args = parser.parse_args(argv)
    if args.command == "record":
        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        return record(args.outdir, args.quick, args.jobs)
    return compare(args.a, args.b, args.strict)


if __name__ == "__main__":
    sys.exit(main())
