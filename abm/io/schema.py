"""Names, versions and attribute rules of the run file (schema ``tumor-abm-run``).

One place says what a run file is: its group names, the schema version this package
writes, how Python values become HDF5 attributes, and how a reader finds out whether it
can read a file. Readers of older layouts plug in through :func:`register_converter`.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from abm.errors import RunFileError

SCHEMA = "tumor-abm-run"
SCHEMA_VERSION = 1
"""The layout version this package writes.

Bump it only for a change that an existing reader would misread or fail on: a group or
dataset renamed, moved or removed, a changed dtype, shape, unit or meaning of something
that exists. Additive changes keep the version, because readers look up what they need by
name and tolerate what they do not know: new fields, cell columns, reporters and event
tables (all added to version-1 files over time), and the static map ``fields/vessels``
[y, x] (its rank tells it apart from the [frame, y, x] fields; files without it fall back to
the oxygen field, see ``Run.vessels``). Readers must therefore not assume that a version-1
file has any field but ``oxygen``, any cell column but ``id``, ``x``, ``y``, ``kind``,
``phase``, ``oxygen``, any event table, or ``fields/vessels``; tests/test_reader.py reads
files written by old commits to keep this true. The group ``sites/`` (secondary sites, each
laid out like the root) is additive in the same way: it exists only in runs that have sites,
a reader that does not know it reads the root as before, and a reader that does treats a file
without it as a run without sites.
"""

FIELDS, CELLS, TIMESERIES, EVENTS = "fields", "cells", "timeseries", "events"
SITES = "sites"
"""Group of a run's secondary sites: ``sites/NAME`` is laid out like the root (fields, cells,
time series, events) with its own ``units`` and ``event_columns`` attributes. Absent in runs
without sites (every file before them)."""
CHECKPOINT = "checkpoint"
# Files written before the store of abm.io.parts kept a second checkpoint group here while
# replacing the first; readers of those files still look for it.
CHECKPOINT_NEXT = "checkpoint_next"

STATUS_RUNNING, STATUS_COMPLETE = "running", "complete"
STATUS_INTERRUPTED = "interrupted"
"""A run whose writer is gone (killed, or stopped by an error) before it finished: its
committed frames are readable and ``abm resume`` continues it. Never stored: a reader tells
it from ``running`` by the writer's lock (abm.io.parts)."""

METADATA_DIGEST = "metadata_sha256"
"""Root attribute: SHA-256 of every other root attribute (:func:`metadata_digest`), so that a
damaged attribute (a flipped bit in ``config_toml`` or ``seed``) is detected on opening.
Datasets carry HDF5's fletcher32 checksum per chunk instead. Older files have neither."""

# Bytes per chunk of the 1-D tables (cells, time series, events): a frame of 100k cells spans
# ~25 chunks per column (writes stay fast), while a small run's file stays small (HDF5
# allocates whole chunks: 64k-row chunks made a 48×40-site run 15 MB).
CHUNK_BYTES = 32 * 1024


class SchemaError(RunFileError):
    """The file is not a run file, or its schema version is one this package cannot read."""


class NoCheckpointError(LookupError):
    """A run was asked to resume but holds no complete checkpoint."""


def open_h5(path: str | Path, mode: str) -> h5py.File:
    """Open ``path`` without HDF5 file locks.

    Every file of a run is written once, under a temporary name, and renamed into place
    complete (abm.io.parts): a file a reader can see is never written again, so HDF5's locks
    would only refuse readers for nothing (e.g. on file systems without lock support). The
    one lock a run needs, "is a writer alive", is the ``.parts/lock`` file's.
    """
    return h5py.File(path, mode, locking=False)


def create_part(path: str | Path) -> h5py.File:
    """Create one of a run's internal files (a segment, the checkpoint) in the compact
    HDF5 1.10 format: a small segment takes a quarter of the bytes it takes in the oldest
    format. (The finished run file keeps the oldest format, which every HDF5 reads.) The
    file is complete before anyone can see it (abm.io.parts.write_atomic), so the newer
    format's "open for writing" flag never reaches a reader."""
    return h5py.File(path, "w", locking=False, libver="v110")


