"""Datasets of a run: growable 1-D columns (cells/, timeseries/, events/, time axes) and
[frame, y, x] fields, each with HDF5's fletcher32 checksum on every chunk.

The same two constructors make the datasets of the head, of every segment and of the
assembled run file (abm.io.parts), so a field frame's stored chunk (filters and checksum
included) can be copied from a segment into the run file byte for byte.
"""
from __future__ import annotations

import h5py
import numpy as np

from abm.io.schema import CHUNK_BYTES


def _filters(compression: int, shuffle: bool = True) -> dict:
    """gzip (level ``compression``, 0: none) with byte shuffle, and always fletcher32."""
    if compression:
        return dict(compression="gzip", compression_opts=compression, shuffle=shuffle, fletcher32=True)
    return dict(fletcher32=True)


def create_column(group: h5py.Group, name: str, dtype, *, rows: int = 0, compression: int = 0) -> h5py.Dataset:
    """Create a resizable 1-D dataset ``group/name`` of ``rows`` rows, in chunks of CHUNK_BYTES
    (or one chunk of ``rows`` rows if that is smaller: HDF5 allocates whole chunks, and an
    uncompressed segment column must not take 32 KiB for a few rows).

    ``dtype`` may be an h5py string dtype (fixed-length UTF-8 event columns).
    """
    dtype = np.dtype(dtype)
    chunk = max(1, CHUNK_BYTES // max(1, dtype.itemsize))
    chunk = min(chunk, rows) if rows else chunk
    return group.create_dataset(name, shape=(rows,), maxshape=(None,), dtype=dtype,
                                chunks=(chunk,), **_filters(compression, dtype.itemsize > 1))


def create_field(group: h5py.Group, name: str, shape: tuple[int, int], *, frames: int = 0,
                 compression: int = 0) -> h5py.Dataset:
    """Create a resizable float32 field ``group/name`` [frame, y, x], one chunk per frame."""
    return group.create_dataset(name, shape=(frames, *shape), maxshape=(None, *shape), dtype=np.float32,
                                chunks=(1, *shape), **_filters(compression))


def append_rows(dset: h5py.Dataset, values: np.ndarray) -> None:
    """Append ``values`` along axis 0 of ``dset`` (1-D columns or [frame, y, x] fields)."""
    n = dset.shape[0]
    dset.resize(n + len(values), axis=0)
    dset[n:] = values


def utf8_dtype(values: np.ndarray) -> np.dtype:
    """The fixed-length UTF-8 string dtype that holds every str of ``values`` (≥ 1 byte)."""
    longest = max((len(v.encode()) for v in values.tolist()), default=1)
    return h5py.string_dtype("utf-8", max(1, longest))


def encode_utf8(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``values`` (numpy str) as the fixed-length UTF-8 bytes of ``dtype``."""
    return np.array([v.encode() for v in values.tolist()], dtype=dtype)
