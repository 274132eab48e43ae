"""SearchSpace: drawing from a real Optuna trial, conditional arguments, replay, grids."""

from __future__ import annotations

import copy
import itertools
import pickle

import optuna
import pytest

from initstudy.exceptions import ConfigError
from initstudy.searchspaces import (
    Categorical,
    Fixed,
    FloatRange,
    IntRange,
    SearchSpace,
    get_space,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)

CONDITIONAL = {
    "params": {
        "init": ["he_normal", "variance_scaling", "sparse", "random_uniform"],
        "init_scale": {"low": 0.1, "high": 10.0, "log": True},
        "hidden_layer_sizes": ["64,64", "128"],
        "batch_size": {"low": 16, "high": 128, "step": 16},
        "learning_rate_init": 0.001,
    },
    "init_args": {
        "variance_scaling": {
            "mode": ["fan_in", "fan_avg"],
            "scale": {"low": 0.5, "high": 2.0, "type": "float"},
        },
        "sparse": {"nonzero": {"low": 2, "high": 8}},
        "random_uniform": {
            "minval": -1.0,
            "maxval": 1.0,
            "init_scale": {"low": 0.01, "high": 1.0, "log": True},
        },
    },
}


def _study(seed: int = 0, sampler: optuna.samplers.BaseSampler | None = None) -> optuna.Study:
    return optuna.create_study(sampler=sampler or optuna.samplers.RandomSampler(seed=seed))


def _draw(space: SearchSpace, n: int, seed: int = 0) -> list[tuple[dict, dict]]:
    study = _study(seed)
    draws = []
    for _ in range(n):
        trial = study.ask()
        params = space.suggest(trial)
        study.tell(trial, 0.0)
        draws.append((params, dict(trial.params)))
    return draws


def test_parsed_dimensions():
    space = SearchSpace.from_dict(CONDITIONAL)
    assert space.params["init"] == Categorical(
        ("he_normal", "variance_scaling", "sparse", "random_uniform")
    )
    assert space.params["init_scale"] == FloatRange(0.1, 10.0, log=True)
    assert space.params["batch_size"] == IntRange(16, 128, step=16)
    assert space.params["learning_rate_init"] == Fixed(0.001)
    assert space.init_args["sparse"]["nonzero"] == IntRange(2, 8)
    assert space.init_args["variance_scaling"]["scale"] == FloatRange(0.5, 2.0)


def test_suggest_types_and_fixed_values():
    space = SearchSpace.from_dict(CONDITIONAL)
    for params, trial_params in _draw(space, 30):
        assert params["learning_rate_init"] == 0.001
        assert "learning_rate_init" not in trial_params  # fixed: not an Optuna parameter
        assert params["hidden_layer_sizes"] in {(64, 64), (128,)}
        assert trial_params["hidden_layer_sizes"] in {"64,64", "128"}
        assert params["batch_size"] in range(16, 129, 16)


def test_conditional_arguments_only_for_their_scheme():
    space = SearchSpace.from_dict(CONDITIONAL)
    seen = set()
    for params, trial_params in _draw(space, 60):
        init = params["init"]
        scheme = init if isinstance(init, str) else init["class_name"]
        seen.add(scheme)
        conditional = {k for k in trial_params if k.startswith("init.")}
        expected = {
            f"init.{scheme}.{a}"
            for a, d in space.init_args.get(scheme, {}).items()
            if not isinstance(d, Fixed)
        }
        assert conditional == expected
        if scheme == "he_normal":
            assert init == "he_normal"
            assert params["init_scale"] == trial_params["init_scale"]
        elif scheme == "variance_scaling":
            assert set(init["config"]) == {"mode", "scale"}
            assert init["config"]["mode"] in {"fan_in", "fan_avg"}
            assert 0.5 <= init["config"]["scale"] <= 2.0
        elif scheme == "sparse":
            assert init == {
                "class_name": "sparse",
                "config": {"nonzero": trial_params["init.sparse.nonzero"]},
            }
        else:  # random_uniform: its own init_scale replaces the top-level one
            assert init == {
                "class_name": "random_uniform",
                "config": {"minval": -1.0, "maxval": 1.0},
            }
            assert "init_scale" not in trial_params
            assert params["init_scale"] == trial_params["init.random_uniform.init_scale"]
            assert 0.01 <= params["init_scale"] <= 1.0
    assert seen == {"he_normal", "variance_scaling", "sparse", "random_uniform"}


def test_init_configs_resolve_in_the_registry():
    from initstudy import initializers

    space = SearchSpace.from_dict(CONDITIONAL)
    for params, _ in _draw(space, 20):
        initializer = initializers.get(params["init"])
        assert isinstance(initializer, initializers.Initializer)
        if isinstance(params["init"], dict):
            config = initializer.get_config()
            assert {k: config[k] for k in params["init"]["config"]} == params["init"]["config"]


def test_estimator_params_rebuilds_suggest_output_from_best_params():
    space = SearchSpace.from_dict(CONDITIONAL)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1, n_startup_trials=5))
    suggested = {}

    def objective(trial: optuna.Trial) -> float:
        params = space.suggest(trial)
        suggested[trial.number] = params
        return params["init_scale"] + (params["batch_size"] / 100)

    study.optimize(objective, n_trials=15)
    assert space.estimator_params(study.best_params) == suggested[study.best_trial.number]
    for frozen in study.trials:
        assert space.estimator_params(frozen.params) == suggested[frozen.number]


def test_estimator_params_round_trips_through_sqlite(tmp_path):
    space = get_space("all")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(
        storage=storage, study_name="s", sampler=optuna.samplers.RandomSampler(seed=3)
    )
    suggested = {}
    for _ in range(12):
        trial = study.ask()
        suggested[trial.number] = space.suggest(trial)
        study.tell(trial, float(trial.number))
    loaded = optuna.load_study(study_name="s", storage=storage)
    for frozen in loaded.trials:
        assert space.estimator_params(frozen.params) == suggested[frozen.number]


