"""The text that ``abm info RUN.h5`` prints: what a run file holds, in a few lines."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abm.io.reader import Run


def summarize(run: Run) -> str:
    """Describe ``run``: identity, frames and times, fields, cells, time series, events, checkpoint."""
    a, units = run.attrs, run.attrs["units"]
    lines = [
        f"{run.path}",
        f"  scenario {run.scenario!r}, seed {run.seed}, status {run.status}",
        f"  schema {a['schema']} v{run.schema_version}, written by abm {a['package_version']} at {a['created_utc']}",
    ]
    times = run.frame_times
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
    checkpoint = run.checkpoint_time
    lines.append(f"  checkpoint: {'none' if checkpoint is None else f't = {checkpoint:g} ' + units['time']}")
    return "\n".join(lines)
