"""The parts of ``abm view`` that need no browser: map images (orientation, shrinking, the
phase map's priority), a click to the cell drawn there, field colours, the network species
of a run, Solara's settings at start, and the command line's refusals. The browser tests
are in test_viewer.py."""
from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from abm.viz.style import PHASE_COLORS, TISSUE_COLOR


def test_png_is_the_lattice_upside_down_and_clicks_map_back():
    """Row 0 of the PNG is the highest y (y upwards on screen); a click at a site's centre
    maps back to that site, also when the map is shrunk for display (a side the stride does
    not divide is padded: the click is read on the padded extent)."""
    from abm.viz.viewer.images import png_bytes
    from abm.viz.viewer.picking import site_at

    rgb = np.zeros((30, 50, 3), np.uint8)
    rgb[29, 3] = (255, 0, 0)  # top-left on screen: highest y, lowest x
    shown = np.asarray(Image.open(io.BytesIO(png_bytes(rgb))))
    assert shown.shape == (30, 50, 3) and tuple(shown[0, 3]) == (255, 0, 0)
    assert site_at((3 + 0.5) / 50, 0.5 / 30, (30, 50)) == (29, 3)
    # 999 x 601 sites at stride 2 (max side 800): drawn as 500 x 301 pixels, 1000 x 602 sites
    assert site_at((600 + 0.5) / 602, 1 - (998 + 0.5) / 1000, (999, 601)) == (998, 600)
    assert site_at((300 + 0.5) / 602, 1 - (10 + 0.5) / 1000, (999, 601)) == (10, 300)
    big = np.zeros((999, 601, 3), np.uint8)
    big[998, 600] = (200, 100, 40)  # a lone cell in the top-right corner, in a block of its own
    big[0, 0] = (200, 100, 40)  # one in the bottom-left, in a block of 2 x 2 sites
    shrunk = np.asarray(Image.open(io.BytesIO(png_bytes(big, max_side=500))))
    assert shrunk.shape == (500, 301, 3)
    assert tuple(shrunk[0, 300]) == (200, 100, 40)  # a 1 x 1 block: the site itself
    assert tuple(shrunk[499, 0]) == (50, 25, 10)  # a field's block: the mean of its sites
    priority = np.zeros((999, 601), np.uint8)
    priority[998, 600] = priority[0, 0] = 2
    picked = np.asarray(Image.open(io.BytesIO(png_bytes(big, max_side=100, priority=priority))))
    assert picked.shape == (100, 61, 3)  # blocks of 10 x 10 sites
    assert tuple(picked[99, 0]) == tuple(picked[0, 60]) == (200, 100, 40)  # lone cells win
    assert np.count_nonzero(picked.any(axis=-1)) == 2


def test_a_click_selects_the_lone_cell_drawn_in_a_shrunk_pixel():
    """On a 1000² lattice (2 x 2 sites a pixel) a click anywhere in the pixel that shows a
    lone cell selects it, wherever in the block it sits; a hidden phase is not selected."""
    from abm.viz.viewer.picking import cell_at

    dx = 20.0
    x_um = y_um = (np.arange(1000) + 0.5) * dx
    for iy, ix in [(500, 300), (501, 300), (500, 301), (501, 301)]:  # one pixel's 4 sites
        cells = pd.DataFrame({"x": [x_um[ix], x_um[900]], "y": [y_um[iy], y_um[100]],
                              "phase": ["proliferating", "quiescent"]},
                             index=pd.Index([7, 8], name="cell_id"))
        for sy, sx in [(500, 300), (501, 301)]:  # clicks on two corners of the pixel
            fx, fy = (sx + 0.5) / 1000, 1 - (sy + 0.5) / 1000
            assert cell_at(cells, x_um, y_um, fx, fy) == 7
            assert cell_at(cells, x_um, y_um, fx, fy, shown=("quiescent",)) is None
        assert cell_at(cells, x_um, y_um, 302.5 / 1000, 1 - 500.5 / 1000) is None  # next pixel


