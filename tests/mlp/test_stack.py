"""fit_stack: members differing in every stackable parameter and in their rows equal single fits."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold

from initstudy.exceptions import ConfigError, DivergenceWarning
from initstudy.mlp import MLPClassifier, MLPRegressor, _engine, _seeds, fit_seeds, fit_stack

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def one_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """One thread, so members of different row counts share a stack (threads would split it)."""
    monkeypatch.setattr(_seeds, "_seed_threads", lambda *args: 1)


def assert_same_fit(a: Any, b: Any, X: np.ndarray) -> None:
    """Bitwise the same fitted network, record and predictions."""
    assert a.diverged_ == b.diverged_ and a.n_iter_ == b.n_iter_ and a.t_ == b.t_
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)  # NaN equals NaN here
    assert a.validation_scores_ == b.validation_scores_
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ca, cb)
    if not a.diverged_:
        np.testing.assert_array_equal(a.predict(X), b.predict(X))


def single(estimator: Any, X: np.ndarray, y: np.ndarray, rows: Any = None) -> Any:
    """``clone(estimator).fit(X[rows], y[rows])``, divergence allowed."""
    rows = slice(None) if rows is None else rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return clone(estimator).fit(X[rows], y[rows])


def base(**params: Any) -> MLPClassifier:
    defaults = {"hidden_layer_sizes": (16, 8), "max_iter": 8, "batch_size": 32, "random_state": 0}
    return MLPClassifier(**{**defaults, **params})


MEMBERS = {
    "init": [{"init": i} for i in ("he_normal", "lecun_uniform", "orthogonal", "sklearn_default")],
    "init_scale": [{"init_scale": s} for s in (0.5, 1.0, 2.0)],
    "bias_init": [{"bias_init": b} for b in (None, 0.1, "random_normal")],
    "learning_rate_init": [{"learning_rate_init": lr} for lr in (0.001, 0.01, 0.05)],
    "alpha": [{"alpha": a} for a in (0.0, 1e-4, 0.1)],
    "momentum": [
        {"solver": "sgd", "learning_rate_init": 0.05, "momentum": m} for m in (0.0, 0.5, 0.95)
    ],
    "random_state": [{"random_state": s} for s in (0, 1, 2)],
    "all_at_once": [
        {"init": "he_uniform", "init_scale": 1.5, "learning_rate_init": 0.02, "alpha": 0.0},
        {"init": "glorot_normal", "bias_init": 0.05, "alpha": 0.01, "random_state": 4},
    ],
}


@pytest.mark.parametrize("name", list(MEMBERS))
def test_members_differing_in_one_parameter_equal_their_single_fits(
    digits: tuple[np.ndarray, np.ndarray], name: str
) -> None:
    X, y = digits
    nets = [base(**params) for params in MEMBERS[name]]
    fits = fit_stack(nets, X, y)
    for net, fitted in zip(nets, fits):
        assert fitted is not net and not hasattr(net, "coefs_")
        assert fitted.get_params() == net.get_params()
        assert_same_fit(fitted, single(net, X, y), X)


MIXED = ((0.002, 0.0), (0.01, 0.001))


def _spy_ragged_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the engine's sub-stack steps (batches of different sizes in one step)."""
    count = [0]
    real = _engine._Trainer._ragged_step

    def spy(self: Any, *args: Any) -> Any:
        count[0] += 1
        return real(self, *args)

    monkeypatch.setattr(_engine._Trainer, "_ragged_step", spy)
    return count


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.1},
        {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 1, "tol": 0.1},
        {"solver": "sgd", "nesterovs_momentum": False},
        {"init": "lsuv", "dtype": "float64"},
    ],
)
@pytest.mark.parametrize("n_folds", [3, 4])
def test_folds_equal_single_fits_on_their_rows(
    digits: tuple[np.ndarray, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, Any],
    n_folds: int,
) -> None:
    """3 folds of 300 rows: 200 each; 4 folds of 298 rows: 223 or 224, the last batches differ."""
    X, y = digits
    X, y = X[: 300 if n_folds == 3 else 298], y[: 300 if n_folds == 3 else 298]
    folds = [train for train, _ in KFold(n_folds, shuffle=True, random_state=0).split(X)]
    nets = [base(**{"learning_rate_init": lr, **params}, alpha=a) for lr, a in MIXED]
    if "learning_rate_init" in params:  # a fixed rate: vary the momentum instead
        nets = [base(**params, momentum=m) for m in (0.8, 0.9)]
    members = [(net, rows) for rows in folds for net in nets]
    ragged = _spy_ragged_steps(monkeypatch)
    fits = fit_stack([m for m, _ in members], X, y, train_rows=[r for _, r in members])
    assert (ragged[0] > 0) == (n_folds == 4)  # sub-stacks only where the last batches differ
    for (net, rows), fitted in zip(members, fits):
        assert_same_fit(fitted, single(net, X, y, rows), X)


