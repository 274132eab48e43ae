"""signal_propagation: the vanishing/exploding diagnostic at initialization."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from initstudy.exceptions import ConfigError
from initstudy.mlp import MLPClassifier, signal_propagation

DEEP = (256,) * 10


@pytest.fixture(scope="module")
def digits_all() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def test_reproduces_the_reference_deep_relu_results() -> None:
    """REFERENCE.md, ReLU width 256, no training, standardized digits: He keeps Var(z) ~ 2 to
    layer 10; LeCun (1/fan_in) decays about 2^-L (0.002 at layer 10); N(0, 0.01^2) collapses to
    ~1e-19 by layer 10."""
    X, _ = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    def variance(init: object) -> np.ndarray:
        frame = signal_propagation(MLPClassifier(DEEP, init=init, dtype="float64"), X, seeds=[0, 1])
        assert len(frame) == 20 and (frame["kind"] == "hidden").all()
        return frame.groupby("layer")["preact_std"].apply(lambda s: float((s**2).mean())).to_numpy()

    he = variance("he_normal")
    assert np.all((he > 1.0) & (he < 3.0)), he
    lecun = variance("lecun_normal")
    assert 5e-4 < lecun[-1] < 5e-3 and 0.7 < lecun[0] < 1.3, lecun
    tiny = variance({"class_name": "random_normal", "config": {"stddev": 0.01}})
    assert 1e-21 < tiny[-1] < 1e-18, tiny


def test_rows_columns_and_gradients(digits_all: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits_all
    frame = signal_propagation(MLPClassifier((32, 16), activation="tanh"), X, y, seeds=[0, 5])
    assert list(frame.columns) == [
        "seed",
        "layer",
        "kind",
        "fan_in",
        "fan_out",
        "preact_mean",
        "preact_std",
        "act_mean",
        "act_std",
        "unit_std",
        "grad_norm",
    ]
    assert frame["seed"].tolist() == [0, 0, 0, 5, 5, 5] and frame["layer"].tolist() == [1, 2, 3] * 2
    assert frame["kind"].tolist()[2] == "output" and frame["fan_out"].tolist()[:3] == [32, 16, 10]
    assert (frame["grad_norm"] > 0).all() and np.isfinite(
        frame.drop(columns="kind").to_numpy(float)
    ).all()
    assert frame.loc[0, "act_std"] != frame.loc[3, "act_std"]


def test_matches_the_initial_weights_of_fit(digits_all: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits_all
    net = MLPClassifier(
        (8,), random_state=3, max_iter=1, learning_rate_init=1e-12, alpha=0.0, dtype="float64"
    )
    frame = signal_propagation(net, X, y, seeds=[3])
    with pytest.warns(Warning):
        fitted = net.fit(X, y)
    z = X @ fitted.coefs_[0] + fitted.intercepts_[0]
    assert frame.loc[0, "preact_std"] == pytest.approx(z.std(), rel=1e-6)


def test_unit_spread_is_zero_exactly_for_a_symmetric_layer(
    digits_all: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = digits_all
    for init, symmetric in (("ones", True), ("zeros", True), ("he_normal", False)):
        frame = signal_propagation(MLPClassifier((8, 4), init=init), X, y)
        hidden = frame[frame["kind"] == "hidden"]
        assert (hidden["unit_std"] == 0).all() if symmetric else (hidden["unit_std"] > 0).all()


def test_without_y_reports_hidden_layers_only(digits_all: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = digits_all
    frame = signal_propagation(MLPClassifier((8, 4)), X)
    assert len(frame) == 2 and frame["grad_norm"].isna().all()
    with pytest.raises(ConfigError, match="at least one seed"):
        signal_propagation(MLPClassifier(), X, seeds=[])
