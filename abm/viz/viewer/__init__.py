"""``abm view``: an interactive view of stored runs and live models in the browser, built on
Mesa's SolaraViz (the ``view`` extra: solara).

- :mod:`~abm.viz.viewer.images`: lattice maps as PNG (phases, fields), numpy only;
- :mod:`~abm.viz.viewer.picking`: a click to the site and the cell drawn there;
- :mod:`~abm.viz.viewer.sources`: frames of a run file or the state of a live model;
- :mod:`~abm.viz.viewer.playback`: stored runs as a Mesa model (play/step move frames);
- :mod:`~abm.viz.viewer.panels`: population curves, a cell's state and history;
- :mod:`~abm.viz.viewer.widgets`, :mod:`~abm.viz.viewer.app`: the browser page;
- :mod:`~abm.viz.viewer.server`: the server on 127.0.0.1;
- :mod:`~abm.viz.viewer.guard`: it answers only its own address (Host, Origin).

See docs/viewer.md.
"""
