"""Likelihood-free calibration (``abm calibrate CALIBRATION.toml``): ABC-SMC with pyABC of the
config keys in ``[priors]`` against a table of observed summary statistics.

Each particle is one run of the model (the scenario with the overrides and the particle's
values, like one run of a study) reduced to the observed metrics
(:mod:`abm.study.metrics`), or with a ``[culture]`` section one well-mixed culture of the
scenario's config reduced to culture metrics (:mod:`abm.study.calibrate_culture`); the distance of a run to the observations is
``sum(((simulated - observed) / sd) ** 2)`` over the targets (a run that fails, or a metric
that is NaN, is infinitely far). A run's seed derives from the calibration seed and the
particle's values (:func:`particle_seed`), so a particle gives the same run on any engine.

The calibration folder holds ``calibration.db`` (pyABC's SQLite history: a second
``abm calibrate`` on the same folder continues it, up to ``generations`` in all),
``calibration.json`` (what the folder was made for: a different calibration is refused),
and after every call ``posterior.csv`` (the weighted particles of the last generation),
``posterior_summary.csv`` (per parameter: prior, weighted median, 90 % credible interval),
``predictive.csv`` and ``predictive.png`` (the targets with their sd against the metrics of
runs at posterior draws) and ``posterior.png`` (marginals and pairs of the particles, the
scenario's own values marked). pyABC is an optional extra: ``pip install "tumor-abm[calibrate]"``.

Engines: one process (pyABC's single-core sampler, seeded from the calibration seed, so a
calibration is reproducible), local worker processes or a Dask cluster (any
``concurrent.futures`` executor, through pyABC's ``ConcurrentFutureSampler``; the order in
which particles are accepted then depends on timing, so the posterior is not bit-for-bit
reproducible).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import tempfile
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd

from abm.io.atomic import write_atomic
from abm.study import calibrate_culture as culture_keys
from abm.study.calibrate_spec import CalibrationError, CalibrationSpec, load_calibration_spec
from abm.study.folder import LOCK_NAME, study_lock
from abm.study.spec import override_strings

__all__ = ["CalibrationError", "CalibrationSpec", "load_calibration_spec", "calibrate",
           "simulate", "particle_seed", "distance", "weighted_quantile", "CREDIBLE"]

CREDIBLE = 0.90
"""Mass of the reported credible intervals (equal-tailed: the 5 % and 95 % quantiles)."""
DB_NAME, IDENTITY_NAME = "calibration.db", "calibration.json"


def _pyabc():
    try:
        import pyabc
    except ImportError:
        raise ImportError('calibration needs pyABC: pip install "tumor-abm[calibrate]"'
                          ) from None
    return pyabc


def particle_seed(seed: int, values: dict[str, float]) -> int:
    """The run seed of a particle: from the calibration seed and the particle's values (the
    float64 bits of each, in key order), through ``numpy.random.SeedSequence``."""
    words = [seed]
    for key in sorted(values):
        bits = int(np.float64(values[key]).view(np.uint64))
        words += [bits & 0xFFFFFFFF, bits >> 32]
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint32)[0])


def simulate(spec: CalibrationSpec, values: dict[str, float], seed: int | None = None
             ) -> dict[str, float]:
    """One run of the scenario with ``values`` (config key → value; ``culture.*`` keys set
    the culture instead) and ``seed`` (default: :func:`particle_seed`), reduced to the
    observed metrics: a lattice run, or with ``spec.culture`` a culture
    (:func:`abm.study.calibrate_culture.measure`); NaN for every metric if the run fails."""
    from abm import load_config
    from abm.study.metrics import import_metrics_module

    values = {k: float(v) for k, v in values.items()}
    seed = particle_seed(spec.seed, values) if seed is None else seed
    config_values = {k: v for k, v in values.items() if not k.startswith(culture_keys.PREFIX)}
    try:
        import_metrics_module(spec.metrics_module)
        config = load_config(spec.scenario, seed=seed, overrides=[
            *spec.overrides, *override_strings(config_values), "output.figure=false"])
        if spec.culture is not None:
            return culture_keys.measure(spec.culture, config, values, spec.metrics, seed)
        return _measure_run(config, spec.metrics)
    except Exception as exc:  # noqa: BLE001 - a failed run is infinitely far, not a crash
        logging.getLogger("abm").warning("calibration run %s failed: %s: %s", values,
                                         type(exc).__name__, exc)
        return {m: math.nan for m in spec.metrics}


def _measure_run(config, metrics) -> dict[str, float]:
    """One lattice run of ``config`` reduced to ``metrics``; the run file lives in a
    temporary folder only while it is measured."""
    from abm import load_run, run_scenario
    from abm.study.metrics import evaluate

    with tempfile.TemporaryDirectory(prefix="abm-calibrate-") as tmp:
        path = run_scenario(config, Path(tmp) / "run.h5", overwrite=True, progress=False)
        with load_run(path) as run:
            return evaluate(run, metrics)


class _Model:
    """The pyABC model: a particle's parameters → its metrics (picklable, for workers)."""

    def __init__(self, spec: CalibrationSpec):
        self.spec = spec

    def __call__(self, parameters) -> dict[str, float]:
        return simulate(self.spec, {k: parameters[k] for k in self.spec.keys})


