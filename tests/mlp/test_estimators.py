"""Behaviour of MLPClassifier and MLPRegressor beyond scikit-learn's checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from initstudy.exceptions import ConfigError, DataError, DivergedError, DivergenceWarning
from initstudy.initializers import get
from initstudy.mlp import FromEstimator, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small(**kwargs: object) -> MLPClassifier:
    params = {"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0}
    params.update(kwargs)
    return MLPClassifier(**params)


def test_learns_digits(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(max_iter=60, learning_rate_init=0.01).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert clf.n_iter_ == len(clf.loss_curve_) and clf.t_ == clf.n_iter_ * X.shape[0]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert [c.shape for c in clf.coefs_] == [(64, 16), (16, 10)]
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 10 and clf.out_activation_ == "softmax"
    assert not clf.diverged_


def test_same_seed_is_bitwise_identical(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    a, b = small(random_state=3).fit(X, y), small(random_state=3).fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ca, cb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = small(random_state=4).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("state", [np.random.RandomState(0), np.random.default_rng(0), None])
def test_random_state_objects_are_accepted(
    digits: tuple[np.ndarray, np.ndarray], state: object
) -> None:
    X, y = digits
    assert small(random_state=state, max_iter=1).fit(X, y).coefs_[0].shape == (64, 16)


def test_initial_weights_follow_the_initializer(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(
        init="he_normal", init_scale=0.5, max_iter=1, learning_rate_init=1e-12, alpha=0.0
    ).fit(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0])
    expected = get("he_normal")((64, 16), rng=rng, dtype=np.float64) * 0.5
    np.testing.assert_allclose(clf.coefs_[0], expected.astype(np.float32), rtol=1e-4, atol=1e-6)


def test_divergence_stops_and_predict_raises(regression: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression
    reg = MLPRegressor(
        (32, 32), init_scale=1e3, solver="sgd", learning_rate_init=0.1, max_iter=20, random_state=0
    )
    with pytest.warns(DivergenceWarning, match="diverged"):
        reg.fit(X, y)
    assert reg.diverged_ and reg.n_iter_ < 20 and not np.isfinite(reg.loss_)
    with pytest.raises(DivergedError, match="diverged during training"):
        reg.predict(X)


def test_huge_relu_init_diverges_in_float32(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    with pytest.warns(DivergenceWarning):
        clf = small(hidden_layer_sizes=(32, 32), init_scale=1e30).fit(X, y)
    assert clf.diverged_


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_zeros_init_stays_symmetric(digits: tuple[np.ndarray, np.ndarray], activation: str) -> None:
    X, y = digits
    clf = small(hidden_layer_sizes=(6, 5), init="zeros", activation=activation, max_iter=10).fit(
        X, y
    )
    # Identical up to float32 rounding: OpenBLAS computes the tail columns of an odd-width
    # product through another kernel, so bitwise identity is not a property of the math.
    # A random init spreads units by the size of the weights themselves; rounding by 1e-3 of it.
    for coef in clf.coefs_[:-1]:
        spread = np.abs(coef - coef[:, :1]).max()
        assert spread <= 1e-2 * np.abs(coef).max() + 1e-12, "hidden units must stay identical"
    rows = clf.coefs_[1]
    assert np.abs(rows - rows[:1]).max() <= 1e-2 * np.abs(rows).max() + 1e-12


def test_from_estimator_copies_and_checks_shapes(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    source = small(max_iter=20).fit(X, y)
    copy = small(init=FromEstimator(source), max_iter=1, learning_rate_init=1e-12, alpha=0.0).fit(
        X, y
    )
    np.testing.assert_allclose(copy.coefs_[0], source.coefs_[0], atol=1e-6)
    np.testing.assert_allclose(copy.intercepts_[1], source.intercepts_[1], atol=1e-6)
    with pytest.raises(
        ConfigError, match=r"layer 1 of the source has kernel shape \(64, 16\).*\(64, 8\)"
    ):
        small(hidden_layer_sizes=(8,), init=FromEstimator(source)).fit(X, y)
    with pytest.raises(ConfigError, match="2 weight layers but this network needs 3"):
        small(hidden_layer_sizes=(16, 4), init=FromEstimator(source)).fit(X, y)
    with pytest.raises(ConfigError, match="fitted"):
        small(init=FromEstimator(small())).fit(X, y)


def test_partial_fit_continues(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small()
    with pytest.raises(ConfigError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:150], y[:150], classes=np.arange(10))
    first = clf.coefs_[0].copy()
    clf.partial_fit(X[150:], y[150:])
    assert clf.n_iter_ == 2 and clf.t_ == 300 and len(clf.loss_curve_) == 2
    assert not np.array_equal(first, clf.coefs_[0])
    assert clf._optimizer.t == 2  # two batches of 150: the Adam state carried over
    with pytest.raises(DataError, match="not in classes_"):
        clf.partial_fit(X[:5], np.array([0, 1, 2, 3, 11]))


def test_warm_start_continues_from_the_weights(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(warm_start=True).fit(X, y)
    after_first = clf.coefs_[0].copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    cold = small(warm_start=True, max_iter=5).fit(X, y)
    np.testing.assert_array_equal(cold.coefs_[0], after_first)


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float64])
def test_dtype(digits: tuple[np.ndarray, np.ndarray], dtype: object) -> None:
    X, y = digits
    clf = small(dtype=dtype).fit(X, y)
    assert clf.coefs_[0].dtype == np.dtype(dtype)
    assert clf.predict_proba(X).dtype == np.float64


def test_float32_and_float64_start_from_the_same_weights(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits
    a = small(dtype="float32", learning_rate_init=1e-12, max_iter=1, alpha=0.0).fit(X, y)
    b = small(dtype="float64", learning_rate_init=1e-12, max_iter=1, alpha=0.0).fit(X, y)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-6, atol=1e-7)


def test_pandas_input_and_string_labels(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    frame = pd.DataFrame(X[:, :10], columns=[f"px{i}" for i in range(10)])
    labels = np.array(["zero", "one", "two"])[y % 3]
    clf = small().fit(frame, labels)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert set(clf.predict(frame)) <= set(labels) and list(clf.classes_) == ["one", "two", "zero"]
    proba = clf.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(frame)), proba)


def test_binary_uses_one_logistic_unit(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(max_iter=30).fit(X, y % 2 == 0)
    assert clf.out_activation_ == "logistic" and clf.coefs_[-1].shape == (16, 1)
    assert clf.predict_proba(X).shape == (300, 2) and clf.score(X, y % 2 == 0) > 0.8


def test_regressor_multi_output(regression: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression
    Y = np.column_stack([y, -y])
    reg = MLPRegressor((16,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (120, 2) and reg.score(X, Y) > 0.9
    assert MLPRegressor((4,), max_iter=2, random_state=0).fit(X, y).predict(X).shape == (120,)


def test_early_stopping_keeps_the_best_weights(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(early_stopping=True, max_iter=50, n_iter_no_change=2, learning_rate_init=0.05).fit(
        X, y
    )
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    with pytest.raises(ConfigError, match="early_stopping"):
        clf.partial_fit(X, y)


def test_convergence_warning_when_max_iter_is_reached(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="maximum iterations"):
            small(max_iter=2).fit(X, y)


def test_tol_stops_before_max_iter(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(max_iter=500, tol=10.0, n_iter_no_change=2).fit(X, y)
    assert clf.n_iter_ == 4  # epoch 1 sets the best loss; 3 epochs without improvement > 2


@pytest.mark.parametrize(
    "solver_params",
    [
        {"solver": "sgd", "learning_rate": "constant"},
        {
            "solver": "sgd",
            "learning_rate": "invscaling",
            "nesterovs_momentum": False,
            "learning_rate_init": 2.0,
        },
        {"solver": "sgd", "learning_rate": "adaptive", "momentum": 0.0},
    ],
)
def test_sgd_variants_learn(
    digits: tuple[np.ndarray, np.ndarray], solver_params: dict[str, object]
) -> None:
    X, y = digits
    clf = small(max_iter=40, **{"learning_rate_init": 0.1, **solver_params}).fit(X, y)
    assert clf.score(X, y) > 0.8


def test_lsuv_calibrates_on_the_first_batch(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(
        hidden_layer_sizes=(32, 32),
        init="lsuv",
        max_iter=1,
        learning_rate_init=1e-12,
        alpha=0.0,
        batch_size=100,
    ).fit(X, y)
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[1])
    batch = X[rng.permutation(300)[:100]]
    z = batch @ clf.coefs_[0].astype(np.float64)
    assert abs(z.var() - 1.0) < 1e-6  # calibrated on exactly this batch: 1 +- float32 rounding
    assert abs((X @ clf.coefs_[0].astype(np.float64)).var() - 1.0) > 1e-3  # not on the whole set
    assert small(init="lsuv", max_iter=30, learning_rate_init=0.01).fit(X, y).score(X, y) > 0.9


def test_init_list_and_bias_init(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = small(
        hidden_layer_sizes=(8,),
        init=["he_normal", "zeros"],
        bias_init=0.25,
        max_iter=1,
        learning_rate_init=1e-12,
        alpha=0.0,
    ).fit(X, y)
    np.testing.assert_allclose(clf.intercepts_[0], 0.25, atol=1e-6)
    assert np.abs(clf.coefs_[1]).max() < 1e-6
    sk = small(
        init="sklearn_default", activation="logistic", max_iter=1, learning_rate_init=1e-12
    ).fit(X, y)
    assert np.abs(sk.intercepts_[0]).max() > 0  # sklearn_default draws biases
    with pytest.raises(ConfigError, match="one initializer per weight layer"):
        small(init=["he_normal"]).fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"activation": "swish"}, "'activation' parameter of MLPClassifier must be"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"dtype": "float16"}, "dtype"),
        ({"init": "he_norml"}, "Did you mean 'he_normal'"),
    ],
)
def test_invalid_parameters(
    digits: tuple[np.ndarray, np.ndarray], params: dict[str, object], match: str
) -> None:
    X, y = digits
    with pytest.raises(ConfigError, match=match):
        small(**params).fit(X, y)


def test_sparse_input_is_rejected(digits: tuple[np.ndarray, np.ndarray]) -> None:
    from scipy import sparse

    X, y = digits
    with pytest.raises(TypeError, match="[Ss]parse"):
        small().fit(sparse.csr_matrix(X), y)


def test_verbose_prints_the_loss(
    digits: tuple[np.ndarray, np.ndarray], capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = digits
    small(max_iter=2, verbose=True).fit(X, y)
    assert capsys.readouterr().out.count("loss = ") == 2


def test_regressor_partial_fit(regression: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression
    reg = MLPRegressor((8,), random_state=0, learning_rate_init=0.01)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 3 and reg.predict(X).shape == (120,) and np.isfinite(reg.loss_)


def test_squared_loss_matches_scikit_learn_definition(
    regression: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = regression
    reg = MLPRegressor(
        (8,),
        max_iter=1,
        random_state=0,
        alpha=0.0,
        batch_size=120,
        learning_rate_init=1e-12,
        dtype="float64",
    ).fit(X, y)
    # one batch, a step of ~0: the epoch loss is the half MSE of the (unchanged) initial network
    assert reg.loss_ == pytest.approx(0.5 * np.mean((reg.predict(X) - y) ** 2), rel=1e-6)


def test_a_network_too_large_for_the_machine_is_refused_before_allocating(
    digits: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits
    with pytest.raises(
        ConfigError,
        match=r"hidden_layer_sizes=\(100000, 100000\) needs about "
        r"\d+\.\d GiB .*10,007,600,010 weights.*this machine has",
    ):
        small(hidden_layer_sizes=(100000, 100000)).fit(X, y)


def test_network_bytes_counts_weights_gradients_and_a_batch() -> None:
    from initstudy.mlp._memory import network_bytes

    n_params = 64 * 8 + 8 + 8 * 10 + 10
    assert network_bytes((64, 8, 10), 100, "float32") == 8 * n_params + 4 * (
        4 * n_params + 3 * 100 * 18
    )


def test_training_bytes_is_network_bytes_of_the_resolved_shape() -> None:
    from initstudy.mlp import training_bytes
    from initstudy.mlp._memory import network_bytes

    net = MLPClassifier(hidden_layer_sizes=(8, 4), batch_size="auto", dtype="float64")
    assert training_bytes(net, 150, 64, 10) == network_bytes((64, 8, 4, 10), 150, "float64")
    net.set_params(batch_size=32)
    assert training_bytes(net, 150, 64, 10) == network_bytes((64, 8, 4, 10), 32, "float64")
