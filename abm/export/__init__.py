"""Export a run file to CSV or Parquet tables (pandas) or VTK files (ParaView): ``abm export``.

Example::

    from abm.export import export_run

    export_run("outputs/quickstart.h5", "parquet")            # outputs/quickstart_parquet/
    export_run("outputs/quickstart.h5", "vtk", frames="::4", out_dir="vtk")
    export_run("outputs/quickstart.h5", "csv", what=["timeseries", "events.immune_kills"])

What each format writes and how to open it: docs/exports.md; the tables: :mod:`abm.export.tables`;
the VTK files: :mod:`abm.export.vtk_run`. Everything is checked first (arguments, every output
path), so a refused export writes nothing; each file appears complete or not at all.
"""
from __future__ import annotations

from pathlib import Path

from abm.export.request import FORMATS, ExportArgumentError, ExportPlan, UNITS_FILE, plan_export
from abm.export.units import write_units
from abm.io.outputs import write_atomically

__all__ = ["export_run", "plan_export", "ExportPlan", "ExportArgumentError", "FORMATS"]


def export_run(run_path: str | Path, fmt: str, *, frames=None, what=None, out_dir=None,
               overwrite: bool = False, site: str | None = None, compress: int | None = None) -> list[Path]:
    """Export the run at ``run_path`` in format ``fmt`` (``csv``, ``parquet`` or ``vtk``);
    return the files written (``units.json`` last).

    ``frames``: which frames of the per-frame kinds (cells, fields): None or ``"all"``, an
    int, ints, or a string such as ``"0,6,-1"`` or ``"::4"`` (negative counts from the end).
    ``what``: None (csv/parquet: cells, timeseries, events; vtk: fields, cells) or a list or
    comma-separated string of ``cells``, ``timeseries``, ``events``, ``events.NAME``,
    ``fields``. ``out_dir``: the folder (default ``RUN_FORMAT`` beside the run file).
    ``site``: export the run's secondary site of that name instead (``run.sites``), read like
    the run (default folder ``RUN_site_NAME_FORMAT``). ``compress``: zlib level 0–9 of the VTK
    arrays (None: 1; 0: not compressed); vtk only.
    ``overwrite``: replace existing files of the same names (else refused, before anything is
    written). Raises ExportArgumentError (a bad argument), abm.errors.OutputError (an output
    that exists or cannot be written), FileNotFoundError / RunFileError (the run).
    """
    from abm.io import load_run

    if fmt == "parquet":
        _require_pyarrow()
    with load_run(run_path) as run:
        group = run if site is None else _site(run, site)
        plan = plan_export(group, fmt, frames=frames, what=what, out_dir=out_dir, overwrite=overwrite,
                           site=site, compress=compress)
        if fmt == "vtk":
            from abm.export.vtk_run import write_vtk

            units = write_vtk(group, plan)
        else:
            from abm.export.tables import write_tables

            units = write_tables(group, plan)
        write_atomically(plan.out_dir / UNITS_FILE, lambda tmp: write_units(tmp, units))
    return list(plan.files)


def _site(run, name: str):
    if name not in run.sites:
        raise ExportArgumentError(f"--site = {name!r}: no such site in {run.path.name}; allowed: "
                                  f"{', '.join(run.sites) or 'none (the run has no secondary sites)'}")
    return run.site(name)


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401 - only whether it is installed
    except ImportError:
        raise ExportArgumentError("--format parquet needs pyarrow: pip install 'tumor-abm[export]' "
                                  "(or use --format csv)") from None