def test_very_different_row_counts_and_early_stopping(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Different numbers of batches per epoch, validation sets of different sizes."""
    X, y = digits
    rng = np.random.default_rng(0)
    rows = [rng.permutation(300)[:k] for k in (120, 200, 300, 201)]
    nets = [
        base(early_stopping=True, n_iter_no_change=2, max_iter=40, learning_rate_init=lr)
        for lr in (0.05, 0.02, 0.01, 0.03)
    ]
    nets[3].set_params(validation_fraction=0.25)
    ragged = _spy_ragged_steps(monkeypatch)
    fits = fit_stack(nets, X, y, train_rows=rows)
    assert ragged[0] > 0
    for net, r, fitted in zip(nets, rows, fits):
        assert_same_fit(fitted, single(net, X, y, r), X)
    assert len({f.n_iter_ for f in fits}) > 1  # each stopped on its own


def test_boolean_masks_and_all_rows(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    mask = np.arange(300) % 3 != 0
    nets = [base(), base(random_state=1)]
    fits = fit_stack(nets, X, y, train_rows=[mask, None])
    assert_same_fit(fits[0], single(nets[0], X, y, mask), X)
    assert_same_fit(fits[1], single(nets[1], X, y), X)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_diverging_member_leaves_the_others_alone(
    digits: tuple[np.ndarray, np.ndarray], solver: str
) -> None:
    X, y = digits
    folds = [np.arange(0, 250), np.arange(40, 300), np.arange(0, 300)]
    huge = 1e20 if solver == "adam" else 5000.0
    nets = [base(solver=solver, learning_rate_init=lr) for lr in (0.01, huge, 0.02)]
    with pytest.warns(DivergenceWarning, match=r"for members \[1\]"):
        fits = fit_stack(nets, X, y, train_rows=folds)
    assert [f.diverged_ for f in fits] == [False, True, False]
    for net, rows, fitted in zip(nets, folds, fits):
        assert_same_fit(fitted, single(net, X, y, rows), X)


def test_a_member_diverging_inside_a_sub_stack_step(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The largest training set diverges after the smaller ones finished their epoch."""
    X, y = digits
    rows = [np.arange(40), np.arange(300), np.arange(60, 300)]
    nets = [base(solver="sgd", learning_rate_init=lr) for lr in (0.01, 5000.0, 0.02)]
    seen: list[bool] = []
    real = _engine._Trainer._ragged_step

    def spy(self: Any, *args: Any) -> np.ndarray:
        bad = real(self, *args)
        seen.append(bool(bad.any()))
        return bad

    monkeypatch.setattr(_engine._Trainer, "_ragged_step", spy)
    with pytest.warns(DivergenceWarning, match=r"for members \[1\]"):
        fits = fit_stack(nets, X, y, train_rows=rows)
    assert any(seen) and [f.diverged_ for f in fits] == [False, True, False]
    for net, r, fitted in zip(nets, rows, fits):
        assert_same_fit(fitted, single(net, X, y, r), X)


def test_regressor_members_and_eval_set(regression: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression
    folds = [train for train, _ in KFold(3, shuffle=True, random_state=1).split(X)]
    nets = [
        MLPRegressor((8,), max_iter=6, batch_size=16, random_state=s, alpha=a)
        for s, a in ((0, 0.0), (1, 0.01), (2, 0.001))
    ]
    fits = fit_stack(nets, X, y, train_rows=folds, eval_set=(X[:30], y[:30]))
    for net, rows, fitted in zip(nets, folds, fits):
        assert_same_fit(fitted, single(net, X, y, rows), X)
        assert len(fitted.eval_scores_) == fitted.n_iter_
        # eval scores come from the float32 network, score() from float64
        assert fitted.eval_scores_[-1] == pytest.approx(fitted.score(X[:30], y[:30]), rel=1e-5)


def _spy_stacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of every stack ``fit_stack`` trains."""
    sizes: list[int] = []
    real = _seeds._fit_members

    def spy(clones: list[Any], *args: Any) -> Any:
        sizes.append(len(clones))
        return real(clones, *args)

    monkeypatch.setattr(_seeds, "_fit_members", spy)
    return sizes


def test_a_mixed_list_is_split_into_stacks(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = digits
    nets = [
        base(),
        base(hidden_layer_sizes=(12,)),
        base(learning_rate_init=0.01),
        base(activation="tanh"),
        base(solver="sgd"),
        MLPRegressor((16, 8), max_iter=8, batch_size=32, random_state=0),
        base(batch_size=500),  # clipped to 300 rows: its own stack
        base(init="he_normal"),
    ]
    sizes = _spy_stacks(monkeypatch)
    fits = fit_stack(nets, X, y)
    assert sorted(sizes) == [1, 1, 1, 1, 1, 3]
    for net, fitted in zip(nets, fits):
        assert type(fitted) is type(net)
        assert_same_fit(fitted, single(net, X, y), X)


def test_batch_size_is_resolved_on_each_members_rows(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``batch_size='auto'`` is min(200, n): 150 and 250 rows give two stacks."""
    X, y = digits
    nets = [base(batch_size="auto"), base(batch_size="auto", random_state=1)]
    rows = [np.arange(150), np.arange(250)]
    sizes = _spy_stacks(monkeypatch)
    fits = fit_stack(nets, X, y, train_rows=rows)
    assert sizes == [1, 1]
    for net, r, fitted in zip(nets, rows, fits):
        assert_same_fit(fitted, single(net, X, y, r), X)


def test_members_whose_rows_lack_a_class_train_apart(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = digits
    rows = [np.flatnonzero(y != 9), np.arange(300), np.flatnonzero(y != 9)[:200]]
    nets = [base(random_state=s) for s in range(3)]
    sizes = _spy_stacks(monkeypatch)
    fits = fit_stack(nets, X, y, train_rows=rows)
    assert sorted(sizes) == [1, 2]
    assert fits[0].classes_.tolist() == list(range(9)) and len(fits[1].classes_) == 10
    for net, r, fitted in zip(nets, rows, fits):
        assert_same_fit(fitted, single(net, X, y, r), X)


def test_threads_and_chunks_give_the_same_result(
    digits: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = digits
    folds = [train for train, _ in KFold(4, shuffle=True, random_state=0).split(X[:298])]
    nets = [base(learning_rate_init=lr, early_stopping=True) for lr in (0.003, 0.03)]
    members = [(net, rows) for rows in folds for net in nets]
    args = ([m for m, _ in members], X, y)
    whole = fit_stack(*args, train_rows=[r for _, r in members])
    monkeypatch.setattr(_seeds, "_seed_threads", lambda *a: 2)
    monkeypatch.setattr(_seeds, "STACK_BYTES", 1)
    threaded = fit_stack(*args, train_rows=[r for _, r in members])
    for a, b in zip(whole, threaded):
        assert_same_fit(a, b, X)


def test_fit_seeds_equals_fit_stack_of_seed_clones(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    net = base()
    by_seeds = fit_seeds(net, X, y, seeds=[3, 5])
    by_stack = fit_stack([clone(net).set_params(random_state=s) for s in (3, 5)], X, y)
    for a, b in zip(by_seeds, by_stack):
        assert_same_fit(a, b, X)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda X, y: fit_stack([], X, y), ConfigError, "at least one estimator"),
        (lambda X, y: fit_stack([base(), object()], X, y), ConfigError, "at position 1"),
        (
            lambda X, y: fit_stack([base()], X, y, train_rows=[None, None]),
            ConfigError,
            "'train_rows' parameter .* one entry per estimator",
        ),
        (
            lambda X, y: fit_stack([base()], X, y, train_rows=[np.array([0, 300])]),
            ConfigError,
            "'train_rows' parameter .* out of range",
        ),
        (
            lambda X, y: fit_stack([base()], X, y, train_rows=[np.array([0.5, 1.0])]),
            ConfigError,
            "'train_rows' parameter .* integer index",
        ),
        (
            lambda X, y: fit_stack([base(), base(learning_rate_init=-1.0)], X, y),
            ValueError,
            "'learning_rate_init' parameter",
        ),
        (lambda X, y: fit_stack([base()], X, y[:-1]), ValueError, "samples"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(
    digits: tuple[np.ndarray, np.ndarray], call: Any, error: type, match: str
) -> None:
    X, y = digits
    with pytest.raises(error, match=match):
        call(X, y)