@pytest.mark.parametrize(
    ("trial_params", "words"),
    [
        ({"init": "he_normal"}, ["lack", "init_scale"]),
        ({"init": "he_nrmal", "init_scale": 1.0}, ["outside", "init", "he_nrmal"]),
        ({"init": "he_normal", "init_scale": 50.0}, ["outside", "init_scale", "[0.1, 10.0]"]),
        ({"init": "he_normal", "init_scale": 1.0, "alpha": 0.1}, ["alpha", "not part"]),
        ({"init": "sparse", "init_scale": 1.0, "init.sparse.nonzero": 2.5}, ["integer", "nonzero"]),
        ("he_normal", ["mapping"]),
    ],
)
def test_estimator_params_errors(trial_params, words):
    space = SearchSpace.from_dict(
        {
            "params": {"init": ["he_normal", "sparse"], "init_scale": {"low": 0.1, "high": 10.0}},
            "init_args": {"sparse": {"nonzero": {"low": 1, "high": 5}}},
        }
    )
    with pytest.raises(ConfigError) as info:
        space.estimator_params(trial_params)
    for word in words:
        assert word in str(info.value)


def test_estimator_params_accepts_layer_tuples_and_int_floats():
    space = SearchSpace({"hidden_layer_sizes": ["64,64", "32"], "init_scale": [1, 2.0]})
    assert space.estimator_params({"hidden_layer_sizes": [64, 64], "init_scale": 2}) == {
        "hidden_layer_sizes": (64, 64),
        "init_scale": 2.0,
    }


def test_grid_sampler_enumerates_exactly_the_product():
    space = SearchSpace(
        {
            "init": ["he_normal", "orthogonal", "variance_scaling"],
            "init_scale": [0.5, 1.0],
            "hidden_layer_sizes": "32",
            "activation": ["relu", "tanh"],
        },
        init_args={"variance_scaling": {"mode": "fan_avg"}},
        grid=True,
    )
    assert space.is_grid and space.grid_size == 12
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(space.grid(), seed=0))
    seen = []
    study.optimize(lambda t: seen.append(space.suggest(t)) or 0.0, n_trials=12)
    keys = {(str(p["init"]), p["init_scale"], p["activation"]) for p in seen}
    vs = str({"class_name": "variance_scaling", "config": {"mode": "fan_avg"}})
    assert keys == set(
        itertools.product(["he_normal", "orthogonal", vs], [0.5, 1.0], ["relu", "tanh"])
    )
    assert all(p["hidden_layer_sizes"] == (32,) for p in seen)


def test_grid_of_a_non_grid_space_raises():
    with pytest.raises(ConfigError, match="not a grid"):
        get_space("keras").grid()
    assert get_space("keras").grid_size == 0


def test_frozen_equal_hashable_and_picklable():
    space = SearchSpace.from_dict(CONDITIONAL)
    with pytest.raises(AttributeError, match="immutable"):
        space.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        space.params["alpha"] = Fixed(0.1)  # type: ignore[index]
    with pytest.raises(TypeError):
        space.init_args["sparse"]["nonzero"] = Fixed(3)  # type: ignore[index]
    clone = pickle.loads(pickle.dumps(space))
    assert clone == space and hash(clone) == hash(space)
    assert copy.deepcopy(space) == space
    assert space != SearchSpace.from_dict({**CONDITIONAL, "name": "other"})
    assert "SearchSpace(name='custom'" in repr(space)


def test_distributions_name_every_optuna_parameter():
    space = SearchSpace.from_dict(CONDITIONAL)
    names = set(space.distributions())
    assert names == {
        "init",
        "init_scale",
        "hidden_layer_sizes",
        "batch_size",
        "init.variance_scaling.mode",
        "init.variance_scaling.scale",
        "init.sparse.nonzero",
        "init.random_uniform.init_scale",
    }
    seen = set()
    for _, trial_params in _draw(space, 40):
        seen |= set(trial_params)
    assert seen == names


def test_equality_is_by_canonical_form():
    ints = SearchSpace({"init": "sparse"}, init_args={"sparse": {"stddev": 2}})
    floats = SearchSpace({"init": "sparse"}, init_args={"sparse": {"stddev": 2.0}})
    assert ints != floats
    assert SearchSpace({"init_scale": [1, 2]}) == SearchSpace(
        {"init_scale": [1.0, 2.0]}
    )  # a float parameter
    assert (
        len({ints, floats, SearchSpace({"init": "sparse"}, init_args={"sparse": {"stddev": 2}})})
        == 2
    )


def test_layer_sizes_are_normalized():
    space = SearchSpace({"hidden_layer_sizes": ["64, 64", 32, [16, 8]]})
    assert space.params["hidden_layer_sizes"] == Categorical(("64,64", "32", "16,8"))
    assert space.to_dict()["params"]["hidden_layer_sizes"] == ["64,64", "32", "16,8"]


def test_space_without_init_and_only_training_parameters():
    space = SearchSpace(
        {
            "learning_rate_init": {"low": 1e-4, "high": 1e-1, "log": True},
            "solver": ["adam", "sgd"],
            "alpha": {"low": 0.0, "high": 0.01, "step": 0.001},
            "early_stopping": [True, False],
        }
    )
    for params, _ in _draw(space, 10):
        assert set(params) == {"learning_rate_init", "solver", "alpha", "early_stopping"}
        assert 1e-4 <= params["learning_rate_init"] <= 1e-1
        assert isinstance(params["early_stopping"], bool)
