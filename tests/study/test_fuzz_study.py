"""Fuzzing study files: 186 generated bad study files (wrong types, NaN/inf, negative and
huge counts, unknown keys, empty or inverted ranges, unknown config keys, bad designs and
metrics, non-UTF-8 bytes, broken TOML, hostile names and paths, format-field tricks, bad
[slurm] and [cluster] values), each one fault, through `abm sweep FILE`,
`abm sweep FILE --emit-slurm` and `abm run-design FILE --index 0` in-process: exit code 2,
one `abm: error:` message that names the key, no traceback, and nothing created anywhere
(validation only, no run starts). A few faults only matter to the job script (a study folder
that cannot be written unquoted into #SBATCH); those go through --emit-slurm only."""
from __future__ import annotations

from pathlib import Path

import pytest

from abm.cli import main
from abm.study import load_study_spec

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"

BASE = {
    "study": {"name": '"fz"', "scenario": f'"{QUICKSTART}"', "out": '"out/{name}"',
              "seed": "3", "replicates": "1", "overrides": '["run.days=0.5"]',
              "metrics": '["n_tumor"]'},
    "design": {"method": '"lhs"', "n": "2", "levels": "3"},
    "parameters": {'"oxygen.vessel_mmHg"': "{ range = [12.0, 38.0] }"},
    "slurm": {"time": '"01:00:00"', "memory": '"2G"', "partition": '"short"'},
}
"""A valid study (checked by test_the_base_study_is_valid), as TOML text per key."""


def render(changes: dict[tuple[str, str], str | None]) -> str:
    """The base study with ``changes`` (section, key) → TOML text (None: key removed)."""
    sections = {name: dict(keys) for name, keys in BASE.items()}
    for (section, key), raw in changes.items():
        table = sections.setdefault(section, {})
        if raw is None:
            table.pop(key, None)
        else:
            table[key] = raw
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) + "\n"
                   for name, keys in sections.items())


def one(section: str, key: str, raw: str | None, names: str | None = None):
    """A case: one key changed; the message must name ``names`` (default section.key)."""
    return render({(section, key): raw}), names or f"{section}.{key}"


PARAM = '"oxygen.vessel_mmHg"'
CASES: dict[str, tuple[str | bytes, str]] = {}
"""Case id → (study file text or bytes, text the error message must contain)."""

for i, raw in enumerate(['5', 'true', '["fz"]', '{ a = 1 }', '""', '"../../escaped"', '"a/b"',
                         '".."', '".hidden"', '"x\\nrm -rf ~"', '"$(touch pwned)"', '"`id`"',
                         '"a b"', '"x;y"', f'"{"x" * 101}"', '"name\\u0000"', '"caf\u00e9"',
                         '"x\\n#SBATCH --array=0-0"', "'fz\"'", '"-rf"']):
    CASES[f"name{i}"] = one("study", "name", raw)
for i, raw in enumerate(['5', '""', '"{name.__class__}"', '"{name:>3000000000}"', '"{0}"',
                         '"a{"', '"x}y"', '"{other}/x"', '"out\\nx"', '"x\\u0000"',
                         '"{name!r}"', '["out"]', '"fz.toml"', f'"{"x" * 5000}"',
                         f'"{"d/" * 3000}"']):
    CASES[f"out{i}"] = one("study", "out", raw)
for i, raw in enumerate(['5', '"nope.toml"', '""', '"."', '["a.toml"]', f'"{"x" * 5000}"']):
    CASES[f"scenario{i}"] = one("study", "scenario", raw)
for key, raws in {"seed": ['-1', '1.5', '"3"', 'true', 'nan', 'inf', '[1]'],
                  "replicates": ['0', '-3', '1.5', '"2"', 'true', 'nan', '-inf'],
                  "n": ['0', '-1', '1.5', '"8"', 'true', 'nan', 'inf'],
                  "levels": ['1', '0', '"3"', '2.5', 'false']}.items():
    section = "design" if key in ("n", "levels") else "study"
    for i, raw in enumerate(raws):
        CASES[f"{key}{i}"] = one(section, key, raw)
CASES["huge_replicates"] = one("study", "replicates", "1000000000", "study.replicates")
CASES["huge_n"] = one("design", "n", "1000000000000", "design.n")
CASES["huge_factorial"] = (render({("design", "method"): '"factorial"',
                                   ("design", "levels"): "1000",
                                   ("parameters", '"vessels.array_spacing_um"'):
                                   "{ range = [150.0, 250.0] }"}), "design.levels")
