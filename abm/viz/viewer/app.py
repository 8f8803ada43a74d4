"""The viewer's page: Mesa's SolaraViz (play, step, reset in its sidebar) beside three
panels of the model in view (a :class:`abm.viz.viewer.playback.RunPlayback` of stored runs,
or a live :class:`abm.viz.viewer.playback.LiveModel`): the maps, the selected cell, the
population curves.

``solara run abm.viz.viewer.app`` serves it; what to show comes from the environment
variable :data:`REQUEST_VARIABLE` (JSON, written by :func:`abm.viz.viewer.server.serve`):
``{"runs": [paths]}`` or ``{"scenario": path, "overrides": [...], "seed": n}``.
"""
from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict

import warnings

import numpy as np
import solara

# Solara checks the rules of hooks when a component is defined and warns about Mesa's own
# ComponentsView (a hook after an early return, harmless there); not ours to fix.
warnings.filterwarnings("ignore",
                        message=r".*ComponentsView: `use_state` found despite early return",
                        category=UserWarning)
# Served over plain http on 127.0.0.1, Solara falls back to samesite=lax session cookies, as
# it should, and warns on every page load.
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none require https",
                        category=UserWarning)
from mesa.visualization import SolaraViz  # noqa: E402  (after the filter)
from mesa.visualization.utils import force_update, update_counter  # noqa: E402

from abm.tumor.cells import PHASES
from abm.viz.style import clock_text as clock  # "day D, hh:mm", as the movies' titles
from abm.viz.style import PHASE_COLORS, VESSEL_COLOR
from abm.viz.viewer import images, picking
from abm.viz.viewer.panels import Curves, cell_state, history_png, markdown_table
from abm.viz.viewer.playback import LiveModel, RunPlayback, version, views
from abm.viz.viewer.server import REQUEST_VARIABLE
from abm.viz.viewer.widgets import ClickImage

MAP_WIDTH_PX = 560
"""Width of the maps' row (design choice: beside SolaraViz's sidebar and the cell panel on a
1400-px-wide window; narrower windows shrink the maps)."""
PHASE_MAP = "phases"
PLAY_INTERVAL_MS = 200
"""SolaraViz's starting pause between played steps (design choice: 5 frames a second, above
the ~50–100 ms the server takes to paint a 1000² frame; its slider changes it)."""
IMAGES_KEPT = 32
"""Map PNGs the server keeps, for all its pages (design choice: a few frames × maps × arms)."""

map_name = solara.reactive(PHASE_MAP)
shown_phases = solara.reactive(list(PHASES))
selected = solara.reactive(None)  # {"arm": i, "cell_id": id} or {"arm": i, "site": (iy, ix)}
curve_cache: dict = {}
image_cache: OrderedDict = OrderedDict()
cache_lock = threading.Lock()
"""Guards :data:`image_cache` and :data:`curve_cache`: each browser page renders on its own
thread, and SolaraViz plays on another."""


def map_image(source, frame: int, key: tuple, name: str, shown: tuple[str, ...],
              vmax: float) -> str:
    """Data URI of the map ``name`` (``phases`` or a field, coloured on ``[0, vmax]``) of
    ``source`` at ``frame``; the last :data:`IMAGES_KEPT` kept by ``key`` (what identifies
    the frame)."""
    key = (source.token, key, name, shown, vmax)
    with cache_lock:
        if key in image_cache:
            image_cache.move_to_end(key)
            return image_cache[key]
    with source.lock:  # a live model does not step while it is read
        if name == PHASE_MAP:
            rgb, priority = images.phase_rgb(source.map_cells(frame), source.x_um,
                                              source.y_um, source.vessels, shown)
        else:
            rgb = images.field_rgb(source.field(name, frame), images.field_lut(name), vmax)
            priority = None
    uri = images.data_uri(images.png_bytes(rgb, priority=priority))
    with cache_lock:
        image_cache[key] = uri
        while len(image_cache) > IMAGES_KEPT:
            image_cache.popitem(last=False)
    return uri


