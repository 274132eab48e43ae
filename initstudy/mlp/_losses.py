"""Loss values per seed for the three output/loss pairs.

Each output activation is the canonical link of its loss, so the gradient with respect to the
output pre-activation is ``(output - target) / batch_size`` for all three and only the loss
value differs. Losses are returned per seed, shape ``(n_seeds,)``, in float64: the mean over
samples of the per-sample loss. The squared error is halved and summed over outputs: the loss
whose gradient scikit-learn's MLPRegressor follows (its reported ``loss_`` also divides by the
number of outputs, which does not match its gradient); with one output both agree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["LOSSES", "OUT_ACTIVATION_LOSS"]


def _clip(p: np.ndarray) -> np.ndarray:
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


def _log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Softmax cross-entropy: ``-sum(y log p) / n_samples`` per seed."""
    terms = y * np.log(_clip(p))
    return -terms.sum(axis=(-2, -1), dtype=np.float64) / p.shape[-2]


def _binary_log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of one logistic output unit per seed."""
    p = _clip(p)
    terms = y * np.log(p) + (1 - y) * np.log1p(-p)
    return -terms.sum(axis=(-2, -1), dtype=np.float64) / p.shape[-2]


def _squared_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Half squared error, summed over outputs, averaged over samples, per seed."""
    diff = p - y
    diff *= diff
    return 0.5 * diff.sum(axis=(-2, -1), dtype=np.float64) / p.shape[-2]


LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "log_loss": _log_loss,
    "binary_log_loss": _binary_log_loss,
    "squared_error": _squared_loss,
}
"""Loss functions by name: ``loss(targets, outputs) -> ndarray[n_seeds]``."""

OUT_ACTIVATION_LOSS: dict[str, str] = {
    "softmax": "log_loss",
    "logistic": "binary_log_loss",
    "identity": "squared_error",
}
"""The loss paired with each output activation."""