class _Distance:
    """``sum(((x - x0) / sd) ** 2)`` over the targets; infinite if any metric is NaN."""

    def __init__(self, sd: dict[str, float]):
        self.sd = dict(sd)

    def __call__(self, x: dict, x0: dict) -> float:
        return distance(x, x0, self.sd)


def distance(x: dict, x0: dict, sd: dict) -> float:
    """The calibration distance of simulated metrics ``x`` to observed ``x0`` (noise ``sd``)."""
    total = 0.0
    for metric, s in sd.items():
        term = (float(x[metric]) - float(x0[metric])) / s
        if not math.isfinite(term):
            return math.inf
        total += term * term
    return total


def _prior(spec: CalibrationSpec):
    pyabc = _pyabc()
    rvs = {p.key: (pyabc.RV("uniform", p.lo, p.width) if p.kind == "uniform"
                   else pyabc.RV("loguniform", p.lo, p.hi)) for p in spec.priors}
    return pyabc.Distribution(**rvs)


def _identity(spec: CalibrationSpec) -> dict:
    """What decides a calibration's particles: scenario text, overrides, seed, priors,
    targets, population, the culture (a folder made for another identity is refused)."""
    culture = {} if spec.culture is None else {"culture": dataclasses.asdict(spec.culture)}
    return {**culture, "name": spec.name,
            "scenario_sha256": hashlib.sha256(spec.scenario.read_bytes()).hexdigest(),
            "overrides": list(spec.overrides), "seed": spec.seed,
            "metrics_module": spec.metrics_module, "population": spec.population,
            "priors": [[p.key, p.kind, p.lo, p.hi] for p in spec.priors],
            "observations": [[m, float(r.value), float(r.sd)]
                             for m, r in spec.observations.iterrows()]}


def _claim(spec: CalibrationSpec) -> bool:
    """Make the folder this calibration's, or check it is; True if it already holds a
    calibration database to continue."""
    out = spec.out_dir
    identity = _identity(spec)
    stored = out / IDENTITY_NAME
    if stored.exists():
        if json.loads(stored.read_text()) != identity:
            raise CalibrationError(
                f"{out} holds another calibration (its {IDENTITY_NAME} differs: scenario, "
                "overrides, seed, population, priors, observations or culture changed); give "
                "calibration.out another folder, or remove that one to start over")
        return (out / DB_NAME).exists()
    if out.exists() and any(p.name != LOCK_NAME for p in out.iterdir()):
        raise CalibrationError(f"{out} is not empty and holds no calibration; give "
                               "calibration.out another folder")
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(stored, lambda tmp: tmp.write_text(json.dumps(identity, indent=1)))
    return False