def pick(arm: int, source, frame: int, click: dict) -> None:
    """Select the cell drawn under a click on arm ``arm``'s map (the nearest in the clicked
    pixel's block of sites, of the phases shown), or else the site."""
    with source.lock:
        cells = source.map_cells(frame)
    cell_id = picking.cell_at(cells, source.x_um, source.y_um, click["fx"], click["fy"],
                              tuple(shown_phases.value))
    if cell_id is None:
        selected.set({"arm": arm, "site": picking.site_at(click["fx"], click["fy"], source.shape)})
    else:
        selected.set({"arm": arm, "cell_id": cell_id})


@solara.component
def Swatch(color: str):
    """A small square of ``color`` (a legend entry)."""
    solara.HTML(tag="span", unsafe_innerHTML="", style={
        "display": "inline-block", "width": "14px", "height": "14px", "background": color,
        "border": "1px solid #888", "margin-left": "8px"})


def colour_bar(name: str) -> str:
    """Data URI of field ``name``'s colour map as a horizontal strip (low values left)."""
    with cache_lock:
        if ("bar", name) not in image_cache:
            strip = np.repeat(images.field_lut(name)[None], 12, axis=0)
            image_cache[("bar", name)] = images.data_uri(images.png_bytes(strip))
        return image_cache[("bar", name)]


def shared_vmax(sources, name: str) -> float:
    """One upper colour limit of field ``name`` for all arms that have it (the largest of
    theirs), so that one colour means one value in every map and on the bar."""
    limits = []
    for source in sources:
        if name in source.field_names:
            with source.lock:
                limits.append(source.vmax(name))
    return max(limits)


