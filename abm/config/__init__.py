"""The config mechanism: typed keys with units, ranges and sources (:func:`param`), named
parameter tables and vectors (:mod:`abm.config.tables`), the registry that domain modules
declare their sections into (:mod:`abm.config.registry`), and the schema and loader that
assemble and check them (:mod:`abm.config.schema`, :mod:`abm.config.loader`).

This package imports no domain module. The assembled schema of the model, with ``Config`` and
``load_config``, is :mod:`abm.schema`.
"""
from abm.config.params import param
from abm.config.registry import check, entry_array, section

__all__ = ["check", "entry_array", "param", "section"]