def to_attr(name: str, value):
    """Return ``value`` as something h5py stores as an attribute, or raise TypeError.

    str, bool, int, float, numpy scalars and numeric/str arrays are stored as they are;
    dicts are stored as JSON text. Anything else raises, naming the attribute, so that no
    metadata is silently lost.
    """
    if isinstance(value, (str, bool, int, float, np.generic)):
        return value
    if isinstance(value, dict):
        try:
            return json.dumps(value, sort_keys=True)
        except (TypeError, ValueError) as err:
            raise TypeError(f"attribute {name!r}: dict is not JSON-serialisable ({err})") from err
    if isinstance(value, (list, tuple, np.ndarray)):
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            return array
        if array.dtype.kind == "U":
            return array.astype(h5py.string_dtype())
    raise TypeError(
        f"attribute {name!r}: cannot store a value of type {type(value).__name__} "
        "(allowed: str, bool, int, float, numpy scalar, numeric or str array/list, JSON-able dict)"
    )


class StorageError(OSError):
    """The disk refused a write of a run (full, quota, read-only, I/O error). What was
    committed before is intact; the message says how to continue. (Raised without an errno:
    the message is the whole report.)"""


def metadata_digest(attrs) -> str:
    """SHA-256 (hex) of the root attributes ``attrs`` (a mapping), without METADATA_DIGEST.

    Values are hashed in a canonical text form (sorted names, numpy values as Python
    values), so the digest does not depend on attribute order or numpy scalar types.
    """
    canonical = []
    for name in sorted(attrs):
        if name == METADATA_DIGEST:
            continue
        value = attrs[name]
        value = value.tolist() if isinstance(value, np.ndarray) else from_attr(value)
        canonical.append([name, value])
    text = json.dumps(canonical, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_metadata(h5file: h5py.File) -> None:
    """Raise RunFileError if the root attributes of ``h5file`` do not match their digest."""
    stored = h5file.attrs.get(METADATA_DIGEST)
    if stored is not None and from_attr(stored) != metadata_digest(h5file.attrs):
        raise RunFileError(f"{h5file.filename}: damaged: the root attributes do not match their "
                           "checksum (a bit of the file changed after it was written)")


def from_attr(value):
    """Return an attribute as a plain Python value (numpy scalars become int/float/bool)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value


# version -> function(file) returning an object laid out like the current schema
# (for the current version, the file itself). A future version 2 reader adds the entry
# for 1 as a converter instead of the identity.
_CONVERTERS: dict[int, Callable[[h5py.File], h5py.Group]] = {SCHEMA_VERSION: lambda f: f}


def register_converter(version: int, converter: Callable[[h5py.File], h5py.Group]) -> None:
    """Let :func:`current_layout` read files of ``version`` through ``converter``."""
    _CONVERTERS[version] = converter


def current_layout(h5file: h5py.File) -> h5py.Group:
    """Check that ``h5file`` is a run file of a known version and return its current-layout view."""
    schema = from_attr(h5file.attrs.get("schema"))
    if schema != SCHEMA:
        raise SchemaError(f"{h5file.filename}: not a tumour run file (attribute schema={schema!r}, expected {SCHEMA!r})")
    version = from_attr(h5file.attrs.get("schema_version"))
    if version not in _CONVERTERS:
        raise SchemaError(
            f"{h5file.filename}: schema_version {version!r} is unknown to this abm "
            f"(it reads versions {sorted(_CONVERTERS)}); upgrade the abm package to read it"
        )
    return _CONVERTERS[version](h5file)


def check_name(what: str, name, reserved: tuple[str, ...] = ()) -> None:
    """Raise ValueError unless ``name`` can name an HDF5 object of kind ``what`` here."""
    if not isinstance(name, str) or not name or "/" in name or name == "." or name in reserved:
        raise ValueError(
            f"{what} name {name!r} is not allowed (use a non-empty str without '/'"
            + (f", other than {', '.join(reserved)})" if reserved else ")")
        )
