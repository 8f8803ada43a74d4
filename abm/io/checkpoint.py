"""The ``checkpoint`` group: the last full model state of a run, for restart.

The state is a (nested) dict of named numpy arrays and scalars (bool, int, float, str,
bytes, None). Each entry is one dataset with an attribute ``kind`` that says how to give
it back, so that a read returns values equal to and of the same type as those written.
Next to the state, the group records how many frames, time-series rows and event rows
(and, in a run's ``.parts`` directory, how many segments) existed when it was taken; resuming
drops what came after. A run keeps its checkpoint in its own file (``.parts/checkpoint.h5``,
replaced atomically); the finished run file holds the last one as the group ``checkpoint``.
The state's SHA-256 is stored beside it and checked on every read.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np

from abm.io.parts import CHECKPOINT_FILE, parts_dir, write_atomic
from abm.io.schema import (
    CHECKPOINT, CHECKPOINT_NEXT, NoCheckpointError, RunFileError, check_name, create_part, current_layout, from_attr,
    open_h5,
)

STATE_DIGEST = "state_sha256"
"""Checkpoint attribute: SHA-256 of the whole state (:func:`state_digest`), checked on reading."""

# Integer and bool arrays at least this big are gzip-compressed; smaller ones are not worth
# a filter. Float arrays are stored as they are (fletcher32 still): a checkpoint is written
# once a simulated day and read only to resume, and gzip bought little for much time there.
# Measured on the 1M-cell case (2000² sites; CPU seconds of one checkpoint at level 4):
# the 24 state columns (190 MB) compress to 0.64 of their size, the five float64 fields to
# 0.53-0.81, the float cell columns to 0.56-0.85, for ~4.5 of the checkpoint's ~7 s; the
# lattice maps and id columns compress to 0.00-0.02 in 0.02-0.04 s each. Raw floats make
# that checkpoint 489 instead of 282 MB (benchmarks/bench_immune.py; docs/storage.md).
_COMPRESS_BYTES = 1 << 16
_COMPRESS_KINDS = "biu"


def _encode(name: str, value) -> tuple[str, object]:
    """Return (kind, data to store) for one state entry, or raise TypeError naming it."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return "array", value
    if isinstance(value, (bool, np.bool_)):
        return "bool", np.bool_(value)
    if isinstance(value, (int, np.integer)):
        # Python ints beyond int64 (e.g. a PCG64 bit-generator state) are kept as decimal text.
        return "int", np.int64(value) if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, (float, np.floating)):
        return "float", np.float64(value)
    if isinstance(value, str):
        return "str", value
    if isinstance(value, bytes):
        return "bytes", np.void(value)
    if value is None:
        return "none", h5py.Empty("i1")
    raise TypeError(
        f"checkpoint entry {name!r}: cannot store {type(value).__name__} "
        "(allowed: numeric/bool numpy array, bool, int, float, str, bytes, None, dict of these)"
    )


def _text(raw) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


_DECODE = {
    "array": lambda d: d[...],
    "bool": lambda d: bool(d[()]),
    "int": lambda d: int(_text(d[()])) if d.dtype.kind in "OS" else int(d[()]),
    "float": lambda d: float(d[()]),
    "str": lambda d: _text(d[()]),
    "bytes": lambda d: d[()].tobytes(),
    "none": lambda d: None,
}


def _encode_tree(state: dict, path: str) -> dict:
    out = {}
    for name, value in state.items():
        check_name(f"checkpoint entry in {path or '/'!r}:", name)
        out[name] = _encode_tree(value, f"{path}{name}/") if isinstance(value, dict) else _encode(path + name, value)
    return out


def _write_tree(group: h5py.Group, encoded: dict, compression: int) -> None:
    for name, item in encoded.items():
        if isinstance(item, dict):
            _write_tree(group.create_group(name), item, compression)
            continue
        kind, data = item
        # Arrays carry fletcher32 (it needs chunks); the state digest covers the scalars too.
        filters = {}
        if kind == "array" and data.size:
            filters = dict(chunks=True, fletcher32=True)
            compress = data.nbytes >= _COMPRESS_BYTES and data.dtype.kind in _COMPRESS_KINDS
            if compress and compression:
                filters.update(compression="gzip", compression_opts=compression, shuffle=True)
        group.create_dataset(name, data=data, **filters).attrs["kind"] = kind


def _digest_tree(hasher, encoded: dict, prefix: str = "") -> None:
    """Feed the encoded state (names, kinds, dtypes, shapes and bytes) to ``hasher``."""
    for name in sorted(encoded):
        item = encoded[name]
        if isinstance(item, dict):
            _digest_tree(hasher, item, f"{prefix}{name}/")
            continue
        kind, data = item
        if kind == "none":
            data = b""
        raw = np.asarray(data.encode() if isinstance(data, str) else data)
        hasher.update(f"{prefix}{name}|{kind}|{raw.dtype.str}|{raw.shape}|".encode())
        # the array's own buffer, in C order (copied only if it is not C-contiguous): the
        # same bytes as raw.tobytes(), without a copy of the cell state at every checkpoint
        # (~200 MB at 1M cells: it set the run's peak memory)
        hasher.update(np.ascontiguousarray(raw))


