"""Movies of a stored run: the cell phases (with the agents of the frame) and chosen fields,
frame by frame, as MP4 or GIF.

Everything is read from the run file, one frame at a time (memory does not grow with the
number of frames for MP4; the agents' event tables, read whole once, are the exception).
The figure is built once; each frame only swaps the image data, the agents' marker
positions and the time in the title, then the canvas pixels go to the encoder:

- MP4 (H.264, yuv420p): raw RGBA frames piped to ffmpeg (:func:`find_ffmpeg` says which);
- GIF: Pillow, each frame quantised to a 256-colour palette as it is drawn.

With no ffmpeg anywhere an MP4 request writes a GIF instead, with a warning::

    from abm.viz.movie import render_movie
    render_movie("outputs/quickstart.h5", "quickstart.mp4", fields=("phases", "oxygen", "sasp"))
"""
from __future__ import annotations

import contextlib
import math
import operator
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from numbers import Real
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image
from tqdm import tqdm

from abm.fields.solutes import FIELDS
from abm.io import load_run
from abm.io.outputs import check_output, write_atomically
from abm.viz.panels import mark_vessels
from abm.viz.raster import agent_positions, map_extent, phase_image
from abm.viz.journal import MIN_TEXT_PT
from abm.viz.style import (AGENT_STYLES, add_scale_bar, agent_marker, colour_max,
                           clock_text, declared_field, nice_length, phase_handles,
                           site_handles)

MOVIE_PANELS = ("phases", *(spec.name for spec in FIELDS))
"""Panel names for ``fields``: ``phases`` (cells coloured by phase) and the built-in fields a
run can hold (a run has oxygen always, the others when its config enables them); any other
field of a run (a registered one, :mod:`abm.extend`) is accepted too, drawn in its declared
style (:class:`abm.fields.specs.PlotStyle`)."""

SUFFIXES = (".mp4", ".gif")

_PANEL_INCHES = 3.6
"""Width (or height, if taller than wide) of one map, inches."""

LEGEND_PT = MIN_TEXT_PT + 1
"""The legend's text, points: the smallest text of the movie (tick labels, titles and the
scale bar are larger or :data:`abm.viz.journal.MIN_TEXT_PT`), one point above the figures'
floor because a video frame is seen at screen resolution (design choice)."""

_AGENT_MARKER_PT = 2.5
"""Size of the agents' markers on the phase map, points (a hundredth of a map's width):
small enough not to hide the cells around them."""


# ---------------------------------------------------------------------------- public API
def render_movie(run_path: str | Path, out_path: str | Path, *,
                 fields: Sequence[str] = ("phases", "oxygen"), fps: float = 10,
                 dpi: float = 100, frames: slice | Iterable[int] | None = None,
                 progress: bool | None = None, overwrite: bool = False) -> Path:
    """Render the frames of run file ``run_path`` to the movie ``out_path`` and return its path.

    ``fields``: one panel per entry, side by side: ``"phases"`` (tumour cells coloured by
    phase, empty sites grey, vessels orange-red: the colours of the figures; the agents of
    the frame as small markers when the run has them: immune cells, neutrophils, NETs,
    platelet aggregates; see :data:`abm.viz.style.AGENT_STYLES`) or a field name of the run (a map with a colour
    bar in its units, colour limits fixed over the movie). Maps are in mm with a scale bar;
    the figure title shows the frame time (day, hh:mm).
    ``out_path``: ``.mp4`` (H.264, needs ffmpeg: see :func:`find_ffmpeg`; without one a
    ``.gif`` next to it is written instead, with a warning, and its path returned) or ``.gif``.
    ``fps``: frames per second of the movie (> 0; GIF frame times are whole centiseconds, and
    viewers slow down frames shorter than 20 ms). ``dpi``: pixels per inch of the figure
    (> 0; at 100 two panels of a square lattice make about 980 × 500 pixels).
    ``frames``: frame indices of the run (negative count from the end): None for all, a
    slice, or a sequence. ``progress``: True/False force a progress bar on/off; None shows
    it only on an interactive terminal.

    Raises ValueError for an unknown panel, fps or dpi ≤ 0, another suffix or frames out of
    range, and :class:`abm.errors.OutputError` for an existing movie file without
    ``overwrite``, before anything is written; a failure while rendering or encoding
    (RuntimeError with the end of ffmpeg's log; OSError such as a full disk) leaves no output
    file.
    """
    out_path = Path(out_path)
    fields = (fields,) if isinstance(fields, str) else tuple(fields)
    _check_request(out_path, fields, fps, dpi)
    with load_run(run_path) as run:
        allowed = ", ".join(("phases", *run.field_names))
        unknown = [name for name in fields if name not in ("phases", *run.field_names)]
        if unknown:
            raise ValueError(f"unknown movie panel(s) {unknown}: {run.path.name} offers {allowed}")
        if not fields:
            raise ValueError(f"no movie panels given: {run.path.name} offers {allowed}")
        indices = _frame_indices(frames, run.n_frames)
        ffmpeg = find_ffmpeg() if out_path.suffix.lower() == ".mp4" else None
        if out_path.suffix.lower() == ".mp4" and ffmpeg is None:
            out_path = out_path.with_suffix(".gif")
            warnings.warn(f"no ffmpeg found, writing a GIF instead: {out_path}. For MP4 "
                          'install the movie extra (pip install "tumor-abm[movie]") or ffmpeg '
                          "(on PATH, or set matplotlib's rcParams['animation.ffmpeg_path'])",
                          stacklevel=2)
        check_output(out_path, overwrite=overwrite, what="movie")
        movie = _MovieFigure(run, fields, indices, dpi)
        with tqdm(indices, unit="frame", desc=out_path.name, leave=False,
                  disable=None if progress is None else not progress) as bar:
            pixels = (movie.render(frame) for frame in bar)
            if ffmpeg is None:
                write_atomically(out_path, lambda tmp: _encode_gif(pixels, movie.size, tmp, fps))
            else:
                write_atomically(out_path, lambda tmp: _encode_mp4(pixels, movie.size, tmp,
                                                                    fps, ffmpeg[0]))
    return out_path


