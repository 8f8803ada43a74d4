"""HDF5 output of runs: write with :class:`RunWriter`, read with :func:`load_run`.

Layout (schema ``tumor-abm-run`` v1): see docs/architecture.md "Output" and :mod:`abm.io.layout`; how a
run is committed so that nothing written can be lost: :mod:`abm.io.parts`.
This layer is generic: it stores numpy arrays and dicts and knows nothing of the model.
"""
from abm.io.checkpoint import read_checkpoint
from abm.io.reader import Run, load_run
from abm.io.schema import (
    SCHEMA, SCHEMA_VERSION, NoCheckpointError, RunFileError, SchemaError, StorageError, register_converter,
)
from abm.io.writer import RunWriter

__all__ = [
    "RunWriter", "Run", "load_run", "read_checkpoint", "SchemaError", "NoCheckpointError", "RunFileError",
    "StorageError",
    "SCHEMA", "SCHEMA_VERSION", "register_converter",
]
