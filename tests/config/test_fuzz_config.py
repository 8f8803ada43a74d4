"""Fuzzing ``abm run`` with bad configs: every one is refused with exit code 2 and one message
naming the bad key (or file, or path), no traceback, and nothing written anywhere.

The cases are generated deterministically (a seeded generator) over every ``section.key`` of
the schema and every ``[[therapy]]`` key, plus files, masks, names, output paths and command
line arguments. Each runs through :func:`abm.cli.main` in this process: the errors must be
found while the config and outputs are checked, before a model is built (so this stays fast).
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import io
import random
import traceback
import typing

import h5py
import numpy as np
import pytest

from abm.cli import main
from abm.schema import SECTIONS
from abm.config.params import info_of
from abm.therapy.sections import TherapyEntry

SEED = 13

BASE = """\
[run]
days = 0.5
[grid]
nx = 48
ny = 40
[vessels]
pattern = "array"
array_spacing_um = 200.0
[tumor]
radius_um = 120.0
[output]
path = "outputs/{name}.h5"
frame_every_min = 60.0
checkpoint_every_min = 180.0
figure = false
"""
"""A valid, tiny scenario that every case breaks in one way (or not at all: cases that give
arguments only)."""

PER_KEY = 5
"""Wrong values tried per key (drawn from the candidates of its type by the seeded generator)."""
HUGE_INT = "1" + "0" * 40
HUGER_INT = "1" + "0" * 400
"""Beyond float range: ``float()`` or ``math.isfinite`` of it overflows."""
HOSTILE_NAMES = ["../../escaped", "a/b", "", ".hidden", "..", "-rf", "a\nb", "x" * 300,
                 "a b", "$(touch pwned)", "a;b", "näme", "name\u0000", "/abs", "C:\\x", "`id`"]
HOSTILE_TEMPLATES = ["{name.__class__}", "{name:>3000000000}", "{0}", "{}", "{name!r}",
                     "{name[0]}", "{seed.real}", "{other}.h5", "outputs/{", "outputs/}",
                     "outputs/", "", "{name:{seed}}", "{name!s:>9}", "out\u0000/{name}.h5",
                     "{__import__}"]


@dataclasses.dataclass
class Case:
    category: str
    expect: str
    """Text the message must contain (the key, file or argument named)."""
    overrides: list[str] = dataclasses.field(default_factory=list)
    text: str | bytes | None = None
    """Scenario file content (None: :data:`BASE`)."""
    args: list[str] = dataclasses.field(default_factory=list)
    setup: typing.Callable | None = None
    """``setup(tmp_path) -> list[str]``: creates input files, returns extra arguments."""


def _below(info) -> list:
    """Numbers just outside the key's declared range."""
    out = []
    if info.low is not None:
        out.append(info.low - max(1.0, abs(info.low)))
        if not info.low_inclusive:
            out.append(info.low)
    if info.high is not None:
        out.append(info.high * 2 + 1)
    return out


def _bad_values(hint, info) -> list[str]:
    """TOML texts of values that key type ``hint`` with metadata ``info`` must refuse."""
    if hint is bool:
        return ["1", '"yes"', "nan", "[true]"]
    if hint is int:
        return ["1.5", '"3"', "true", "nan", "inf", HUGE_INT, "-" + HUGE_INT, "[1]", HUGER_INT] + \
            [repr(int(v)) if float(v).is_integer() else repr(v) for v in _below(info)]
    if hint is float:
        return ['"1.0"', "true", "nan", "-nan", "inf", "-inf", "1e308", "-1e308", HUGE_INT,
                HUGER_INT, "[1.0]", "{ a = 1 }"] + [repr(float(v)) for v in _below(info)]
    if hint is dict:
        return ["5", '"x"', "{ a = nan }", '{ a = "x" }', "{ a = 1e308 }", "{ a = inf }",
                "[1, 2]", f"{{ a = {HUGER_INT} }}", "{ a = { b = 1 } }"]
    if hint is tuple:
        return ["5", "[nan]", '["x"]', "[1e308]", "[-1.0]", f"[{HUGER_INT}]"]
    if info.choices is not None:
        return ['"bogus"', "5", "true", '""']
    return ["5", "true", "[1]", "{ a = 1 }", '"a\\u0000b"']


