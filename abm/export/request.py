"""What an export writes: the arguments checked against the run, and every output path named.

:func:`plan_export` turns the user's arguments (format, frames, what, folder) into an
:class:`ExportPlan` before anything is written: a bad argument raises :class:`ExportArgumentError`
naming the argument, the value and what is allowed, and every output file is checked with
:func:`abm.io.outputs.check_output` (an existing file is refused unless ``overwrite``), so a
refused export leaves the folder as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

from abm.errors import UserError
from abm.io.layout import event_columns
from abm.io.outputs import check_output

FORMATS = ("csv", "parquet", "vtk")
TABLE_ITEMS = ("cells", "timeseries", "events", "fields")
VTK_ITEMS = ("fields", "cells")
DEFAULT_WHAT = {"csv": ("cells", "timeseries", "events"), "parquet": ("cells", "timeseries", "events"),
                "vtk": ("fields", "cells")}
"""Design choice: by default the tables hold what pandas users ask for (cells, time series,
events); the site-by-site ``fields`` table is opt-in because it is as long as the grid times
the frames. ParaView gets the fields (images) and the cells (points)."""
EVENTS_PREFIX = "events."
"""``--what events.NAME`` exports one event table; ``events`` exports every table in the run."""
FRAME_DIGITS = 4
"""Design choice: frame numbers in VTK file names have at least 4 digits (``fields_0007.vti``),
so that file listings sort in time order for runs of up to 10,000 frames (and more digits beyond)."""
UNITS_FILE = "units.json"
VTK_ZLIB_LEVEL = 1
"""Design choice: VTK arrays are zlib-compressed at level 1 by default. Exporting the
quickstart (fields and cells, 49 frames) then writes 42 MB instead of 106 MB (2.5× less) in
1.8× the time of no compression; level 6 writes 41 MB in 2.1× the time (medians of 4 exports
of each, alternated; docs/exports.md). ``--compress 0`` writes them plain."""


class ExportArgumentError(UserError, ValueError):
    """An argument of ``abm export`` / :func:`abm.export.export_run` is not allowed; the
    message names it, its value and what is allowed."""


@dataclass(frozen=True)
class ExportPlan:
    """A checked export request.

    ``fmt`` one of :data:`FORMATS`; ``frames`` the frame indices (0-based, ascending, unique);
    ``items`` the kinds to write (``cells``, ``timeseries``, ``fields``); ``event_tables`` the
    event tables to write; ``out_dir`` the folder; ``files`` every file the export writes, in
    the order written (:data:`UNITS_FILE` last); ``level`` the zlib level of VTK arrays (0:
    not compressed; 0 for the tables).
    """

    fmt: str
    frames: tuple[int, ...]
    items: tuple[str, ...]
    event_tables: tuple[str, ...]
    out_dir: Path
    files: tuple[Path, ...]
    level: int = 0


VTK_SUFFIX = {"fields": "vti", "cells": "vtu"}
"""Fields are images (VTK XML ImageData), cells are points (UnstructuredGrid of vertices: the
point-set file meshio reads too, unlike PolyData)."""


def frame_file(kind: str, frame: int, n_frames: int) -> str:
    """File name of frame ``frame`` of ``kind`` (``fields``, ``cells``) in the VTK layout of
    a run of ``n_frames`` frames, e.g. ``cells_0012.vtu``."""
    digits = max(FRAME_DIGITS, len(str(max(n_frames - 1, 0))))
    return f"{kind}_{frame:0{digits}d}.{VTK_SUFFIX[kind]}"


def default_out_dir(run_path: str | Path, fmt: str, site: str | None = None) -> Path:
    """``RUN_FORMAT/`` beside the run file (``outputs/quickstart_vtk/``; a secondary site's
    ``RUN_site_NAME_FORMAT/``): one folder per format and site, so exports of one run never
    collide."""
    run_path = Path(run_path)
    return run_path.with_name(f"{run_path.stem}{'' if site is None else f'_site_{site}'}_{fmt}")


def parse_frames(spec, n_frames: int) -> tuple[int, ...]:
    """The frames ``spec`` selects among ``n_frames``, ascending and unique.

    ``spec``: None or ``"all"`` (every frame); an int; a sequence of ints; or a string of
    comma-separated items, each an int or a Python slice ``start:stop[:step]`` (``"0,6,-1"``,
    ``"::4"``, ``"-5:"``). Negative numbers count from the end. Raises ExportArgumentError
    naming the item for an item out of range, malformed, or a selection of no frame.
    """
    allowed = (f"frame numbers -{n_frames} … {n_frames - 1} (the run has {n_frames} frames), "
               "slices start:stop[:step], comma-separated, or 'all'")
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "all"):
        chosen = list(range(n_frames))
    else:
        items = spec.split(",") if isinstance(spec, str) else ([spec] if isinstance(spec, Integral) else list(spec))
        chosen = []
        for item in items:
            chosen.extend(_frame_item(item, n_frames, allowed))
    if not chosen:
        raise ExportArgumentError(f"--frames = {spec!r} selects no frame; allowed: {allowed}")
    return tuple(sorted(set(chosen)))


def _frame_item(item, n_frames: int, allowed: str) -> list[int]:
    text = str(item).strip()
    try:
        if isinstance(item, str) and ":" in text:
            parts = [int(p) if p.strip() else None for p in text.split(":")]
            if len(parts) > 3 or parts[2:] == [0]:
                raise ValueError
            return list(range(n_frames)[slice(*parts)])
        if isinstance(item, bool) or (not isinstance(item, str) and int(item) != item):
            raise ValueError
        frame = int(text) if isinstance(item, str) else int(item)
    except (TypeError, ValueError):
        raise ExportArgumentError(f"--frames: {text!r} is not a frame number or slice; "
                                  f"allowed: {allowed}") from None
    if not -n_frames <= frame < n_frames:
        raise ExportArgumentError(f"--frames: frame {frame} is out of range; allowed: {allowed}")
    return [frame % n_frames]


def parse_what(what, fmt: str, tables_in_run: list[str], declared: list[str],
               where: str = "the run") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(items, event tables) that ``what`` asks for in format ``fmt``.

    ``what``: None (:data:`DEFAULT_WHAT` of the format), a comma-separated string or a
    sequence of items: ``cells``, ``timeseries``, ``events`` (every table the run wrote),
    ``events.NAME`` (one table; those the run declares but never wrote are empty tables),
    ``fields``. ``tables_in_run`` the run's written event tables, ``declared`` every table
    it declares; ``where`` names the run (or site) in messages. Raises ExportArgumentError for an unknown item or table, or an item the
    format cannot hold.
    """
    raw = DEFAULT_WHAT[fmt] if what is None else (what.split(",") if isinstance(what, str) else list(what))
    allowed_items = VTK_ITEMS if fmt == "vtk" else TABLE_ITEMS
    items, tables = [], []
    known_tables = sorted(set(tables_in_run) | set(declared))
    for entry in (str(w).strip() for w in raw):
        if fmt != "vtk" and entry.startswith(EVENTS_PREFIX):
            name = entry[len(EVENTS_PREFIX):]
            if name not in known_tables:
                raise ExportArgumentError(
                    f"--what: no event table {name!r} in {where}; allowed: "
                    f"{', '.join(EVENTS_PREFIX + t for t in known_tables) or 'none (the run has no event tables)'}")
            tables.append(name)
        elif entry == "events" and fmt != "vtk":
            tables.extend(tables_in_run)
        elif entry in allowed_items:
            items.append(entry)
        else:
            hint = (" (time series and events are tables: use --format csv or parquet)"
                    if fmt == "vtk" and (entry in TABLE_ITEMS or entry.startswith(EVENTS_PREFIX)) else "")
            raise ExportArgumentError(
                f"--what: {entry!r} is not something --format {fmt} exports{hint}; allowed: "
                f"{', '.join(allowed_items)}" + ("" if fmt == "vtk" else ", events.NAME"))
    return tuple(dict.fromkeys(items)), tuple(dict.fromkeys(tables))


