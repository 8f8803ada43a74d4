"""Time and peak memory of ``abm export`` of one run to each format.

Each export runs in a fresh process (``--worker``), which reports the wall time of
``export_run`` alone, its peak RSS (``ru_maxrss``) before the export (imports done, run not
yet opened) and after it, the number of files and their total size. Each format is exported
``--repeat`` times (default 3) and the median is reported, since the machine is shared.
Defaults: the quickstart run (``outputs/quickstart.h5``; 49 frames of 200 × 200 sites,
211,264 cell rows × 50 columns) and every format with its default ``--what``; ``--what``
overrides it for all formats (e.g. ``fields`` for the site tables and images alone).

    python benchmarks/bench_export.py [RUN.h5] [--formats csv parquet vtk] [--repeat 3] [--what ITEMS]
                                      [--frames FRAMES] [--compress LEVEL]

``+export MB`` (peak RSS minus the RSS before the export) is the memory the data took; that
it hardly changes between ``--frames -1`` and all frames shows frames are read one at a time.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(run_path: str, fmt: str, out_dir: str, what: str | None, frames: str,
           compress: int | None) -> None:
    """One export in this process; prints one JSON line of measurements. The libraries the
    export uses are imported first, so the memory it adds is the data's."""
    import abm.export.tables  # noqa: F401 - imported before the baseline is taken
    import abm.export.vtk_run  # noqa: F401
    import abm.io  # noqa: F401
    from abm.export import export_run

    if fmt == "parquet":
        import pyarrow.parquet  # noqa: F401
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    start = time.perf_counter()
    files = export_run(run_path, fmt, what=what, frames=frames, out_dir=out_dir,
                       compress=compress if fmt == "vtk" else None)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak,
                      "files": len(files), "mb": sum(f.stat().st_size for f in files) / 2**20}))


def measure(run_path: Path, fmt: str, what: str | None, frames: str, compress: int | None,
            repeat: int) -> dict:
    """Median of ``repeat`` exports, each in a fresh process into a fresh folder."""
    rows = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            command = [sys.executable, __file__, "--worker", fmt, str(run_path), str(Path(tmp) / "out"), "--frames", frames]
            if what:
                command += ["--what", what]
            if compress is not None:
                command += ["--compress", str(compress)]
            result = subprocess.run(command, check=True, capture_output=True, text=True)
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default="outputs/quickstart.h5")
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet", "vtk"])
    parser.add_argument("--what", help="what to export (default: each format's default)")
    parser.add_argument("--frames", default="all", help="frames of cells and fields (as abm export)")
    parser.add_argument("--compress", type=int, help="zlib level of the VTK files (default: abm's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=3, metavar=("FORMAT", "RUN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fmt, run_path, out = args.worker
        worker(run_path, fmt, out, args.what, args.frames, args.compress)
        return
    print(f"{args.run}, frames {args.frames}: median of {args.repeat} exports, each in a fresh process")
    print(f"{'format':8} {'what':28} {'time s':>7} {'peak MB':>8} {'+export MB':>10} {'files':>6} {'size MB':>8}")
    for fmt in args.formats:
        m = measure(Path(args.run), fmt, args.what, args.frames, args.compress, args.repeat)
        what = args.what or ("fields,cells" if fmt == "vtk" else "cells,timeseries,events")
        print(f"{fmt:8} {what:28} {m['seconds']:7.2f} {m['peak_rss_mb']:8.0f} "
              f"{m['peak_rss_mb'] - m['rss_before_mb']:10.0f} {m['files']:6.0f} {m['mb']:8.1f}")


if __name__ == "__main__":
    main()
