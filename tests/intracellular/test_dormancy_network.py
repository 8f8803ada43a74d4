"""The default hypoxia → dormancy/senescence network: contract, helpers and design targets.

The design targets are the table of docs/network.md §2. Every trajectory here
is integrated by scipy's ``solve_ivp`` (Radau, rtol 1e-8, atol 1e-10) on the readable NumPy
``rhs_reference``, independently of the batched integrator (one test at the end also runs a
target through ``intracellular.simulate``).

"G1 length" = time from a post-mitotic daughter state to commitment, E2F (EF) > 0.5, at GF 1,
glc 1, SASP 0 unless stated. The daughter is made as the fate layer makes it: a cycling cell
(the network's published ``y0``) runs at 38 mmHg to commitment, 10 h more (S/G2/M), then
``post_mitotic_reset``. Each tolerance is stated next to the value measured when it was set.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from intracellular import get_network, simulate
from intracellular.models import dormancy

NET = get_network("dormancy")
EF = NET.index("EF")
MTOR = NET.index("mTORC1")
P27 = NET.index("p27")
SG2M_HOURS = 10.0  # S/G2/M duration between commitment and division (docs/network.md fate table)


def _committed(t, y):
    return y[EF] - 0.5


_committed.terminal = True
_committed.direction = 1.0


def integrate(y, hours, inputs=None, preset=None, stop_at_commitment=True):
    """Integrate one cell from ``y`` for ``hours`` under constant ``inputs`` (name → value).

    Returns (commitment time in h or None, final state (14,)); with ``stop_at_commitment`` the
    run ends at the first upward crossing of EF = 0.5.
    """
    p = NET.parameter_vector(preset)
    u = NET.input_vector(inputs)
    sol = solve_ivp(lambda t, y: dormancy.rhs_reference(y, p, u), (0.0, hours), y,
                    method="Radau", rtol=1e-8, atol=1e-10,
                    events=_committed if stop_at_commitment else None)
    assert sol.success, sol.message
    t_commit = sol.t_events[0][0] if stop_at_commitment and sol.t_events[0].size else None
    return t_commit, sol.y[:, -1].copy()


@functools.cache
def post_mitotic_daughter(preset=None):
    """The daughter of a cell cycling at 38 mmHg (module docstring), shape (14,), read-only."""
    t_commit, y = integrate(NET.state_vector(), 200.0, preset=preset)
    assert t_commit is not None
    _, y = integrate(y, SG2M_HOURS, preset=preset, stop_at_commitment=False)
    dormancy.post_mitotic_reset(y, y)
    y.flags.writeable = False
    return y


@pytest.fixture
def daughter():
    return post_mitotic_daughter()


def g1_length(y, inputs=None, preset=None, hours=200.0):
    """Hours from ``y`` to E2F > 0.5 (None: no commitment within ``hours``)."""
    return integrate(y, hours, inputs, preset)[0]


# --- contract ----------------------------------------------------------------------------

def test_contract():
    assert NET.species == ("HIF", "AMPK", "mTORC1", "ERK", "p38", "p21", "p27",
                           "MC", "EF", "CD", "CE", "RB", "RE", "RP")
    assert NET.input_names == ("O2", "GF", "glc", "SASP", "DNA", "mito")
    np.testing.assert_array_equal(NET.input_vector(), [38.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    for par in NET.parameters:
        assert par.unit and par.source, par
    # The kernels unpack p positionally: the upstream block, then Yao's 25 in Yao's order.
    assert NET.parameter_names[:41] == (
        "KH", "nH", "kH", "Kox", "aOX", "aGLY", "fGLY0", "kA", "KAe", "kAd", "kAM", "kMa", "kMd",
        "kMA", "kMH", "kEa", "KGF", "kEd", "kEP", "kPa", "kPd", "bP", "sH", "sS", "k21", "d21",
        "b21", "a21A", "a21P", "a21S", "a21D", "a21M", "c1", "c2", "B", "c27H", "KID", "KI",
        "Smax", "hD", "fRB0")
    # The Yao core reuses the published values unchanged (docs/network.md §1a).
    yao = dict(KS=0.5, KMC=0.15, KEF=0.15, KD=0.92, KE=0.92, Kp=0.01, kM=1.0, kCDS=0.45,
               kEF=0.4, kb=0.003, kCE=0.35, kCD=0.03, kRB=0.18, kRBPP=18, kRBP=18, kRBP2=18,
               kRE=180, kRBUP=3.6, dMC=0.7, dEF=0.25, dCE=1.5, dCD=1.5, dRB=0.06, dRP=0.06,
               dRE=0.03)
    assert NET.parameter_names[41:] == tuple(yao)
    values = dict(zip(NET.parameter_names, NET.parameter_vector()))
    for name, value in yao.items():
        assert values[name] == value, name
        assert NET.parameters[NET.parameter_names.index(name)].source.startswith("Yao et al. 2008")
    np.testing.assert_array_equal(NET.parameter_vector("default"), NET.parameter_vector())
    sensitive = dict(zip(NET.parameter_names, NET.parameter_vector("hypoxia_sensitive")))
    # a preset changes exactly the parameters it names, to the values it gives
    overrides = NET.presets["hypoxia_sensitive"]
    assert {k for k in values if sensitive[k] != values[k]} == set(overrides)
    assert all(sensitive[k] == v for k, v in overrides.items())
    np.testing.assert_array_equal(NET.state_vector(), dormancy.y0)


def test_atp_matches_reference():
    rng = np.random.default_rng(7)
    p = NET.parameter_vector()
    y = rng.uniform(0.0, 1.0, (200, NET.n_species))
    u = np.column_stack([rng.choice([-0.01, 0.0, 0.1, 0.76, 1.5, 7.6, 38.0, 100.0], 200),
                         rng.uniform(0, 1, 200), rng.uniform(0, 1, 200), rng.uniform(0, 2, 200),
                         rng.uniform(0, 2, 200), rng.uniform(0, 1, 200)])
    reference = dormancy.atp_reference(y, p, u)
    assert reference.shape == (200,)
    compiled = np.array([dormancy.atp(y[i], p, u[i]) for i in range(200)])
    np.testing.assert_allclose(compiled, reference, rtol=1e-14, atol=0)
    # Both regimes occur: capped at demand and in deficit.
    assert (reference == 1.0).any() and (reference < 0.9).any()
    # No O2, no glucose: no ATP. 38 mmHg without HIF: 0.7·38/39 + 0.5·0.6; with full HIF the
    # supply exceeds demand and is capped at 1.
    assert dormancy.atp(np.zeros(14), p, np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])) == 0.0
    # Mitochondrial dysfunction m removes that share of respiration: 0.7·(1 − m)·38/39 + 0.3.
    sick = NET.input_vector({"mito": 0.5})
    assert dormancy.atp(np.zeros(14), p, sick) == pytest.approx(0.35 * 38 / 39 + 0.3)
    assert dormancy.atp(np.zeros(14), p, NET.input_vector()) == pytest.approx(0.7 * 38 / 39 + 0.3)
    assert dormancy.atp(np.ones(14), p, NET.input_vector()) == 1.0


def test_post_mitotic_reset():
    y = np.arange(1.0, 15.0)
    out = np.full(14, np.nan)
    dormancy.post_mitotic_reset(y, out)
    expected = y.copy()
    expected[NET.index("RB")] = y[NET.index("RB")] + y[NET.index("RP")]
    expected[NET.index("RP")] = 0.0
    expected[EF] *= 0.05
    expected[NET.index("CE")] *= 0.05
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(y, np.arange(1.0, 15.0))  # input untouched
    dormancy.post_mitotic_reset(y, y)                        # in place gives the same
    np.testing.assert_array_equal(y, expected)


def test_y0_is_the_cycling_daughter(daughter):
    # y0 is documented as the fixed point of one generation at 38 mmHg (made at rtol 1e-10);
    # at rtol 1e-8 the daughter differs by 2e-7 (measured).
    np.testing.assert_allclose(daughter, dormancy.y0, rtol=0, atol=1e-5)


# --- design targets (docs/network.md §2) ---------------------------------------------------------

@pytest.mark.calibration
@pytest.mark.parametrize("o2, target, tolerance", [
    (38.0, 6.0, 0.5),    # measured 5.88 h
    (7.6, 8.0, 0.5),     # measured 8.08 h
    (1.5, 14.0, 1.0),    # measured 13.83 h
    (0.76, 70.0, 10.0),  # "near-arrest (G1 ~ 70 h)"; measured 66.16 h
])
def test_g1_length_vs_oxygen(daughter, o2, target, tolerance):
    g1 = g1_length(daughter, {"O2": o2})
    assert g1 is not None and abs(g1 - target) <= tolerance, g1


@pytest.mark.calibration
@pytest.mark.parametrize("o2", [0.38, 0.1, 0.0])
def test_arrest_at_severe_hypoxia_is_dormant_prone(daughter, o2):
    # No commitment in 96 h (measured: none; at 0.38 mmHg the cell does commit after ~203 h,
    # at ≤ 0.2 mmHg not within 500 h).
    t_commit, y = integrate(daughter, 96.0, {"O2": o2})
    assert t_commit is None
    # mTORC1 ≈ 0.35 ± 0.05 (measured 0.371, 0.345, 0.341): below the 0.6 senescence threshold.
    assert abs(y[MTOR] - 0.35) <= 0.05 and y[MTOR] < 0.6, y[MTOR]
    # p27 rises: at least doubles from the daughter's 0.305 (measured 0.78, 1.87, 22.7).
    assert y[P27] > 2.0 * daughter[P27], y[P27]


def test_no_growth_factor_arrests(daughter):
    t_commit, y = integrate(daughter, 96.0, {"GF": 0.0})
    assert t_commit is None
    assert y[EF] < 0.05  # E2F off, measured 1e-3


def test_sasp_delays_g1_with_active_mtor(daughter):
    t_commit, y = integrate(daughter, 200.0, {"SASP": 1.0})
    # G1 ~ 58 h ± 6 h (measured 55.68 h); mTORC1 ≈ 0.9 ± 0.05 (measured 0.903): an arrested
    # cell with active mTOR is senescence-prone.
    assert t_commit is not None and abs(t_commit - 58.0) <= 6.0, t_commit
    assert abs(y[MTOR] - 0.9) <= 0.05 and y[MTOR] >= 0.6, y[MTOR]


def reentry_after_arrest(arrest_hours, arrest_inputs):
    """Hours to E2F > 0.5 for the daughter after ``arrest_hours`` under ``arrest_inputs`` and
    then back at 38 mmHg, GF 1 (cached: several tests share the 96 h arrests)."""
    return _reentry(arrest_hours, tuple(sorted(arrest_inputs.items())))


@functools.cache
def _reentry(arrest_hours, arrest_items):
    t_commit, y = integrate(post_mitotic_daughter(), arrest_hours, dict(arrest_items))
    assert t_commit is None
    return g1_length(y, {"O2": 38.0, "GF": 1.0})


@pytest.mark.calibration
@pytest.mark.parametrize("o2, arrest_hours, measured", [
    (0.1, 48.0, 16.04),
    (0.1, 96.0, 17.99),
    (0.0, 48.0, 25.80),
])
def test_reoxygenation_reentry_within_a_day(o2, arrest_hours, measured):
    # "Re-entry within ~1 day": ≤ 30 h (24 h + 25 %).
    t = reentry_after_arrest(arrest_hours, {"O2": o2})
    assert t is not None and t <= 30.0, t
    assert t == pytest.approx(measured, abs=0.1)


@pytest.mark.calibration
@pytest.mark.xfail(strict=True, reason="design target not met by the equations as written: after "
                   "96 h at exactly 0 mmHg, p27 reaches ~23 (unbounded Alarcón accumulation) and "
                   "the E2F pool decays (RE 1.06 → 0.23), so re-entry takes 42.4 h (0.1 mmHg: 18 h)")
def test_reoxygenation_after_96_h_of_strict_anoxia():
    t = reentry_after_arrest(96.0, {"O2": 0.0})
    assert t is not None and t <= 30.0, t


@pytest.mark.calibration
@pytest.mark.parametrize("arrest, measured", [
    ({"O2": 0.1}, (13.55, 17.99)),
    ({"O2": 0.0}, (16.98, 42.35)),
    ({"GF": 0.0}, (16.93, 58.17)),
])
def test_quiescence_deepens_with_time_arrested(arrest, measured):
    # Re-entry time after 96 h arrested exceeds that after 24 h by > 2 h (measured: above).
    short = reentry_after_arrest(24.0, arrest)
    long = reentry_after_arrest(96.0, arrest)
    assert long > short + 2.0, (short, long)
    np.testing.assert_allclose((short, long), measured, atol=0.1)


@pytest.mark.calibration
def test_hypoxia_sensitive_preset_lengthens_g1_at_1_percent(daughter):
    preset = "hypoxia_sensitive"
    default = g1_length(daughter, {"O2": 7.6})
    # A daughter born at 38 mmHg and switched to 1% O2 at birth arrests (no commitment in 200 h;
    # mTORC1 0.58 < 0.6: dormant-prone, not senescent): the wave of arrest (and dormancy) seen
    # in culture right after the switch, from which noisy cells later partly exit.
    assert g1_length(post_mitotic_daughter(preset), {"O2": 7.6}, preset) is None
    # A daughter whose mother went through S/G2/M at 1% O2 cycles, slowly: measured 8.08 h
    # (default) vs 21.24 h (preset), ratio 2.63 (23.6 h once cycling steadily at 7.6 mmHg; at
    # 38 mmHg the preset's G1 is 9.64 h): require ≥ 1.5×. The population G0/G1 fraction
    # (0.58 → 0.80, Schmaltz et al. 1998) is checked with the fate layer.
    t_commit, y = integrate(NET.state_vector(), 200.0, preset=preset)
    assert t_commit is not None
    _, y = integrate(y, SG2M_HOURS, {"O2": 7.6}, preset, stop_at_commitment=False)
    dormancy.post_mitotic_reset(y, y)
    sensitive = g1_length(y, {"O2": 7.6}, preset)
    assert sensitive is not None and sensitive >= 1.5 * default, (default, sensitive)
    assert sensitive == pytest.approx(21.24, abs=0.1)


def test_g1_through_simulate():
    # The batched integrator reproduces the 38 mmHg G1 from the published y0 (5.88 h).
    times, traj = simulate("dormancy", 8.0, n_points=801)
    reference = g1_length(NET.state_vector(), {"O2": 38.0})
    k = np.argmax(traj["EF"] > 0.5)
    assert k > 0
    # Linear interpolation between samples 0.01 h apart: within 0.01 h of solve_ivp.
    t = np.interp(0.5, traj["EF"][k - 1:k + 1], times[k - 1:k + 1])
    assert t == pytest.approx(reference, abs=0.01)
    assert reference == pytest.approx(5.88, abs=0.01)
