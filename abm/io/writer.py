"""RunWriter: commit frames, time series, events and checkpoints of one run.

Nothing written is ever rewritten (see abm.io.parts for the layout and docs/storage.md for
the argument): the run lives in ``RUN.h5.parts/`` as a head, one immutable segment file per
commit and a checkpoint file, each made complete under a temporary name and renamed into
place. ``write_frame`` returns once its segment is renamed and fsync'd: from then on a kill
-9, a crash or a full disk cannot take the frame away. ``close()`` assembles ``RUN.h5`` (a
single plain HDF5 file, written once and renamed) and removes the directory. Time series
and events are buffered in memory and committed with the next frame, checkpoint or close.
"""
from __future__ import annotations

import errno
import hashlib
import logging
from pathlib import Path

import numpy as np

from abm.io import layout
from abm.io.assemble import assemble, read_head, segment_infos
from abm.io.atomic import remove_partial
from abm.io.checkpoint import CHECKPOINT_FILE, checkpoint_counts, find_checkpoint, read_state, write_checkpoint_file
from abm.io.parts import (
    HEAD, WriterLock, no_such_run, parts_dir, publish_dir, remove_parts, remove_staging, segment_path,
    staging_dir, write_atomic, writer_alive,
)
from abm.io.pending import Pending, check_keys
from abm.io.schema import (
    METADATA_DIGEST, SCHEMA_VERSION, STATUS_COMPLETE, RunFileError, SchemaError,
    StorageError, from_attr, metadata_digest, open_h5,
)
from abm.io.segment import write_segment

log = logging.getLogger("abm")


