"""evaluate(): seeded repeated evaluation with our MLP and with any sklearn estimator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris, make_moons
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler
from study_helpers import DictCache

from initstudy.exceptions import ConfigError, DataError
from initstudy.mlp import MLPClassifier
from initstudy.study import EvaluationResult, SeedRecord, evaluate


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


def _mlp(**kwargs: Any) -> MLPClassifier:
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "batch_size": 32}
    return MLPClassifier(**{**params, **kwargs})


def test_our_mlp_records(iris: tuple[np.ndarray, np.ndarray]) -> None:
    result = evaluate(_mlp(), *iris, seeds=3)
    assert [r.seed for r in result.records] == [0, 1, 2]
    assert {r.fold for r in result.records} == {0}
    for r in result.records:
        assert 0.0 <= r.score <= 1.0
        assert r.n_iter == 5 and len(r.loss_curve) == 5 and len(r.eval_curve) == 5
        assert r.fit_seconds > 0 and not r.diverged and r.error is None and not r.cached
    assert result.value == pytest.approx(np.mean([r.score for r in result.records]))
    assert len({r.loss_curve for r in result.records}) == 3  # seeds differ


def test_same_seeds_same_scores_whatever_the_grouping(iris: tuple[np.ndarray, np.ndarray]) -> None:
    together = evaluate(_mlp(), *iris, seeds=[0, 1, 2, 3])
    again = evaluate(_mlp(), *iris, seeds=[0, 1, 2, 3])
    one_by_one = evaluate(_mlp(), *iris, seeds=[0, 1, 2, 3], seed_batch=1)
    np.testing.assert_array_equal(together.seed_scores(), again.seed_scores())
    np.testing.assert_allclose(together.seed_scores(), one_by_one.seed_scores(), atol=1e-12)


def test_sklearn_estimator_one_clone_per_seed(iris: tuple[np.ndarray, np.ndarray]) -> None:
    est = SkMLPClassifier(hidden_layer_sizes=(8,), max_iter=5)
    result = evaluate(est, *iris, seeds=[3, 7])
    assert [r.seed for r in result.records] == [3, 7]
    assert all(r.n_iter == 5 and len(r.loss_curve) == 5 for r in result.records)
    assert result.records[0].loss_curve != result.records[1].loss_curve
    assert all(r.eval_curve == () for r in result.records)
    assert est.random_state is None  # the given estimator is not modified


def test_pipeline_random_state_is_set() -> None:
    from sklearn.pipeline import make_pipeline

    X, y = make_moons(60, noise=0.2, random_state=0)
    pipe = make_pipeline(StandardScaler(), SGDClassifier(max_iter=20, tol=None))
    result = evaluate(pipe, X, y, seeds=2, preprocessing=None)
    assert result.n_errors == 0 and len(result.records) == 2


def test_kfold_gives_a_record_per_seed_and_fold(iris: tuple[np.ndarray, np.ndarray]) -> None:
    result = evaluate(_mlp(), *iris, seeds=2, validation=3)
    assert [(r.seed, r.fold) for r in result.records] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
    ]
    expected = [np.mean([r.score for r in result.records if r.seed == s]) for s in (0, 1)]
    np.testing.assert_allclose(result.seed_scores(), expected)


def test_splitter_object_is_used(iris: tuple[np.ndarray, np.ndarray]) -> None:
    result = evaluate(_mlp(), *iris, seeds=1, validation=KFold(2, shuffle=True, random_state=1))
    assert [r.fold for r in result.records] == [0, 1]


class _Recorder(StandardScaler):
    """A scaler remembering how many rows it was fitted on."""

    fitted_rows: list[int] = []

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> _Recorder:
        type(self).fitted_rows.append(len(X))
        return super().fit(X, y)


def test_preprocessing_fitted_on_training_part_once_per_split(
    iris: tuple[np.ndarray, np.ndarray],
) -> None:
    _Recorder.fitted_rows = []
    evaluate(_mlp(), *iris, seeds=3, validation=0.2, preprocessing=_Recorder())
    assert _Recorder.fitted_rows == [120]  # once for three seeds, training part only


class _Flaky(ClassifierMixin, BaseEstimator):
    """Diverges for seed 1, raises a data error for seed 2, or a bug for seed 3."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> _Flaky:
        if self.random_state == 2:
            raise ValueError("bad data for this seed")
        if self.random_state == 3:
            raise TypeError("a bug")
        self.classes_ = np.unique(y)
        self.loss_curve_ = [1.0, math.nan] if self.random_state == 1 else [1.0, 0.5]
        self.n_iter_ = 2
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