for i, raw in enumerate(['"run.days=1"', '[1]', '["run.days=-1"]', '["nosuch.key=1"]',
                         '["run.days"]', '["grid.nx=nan"]', '["run.days=inf"]']):
    CASES[f"overrides{i}"] = one("study", "overrides", raw,
                                 "study.overrides" if i < 2 else None)
for i, (raw, names) in enumerate([('[]', 'study.metrics'), ('"n_tumor"', 'study.metrics'),
                                  ('[1]', 'study.metrics'), ('["nope"]', "'nope'"),
                                  ('["time_to_cells"]', "'time_to_cells'"),
                                  ('["n_tumor:5"]', "'n_tumor:5'"),
                                  ('["time_to_cells:abc"]', "'time_to_cells:abc'")]):
    CASES[f"metrics{i}"] = one("study", "metrics", raw, names)
for i, raw in enumerate(['5', '"no_such_module_xyz"', '"../evil"', '"os; rm -rf ~"', '"a..b"',
                         '".relative"', '"x-y"']):
    CASES[f"metrics_module{i}"] = one("study", "metrics_module", raw)
for i, raw in enumerate(['"sobl"', '5', '""', '["lhs"]']):
    CASES[f"method{i}"] = one("design", "method", raw)
CASES["unknown_study_key"] = one("study", "nmae", '"x"', "study.nmae")
CASES["unknown_design_key"] = one("design", "samples", "3", "design.samples")
CASES["unknown_section"] = (render({}) + "[desing]\nn = 3\n", "desing")
CASES["section_not_table"] = ("design = 5\n" + render({}).replace("[design]\n", "[other]\n"),
                              "design = 5")
for i, (raw, names) in enumerate([
        ("{ range = [2.0, 1.0] }", "range"), ("{ range = [1.0, 1.0] }", "range"),
        ("{ range = [nan, 30.0] }", "range"), ("{ range = [-inf, 30.0] }", "range"),
        ("{ range = [12.0, inf] }", "range"), ("{ range = [12.0] }", "range"),
        ("{ range = [12.0, 20.0, 30.0] }", "range"), ('{ range = "12-30" }', "range"),
        ("{ range = [true, 30.0] }", "range"), ('{ range = ["a", "b"] }', "range"),
        ("{ values = [] }", "values"), ("{ values = 5 }", "values"),
        ("{ values = [nan] }", "values"), ("{ values = [20.0, inf] }", "values"),
        ("{ values = [[20.0]] }", "values"), ("{ values = [{ a = 1 }] }", "values"),
        ("{ values = [1979-05-27] }", "values"),
        ("{ range = [12.0, 30.0], values = [20.0] }", "oxygen.vessel_mmHg"),
        ("{}", "oxygen.vessel_mmHg"), ("{ rang = [12.0, 30.0] }", "oxygen.vessel_mmHg"),
        ('"12-30"', "oxygen.vessel_mmHg"), ("{ range = [-5.0, 2.0] }", "oxygen.vessel_mmHg"),
        ("{ values = [20.0, -1.0, 30.0] }", "oxygen.vessel_mmHg = -1.0"),
        ("{ values = [20.0, true] }", "oxygen.vessel_mmHg"),
        ('{ values = [20.0, "high"] }', "oxygen.vessel_mmHg")]):
    CASES[f"parameter{i}"] = one("parameters", PARAM, raw, names)
for i, (key, raw) in enumerate([('"nosuch.key"', "{ range = [1.0, 2.0] }"),
                                ('"vessels.densty"', "{ range = [1.0, 2.0] }"),
                                ('"run"', "{ range = [1.0, 2.0] }"),
                                ('"grid.nx"', "{ range = [40.0, 60.0] }"),
                                ('"intracellular.network"', '{ values = ["default", "bogus"] }'),
                                ('"run.days=1"', "{ range = [1.0, 2.0] }"),
                                ('"run.days\\nx"', "{ range = [1.0, 2.0] }")]):
    CASES[f"config_key{i}"] = (render({("parameters", key): raw}),
                               key.strip('"').split("\\")[0].split("=")[0])
CASES["no_parameters"] = (render({("parameters", PARAM): None}), "parameters")
CASES["parameters_not_table"] = (render({}).replace(f"[parameters]\n{PARAM} = "
                                                    "{ range = [12.0, 38.0] }\n", "")
                                 .replace("[study]", "parameters = 3\n[study]"), "parameters")
for method in ("sobol", "morris"):
    CASES[f"{method}_values"] = (render({("design", "method"): f'"{method}"',
                                         ("parameters", PARAM): "{ values = [20.0, 30.0] }"}),
                                 "samples a continuous box")
