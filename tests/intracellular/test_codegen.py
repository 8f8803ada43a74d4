"""Code generation from definitions: parsing in a closed namespace, generated rhs/jac/
reference/hooks/events against hand-written NumPy truths and finite differences, and the
on-disk cache (a second process does not import SymPy)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import intracellular as ic
from intracellular import compile as compile_module
from intracellular.network import Input, Parameter

P = (Parameter("k", 0.7, "h⁻¹", "test"), Parameter("K", 0.3, "", "test", low=1e-6),
     Parameter("n", 3.0, "", "test"))
U = (Input("S", 1.0, "", "signal"),)


def _definition(**changes) -> ic.Definition:
    """Three species through min, max, abs, Piecewise, exp, sqrt, a parameter exponent and an
    integer power; ``truth`` below is the same system written by hand."""
    fields = dict(
        name="toy", doc="test network", species=("A", "B", "C"), parameters=P, inputs=U,
        expressions={"drive": "min(1.0, S*A/(K + A))", "kink": "abs(B - 0.5)"},
        rates={"A": "k*(1.0 - A) - drive*A**2",
               "B": "max(0.2*A, C) - k*B + Piecewise((0.3*C, C > 0.4), (-0.1*A*C, True))",
               "C": "exp(-kink) - sqrt(C + 1.0) + (A/K)**n*0.01 + 0.30000000000000004"},
        y0={"A": 0.5, "B": 0.1, "C": 0.2})
    fields.update(changes)
    return ic.Definition(**fields)


def truth(y, p, u):
    k, K, n = p
    A, B, C = np.moveaxis(np.asarray(y, dtype=float), -1, 0)
    S = np.asarray(u, dtype=float)[..., 0]
    drive = np.minimum(1.0, S * A / (K + A))
    kink = np.abs(B - 0.5)
    return np.stack([k * (1.0 - A) - drive * A**2,
                     np.maximum(0.2 * A, C) - k * B + np.where(C > 0.4, 0.3 * C, -0.1 * A * C),
                     np.exp(-kink) - np.sqrt(C + 1.0) + (A / K) ** n * 0.01 + 0.30000000000000004],
                    axis=-1)


@pytest.fixture(scope="module")
def toy():
    return ic.compile_network(_definition())


def _samples(rng, k):
    y = rng.uniform(0.0, 1.0, (k, 3))
    u = rng.uniform(0.0, 3.0, (k, 1))
    return y, u


def test_generated_functions_equal_the_hand_written_truth(toy):
    rng = np.random.default_rng(1)
    y, u = _samples(rng, 400)
    p = toy.parameter_vector()
    want = truth(y, p, u)
    np.testing.assert_allclose(toy.rhs_reference(y, p, u), want, rtol=1e-13, atol=1e-15)
    out = np.empty(3)
    for row in range(len(y)):
        toy.rhs(y[row], p, u[row], out)
        np.testing.assert_allclose(out, want[row], rtol=1e-13, atol=1e-15)
    # broadcasting: one input row for many states
    np.testing.assert_allclose(toy.rhs_reference(y, p, u[0]), truth(y, p, u[0]), rtol=1e-13,
                               atol=1e-15)


def test_jacobian_of_min_max_abs_piecewise_equals_central_differences(toy):
    """Away from each kink (|distance| > 1e-4), central differences with δ = 1e-7 are exact
    on the linear side of every branch up to δ²·f''' and ε·|f|/δ ≈ 1e-9."""
    rng = np.random.default_rng(2)
    y, u = _samples(rng, 300)
    p = toy.parameter_vector()
    J = np.empty((3, 3))
    checked = 0
    for row in range(len(y)):
        A, B, C = y[row]
        S = u[row, 0]
        if min(abs(S * A / (0.3 + A) - 1.0), abs(0.2 * A - C), abs(B - 0.5), abs(C - 0.4)) < 1e-4:
            continue
        toy.jac(y[row], p, u[row], J)
        numeric = np.empty((3, 3))
        for j in range(3):
            up, down = y[row].copy(), y[row].copy()
            up[j] += 1e-7
            down[j] -= 1e-7
            numeric[:, j] = (truth(up, p, u[row]) - truth(down, p, u[row])) / 2e-7
        np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-6)
        checked += 1
    assert checked > 250


def test_float_literals_round_trip(toy):
    """0.30000000000000004 (≠ 0.3) must reach the compiled code unchanged: at A = 0 the
    third rate is exp(-|B - 0.5|) - sqrt(C + 1) + that constant, bit for bit as NumPy."""
    y, p, u = np.array([0.0, 0.5, 0.0]), toy.parameter_vector(), np.array([1.0])
    out = np.empty(3)
    toy.rhs(y, p, u, out)
    assert out[2] == np.exp(-0.0) - np.sqrt(1.0) + 0.30000000000000004


def test_network_fields_come_from_the_definition(toy):
    d = _definition()
    assert toy.definition == d and toy.time_unit_h == 1.0 and toy.events is None
    assert toy.species == d.species and toy.parameters == P and toy.inputs == U
    assert toy.y0 == {"A": 0.5, "B": 0.1, "C": 0.2}
    net = ic.compile_network(_definition(name="toy_minutes", time_unit_h=1 / 60))
    assert net.time_unit_h == 1 / 60


def test_reset_is_an_identity_copy_without_division_reset_and_readouts_are_hooks(toy):
    y, out = np.array([0.1, 0.2, 0.3]), np.empty(3)
    toy.hooks["post_mitotic_reset"](y, out)
    np.testing.assert_array_equal(out, y)
    net = ic.compile_network(_definition(name="toy_hooks", readouts={"drive": "drive"},
                                         division_reset={"A": "A + B", "B": "0.5*B"}))
    net.hooks["post_mitotic_reset"](y, y)  # in place: both values from the state before
    np.testing.assert_array_equal(y, [0.1 + 0.2, 0.1, 0.3])
    p, u = net.parameter_vector(), np.array([2.0])
    assert net.hooks["drive"](y, p, u) == min(1.0, 2.0 * y[0] / (0.3 + y[0]))


def test_events_detect_false_to_true_and_apply_in_order():
    from intracellular.definition import Event
    net = ic.compile_network(_definition(name="toy_events", events=(
        Event("A < 0.2", {"A": "A + 1.0", "C": "A"}), Event("C > 2.0", {"B": "0.0"}))))
    p, u = net.parameter_vector(), np.array([1.0])
    start, y = np.array([0.5, 1.0, 0.0]), np.array([0.1, 1.0, 0.0])
    assert net.events(start, y.copy(), p, u, False)
    assert not net.events(y.copy(), y.copy(), p, u, False)   # already true at the start
    net.events(start, y, p, u, True)
    np.testing.assert_array_equal(y, [1.1, 1.0, 0.1])       # both from the state before
    y2 = np.array([0.5, 1.0, 3.0])
    assert net.events(np.array([0.5, 1.0, 0.0]), y2, p, u, True)
    np.testing.assert_array_equal(y2, [0.5, 0.0, 3.0])


@pytest.mark.parametrize("initial_value, factor", [(False, 2.0), (True, 1.0)])
def test_an_event_true_at_time_zero_fires_then_only_if_its_initial_value_is_false(
        initial_value, factor):
    """y' = −y, y(0) = 1 and "y > ½ → y = 2y": with initial_value False the trigger turns true
    at t = 0 (SBML), so y = 2·e^(−t) (never again: y stays above ½ until t = ln 4, and only a
    rise re-fires it); with True nothing fires and y = e^(−t)."""
    from intracellular.definition import Definition, Event
    definition = Definition(
        name=f"initial_event_{initial_value}", doc="", species=("y",),
        parameters=(Parameter("k", 1.0, "h⁻¹", "test"),), inputs=(), rates={"y": "-k*y"},
        y0={"y": 1.0}, events=(Event("y > 0.5", {"y": "2*y"}, initial_value=initial_value),))
    net = ic.compile_network(definition)
    assert ("initial_events" in net.hooks) is (not initial_value)
    times, traj = ic.simulate(net, hours=1.0, n_points=11)
    np.testing.assert_allclose(traj["y"], factor * np.exp(-times), rtol=1e-6)


def test_names_that_clash_with_generated_code_are_renamed():
    d = ic.Definition(name="clash", doc="", species=("y", "out", "_x"),
                      parameters=(Parameter("p", 2.0, "", ""), Parameter("np", 0.5, "", "")),
                      inputs=(Input("u", 1.0, "", ""),),
                      rates={"y": "-p*y + u", "out": "np*y - out", "_x": "y*out - _x"}, y0={})
    net = ic.compile_network(d)
    y, pv, u = np.array([0.3, 0.2, 0.1]), net.parameter_vector(), np.array([0.5])
    want = [-2 * 0.3 + 0.5, 0.5 * 0.3 - 0.2, 0.3 * 0.2 - 0.1]
    out = np.empty(3)
    net.rhs(y, pv, u, out)
    np.testing.assert_allclose(out, want, rtol=1e-15)
    np.testing.assert_allclose(net.rhs_reference(y, pv, u), want, rtol=1e-15)


@pytest.mark.parametrize("entry,change,message", [
    ("rate of A", {"rates": {"A": "k*Q"}}, "unknown name 'Q'"),
    ("rate of A", {"rates": {"A": "k*(A"}}, "syntax error"),
    ("rate of A", {"rates": {"A": "A.__class__"}}, "Attribute is not allowed"),
    ("rate of A", {"rates": {"A": "__import__('os')"}}, "unknown function '__import__'"),
    ("rate of A", {"rates": {"A": "A^2"}}, "write '**'"),
    ("rate of A", {"rates": {"A": "A if k else B"}}, "IfExp is not allowed"),
    ("expression drive", {"expressions": {"drive": "kink*2", "kink": "B"}},
     "unknown name 'kink'"),                                # used before it is defined
    ("event 1 trigger", {"events": (ic.Event("A - 0.5", {"A": "1.0"}),)}, "must be a condition"),
])
def test_bad_expressions_name_the_network_the_entry_and_what_is_allowed(entry, change, message):
    with pytest.raises(ValueError) as info:
        ic.compile_network(_definition(name="bad", **change))
    text = str(info.value)
    assert "network 'bad'" in text and entry in text and message in text


def test_a_second_process_loads_the_cache_without_sympy(tmp_path):
    """Same cache dir: the second process finds the text by the definition's key and never
    imports SymPy; a tampered module file is regenerated, not run."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    script = ("import sys, numpy as np; sys.path.insert(0, {tests!r});"
              "from test_codegen import _definition; import intracellular as ic;"
              "net = ic.compile_network(_definition(name='toy_cache')); out = np.empty(3);"
              "net.rhs(np.array([0.1, 0.2, 0.3]), net.parameter_vector(), np.array([1.0]), out);"
              "print('sympy' in sys.modules, repr(out[0]))").format(
                  tests=str(Path(__file__).parent))
    env = {**os.environ, "INTRACELLULAR_CACHE_DIR": str(cache),
           "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def run():
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    first = run()
    assert first[0] == "True"
    second = run()
    assert second == ["False", first[1]]
    (module,) = cache.glob("_intracellular_net_*.py")
    module.write_text(module.read_text() + "\nraise SystemExit('tampered module ran')\n")
    third = run()
    assert third == ["True", first[1]]


def test_the_key_changes_with_any_field():
    base = compile_module.cache_key(_definition())
    assert compile_module.cache_key(_definition()) == base
    assert compile_module.cache_key(_definition(y0={"A": 0.5000000000000001})) != base
    assert compile_module.cache_key(_definition(expressions={
        "kink": "abs(B - 0.5)", "drive": "min(1.0, S*A/(K + A))"})) != base  # order matters


def test_a_singular_jacobian_at_a_finite_rate_is_replaced_by_differences():
    """a' = 1 − √((a + b)² − 4ab) = 1 − |a − b| with b = 1 and a(0) = 1, the form of
    MODEL1812040001's E2F–Rb rule: at t = 0 the radicand is 0, the analytic ∂f/∂a is 0/0,
    yet the rate is finite; for t > 0, a = 2 − e^(−t). The generated code must not raise and
    the integrator must follow the closed form."""
    from intracellular.definition import Definition
    definition = Definition(
        name="singular_root", doc="", species=("a", "b"), parameters=(), inputs=(),
        rates={"a": "1 - sqrt((a + b)**2 - 4*a*b)"}, y0={"a": 1.0, "b": 1.0})
    net = ic.compile_network(definition)
    J = np.empty((2, 2))
    net.jac(net.state_vector(), net.parameter_vector(), np.zeros(0), J)
    assert not np.isfinite(J[0, 0])          # the derivative really is singular there
    times, traj = ic.simulate(net, hours=3.0, n_points=31)
    np.testing.assert_allclose(traj["a"], 2.0 - np.exp(-times), rtol=1e-6)


def test_simultaneous_generated_events_all_fire():
    """x' = 1 from 0 with two events on the same trigger x > 1: one resets x to 0, the other
    counts (z += 1). Both fire at t = 1, 2, 3 (SBML / libRoadRunner: every trigger is read
    before any event executes), so after 3.5 h z = 3 and x = 0.5."""
    from intracellular.definition import Definition, Event
    definition = Definition(
        name="simultaneous", doc="", species=("x", "z"), parameters=(), inputs=(),
        rates={"x": "1.0"}, y0={},
        events=(Event("x > 1", {"x": "0.0"}), Event("x > 1", {"z": "z + 1"})))
    _, traj = ic.simulate(ic.compile_network(definition), hours=3.5, n_points=2)
    assert traj["z"][-1] == 3.0
    assert traj["x"][-1] == pytest.approx(0.5, abs=1e-6)


def test_names_used_by_the_generated_code_itself_are_renamed():
    """A parameter ``fired`` in a trigger and a species ``zero`` in a rate: the compiled and
    the reference right-hand sides still agree, and the event fires only at x > fired."""
    from intracellular.definition import Definition, Event
    definition = Definition(
        name="clashing_locals", doc="", species=("zero", "x", "k"),
        parameters=(Parameter("fired", 0.5, "", "test"),), inputs=(),
        rates={"zero": "-zero*x", "x": "1.0"}, y0={"zero": 2.0, "k": 1.0},
        events=(Event("x > fired", {"k": "0.0"}),))
    net = ic.compile_network(definition)
    y, p, u = np.array([2.0, 1.0, 1.0]), net.parameter_vector(), np.zeros(0)
    out = np.empty(3)
    net.rhs(y, p, u, out)
    np.testing.assert_array_equal(out, net.rhs_reference(y, p, u))
    np.testing.assert_array_equal(out, [-2.0, 1.0, 0.0])
    times, traj = ic.simulate(net, hours=1.0, n_points=11)
    np.testing.assert_array_equal(traj["k"], np.where(times <= 0.5, 1.0, 0.0))


@pytest.mark.parametrize("field, text", [
    ("name", 'evil""";open(MARK, "w").write("x");"""'),
    ("event", 'e\nopen(MARK, "w").write("x")\n'),
    ("readout", 'r""";open(MARK, "w").write("x");"""'),
])
def test_text_of_a_definition_never_becomes_code(tmp_path, monkeypatch, field, text):
    """Names, event names and readout roles are user text (a network file): generating and
    loading the network must not execute any of it."""
    from intracellular.definition import Definition, Event
    mark = tmp_path / "executed"
    monkeypatch.setitem(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__),
                        "MARK", str(mark))
    definition = Definition(
        name=text if field == "name" else "safe", doc="", species=("x",),
        parameters=(Parameter("k", 1.0, "h⁻¹", "test"),), inputs=(), rates={"x": "-k*x"},
        y0={"x": 1.0},
        events=(Event("x < 0.5", {"x": "1.0"}, name=text if field == "event" else ""),),
        readouts={text if field == "readout" else "level": "x"})
    net = ic.compile_network(definition)
    ic.simulate(net, hours=1.0, n_points=3)
    assert not mark.exists()
