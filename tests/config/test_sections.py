"""Sections declared beside their code: the config package imports no domain module, the
section modules are light, and parameter tables and kernel vectors are declared and checked
once, with named indices."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import abm.schema

from abm.circulation.sections import BLOOD_PARAMS
from abm.config.registry import section
from abm.errors import ConfigError
from abm.immune.sections import IMMUNE_TABLES
from abm.schema import ORDER, SCHEMA, SECTIONS, load_config, to_toml

_CONFIG_MODULES = ("abm.config", "abm.config.bounds", "abm.config.loader", "abm.config.masks",
                   "abm.config.migrate", "abm.config.names", "abm.config.params",
                   "abm.config.registry", "abm.config.schema", "abm.config.tables")


def _imported_after(statement: str) -> list[str]:
    """The modules of ``abm``, ``intracellular`` and ``numba`` that a fresh interpreter has
    loaded after running ``statement``."""
    code = (f"import sys\n{statement}\nimport json\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('abm', 'intracellular', 'numba'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_config_package_imports_no_domain_module():
    loaded = _imported_after("\n".join(f"import {m}" for m in _CONFIG_MODULES))
    assert [m for m in loaded if m not in ("abm", "abm.errors", *_CONFIG_MODULES)] == []


def _section_modules() -> list[str]:
    modules = {cls.__module__ for cls in SECTIONS.values()}
    modules |= {spec.cls.__module__ for spec in SCHEMA.arrays.values()}
    return sorted(modules)


@pytest.mark.parametrize("module", _section_modules())
def test_a_section_module_imports_no_kernel(module):
    """Only the config mechanism (and its package): no numba kernel, no other domain module."""
    package = module.rsplit(".", 1)[0]
    loaded = _imported_after(f"import {module}")
    assert [m for m in loaded if m not in ("abm", "abm.errors", package, module,
                                           *_CONFIG_MODULES)] == []


def test_the_schema_imports_no_kernel():
    loaded = _imported_after("import abm.schema")
    assert not [m for m in loaded if m.split(".")[0] in ("numba", "intracellular")]


def test_every_registered_section_is_in_the_schema_in_the_written_order():
    assert tuple(SECTIONS) + tuple(SCHEMA.arrays) == ORDER
    text = to_toml(load_config(None))
    headers = [line.strip("[]") for line in text.splitlines() if line.startswith("[")]
    assert headers == [n for n in ORDER if n in SECTIONS]


def test_a_section_name_cannot_be_declared_twice():
    with pytest.raises(ValueError, match="declared twice"):
        @section("oxygen")
        class Oxygen2:  # a module other than abm.fields.sections
            pass


def test_config_pickles_by_reference():
    """By reference to ``abm.schema.Config``, the class of the current schema (rebuilt when a
    plugin registers or unregisters a section)."""
    config = load_config(None, overrides=["immune.cd8={hit_per_min=0.1}"])
    again = pickle.loads(pickle.dumps(config))
    assert type(again) is type(config) is abm.schema.Config and again == config


@pytest.mark.parametrize("source", ["override", "file"])
def test_an_unknown_key_inside_immune_cd8_is_refused(tmp_path, source):
    if source == "override":
        args = {"overrides": ["immune.cd8={sped = 1.0}"]}
        path = None
    else:
        path = tmp_path / "s.toml"
        path.write_text("[immune]\ncd8 = { sped = 1.0, hit_per_min = 0.1 }\n")
        args = {}
    with pytest.raises(ConfigError) as info:
        load_config(path, **args)
    assert info.value.problems == ["unknown key 'immune.cd8.sped'; the entries of immune.cd8 "
                                   "are " + ", ".join(IMMUNE_TABLES["cd8"].names)]


def test_table_entries_are_checked_together_with_their_ranges():
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides=["immune.nk={pdl1_k = 0.0, recognition_dormant = 2.0}",
                                     "blood.params={max_escorts = 2.5, nonsense = 1}"])
    problems = info.value.problems
    assert problems == [
        "immune.nk.pdl1_k = 0.0: must be a finite value in (0, 1000], i.e. > 0 and ≤ 1000 "
        "(PD-L1 units (0–1))",
        "immune.nk.recognition_dormant = 2.0: must be a finite value in [0, 1], i.e. ≥ 0 and "
        "≤ 1 (-)",
        "blood.params.max_escorts = 2.5: must be a finite value in [0, 20], i.e. ≥ 0 and ≤ 20, "
        "a whole number (neutrophils)",
        "unknown key 'blood.params.nonsense'; the entries of blood.params are "
        + ", ".join(BLOOD_PARAMS.names)]
    with pytest.raises(ConfigError, match=r"did you mean 'immune\.cd8\.hit_per_min'\?"):
        load_config(None, overrides=["immune.cd8={hit_per_mni = 1.0}"])


def test_kernel_vectors_are_indexed_by_name():
    from abm.circulation.params import blood_params
    from abm.circulation.sections import BloodParam
    from abm.immune.params import params_from_mapping
    from abm.immune.sections import ImmuneParam
    from abm.tumor.cell_state import HIF_HALF, HIF_HALF_MMHG, cell_state_params
    from abm.tumor.cell_state_sections import CELL_STATE_PARAMS, CellStateParam
    from abm.tumor.sections import FATE_RULES, Rule

    config = load_config(None, overrides=["fate.sg2m_mean_h=11.5", "cells.energy_time_h=7.0",
                                          "cell_state.pdl1_half_life_h=5.0"])
    rules = FATE_RULES.values(config)
    assert rules[Rule.SG2M_MEAN_H] == 11.5 and rules[Rule.ENERGY_TIME_H] == 7.0
    assert len(rules) == len(Rule) == 20
    state = cell_state_params(config)
    assert state[CellStateParam.PDL1_TURNOVER_PER_H] == np.log(2.0) / 5.0
    assert len(state) == len(CELL_STATE_PARAMS.names) + 1  # then the HIF half-point
    assert state[HIF_HALF] == HIF_HALF_MMHG
    params, _ = params_from_mapping({"nk": {"hit_per_min": 0.5}})
    assert params[1, ImmuneParam.HIT_PER_MIN] == 0.5 and params.shape == (2, len(ImmuneParam))
    assert blood_params(outgrowth=0.5)[BloodParam.OUTGROWTH] == 0.5