def calibrate(spec: CalibrationSpec, executor: Executor | None = None, *,
              max_jobs: int | None = None, progress: bool = False) -> dict[str, Path]:
    """Run (or continue) the calibration of ``spec``: ABC-SMC generations until
    ``spec.generations`` are stored in all or the threshold reaches ``spec.min_epsilon``,
    on ``executor`` (None: this process, seeded; else at most ``max_jobs`` particles in
    flight, default the population size), then write the outputs. Returns the
    written files by kind (``db``, ``posterior``, ``summary``, ``predictive``, ``figure``).
    The folder is locked meanwhile (:class:`abm.study.folder.StudyBusy` if it is taken)."""
    pyabc = _pyabc()
    import logging

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Adaptation"):
        logging.getLogger(name).setLevel(logging.INFO if progress else logging.WARNING)
    with study_lock(spec.out_dir):
        resume = _claim(spec)
        if executor is None:
            sampler = pyabc.sampler.SingleCoreSampler()
        else:
            sampler = pyabc.sampler.ConcurrentFutureSampler(
                executor, client_max_jobs=max_jobs or spec.population)
        sampler.show_progress = progress
        observed = spec.observations["value"].to_dict()
        abc = pyabc.ABCSMC(_Model(spec), _prior(spec), _Distance(spec.observations["sd"]),
                           population_size=spec.population, sampler=sampler)
        db = "sqlite:///" + str(spec.out_dir / DB_NAME)
        if resume:
            history = abc.load(db, 1)
            done = history.n_populations
        else:
            history = abc.new(db, observed)
            done = 0
        if done < spec.generations:
            state = np.random.get_state()
            np.random.seed(np.random.SeedSequence([spec.seed, 1, done]).generate_state(1))
            try:
                history = abc.run(minimum_epsilon=spec.min_epsilon,
                                  max_nr_populations=spec.generations - done)
            finally:
                np.random.set_state(state)
        return write_outputs(spec, history, executor)


def weighted_quantile(values, weights, q) -> np.ndarray:
    """Quantiles ``q`` of weighted samples (linear between the samples' mid-mass points)."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    order = np.argsort(values)
    values, weights = values[order], weights[order] / weights.sum()
    mids = np.cumsum(weights) - weights / 2
    return np.interp(q, mids, values)


def scenario_values(spec: CalibrationSpec) -> dict[str, float]:
    """The value each calibrated key has without the calibration: the scenario's with the
    overrides (a network parameter from its preset and defaults), or the ``[culture]``
    section's; NaN for a key that has none (e.g. an unset optional table entry)."""
    from abm import load_config
    from abm.tumor.phenotype.binding import resolve_network
    from abm.tumor.sections import network_parameters

    config = load_config(spec.scenario, overrides=list(spec.overrides))
    network_prefix = "intracellular.params."
    out = {}
    for key in spec.keys:
        if key.startswith(culture_keys.PREFIX):
            out[key] = float(getattr(spec.culture, key[len(culture_keys.PREFIX):]))
        elif key.startswith(network_prefix):
            names = resolve_network(config.intracellular).parameter_names
            vector = network_parameters(config.intracellular)
            out[key] = float(vector[names.index(key[len(network_prefix):])])
        else:
            value = config
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            out[key] = float(value) if isinstance(value, (int, float)) else math.nan
    return out


def _scale(p, x):
    """``x`` on the prior's own scale (log for a log-uniform prior)."""
    return np.log(x) if p.kind == "loguniform" else np.asarray(x, float)


