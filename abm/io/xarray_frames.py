"""Lazy xarray access to a run's field frames (xarray is optional: imported on first use)."""
from __future__ import annotations

import functools

import h5py
import numpy as np


def xarray_module():
    """The xarray module, or None when it is not installed."""
    try:
        import xarray
    except ImportError:
        return None
    return xarray


def lazy_frames(run, name: str, dset: h5py.Dataset):
    """The first ``run.n_frames`` frames of field ``name`` of ``run`` (an
    :class:`abm.io.reader.Run`) as a lazily indexed xarray array."""
    from xarray.core import indexing

    return indexing.LazilyIndexedArray(_frames_backend_class()(run, name, dset))


@functools.cache
def _frames_backend_class():
    """An xarray BackendArray over an h5py field dataset (defined on first use: xarray is optional)."""
    from xarray.backends import BackendArray
    from xarray.core import indexing

    class FieldFrames(BackendArray):
        """Frames 0..n_frames-1 of a run's [frame, y, x] field; each access reads only its
        selection, through the Run (so it shares the Run's file and its checks)."""

        def __init__(self, run, name: str, dset: h5py.Dataset):
            self.run, self.name = run, name
            self.shape = (run.n_frames, *dset.shape[1:])
            self.dtype = dset.dtype

        def __getitem__(self, key):
            # h5py reads basic slices and one increasing index list per selection.
            return indexing.explicit_indexing_adapter(
                key, self.shape, indexing.IndexingSupport.OUTER_1VECTOR, self._read)

        def _read(self, key: tuple) -> np.ndarray:
            if not self.run._file.id.valid:
                raise ValueError(f"the run file of field {self.name!r} is closed: load the "
                                 "values (.load(), .values) before closing the Run")
            key = tuple(_within(k, n) for k, n in zip(key, self.shape))
            return self.run._read_frame(self.name, key)

    return FieldFrames


def _within(k, n: int):
    """Index ``k`` of an axis of length ``n`` made explicit: the dataset's time axis can be one
    frame longer than ``n`` (kill mid-frame), so ``:`` and ``-1`` must not reach past ``n``."""
    if isinstance(k, slice):
        return slice(*k.indices(n))
    if isinstance(k, (int, np.integer)):
        return k + n if k < 0 else k
    return np.where(np.asarray(k) < 0, np.asarray(k) + n, k)
