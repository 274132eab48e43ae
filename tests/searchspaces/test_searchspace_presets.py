"""The shipped presets: contents, drawing from a real Optuna study, use by the estimators."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pytest

from initstudy import initializers
from initstudy.searchspaces import ACTIVATIONS, PARAMETERS, Categorical, FloatRange, get_space

optuna.logging.set_verbosity(optuna.logging.WARNING)

PRESETS = ["all", "classic", "grid", "keras", "variance-scaling"]
KERAS_15 = {
    "constant",
    "identity",
    "ones",
    "zeros",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
}


def _suggestions(name: str, n: int) -> list[tuple[dict, dict]]:
    space = get_space(name)
    sampler = (
        optuna.samplers.GridSampler(space.grid(), seed=0)
        if space.is_grid
        else optuna.samplers.TPESampler(seed=0)
    )
    study = optuna.create_study(sampler=sampler)
    out = []

    def objective(trial: optuna.Trial) -> float:
        out.append((space.suggest(trial), trial.params))
        return float(np.random.default_rng(trial.number).random())

    # optimize, not ask/tell: GridSampler stops the study after its last point
    study.optimize(objective, n_trials=n)
    return [(params, dict(trial_params)) for params, trial_params in out]


def test_available_spaces():
    from initstudy.searchspaces import available_spaces

    assert available_spaces() == PRESETS


def test_keras_preset():
    space = get_space("keras")
    assert set(space.params["init"].choices) == KERAS_15
    assert space.params["init_scale"] == FloatRange(0.1, 10.0, log=True)
    assert not space.init_args and not space.is_grid


def test_all_preset_covers_every_registered_scheme():
    space = get_space("all")
    assert sorted(space.params["init"].choices) == initializers.available()
    assert space.params["init_scale"] == FloatRange(0.1, 10.0, log=True)
    assert isinstance(space.params["bias_init"], Categorical)


def test_variance_scaling_preset_draws_scale_mode_distribution():
    seen = set()
    for params, trial_params in _suggestions("variance-scaling", 40):
        init = params["init"]
        assert init["class_name"] == "variance_scaling"
        assert set(init["config"]) == {"scale", "mode", "distribution"}
        assert 0.1 <= init["config"]["scale"] <= 10.0
        seen.add((init["config"]["mode"], init["config"]["distribution"]))
        assert "init" not in trial_params  # fixed, so not an Optuna parameter
    assert len(seen) >= 6


def test_classic_preset_is_uniform_eps_or_normal_001():
    shape = (200, 100)
    for params, _ in _suggestions("classic", 20):
        kernel = (
            initializers.get(params["init"])(shape, rng=np.random.default_rng(0))
            * params["init_scale"]
        )
        if params["init"]["class_name"] == "random_uniform":
            eps = params["init_scale"]
            assert 0.01 <= eps <= 1.0
            assert np.abs(kernel).max() <= eps and np.abs(kernel).max() > 0.95 * eps
        else:
            assert params["init_scale"] == 1.0
            assert abs(kernel.std() - 0.01) < 0.001


def test_grid_preset_enumerates_the_product_with_grid_sampler():
    space = get_space("grid")
    assert space.is_grid and space.grid_size == 30
    draws = _suggestions("grid", 30)
    got = sorted((p["init"], p["init_scale"]) for p, _ in draws)
    grid = space.grid()
    assert got == sorted(itertools.product(grid["init"], grid["init_scale"]))


@pytest.mark.parametrize("name", PRESETS)
def test_preset_suggestions_build_initializers(name):
    for params, trial_params in _suggestions(name, 12):
        assert set(params) <= set(PARAMETERS)
        initializer = initializers.get(params["init"])
        kernel = initializer((6, 4), rng=np.random.default_rng(0))
        assert kernel.shape == (6, 4) and np.all(np.isfinite(kernel))
        assert get_space(name).estimator_params(trial_params) == params


def test_parameter_table_matches_the_estimators():
    mlp = pytest.importorskip("initstudy.mlp")
    if not hasattr(mlp, "MLPClassifier"):
        pytest.skip("initstudy.mlp.MLPClassifier is not written yet")
    for estimator in (mlp.MLPClassifier(), mlp.MLPRegressor()):
        assert set(PARAMETERS) <= set(estimator.get_params())
    from initstudy.mlp._activations import ACTIVATIONS as MLP_ACTIVATIONS

    assert set(ACTIVATIONS) == set(MLP_ACTIVATIONS)


@pytest.mark.filterwarnings("ignore::initstudy.exceptions.DivergenceWarning")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", PRESETS)
def test_preset_suggestions_fit_an_mlp(name):
    mlp = pytest.importorskip("initstudy.mlp")
    if not hasattr(mlp, "MLPClassifier"):
        pytest.skip("initstudy.mlp.MLPClassifier is not written yet")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = (X[:, 0] > 0).astype(int)
    for params, _ in _suggestions(name, 6):
        model = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
        model.set_params(**params).fit(X, y)
        assert len(model.coefs_) == 2