def find_ffmpeg() -> tuple[str, str] | None:
    """The ffmpeg executable and where it was found, or None if there is none.

    Looked for in this order: matplotlib's ``rcParams["animation.ffmpeg_path"]`` (a name on
    PATH or a path; the default ``"ffmpeg"`` counts as a PATH lookup), ``ffmpeg`` on PATH,
    the binary shipped by the ``imageio-ffmpeg`` package. Returns ``(path, where)`` with
    ``where`` one of ``"matplotlib rcParams"``, ``"PATH"``, ``"imageio-ffmpeg"``.
    """
    configured = mpl.rcParams["animation.ffmpeg_path"]
    if configured != "ffmpeg":
        found = shutil.which(configured)
        if found:
            return found, "matplotlib rcParams"
        warnings.warn(f"rcParams['animation.ffmpeg_path'] = {configured!r} is not an "
                      "executable; looking for ffmpeg elsewhere", stacklevel=2)
    found = shutil.which("ffmpeg")
    if found:
        return found, "PATH"
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg"
    except (ImportError, RuntimeError):  # not installed / no binary for this platform
        return None


# ---------------------------------------------------------------------------- checks
def _check_request(out_path: Path, fields: tuple, fps, dpi) -> None:
    """Raise ValueError for a suffix other than .mp4/.gif, a non-str panel name, or fps/dpi
    that are not finite positive numbers."""
    if out_path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"movie file {str(out_path)!r}: suffix must be one of "
                         f"{', '.join(SUFFIXES)}, got {out_path.suffix or 'none'!r}")
    for what, value in (("fps", fps), ("dpi", dpi)):
        if isinstance(value, bool) or not isinstance(value, Real) or not (
                math.isfinite(value) and value > 0):
            raise ValueError(f"{what} must be a positive number, got {value!r}")
    not_str = [name for name in fields if not isinstance(name, str)]
    if not_str:
        raise ValueError(f"movie panels are names (str), got {not_str!r}")


def _frame_indices(frames, n_frames: int) -> list[int]:
    """``frames`` (None, a slice or a sequence; negative count from the end) as a non-empty
    list of frame indices 0..n_frames-1; ValueError otherwise."""
    if frames is None:
        frames = slice(None)
    if isinstance(frames, slice):
        indices = list(range(n_frames)[frames])
    else:
        indices = [operator.index(f) for f in frames]  # TypeError for 1.5, not frame 1
        outside = [f for f in indices if not -n_frames <= f < n_frames]
        if outside:
            raise ValueError(f"frames {outside} out of range: the run has {n_frames} frames")
        indices = [f % n_frames for f in indices]
    if not indices:
        raise ValueError(f"no frames selected by frames={frames!r} (the run has {n_frames})")
    return indices


