"""The text that ``abm info RUN.h5`` prints: what a run file holds, in a few lines."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abm.io.reader import Run


def summarize(run: Run) -> str:
    """Describe ``run``: identity and status, the config in brief, frames and times, fields,
    cells, populations (the last time-series row), events, checkpoint."""
    a, units = run.attrs, run.attrs["units"]
    lines = [
        f"{run.path}",
        f"  scenario {run.scenario!r}, seed {run.seed}, status {run.status}",
        f"  schema {a['schema']} v{run.schema_version}, written by abm {a['package_version']} at {a['created_utc']}",
        *config_lines(run.config),
    ]
    times = run.frame_times
    if run.status != "complete":
        last = f"frame {run.n_frames - 1} at t = {times[-1]:g} {units['time']}" if len(times) else "no frame yet"
        verb = "being written" if run.status == "running" else f"interrupted; `abm resume {run.path}` continues it"
        lines.append(f"  {verb}: last committed {last}")
    span = f", t = {times[0]:g} … {times[-1]:g} {units['time']}" if len(times) else ""
    x, y = run.x_um, run.y_um
    lines.append(f"  frames: {run.n_frames}{span}")
    lines.append(f"  grid: {len(y)} × {len(x)} (y × x), x {x[0]:g} … {x[-1]:g}, y {y[0]:g} … {y[-1]:g} {units['length']}")
    for name in run.field_names:
        dset = run.field(name)
        lines.append(f"  field {name}: {list(dset.shape)} {dset.dtype} [{units['fields'].get(name, '?')}]")
    vessels = run.vessels
    if vessels is not None:
        source = "stored" if "vessels" in run.static_field_names else "oxygen frame 0 at the vessel level"
        lines.append(f"  vessels: {int(vessels.sum())} sites ({source})")
    for name in run.static_field_names:
        if name != "vessels":
            lines.append(f"  static map {name} [{units.get('static_fields', {}).get(name, '?')}]")
    counts = run.cell_counts()
    if len(counts):
        lines.append(f"  cells: {counts[0]} in the first frame, {counts[-1]} in the last ({counts.sum()} rows)")
    lines.append(f"  cell columns: {', '.join(run.cell_columns)}")
    series = run.timeseries
    if len(series):
        last = ", ".join(f"{name}={value:g}" for name, value in series.iloc[-1].items())
        lines.append(f"  time series: {len(series)} steps to t = {series.index[-1]:g} {units['time']}; last: {last}")
    else:
        lines.append(f"  time series: none yet (columns {', '.join(series.columns)})")
    for table in run.event_tables:
        lines.append(f"  events {table}: {len(run.events(table))} rows")
    for name in run.sites:
        lines.extend(site_lines(run.site(name), units))
    checkpoint = run.checkpoint_time
    lines.append(f"  checkpoint: {'none' if checkpoint is None else f't = {checkpoint:g} ' + units['time']}")
    return "\n".join(lines)


def site_lines(site, units: dict) -> list[str]:
    """A secondary site (:class:`abm.io.group_reader.Site`) in brief: grid, frames, cells,
    fields, time series, events."""
    y, x = site.y_um, site.x_um
    counts = site.cell_counts()
    cells = f"cells {counts[0]} in the first frame, {counts[-1]} in the last ({counts.sum()} rows)" if len(counts) \
        else "no cells yet"
    lines = [f"  site {site.name}: grid {len(y)} × {len(x)} (y × x), {site.n_frames} frames, {cells}",
             f"    fields: {', '.join(site.field_names) or 'none'}; cell columns: {', '.join(site.cell_columns)}"]
    vessels = site.vessels
    if vessels is not None:
        lines.append(f"    vessels: {int(vessels.sum())} sites (stored)")
    series = site.timeseries
    lines.append(f"    time series: {len(series)} steps" + (f" to t = {series.index[-1]:g} {units['time']}"
                                                             if len(series) else ""))
    for table in site.event_tables:
        lines.append(f"    events {table}: {len(site.events(table))} rows")
    return lines


def config_lines(config: dict) -> list[str]:
    """The stored config in brief: extent and time (``run``, ``grid``, ``output``), the
    switched-on modules (a section's ``enabled`` or ``field`` set true) and the therapy."""
    run, grid, output = (config.get(k, {}) for k in ("run", "grid", "output"))
    lines = []
    if grid and run:
        lines.append(
            f"  config: grid {grid.get('ny', '?')} × {grid.get('nx', '?')} sites of {grid.get('dx_um', '?')} µm, "
            f"{run.get('days', '?')} days in steps of {run.get('dt_min', '?')} min; frames every "
            f"{output.get('frame_every_min', '?')} min, checkpoints every {output.get('checkpoint_every_min', '?')} min")
    on = [f"{name}.{key}" if key != "enabled" else name
          for name, section in config.items() if isinstance(section, dict)
          for key in ("enabled", "field") if section.get(key) is True]
    therapy = config.get("therapy") or []
    drugs = sorted({str(item.get("drug", "?")) for item in therapy if isinstance(item, dict)})
    lines.append(f"  modules on: {', '.join(on) or 'none'}; therapy: {', '.join(drugs) or 'none'} "
                 "(full config: abm info --config)")
    return lines
