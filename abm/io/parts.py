"""The ``RUN.h5.parts/`` directory: where a run lives until it is finished.

A run is committed as a sequence of immutable files, so that no byte a reader may already
rely on is ever written again (HDF5 rewrites its chunk indexes and object headers in place,
so a file that grows can tear when the writer is killed mid-flush):

``head.h5``
    an empty run file (root attributes, axes, static maps, the declared columns), written
    once when the run starts;
``seg_00000001.h5``, ``seg_00000002.h5``, …
    one file per commit (a frame, or the rows buffered before a checkpoint or the end): the
    new frames, cell rows, time-series rows and event rows, in the run file's own layout;
``checkpoint.h5``
    the last model state and the number of segments it follows;
``lock``
    held (``flock``) by the live writer, so a reader can tell ``running`` from
    ``interrupted`` and a second writer (``abm resume`` of a live run) is refused.

The folder itself is made under a temporary name (``.RUN.h5.<8 hex digits>.partial-parts``) and
renamed to ``RUN.h5.parts`` once the head is in it, so a run that exists has its head.

Every file is written under a temporary name, fsync'd, renamed into place and the directory
fsync'd (abm.io.atomic.write_atomic): a file with its final name is complete, whatever
happened after. A commit exists once its segment does. Segments are numbered without gaps; a reader
takes the run of consecutive segments from 1 (abm.io.assemble). When the run ends, the
head, the segments and the checkpoint are assembled into ``RUN.h5`` (written as a temporary
file and renamed, so ``RUN.h5`` exists only complete) and the directory is removed. So:

* ``RUN.h5`` exists → the run is complete (a leftover ``.parts`` beside it is the directory
  a kill stopped from being removed: it holds nothing more);
* only ``RUN.h5.parts`` exists → the run is running or was interrupted; ``abm.load_run``
  reads it, ``abm resume`` continues it.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no lock, so a reader cannot tell running from interrupted
    fcntl = None

from abm.io.atomic import fsync_path, write_atomic
from abm.io.schema import RunFileError

__all__ = ["write_atomic"]  # the store writes every part with it (abm.io.atomic)

SUFFIX = ".parts"
HEAD = "head.h5"
CHECKPOINT_FILE = "checkpoint.h5"
LOCK = "lock"
STAGING = ".partial-parts"
"""Suffix of the folder a new run's parts are made in until its head is written."""
_SEGMENT = re.compile(r"seg_(\d{8})\.h5")


def parts_dir(path: str | Path) -> Path:
    """The ``.parts`` directory of the run file ``path``."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def staging_dir(path: Path) -> Path:
    """A fresh temporary name beside ``path`` for its parts folder while the head is written."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{STAGING}")


def remove_staging(path: Path) -> None:
    """Remove the staging folders a writer of ``path`` killed while creating the run left."""
    for staging in path.parent.glob(f".{path.name}.*{STAGING}"):
        shutil.rmtree(staging, ignore_errors=True)


def publish_dir(staging: Path, parts: Path) -> None:
    """Rename the complete ``staging`` folder to ``parts`` and make the rename durable."""
    os.replace(staging, parts)
    fsync_path(parts.parent)


def no_such_run(path: Path) -> FileNotFoundError:
    """The error for a run that has neither its file nor its ``.parts`` folder."""
    return FileNotFoundError(f"{path}: no such run (neither the file nor {parts_dir(path).name} exists: "
                             "it was never started, or stopped before it committed anything)")


def segment_path(parts: Path, index: int) -> Path:
    """Path of segment ``index`` (1-based) in ``parts``."""
    return parts / f"seg_{index:08d}.h5"


def committed_segments(parts: Path) -> list[Path]:
    """The committed segments of ``parts`` in order: the consecutive run ``seg_1 … seg_k``.

    A segment past a gap is not part of the run (``abm resume`` removes a run's segments
    from the last downwards, so a kill there cannot leave one); temporary files never count.
    """
    numbers = sorted(int(m.group(1)) for m in map(_SEGMENT.fullmatch, os.listdir(parts)) if m)
    count = 0
    while count < len(numbers) and numbers[count] == count + 1:
        count += 1
    return [segment_path(parts, i) for i in range(1, count + 1)]


def remove_parts(parts: Path) -> None:
    """Remove the ``.parts`` directory of a run whose ``RUN.h5`` is written."""
    shutil.rmtree(parts, ignore_errors=True)


class WriterLock:
    """The exclusive lock of a run's live writer (``parts/lock``), held while it is open.

    The kernel drops it when the process dies, however it dies, so a lock that can be taken
    means no writer is alive.
    """

    def __init__(self, parts: Path):
        self.path = parts / LOCK
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(self._fd)
            os.close(self._fd)
            self._fd = None
            raise RunFileError(
                f"{parts}: the run is being written by another process"
                + (f" (pid {holder})" if holder else "") + "; wait for it to finish or stop it first"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def writer_alive(parts: Path) -> bool:
    """True while a writer holds the lock of ``parts`` (False where locks are unknown)."""
    if fcntl is None or not (parts / LOCK).exists():
        return False
    fd = os.open(parts / LOCK, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock if we took it
    return False


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
