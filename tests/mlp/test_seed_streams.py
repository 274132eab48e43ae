"""random_state, init_random_state and shuffle_random_state: which stream each one fixes."""

from __future__ import annotations

import numpy as np
import pytest

from initstudy.mlp import MLPClassifier, fit_seeds
from initstudy.mlp._init import seed_streams

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def net(**kwargs: object) -> MLPClassifier:
    params = {"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 3}
    params.update(kwargs)
    return MLPClassifier(**params)


def test_random_state_alone_reproduces_the_results_stored_so_far(digits) -> None:
    """Pinned numbers (computed before the per-stream seeds existed) for random_state=3,
    early stopping included: they fix the weights, the batch order and the early-stopping
    split stream (the third of SeedSequence(3).spawn(3)), on which cached results depend."""
    X, y = digits
    clf = net(early_stopping=True, validation_fraction=0.2).fit(X, y)
    assert float(clf.coefs_[0].sum()) == 1.38901948928833
    assert float(clf.loss_curve_[-1]) == 2.4981760235030985
    assert clf.validation_scores_[-1] == 0.15


def test_the_early_stopping_split_is_the_third_stream() -> None:
    weights, batches, split = seed_streams(7)
    expected = np.random.SeedSequence(7).spawn(3)
    for rng, seq in zip((weights, batches, split), expected):
        assert rng.random() == np.random.default_rng(seq).random()


def _orders(clf: MLPClassifier, n: int) -> np.ndarray:
    _, batches, _ = seed_streams(clf.random_state, clf.init_random_state, clf.shuffle_random_state)
    return batches.permutation(n)


def test_pinned_order_varied_weights(digits) -> None:
    X, y = digits
    a, b = (net(random_state=s, shuffle_random_state=0, max_iter=1) for s in (1, 2))
    np.testing.assert_array_equal(_orders(a, 300), _orders(b, 300))  # identical batch orders
    fits = [m.fit(X, y) for m in (a, b)]
    assert not np.array_equal(fits[0].coefs_[0], fits[1].coefs_[0])  # different weights


def test_each_stream_is_the_one_that_seed_would_give(digits) -> None:
    X, y = digits
    mixed = net(random_state=5, init_random_state=1, shuffle_random_state=2).fit(X, y)
    weights_only = net(random_state=1, max_iter=1, learning_rate_init=1e-12, alpha=0.0)
    start = net(
        random_state=5, init_random_state=1, max_iter=1, learning_rate_init=1e-12, alpha=0.0
    )
    np.testing.assert_array_equal(weights_only.fit(X, y).coefs_[0], start.fit(X, y).coefs_[0])
    same = net(random_state=2, init_random_state=1).fit(X, y)  # order of 2, weights of 1
    np.testing.assert_array_equal(mixed.coefs_[0], same.coefs_[0])


def test_fit_seeds_takes_them_per_member(digits) -> None:
    X, y = digits
    fits = fit_seeds(net(shuffle_random_state=0), X, y, seeds=[1, 2])
    singles = [net(random_state=s, shuffle_random_state=0).fit(X, y) for s in (1, 2)]
    for stacked, single in zip(fits, singles):
        np.testing.assert_array_equal(stacked.coefs_[0], single.coefs_[0])
        assert stacked.shuffle_random_state == 0


def test_bad_values_are_refused(digits) -> None:
    X, y = digits
    with pytest.raises(ValueError, match="shuffle_random_state"):
        net(shuffle_random_state=-1).fit(X, y)


def test_fit_seeds_member_seeds_one_order_many_inits(digits) -> None:
    X, y = digits
    fits = fit_seeds(net(), X, y, seeds=[7, 8], init_seeds=[1, 2], shuffle_seeds=[0, 0])
    for fit, init in zip(fits, (1, 2)):
        single = net(
            random_state=fit.random_state, init_random_state=init, shuffle_random_state=0
        ).fit(X, y)
        np.testing.assert_array_equal(fit.coefs_[0], single.coefs_[0])
    with pytest.raises(ValueError, match="one entry per seed"):
        fit_seeds(net(), X, y, seeds=[1, 2], init_seeds=[1])
