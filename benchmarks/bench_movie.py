"""Benchmark of ``abm.viz.movie.render_movie`` on a large synthetic run.

Setup: a run file written with abm's own RunWriter (gzip level 4, as runs are) of N×N sites
(default 1000², dx 16.8 µm) and F frames (default 200), 6 h apart: an O2 field (mmHg) from a
square array of vessels every 12 sites, lowered inside a tumour disc that grows from 60 to
126 sites of radius (~11k to ~50k cells, with a proliferating rim, quiescent, dormant and
necrotic zones and scattered senescent and apoptotic cells).

Each movie (default panels: phases and oxygen, 10 fps, dpi 100) is rendered in a fresh
process, which reports the wall time, frames per second, its peak RSS and that of its
children (ffmpeg), and the file size. Requirement: 200 frames of 1000² well under a minute
on a 2-core machine. No assertions: the machine is shared, so repeat runs.

    python benchmarks/bench_movie.py [--size 1000] [--frames 200] [--formats mp4 gif]
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from abm.tumor.cells import KINDS, PHASES
from abm.io import RunWriter

DX_UM, VESSEL_MMHG, VESSEL_SPACING = 16.8, 38.0, 12
CELL_COLUMNS = {
    "id": (np.int64, "", None),
    "x": (np.float32, "µm", None),
    "y": (np.float32, "µm", None),
    "kind": (np.int8, "", KINDS),
    "phase": (np.int8, "", PHASES),
    "oxygen": (np.float32, "mmHg", None),
    "sasp": (np.float32, "network units", None),
    "birth_min": (np.float64, "min", None),
}


def write_run(path: Path, n: int, n_frames: int) -> None:
    """The synthetic N×N run of ``n_frames`` frames described in the module docstring."""
    rng = np.random.default_rng(1)
    centre = (np.arange(n) + 0.5) * DX_UM
    j, i = np.mgrid[0:n, 0:n]
    # Distance (µm) to the nearest vessel of the square array: O2 falls off with it.
    to_vessel = DX_UM * np.hypot(np.minimum(i % VESSEL_SPACING, -i % VESSEL_SPACING),
                                 np.minimum(j % VESSEL_SPACING, -j % VESSEL_SPACING))
    vessels = to_vessel == 0
    tissue_o2 = (VESSEL_MMHG * np.exp(-to_vessel / 80.0)).astype(np.float32)
    r = np.hypot(i - n / 2, j - n / 2)  # sites from the tumour's centre
    config = f'scenario = "bench_movie"\n[oxygen]\nvessel_mmHg = {VESSEL_MMHG}\n'
    with RunWriter(path, config_toml=config, seed=1, scenario="bench_movie", x_um=centre,
                   y_um=centre, field_units={"oxygen": "mmHg"}, cell_columns=CELL_COLUMNS,
                   timeseries_columns={"n_tumor": np.int64}, overwrite=True) as writer:
        for f in range(n_frames):
            radius = 60 + 66 * f / max(n_frames - 1, 1)
            inside = r < radius
            oxygen = np.where(inside, tissue_o2 * (0.15 + 0.85 * (r / radius) ** 4), tissue_o2)
            oxygen[vessels] = VESSEL_MMHG
            iy, ix = np.nonzero(inside & ~vessels)
            depth = r[iy, ix] / radius
            phase = np.select([depth > 0.85, depth > 0.6, depth > 0.3],
                              [PHASES["proliferating"], PHASES["quiescent"], PHASES["dormant"]],
                              PHASES["necrotic"])
            draw = rng.random(len(iy))
            phase[draw < 0.03] = PHASES["senescent"]
            phase[(draw >= 0.03) & (draw < 0.04)] = PHASES["apoptotic"]
            count = len(iy)
            cells = {"id": np.arange(count), "x": ((ix + 0.5) * DX_UM).astype(np.float32),
                     "y": ((iy + 0.5) * DX_UM).astype(np.float32),
                     "kind": np.full(count, KINDS["tumor"], np.int8), "phase": phase.astype(np.int8),
                     "oxygen": oxygen[iy, ix], "sasp": draw.astype(np.float32),
                     "birth_min": np.zeros(count)}
            writer.append_timeseries(360.0 * f, {"n_tumor": count})
            writer.write_frame(360.0 * f, {"oxygen": oxygen}, cells)


def render(run: Path, out: Path) -> dict:
    """Render ``run`` to ``out`` in this process; time, frames/s, peak RSS (MiB) after the
    imports and in all, that of the child processes (ffmpeg), the movie's size (MB)."""
    from abm import load_run
    from abm.viz.movie import find_ffmpeg, render_movie

    with load_run(run) as r:
        n_frames = r.n_frames
    ffmpeg = find_ffmpeg()  # (imageio-ffmpeg's check runs `ffmpeg -version`: a small child)

    def peak_rss_mib(who: int) -> float:
        return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux

    import_rss = peak_rss_mib(resource.RUSAGE_SELF)
    start = time.perf_counter()
    written = render_movie(run, out, progress=False)
    seconds = time.perf_counter() - start
    return {"file": written.name, "seconds": seconds, "frames_per_s": n_frames / seconds,
            "import_rss_mib": import_rss, "peak_rss_mib": peak_rss_mib(resource.RUSAGE_SELF),
            "children_peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
            "size_mb": written.stat().st_size / 1e6, "ffmpeg": ffmpeg}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="sites per side")
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--formats", nargs="+", default=["mp4", "gif"], choices=["mp4", "gif"])
    parser.add_argument("--render", nargs=2, metavar=("RUN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:  # the child process of one measurement
        print(json.dumps(render(Path(args.render[0]), Path(args.render[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run.h5"
        start = time.perf_counter()
        write_run(run, args.size, args.frames)
        print(f"wrote {args.size}² × {args.frames} frames run: {run.stat().st_size / 1e6:.0f} MB "
              f"in {time.perf_counter() - start:.1f} s")
        for fmt in args.formats:
            child = subprocess.run([sys.executable, __file__, "--render", str(run),
                                    str(Path(tmp) / f"movie.{fmt}")],
                                   check=True, capture_output=True, text=True)
            r = json.loads(child.stdout.splitlines()[-1])
            encoder = (f", ffmpeg ({r['ffmpeg'][1]}) peak RSS {r['children_peak_rss_mib']:.0f} MiB"
                       if r["file"].endswith(".mp4") else "")
            print(f"{r['file']}: {r['seconds']:.1f} s, {r['frames_per_s']:.1f} frames/s, "
                  f"peak RSS {r['peak_rss_mib']:.0f} MiB (after imports {r['import_rss_mib']:.0f}), "
                  f"{r['size_mb']:.2f} MB{encoder}")


if __name__ == "__main__":
    main()
