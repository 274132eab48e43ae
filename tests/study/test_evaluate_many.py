"""evaluate_many(): several configurations' seeds in shared stacks, equal to evaluate_folds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import KFold
from study_helpers import DictCache

from initstudy.exceptions import ConfigError
from initstudy.mlp import MLPClassifier, MLPRegressor
from initstudy.study import EvaluationResult
from initstudy.study import _evaluate_many as many
from initstudy.study._evaluate import evaluate_folds, prepare_folds
from initstudy.study._evaluate_many import evaluate_many


@pytest.fixture(scope="module")
def folds() -> list[Any]:
    X, y = load_iris(return_X_y=True)
    return prepare_folds(X, y, task="classification", validation=0.3, split_seed=0)


@pytest.fixture(scope="module")
def kfolds() -> list[Any]:
    X, y = load_iris(return_X_y=True)
    splitter = KFold(3, shuffle=True, random_state=0)
    return prepare_folds(X, y, task="classification", validation=splitter, split_seed=0)


def _mlp(**kwargs: Any) -> MLPClassifier:
    params = {"hidden_layer_sizes": (8,), "max_iter": 6, "batch_size": 32}
    return MLPClassifier(**{**params, **kwargs})


def _configurations() -> list[Any]:
    """Four of one stack shape (init, scale, bias, rate, alpha differ), one of another shape."""
    return [
        _mlp(init="he_normal", learning_rate_init=0.01),
        _mlp(init="lecun_normal", init_scale=2.0, alpha=0.01),
        _mlp(init="orthogonal", bias_init="ones", learning_rate_init=0.003),
        _mlp(hidden_layer_sizes=(5, 4), activation="tanh"),
        _mlp(init="glorot_uniform", init_scale=1e30),  # diverges
    ]


def _same(one: EvaluationResult, other: EvaluationResult) -> None:
    """Equal records (bitwise scores and curves; NaN equals NaN), but for timing and reuse."""

    def fields(result: EvaluationResult) -> list[tuple]:
        return [
            dataclasses.astuple(dataclasses.replace(r, fit_seconds=0.0, cached=False))
            for r in result.records
        ]

    np.testing.assert_equal(fields(one), fields(other))
    assert (one.seeds, one.penalty, one.aggregate) == (other.seeds, other.penalty, other.aggregate)
    np.testing.assert_array_equal(one.seed_scores(), other.seed_scores())
    assert one.value == other.value or (np.isnan(one.value) and np.isnan(other.value))


def _fit_stack_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the number of members of every fit_stack call of evaluate_many."""
    sizes: list[int] = []
    real = many.fit_stack

    def counting(estimators: Sequence[Any], *args: Any, **kwargs: Any) -> list[Any]:
        sizes.append(len(estimators))
        return real(estimators, *args, **kwargs)

    monkeypatch.setattr(many, "fit_stack", counting)
    return sizes