def _key_cases(rng: random.Random) -> list[Case]:
    cases = []
    for section, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            values = _bad_values(hints[f.name], info_of(f))
            for value in rng.sample(values, min(PER_KEY, len(values))):
                dotted = f"{section}.{f.name}"
                cases.append(Case("wrong value (--set)", dotted, overrides=[f"{dotted}={value}"]))
        for _ in range(2):
            key = f"{section}.zz{rng.randrange(10**6)}"
            cases.append(Case("unknown key (--set)", key, overrides=[f"{key}=1"]))
        key = f"zz{rng.randrange(10**6)}"
        cases.append(Case("unknown key (file)", f"{section}.{key}",
                          text=BASE + f"\n[{section}]\n{key} = 1\n" if f"[{section}]" not in BASE
                          else BASE.replace(f"[{section}]\n", f"[{section}]\n{key} = 1\n", 1)))
    return cases


def _therapy_cases() -> list[Case]:
    hints = typing.get_type_hints(TherapyEntry)
    cases = []
    for f in dataclasses.fields(TherapyEntry):
        for value in _bad_values(hints[f.name], info_of(f)):
            entry = {"drug": '"chemo"', "at_h": "[1.0]", f.name: value}
            if f.name in ("first_day", "n_days"):
                entry["daily_at"] = '"08:00"'
            body = "".join(f"{k} = {v}\n" for k, v in entry.items())
            cases.append(Case("therapy entry", f"therapy[0].{f.name}",
                              text=BASE + "\n[[therapy]]\n" + body))
    for body, expect in [
        ('drug = "chemo"\n', "therapy[0]: needs at_h"),
        ("at_h = [1.0]\n", "therapy[0].drug: missing"),
        ('drug = "chemo"\ndaily_at = "25:00"\n', "therapy[0].daily_at"),
        ('drug = "chemo"\ndaily_at = "08:00"\nn_days = 100000000\n', "therapy[0].daily_at"),
        ('drug = "chemo"\nat_h = [100.0]\n', "therapy[0].at_h[0]"),
        ('drug = "chemo"\nfirst_day = 1\nat_h = [1.0]\n', "therapy[0].first_day"),
    ]:
        cases.append(Case("therapy entry", expect, text=BASE + "\n[[therapy]]\n" + body))
    cases.append(Case("therapy entry", "therapy = 5", text="therapy = 5\n" + BASE))
    cases.append(Case("therapy entry", "therapy[0] = 5", text="therapy = [5]\n" + BASE))
    cases.append(Case("bad override", "[[therapy]] entries cannot be set",
                      overrides=["therapy.drug=chemo"]))
    return cases


def _file_cases(rng: random.Random) -> list[Case]:
    cases = []
    for text in ["[grid\nnx = 3\n", "nx = = 3\n", "[grid]\nnx = 3\nnx = 4\n", 'name = "a\n',
                 "[grid]\n[grid]\n", "a.b.c = [1, \n", "x = 1979-05-27T25:32:00\n",
                 "[grid]\nnx = 3\n[[grid]]\n", "= 1\n", "[grid]\nnx = 0x\n",
                 "x = " + "[" * 100_000, "x = " + "{ a = " * 50_000]:
        cases.append(Case("broken TOML", "not valid TOML", text=text))
    for i in range(10):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        cases.append(Case("non-UTF-8 file", "not UTF-8", text=b"\xff\xfe" + junk))
    cases.append(Case("non-UTF-8 file", "not UTF-8",
                      text=BASE.encode() + b"\n# caf\xe9\n"))
    for i in range(5):
        section = f"sect{rng.randrange(10**6)}"
        cases.append(Case("unknown section", f"unknown section '{section}'",
                          text=BASE + f"\n[{section}]\nx = 1\n"))
    cases.append(Case("unknown section", "[grid] must be a table", text="grid = 5\n"))
    cases.append(Case("unknown section", "[run] must be a table", text="[[run]]\n"))
    cases.append(Case("unknown section", "unknown section 'bogus'", text="bogus = 5\n" + BASE))
    cases.append(Case("unknown section", "config_version = 99", text="config_version = 99\n"))
    cases.append(Case("scenario file", "is a directory",
                      setup=lambda tmp: [str(_mkdir(tmp / "adir.toml"))], text=None))
    cases.append(Case("scenario file", "does not exist",
                      setup=lambda tmp: [str(tmp / "missing.toml")]))
    return cases


