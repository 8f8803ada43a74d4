"""``abm export`` and the files already in its folder: an existing file is refused without
``--overwrite``, a file abm did not export is refused even with it, and an export that fails
(an error, Ctrl-C) leaves the folder as it was, so that a retry succeeds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from abm.errors import OutputError
from abm.export import export_run
from abm.export import tables as tables_module
from abm.export import vtk_run
from abm.export.folder import is_export_folder

from .test_export import TABLE_FORMATS, site_run  # noqa: F401 - site_run: the fixture

ROOT_VTK = [f"fields_{f:04d}.vti" for f in range(6)] + ["fields.pvd", "units.json"]
"""What ``export_run(site_run, "vtk", what="fields")`` writes: the root's 6 frames of fields
(its cells have no y column, so they are no points)."""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def _fail_on_call(monkeypatch, module, name: str, call: int, error: BaseException) -> list[bool]:
    """Make ``module.name`` raise ``error`` on its ``call``-th call (1-based); return a list
    that gets, at each call, whether the folder was already marked as an export's then."""
    original, marked = getattr(module, name), []

    def failing(path, *args, **kwargs):
        marked.append(is_export_folder(Path(path).parent, "units.json"))
        if len(marked) == call:
            raise error
        return original(path, *args, **kwargs)

    monkeypatch.setattr(module, name, failing)
    return marked


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("fmt, what, module, writer, files", [
    ("vtk", "fields", vtk_run, "write_image", ROOT_VTK),
    ("csv", None, tables_module, "_write_csv", ["cells.csv", "timeseries.csv",
                                                "events_deaths.csv", "units.json"]),
])
def test_a_failed_export_leaves_the_folder_as_it_was(site_run, tmp_path, monkeypatch,  # noqa: F811
                                                     error, fmt, what, module, writer, files):
    fresh = tmp_path / "new" / "deeper"  # neither folder exists yet
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's own file")
    for out in (fresh, mine):
        before = _snapshot(out)
        marked = _fail_on_call(monkeypatch, module, writer, 3 if fmt == "vtk" else 2, error)
        with pytest.raises(type(error)):
            export_run(site_run, fmt, what=what, out_dir=out)
        # the mark came before the first data file (a killed export's folder is marked)
        assert marked[0]
        assert _snapshot(out) == before
        monkeypatch.undo()
        written = export_run(site_run, fmt, what=what, out_dir=out)  # the retry: nothing in its way
        assert sorted(p.name for p in written) == sorted(files)
    assert sorted(p.name for p in fresh.iterdir()) == sorted(files)
    assert sorted(p.name for p in mine.iterdir()) == sorted([*files, "notes.txt"])


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("fmt", [*TABLE_FORMATS, "vtk"])
def test_a_file_abm_did_not_export_is_never_replaced(site_run, tmp_path, fmt,  # noqa: F811
                                                     overwrite):
    out = tmp_path / "out"
    out.mkdir()
    (out / "units.json").write_text("someone's notes")
    before = _snapshot(out)
    with pytest.raises(OutputError, match=r"units\.json' exists and is not a file abm wrote; "
                                          r"abm never replaces it \(not even with --overwrite\)"):
        export_run(site_run, fmt, what="fields" if fmt == "vtk" else None, out_dir=out,
                   overwrite=overwrite)
    assert _snapshot(out) == before


def test_overwrite_replaces_the_files_of_an_export(site_run, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    export_run(site_run, "vtk", frames="0", what="fields", out_dir=out)
    units = json.loads((out / "units.json").read_text(encoding="utf-8"))
    assert units["written_by"] == "abm export" and units["fields"]["oxygen"] == "mmHg"
    with pytest.raises(OutputError, match=r"fields_0000\.vti' exists; pass --overwrite"):
        export_run(site_run, "vtk", what="fields", out_dir=out)
    (out / "fields_0000.vti").write_bytes(b"an older export's file")
    written = export_run(site_run, "vtk", what="fields", out_dir=out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert sorted(p.name for p in written) == sorted(ROOT_VTK)
    assert (out / "fields_0000.vti").read_bytes().startswith(b"<?xml")


def test_a_folder_without_the_mark_is_not_an_export(site_run, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    out.mkdir()
    (out / "timeseries.csv").write_text("a,b\n1,2\n")  # someone's table, no units.json beside it
    with pytest.raises(OutputError, match=r"timeseries\.csv' exists and is not a file abm wrote"):
        export_run(site_run, "csv", what="timeseries", out_dir=out, overwrite=True)
    for text in ('{"timeseries": {}}', '["abm export"]', "not json", '{"written_by": "me"}'):
        (out / "units.json").write_text(text)
        assert not is_export_folder(out, "units.json")
    assert (out / "timeseries.csv").read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize("fmt, what, message", [
    ("vtk", None, r"--what = fields,cells: run\.h5 has no frame yet; allowed here: --format csv "
                  r"or parquet with --what timeseries$"),
    ("csv", "cells", r"--what = cells: run\.h5 has no frame yet; allowed here: timeseries$"),
    ("csv", "events", r"--what = 'events' selects nothing to export \(run\.h5 has no event "
                      r"tables\); allowed: timeseries$"),
])
def test_a_run_of_no_frame_says_what_it_can_export(tmp_path, fmt, what, message):
    from abm.export import ExportArgumentError

    from .test_sites import write_site_run

    write_site_run(tmp_path / "run.h5", frames=0)
    with pytest.raises(ExportArgumentError, match=message):
        export_run(tmp_path / "run.h5", fmt, what=what, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    export_run(tmp_path / "run.h5", "csv", what="timeseries", out_dir=tmp_path / "out")
