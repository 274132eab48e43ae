"""fit_seeds: every seed equals its own single fit; stopping and divergence are per seed."""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from initstudy.exceptions import ConfigError, DivergenceWarning
from initstudy.mlp import MLPClassifier, MLPRegressor, _seeds, fit_seeds, score_seeds

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def assert_same_fit(a: object, b: object, X: np.ndarray) -> None:
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ca, cb)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.n_iter_ == b.n_iter_ and a.loss_curve_ == b.loss_curve_ and a.diverged_ == b.diverged_


def single(estimator: object, seed: int, X: np.ndarray, y: np.ndarray) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return clone(estimator).set_params(random_state=seed).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 2, "tol": 0.05},
        {"early_stopping": True, "n_iter_no_change": 2, "learning_rate_init": 0.02},
        {"init": "lsuv", "dtype": "float64", "alpha": 0.01},
    ],
)
def test_each_seed_equals_its_single_fit(
    digits: tuple[np.ndarray, np.ndarray], params: dict[str, object]
) -> None:
    X, y = digits
    estimator = MLPClassifier((16, 8), max_iter=15, **params)
    fits = fit_seeds(estimator, X, y, seeds=[0, 1, 7])
    assert [f.random_state for f in fits] == [0, 1, 7]
    for seed, fitted in zip([0, 1, 7], fits):
        assert_same_fit(fitted, single(estimator, seed, X, y), X)
    assert estimator.get_params()["random_state"] is None and not hasattr(estimator, "coefs_")