class RunWriter:
    """Writer of one run (layout: docs/architecture.md "Output", abm.io.layout, abm.io.parts).

    Times are in min, lengths in µm. Fields are 2-D arrays [y, x] of shape
    ``(len(y_um), len(x_um))``; cells are 1-D columns of equal length (one row per cell).
    ``static_fields`` {name: ([y, x] array, units)} are maps that do not change during the run
    (the recorder stores ``vessels``): written once as ``fields/name`` (bool maps as uint8
    0/1), not part of any frame. ``event_columns`` {table: column names} declares event
    tables: rows of a declared table must have exactly its columns, and a reader shows a
    declared table without rows as empty. Everything is checked before anything is created; an
    existing run (``path`` or its ``.parts``) is replaced only with ``overwrite=True``.

    ``sites`` {name: spec}: secondary sites recorded in the same run, each stored as the group
    ``sites/NAME`` laid out like the root. A spec is a dict with the keys ``x_um``, ``y_um``
    (µm, the site's own grid), ``field_units``, ``cell_columns``, ``timeseries_columns`` and
    optionally ``static_fields`` (e.g. the site's ``vessels``) and ``event_columns``, each
    meaning and checked as the run's argument of that name (a bad spec: ValueError or
    TypeError naming the site and the key). Every frame then carries every site
    (:meth:`write_frame`), and :meth:`append_timeseries` / :meth:`append_events` take
    ``site=NAME``. Without sites the run file has no ``sites`` group.
    """

    def __init__(self, path, *, config_toml: str, seed: int, scenario: str,
                 x_um: np.ndarray, y_um: np.ndarray, field_units: dict[str, str],
                 cell_columns: dict[str, tuple[np.dtype, str, dict | None]],
                 timeseries_columns: dict[str, np.dtype], attrs: dict | None = None,
                 compression: int = 4, overwrite: bool = False,
                 static_fields: dict[str, tuple[np.ndarray, str]] | None = None,
                 event_columns: dict[str, tuple[str, ...]] | None = None,
                 sites: dict[str, dict] | None = None):
        path = Path(path)
        parts = parts_dir(path)
        if not (isinstance(compression, int) and 0 <= compression <= 9):
            raise ValueError(f"compression must be a gzip level 0..9, got {compression!r}")
        x_um, y_um = layout.check_specs(x_um, y_um, field_units, cell_columns, timeseries_columns)
        static_fields = layout.check_static_fields(static_fields, (len(y_um), len(x_um)), field_units)
        root_attrs = layout.root_attrs(
            config_toml=config_toml, seed=seed, scenario=scenario, field_units=field_units,
            cell_columns=cell_columns, compression=compression, extra=attrs, static_fields=static_fields,
            event_columns=event_columns,
        )
        sites = layout.check_sites(sites)
        if path.is_dir():
            raise FileExistsError(f"{path} is a directory, not a run file")
        if (path.exists() or parts.exists()) and not overwrite:
            existing = path if path.exists() else parts
            raise FileExistsError(f"{existing} exists; pass overwrite=True (abm run --overwrite) "
                                  "or choose another file to keep it")
        if parts.exists() and writer_alive(parts):
            raise RunFileError(f"{parts}: the run is being written by another process; stop it first")
        path.unlink(missing_ok=True)
        remove_parts(parts)
        remove_staging(path)
        # The parts folder appears with its head in it (made under a temporary name, then
        # renamed): a run either does not exist or has its head, whenever it is killed.
        staging = staging_dir(path)
        staging.mkdir()
        lock = WriterLock(staging)  # the lock is on the file, so it holds across the rename
        try:
            def write_head(tmp: Path) -> None:
                with open_h5(tmp, "w") as head:
                    layout.create_skeleton(head, root_attrs, x_um, y_um, field_units, cell_columns,
                                           timeseries_columns, compression, static_fields, sites)
                    head.attrs[METADATA_DIGEST] = metadata_digest(head.attrs)

            write_atomic(staging / HEAD, write_head)
            publish_dir(staging, parts)
        except BaseException as err:
            lock.release()
            remove_parts(staging)
            raise _storage_error(err, path, "creating the run") from err
        self._bind(path, lock, *read_head(parts), infos=[])

    def _bind(self, path: Path, lock: WriterLock, attrs: dict, specs: dict, infos) -> None:
        """Take over the run at ``path`` (new, or resumed after the segments ``infos``) whose
        head holds root ``attrs`` and skeleton ``specs`` (abm.io.assemble.read_head)."""
        self._path, self._parts, self._lock = path, parts_dir(path), lock
        self.attrs = {name: from_attr(value) for name, value in attrs.items()}
        self._config_sha256 = hashlib.sha256(self.attrs["config_toml"].encode()).hexdigest()
        self._compression = specs["compression"]
        self._root = Pending("", specs, layout.event_columns(self.attrs), infos)
        self._sites = {name: Pending(f"site {name!r}: ", site, layout.event_columns(site["attrs"]),
                                     [info.site(name) for info in infos])
                       for name, site in specs["sites"].items()}
        self._n_segments = len(infos)
        self._finished = bool(infos) and infos[-1].final
        self._open = True

    @property
    def path(self) -> Path:
        """The run file (it exists once the run is complete; until then, its ``.parts``)."""
        return self._path

    @property
    def finished(self) -> bool:
        """True when every step is committed and only the assembly of the file is left
        (a run killed while it was being assembled): :meth:`close` completes it."""
        return self._finished

    # ------------------------------------------------------------------ buffered appends
    def append_timeseries(self, time_min: float, values: dict[str, float | int], site: str | None = None) -> None:
        """Buffer one time-series row (one per model step) of the run, or of ``site``;
        committed by the next frame/checkpoint/close."""
        self._group(site).append_timeseries(time_min, values)

    def append_events(self, table: str, columns: dict[str, np.ndarray], site: str | None = None) -> None:
        """Buffer rows of event table ``table`` of the run, or of ``site`` (columns: 1-D arrays
        of equal length, or scalars); committed by the next frame/checkpoint/close.

        The first rows of a table fix its columns and dtypes (numeric, bool or str).
        """
        self._group(site).append_events(table, columns)

    @property
    def sites(self) -> list[str]:
        """The names of the run's secondary sites (``[]`` if it has none)."""
        return sorted(self._sites)

    def _group(self, site: str | None) -> Pending:
        if site is None:
            return self._root
        if site not in self._sites:
            raise ValueError(f"no site {site!r} in this run; sites: {sorted(self._sites)}")
        return self._sites[site]

    # ------------------------------------------------------------------ durable writes
    def write_frame(self, time_min: float, fields: dict[str, np.ndarray], cells: dict[str, np.ndarray],
                    sites: dict[str, tuple[dict, dict]] | None = None) -> None:
        """Commit one frame with the buffered rows; the frame survives a kill once this returns.

        ``fields``: {name: [y, x] array}, exactly the field names of the run.
        ``cells``: {column: 1-D array}, exactly the cell columns, all of one length.
        ``sites``: {name: (fields, cells)} for every site of the run (a site without cells
        gives columns of length 0), in the site's own grid and columns; its frame has the
        run's time. All of it is one commit: a kill keeps every site's frame or none.
        Raises ValueError naming the offending site/field/column before anything is written,
        and StorageError (nothing of this frame kept) if the disk refuses it.
        The arrays are read during the call, not copied first (the model's live fields, at
        1M cells its columns): they must not change until it returns.
        """
        frame = self._root.frame(time_min, fields, cells)
        check_keys("sites of the frame", sites or {}, self._sites)
        site_frames = {name: self._sites[name].frame(time_min, *_pair(name, value))
                       for name, value in (sites or {}).items()}
        self._commit(frame=frame, site_frames=site_frames)

    def write_checkpoint(self, time_min: float, state: dict[str, object]) -> None:
        """Commit the buffered rows, then replace the checkpoint by ``state``; durable on return.

        ``state``: (nested) dict of numpy arrays and bool/int/float/str/bytes/None; returned
        equal by :meth:`resume` and :func:`abm.io.read_checkpoint`.
        """
        self._commit()
        counts = {"time_min": float(time_min), **self._root.counts(), "n_segments": self._n_segments,
                  "config_sha256": self._config_sha256}
        if self._sites:
            counts["sites"] = {name: group.counts() for name, group in self._sites.items()}
        try:
            write_checkpoint_file(self._parts / CHECKPOINT_FILE, state, counts, self._compression)
        except OSError as err:
            raise _storage_error(err, self._path, f"writing the checkpoint at t = {time_min:g} min") from err

    def close(self, complete: bool = True) -> None:
        """Commit the buffered rows and release the run; ``complete``: also mark its end and
        assemble ``RUN.h5`` (then the ``.parts`` directory is removed).

        Closing an incomplete run never raises for the disk: what cannot be committed is
        logged and left to ``abm resume``, which redoes everything after the checkpoint.
        """
        if not self._open:
            return
        try:
            if complete:
                if not self._finished:
                    self._commit(final=True)
                self._assemble()
            else:
                try:
                    self._commit()
                except StorageError as err:
                    log.warning("%s", err)
        finally:
            self._open = False
            self._lock.release()
        if complete:
            remove_parts(self._parts)

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(complete=exc_type is None)

    def _commit(self, frame: tuple[float, dict, dict] | None = None, final: bool = False,
                site_frames: dict[str, tuple] | None = None) -> None:
        """Write the buffered rows (and ``frame``, ``site_frames``) of the run and of every
        site as the next segment, if there is anything."""
        series, events = self._root.take()
        sites = {}
        for name, group in self._sites.items():
            site_frame = (site_frames or {}).get(name)
            site_series, site_events = group.take()
            if site_frame is not None or site_series is not None or site_events:
                sites[name] = (site_frame, site_series, site_events)
        if frame is None and series is None and not events and not sites and not final:
            return
        index = self._n_segments + 1
        try:
            write_segment(segment_path(self._parts, index), index=index, final=final,
                          compression=self._compression, frame=frame, series=series, events=events,
                          sites=sites)
        except OSError as err:
            what = f"committing frame {self._root.n_frames}" if frame is not None else "committing buffered rows"
            raise _storage_error(err, self._path, what) from err
        self._n_segments = index
        self._root.committed(frame is not None, series, events)
        for name, group in self._sites.items():
            site_frame, site_series, site_events = sites.get(name, (None, None, {}))
            group.committed(site_frame is not None, site_series, site_events)
        self._finished = final

    def _assemble(self) -> None:
        """Write ``RUN.h5`` from the parts, atomically."""
        def write(tmp: Path) -> None:
            with open_h5(tmp, "w") as h5file:
                assemble(self._parts, h5file, status=STATUS_COMPLETE, with_state=True)

        try:
            write_atomic(self._path, write)
        except OSError as err:
            raise _storage_error(err, self._path, "assembling the finished run file") from err

    # ------------------------------------------------------------------ restart
    @classmethod
    def resume(cls, path) -> tuple[RunWriter, dict | None]:
        """Take over the interrupted run at ``path`` to continue it from its last checkpoint.

        Segments committed after the checkpoint are removed (last first), so that writing them
        again gives the same datasets as an uninterrupted run. Returns the writer and the
        checkpoint state. The state is None when there is nothing to restore: the run was
        killed while its file was being assembled (``writer.finished``: :meth:`close`
        completes it), or before its first checkpoint (every segment is removed: the run
        starts again from step 0, which its stored config and seed determine). Raises
        RunFileError for a complete, live, damaged or edited run; then nothing was changed.
        """
        path = Path(path)
        parts = parts_dir(path)
        if path.exists():
            if _stored_status(path) != STATUS_COMPLETE:
                raise RunFileError(f"{path} was written by the earlier run store, which cannot be continued; "
                                   "its frames stay readable: start the run again to finish it")
            if parts.exists() and not writer_alive(parts):
                remove_parts(parts)  # left by a kill after the file was renamed into place
            raise RunFileError(f"{path} is a complete run: nothing to resume "
                               "(abm run --overwrite starts it again)")
        if not parts.is_dir():
            raise no_such_run(path)
        head = read_head(parts)  # before the lock: a folder that is not a run's is left untouched
        lock = WriterLock(parts)
        try:
            writer, state = cls._take_over(path, parts, lock, head)
        except BaseException:
            lock.release()
            raise
        return writer, state

    @classmethod
    def _take_over(cls, path: Path, parts: Path, lock: WriterLock,
                   head: tuple[dict, dict]) -> tuple[RunWriter, dict | None]:
        attrs = head[0]
        version = from_attr(attrs["schema_version"])
        if version != SCHEMA_VERSION:
            raise SchemaError(f"{path}: cannot append to a schema_version {version} run (this abm writes {SCHEMA_VERSION})")
        remove_partial(parts)
        remove_partial(path.parent, target=path)
        remove_staging(path)
        infos = segment_infos(parts)
        config_sha256 = hashlib.sha256(from_attr(attrs["config_toml"]).encode()).hexdigest()
        state, kept = None, infos
        if not (infos and infos[-1].final):
            counts, state = _read_checkpoint_file(parts)
            if counts is None:
                kept = []  # killed before its first checkpoint: it starts again from step 0
            else:
                if counts.get("config_sha256") != config_sha256:
                    raise RunFileError(f"{path}: the stored config differs from the one the checkpoint was "
                                       "taken with (edited after the run started?); refusing to resume")
                n = counts["n_segments"]
                if n > len(infos):
                    raise RunFileError(f"{parts}: the checkpoint follows {n} segments but only {len(infos)} "
                                       "are readable in order; the run is damaged")
                kept = infos[:n]
                _check_counts(parts, kept, counts, head[1]["sites"])
            for info in reversed(infos[len(kept):]):  # last first: a kill here leaves no gap
                info.path.unlink()
        infos = kept
        writer = cls.__new__(cls)
        writer._bind(path, lock, *head, infos)
        return writer, state


