"""The host's circadian clock: rest and active phases, hormone profiles, and perturbations.

Two clocks run in a simulation:

- the **external** clock (the room, the blood draws, the dosing times) reads
  ``run.start_clock_h`` at t = 0 and advances 24 h per day;
- the **body's** (internal) clock, which sets the rest phase and the hormones. It equals the
  external clock unless perturbed:

  - *jet lag*: at ``jet_lag_at_h`` the external clock jumps by ``jet_lag_shift_h`` (a flight
    east is a positive shift: local time jumps ahead) and the body re-entrains at
    ``reentrain_h_per_day`` (about 1 h per day: Aschoff et al. 1975; the body's clock lags
    the new local time and catches up linearly);
  - *constant darkness* (``light = "constant_dark"``): no light to entrain the body, so it
    free-runs with period ``free_running_period_h`` (24.2 h in humans: Czeisler et al. 1999
    Science 284:2177) and drifts later each external day;
  - *constant light* (``light = "constant_light"``): free-running too, and light suppresses
    melatonin (Lewy et al. 1980 Science 210:1267): its amplitude is multiplied by
    ``constant_light_melatonin``.

Hormones are smooth, 24-h periodic functions of the body's clock time θ (von Mises bumps
``exp(κ·(cos(2π(θ − θ_peak)/24) − 1))``, 1 at the peak): melatonin peaks mid-rest
(02:00–04:00 for a 23:00–07:00 sleeper: Arendt 2005), glucocorticoids at the end of rest
(the cortisol awakening peak, ~30 min after waking: Debono et al. 2009), sex hormones
(testosterone) at the end of rest (Brambilla et al. 2009). Mice rest in the light phase, so
their rest onset is ~07:00 (lights on) and lasts ~12 h: set ``rest_onset_h`` and
``rest_duration_h``.

The shedding factor multiplies the intravasation hazard of proliferating tumour cells
(:mod:`abm.shedding`):

    F(t) = exp(w_mel·mel − w_gc·gc − w_sex·sex) / mean over a day

so its daily mean is 1 whatever the weights (the weights shape the rhythm, the shedding rate
sets the mean). Melatonin raises shedding and glucocorticoids and testosterone lower it
(Diamantopoulou et al. 2022 Nature 607:156, docs/targets.md).
"""
from __future__ import annotations

import numpy as np

LIGHT_REGIMES = ("normal", "constant_dark", "constant_light")
_GRID = np.linspace(0.0, 24.0, 1441)[:-1]  # one-minute grid of a day (the factor's mean)


def _bump(theta_h, peak_h, kappa):
    """Von Mises bump of the clock time: 1 at ``peak_h``, 24-h periodic."""
    return np.exp(kappa * (np.cos(2.0 * np.pi * (np.asarray(theta_h) - peak_h) / 24.0) - 1.0))


class CircadianClock:
    """The clocks and hormones of a run (``[circadian]`` and ``run.start_clock_h``).

    All methods take times ``t_min`` (min since the start of the run; scalar or array) and
    return arrays of the same shape; clock times are in h ∈ [0, 24).
    """

    def __init__(self, section, start_clock_h: float):
        self.p = section
        self.start_clock_h = float(start_clock_h)
        self._norm = 1.0 / float(np.mean(self._raw_factor(_GRID, melatonin_scale=1.0)))

    # ---------------------------------------------------------------- clocks
    def external_clock_h(self, t_min):
        """Clock time of the room (h): start_clock_h + t, plus the jet-lag jump once it
        happened."""
        t_h = np.asarray(t_min, dtype=np.float64) / 60.0
        return np.mod(self.start_clock_h + t_h + self._jump_h(t_h), 24.0)

    def internal_clock_h(self, t_min):
        """The body's clock time (h)."""
        t_h = np.asarray(t_min, dtype=np.float64) / 60.0
        body = self.start_clock_h + t_h + self._jump_h(t_h) - self._lag_h(t_h)
        if self.p.light != "normal":  # free-running: 24/τ body-hours per external hour
            body = self.start_clock_h + t_h * 24.0 / self.p.free_running_period_h
        return np.mod(body, 24.0)

    def _jump_h(self, t_h):
        at = self.p.jet_lag_at_h
        return np.where((at >= 0.0) & (t_h >= at), self.p.jet_lag_shift_h, 0.0)

    def _lag_h(self, t_h):
        """How far the body is behind the (shifted) local time: the shift, shrinking at
        reentrain_h_per_day until it is gone."""
        at, shift = self.p.jet_lag_at_h, self.p.jet_lag_shift_h
        if at < 0.0 or shift == 0.0:
            return np.zeros_like(t_h)
        left = np.maximum(abs(shift) - (t_h - at) * self.p.reentrain_h_per_day / 24.0, 0.0)
        return np.where(t_h >= at, np.sign(shift) * left, 0.0)

    # ---------------------------------------------------------------- phases and hormones
    def resting(self, t_min):
        """Whether the body is in its rest phase (bool array)."""
        since_onset = np.mod(self.internal_clock_h(t_min) - self.p.rest_onset_h, 24.0)
        return since_onset < self.p.rest_duration_h

    def hormones(self, t_min) -> dict[str, np.ndarray]:
        """Melatonin, glucocorticoid and sex-hormone levels (0–1) at the body's clock."""
        theta = self.internal_clock_h(t_min)
        scale = self.p.constant_light_melatonin if self.p.light == "constant_light" else 1.0
        return self._hormones(theta, scale)

    def _hormones(self, theta, melatonin_scale):
        p = self.p
        rest_end = p.rest_onset_h + p.rest_duration_h
        return {"melatonin": melatonin_scale * _bump(theta, p.rest_onset_h + p.rest_duration_h / 2,
                                                     p.melatonin_kappa),
                "glucocorticoid": _bump(theta, rest_end + p.glucocorticoid_delay_h,
                                        p.glucocorticoid_kappa),
                "sex_hormone": _bump(theta, rest_end + p.sex_hormone_delay_h,
                                     p.sex_hormone_kappa)}

    def _raw_factor(self, theta, melatonin_scale):
        h = self._hormones(theta, melatonin_scale)
        p = self.p
        return np.exp(p.melatonin_weight * h["melatonin"]
                      - p.glucocorticoid_weight * h["glucocorticoid"]
                      - p.sex_hormone_weight * h["sex_hormone"])

    def shedding_factor(self, t_min):
        """Multiplier of proliferating cells' shedding hazard; its mean over an unperturbed
        day is 1 (constant light, which suppresses melatonin, lowers it)."""
        theta = self.internal_clock_h(t_min)
        scale = self.p.constant_light_melatonin if self.p.light == "constant_light" else 1.0
        return self._norm * self._raw_factor(theta, scale)
