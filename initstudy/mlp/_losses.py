"""Output activations fused with their losses, per seed.

Each output activation is the canonical link of its loss, so the gradient with respect to the
output pre-activation is ``(output - target) / batch_size`` for all three; only the loss value
differs. :data:`OUTPUT_LOSSES` functions turn the output pre-activation ``z`` into the output in
place and return the loss per seed, shape ``(n_seeds,)``: the mean over samples of

- ``log_loss`` (softmax): the exact cross-entropy, from the log-sum-exp (not clipped, so an
  exploding network shows an exploding loss);
- ``binary_log_loss`` (one logistic unit): ``log(1 + exp(z)) - y z``, exactly;
- ``squared_error`` (identity): half the squared error, summed over outputs: the loss whose
  gradient scikit-learn's MLPRegressor follows (its reported ``loss_`` also divides by the number
  of outputs, which does not match its gradient); with one output both agree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

__all__ = ["OUTPUT_LOSSES", "OUT_ACTIVATION_LOSS"]


def _per_seed_mean(values: np.ndarray, n: int) -> np.ndarray:
    return values.sum(axis=(-2, -1), dtype=np.float64) / n


def _row_max(z: np.ndarray) -> np.ndarray:
    """``z.max(axis=-1, keepdims=True)``; column by column when rows are short (much faster)."""
    if z.shape[-1] > 32:
        return z.max(axis=-1, keepdims=True)
    top = z[..., :1].copy()
    for j in range(1, z.shape[-1]):
        np.maximum(top, z[..., j : j + 1], out=top)
    return top


def _softmax_log_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Softmax in place and the cross-entropy per seed.

    The fast path shifts each seed's logits by that seed's largest logit (one reduction); if a
    row of a seed then sums to less than 1e-30 (its own maximum is far below: exp could
    underflow), that seed's logits are restored and each of its rows is shifted by its own
    maximum instead. The choice is made seed by seed, so a seed's arithmetic does not depend on
    the other seeds of the stack (an exploding member does not change the others' rounding).
    """
    n = z.shape[-2]
    shift = z.max(axis=(-2, -1), keepdims=True) if z.ndim == 3 else z.max(keepdims=True)
    z -= shift
    target = _per_seed_mean(z * y, n)
    exp = np.exp(z)
    ones = np.ones((z.shape[-1], 1), dtype=z.dtype)
    total = np.matmul(exp, ones)
    if z.ndim == 2:
        if not total.min() >= 1e-30:
            z += shift
            z -= _row_max(z)
            target = _per_seed_mean(z * y, n)
            np.exp(z, out=exp)
            total = np.matmul(exp, ones)
    else:
        low = np.flatnonzero(~(total.min(axis=(-2, -1)) >= 1e-30))
        if low.size:
            zs = z[low] + shift[low]
            zs -= _row_max(zs)
            target[low] = _per_seed_mean(zs * (y[low] if y.ndim == 3 else y), n)
            z[low] = zs
            exp[low] = np.exp(zs)
            total[low] = np.matmul(exp[low], ones)
    np.divide(exp, total, out=z)
    return _per_seed_mean(np.log(total), n) - target


def _logistic_log_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = z.shape[-2]
    loss = _per_seed_mean(np.logaddexp(0, z) - z * y, n)
    special.expit(z, out=z)
    return loss


def _squared_error(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    diff = z - y
    diff *= diff
    return 0.5 * _per_seed_mean(diff, z.shape[-2])


OUTPUT_LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "softmax": _softmax_log_loss,
    "logistic": _logistic_log_loss,
    "identity": _squared_error,
}
"""By output activation: ``loss(z, y)`` makes ``z`` the output in place and returns the loss per seed."""

OUT_ACTIVATION_LOSS: dict[str, str] = {
    "softmax": "log_loss",
    "logistic": "binary_log_loss",
    "identity": "squared_error",
}
"""The name of the loss paired with each output activation."""