# ---------------------------------------------------------------------------- the figure
class _MovieFigure:
    """The movie's figure, laid out and drawn once; :meth:`render` draws one frame.

    Axes, ticks, labels, colour bars and legend take most of a full draw (~150 ms at
    dpi 100) and never change, so they are drawn once into a saved background (blitting):
    a frame restores it and draws only the maps, what lies on them (spines, scale bars) and
    the title. The layout is frozen after the first draw, so the canvas size (``size``,
    width and height in pixels) stays the same all movie.
    """

    def __init__(self, run, panels: tuple[str, ...], frames: list[int], dpi: float):
        self.run, self.frames = run, frames
        x_um, y_um = run.x_um, run.y_um  # read once: properties read the file each time
        self.extent = map_extent(x_um, y_um)
        self.figure = _empty_figure(self.extent, len(panels), dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        axes = self.figure.subplots(1, len(panels), squeeze=False)[0]
        self.updates: list[Callable[[int], None]] = []
        self.foreground = []  # artists drawn each frame, in this order
        self.times = run.frame_times
        # Every agent table read once, here: a frame only slices the arrays in memory.
        self.agents = agent_positions(run) if "phases" in panels else {}
        for ax, name in zip(axes, panels):
            markers = []
            if name == "phases":
                image, update, vessel_marks = self._phase_panel(ax, x_um, y_um)
                markers = vessel_marks + self._agent_markers(ax)
            else:
                image, update = self._field_panel(ax, name)
            self.updates.append(update)
            ax.set(xlabel="x (mm)", ylabel="y (mm)")
            add_scale_bar(ax, nice_length(self.extent[1] - self.extent[0]),
                          color="black" if name == "phases" else "white")
            on_map = [*ax.spines.values(), *ax.patches, *ax.texts]  # spines, scale bar
            self.foreground += [image, *markers, *sorted(on_map, key=lambda a: a.get_zorder())]
        if "phases" in panels:
            handles = (phase_handles() + site_handles()
                       + [_agent_handle(group) for group in self.agents])
            self.figure.legend(handles=handles, loc="outside lower center",
                               ncols=8 if len(panels) > 1 else 4, fontsize=LEGEND_PT,
                               frameon=False)
        self.name = f"{run.scenario} (seed {run.seed})"
        self.title = self.figure.suptitle(f"{self.name}, {clock_text(0.0)}")
        self.foreground.append(self.title)
        self.canvas.draw()  # lays the figure out (the title's height counts)
        self.figure.set_layout_engine("none")
        self.title.set_animated(True)  # left out of the background: its text changes
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        height, width, _ = self.canvas.buffer_rgba().shape
        self.size = (width, height)

    def render(self, frame: int) -> memoryview:
        """Draw frame ``frame`` of the run; return the canvas pixels, RGBA uint8
        [height, width, 4] row-major from the top (valid until the next call)."""
        for update in self.updates:
            update(frame)
        self.title.set_text(f"{self.name}, {clock_text(float(self.times[frame]))}")
        self.canvas.restore_region(self.background)
        for artist in self.foreground:
            self.figure.draw_artist(artist)
        return self.canvas.buffer_rgba()

    def _phase_panel(self, ax, x_um, y_um):
        """The phase map on ``ax``: its image, its per-frame update and the vessels' marks
        (as in the figures, :func:`abm.viz.panels.mark_vessels`: a site smaller than a mark
        on screen stays visible; none if the file cannot tell the vessels)."""
        vessels = self.run.vessels
        # Opaque RGBA float32, reused: given RGB, matplotlib would stack on an alpha channel
        # in float64 every frame (a third of the panel's drawing time at 1000² sites).
        rgba = np.ones((len(y_um), len(x_um), 4), np.float32)
        image = ax.imshow(rgba, origin="lower", extent=self.extent)
        ax.set_title("cell phases")
        marks = [] if vessels is None else [mark_vessels(ax, vessels, x_um, y_um)]

        def update(frame: int) -> None:
            rgba[..., :3] = phase_image(self.run.cells(frame), x_um, y_um, vessels)
            image.set_data(rgba)
        return image, update, marks

    def _agent_markers(self, ax) -> list[Line2D]:
        """One marker artist per agent group of the run on ``ax`` (the phase map), each
        moved to the group's agents of the frame by an update; animated, so that they stay
        out of the saved background and are drawn each frame."""
        markers = []
        for group, positions in self.agents.items():
            line, = ax.plot([], [], linestyle="none", ms=_AGENT_MARKER_PT, animated=True,
                            **agent_marker(AGENT_STYLES[group]))

            def update(frame: int, line=line, positions=positions) -> None:
                xy = positions.at(float(self.times[frame]))
                line.set_data(xy[:, 0], xy[:, 1])
            self.updates.append(update)
            markers.append(line)
        return markers

    def _field_panel(self, ax, name: str):
        """The map of field ``name`` with its colour bar on ``ax``: its image and its
        per-frame update."""
        spec = declared_field(name)
        units = self.run.attrs["units"]["fields"].get(name, "units?")
        dataset = self.run.field(name)  # lazy [frame, y, x]: one frame read per update
        image = ax.imshow(np.zeros(dataset.shape[1:], np.float32), origin="lower",
                          extent=self.extent, cmap=spec.style.cmap, vmin=0.0,
                          vmax=colour_max(self.run, spec, self.frames))
        self.figure.colorbar(image, ax=ax, label=spec.label(units), shrink=0.85)
        ax.set_title(spec.style.title)

        def update(frame: int) -> None:
            image.set_data(dataset[frame])
        return image, update


def _empty_figure(extent, n_panels: int, dpi: float) -> Figure:
    """A figure with room for ``n_panels`` maps of ``extent`` (mm) side by side, plus axis
    labels, colour bars, the title and the phase legend (constrained layout)."""
    aspect = (extent[3] - extent[2]) / (extent[1] - extent[0])  # map height / width
    width = _PANEL_INCHES / max(aspect, 1.0)
    return Figure(figsize=(n_panels * (width + 1.3), width * aspect + 1.4), dpi=dpi,
                  layout="constrained")


def _agent_handle(group: str) -> Line2D:
    """The legend entry of agent group ``group`` (:data:`abm.viz.style.AGENT_STYLES`)."""
    style = AGENT_STYLES[group]
    return Line2D([], [], linestyle="none", ms=5, label=style.label, **agent_marker(style))


# ---------------------------------------------------------------------------- encoders
def _encode_mp4(pixels: Iterator[memoryview], size: tuple[int, int], path: Path, fps: float,
                ffmpeg: str) -> None:
    """Pipe RGBA frames of ``size`` (width, height) to ``ffmpeg``, writing H.264 to ``path``.

    yuv420p (what players expect) needs even sides, so an odd canvas is padded by a pixel.
    Raises RuntimeError with the end of ffmpeg's log if it fails.
    """
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{size[0]}x{size[1]}", "-r", f"{fps:g}",
               "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
               "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", str(path)]
    # The log goes to a file, not a pipe: a full stderr pipe would block ffmpeg and us.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=log)
        try:
            for frame in pixels:
                process.stdin.write(frame)
        except BrokenPipeError:
            pass  # ffmpeg quit early: its exit code and log (below) say why
        except BaseException:
            process.kill()  # do not let it finish a movie that is about to be deleted
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()  # end of input: ffmpeg writes the file's index and exits
            process.wait()
        if process.returncode != 0:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip()[-2000:]
            raise RuntimeError(f"ffmpeg ({ffmpeg}) failed with exit code "
                               f"{process.returncode}:\n{tail}")


def _encode_gif(pixels: Iterator[memoryview], size: tuple[int, int], path: Path,
                fps: float) -> None:
    """Write RGBA frames of ``size`` (width, height) as a looping GIF with Pillow.

    Each frame is quantised to its own 256-colour palette as it is drawn: Pillow keeps every
    frame until the end, and at one byte per pixel (not four) a long movie stays affordable.
    """
    frames = (_quantise(frame, size) for frame in pixels)
    first = next(frames)
    # GIF frame durations are whole centiseconds: Pillow rounds 1000/fps ms.
    first.save(path, format="GIF", save_all=True, append_images=frames,
               duration=1000 / fps, loop=0)


def _quantise(frame: memoryview, size: tuple[int, int]) -> Image.Image:
    """The RGBA canvas pixels ``frame`` as a palette image of 256 colours fitted to it.

    Fast octree, not median cut: ten times faster on a movie frame, and it keeps small
    areas of a rare colour (a few cells of one phase) that median cut merges away.
    """
    rgb = Image.frombuffer("RGBA", size, frame, "raw", "RGBA", 0, 1).convert("RGB")
    return rgb.quantize(256, method=Image.Quantize.FASTOCTREE)
