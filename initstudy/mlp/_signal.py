"""``signal_propagation``: how the signal and the gradient scale through a network at initialization."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import validate_data

from .._blas import largest_product, limit_blas, one_blas_thread, policy_for
from ..exceptions import ConfigError
from ._base import BaseMLP
from ._network import Layout, StackedNet, forward
from ._params import validate_params

__all__ = ["signal_propagation"]

COLUMNS = [
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


def _initial_rows(
    estimator: BaseMLP, X: np.ndarray, layout: Layout, seeds: list[Any]
) -> np.ndarray:
    """The initial parameter rows that ``fit`` would start from, one per seed, as float64."""
    rows = [clone(estimator).set_params(random_state=s)._fresh_run(X, layout).params for s in seeds]
    return np.stack(rows).astype(np.float64)


def signal_propagation(
    estimator: BaseMLP,
    X: Any,
    y: Any = None,
    *,
    seeds: Iterable[int] = (0,),
) -> pd.DataFrame:
    """Statistics of every layer at initialization, per seed, without any training.

    For each seed the network ``fit`` would start from is drawn (same initial weights, LSUV
    calibrated on the same first batch) and ``X`` is propagated in float64. This is the
    vanishing/exploding-signal diagnostic of Glorot & Bengio (2010) and He et al. (2015).

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        The configuration to inspect (not fitted, not modified).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), optional
        Targets. With ``y`` the output layer is included and ``grad_norm`` is the Frobenius
        norm of the gradient of the training loss (data term plus the L2 term, on all of ``X``)
        with respect to each kernel. Without ``y`` the output layer's size is unknown: only the
        hidden layers are reported and ``grad_norm`` is NaN.
    seeds : iterable of int, default=(0,)
        The ``random_state`` values to draw.

    Returns
    -------
    pandas.DataFrame
        One row per (seed, layer) with columns ``seed``, ``layer`` (1-based weight layer),
        ``kind`` ('hidden' or 'output'), ``fan_in``, ``fan_out``, ``preact_mean``,
        ``preact_std`` (of ``z = a @ W + b`` over samples and units), ``act_mean``, ``act_std``
        (of the layer's activation; the output activation for the output layer),
        ``unit_std`` (the spread between the layer's units: the standard deviation over units
        of each sample's activations, averaged over samples; 0 when every unit computes the
        same function, a symmetric layer that training cannot split) and ``grad_norm``.

    Raises
    ------
    ConfigError
        If ``estimator`` is not an initstudy MLP or ``seeds`` is empty.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from initstudy.mlp import MLPClassifier, signal_propagation
    >>> X, y = load_digits(return_X_y=True)
    >>> net = MLPClassifier((64, 64), activation="relu", init="he_normal")
    >>> signal_propagation(net, X / 16, y).shape
    (3, 10)
    """
    if not isinstance(estimator, BaseMLP):
        raise ConfigError(
            f"signal_propagation needs an initstudy MLP estimator. Got {type(estimator).__name__}."
        )
    seeds = list(seeds)
    if not seeds:
        raise ConfigError("signal_propagation needs at least one seed. Got an empty sequence.")
    template = clone(estimator)
    validate_params(template)
    if y is None:
        X = validate_data(template, X, reset=True, dtype=np.float64)
        Y, out_activation, n_out = None, "identity", 1
    else:
        X, Y = template._validate_xy(X, y, reset=True)
        X, Y, out_activation, n_out = (
            X.astype(np.float64),
            Y.astype(np.float64),
            template._out_activation(),
            Y.shape[1],
        )
    layout = Layout((X.shape[1], *template._hidden_sizes(), n_out))
    with one_blas_thread():
        params = _initial_rows(template, X, layout, seeds)
    net = StackedNet(layout, params, template.activation, out_activation, float(template.alpha))
    threads = policy_for(largest_product(layout.sizes, X.shape[0]))
    with limit_blas(threads), np.errstate(all="ignore"):
        layers = forward(
            X, net.coefs, net.intercepts, template.activation, out_activation, keep=True
        )
        grads = np.full((len(seeds), len(layout.shapes)), np.nan)
        if Y is not None:
            net.loss_grad(X, Y)
            grads = np.stack([np.sqrt((g * g).sum(axis=(1, 2))) for g in net.coef_grads], axis=1)
    return _frame(layers, grads, layout, seeds, include_output=Y is not None)


def _frame(
    layers: list[np.ndarray],
    grads: np.ndarray,
    layout: Layout,
    seeds: list[Any],
    include_output: bool,
) -> pd.DataFrame:
    n_layers = len(layout.shapes) - (0 if include_output else 1)
    rows = []
    for k, seed in enumerate(seeds):
        for i in range(n_layers):
            z, a = layers[2 * i][k], layers[2 * i + 1][k]
            rows.append(
                (
                    seed,
                    i + 1,
                    "output" if i == len(layout.shapes) - 1 else "hidden",
                    *layout.shapes[i],
                    float(z.mean()),
                    float(z.std()),
                    float(a.mean()),
                    float(a.std()),
                    float(a.std(axis=1).mean()),
                    float(grads[k, i]),
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)
