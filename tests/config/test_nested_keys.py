"""Entries of table-valued keys (network parameters, immune kinds, blood parameters) are
addressable by dotted keys wherever a key is set: ``--set``, study parameters, designs."""
from __future__ import annotations

import pytest

from abm.errors import ConfigError
from abm.schema import config_from_toml, load_config


@pytest.mark.parametrize("override, section, field, expected", [
    ("intracellular.params.kMH=4.2", "intracellular", "params", {"kMH": 4.2}),
    ("immune.cd8.capacity_mean=3.0", "immune", "cd8", {"capacity_mean": 3.0}),
    ("blood.params.nk_kill_per_min=0.01", "blood", "params", {"nk_kill_per_min": 0.01}),
])
def test_a_dotted_entry_sets_one_value_of_a_table(override, section, field, expected):
    config = load_config(None, overrides=[override])
    assert getattr(getattr(config, section), field) == expected


def test_a_dotted_entry_merges_with_the_file_table_and_wins():
    """The file's other entries stay; the override replaces only its own."""
    text = "[intracellular]\nparams = { Smax = 5.0, kMH = 1.0 }\n"
    config = config_from_toml(text, overrides=["intracellular.params.kMH=4.2"])
    assert config.intracellular.params == {"Smax": 5.0, "kMH": 4.2}


def test_an_entry_goes_into_the_network_parameters():
    """The overridden network parameter reaches the vector the cells integrate with."""
    import intracellular

    from abm.tumor.sections import network_parameters

    net = intracellular.get_network("dormancy")
    p = network_parameters(load_config(None, overrides=["intracellular.params.kMH=4.2"])
                           .intracellular)
    assert p[net.parameter_names.index("kMH")] == 4.2


@pytest.mark.parametrize("override, message", [
    ("intracellular.params.kMHH=4.2", "did you mean 'kMH'"),
    ("intracellular.paramz.kMH=1", "did you mean 'intracellular.params'"),
    ("immune.cd8.capacity_men=3", "did you mean 'immune.cd8.capacity_mean'"),
    ("blood.params.nk_kill_per_mn=1", "did you mean 'blood.params.nk_kill_per_min'"),
    ("run.days.x=1", "run.days is not a table"),
])
def test_a_bad_dotted_entry_is_one_message_naming_it(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides=[override])
    assert message in str(info.value)
    assert len(info.value.problems) == 1