def test_diverged_and_failed_seeds_get_the_penalty(iris: tuple[np.ndarray, np.ndarray]) -> None:
    result = evaluate(_Flaky(), *iris, seeds=[0, 1, 2])
    ok, diverged, failed = result.records
    assert not ok.failed and diverged.diverged and math.isnan(diverged.score)
    assert failed.error == "ValueError: bad data for this seed"
    assert result.n_diverged == 1 and result.n_errors == 1
    np.testing.assert_allclose(result.seed_scores(), [ok.score, 0.0, 0.0])
    attrs = result.user_attrs()
    assert attrs["n_diverged"] == 1.0 and attrs["n_seeds"] == 3.0
    assert all(type(v) is float for k, v in attrs.items() if k != "aggregate")
    custom = evaluate(_Flaky(), *iris, seeds=[0, 1], penalty=-5.0, aggregate="median")
    assert custom.value == pytest.approx(np.median([ok.score, -5.0]))


def test_bugs_propagate(iris: tuple[np.ndarray, np.ndarray]) -> None:
    with pytest.raises(TypeError, match="a bug"):
        evaluate(_Flaky(), *iris, seeds=[0, 3])


def test_cache_reuses_and_trains_nothing(iris: tuple[np.ndarray, np.ndarray]) -> None:
    cache = DictCache()
    first = evaluate(_mlp(), *iris, seeds=4, seed_batch=2, cache=cache)
    assert first.n_trained == 4 and [len(g) for g in cache.saved] == [2, 2]
    second = evaluate(_mlp(), *iris, seeds=4, cache=cache)
    assert second.n_trained == 0 and all(r.cached for r in second.records)
    np.testing.assert_array_equal(first.seed_scores(), second.seed_scores())
    partial = evaluate(_mlp(), *iris, seeds=[2, 3, 9], cache=cache)
    assert partial.n_trained == 1


def test_on_records_sees_each_group_and_can_stop(iris: tuple[np.ndarray, np.ndarray]) -> None:
    groups: list[list[int]] = []

    def on_records(records: list[SeedRecord]) -> None:
        groups.append([r.seed for r in records])
        if len(groups) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate(_mlp(), *iris, seeds=5, seed_batch=2, on_records=on_records)
    assert groups == [[0, 1], [2, 3]]


