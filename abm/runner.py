"""Run a scenario to an HDF5 file, or resume one from its last checkpoint."""
from __future__ import annotations

import logging
from pathlib import Path

from tqdm import tqdm

from .config import Config, config_from_toml
from .io import RunWriter
from .model import TumorModel
from .recorder import RunRecorder

log = logging.getLogger("abm")


def output_path(config: Config, out: str | Path | None = None) -> Path:
    """Where the run file goes: ``out`` if given, else ``output.path`` with ``{name}`` filled in."""
    return Path(out) if out is not None else Path(config.output.path.format(name=config.name))


def total_steps(config: Config) -> int:
    """Number of ABM steps in ``run.days``."""
    return round(config.run.days * 1440.0 / config.run.dt_min)


def run_scenario(config: Config, out: str | Path | None = None, *,
                 progress: bool | None = None) -> Path:
    """Build the model, run it for ``run.days`` and write the run file (and figure).

    The model is built (and every input checked) before the file is created. ``progress``:
    True/False forces the bar on/off; None shows it only on an interactive terminal.
    """
    path = output_path(config, out)
    model = TumorModel(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    recorder = RunRecorder.create(model, path, overwrite=True)
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
        from .viz import summary_figure

        figure = summary_figure(path, path.with_suffix(".png"))
        log.info("wrote %s", figure)
    return path
