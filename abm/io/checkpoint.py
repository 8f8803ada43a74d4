"""The ``checkpoint`` group: the last full model state of a run, for restart.

The state is a (nested) dict of named numpy arrays and scalars (bool, int, float, str,
bytes, None). Each entry is one dataset with an attribute ``kind`` that says how to give
it back, so that a read returns values equal to and of the same type as those written.
Next to the state, the group records how many frames, time-series rows and event rows
existed when it was taken; resuming truncates the run to those lengths.
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from abm.io.schema import CHECKPOINT, CHECKPOINT_NEXT, NoCheckpointError, check_name, current_layout, open_h5

# Arrays at least this big are gzip-compressed; smaller ones are not worth a filter.
_COMPRESS_BYTES = 1 << 16


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
        big = kind == "array" and data.nbytes >= _COMPRESS_BYTES and compression
        filters = dict(compression="gzip", compression_opts=compression, shuffle=True) if big else {}
        group.create_dataset(name, data=data, **filters).attrs["kind"] = kind


def read_state(group: h5py.Group) -> dict:
    """Return the dict stored by :func:`write_state`."""
    return {
        name: read_state(obj) if isinstance(obj, h5py.Group) else _DECODE[obj.attrs["kind"]](obj)
        for name, obj in group.items()
    }


def save_checkpoint(root: h5py.Group, state: dict, counts: dict, compression: int, flush) -> None:
    """Replace the checkpoint of ``root`` by ``state`` with ``counts`` (attributes), kill-safely.

    The new checkpoint is written in full under CHECKPOINT_NEXT and flushed before the old
    one is removed, so a kill at any point leaves at least one complete checkpoint.
    ``counts`` holds ``time_min``, ``n_frames``, ``n_timeseries`` and ``event_rows``
    ({table: rows}).
    """
    encoded = _encode_tree(state, path="")
    if CHECKPOINT_NEXT in root:  # left by a kill while checkpointing; CHECKPOINT is intact
        del root[CHECKPOINT_NEXT]
    group = root.create_group(CHECKPOINT_NEXT)
    _write_tree(group.create_group("state"), encoded, compression)
    for key, value in counts.items():
        group.attrs[key] = json.dumps(value) if isinstance(value, dict) else value
    group.attrs["complete"] = True
    flush()
    if CHECKPOINT in root:
        del root[CHECKPOINT]
    root.move(CHECKPOINT_NEXT, CHECKPOINT)
    flush()


def find_checkpoint(root: h5py.Group) -> h5py.Group:
    """Return the last complete checkpoint group of ``root`` or raise NoCheckpointError."""
    if CHECKPOINT in root:
        return root[CHECKPOINT]
    # A kill between removing the old checkpoint and renaming the new one leaves only this.
    if CHECKPOINT_NEXT in root and root[CHECKPOINT_NEXT].attrs.get("complete", False):
        return root[CHECKPOINT_NEXT]
    raise NoCheckpointError(
        f"{root.file.filename}: no checkpoint to resume from "
        "(the run wrote none before it stopped; start it again instead)"
    )


def checkpoint_counts(group: h5py.Group) -> dict:
    """Return the lengths recorded with checkpoint ``group``: n_frames, n_timeseries, event_rows."""
    return {
        "time_min": float(group.attrs["time_min"]),
        "n_frames": int(group.attrs["n_frames"]),
        "n_timeseries": int(group.attrs["n_timeseries"]),
        "event_rows": json.loads(group.attrs["event_rows"]),
    }


def read_checkpoint(path: str | Path) -> dict:
    """Return the model state of the last checkpoint of the run file at ``path``."""
    with open_h5(path, "r") as h5file:
        return read_state(find_checkpoint(current_layout(h5file))["state"])
