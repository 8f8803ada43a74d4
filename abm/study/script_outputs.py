"""The files of a scenario script, named so that a single run never writes them, and the
options every script shares for them: ``--replot`` and ``--docs``.

A script with the base path ``--out DIR/<stem>.h5`` writes

- the run file of each arm and seed, ``<stem>_<arm>_seed<k>.h5`` (with that run's own figure
  ``<stem>_<arm>_seed<k>.png``, :func:`abm.study.replicates.replicate_path`);
- the replicate summary ``<stem>_summary.csv`` / ``.h5``;
- everything it draws or computes over the arms, ``<stem>_comparison.<ext>``
  (:func:`comparison_file`): the comparison figure ``<stem>_comparison.png``, and a script
  whose results are not run files (``hypoxia_switch.py``) its results ``<stem>_comparison.h5``.

``abm run X.toml --out DIR/<stem>.h5`` writes ``<stem>.h5``, ``<stem>.png`` and the folder
``<stem>.h5.parts/`` only: running a scenario's TOML never replaces what its script wrote,
nor the other way round. No file is replaced without ``--overwrite`` (checked before anything
is run or written): run files, summaries, figures and the copy in ``docs/`` alike.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from abm.errors import UserError
from abm.io.outputs import check_output, write_atomically

COMPARISON = "_comparison"
"""The infix of a script's own files (design choice: a run's files are ``<stem>.h5`` and
``<stem>.png``, a replicate's ``_seed<k>``, a summary's ``_summary``; this is none of them)."""


def comparison_file(out: Path, suffix: str = ".png") -> Path:
    """The script's own file with ``suffix`` of the base path ``out``:
    ``<stem>_comparison<suffix>`` next to it."""
    out = Path(out)
    return out.with_name(f"{out.stem}{COMPARISON}{suffix}")


def add_output_arguments(parser: argparse.ArgumentParser, docs: Path | None) -> None:
    """``--replot`` (draw from the existing run files, run nothing) and, for a script whose
    figure the docs show (``docs``: that copy), ``--docs``."""
    parser.add_argument("--replot", action="store_true",
                        help="draw the figure from existing run files of --out; run nothing, "
                             "write no summary")
    if docs is not None:
        parser.add_argument("--docs", action="store_const", const=docs, default=None,
                            help=f"also copy the figure to {docs.parent.name}/{docs.name}")


def figure_paths(out: Path, args: argparse.Namespace) -> list[Path]:
    """The comparison figure of ``out`` and, with ``--docs``, its docs copy; each checked
    (OutputError unless absent or ``--overwrite``), before anything runs."""
    paths = [comparison_file(out)] + ([args.docs] if getattr(args, "docs", None) else [])
    for path in paths:
        check_output(path, overwrite=args.overwrite, what="comparison figure")
    return paths


def existing_runs(paths: dict[str, dict[int, Path]]) -> dict[str, dict[int, Path]]:
    """``paths`` (arm → seed → run file) if every file exists; UserError naming the missing
    ones otherwise (``--replot`` runs nothing)."""
    missing = [str(p) for per_seed in paths.values() for p in per_seed.values() if not p.exists()]
    if missing:
        raise UserError(f"--replot: no run file {', '.join(missing)}; run the script without "
                        "--replot first, or give its --out and --seeds")
    return paths


def save_figure(fig, paths: list[Path]) -> list[Path]:
    """Save ``fig`` to each of ``paths`` (checked by :func:`figure_paths`), each atomically:
    the new file replaces the old name, never the old file's contents (a hard link to it
    keeps them). Warns of what :func:`abm.viz.journal.layout_problems` finds."""
    from abm.viz.journal import PNG_DPI, warn_layout_problems  # matplotlib only where drawn

    warn_layout_problems(fig)
    return [write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=PNG_DPI)) for path in paths]