def posterior_summary(spec: CalibrationSpec, particles: pd.DataFrame,
                      weights: np.ndarray) -> pd.DataFrame:
    """Per parameter: prior (kind, lo, hi), the scenario's own value (:func:`scenario_values`),
    weighted mean, median, the 90 % credible interval (``ci_lo``, ``ci_hi``) and its width as
    a fraction of the prior's, on the prior's scale (log for a log-uniform prior)."""
    tail = (1 - CREDIBLE) / 2
    own = scenario_values(spec)
    rows = []
    for p in spec.priors:
        lo, median, hi = weighted_quantile(particles[p.key], weights, [tail, 0.5, 1 - tail])
        rows.append({"parameter": p.key, "prior": p.kind, "prior_lo": p.lo, "prior_hi": p.hi,
                     "scenario_value": own[p.key],
                     "mean": float(np.average(particles[p.key], weights=weights)),
                     "median": median, "ci_lo": lo, "ci_hi": hi,
                     "ci_fraction_of_prior": float(np.ptp(_scale(p, [lo, hi]))
                                                   / np.ptp(_scale(p, [p.lo, p.hi])))})
    return pd.DataFrame(rows).set_index("parameter")


def write_outputs(spec: CalibrationSpec, history, executor: Executor | None = None
                  ) -> dict[str, Path]:
    """``posterior.csv``, ``posterior_summary.csv``, ``posterior.png``, ``predictive.csv``
    and ``predictive.png`` of the last generation in ``history``."""
    from abm.study.calibration_plots import posterior_figure, predictive_figure  # matplotlib
    from abm.viz.journal import save_checked

    out = spec.out_dir
    particles, weights = history.get_distribution(m=0, t=history.max_t)
    particles = particles[list(spec.keys)]
    posterior = particles.assign(weight=weights).reset_index(drop=True)
    posterior.index.name = "particle"
    written = {"db": out / DB_NAME, "posterior": out / "posterior.csv",
               "summary": out / "posterior_summary.csv", "predictive": out / "predictive.csv",
               "figure": out / "predictive.png", "posterior_figure": out / "posterior.png"}
    write_atomic(written["posterior"], lambda tmp: posterior.to_csv(tmp), durable=False)
    summary = posterior_summary(spec, particles, np.asarray(weights))
    write_atomic(written["summary"], lambda tmp: summary.to_csv(tmp), durable=False)
    posterior_fig = posterior_figure(spec, posterior, summary)
    write_atomic(written["posterior_figure"],
                 lambda tmp: save_checked(posterior_fig, tmp, format="png"), durable=False)
    predictive = posterior_predictive(spec, posterior, executor)
    write_atomic(written["predictive"], lambda tmp: predictive.to_csv(tmp), durable=False)
    predictive_fig = predictive_figure(spec, predictive)
    write_atomic(written["figure"], lambda tmp: save_checked(predictive_fig, tmp, format="png"),
                 durable=False)
    return written


def posterior_predictive(spec: CalibrationSpec, posterior: pd.DataFrame,
                         executor: Executor | None = None) -> pd.DataFrame:
    """Runs at ``spec.predictive_draws`` particles drawn by weight (seeded), each with a
    fresh seed: one row per draw with the parameter values, the seed and the metrics."""
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 2]))
    draws = spec.predictive_draws
    weights = posterior["weight"].to_numpy(float)
    picks = rng.choice(len(posterior), size=draws, p=weights / weights.sum())
    seeds = [int(s) for s in rng.integers(0, 2**32, size=draws)]
    values = [{k: float(posterior[k].iloc[i]) for k in spec.keys} for i in picks]
    if executor is None:
        metrics = [simulate(spec, v, s) for v, s in zip(values, seeds)]
    else:
        metrics = [f.result() for f in [executor.submit(simulate, spec, v, s)
                                        for v, s in zip(values, seeds)]]
    rows = [{**v, "seed": s, **m} for v, s, m in zip(values, seeds, metrics)]
    table = pd.DataFrame(rows)
    table.index.name = "draw"
    return table

