"""TOML files, writing and reading back, ``get_space`` and its errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from initstudy.exceptions import ConfigError
from initstudy.searchspaces import SearchSpace, available_spaces, dumps, from_dict, get_space, load

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPACE_TOML = """\
# a user's space
description = "mine"

[params]
init = ["he_normal", "variance_scaling"]
init_scale = { low = 0.5, high = 2.0, log = true }
hidden_layer_sizes = ["64,64", "128"]
max_iter = 20

[init_args.variance_scaling]
mode = ["fan_in", "fan_out"]
scale = { low = 1, high = 3 }
"""


def test_load_reads_a_toml_file_and_names_it_after_the_file(tmp_path):
    path = tmp_path / "my-space.toml"
    path.write_text(SPACE_TOML, encoding="utf-8")
    space = load(path)
    assert space.name == "my-space" and space.description == "mine"
    assert list(space.params) == ["init", "init_scale", "hidden_layer_sizes", "max_iter"]
    # a range of ints in init_args is an int range
    assert space.init_args["variance_scaling"]["scale"].to_raw(typed=True)["type"] == "int"
    assert load(str(path)) == space == get_space(path) == get_space(str(path))


def test_load_reads_the_space_table_of_a_study_file(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(
        '[study]\nn_trials = 3\n\n[space]\nname = "s"\n\n[space.params]\ninit = ["zeros", "ones"]\n'
    )
    space = load(path)
    assert space.name == "s" and list(space.params["init"].choices) == ["zeros", "ones"]


@pytest.mark.parametrize("name", available_spaces())
def test_toml_round_trip(tmp_path, name):
    space = get_space(name)
    path = tmp_path / "space.toml"
    path.write_text(dumps(space), encoding="utf-8")
    assert load(path) == space
    assert from_dict(space.to_dict()) == space
    assert tomllib.loads(dumps(space)) == space.to_dict()


def test_dumps_quotes_odd_strings_and_keys(tmp_path):
    space = SearchSpace(
        {"init": "zeros"}, name='quote " back \\ tab \t del \x7f ünï', description="line\nbreak"
    )
    path = tmp_path / "odd.toml"
    path.write_text(dumps(space), encoding="utf-8")
    assert load(path) == space


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[params\ninit = 1\n", ["Malformed TOML", "line 1"]),
        ("[params]\ninit = \n", ["Malformed TOML", "line 2"]),
        ("[params]\ninit = ['he_normal']\ninit = ['zeros']\n", ["Malformed TOML", "line 3"]),
        (
            "[params]\ninit = ['he_nrmal']\n",
            ["bad.toml", "'params.init[0]'", "Did you mean 'he_normal'"],
        ),
        ("[params]\nlr = 0.1\n", ["bad.toml", "'params.lr'"]),
        ("name = 'x'\n", ["bad.toml", "needs a [params] table"]),
        ("[params]\ninit = []\n", ["bad.toml", "must not be empty"]),
        (
            "[params]\nalpha = { low = 0.0, high = 1.0, log = true }\n",
            ["bad.toml", "log range needs low > 0"],
        ),
        (
            "[params]\ninit = 'zeros'\n[study]\nx = 1\n",
            ["bad.toml", "Unknown search space key 'study'"],
        ),
    ],
)
def test_bad_files_raise_config_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    for word in words:
        assert word in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="Cannot read search space file"):
        load(tmp_path)  # a folder
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(binary)
    if os.name == "posix" and os.geteuid() != 0:
        locked = tmp_path / "locked.toml"
        locked.write_text(SPACE_TOML)
        locked.chmod(0)
        with pytest.raises(ConfigError, match="Permission denied"):
            load(locked)


def test_loading_never_executes_the_file(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.toml"
    path.write_text(f"[params]\ninit = \"__import__('pathlib').Path('{marker}').touch()\"\n")
    with pytest.raises(ConfigError):
        load(path)
    assert not marker.exists()


def test_get_space_resolution(tmp_path, monkeypatch):
    keras = get_space("keras")
    assert get_space(keras) is keras
    assert get_space("KERAS") is keras  # presets are cached: one object
    assert get_space("variance_scaling") == get_space("variance-scaling")
    assert get_space(keras.to_dict()) == keras
    monkeypatch.chdir(tmp_path)
    Path("local.toml").write_text(SPACE_TOML)
    assert get_space("local.toml").name == "local"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (
            "kears",
            [
                "Unknown search space 'kears'",
                "Did you mean 'keras'",
                "all, classic, grid, keras, variance-scaling",
                ".toml",
            ],
        ),
        ("nowhere/space.toml", ["does not exist", "space.toml"]),
        ("missing.toml", ["does not exist"]),
        (3, ["must be a preset name", "int"]),
        (None, ["must be a preset name", "NoneType"]),
    ],
)
def test_get_space_errors(value, words):
    with pytest.raises(ConfigError) as info:
        get_space(value)
    for word in words:
        assert word in str(info.value)
