"""Issue 21: how fast ``abm view`` shows a new frame.

1. ``server``: the time from a frame change to the new map's PNG, on the server: a frame
   read for the first time (its cells or field read from the file, painted, encoded) and a
   frame already in memory (painted and encoded only); median ms over the run's frames, for
   the phase map and the oxygen map, and the PNG's size.
2. ``browser``: the same seen in headless Chromium (Debian's ``/usr/bin/chromium``, through
   Playwright): SolaraViz's Step pressed, until the map's ``<img>`` holds the new picture;
   median ms over ``--steps`` steps (each a frame not shown before), then switching between
   the phase and oxygen maps of one frame, then steps with a cell selected (until its
   panel shows the new frame's time).
3. ``server`` also: a selected cell's row of a frame and its history, read alone (what the
   cell panel reads) against reading the whole frame (what it read before), median ms.

No timed assertions; measure ratios or medians, the machine is shared. Usage::

    python benchmarks/bench_viewer.py outputs/quickstart.h5 outputs/big1000.h5 [--steps 10]
    # a 1000 × 1000 run: abm run scenarios/quickstart.toml --set grid.nx=1000 \\
    #   --set grid.ny=1000 --days 0.25 --set output.frame_every_min=60 --out outputs/big1000.h5
"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time

from abm.viz.raster import lattice_index
from abm.viz.style import clock_text
from abm.viz.viewer import images
from abm.viz.viewer.picking import displayed_sites
from abm.viz.viewer.sources import StoredRun

CHROMIUM = "/usr/bin/chromium"


def render(source: StoredRun, frame: int, name: str) -> bytes:
    if name == "phases":
        rgb, priority = images.phase_rgb(source.map_cells(frame), source.x_um, source.y_um,
                                         source.vessels)
        return images.png_bytes(rgb, priority=priority)
    rgb = images.field_rgb(source.field(name, frame), images.field_lut(name), source.vmax(name))
    return images.png_bytes(rgb)


def server_side(path: str) -> None:
    for name in ("phases", "oxygen"):
        source = StoredRun(path)
        if name != "phases":
            source.vmax(name)  # once per run, not per frame
        cold, warm, size = [], [], 0
        for frame in range(len(source.frame_times)):
            t0 = time.perf_counter()
            size = len(render(source, frame, name))
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            render(source, frame, name)
            warm.append(time.perf_counter() - t0)
        print(f"  server {name:7s} {source.shape[1]}x{source.shape[0]}: first visit "
              f"{statistics.median(cold) * 1e3:6.1f} ms, in memory "
              f"{statistics.median(warm) * 1e3:6.1f} ms (median of {len(cold)} frames); "
              f"PNG {size / 1024:.0f} KiB")
        source.close()
    selected_cell(path)


def selected_cell(path: str) -> None:
    """The cell panel's reading per frame: one cell's row alone against the whole frame."""
    source = StoredRun(path)
    try:
        cells = source.map_cells(len(source.frame_times) - 1)
        cell_id = int(cells.index[len(cells) // 2])
        alone, whole = [], []
        for frame in range(len(source.frame_times)):
            t0 = time.perf_counter()
            source.run.cells(frame, cell_ids=[cell_id])
            alone.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            source.run.cells(frame)
            whole.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        source.history(cell_id)
        history = time.perf_counter() - t0
        print(f"  server selected cell ({len(cells)} cells): its row "
              f"{statistics.median(alone) * 1e3:6.1f} ms, the whole frame "
              f"{statistics.median(whole) * 1e3:6.1f} ms (median of {len(alone)} frames); "
              f"its history {history * 1e3:6.1f} ms")
    finally:
        source.close()


def browser_side(path: str, steps: int) -> None:
    from playwright.sync_api import sync_playwright

    from abm.viz.viewer.server import start_process

    process, url = start_process([path])
    try:
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True,
                viewport={"width": 1400, "height": 1100},
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--disable-dev-shm-usage"])
            page = context.new_page()
            page.goto(url)
            page.locator("img[alt='phases map 0']").wait_for(timeout=120_000)
            source = StoredRun(path)
            n_frames = len(source.frame_times)
            n_steps = min(steps, (n_frames - 1) // 2)
            step = page.get_by_role("button", name="Step")
            times = [_timed(page, "phases map 0", step.click) for _ in range(n_steps)]
            print(f"  browser step to a new frame: {_summary(times)}")
            switches = []
            for name in ("oxygen", "phases") * 3:
                switches.append(_timed(page, f"{name} map 0",
                                       lambda n=name: page.get_by_role("button", name=n).click()))
            print(f"  browser switch phases <-> oxygen: {_summary(switches)}")
            cell_id = _select_a_cell(page, source, n_steps)
            selected = []
            for frame in range(n_steps + 1, min(n_frames, 2 * n_steps + 1)):
                t0 = time.perf_counter()
                step.click()
                page.get_by_text(re.compile(
                    f"Cell {cell_id} (is not alive )?at {clock_text(source.frame_times[frame])}")
                ).wait_for(timeout=120_000)
                selected.append(time.perf_counter() - t0)
            print(f"  browser step with cell {cell_id} selected: {_summary(selected)}")
            source.close()
            context.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def _summary(seconds: list[float]) -> str:
    return (f"{statistics.median(seconds) * 1e3:6.0f} ms (median of {len(seconds)}, "
            f"min {min(seconds) * 1e3:.0f}, max {max(seconds) * 1e3:.0f})")


def _select_a_cell(page, source: StoredRun, frame: int) -> int:
    """Click a cell of ``frame`` (the one shown) on the phase map; the id of the cell then
    selected (a neighbour on a dense 1000² map, where a site is about half a pixel)."""
    cells = source.map_cells(frame)
    iy, ix = lattice_index(cells.iloc[[len(cells) // 2]], source.x_um, source.y_um)
    span_y, span_x = displayed_sites(source.shape)
    box = page.locator("img[alt='phases map 0']").bounding_box()
    page.mouse.click(box["x"] + (ix[0] + 0.5) / span_x * box["width"],
                     box["y"] + (1 - (iy[0] + 0.5) / span_y) * box["height"])
    heading = page.get_by_text(re.compile(r"Cell \d+ at"))
    heading.wait_for(timeout=120_000)
    return int(re.search(r"Cell (\d+) at", heading.inner_text()).group(1))


def _timed(page, alt_after: str, action) -> float:
    """Seconds from ``action`` until the map ``alt_after`` shows a new picture: its title
    (the frame's time) or its name changed, and the image decoded (two frames of a sparse
    1000² run can make the same picture, so its bytes cannot tell)."""
    before = page.evaluate("() => (document.querySelector('.abm-map-title') || {}).innerText"
                           " + '|' + document.querySelector('.abm-click-image img').alt")
    t0 = time.perf_counter()
    action()
    page.wait_for_function(
        """([alt, before]) => {
            const img = document.querySelector(`img[alt='${alt}']`);
            const now = (document.querySelector('.abm-map-title') || {}).innerText
                + '|' + (img && img.alt);
            return img && img.complete && now !== before; }""",
        arg=[alt_after, before], timeout=120_000, polling="raf")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--part", choices=("server", "browser", "both"), default="both")
    args = parser.parse_args()
    for path in args.runs:
        print(path)
        if args.part in ("server", "both"):
            server_side(path)
        if args.part in ("browser", "both"):
            browser_side(path, args.steps)


if __name__ == "__main__":
    main()