@solara.component
def MapView(model):
    """Frame slider (stored runs), map and phase choices, one clickable map per arm."""
    update_counter.get()
    shown = views(model)
    names = [PHASE_MAP, *shown[0][0].field_names]
    if isinstance(model, RunPlayback) and model.n_frames > 1:
        def go_to(frame: int) -> None:
            model.go_to(frame)
            force_update()
        solara.SliderInt(f"frame ({clock(model.time_min)})", value=model.frame, min=0,
                         max=model.n_frames - 1, on_value=go_to)
    solara.ToggleButtonsSingle(value=map_name, values=names)
    if map_name.value == PHASE_MAP:
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            for phase in PHASES:
                def show(on: bool, phase=phase) -> None:
                    shown_phases.set([p for p in PHASES if p != phase and p in shown_phases.value]
                                     + ([phase] if on else []))
                with solara.Row(gap="0px", style={"align-items": "center"}):
                    Swatch(PHASE_COLORS[phase])
                    solara.Checkbox(label=phase, value=phase in shown_phases.value,
                                    on_value=show)
            with solara.Row(gap="4px", style={"align-items": "center"}):
                Swatch(VESSEL_COLOR)
                solara.Text("vessel")
        vmax = 0.0
    else:
        vmax = shared_vmax([source for source, _ in shown], map_name.value)
        with solara.Row(style={"align-items": "center"}):
            solara.Text("0")
            ClickImage(src=colour_bar(map_name.value), width=240, alt="colour bar")
            solara.Text(f"{vmax:.3g} {shown[0][0].field_units.get(map_name.value, '')}")
    width = max(200, MAP_WIDTH_PX // len(shown) - 16)
    with solara.Row(gap="16px"):
        for arm, (source, frame) in enumerate(shown):
            name = map_name.value if map_name.value in source.field_names else PHASE_MAP
            src = map_image(source, frame, (frame, version(model)), name,
                            tuple(shown_phases.value), vmax)
            with solara.Column(gap="2px"):
                solara.Text(f"{source.label}, {clock(source.frame_times[frame])}",
                            classes=["abm-map-title"])
                sharp = source.shape[1] // images.display_stride(source.shape) < width
                ClickImage(src=src, width=width, alt=f"{name} map {arm}", sharp=sharp,
                           event_click=lambda click, a=arm, s=source, f=frame: pick(a, s, f, click))


@solara.component
def CellPanel(model):
    """The selected cell's state now (phase, network species, every column) and history."""
    update_counter.get()
    choice = selected.value
    if choice is None:
        solara.Markdown("Click a cell on a map to see its state.")
        return
    shown = views(model)
    source, frame = shown[min(choice["arm"], len(shown) - 1)]
    if "site" in choice:
        solara.Markdown(f"Site (y {choice['site'][0]}, x {choice['site'][1]}): no tumour cell "
                        f"shown there at {clock(source.frame_times[frame])}.")
        return
    cell_id = choice["cell_id"]
    with source.lock:
        state = cell_state(source.cell(frame, cell_id), cell_id, source.cell_units,
                           source.species)
        history = source.history(cell_id)
    if state is None:
        solara.Markdown(f"Cell {cell_id} is not alive at {clock(source.frame_times[frame])}.")
    else:
        solara.Markdown(f"**Cell {cell_id}** at {clock(source.frame_times[frame])}: "
                        f"phase **{state['phase']}**", style={"font-size": "1.1em"})
        with solara.Row():
            if state["species"]:  # a program without a network has none
                solara.Markdown(markdown_table(state["species"], ("species", "level")))
            solara.Markdown(markdown_table(state["columns"], ("column", "value")))
    if len(history) > 1 and source.species:
        key = ("history", source.token, cell_id, len(history))
        with cache_lock:
            uri = image_cache.get(key)
        if uri is None:  # drawn once per cell (a live one's: per step), not per frame
            uri = history_png(history, source.species)
            with cache_lock:
                image_cache[key] = uri
        ClickImage(src=uri, width=480, alt=f"history of cell {cell_id}")


@solara.component
def CurvesView(model):
    """Each arm's population curves with the time shown marked; a click moves a replay
    there (a live model has no past frames: nothing)."""
    update_counter.get()
    shown = views(model)
    with solara.Row(gap="16px"):
        for source, frame in shown:
            with source.lock:
                series = source.timeseries
            key = (source.token, len(series))
            with cache_lock:
                curves = curve_cache.get(key)
            if curves is None:
                curves = Curves(series)
                with cache_lock:
                    if len(curve_cache) > 8:  # a live model's grow each step: keep a few
                        curve_cache.clear()
                    curve_cache[key] = curves

            def go_to(click, curves=curves, source=source) -> None:
                time_min = curves.time_at(click["fx"])
                if time_min is not None and isinstance(model, RunPlayback):
                    model.go_to(model.sources[0].frame_at(time_min))
                    force_update()
            ClickImage(src=curves.src, width=480, alt="population curves",
                       marker=curves.marker(float(source.frame_times[frame])), event_click=go_to)


def build(request: dict):
    """The model of a launch request and SolaraViz's ``model_params`` to rebuild it."""
    if "runs" in request:
        params = {"paths": tuple(request["runs"])}
        return RunPlayback(**params), params
    from abm import load_config

    config = load_config(request["scenario"], overrides=request.get("overrides", []),
                         seed=request.get("seed"))
    params = {"config": config, "seed": request.get("seed")}
    return LiveModel(**params), params


@solara.component
def Viewer(model):
    """The panels: maps and curves on the left, the selected cell on the right."""
    with solara.Columns([3, 2]):
        with solara.Column():
            MapView(model)
            CurvesView(model)
        with solara.Column():
            CellPanel(model)


@solara.component
def Page():
    request = json.loads(os.environ[REQUEST_VARIABLE])
    first, params = solara.use_memo(lambda: build(request), [])
    model = solara.use_reactive(first)  # SolaraViz's reset puts a new model in it

    def close_when_replaced():
        shown = model.value
        return lambda: shown.close() if isinstance(shown, RunPlayback) else None
    solara.use_effect(close_when_replaced, [model.value])
    solara.Title("abm view")
    # SolaraViz gives the sidebar (play, step, reset, steps); the panels are laid out here,
    # not in its grid of equal tiles, which a map and a table do not fit.
    SolaraViz(model, components=[], model_params=params, name="abm view",
              play_interval=PLAY_INTERVAL_MS)
    Viewer(model.value)