def _mkdir(path):
    path.mkdir()
    return path


def _name_and_path_cases() -> list[Case]:
    cases = []
    for name in HOSTILE_NAMES:
        if "\n" not in name and "\u0000" not in name:
            cases.append(Case("hostile name (--set)", "name = ", overrides=[f"name={name!r}"
                                                                          .replace("'", '"')]))
        escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
            .replace("\u0000", "\\u0000")
        cases.append(Case("hostile name (file)", "name = ", text=f'name = "{escaped}"\n' + BASE))
    cases.append(Case("hostile name (file)", "name = ", text="name = 5\n" + BASE))
    for template in HOSTILE_TEMPLATES:
        escaped = template.replace("\u0000", "\\u0000")
        cases.append(Case("hostile output.path", "output.path",
                          overrides=[f'output.path="{escaped}"']))
    return cases


def _write_png(path, shape, value=255):
    from PIL import Image

    Image.fromarray(np.full(shape, value, np.uint8)).save(path)
    return path


def _mask_cases() -> list[Case]:
    shape = (40, 48)
    makers = {
        "nan pixels": lambda p: np.save(p, np.where(np.eye(40, 48) > 0, np.nan, 1.0)),
        "inf pixels": lambda p: np.save(p, np.full(shape, np.inf)),
        "wrong shape": lambda p: np.save(p, np.ones((10, 10))),
        "3-D array": lambda p: np.save(p, np.ones((40, 48, 3))),
        "object array": lambda p: np.save(p, np.array([{"a": 1}] * 4, dtype=object)),
        "complex dtype": lambda p: np.save(p, np.ones(shape, complex)),
        "string dtype": lambda p: np.save(p, np.full(shape, "x")),
        "garbage bytes": lambda p: p.write_bytes(b"\x93NUMPY garbage" * 7),
        "empty file": lambda p: p.write_bytes(b""),
        "text file": lambda p: p.write_text("not an array\n"),
        "a directory": lambda p: p.mkdir(),
    }
    cases = []
    for section, pattern in (("vessels", "pattern"), ("tumor", "seed_pattern")):
        for what, make in makers.items():
            for suffix in (".npy", ".png") if what in ("garbage bytes", "empty file",
                                                       "text file") else (".npy",):
                def setup(tmp, make=make, suffix=suffix):
                    make(tmp / f"mask{suffix}")
                    return []
                cases.append(Case(f"mask ({what})", f"{section}.mask_file",
                                  overrides=[f"{section}.{pattern}=mask",
                                             f'{section}.mask_file="mask{suffix}"'],
                                  setup=setup))
        cases.append(Case("mask (png of another size)", f"{section}.mask_file",
                          overrides=[f"{section}.{pattern}=mask",
                                     f'{section}.mask_file="mask.png"'],
                          setup=lambda tmp: [_write_png(tmp / "mask.png", (10, 12))] and []))
        for hostile in ("x" * 5000 + ".npy", "a\\u0000.npy", "/dev/null.npy", "/dev/zero"):
            cases.append(Case("mask (hostile path)", f"{section}.mask_file",
                              overrides=[f"{section}.{pattern}=mask",
                                         f'{section}.mask_file="{hostile}"']))
        cases.append(Case("mask (missing file)", f"{section}.mask_file",
                          overrides=[f"{section}.{pattern}=mask",
                                     f'{section}.mask_file="nowhere.npy"']))
        cases.append(Case("mask (wrong suffix)", f"{section}.mask_file",
                          overrides=[f"{section}.{pattern}=mask", f'{section}.mask_file="m.txt"'],
                          setup=lambda tmp: [(tmp / "m.txt").write_text("1")] and []))
        cases.append(Case("mask (none given)", f"{section}.{pattern} = 'mask'",
                          overrides=[f"{section}.{pattern}=mask"]))
    cases.append(Case("mask (no tumour site)", "tumor.mask_file",
                      overrides=["tumor.seed_pattern=mask", 'tumor.mask_file="mask.npy"'],
                      setup=lambda tmp: [np.save(tmp / "mask.npy", np.zeros(shape))] and []))
    return cases


