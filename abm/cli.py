"""Command line: ``abm run|resume|info|params|plot|movie|export|view|sweep|run-design|calibrate``
(also ``python -m abm``)."""
from __future__ import annotations

import argparse
import errno
import functools
import logging
import os
import sys

from abm.errors import ConfigError, NumericalError, UserError
from abm.viz.journal import PNG_DPI, WIDTHS

EXIT_OK, EXIT_RUNTIME, EXIT_USER, EXIT_INTERRUPTED = 0, 1, 2, 130
"""Exit codes: 2 for the user's errors (config, arguments, outputs; argparse uses 2 too), 1
for a run or file that failed (numerical trouble, an unreadable file, a full disk), 130
(128 + SIGINT) for Ctrl-C. ``abm sweep``/``run-design`` use 3 for a study with failed runs."""

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``abm`` console script; returns the exit code.

    A documented error ends the command with one line ``abm: error: ...`` on stderr and its
    exit code (:data:`EXIT_USER`, :data:`EXIT_RUNTIME`); anything else is a bug and keeps
    its traceback.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    # Configure our logger only: Mesa logs every step at INFO on the root logger.
    log = logging.getLogger("abm")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        return args.handler(args)
    except UserError as exc:
        return _fail(exc, EXIT_USER)
    except KeyboardInterrupt:
        print("abm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if _is_disk_full(exc):
            where = exc.filename or getattr(args, "out", None) or getattr(args, "run_file", None)
            return _fail(f"disk full writing {where or 'the output'} "
                         f"({os.strerror(errno.ENOSPC)}); free space and run again (a run "
                         "keeps every frame it committed: `abm resume` continues it)",
                         EXIT_RUNTIME)
        return _fail(exc, EXIT_RUNTIME)
    except (NumericalError, LookupError, MemoryError) as exc:
        return _fail(exc, EXIT_RUNTIME)


def _is_disk_full(exc: OSError) -> bool:
    """ENOSPC or EDQUOT, also as h5py reports them (in the message, without ``errno``)."""
    if exc.errno in _DISK_FULL:
        return True
    text = str(exc)
    return any(f"errno = {code}," in text or os.strerror(code) in text for code in _DISK_FULL)


def _fail(exc, code: int) -> int:
    message = str(exc) or type(exc).__name__
    print(f"abm: error: {message}", file=sys.stderr)
    return code


@functools.cache  # built once per process: in-process callers (tests, scripts) call main often
def _parser() -> argparse.ArgumentParser:
    from abm.memory import ENV_VAR, PHYSICAL_FRACTION

    parser = argparse.ArgumentParser(
        prog="abm", description="2D agent-based simulator of tumour growth, dormancy and seeding.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario to an HDF5 file (and a figure)",
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run.add_argument("scenario", help="scenario TOML file (see scenarios/)")
    run.add_argument("--out", help="run file (default: output.path of the scenario)")
    run.add_argument("--seed", type=int, help="seed of the run (overrides run.seed)")
    run.add_argument("--days", type=float, help="simulated days (overrides run.days)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.KEY=VALUE",
                     help="override a config key (repeatable); an entry of a table-valued key "
                          "takes one more dot: intracellular.params.kMH=4.2")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the run file and figure if they exist (only files abm wrote)")
    run.add_argument("--max-memory-gb", type=float, metavar="GB",
                     help="refuse a run whose estimated peak memory is above this (default: "
                          f"${ENV_VAR}, else {PHYSICAL_FRACTION * 100:g}%% of physical memory)")
    run.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    run.set_defaults(handler=_run)

    resume = sub.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_file")
    resume.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    resume.set_defaults(handler=_resume)

    info = sub.add_parser("info", help="what a run file holds")
    info.add_argument("run_file")
    info.add_argument("--config", action="store_true",
                      help="print the run's full resolved config (TOML) instead of the summary")
    info.set_defaults(handler=_info)

    params = sub.add_parser("params", help="every config key with default, unit and source")
    params.set_defaults(handler=_params)

    plot = sub.add_parser("plot", help="figures of a run file (png, pdf or svg)",
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    plot.add_argument("run_file")
    plot.add_argument("-o", "--out", required=True, help="figure file: .png, .pdf or .svg")
    plot.add_argument("--kind", dest="kinds", action="append", metavar="KIND",
                      help="figure kind (repeatable): tissue, populations, radial, sasp, "
                           "immune, ctc; default: every kind the run has data for")
    plot.add_argument("--frame", type=int, default=-1,
                      help="frame of the maps and profiles (negative: from the end)")
    plot.add_argument("--width", choices=WIDTHS, default="double",
                      help="journal column width: single = 89 mm (3.5 in), double = 183 mm "
                           "(7.2 in); text is at least 6 pt at that size")
    plot.add_argument("--dpi", type=int, default=PNG_DPI, help="resolution of a .png")
    plot.add_argument("--overwrite", action="store_true", help="replace the figure if it exists")
    plot.set_defaults(handler=_plot)

    movie = sub.add_parser("movie", help="a movie of a run file (MP4 with ffmpeg, else GIF)",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    movie.add_argument("run_file")
    movie.add_argument("-o", "--out", required=True, help="movie file: .mp4 or .gif")
    movie.add_argument("--fields", nargs="+", default=["phases", "oxygen"], metavar="PANEL",
                       help="panels side by side: phases and/or field names of the run")
    movie.add_argument("--fps", type=float, default=10.0, help="frames per second")
    movie.add_argument("--dpi", type=int, default=100, help="pixels per inch of the frames")
    movie.add_argument("--overwrite", action="store_true", help="replace the movie if it exists")
    movie.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    movie.set_defaults(handler=_movie)

    export = sub.add_parser("export", help="a run as CSV/Parquet tables or VTK files for "
                            "ParaView (docs/exports.md)")
    export.add_argument("run_file")
    export.add_argument("--format", dest="fmt", required=True, metavar="FORMAT",
                        help="csv, parquet (needs pyarrow: the 'export' extra) or vtk")
    export.add_argument("--frames", default="all",
                        help="frames of cells and fields: 'all', numbers and slices "
                             "start:stop[:step], comma-separated (negative: from the end), "
                             "e.g. 0,-1 or ::4; "
                             "write --frames=-5: for a slice that starts with '-'")
    export.add_argument("--what", help="comma-separated: cells, timeseries, events, events.NAME, "
                        "fields (default: csv/parquet cells,timeseries,events; vtk fields,cells)")
    export.add_argument("--compress", type=int, metavar="LEVEL",
                        help="vtk: zlib level of the arrays, 0 (none) to 9 (default 1)")
    export.add_argument("--site", help="export the run's secondary site of this name instead")
    export.add_argument("--out", help="output folder (default: RUN_FORMAT beside the run file)")
    export.add_argument("--overwrite", action="store_true",
                        help="replace the files of an earlier export to the same folder "
                             "(never a file abm did not export)")
    export.set_defaults(handler=_export)

    view = sub.add_parser("view", help="look around runs or a live model in the browser "
                          "(needs the view extra)",
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    view.add_argument("targets", nargs="+", metavar="RUN.h5|SCENARIO.toml",
                      help="run files (side by side on a shared clock) or one scenario (live)")
    view.add_argument("--port", type=_port, help="port on 127.0.0.1 (default: a free one)")
    view.add_argument("--no-browser", action="store_true", help="only print the URL")
    view.add_argument("--seed", type=int, help="seed of a live model")
    view.add_argument("--set", dest="overrides", action="append", default=[],
                      metavar="SECTION.KEY=VALUE", help="override a live model's config key")
    view.set_defaults(handler=_view)

    sweep = sub.add_parser("sweep", help="run a parameter study (STUDY.toml)",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sweep.add_argument("study", help="study file (see scenarios/study_dormancy.toml)")
    sweep.add_argument("--workers", type=int, default=2, help="local worker processes")
    engine = sweep.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="SCHEDULER_ADDRESS",
                        help="run on an existing Dask cluster (e.g. tcp://host:8786)")
    engine.add_argument("--dask-cluster", action="store_true",
                        help="start a dask-jobqueue cluster from the study's [cluster] section")
    engine.add_argument("--emit-slurm", action="store_true",
                        help="write a SLURM job-array script instead of running")
    sweep.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    sweep.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    sweep.set_defaults(handler=_sweep)

    design = sub.add_parser("run-design", help="run one run of a study (a SLURM array task)")
    design.add_argument("study")
    design.add_argument("--index", type=int, required=True, help="the run's index")
    design.set_defaults(handler=_run_design)

    calib = sub.add_parser("calibrate", help="ABC-SMC calibration against observations "
                           "(CALIBRATION.toml; needs pyABC)",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    calib.add_argument("calibration", help="calibration file (see docs/calibration.md)")
    calib.add_argument("--workers", type=int, default=1,
                       help="local worker processes (1: this process, reproducible)")
    engine = calib.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="SCHEDULER_ADDRESS",
                        help="run on an existing Dask cluster (e.g. tcp://host:8786)")
    engine.add_argument("--dask-cluster", action="store_true",
                        help="start a dask-jobqueue cluster from the file's [cluster] section")
    calib.add_argument("--no-progress", action="store_true", help="no per-generation log")
    calib.set_defaults(handler=_calibrate)
    return parser


def _progress(args) -> bool | None:
    return False if args.no_progress else None


def _run(args) -> int:
    from abm.schema import load_config
    from abm.runner import run_scenario

    overrides = list(args.overrides)
    if args.days is not None:
        overrides.append(f"run.days={args.days!r}")
    config = load_config(args.scenario, overrides=overrides, seed=args.seed)
    run_scenario(config, args.out, overwrite=args.overwrite, progress=_progress(args),
                 max_memory_gb=args.max_memory_gb)
    return EXIT_OK


def _resume(args) -> int:
    from abm.runner import resume_run

    resume_run(args.run_file, progress=_progress(args))
    return 0


def _info(args) -> int:
    from abm.io import load_run

    with load_run(args.run_file) as run:
        print(run.config_toml if args.config else run.summary())
    return 0


def _plot(args) -> int:
    from abm.viz.figures import check_plot_request, plot

    try:
        check_plot_request(args.out, args.kinds)
        print(plot(args.run_file, args.out, kinds=args.kinds, frame=args.frame, dpi=args.dpi,
                   width=args.width, overwrite=args.overwrite))
    except (ValueError, IndexError) as exc:
        print(f"abm plot: error: {exc}", file=sys.stderr)
        return EXIT_USER
    return EXIT_OK


def _movie(args) -> int:
    from abm.viz.movie import render_movie

    try:
        print(render_movie(args.run_file, args.out, fields=tuple(args.fields), fps=args.fps,
                           dpi=args.dpi, progress=_progress(args), overwrite=args.overwrite))
    except ValueError as exc:
        print(f"abm movie: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except RuntimeError as exc:  # ffmpeg failed: its exit code and the end of its log
        print(f"abm movie: error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    return EXIT_OK


def _export(args) -> int:
    from abm.export import export_run

    files = export_run(args.run_file, args.fmt, frames=args.frames, what=args.what,
                       out_dir=args.out, overwrite=args.overwrite, site=args.site,
                       compress=args.compress)
    print(f"wrote {len(files)} files to {files[0].parent}")
    return EXIT_OK


def _port(text: str) -> int:
    """A TCP port number 1024–65535: not a privileged one (a browser leaves port 80 out of
    ``Host``, which the viewer's guard compares with the port); 0, "any free port", is what
    leaving --port out does."""
    port = int(text)
    if not 1024 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text}: a port is 1024-65535 (leave --port out for "
                                         "a free one)")
    return port


def _view(args) -> int:
    from abm.viz.viewer.server import request_for, serve

    try:
        request = request_for(args.targets, args.overrides, args.seed)
    except ValueError as exc:
        print(f"abm view: error: {exc}", file=sys.stderr)
        return EXIT_USER
    try:
        serve(request, port=args.port, browser=not args.no_browser)
    except ImportError as exc:  # the view extra is not installed
        print(f"abm view: error: {exc}", file=sys.stderr)
        return EXIT_USER
    return EXIT_OK


def _sweep(args) -> int:
    """``abm sweep``: a user error (study file, arguments, the study folder) is one
    ``abm: error:`` line with exit code 2 (from :func:`main`); a folder locked by another
    sweep, a missing optional engine or a failing disk is one ``abm sweep: error:`` line
    with exit code 1; failed runs give exit code 3."""
    from abm.study import load_study_spec
    from abm.study.engines import check_workers, dask_executor, emit_slurm
    from abm.study.folder import StudyBusy
    from abm.study.runner import run_study
    from abm.study.sensitivity_report import report_sensitivity

    spec = load_study_spec(args.study)
    if args.emit_slurm:
        try:
            path = emit_slurm(spec)
        except OSError as exc:
            return _study_failure("sweep", exc)
        print(f"wrote {path}: sbatch {path}; then `abm sweep {args.study}` collects the summary")
        return 0
    check_workers(args.workers)
    progress = _progress(args)
    try:
        if args.dask or args.dask_cluster:
            with dask_executor(args.dask, spec.cluster) as executor:
                summary = run_study(spec, executor, retry_failed=args.retry_failed,
                                    progress=progress)
        else:
            summary = run_study(spec, workers=args.workers, retry_failed=args.retry_failed,
                                progress=progress)
        written = report_sensitivity(spec, summary)
    except (StudyBusy, ImportError, OSError) as exc:
        return _study_failure("sweep", exc)
    counts = summary["status"].value_counts().to_dict()
    print(f"{spec.name}: {counts.get('done', 0)} done, {counts.get('failed', 0)} failed of "
          f"{len(summary)} runs; summary in {spec.out_dir / 'summary.csv'}")
    for path in written:
        print(f"wrote {path}")
    return 0 if counts.get("failed", 0) == 0 else 3


def _run_design(args) -> int:
    """``abm run-design``: one run of a study (a SLURM array task), under a shared lock of
    the study folder; errors as for :func:`_sweep`."""
    from abm.study import load_study_spec
    from abm.study.design import run_table
    from abm.study.folder import StudyBusy, check_study_dir, claim_study_dir, study_lock
    from abm.study.runner import run_one
    from abm.study.status import DONE

    spec = load_study_spec(args.study)
    table = run_table(spec)
    if args.index not in table.index:
        raise ConfigError(f"--index = {args.index}: the study has runs 0 … {len(table) - 1}")
    check_study_dir(spec)
    try:
        with study_lock(spec.out_dir, shared=True):
            claim_study_dir(spec)
            row = run_one(spec, args.index, table.loc[args.index].to_dict())
    except (StudyBusy, OSError) as exc:
        return _study_failure("run-design", exc)
    print(f"run {args.index}: {row['status']} {row.get('error', '')}".rstrip())
    return 0 if row["status"] == DONE else 3


def _calibrate(args) -> int:
    """``abm calibrate``: ABC-SMC generations (continuing the folder's database), then the
    posterior tables and the predictive figure; errors as for :func:`_sweep`."""
    from abm.study.calibrate import calibrate, load_calibration_spec
    from abm.study.engines import check_workers, open_engine
    from abm.study.folder import StudyBusy

    spec = load_calibration_spec(args.calibration)
    check_workers(args.workers)
    try:
        cluster = spec.cluster if args.dask_cluster else None
        with open_engine(args.workers, args.dask, cluster) as executor:
            written = calibrate(spec, executor, progress=not args.no_progress,
                                max_jobs=args.workers if args.workers > 1 else None)
    except (StudyBusy, ImportError, OSError) as exc:
        return _study_failure("calibrate", exc)
    import pandas as pd

    summary = pd.read_csv(written["summary"], index_col="parameter")
    for key, row in summary.iterrows():
        print(f"{key}: median {row['median']:.4g}, 90 % credible interval "
              f"[{row.ci_lo:.4g}, {row.ci_hi:.4g}] (prior [{row.prior_lo:.4g}, "
              f"{row.prior_hi:.4g}])")
    for path in written.values():
        print(f"wrote {path}")
    return 0


def _study_failure(command: str, exc: BaseException) -> int:
    """One line for a study that cannot go on (not a bad study file): exit code 1."""
    print(f"abm {command}: error: {exc}", file=sys.stderr)
    return 1


def _params(args) -> int:
    from abm.schema import describe_params

    print(describe_params())
    return 0
