"""Stored runs as a Mesa model, so that SolaraViz's play, step and reset drive a replay the
way they drive a live model."""
from __future__ import annotations

import threading
import weakref

import mesa
import numpy as np

from abm import TumorModel
from abm.viz.viewer.sources import LiveView, StoredRun


class RunPlayback(mesa.Model):
    """One or more run files shown side by side on a shared clock.

    The clock is the frame times of the first run; :meth:`step` moves to its next frame and
    :attr:`running` turns False at its last one (SolaraViz then stops playing). Each other
    run shows its frame nearest in time (:meth:`frames`).

    Args:
        paths: run files (``.h5``), the first one setting the clock.
    """

    def __init__(self, paths: tuple[str, ...] = ()):
        super().__init__()
        if not paths:
            raise ValueError("RunPlayback needs at least one run file")
        self.paths = tuple(str(p) for p in paths)
        self.sources = [StoredRun(path) for path in self.paths]
        self.lock = threading.RLock()
        self.frame = 0
        self.running = self.n_frames > 1

    @property
    def n_frames(self) -> int:
        return len(self.sources[0].frame_times)

    @property
    def time_min(self) -> float:
        """The time shown (min)."""
        return float(self.sources[0].frame_times[self.frame])

    def frames(self) -> list[int]:
        """The frame shown of each run: the clock's, and the nearest in time of the others."""
        with self.lock:  # one frame for all the arms, not one moved half-way
            return [self.frame] + [s.frame_at(self.time_min) for s in self.sources[1:]]

    def go_to(self, frame: int) -> None:
        """Show frame ``frame`` of the clock (clipped to the run)."""
        with self.lock:
            self.frame = int(np.clip(frame, 0, self.n_frames - 1))
            self.running = self.frame < self.n_frames - 1

    def step(self) -> None:
        """Show the next frame."""
        with self.lock:
            self.go_to(self.frame + 1)

    def close(self) -> None:
        """Close the run files (a reset or a new page replaces this playback)."""
        for source in self.sources:
            source.close()


class LiveModel(TumorModel):
    """A :class:`abm.TumorModel` whose :meth:`step` holds :attr:`lock`: SolaraViz steps it
    on its Play thread while pages read it on theirs (:class:`LiveView` takes the lock)."""

    def __init__(self, config=None, seed: int | None = None):
        # named arguments, as SolaraViz requires of the models it rebuilds on reset
        self.lock = threading.RLock()
        super().__init__(config, seed)

    def step(self) -> None:
        with self.lock:
            super().step()


_LIVE_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""The :class:`LiveView` of each live model shown (gone with its model)."""


def views(model) -> list[tuple[object, int]]:
    """What to show of ``model``: ``(source, frame)`` per panel; a :class:`RunPlayback`'s
    runs at their frames, or a live :class:`abm.TumorModel`'s present state."""
    if isinstance(model, RunPlayback):
        return list(zip(model.sources, model.frames()))
    if model not in _LIVE_VIEWS:
        _LIVE_VIEWS[model] = LiveView(model)
    return [(_LIVE_VIEWS[model], 0)]


def version(model) -> int:
    """A number that changes whenever what ``model`` shows changes (cache keys)."""
    return model.frame if isinstance(model, RunPlayback) else model.step_index
