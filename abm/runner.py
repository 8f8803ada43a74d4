"""Run a scenario to an HDF5 file, or resume one from its last checkpoint."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from tqdm import tqdm

from abm.schema import Config, config_from_toml
from abm.config.names import template_fields
from abm.errors import ConfigError, OutputError
from abm.io import RunWriter
from abm.io.parts import parts_dir
from abm.memory import check_memory
from abm.model import TumorModel
from abm.io.outputs import check_output, may_replace_run_file
from abm.io.recorder import RunRecorder

log = logging.getLogger("abm")


def output_path(config: Config, out: str | os.PathLike | None = None) -> Path:
    """Where the run file goes: ``out`` if given (the user's choice: anywhere), else
    ``output.path`` with its fields (``{name}``, ``{seed}``) filled in.

    Raises ConfigError naming ``output.path`` if the template uses other fields or its
    filled-in path leaves the template's folder (the part before the first field).
    """
    if out is not None:
        return Path(out)
    template = config.output.path
    template_fields(template)  # the loader checked it; a Config built by hand may not be
    path = Path(template.format(name=config.name, seed=config.run.seed))
    prefix = template.split("{", 1)[0]
    base = Path(prefix) if prefix.endswith(("/", os.sep)) else Path(prefix).parent
    if not path.resolve().is_relative_to(base.resolve()):
        raise ConfigError(f"output.path = {template!r} with name = {config.name!r}: the run "
                          f"file {str(path)!r} would leave the folder {str(base)!r}")
    return path


def run_outputs(config: Config, path: Path) -> dict[Path, str]:
    """The files a run to ``path`` writes, with what they are: the run file and the summary
    figure (``output.figure``). While it runs there is also :func:`parts_dir`."""
    outputs = {path: "run file"}
    if config.output.figure:
        outputs[path.with_suffix(".png")] = "summary figure"
    return outputs


def check_run_outputs(config: Config, path: Path, overwrite: bool) -> None:
    """Raise OutputError if a run to ``path`` may not write one of :func:`run_outputs` or
    :func:`parts_dir`: it exists without ``overwrite``, or it is not what abm wrote there
    (never replaced)."""
    for target, what in run_outputs(config, path).items():
        check_output(target, overwrite=overwrite, what=what,
                     replaceable=may_replace_run_file if target == path else None)
    parts = parts_dir(path)
    if parts.is_symlink() or (parts.exists() and not parts.is_dir()):
        raise OutputError(f"{str(parts)!r} exists and is not the parts folder of a run; abm "
                          "never replaces it (not even with --overwrite): choose another path")
    if parts.is_dir() and not overwrite:
        raise OutputError(f"{str(parts)!r} exists: a run to {str(path)!r} was started before; "
                          "`abm resume` continues it, --overwrite starts it afresh")


def total_steps(config: Config) -> int:
    """Number of ABM steps in ``run.days``."""
    return round(config.run.days * 1440.0 / config.run.dt_min)


def run_scenario(config: Config, out: str | os.PathLike | None = None, *,
                 overwrite: bool = False, progress: bool | None = None,
                 max_memory_gb: float | None = None) -> Path:
    """Build the model, run it for ``run.days`` and write the run file (and figure).

    Before anything is built or written: the outputs (:func:`run_outputs`) must not exist
    unless ``overwrite`` (and an existing run file must be one, never another file), and the
    estimated peak memory must be within the limit (:func:`abm.memory.check_memory`;
    ``max_memory_gb`` overrides it). ``progress``: True/False forces the bar on/off; None
    shows it only on an interactive terminal.
    """
    path = output_path(config, out)
    check_run_outputs(config, path, overwrite)
    check_memory(config, max_memory_gb)
    model = TumorModel(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    recorder = RunRecorder.create(model, path, overwrite=overwrite)
    _advance(model, recorder, progress)
    return _finish(model, recorder, path)


def resume_run(path: str | Path, *, progress: bool | None = None) -> Path:
    """Continue an interrupted run from its last checkpoint to its configured end.

    The datasets of the finished file equal those of an uninterrupted run. A run killed
    before its first checkpoint starts again from step 0; one killed while its file was being
    assembled is only assembled. A complete run is refused.
    """
    path = Path(path)
    writer, state = RunWriter.resume(path)
    if writer.finished:
        writer.close(complete=True)
        return path
    try:
        config, seed = config_from_toml(writer.attrs["config_toml"]), writer.attrs["seed"]
        check_memory(config)
        if state is None:  # killed before its first checkpoint: start again from step 0
            model = TumorModel(config, seed=seed)
            recorder = RunRecorder.for_model(writer, model)
            recorder.on_step(model)
        else:
            model = TumorModel.from_checkpoint(config, seed, state)
            recorder = RunRecorder.for_model(writer, model)
            recorder.last_frame_step = model.step_index
    except BaseException:
        writer.close(complete=False)
        raise
    _advance(model, recorder, progress)
    return _finish(model, recorder, path)


def _advance(model: TumorModel, recorder: RunRecorder, progress: bool | None) -> None:
    n_total = total_steps(model.config)
    model.observers.append(recorder)
    try:
        with tqdm(total=n_total, initial=model.step_index, unit="step", desc=model.config.name,
                  disable=None if progress is None else not progress, leave=False) as bar:
            while model.step_index < n_total:
                model.step()
                bar.update(1)
                if model.step_index % recorder.frame_every == 0:
                    bar.set_postfix(day=f"{model.time_min / 1440:.1f}", cells=model.cells.count)
    except BaseException:
        # The file keeps every frame and checkpoint flushed so far; `abm resume` continues it.
        recorder.writer.close(complete=False)
        raise
    finally:
        model.observers.remove(recorder)


def _finish(model: TumorModel, recorder: RunRecorder, path: Path) -> Path:
    recorder.finish(model)
    log.info("wrote %s (%d cells at day %.1f)", path, model.cells.count, model.time_min / 1440)
    if model.config.output.figure:
        from abm.viz import summary_figure

        figure = summary_figure(path, path.with_suffix(".png"))
        log.info("wrote %s", figure)
    return path
