"""Tests of abm.viz.movie: MP4 and GIF movies of a stored run, the fallback without ffmpeg,
input checks, and that a failure never leaves a (partial) movie behind."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import imageio_ffmpeg
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from abm import load_config, load_run, run_scenario
from abm.viz import movie
from abm.viz.movie import MOVIE_PANELS, find_ffmpeg, render_movie
from abm.viz.style import EMPTY_COLOR, PHASE_COLORS, VESSEL_COLOR

from ..helpers import TINY, agents_at, sorted_mm

ROOT = Path(__file__).resolve().parents[2]
N_FRAMES = 13  # TINY: 12 h, a frame every 60 min, plus the initial one

needs_posix_shell = pytest.mark.skipif(os.name == "nt", reason="fake encoders are sh scripts")


@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    """A 48×40-site, 12-hour quickstart run (oxygen, glucose and both SASP fields)."""
    config = load_config(ROOT / "scenarios" / "quickstart.toml", overrides=TINY)
    return run_scenario(config, tmp_path_factory.mktemp("movie") / "run.h5", progress=False)


def fake_encoder(directory: Path, name: str = "ffmpeg") -> Path:
    """An executable that, like a failing ffmpeg, writes junk to its output (last argument),
    complains on stderr and exits 3."""
    path = directory / name
    path.write_text('#!/bin/sh\nfor out; do :; done\necho junk > "$out"\n'
                    'echo "fake encoder failed: no libx264" >&2\nexit 3\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def has_colour(image: Image.Image, colour: str, tolerance: int = 12) -> bool:
    """Whether some pixel of ``image`` is within ``tolerance`` (0–255 per channel) of ``colour``."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    target = np.round(np.array(to_rgb(colour)) * 255).astype(np.int16)
    return bool(np.any(np.all(np.abs(pixels - target) <= tolerance, axis=-1)))


# ---------------------------------------------------------------------------- MP4 and GIF
def test_mp4_has_every_frame_at_an_even_size(run_file, tmp_path):
    fields = ("phases", "oxygen", "sasp")
    mp4 = render_movie(run_file, tmp_path / "run.mp4", fields=fields, fps=5, progress=False)
    gif = render_movie(run_file, tmp_path / "run.gif", fields=fields, fps=5, progress=False)
    assert mp4 == tmp_path / "run.mp4" and gif == tmp_path / "run.gif"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif", "run.mp4"]  # no temporaries
    n_frames, seconds = imageio_ffmpeg.count_frames_and_secs(mp4)
    assert n_frames == N_FRAMES and seconds == pytest.approx(N_FRAMES / 5, abs=0.25)
    meta = next(imageio_ffmpeg.read_frames(mp4))
    width, height = Image.open(gif).size  # the canvas: GIF frames are not padded
    assert meta["size"] == (width + width % 2, height + height % 2)
    assert meta["codec"] == "h264" and meta["fps"] == pytest.approx(5)


def test_mp4_pads_an_odd_canvas(tmp_path):
    """yuv420p needs even sides: a 33×21 canvas becomes a 34×22 video."""
    ffmpeg = find_ffmpeg()[0]
    frames = (memoryview(np.full((21, 33, 4), 40 * k, np.uint8)) for k in range(4))
    movie._encode_mp4(frames, (33, 21), tmp_path / "odd.mp4", 10, ffmpeg)
    assert imageio_ffmpeg.count_frames_and_secs(tmp_path / "odd.mp4")[0] == 4
    assert next(imageio_ffmpeg.read_frames(tmp_path / "odd.mp4"))["size"] == (34, 22)


def test_gif_frames_show_the_phases(run_file, tmp_path):
    out = render_movie(run_file, tmp_path / "run.gif", fps=4, progress=False)
    with Image.open(out) as gif:
        assert gif.n_frames == N_FRAMES and gif.info["duration"] == 250 and gif.info["loop"] == 0
        assert 400 < gif.size[0] < 2000 and 200 < gif.size[1] < 1000  # two panels at dpi 100
        gif.seek(N_FRAMES - 1)
        last = gif.convert("RGB")
    with load_run(run_file) as run:
        present = set(run.cells(-1)["phase"].astype(str))
    assert {"proliferating", "quiescent"} <= present
    assert len(last.getcolors(1 << 16)) > 30  # maps, colour bar, text: far from blank
    for colour in [PHASE_COLORS[name] for name in present] + [EMPTY_COLOR, VESSEL_COLOR]:
        assert has_colour(last, colour), colour