def _read_checkpoint_file(parts: Path) -> tuple[dict | None, dict | None]:
    """(counts, state) of ``parts/checkpoint.h5``; (None, None) if there is none yet."""
    path = parts / CHECKPOINT_FILE
    if not path.exists():
        return None, None
    try:
        with open_h5(path, "r") as h5file:
            group = find_checkpoint(h5file)
            return checkpoint_counts(group), read_state(group["state"])
    except RunFileError:
        raise
    except (OSError, KeyError) as err:
        raise RunFileError(f"{path}: damaged checkpoint ({err})") from None


def _check_counts(parts: Path, infos, counts: dict, sites=()) -> None:
    """RunFileError unless the segments up to the checkpoint hold the rows it counted, for the
    run and for each of its ``sites`` (names)."""
    if set(counts.get("sites", {})) != set(sites):
        raise RunFileError(f"{parts}: the checkpoint counted the sites {sorted(counts.get('sites', {}))}, "
                           f"the run has {sorted(sites)}; the run is damaged")
    groups = {"the run": (infos, counts)}
    for name, site_counts in counts.get("sites", {}).items():
        groups[f"site {name!r}"] = ([info.site(name) for info in infos], site_counts)
    for what, (group_infos, expected) in groups.items():
        found = Pending.found(group_infos)
        expected = (expected["n_frames"], expected["n_timeseries"], expected["event_rows"])
        if found != expected:
            raise RunFileError(f"{parts}: the segments before the checkpoint hold (frames, time-series rows, "
                               f"event rows) {found} of {what}, the checkpoint counted {expected}; "
                               "the run is damaged")


def _stored_status(path: Path) -> str | None:
    """The ``status`` attribute of the run file ``path`` (SchemaError if it is not HDF5)."""
    try:
        with open_h5(path, "r") as h5file:
            return from_attr(h5file.attrs.get("status"))
    except OSError as err:
        raise SchemaError(f"{path}: not a readable HDF5 run file ({err})") from None


def _storage_error(err: BaseException, path: Path, what: str) -> BaseException:
    """A StorageError saying what failed and what is safe; other errors as they are."""
    if not isinstance(err, OSError) or isinstance(err, FileExistsError):
        return err
    cause = "the disk is full" if err.errno in (errno.ENOSPC, errno.EDQUOT) else (err.strerror or str(err))
    return StorageError(f"{path}: {what} failed: {cause}. Everything committed before is intact; "
                        f"free the space (or fix the cause) and run `abm resume {path}` to continue "
                        "from the last checkpoint")


def _pair(site: str, value) -> tuple[dict, dict]:
    """A site's (fields, cells) of :meth:`RunWriter.write_frame`; ValueError naming the site."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"site {site!r}: the frame must be (fields, cells), got {type(value).__name__}")
    return value