for i, (key, raw) in enumerate([
        ("time", '"1 hour"'), ("time", '"01:00:00\\n#SBATCH --x"'), ("time", '"01:00:00; rm"'),
        ("time", "5"), ("time", '"1:00:00:00"'), ("memory", '"4 G"'), ("memory", '"4G\\n"'),
        ("memory", '"lots"'), ("memory", "4"), ("memory", '"-4G"'), ("memory", '"0G"'),
        ("partition", '"a b"'), ("partition", '"a;b"'), ("partition", '"$(id)"'),
        ("partition", "'a\"b'"), ("partition", '"a\\nb"'), ("partition", "5"),
        ("account", '"x y"'), ("account", '"`id`"'), ("max_parallel", "-1"),
        ("max_parallel", "1.5"), ("max_parallel", '"2"'), ("max_parallel", "true"),
        ("nodes", "2")]):
    CASES[f"slurm{i}"] = one("slurm", key, raw)
for i, (key, raw) in enumerate([
        ("kind", '"sge"'), ("kind", "5"), ("memory", '"4G"'), ("memory", '"4GB\\nx"'),
        ("walltime", '"2h"'), ("walltime", '"02:00:00 --x"'), ("jobs", "0"), ("cores", "-1"),
        ("processes", '"2"'), ("queue", '"a b"'), ("queue", '"$(id)"'), ("workers", "2")]):
    CASES[f"cluster{i}"] = one("cluster", key, raw)
TEXT = render({})
CASES["non_utf8_start"] = (b"\xff\xfe" + TEXT.encode(), "UTF-8")
CASES["non_utf8_latin1_name"] = (TEXT.replace('"fz"', '"caf\u00e9"').encode("latin-1"), "UTF-8")
for i, text in enumerate([TEXT.replace("[design]", "[design"), TEXT + "\n[study]\nseed = 1\n",
                          TEXT.replace('"fz"', '"fz'), TEXT.replace("seed = 3", "seed = "),
                          TEXT.replace("[study]\n", "[study]\nname = 'x'\n"), "= 5\n",
                          TEXT.replace("= [12.0, 38.0]", "= [12.0, 38.0")]):
    CASES[f"broken_toml{i}"] = (text, "not valid TOML")
CASES["empty_file"] = ("", "study.scenario")

EMIT_ONLY: dict[str, tuple[str, str]] = {
    f"sbatch_out{i}": one("study", "out", raw, "study.out")
    for i, raw in enumerate(['"out dir/{name}"', '"out%a/{name}"', '"out\'q/{name}"',
                             '"out$x/{name}"', '"out;x/{name}"'])}
"""Faults of the job script only: a folder that sweep and run-design may use but that cannot
be written unquoted into an #SBATCH line."""

COMMANDS = {"sweep": ["sweep", "{}", "--no-progress"], "emit": ["sweep", "{}", "--emit-slurm"],
            "run_design": ["run-design", "{}", "--index", "0"]}


def test_the_fuzz_counts():
    """The module docstring's count is the number of cases."""
    assert len(CASES) + len(EMIT_ONLY) == 186


def test_the_base_study_is_valid(tmp_path, monkeypatch):
    """Every case is the valid base study with one fault, so each refusal is for that fault."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fz.toml"
    path.write_text(TEXT)
    spec = load_study_spec(path)
    assert spec.out_dir == tmp_path / "out" / "fz" and spec.slurm["memory"] == "2G"
    assert main(["sweep", str(path), "--emit-slurm"]) == 0


def check_refused(tmp_path, capsys, monkeypatch, content, names, commands) -> None:
    """Each command of ``commands`` on the study file ``content``: refused as promised."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fz.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    for command in commands:
        capsys.readouterr()
        code = main([a.format(path) for a in COMMANDS[command]])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        assert err.startswith("abm: error: ") and err.count("error:") == 1, (command, err)
        assert names in err, (command, err)
        assert "Traceback" not in err
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == \
            [Path("fz.toml")], command


@pytest.mark.parametrize("case", CASES)
def test_a_bad_study_file_is_refused_naming_the_key(tmp_path, capsys, monkeypatch, case):
    check_refused(tmp_path, capsys, monkeypatch, *CASES[case], COMMANDS)


@pytest.mark.parametrize("case", EMIT_ONLY)
def test_a_folder_that_cannot_go_into_sbatch_is_refused(tmp_path, capsys, monkeypatch, case):
    check_refused(tmp_path, capsys, monkeypatch, *EMIT_ONLY[case], ["emit"])
