"""The viewer's one custom browser widget: an image that reports where it was clicked and
can show a vertical marker (the current time on the population curves)."""
from __future__ import annotations

from collections.abc import Callable

import solara


@solara.component_vue("click_image.vue", vuetify=False)
def ClickImage(src: str, width: int = 480, alt: str = "", marker: float | None = None,
               sharp: bool = False, event_click: Callable[[dict], None] | None = None):
    """``src``: the image (a data URI); ``width``: largest drawn width, px (less in a
    narrower column; height by the image's aspect); ``sharp``: scale up with square pixels
    (a small lattice), not smoothed;
    ``marker``: x of a vertical line as a fraction of the width (None: no line);
    ``event_click(data)``: called with ``{"fx": …, "fy": …}``, the click's position as
    fractions of the drawn width and height from the top-left corner."""