def _cross_key_cases() -> list[Case]:
    return [Case("cross-key rule", expect, overrides=overrides) for overrides, expect in [
        (["output.frame_every_min=7"], "output.frame_every_min"),
        (["output.checkpoint_every_min=90"], "output.checkpoint_every_min"),
        (["run.days=0.001"], "run.days"),
        (["vessels.pattern=random", "vessels.density_per_mm2=100"], "vessels.density_per_mm2"),
        (["vessels.pattern=random", "vessels.min_spacing_um=1e29"], "vessels.min_spacing_um"),
        (["tumor.radius_um=1e29"], "tumor.radius_um"),
        (["cycle.arrest_mmHg=50"], "cycle.arrest_mmHg"),
        (["run.start_clock_h=24"], "run.start_clock_h"),
        (["immune.enabled=true"], "chemokine.field"),
        (["vessels.array_spacing_um=2"], "vessels.array_spacing_um"),
        (["sasp.route_secretion={ bogus = 1.0 }"], "sasp.route_secretion"),
        (["intracellular.params={ bogus = 1.0 }"], "intracellular.params"),
        (["intracellular.preset=bogus"], "intracellular.preset"),
        (["immune.cd8={ bogus = 1.0 }"], "immune.cd8"),
        (["blood.params={ bogus = 1.0 }"], "blood.params.bogus"),
    ]]


def _argument_cases() -> list[Case]:
    def fake_run_file(tmp, schema=True):
        with h5py.File(tmp / "old.h5", "w") as f:
            if schema:
                f.attrs["schema_version"] = 1
        return ["--out", str(tmp / "old.h5")]

    return [
        Case("bad override", "override 'grid.nx'", overrides=["grid.nx"]),
        Case("bad override", "override '=5'", overrides=["=5"]),
        Case("bad override", "nested too deeply", overrides=["grid.nx=" + "[" * 100_000]),
        Case("--out", "not a usable path",
             setup=lambda tmp: ["--out", str(tmp / ("x" * 5000 + ".h5"))]),
        Case("bad override", "unknown override 'gridnx'", overrides=["gridnx=3"]),
        Case("bad override", "unknown override '.nx'", overrides=[".nx=3"]),
        Case("bad override", "unknown override 'grid.'", overrides=["grid.=3"]),
        Case("--out", "is a directory",
             setup=lambda tmp: ["--out", str(_mkdir(tmp / "outdir"))]),
        Case("--out", "is not a file abm wrote",
             setup=lambda tmp: ["--out", str(tmp / "scenario.toml")]),
        Case("--out", "is not a file abm wrote",
             setup=lambda tmp: ["--out", str(tmp / "scenario.toml"), "--overwrite"]),
        Case("--out", "is a file, not a folder",
             setup=lambda tmp: ["--out", str(tmp / "scenario.toml" / "run.h5")]),
        Case("--out", "exists; pass --overwrite", setup=fake_run_file),
        Case("--out", "is not a file abm wrote",
             setup=lambda tmp: fake_run_file(tmp, schema=False) + ["--overwrite"]),
        Case("--out", "summary figure",
             overrides=["output.figure=true"],
             setup=lambda tmp: [_write_png(tmp / "run.png", (4, 4)) and "--out",
                                str(tmp / "run.h5")]),
        Case("--out", "run.h5.parts' exists",
             setup=lambda tmp: [_mkdir(tmp / "run.h5.parts") and "--out", str(tmp / "run.h5")]),
        Case("--days/--seed", "run.days", args=["--days", "nan"]),
        Case("--days/--seed", "run.days", args=["--days", "-1"]),
        Case("--days/--seed", "run.days", args=["--days", "1e308"]),
        Case("--days/--seed", "run.days", args=["--days", "0.0001"]),
        Case("--days/--seed", "run.seed", args=["--seed", "-1"]),
        Case("--days/--seed", "[run] must be a table", text="run = 5\n", args=["--seed", "3"]),
        Case("--days/--seed", "[run] must be a table", text="[[run]]\n", args=["--days", "3"]),
        Case("--days/--seed", "run.seed", args=["--seed", HUGE_INT]),
        Case("memory", "--max-memory-gb", args=["--max-memory-gb", "0.001"]),
        Case("memory", "--max-memory-gb", args=["--max-memory-gb", "nan"]),
        Case("memory", "--max-memory-gb", args=["--max-memory-gb", "-1"]),
        Case("memory", "ABM_MAX_MEMORY_GB", overrides=["grid.nx=8192", "grid.ny=8192"],
             setup=lambda tmp: _setenv("ABM_MAX_MEMORY_GB", "1")),
        Case("memory", "ABM_MAX_MEMORY_GB", setup=lambda tmp: _setenv("ABM_MAX_MEMORY_GB", "x")),
        Case("memory", "run.dt_min = 0.1", overrides=["run.days=3650", "run.dt_min=0.1"],
             setup=lambda tmp: _setenv("ABM_MAX_MEMORY_GB", "16")),
    ]


