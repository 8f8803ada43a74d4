"""Files that appear complete or not at all.

:func:`write_atomic` fills a temporary file beside the target and renames it over the target
only when it is complete (``os.replace`` is atomic on POSIX file systems); on any failure,
a full disk included, the temporary file is removed and the target is as it was. Used for
every file abm writes: the parts of a run (abm.io.parts), the finished run file, figures and
movies.
"""
from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Callable
from pathlib import Path

PARTIAL = ".partial"
"""Marks a temporary file (``.NAME.<8 hex digits>.partial.SUFFIX``): never a finished file."""


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None], *, durable: bool = True) -> Path:
    """Make ``path`` appear complete or not at all: ``write(tmp)`` fills a temporary file in
    the same folder (same suffix, so writers that infer the format from it work), which is
    renamed to ``path``. ``durable``: fsync the file before and the folder after the rename,
    so the file survives a crash of the machine too (the run store needs that; a figure does
    not). Returns ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}{PARTIAL}{path.suffix}")
    try:
        write(tmp)
        if durable:
            fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_path(path.parent)
    return path


def remove_partial(folder: str | os.PathLike, target: str | os.PathLike | None = None) -> None:
    """Remove the temporary files a killed :func:`write_atomic` left in ``folder`` (only
    those of ``target``, when given)."""
    folder = Path(folder)
    prefix, suffix = (".", "") if target is None else (f".{Path(target).stem}.", Path(target).suffix)
    for name in os.listdir(folder):
        if name.startswith(prefix) and PARTIAL in name and name.endswith(suffix):
            (folder / name).unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    """fsync a file or folder by path (folders: where the OS allows it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.EBADF):  # folders on some file systems
            raise
    finally:
        os.close(fd)
