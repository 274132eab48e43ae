"""The stacked network: activations, views, and a finite-difference check of the backward pass."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from initstudy.mlp._activations import ACTIVATIONS, apply_activation
from initstudy.mlp._network import Layout, StackedNet

Z = np.array([-3.0, -0.5, 0.0, 0.7, 2.5])

REFERENCE = {
    "identity": Z,
    "logistic": 1 / (1 + np.exp(-Z)),
    "tanh": np.tanh(Z),
    "relu": np.maximum(Z, 0),
    "leaky_relu": np.where(Z > 0, Z, 0.01 * Z),
    "elu": np.where(Z > 0, Z, np.exp(Z) - 1),
    "selu": 1.0507009873554805 * np.where(Z > 0, Z, 1.6732632423543772 * (np.exp(Z) - 1)),
    "gelu": 0.5 * Z * (1 + special.erf(Z / np.sqrt(2))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values(name: str) -> None:
    np.testing.assert_allclose(apply_activation(name, Z), REFERENCE[name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_finite_difference(name: str) -> None:
    z = np.array([-2.0, -0.3, 0.4, 1.7])
    a = apply_activation(name, z)
    delta = np.ones_like(z)
    ACTIVATIONS[name].backward(z, a, delta)
    h = 1e-6
    numeric = (apply_activation(name, z + h) - apply_activation(name, z - h)) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=1e-5, atol=1e-7)


def test_views_alias_the_flat_buffer() -> None:
    layout = Layout((3, 4, 2))
    flat = np.zeros((2, layout.n_params))
    coefs, intercepts = layout.views(flat)
    coefs[1][1] += 1.0
    intercepts[0][0] += 2.0
    assert layout.n_params == (3 + 1) * 4 + (4 + 1) * 2
    assert flat[1].sum() == 8.0 and flat[0].sum() == 8.0
    assert (
        np.shares_memory(layout.blocks(flat)[0], flat) and layout.blocks(flat)[0][0, 3].sum() == 8.0
    )
    row_coefs, row_bias = layout.unpack(flat[1])
    assert [c.shape for c in row_coefs] == [(3, 4), (4, 2)] and row_bias[0].shape == (4,)


CASES = [(act, out) for act in sorted(ACTIVATIONS) for out in ("softmax",)] + [
    ("tanh", "logistic"),
    ("relu", "identity"),
    ("gelu", "identity"),
]


@pytest.mark.parametrize(("activation", "out_activation"), CASES)
def test_backward_matches_finite_differences(activation: str, out_activation: str) -> None:
    rng = np.random.default_rng(0)
    n_out = {"softmax": 3, "logistic": 1, "identity": 2}[out_activation]
    layout = Layout((4, 5, 3, n_out))
    params = rng.normal(scale=0.7, size=(2, layout.n_params))
    x = rng.normal(size=(2, 6, 4))
    if out_activation == "softmax":
        y = np.eye(3)[rng.integers(0, 3, size=(2, 6))]
    elif out_activation == "logistic":
        y = rng.integers(0, 2, size=(2, 6, 1)).astype(float)
    else:
        y = rng.normal(size=(2, 6, n_out))
    net = StackedNet(layout, params.copy(), activation, out_activation, alpha=0.3)
    net.loss_grad(x, y)
    analytic = net.grads.copy()
    h = 1e-6
    for j in rng.choice(layout.n_params, size=12, replace=False):
        shifted = []
        for sign in (1, -1):
            p = params.copy()
            p[:, j] += sign * h
            shifted.append(
                StackedNet(layout, p, activation, out_activation, alpha=0.3).loss_grad(x, y)
            )
        numeric = (shifted[0] - shifted[1]) / (2 * h)
        np.testing.assert_allclose(analytic[:, j], numeric, rtol=1e-4, atol=1e-7)


def test_seeds_in_a_stack_do_not_interact() -> None:
    rng = np.random.default_rng(1)
    layout = Layout((4, 8, 3))
    params = rng.normal(size=(3, layout.n_params)).astype(np.float32)
    x = rng.normal(size=(3, 10, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=(3, 10))]
    stack = StackedNet(layout, params.copy(), "relu", "softmax", 0.1)
    losses = stack.loss_grad(x, y)
    for k in range(3):
        alone = StackedNet(layout, params[k : k + 1].copy(), "relu", "softmax", 0.1)
        assert alone.loss_grad(x[k : k + 1], y[k : k + 1])[0] == losses[k]
        np.testing.assert_array_equal(alone.grads[0], stack.grads[k])


@pytest.mark.parametrize("out_activation", ["softmax", "logistic"])
def test_log_losses_match_scikit_learn(out_activation: str) -> None:
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(2)
    layout = Layout((5, 4, 3 if out_activation == "softmax" else 1))
    net = StackedNet(
        layout, rng.normal(size=(1, layout.n_params)), "tanh", out_activation, alpha=0.0
    )
    x = rng.normal(size=(1, 40, 5))
    labels = rng.integers(0, 3 if out_activation == "softmax" else 2, size=40)
    y = (
        np.eye(3)[labels][np.newaxis]
        if out_activation == "softmax"
        else labels[np.newaxis, :, np.newaxis].astype(float)
    )
    loss = net.loss_grad(x, y)[0]
    out = net._buffers_for(40)[0][-1][0] * 40 + y[0]  # the buffer now holds (output - y) / n
    proba = out if out_activation == "softmax" else np.hstack([1 - out, out])
    assert loss == pytest.approx(log_loss(labels, proba), rel=1e-10)


def test_softmax_loss_is_exact_when_rows_differ_wildly() -> None:
    from initstudy.mlp._losses import OUTPUT_LOSSES

    z = np.array([[[120.0, 0.0, 1.0], [-150.0, -149.0, -151.0]]], dtype=np.float32)
    y = np.array([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=np.float32)
    logits = z[0].astype(np.float64)
    log_proba = logits - logits.max(axis=1, keepdims=True)
    log_proba -= np.log(np.exp(log_proba).sum(axis=1, keepdims=True))
    loss = OUTPUT_LOSSES["softmax"](z, y)
    assert loss[0] == pytest.approx(-(log_proba * y[0]).sum() / 2, rel=1e-5)
    np.testing.assert_allclose(z[0], np.exp(log_proba), rtol=1e-5, atol=1e-30)


def test_l2_penalizes_kernels_not_biases() -> None:
    rng = np.random.default_rng(3)
    layout = Layout((3, 4, 2))
    params = rng.normal(size=(2, layout.n_params))
    x, y = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    plain = StackedNet(layout, params.copy(), "tanh", "identity", alpha=0.0)
    penalized = StackedNet(layout, params.copy(), "tanh", "identity", alpha=0.5)
    extra = penalized.loss_grad(x, y) - plain.loss_grad(x, y)
    kernels = sum((w**2).sum(axis=(1, 2)) for w in plain.coefs)
    np.testing.assert_allclose(extra, 0.5 * 0.5 / 5 * kernels, rtol=1e-12)
    for b, gb in zip(plain.intercept_grads, penalized.intercept_grads):
        np.testing.assert_array_equal(b, gb)