_ENV: dict[str, str] = {}


def _setenv(name, value):
    _ENV[name] = value
    return []


def generate_cases() -> list[Case]:
    """Every fuzz case, in a fixed order (seeded)."""
    rng = random.Random(SEED)
    return (_key_cases(rng) + _therapy_cases() + _file_cases(rng) + _name_and_path_cases()
            + _mask_cases() + _cross_key_cases() + _argument_cases())


def _run_case(case: Case, tmp_path, monkeypatch) -> tuple[int, str, list[str]]:
    _ENV.clear()
    scenario = tmp_path / "scenario.toml"
    text = BASE if case.text is None else case.text
    if isinstance(text, bytes):
        scenario.write_bytes(text)
    else:
        scenario.write_text(text, encoding="utf-8")
    extra = case.setup(tmp_path) if case.setup else []
    for name, value in _ENV.items():
        monkeypatch.setenv(name, value)
    target = [] if extra and not extra[0].startswith("--") else [str(scenario)]
    argv = ["-q", "run", *target, *extra, *case.args]
    for item in case.overrides:
        argv += ["--set", item]
    before = set(tmp_path.rglob("*"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
        except Exception:  # noqa: BLE001 - what the user would see: a traceback
            code = None
            err.write(traceback.format_exc())
    for name in _ENV:
        monkeypatch.delenv(name)
    leftovers = sorted(str(p.relative_to(tmp_path)) for p in set(tmp_path.rglob("*")) - before)
    return code, err.getvalue(), leftovers


def test_generator_covers_every_key_and_category():
    cases = generate_cases()
    assert len(cases) >= 300
    named = {c.expect for c in cases if c.category == "wrong value (--set)"}
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            assert f"{section}.{f.name}" in named
    assert [c.expect for c in generate_cases()] == [c.expect for c in cases]  # deterministic


def test_every_bad_config_is_refused_with_one_message_and_nothing_written(tmp_path_factory,
                                                                          monkeypatch):
    cases = generate_cases()
    failures = []
    counts = collections.Counter()
    for i, case in enumerate(cases):
        tmp_path = tmp_path_factory.mktemp(f"case{i}")
        monkeypatch.chdir(tmp_path)  # a default output.path would land here
        code, err, leftovers = _run_case(case, tmp_path, monkeypatch)
        problems = []
        if code != 2:
            problems.append(f"exit {code}")
        if case.expect not in err:
            problems.append(f"message lacks {case.expect!r}")
        if "Traceback" in err or err.count("error:") != 1:
            problems.append("not one clean message")
        if leftovers:
            problems.append(f"left {leftovers}")
        if problems:
            failures.append(f"[{case.category}] {case.overrides or case.args} "
                            f"{(case.text or '')[:60]!r}: {'; '.join(problems)}\n    {err[-300:]}")
        counts[case.category] += 1
    print(f"\n{len(cases)} bad configs:", dict(counts))
    print(f"{len(failures)} failed:", dict(collections.Counter(f.split("]")[0][1:] for f in failures)))
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:30])


@pytest.mark.parametrize("argv", [["run"], ["run", "a.toml", "--seed", "x"],
                                  ["run", "a.toml", "--days", "x"], ["plot", "x.h5"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "Traceback" not in capsys.readouterr().err
