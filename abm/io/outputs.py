"""Output files: never overwrite unless asked, never replace what abm did not write, never
leave a partial file.

Every command that writes checks its outputs first (:func:`check_output`), before any work is
done, and writes each file complete or not at all (:func:`write_atomically`): a temporary file
in the same directory, renamed over the target only when it is complete, removed on any
failure (a full disk included).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from abm.errors import OutputError
from abm.io.atomic import write_atomic

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""The first bytes of an HDF5 superblock (at offset 0, or 512, 1024, … after a user block)."""


def is_run_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an HDF5 file that abm may replace: it opens and has the root
    attribute ``schema_version`` of a run file, or it has the HDF5 signature but does not open
    (a run file whose writer was killed). Other HDF5 files (someone's data) are not."""
    if not _has_hdf5_signature(path):
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return "schema_version" in f.attrs
    except Exception:  # noqa: BLE001 - h5py raises several types for a damaged file
        return True


def may_replace_run_file(path: str | os.PathLike) -> bool:
    """Whether ``--overwrite`` may replace ``path`` with a run file: it is one
    (:func:`is_run_file`), or it is empty (nothing to lose: a writer killed right after it
    created the file)."""
    try:
        return Path(path).stat().st_size == 0 or is_run_file(path)
    except OSError:
        return False


def _has_hdf5_signature(path) -> bool:
    try:
        with open(path, "rb") as f:
            offset = 0
            while True:
                f.seek(offset)
                head = f.read(len(HDF5_SIGNATURE))
                if head == HDF5_SIGNATURE:
                    return True
                if len(head) < len(HDF5_SIGNATURE):
                    return False
                offset = 512 if offset == 0 else 2 * offset
    except OSError:
        return False


def check_output(path: str | os.PathLike, *, overwrite: bool, what: str,
                 replaceable: Callable[[Path], bool] | None = None) -> None:
    """Raise OutputError if abm may not write ``path`` (``what`` names it in the message):
    it is a directory; its folder is a file; it exists and ``overwrite`` is false; or it exists
    and ``replaceable(path)`` says it is not a file abm wrote (refused even with overwrite)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise OutputError(f"{what} {str(path)!r} is a directory; give a file name inside it")
        parent = next((p for p in path.parents if p.exists()), Path("."))
        if not parent.is_dir():
            raise OutputError(f"{what} {str(path)!r}: {str(parent)!r} is a file, not a folder")
        if not path.exists() and not path.is_symlink():
            return
    except OSError as exc:  # e.g. a name too long for the file system
        raise OutputError(f"{what} {str(path)!r}: not a usable path ({exc.strerror or exc})") \
            from None
    if replaceable is not None and not replaceable(path):
        raise OutputError(f"{what} {str(path)!r} exists and is not a file abm wrote; abm never "
                          "replaces it (not even with --overwrite): choose another path")
    if not overwrite:
        raise OutputError(f"{what} {str(path)!r} exists; pass --overwrite to replace it "
                          "(overwrite=True in Python), or choose another path")


def write_atomically(out_path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` with a temporary path next to ``out_path`` (same suffix), then
    rename it to ``out_path`` and return that; on any failure (a full disk included) the
    temporary file is removed and the error re-raised, so no partial file is ever left."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(out_path, write, durable=False)
