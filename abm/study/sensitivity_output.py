"""Output of a sensitivity analysis: the plot and the CSV/HDF5 files of a long sensitivity
table (:func:`abm.study.sensitivity.sensitivity_table`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm.io.atomic import write_atomic
from abm.study.sensitivity import INDEX_COLUMNS
from abm.study.sensitivity_checks import _check_method
from abm.viz.style import OKABE_ITO

FORMATS = (".png", ".pdf", ".svg")
PALETTE = tuple(OKABE_ITO.values())
S1_COLOR, ST_COLOR = OKABE_ITO["blue"], OKABE_ITO["orange"]


def _check_suffix(out_path) -> Path:
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"output {str(out_path)!r}: format {suffix or '(none)'!r} not "
                         f"supported; allowed: {', '.join(FORMATS)}")
    return out_path


def _check_table(table, method: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, not {type(table).__name__}")
    need = ["metric", "parameter", *INDEX_COLUMNS[method]]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing} of a {method} sensitivity table "
                         f"(has {[str(c) for c in table.columns]})")
    if len(table) == 0:
        raise ValueError("table has no rows")


def _draw_sobol(ax, rows: pd.DataFrame) -> None:
    y = np.arange(len(rows))
    if not np.isfinite(rows[["S1", "ST"]].to_numpy(float)).any():
        # A metric that never varied (see ConstantMetricError): say so, draw no bars.
        ax.text(0.5, 0.5, "constant over the design:\nindices undefined", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_yticks(y, rows["parameter"].astype(str).tolist())
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Sobol' index (share of output variance)")
        ax.set_ylabel("parameter")
        return
    h = 0.38  # two bars per factor, a small gap between factors
    for offset, key, color, label in ((-h / 2, "S1", S1_COLOR, "S1 (first order)"),
                                      (h / 2, "ST", ST_COLOR, "ST (total)")):
        ax.barh(y + offset, rows[key].to_numpy(float), height=h, color=color, label=label,
                xerr=rows[f"{key}_conf"].to_numpy(float),
                error_kw={"ecolor": "#000000", "capsize": 3, "elinewidth": 1})
    ax.axvline(0.0, color="#000000", lw=0.8)
    ax.set_yticks(y, rows["parameter"].astype(str).tolist())
    ax.invert_yaxis()  # first parameter on top, as in the problem
    ax.set_xlabel("Sobol' index (share of output variance)")
    ax.set_ylabel("parameter")


def _draw_morris(ax, rows: pd.DataFrame, colors: dict) -> None:
    names = rows["parameter"].astype(str).tolist()
    mu_star = rows["mu_star"].to_numpy(float)
    sigma = rows["sigma"].to_numpy(float)
    conf = rows["mu_star_conf"].to_numpy(float)
    finite = np.isfinite(mu_star) & np.isfinite(sigma)
    top = max(float(np.max(mu_star[finite] + np.nan_to_num(conf[finite]), initial=0.0)),
              float(np.max(sigma[finite], initial=0.0)))
    top = top * 1.15 if top > 0 else 1.0
    # sigma = mu* separates mostly linear/additive effects (below) from non-linear or
    # interacting ones (above): the usual reading of a Morris plot.
    ax.plot([0, top], [0, top], ls="--", color="#999999", lw=1, label="σ = μ*")
    for i, name in enumerate(names):
        if not finite[i]:
            continue
        # each factor by its colour, named in the figure's key (labels beside the points
        # collide where factors lie close, e.g. the inert ones at the origin)
        ax.errorbar(mu_star[i], sigma[i], xerr=conf[i] if np.isfinite(conf[i]) else None,
                    fmt="o", ms=4, color=colors[name], ecolor=colors[name], capsize=2,
                    clip_on=False, zorder=3, label=name)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    # short labels (a panel is a third of a journal page wide): μ* is the mean absolute
    # elementary effect (metric units per parameter range), σ their standard deviation
    ax.set_xlabel("μ* (mean |effect|)")
    ax.set_ylabel("σ (SD of effects)")


def plot_sensitivity(table: pd.DataFrame, out_path, method: str, *, dpi: int | None = None
                     ) -> Path:
    """Draw a long sensitivity table (:func:`sensitivity_table`) to ``out_path``
    (:func:`sensitivity_figure`; png at ``dpi``, default :data:`abm.viz.journal.PNG_DPI`).
    The format follows the suffix (.png, .pdf, .svg; anything else raises ValueError before
    anything is written). Returns the path."""
    out_path = _check_suffix(out_path)
    from abm.viz.journal import save_checked

    fig = sensitivity_figure(table, method)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_checked(fig, out_path, dpi=dpi)
    return out_path


def sensitivity_figure(table: pd.DataFrame, method: str):
    """The figure of a long sensitivity table at two-column journal width
    (:mod:`abm.viz.journal`), rows shrunk to fit the page depth, the key under the panels.

    One panel per metric (grid of up to three columns). Sobol': horizontal bars of ``S1``
    and ``ST`` per factor with the ``*_conf`` half-widths as error bars. Morris: ``sigma``
    against ``mu_star`` per factor (``mu_star_conf`` as horizontal error bars),
    with the line ``σ = μ*``, each factor by its colour in the key under the panels.
    """
    _check_method(method)
    _check_table(table, method)
    from matplotlib.figure import Figure  # never pyplot: no global state, any backend

    from abm.viz.journal import MAX_HEIGHT_INCHES, TITLE_INCHES, journal_style, width_inches

    metrics = list(dict.fromkeys(table["metric"].astype(str)))
    parameters = list(dict.fromkeys(table["parameter"].astype(str)))
    colors = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(parameters)}
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    width = width_inches("double")
    row = 0.6 + 0.3 * len(parameters) if method == "sobol" else width / ncols * 0.8
    key = 0.35  # the key's row under the panels (in)
    height = min(row * nrows, MAX_HEIGHT_INCHES - TITLE_INCHES - key) + TITLE_INCHES + key
    with journal_style():
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for i, (ax, metric) in enumerate(zip(axes, metrics)):
            rows = table[table["metric"].astype(str) == metric]
            if method == "sobol":
                _draw_sobol(ax, rows)
            else:
                _draw_morris(ax, rows, colors)
            ax.set_title(f"({chr(ord('a') + i)}) {metric}" if len(metrics) > 1 else metric)
        for ax in axes[len(metrics):]:
            ax.set_visible(False)
        entries = {}  # label -> handle over the panels (a constant metric's panel has none)
        for ax in axes[:len(metrics)]:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                entries.setdefault(label, handle)
        if entries:
            fig.legend(list(entries.values()), list(entries), loc="outside lower center",
                       ncols=min(len(entries), 4))
        fig.suptitle("Sobol' indices" if method == "sobol" else "Morris screening")
    return fig


def write_sensitivity(table: pd.DataFrame, out_dir, method: str) -> tuple[Path, Path]:
    """Write ``sensitivity_<method>.csv`` and ``sensitivity_<method>.h5`` into ``out_dir``.

    The CSV is the table without its index. The HDF5 file (h5py, no pytables) has one 1-D
    dataset per column, named after the column, of length ``len(table)``: float64 for the
    numbers, variable-length UTF-8 strings for ``metric`` and ``parameter``; root attributes
    ``method``, ``columns`` (column order) and ``kind = "abm-sensitivity"``. Each file is
    written under a temporary name and renamed, so a failed write leaves no partial file.
    Returns ``(csv_path, h5_path)``.
    """
    import h5py

    _check_method(method)
    _check_table(table, method)
    columns = ["metric", "parameter", *INDEX_COLUMNS[method]]
    table = table[columns]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"sensitivity_{method}.csv"
    h5_path = out_dir / f"sensitivity_{method}.h5"

    write_atomic(csv_path, lambda tmp: table.to_csv(tmp, index=False), durable=False)

    def write_h5(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = "abm-sensitivity"
            f.attrs["method"] = method
            f.attrs.create("columns", np.array(columns, dtype=object),
                           dtype=h5py.string_dtype("utf-8"))
            for col in ("metric", "parameter"):
                f.create_dataset(col, data=np.array(table[col].astype(str).tolist(), dtype=object),
                                 dtype=h5py.string_dtype("utf-8"))
            for col in INDEX_COLUMNS[method]:
                f.create_dataset(col, data=table[col].to_numpy(dtype=float, na_value=np.nan))

    write_atomic(h5_path, write_h5, durable=False)
    return csv_path, h5_path