@pytest.mark.parametrize("fixture", ["folds", "kfolds"])
def test_equals_evaluate_folds_per_configuration(
    fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = request.getfixturevalue(fixture)
    sizes = _fit_stack_sizes(monkeypatch)
    estimators = _configurations()
    results = evaluate_many(estimators, prepared, seeds=[3, 1, 4], aggregate="median")
    assert sizes == [4 * 3, 3] * len(prepared)  # one stack per shape and fold
    for estimator, result in zip(estimators, results):
        _same(result, evaluate_folds(estimator, prepared, seeds=[3, 1, 4], aggregate="median"))
    assert results[-1].n_diverged == 3 and results[0].n_diverged == 0


def test_regressors_and_other_estimators(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(scale=0.1, size=80)
    prepared = prepare_folds(X, y, task="regression", validation=0.25)
    regs = [MLPRegressor((6,), max_iter=5, init=i) for i in ("he_uniform", "glorot_normal")]
    score = {"scoring": "neg_mean_squared_error", "penalty": -100.0}
    results = evaluate_many(regs, prepared, seeds=2, **score)
    for est, result in zip(regs, results):
        _same(result, evaluate_folds(est, prepared, seeds=2, **score))
    X, y = load_iris(return_X_y=True)
    prepared = prepare_folds(X, y, task="classification")
    mixed = [SGDClassifier(max_iter=20, tol=None), _mlp()]
    results = evaluate_many(mixed, prepared, seeds=2, penalty=-1.0)
    for est, result in zip(mixed, results):
        _same(result, evaluate_folds(est, prepared, seeds=2, penalty=-1.0))


def test_stored_members_are_reused_and_only_missing_ones_train(
    folds: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    estimators = _configurations()[:3]
    caches = [DictCache() for _ in estimators]
    evaluate_many(estimators[:1], folds, seeds=[0, 1, 2], caches=caches[:1])
    evaluate_many(estimators[1:2], folds, seeds=[1], caches=caches[1:2])
    sizes = _fit_stack_sizes(monkeypatch)
    results = evaluate_many(estimators, folds, seeds=[0, 1, 2], caches=caches)
    assert sizes == [0 + 2 + 3]  # configuration 0 complete, 1 has seed 1
    assert all(r.cached for r in results[0].records)
    assert [r.cached for r in results[1].records] == [False, True, False]
    assert [r.seed for r in caches[1].saved[-2]] == [1]  # reused rows are stored as its own
    for estimator, result in zip(estimators, results):
        _same(result, evaluate_folds(estimator, folds, seeds=[0, 1, 2]))
        again = evaluate_many([estimator], folds, seeds=[0, 1, 2])[0]
        np.testing.assert_array_equal(again.seed_scores(), result.seed_scores())
    sizes.clear()
    evaluate_many(estimators, folds, seeds=[0, 1, 2], caches=caches)
    assert sizes == []


def test_stacks_hold_at_most_the_group_limit(
    folds: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(many, "MAX_GROUP_SEEDS", 4)
    sizes = _fit_stack_sizes(monkeypatch)
    estimators = _configurations()[:3]
    caches = [DictCache() for _ in estimators]
    results = evaluate_many(estimators, folds, seeds=range(5), caches=caches)
    assert sizes == [4, 4, 4, 3]
    assert [len(c.saved) for c in caches] == [2, 2, 2]  # a save per stack it is in
    for estimator, result in zip(estimators, results):
        _same(result, evaluate_folds(estimator, folds, seeds=range(5)))
    sizes.clear()
    monkeypatch.setattr(many, "MAX_GROUP_SEEDS", 256)
    monkeypatch.setattr(many, "STACK_CACHE_BYTES", 1)  # large networks: one configuration each
    evaluate_many(estimators, folds, seeds=range(5))
    assert sizes == [5, 5, 5]


def test_errors_are_recorded_for_their_configuration(folds: list[Any]) -> None:
    """A value the estimator refuses, and a network too large for any memory."""
    estimators = [
        _mlp(),
        _mlp(learning_rate_init=-1.0),
        _mlp(hidden_layer_sizes=(300_000, 300_000)),
        _mlp(init="he_uniform"),
    ]
    results = evaluate_many(estimators, folds, seeds=2)
    for estimator, result in zip(estimators, results):
        _same(result, evaluate_folds(estimator, folds, seeds=2))
    assert [r.n_errors for r in results] == [0, 2, 2, 0]
    assert "needs about" in results[2].records[0].error


def test_an_interrupt_keeps_the_finished_stacks(
    folds: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(many, "MAX_GROUP_SEEDS", 3)
    real, calls = many.fit_stack, []

    def interrupted(*args: Any, **kwargs: Any) -> list[Any]:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(many, "fit_stack", interrupted)
    estimators = _configurations()[:2]
    caches = [DictCache(), DictCache()]
    with pytest.raises(KeyboardInterrupt):
        evaluate_many(estimators, folds, seeds=range(4), caches=caches)
    assert sorted(caches[0].rows) == [(0, 0), (1, 0), (2, 0)] and not caches[1].rows
    sizes = _fit_stack_sizes(monkeypatch)
    results = evaluate_many(estimators, folds, seeds=range(4), caches=caches)
    assert sizes == [3, 2]  # the 5 missing members
    for estimator, result in zip(estimators, results):
        _same(result, evaluate_folds(estimator, folds, seeds=range(4)))


def test_results_are_handed_over_in_order(folds: list[Any]) -> None:
    estimators = _configurations()
    caches: list[Any] = [None, None, None, DictCache(), None]
    evaluate_many(estimators[3:4], folds, seeds=2, caches=caches[3:4])  # complete first
    seen: list[int] = []
    results = evaluate_many(
        estimators, folds, seeds=2, caches=caches, on_result=lambda i, r: seen.append(i)
    )
    assert seen == [0, 1, 2, 3, 4] and len(results) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": []}, "'seeds'"),
        ({"seeds": 2, "aggregate": "max"}, "aggregate"),
        ({"seeds": 2, "caches": [None]}, "one cache .* per estimator \\(2\\)"),
    ],
)
def test_bad_arguments(folds: list[Any], kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        evaluate_many([_mlp(), _mlp()], folds, **kwargs)
