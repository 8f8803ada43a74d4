"""The study folder (``study.out``): who may write into it, and whether it holds this study.

Two guards keep a study's results from being mixed or raced:

- **A lock** (:func:`study_lock`): ``abm sweep`` holds an exclusive ``flock`` on
  ``<study dir>/.abm-study.lock`` for the whole sweep, and each ``abm run-design`` task a
  shared one, so a second sweep of the same folder (or a sweep beside running array tasks)
  is refused at once with the holder's PID instead of writing the same run files. The kernel
  drops a ``flock`` when its holder dies, even by ``kill -9``, so a killed sweep never leaves
  a stale lock behind (a PID written into the file is only a hint for the message).
- **An identity** (:func:`claim_study_dir`): ``study.json`` records hashes of what decides
  the runs' results (the run table with parameters and seeds, the resolved base scenario
  with the overrides, the metrics). A rerun into a folder that holds a different study
  (e.g. the study file was edited) is refused naming what changed, so stored rows are never
  mixed with rows of another design; a non-empty folder that holds no study is refused too,
  so a study never writes its files among someone else's.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from abm.io.atomic import write_atomic
from abm.schema import load_config, to_toml
from abm.study.design import run_table
from abm.study.spec import StudyError, StudySpec

LOCK_NAME = ".abm-study.lock"
MARKER_NAME = "study.json"
_NO_FLOCK = (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP)
"""Errors of a file system without ``flock`` (some NFS or Lustre mounts)."""

log = logging.getLogger("abm")


class StudyBusy(RuntimeError):
    """Another process holds the study folder's lock."""


@contextmanager
def study_lock(out_dir: Path, *, shared: bool = False):
    """Hold the study folder's lock (exclusive for a sweep, ``shared`` for one array task)
    until the block ends; :class:`StudyBusy` at once (never waits) if it is taken. Creates
    ``out_dir``. On a file system without ``flock`` it warns and goes on unlocked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StudyBusy(f"study folder {out_dir} is in use by {_holder(fd)}; wait for it "
                            "to finish (or stop it) and run this again") from None
        except OSError as exc:
            if exc.errno not in _NO_FLOCK:
                raise
            log.warning("abm: the file system of %s has no file locks; not guarding the study "
                        "against a second sweep", out_dir)
        if not shared:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    """Who holds the lock, as far as the PID hint in the file tells (sweeps write it)."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    if text.isdigit():
        try:
            os.kill(int(text), 0)
            return f"another abm sweep (PID {text})"
        except ProcessLookupError:
            pass
        except PermissionError:  # alive, owned by another user
            return f"another abm sweep (PID {text})"
    return "running abm run-design tasks"


def study_identity(spec: StudySpec) -> dict[str, object]:
    """What decides the study's stored rows: SHA-256 of the run table (parameters and
    seeds) and of the resolved base scenario with the overrides, and the metrics."""
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    base = load_config(spec.scenario, overrides=list(spec.overrides))
    return {"design": digest(run_table(spec).to_csv()), "scenario": digest(to_toml(base)),
            "metrics": list(spec.metrics), "metrics_module": spec.metrics_module}


def check_study_dir(spec: StudySpec) -> bool:
    """Whether ``spec.out_dir`` already is this study's folder (False: absent or empty, free
    to claim); :class:`StudyError` if it holds another study or other files. Writes nothing,
    so it runs before the lock file is made."""
    out = spec.out_dir
    marker = out / MARKER_NAME
    where = f"{spec.path.name}: study.out = {str(out)!r}"
    if marker.is_file():
        try:
            stored = json.loads(marker.read_text())
        except (ValueError, UnicodeDecodeError):
            raise StudyError(f"{where}: its {MARKER_NAME} is damaged; delete the folder to "
                             "start the study over, or choose another study.out") from None
        changed = [key for key, value in study_identity(spec).items()
                   if not isinstance(stored, dict) or stored.get(key) != value]
        if changed:
            raise StudyError(f"{where} holds the runs of a different study ({', '.join(changed)}"
                             " changed since they ran); choose another study.out, or delete "
                             "that folder to start over")
        return True
    if out.is_dir() and not (out / "runs").is_dir() and any(
            p.name != LOCK_NAME for p in out.iterdir()):
        raise StudyError(f"{where} is a folder that holds other files and no study; choose "
                         "a new or empty folder")
    return False


def claim_study_dir(spec: StudySpec) -> None:
    """Make ``spec.out_dir`` this study's folder (``runs/`` and ``study.json``), or check
    that it already is (:func:`check_study_dir`)."""
    if check_study_dir(spec):
        return
    out = spec.out_dir
    (out / "runs").mkdir(parents=True, exist_ok=True)  # first: marks the folder as a study's
    text = json.dumps(study_identity(spec), indent=1)
    # Array tasks may race here; they write the same text, each through its own temporary file.
    write_atomic(out / MARKER_NAME, lambda tmp: tmp.write_text(text), durable=False)
