"""StudyConfig: validation, TOML loading with suggestions, and the stored dict form."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from initstudy.exceptions import ConfigError
from initstudy.study import StudyConfig

TOML = """
[study]
name = "iris-study"
storage = "results.db"
n_trials = 4
sampler = "random"
pruner = "wilcoxon"

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [8]
max_iter = 5

[seeds]
n = 3
batch = 1

[evaluation]
validation = 3
aggregate = "iqm"

[space]
preset = "classic"
"""


def test_defaults_are_the_default_study() -> None:
    config = StudyConfig()
    assert (config.dataset, config.space, config.n_seeds, config.n_trials) == (
        "digits",
        "keras",
        5,
        30,
    )
    assert config.storage == "sqlite:///initstudy.db" and config.study_name == "default"
    assert config.seed_list == [0, 1, 2, 3, 4]


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(TOML)
    config = StudyConfig.from_toml(path)
    assert config.study_name == "iris-study" and config.n_trials == 4
    assert config.sampler == "random" and config.pruner == "wilcoxon"
    assert config.dataset == "iris" and config.seeds == 3 and config.seed_batch == 1
    assert config.validation == 3 and config.aggregate == "iqm"
    assert config.estimator == {"hidden_layer_sizes": [8], "max_iter": 5}
    assert config.space == "classic"


def test_space_inline_and_relative_files(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,target\n1,0\n2,1\n")
    (tmp_path / "space.toml").write_text('[params]\ninit = ["he_normal"]\n')
    path = tmp_path / "study.toml"
    path.write_text('[dataset]\nname = "data.csv"\n[space]\nfile = "space.toml"\n')
    config = StudyConfig.from_toml(path)
    assert config.dataset == str(tmp_path / "data.csv")
    assert config.space == str(tmp_path / "space.toml")
    inline = StudyConfig.from_dict({"space": {"params": {"init": ["he_normal", "zeros"]}}})
    assert inline.space == {"params": {"init": ["he_normal", "zeros"]}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"studdy": {}}, "Unknown config section 'studdy'. Did you mean 'study'"),
        ({"study": {"n_trial": 3}}, r"Unknown key in \[study\] 'n_trial'. Did you mean 'n_trials'"),
        ({"seeds": {"count": 3}}, r"Unknown key in \[seeds\]"),
        ({"study": {"sampler": "tpee"}}, "Did you mean 'tpe'"),
        ({"study": {"pruner": "hyperband"}}, "Unknown pruner"),
        ({"study": {"n_trials": 0}}, "'n_trials' must be an integer >= 1"),
        ({"study": {"jobs": "4"}}, "'jobs' must be an integer"),
        ({"study": {"timeout": -1}}, "'timeout' must be a positive"),
        ({"study": {"objectives": ["fit_seconds"]}}, "must start with 'score'"),
        (
            {"study": {"objectives": ["score", "fit_seconds"], "pruner": "median"}},
            "multi-objective",
        ),
        ({"evaluation": {"aggregate": "meen"}}, "Did you mean 'mean'"),
        ({"evaluation": {"validation": 0}}, "folds must be >= 2"),
        ({"estimator": {"hiden_layer_sizes": [3]}}, "Did you mean 'hidden_layer_sizes'"),
        ({"estimator": {"random_state": 3}}, "seeds set it"),
        ({"estimator": {"kind": "torch"}}, "Unknown estimator kind"),
        ({"estimator": {"init_scale": -1.0}}, "'init_scale' parameter of MLPClassifier"),
        ({"estimator": {"init_scale": float("nan")}}, "'init_scale' parameter"),
        ({"estimator": {"hidden_layer_sizes": [8, 0]}}, "'hidden_layer_sizes' parameter"),
        ({"estimator": {"kind": "sklearn_mlp", "alpha": -1.0}}, "'alpha' parameter"),
        ({"seeds": {"n": 0}}, "'seeds'"),
        ({"space": {"preset": "keras", "file": "x.toml"}}, "either only 'preset'"),
        ({"study": 3}, r"\[study\] must be a table"),
    ],
)
def test_bad_configs(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StudyConfig.from_dict(data)


def test_bad_toml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the config file"):
        StudyConfig.from_toml(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[study\nn_trials = 3")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        StudyConfig.from_toml(broken)


def test_python_objects_are_accepted_but_not_portable() -> None:
    config = StudyConfig(
        sampler=optuna.samplers.RandomSampler(seed=1), pruner=optuna.pruners.NopPruner()
    )
    assert not config.portable
    assert "RandomSampler" in config.to_dict()["study"]["sampler"]
    assert StudyConfig().portable


def test_to_dict_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(TOML)
    config = StudyConfig.from_toml(path)
    again = StudyConfig.from_dict(config.to_dict())
    assert again.to_dict() == config.to_dict()
    assert again.replace(space=config.space) == config.replace(storage=again.storage)


def test_unknown_space_preset_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'keras'"):
        StudyConfig(space="kears")