def test_the_phase_map_paints_the_cells_shown_and_ranks_them_first():
    """phase_rgb: a hidden phase is tissue-coloured and of tissue priority; a cell beats a
    vessel, a vessel beats tissue (the independent truth: the palette of abm.viz.style)."""
    from abm.viz.viewer.images import phase_rgb

    x_um = y_um = (np.arange(4) + 0.5) * 10.0
    vessels = np.zeros((4, 4), bool)
    vessels[3, 3] = True
    cells = pd.DataFrame({"x": [5.0, 15.0], "y": [5.0, 25.0],
                          "phase": ["proliferating", "necrotic"]})
    rgb, priority = phase_rgb(cells, x_um, y_um, vessels, shown=("proliferating",))
    assert tuple(rgb[0, 0]) == tuple(np.rint(np.array(to_rgb(PHASE_COLORS["proliferating"])) * 255))
    assert tuple(rgb[2, 1]) == tuple(np.rint(np.array(to_rgb(TISSUE_COLOR)) * 255))
    assert priority[0, 0] == 2 and priority[2, 1] == 0 and priority[3, 3] == 1
    assert np.count_nonzero(priority == 2) == 1


def test_solara_starts_with_telemetry_and_state_backend_off_and_a_local_cdn():
    """In a fresh process whose environment asks for the opposite, the Solara that serve()
    runs has no telemetry, no state backend, and serves the page's files itself (its CDN
    proxy) with a local CDN address behind it."""
    import subprocess
    import sys

    code = ("from abm.viz.viewer.server import solara_cli; solara_cli()\n"
            "import solara.server.settings as s, solara.settings as t\n"
            "print(s.telemetry.mixpanel_enable, t.assets.proxy, t.assets.cdn, "
            "repr(s.state.backend), repr(s.state.url))")
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "True",
           "SOLARA_ASSETS_PROXY": "False", "SOLARA_ASSETS_CDN": "https://cdn.example.org/",
           "SOLARA_STATE_BACKEND": "redis", "SOLARA_STATE_URL": "redis://example.org/0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True", "http://127.0.0.1:9/", "''", "''"]


def test_species_come_from_the_run_program_not_from_its_columns():
    """A network run's species are its state columns less the fate timers; a run of
    another program (cells.program = placeholder) has none, though its timers are columns
    outside the cell table too."""
    from abm.tumor.phenotype.network_fate import FATE_COLUMNS
    from abm.tumor.phenotype.placeholder import PlaceholderCycle
    from abm.viz.viewer.sources import stored_species

    columns = ["x", "y", "phase", "HIF", "mTORC1", *FATE_COLUMNS]
    assert stored_species("NetworkFate", columns) == ["HIF", "mTORC1"]
    placeholder = ["x", "y", "phase", *PlaceholderCycle.state_names]
    assert stored_species("PlaceholderCycle", placeholder) == []


def test_field_colours_follow_the_declared_colour_map():
    """A field is coloured by its declared matplotlib colour map on [0, vmax] (within the
    8-bit table's quantisation)."""
    from abm.viz.viewer.images import field_lut, field_rgb

    values = np.linspace(-1.0, 40.0, 200, dtype=np.float32).reshape(10, 20)
    got = field_rgb(values, field_lut("oxygen"), 38.0).astype(int)
    from abm.fields.solutes import field_spec

    cmap = matplotlib.colormaps[field_spec("oxygen").style.cmap]
    want = np.rint(cmap(np.clip(values / 38.0, 0, 1))[..., :3] * 255).astype(int)
    assert np.abs(got - want).max() <= 12  # one step of a 256-entry table at most


def test_view_refuses_a_mix_of_targets(tmp_path, capsys):
    """Run files or one scenario, nothing else, and a scenario that loads: exit code 2 and
    one line saying why, before any server starts; a port outside 1024-65535 is refused."""
    from abm.cli import main

    run = tmp_path / "a.h5"
    run.write_bytes(b"")
    scenario = str(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.toml")
    for args in ([str(run), scenario], ["a.toml", "b.toml"], [str(tmp_path / "missing.h5")],
                 [str(run), "--seed", "3"], ["notes.txt"], [scenario, "--set", "grid.nx=abc"],
                 [scenario, "--set", "grid.no_such_key=1"], [str(tmp_path / "missing.toml")]):
        assert main(["view", *args, "--no-browser"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("abm view: error: ") and err.count("\n") == 1, err
    for port in ("0", "80"):
        with pytest.raises(SystemExit) as stop:
            main(["view", str(run), "--port", port, "--no-browser"])
        assert stop.value.code == 2 and "1024-65535" in capsys.readouterr().err
