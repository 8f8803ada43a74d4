"""The export folder: the mark that says abm exported into it, and nothing new left behind by
an export that fails.

An export's ``units.json`` holds ``"written_by": "abm export"`` (:data:`MARKER`): a folder
whose ``units.json`` holds it is *marked*, and ``--overwrite`` replaces files only in a marked
folder, never a file of the same name in someone else's folder (as ``abm run`` never replaces
an HDF5 file that is not a run file). The mark is written before the first data file, so the
folder of an export killed half-way is marked too and a retry with ``--overwrite`` can
replace what it left.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER_KEY = "written_by"
MARKER = "abm export"
"""``units.json[MARKER_KEY]`` of every export: how a later export knows the folder is one."""


def is_export_folder(folder: Path, units_file: str) -> bool:
    """Whether ``folder/units_file`` is the units sidecar of an abm export (a JSON object
    with ``MARKER_KEY: MARKER``); False if it is absent, unreadable or anything else."""
    try:
        units = json.loads((Path(folder) / units_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(units, dict) and units.get(MARKER_KEY) == MARKER


@contextmanager
def undone_on_failure(files: tuple[Path, ...]) -> Iterator[None]:
    """Run the body; if it raises anything (Ctrl-C included), remove each of ``files`` that
    did not exist before, and the folders made for them if left empty, then re-raise.

    Files that existed before (replaced with ``--overwrite``) are not restored: each is
    either still the old file or already the complete new one.
    """
    new_files = [p for p in files if not (p.exists() or p.is_symlink())]
    new_dirs = []
    for folder in dict.fromkeys(p.parent for p in files):
        for parent in (folder, *folder.parents):
            if parent.exists():
                break
            new_dirs.append(parent)
    try:
        yield
    except BaseException:
        for path in new_files:
            path.unlink(missing_ok=True)
        # deepest first; a folder someone filled meanwhile stays (rmdir refuses it)
        for folder in sorted(set(new_dirs), key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