def plan_export(run, fmt: str, *, frames=None, what=None, out_dir=None, overwrite: bool = False,
                site: str | None = None, compress: int | None = None) -> ExportPlan:
    """Check every argument against ``run`` (an open Run, or the Site ``site`` of one) and
    every output path; return the plan. ``compress``: zlib level 0–9 of the VTK arrays (None:
    :data:`VTK_ZLIB_LEVEL`); only for format vtk.

    Raises ExportArgumentError for a bad argument and :class:`abm.errors.OutputError` for an
    output that exists (without ``overwrite``) or cannot be written; nothing is written.
    """
    if fmt not in FORMATS:
        raise ExportArgumentError(f"--format = {fmt!r} is not a known format; allowed: {', '.join(FORMATS)}")
    level = _compression(compress, fmt)
    where = run.path.name if site is None else f"site {site!r} of {run.path.name}"
    items, tables = parse_what(what, fmt, run.event_tables, list(event_columns(run.attrs)), where)
    per_frame = [i for i in items if i in ("cells", "fields")]
    if per_frame and run.n_frames == 0:
        raise ExportArgumentError(f"--what = {','.join(per_frame)}: {where} has no frame yet")
    if fmt == "vtk" and "cells" in items and not {"x", "y"} <= set(run.cell_columns):
        raise ExportArgumentError(f"--what = cells: the cells of {where} have no x and y "
                                  "columns, so they are no points; allowed here: fields")
    chosen = parse_frames(frames, run.n_frames) if per_frame else ()
    out = Path(out_dir) if out_dir is not None else default_out_dir(run.path, fmt, site)
    if not (items or tables):
        raise ExportArgumentError(f"--what = {what!r} selects nothing to export ({where} "
                                  "has no event tables)")
    names = _file_names(fmt, items, tables, chosen, run.n_frames)
    files = tuple(out / name for name in names)
    for path in files:
        check_output(path, overwrite=overwrite, what="export file")
    return ExportPlan(fmt, chosen, items, tables, out, files, level)


def _compression(compress, fmt: str) -> int:
    if compress is None:
        return VTK_ZLIB_LEVEL if fmt == "vtk" else 0
    if fmt != "vtk":
        raise ExportArgumentError(f"--compress = {compress!r}: only --format vtk takes a compression "
                                  "level (Parquet compresses by itself, CSV is text)")
    if isinstance(compress, bool) or not isinstance(compress, Integral) or not 0 <= compress <= 9:
        raise ExportArgumentError(f"--compress = {compress!r} is not a zlib level; allowed: 0 (none) … 9")
    return int(compress)


def _file_names(fmt: str, items, tables, frames, n_frames: int) -> list[str]:
    if fmt == "vtk":
        names = []
        for kind in items:
            names += [frame_file(kind, f, n_frames) for f in frames] + [f"{kind}.pvd"]
    else:
        names = [f"{kind}.{fmt}" for kind in items] + [f"events_{t}.{fmt}" for t in tables]
    return names + [UNITS_FILE]