def test_early_stopping_seeds_stop_at_different_epochs(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits
    estimator = MLPClassifier(
        (16,), max_iter=60, early_stopping=True, n_iter_no_change=2, learning_rate_init=0.05
    )
    fits = fit_seeds(estimator, X, y, seeds=range(5))
    assert len({f.n_iter_ for f in fits}) > 1


def test_a_diverging_seed_leaves_the_others_alone(
    regression: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = regression
    estimator = MLPRegressor(
        (16,), solver="sgd", learning_rate_init=0.05, init_scale=6.0, max_iter=10
    )
    seeds = list(range(8))
    with pytest.warns(DivergenceWarning, match=r"for random_state in \["):
        fits = fit_seeds(estimator, X, y, seeds=seeds)
    flags = [f.diverged_ for f in fits]
    assert any(flags) and not all(flags), flags
    for seed, fitted in zip(seeds, fits):
        alone = single(estimator, seed, X, y)
        assert fitted.diverged_ == alone.diverged_
        if not fitted.diverged_:
            assert_same_fit(fitted, alone, X)


def test_eval_set_and_callback(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    seen: list[tuple[int, np.ndarray]] = []

    def stop_after_three(epoch: int, scores: np.ndarray) -> bool:
        seen.append((epoch, scores.copy()))
        return epoch == 3

    fits = fit_seeds(
        MLPClassifier((16,), max_iter=20),
        X[:200],
        y[:200],
        seeds=[0, 1],
        eval_set=(X[200:], y[200:]),
        epoch_callback=stop_after_three,
    )
    assert [e for e, _ in seen] == [1, 2, 3] and seen[0][1].shape == (2,)
    for k, fitted in enumerate(fits):
        assert fitted.n_iter_ == 3 and len(fitted.eval_scores_) == 3
        assert fitted.eval_scores_[-1] == pytest.approx(fitted.score(X[200:], y[200:]), abs=1e-12)
        assert seen[-1][1][k] == fitted.eval_scores_[-1]


def test_chunks_give_the_same_result(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = digits
    estimator = MLPClassifier((8,), max_iter=3, random_state=0)
    whole = fit_seeds(estimator, X, y, seeds=range(3))
    monkeypatch.setattr(_seeds, "STACK_BYTES", 1)
    chunked = fit_seeds(estimator, X, y, seeds=range(3))
    for a, b in zip(whole, chunked):
        assert_same_fit(a, b, X)


@pytest.mark.parametrize(
    ("idle", "cap", "limit", "expected"),
    [(True, None, 4, 2), (False, None, 4, 1), (True, 1, 4, 1), (True, None, 1, 1)],
)
def test_seed_threads_follow_load_and_cap(
    digits: tuple[np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    idle: bool,
    cap: int | None,
    limit: int,
    expected: int,
) -> None:
    X, _ = digits
    monkeypatch.setattr(_seeds, "free_cores", lambda: 2 if idle else 1)
    monkeypatch.setattr(_seeds, "blas_threads", lambda: cap)
    monkeypatch.setattr(_seeds, "current_limit", lambda: limit)
    assert _seeds._seed_threads(MLPClassifier((16,)), X, 8) == expected
    assert _seeds._seed_threads(MLPClassifier((16,)), X, 3) == 1  # too few seeds to share
    assert _seeds._seed_threads(MLPClassifier((2048, 2048)), X, 8) == 1  # BLAS threads instead


def test_seed_threads_give_the_same_result(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = digits
    estimator = MLPClassifier((8,), max_iter=3, early_stopping=True)
    monkeypatch.setattr(_seeds, "_seed_threads", lambda *args: 1)
    whole = fit_seeds(estimator, X, y, seeds=range(5), eval_set=(X[:50], y[:50]))
    monkeypatch.setattr(_seeds, "_seed_threads", lambda *args: 2)
    monkeypatch.setattr(_seeds, "STACK_BYTES", 1)  # and chunks inside each thread
    threaded = fit_seeds(estimator, X, y, seeds=range(5), eval_set=(X[:50], y[:50]))
    for a, b in zip(whole, threaded):
        assert_same_fit(a, b, X)
        assert a.eval_scores_ == b.eval_scores_


def test_invalid_calls(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    with pytest.raises(ConfigError, match="at least one seed"):
        fit_seeds(MLPClassifier(), X, y, seeds=[])
    with pytest.raises(ConfigError, match="needs eval_set"):
        fit_seeds(MLPClassifier(), X, y, seeds=[0], epoch_callback=lambda e, s: False)
    with pytest.raises(ConfigError, match="initstudy MLPClassifier"):
        fit_seeds(object(), X, y, seeds=[0])  # type: ignore[arg-type]


def test_concurrent_fits_in_threads_agree(digits: tuple[np.ndarray, np.ndarray]) -> None:
    """Optuna's n_jobs runs fits in threads: the shared BLAS limit must not break them."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = digits
    estimator = MLPClassifier((8,), max_iter=4)
    alone = fit_seeds(estimator, X, y, seeds=range(4))
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(lambda s: single(estimator, s, X, y), range(4)))
    for a, b in zip(alone, threaded):
        assert_same_fit(a, b, X)


@pytest.mark.parametrize("classes", [2, 10])
def test_score_seeds_equals_each_seeds_score(
    digits: tuple[np.ndarray, np.ndarray], classes: int
) -> None:
    X, y = digits
    y = np.array(["abcdefghij"[v % classes] for v in y])  # string labels
    fits = fit_seeds(MLPClassifier((8,), max_iter=5), X[:-60], y[:-60], seeds=[0, 1, 2])
    expected = [est.score(X[-60:], y[-60:]) for est in fits]
    assert score_seeds(fits, X[-60:], y[-60:]).tolist() == expected


def test_score_seeds_gives_r2_and_nan_for_a_diverged_seed(
    regression: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = regression
    estimator = MLPRegressor(
        (16,), solver="sgd", learning_rate_init=0.05, init_scale=6.0, max_iter=10
    )
    with pytest.warns(DivergenceWarning):
        fits = fit_seeds(estimator, X, y, seeds=range(8))
    scores = score_seeds(fits, X, y)
    assert [np.isnan(s) for s in scores] == [f.diverged_ for f in fits]
    assert [s for s, f in zip(scores, fits) if not f.diverged_] == [
        f.score(X, y) for f in fits if not f.diverged_
    ]


def test_score_seeds_checks_its_input(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    fits = fit_seeds(MLPClassifier((8,), max_iter=2), X, y, seeds=[0])
    with pytest.raises(ValueError, match="features"):
        score_seeds(fits, X[:, :10], y)
    with pytest.raises(ValueError, match="samples"):
        score_seeds(fits, X, y[:-1])
    assert score_seeds([], X, y).shape == (0,)


def test_seed_threads_stop_at_the_next_batch_when_a_stop_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C interrupts only the main thread; seed threads must not train on to the end."""
    from initstudy import _signals

    monkeypatch.setattr(_seeds, "_seed_threads", lambda *args: 2)
    X, y = load_digits(return_X_y=True)
    net = MLPClassifier((32,), max_iter=100_000, tol=0.0, n_iter_no_change=100_000, batch_size=32)
    timer = threading.Timer(0.3, _signals.stop_requested.set)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(_signals.TrainingAbandoned):
            fit_seeds(net, X, y, seeds=range(8))
    finally:
        timer.cancel()
        _signals.stop_requested.clear()
    assert time.monotonic() - start < 10  # stopped, not 100,000 epochs later
    _signals.check_stop()  # the main thread never raises it: its signal does