def test_frames_select_part_of_the_run(run_file, tmp_path):
    out = render_movie(run_file, tmp_path / "part.gif", fields=["phases"],
                       frames=slice(0, None, 4), progress=False)
    assert Image.open(out).n_frames == 4  # frames 0, 4, 8, 12
    out = render_movie(run_file, tmp_path / "last.gif", fields="glucose", frames=[-1],
                       progress=False)
    assert Image.open(out).n_frames == 1


def test_no_ffmpeg_writes_a_gif_and_says_so(run_file, tmp_path, monkeypatch):
    monkeypatch.setattr(movie, "find_ffmpeg", lambda: None)
    with pytest.warns(UserWarning, match=r'pip install "tumor-abm\[movie\]"'):
        out = render_movie(run_file, tmp_path / "run.mp4", frames=range(3), progress=False)
    assert out == tmp_path / "run.gif" and Image.open(out).n_frames == 3
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


# ---------------------------------------------------------------------------- bad input, failures
@pytest.mark.parametrize("name, kwargs, named", [
    ("run.mp4", {"fields": ("phases", "pressure")}, "'pressure'"),
    ("run.mp4", {"fields": ("chemokine",)}, "'chemokine'"),  # a field this run does not have
    ("run.mp4", {"fields": ()}, "phases, "),
    ("run.gif", {"fps": 0}, "fps must be a positive number, got 0"),
    ("run.gif", {"fps": float("nan")}, "fps"),
    ("run.mp4", {"dpi": -100}, "dpi must be a positive number, got -100"),
    ("run.avi", {}, "'.avi'"),
    ("run", {}, "none"),
    ("run.gif", {"frames": [0, 13]}, "[13]"),
    ("run.gif", {"frames": slice(20, None)}, "no frames"),
])
def test_bad_input_raises_before_writing(run_file, tmp_path, name, kwargs, named):
    out_dir = tmp_path / "out"  # not created: nothing may be
    with pytest.raises(ValueError) as error:
        render_movie(run_file, out_dir / name, progress=False, **kwargs)
    assert named in str(error.value)
    if "fields" in kwargs:  # the message lists what is allowed
        assert "phases, glucose, oxygen, sasp, sasp_metabolic" in str(error.value)
    assert not out_dir.exists()