def state_digest(encoded: dict) -> str:
    """SHA-256 (hex) of an encoded state tree (see :func:`_encode_tree`)."""
    hasher = hashlib.sha256()
    _digest_tree(hasher, encoded)
    return hasher.hexdigest()


def _stored_tree(group: h5py.Group) -> dict:
    """The encoded tree as stored in ``group`` (kind, raw data), for the digest."""
    out = {}
    for name, obj in group.items():
        if isinstance(obj, h5py.Group):
            out[name] = _stored_tree(obj)
        elif obj.attrs["kind"] == "str":
            out[name] = ("str", _text(obj[()]))
        elif obj.attrs["kind"] == "none":
            out[name] = ("none", None)
        elif obj.attrs["kind"] == "int" and obj.dtype.kind in "OS":
            out[name] = ("int", _text(obj[()]))
        else:
            out[name] = (obj.attrs["kind"], obj[()])
    return out


def read_state(group: h5py.Group) -> dict:
    """Return the dict stored by :func:`write_checkpoint_file` (checked against its digest
    when the checkpoint has one; RunFileError if it does not match)."""
    stored = group.parent.attrs.get(STATE_DIGEST) if group.parent is not None else None
    try:
        matches = stored is None or from_attr(stored) == state_digest(_stored_tree(group))
        state = _read_tree(group)
    except OSError as err:  # a chunk whose fletcher32 fails
        raise RunFileError(f"{group.file.filename}: damaged checkpoint ({err})") from None
    if not matches:
        raise RunFileError(f"{group.file.filename}: damaged checkpoint: its state does not match "
                           "its checksum (a bit changed after it was written)")
    return state


def _read_tree(group: h5py.Group) -> dict:
    return {
        name: _read_tree(obj) if isinstance(obj, h5py.Group) else _DECODE[obj.attrs["kind"]](obj)
        for name, obj in group.items()
    }


def write_checkpoint_file(path: Path, state: dict, counts: dict, compression: int) -> None:
    """Write ``state`` with ``counts`` (attributes) as the checkpoint file ``path``, atomically.

    ``counts``: ``time_min``, ``n_frames``, ``n_timeseries``, ``event_rows`` ({table: rows}),
    ``n_segments`` (the segments the state follows), ``config_sha256`` and, in runs with
    sites, ``sites`` ({site: the same three counts of the site}). The old file stays
    until the new one is complete (abm.io.parts.write_atomic). Raises TypeError naming an
    entry that cannot be stored, before anything is written.
    """
    encoded = _encode_tree(state, path="")

    def write(tmp: Path) -> None:
        with create_part(tmp) as h5file:
            group = h5file.create_group(CHECKPOINT)
            _write_tree(group.create_group("state"), encoded, compression)
            set_counts(group, counts)
            group.attrs[STATE_DIGEST] = state_digest(encoded)

    write_atomic(path, write)


def set_counts(group: h5py.Group, counts: dict) -> None:
    """Store ``counts`` as attributes of checkpoint ``group`` (dicts as JSON)."""
    for key, value in counts.items():
        group.attrs[key] = json.dumps(value) if isinstance(value, dict) else value


def find_checkpoint(root: h5py.Group) -> h5py.Group:
    """Return the last complete checkpoint group of ``root`` or raise NoCheckpointError."""
    if CHECKPOINT in root:
        return root[CHECKPOINT]
    # Files of the earlier store: a kill between removing the old checkpoint and renaming the
    # new one left only this.
    if CHECKPOINT_NEXT in root and root[CHECKPOINT_NEXT].attrs.get("complete", False):
        return root[CHECKPOINT_NEXT]
    raise NoCheckpointError(
        f"{root.file.filename}: no checkpoint to resume from "
        "(the run wrote none before it stopped; start it again instead)"
    )


def checkpoint_counts(group: h5py.Group) -> dict:
    """Return the lengths recorded with checkpoint ``group``: n_frames, n_timeseries, event_rows
    (and ``n_segments``, ``config_sha256`` and, in runs with sites, ``sites`` {name:
    {n_frames, n_timeseries, event_rows}} where the checkpoint has them)."""
    counts = {
        "time_min": float(group.attrs["time_min"]),
        "n_frames": int(group.attrs["n_frames"]),
        "n_timeseries": int(group.attrs["n_timeseries"]),
        "event_rows": json.loads(group.attrs["event_rows"]),
    }
    if "n_segments" in group.attrs:
        counts["n_segments"] = int(group.attrs["n_segments"])
    if "config_sha256" in group.attrs:
        counts["config_sha256"] = from_attr(group.attrs["config_sha256"])
    if "sites" in group.attrs:
        counts["sites"] = json.loads(group.attrs["sites"])
    return counts


def read_checkpoint(path: str | Path) -> dict:
    """Return the model state of the last checkpoint of the run at ``path`` (a run file, or
    a run still in its ``.parts`` directory)."""
    path = Path(path)
    checkpoint_file = parts_dir(path) / CHECKPOINT_FILE
    if not path.exists() and checkpoint_file.exists():
        path = checkpoint_file
    with open_h5(path, "r") as h5file:
        root = h5file if path == checkpoint_file else current_layout(h5file)
        return read_state(find_checkpoint(root)["state"])