def test_epoch_callback_stops_training(iris: tuple[np.ndarray, np.ndarray]) -> None:
    seen: list[int] = []

    def callback(epoch: int, scores: np.ndarray) -> bool:
        seen.append(epoch)
        assert scores.shape == (2,)
        return len(seen) >= 2

    result = evaluate(_mlp(max_iter=20), *iris, seeds=2, epoch_callback=callback)
    assert len(seen) == 2 and all(r.n_iter == 2 for r in result.records)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": 0}, "'seeds'"),
        ({"seeds": [1, 1]}, "'seeds'"),
        ({"seeds": 2, "validation": 1}, "folds must be >= 2"),
        ({"seeds": 2, "validation": 1.5}, r"fraction must be in \(0, 1\)"),
        ({"seeds": 2, "validation": "loo"}, "'validation' setting"),
        ({"seeds": 2, "scoring": "acuracy"}, "Did you mean 'accuracy'"),
        ({"seeds": 2, "aggregate": "max"}, "Unknown aggregate"),
        ({"seeds": 2, "preprocessing": "minmax"}, "'preprocessing'"),
        ({"seeds": 2, "seed_batch": 0}, "'seed_batch'"),
    ],
)
def test_bad_arguments(iris: tuple[np.ndarray, np.ndarray], kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        evaluate(_mlp(), *iris, **kwargs)


def test_estimator_without_random_state(iris: tuple[np.ndarray, np.ndarray]) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(ConfigError, match="no 'random_state' parameter"):
        evaluate(KNeighborsClassifier(), *iris, seeds=2)


def _with_nan(X: np.ndarray) -> np.ndarray:
    out = X.copy()
    out[0, 0] = np.nan
    return out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda X, y: (_with_nan(X), y), "X contains 1 NaN or infinite values"),
        (lambda X, y: (np.empty((0, 4)), []), "X needs at least 2 samples"),
        (lambda X, y: (X, y[:-1]), "X and y must have the same length"),
        (lambda X, y: (X.reshape(150, 2, 2), y), "X must be 2-D"),
        (lambda X, y: (X[:, 0], y), "X must be 2-D"),
        (lambda X, y: (X, np.c_[y, y]), "y must be 1-D"),
    ],
)
def test_bad_data_is_a_data_error_before_training(
    iris: tuple[np.ndarray, np.ndarray], make: Any, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        evaluate(_mlp(), *make(*iris), seeds=2)


def test_sparse_X_is_a_data_error(iris: tuple[np.ndarray, np.ndarray]) -> None:
    from scipy import sparse

    with pytest.raises(DataError, match="Sparse matrices are not supported"):
        evaluate(_mlp(), sparse.csr_matrix(iris[0]), iris[1], seeds=2)


def test_a_dataframe_is_accepted(iris: tuple[np.ndarray, np.ndarray]) -> None:
    import pandas as pd

    frame = pd.DataFrame(iris[0], columns=["a", "b", "c", "d"])
    from_frame = evaluate(_mlp(), frame, pd.Series(iris[1]), seeds=2)
    from_arrays = evaluate(_mlp(), *iris, seeds=2)
    assert list(from_frame.seed_scores()) == list(from_arrays.seed_scores())


def test_prepared_folds_give_what_evaluate_gives_every_time(
    iris: tuple[np.ndarray, np.ndarray],
) -> None:
    from initstudy.study._evaluate import evaluate_folds, prepare_folds

    folds = prepare_folds(*iris, task="classification", validation=3, split_seed=1)
    before = [f.X_train.copy() for f in folds]
    fresh = evaluate(_mlp(), *iris, seeds=3, validation=3, split_seed=1)
    for _ in range(2):  # folds reused, as by a study's trials
        again = evaluate_folds(_mlp(), folds, seeds=3)
        assert [r.score for r in again.records] == [r.score for r in fresh.records]
        assert [r.loss_curve for r in again.records] == [r.loss_curve for r in fresh.records]
    assert all(np.array_equal(b, f.X_train) for b, f in zip(before, folds))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_default_score_is_each_seeds_own_score(iris: tuple[np.ndarray, np.ndarray]) -> None:
    """Stacked seeds are scored in one call; the scores equal clone-per-seed ``score()``."""
    X, y = iris
    folds = KFold(3, shuffle=True, random_state=0)
    ours = evaluate(_mlp(), X, y, seeds=3, validation=folds)
    for record in ours.records:
        train, val = list(folds.split(X, y))[record.fold]
        scaler = StandardScaler().fit(X[train])
        single = _mlp(random_state=record.seed).fit(scaler.transform(X[train]), y[train])
        assert record.score == single.score(scaler.transform(X[val]), y[val])


@pytest.mark.parametrize("bad", [{"diverged": True}, {"error": "ValueError: boom"}])
def test_a_seed_that_fails_on_one_fold_only_gets_the_penalty(bad: dict[str, Any]) -> None:
    """One failed fold of five is enough: the seed scores the penalty, not its other folds."""
    records = [SeedRecord(seed=0, fold=f, score=0.9) for f in range(4)]
    records.append(SeedRecord(seed=0, fold=4, score=math.nan, **bad))
    records += [SeedRecord(seed=1, fold=f, score=0.8) for f in range(5)]
    result = EvaluationResult(tuple(records), (0, 1), penalty=-1.0)
    np.testing.assert_array_equal(result.seed_scores(), [-1.0, 0.8])
    assert result.value == pytest.approx(-0.1)
    assert (result.n_diverged, result.n_errors) == ((1, 0) if "diverged" in bad else (0, 1))