@needs_posix_shell
def test_failing_encoder_leaves_no_file(run_file, tmp_path, monkeypatch):
    encoder = fake_encoder(tmp_path)
    monkeypatch.setattr(movie, "find_ffmpeg", lambda: (str(encoder), "test"))
    out_dir = tmp_path / "out"
    with pytest.raises(RuntimeError, match="exit code 3:\nfake encoder failed: no libx264"):
        render_movie(run_file, out_dir / "run.mp4", progress=False)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_failure_while_rendering_keeps_the_old_movie(run_file, tmp_path, monkeypatch, suffix):
    calls = []

    def fail_on_third_frame(*args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk vanished")
        return original(*args)

    original = movie.phase_image
    monkeypatch.setattr(movie, "phase_image", fail_on_third_frame)
    out = tmp_path / f"run{suffix}"
    out.write_bytes(b"the previous movie")
    with pytest.raises(OSError, match="disk vanished"):
        render_movie(run_file, out, progress=False, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    assert out.read_bytes() == b"the previous movie"


# ---------------------------------------------------------------------------- finding ffmpeg
@needs_posix_shell
def test_find_ffmpeg_order(tmp_path, monkeypatch):
    configured = fake_encoder(tmp_path, "configured-ffmpeg")
    on_path = fake_encoder(tmp_path, "ffmpeg")
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", str(configured))
    assert find_ffmpeg() == (str(configured), "matplotlib rcParams")
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", "ffmpeg")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg() == (str(on_path), "PATH")
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", str(tmp_path / "missing"))
    with pytest.warns(UserWarning, match="missing"):
        assert find_ffmpeg() == (str(on_path), "PATH")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", "ffmpeg")
    assert find_ffmpeg() == (imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg")


def test_movie_panels_name_every_field_a_run_can_hold():
    from abm.fields.solutes import FIELDS, SECRETED_FIELDS

    agents = {spec.name for spec in FIELDS if spec.agents}  # secreted by agents: il6, tgfb
    assert {"il6", "tgfb"} <= agents
    assert set(MOVIE_PANELS) == {"phases", "oxygen", "glucose", *SECRETED_FIELDS, *agents}


# ---------------------------------------------------------------------------- agents on the map
PHASE_LEGEND = [*PHASE_COLORS, "vessel", "empty site"]


def _markers(figure):
    """Legend label → positions of the agents' markers on the phase map (the first axes)."""
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    lines = figure.axes[0].get_lines()
    return {label: sorted_mm(*(1000 * np.asarray(line.get_data(), float)))
            for label, line in zip(legend[len(PHASE_LEGEND):], lines, strict=True)}


def test_the_phase_panel_marks_the_agents_of_each_frame(myeloid_run):
    """Each frame's markers sit where that frame's rows put them (none at time 0, before
    any neutrophil entered); they are drawn on top of the phase map: hiding them changes
    the pixels of that map and nothing outside it."""
    with load_run(myeloid_run) as run:
        frames = list(range(run.n_frames))
        figure = movie._MovieFigure(run, ("phases", "il6"), frames, 80)
        legend = [t.get_text() for t in figure.figure.legends[0].get_texts()]
        assert legend == PHASE_LEGEND + ["neutrophil", "NET", "platelet aggregate"]
        for frame in (0, 4, frames[-1], 2):  # out of order: nothing carries over
            figure.render(frame)
            expected = agents_at(run, float(run.frame_times[frame]))
            drawn = _markers(figure.figure)
            assert drawn.keys() == expected.keys()
            for label, xy in expected.items():
                assert np.allclose(drawn[label], xy), (frame, label)
        assert all(len(xy) == 0 for xy in agents_at(run, 0.0).values())
        last = agents_at(run, float(run.frame_times[-1]))
        assert all(len(xy) > 0 for xy in last.values())
        with_agents = np.array(figure.render(frames[-1]))
        for line in figure.figure.axes[0].get_lines():
            line.set_visible(False)
        without = np.array(figure.render(frames[-1]))
    changed_y, changed_x = np.nonzero(np.any(with_agents != without, axis=-1))
    assert len(changed_y) > 0
    box = figure.figure.axes[0].get_window_extent()  # pixels, origin at the bottom
    height = with_agents.shape[0]
    assert box.x0 - 3 <= changed_x.min() and changed_x.max() <= box.x1 + 3
    assert box.y0 - 3 <= height - changed_y.max() and height - changed_y.min() <= box.y1 + 3


def test_a_movie_without_agent_tables_has_no_markers(run_file):
    with load_run(run_file) as run:
        assert not {"immune_cells", "neutrophils", "platelets"} & set(run.event_tables)
        figure = movie._MovieFigure(run, ("phases", "oxygen"), [0, 1], 80)
    assert [t.get_text() for t in figure.figure.legends[0].get_texts()] == PHASE_LEGEND
    assert figure.figure.axes[0].get_lines() == []


def test_abm_movie_of_a_run_with_agents_and_their_fields(myeloid_run, tmp_path):
    """`abm movie --fields phases il6 tgfb` on a run with neutrophils and platelets: a GIF of
    every frame, the IL-6 and TGF-β maps drawn in their declared colour maps."""
    from abm.cli import main

    out = tmp_path / "agents.gif"
    assert main(["movie", str(myeloid_run), "-o", str(out), "--fields", "phases", "il6",
                 "tgfb", "--fps", "4", "--dpi", "60", "--no-progress"]) == 0
    with load_run(myeloid_run) as run:
        n_frames = run.n_frames
    with Image.open(out) as gif:
        assert gif.n_frames == n_frames == 9  # a day, a frame every 3 h, and the first
        assert gif.size[0] > 2 * gif.size[1]  # three panels side by side
        gif.seek(n_frames - 1)
        last = gif.convert("RGB")
    assert len(last.getcolors(1 << 16)) > 30
    for cmap in ("inferno", "cividis"):  # top of each colour bar
        assert has_colour(last, mpl.colors.to_hex(mpl.colormaps[cmap](1.0)), tolerance=20), cmap
