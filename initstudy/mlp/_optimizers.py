"""Stochastic optimizers acting on the whole stacked parameter buffer at once.

Parameters, gradients and optimizer moments are ``(n_seeds, n_params)`` arrays, so one step
is a handful of whole-buffer operations, whatever the number of layers. Seeds share the step
counter (they all step together) but the SGD learning rate is per seed, because the
``adaptive`` schedule lowers it seed by seed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Adam", "SGD", "make_optimizer"]

_MIN_ADAPTIVE_LR = 1e-6


class Adam:
    """Adam (Kingma & Ba 2014) with scikit-learn's bias-corrected step size."""

    def __init__(
        self,
        shape: tuple[int, int],
        dtype: Any,
        *,
        learning_rate_init: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ) -> None:
        self.learning_rate_init = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m = np.zeros(shape, dtype=dtype)
        self.v = np.zeros(shape, dtype=dtype)
        self._tmp = np.empty(shape, dtype=dtype)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update in place."""
        self.t += 1
        b1, b2, tmp = self.beta_1, self.beta_2, self._tmp
        lr = self.learning_rate_init * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.m *= b1
        np.multiply(grads, 1 - b1, out=tmp)
        self.m += tmp
        self.v *= b2
        np.multiply(grads, grads, out=tmp)
        tmp *= 1 - b2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp += self.epsilon
        np.divide(self.m, tmp, out=tmp)
        tmp *= lr
        params -= tmp

    def epoch_end(self, samples_seen: int) -> None:
        """Adam has no schedule."""

    def plateau(self, seeds: np.ndarray) -> np.ndarray:
        """A plateau stops every seed in ``seeds`` (boolean mask): all of them stop."""
        return seeds.copy()

    def select(self, keep: np.ndarray) -> None:
        """Keep only the seeds at positions ``keep``."""
        self.m, self.v, self._tmp = self.m[keep], self.v[keep], self._tmp[keep]


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum and scikit-learn's schedules."""

    def __init__(
        self,
        shape: tuple[int, int],
        dtype: Any,
        *,
        learning_rate_init: float,
        learning_rate: str,
        momentum: float,
        nesterovs_momentum: bool,
        power_t: float,
    ) -> None:
        self.learning_rate_init = learning_rate_init
        self.schedule, self.power_t = learning_rate, power_t
        self.momentum, self.nesterov = momentum, nesterovs_momentum
        self.t = 0
        self.lr = np.full((shape[0], 1), learning_rate_init, dtype=dtype)
        self.velocity = np.zeros(shape, dtype=dtype)
        self._tmp = np.empty(shape, dtype=dtype)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update in place."""
        self.t += 1
        tmp = self._tmp
        np.multiply(grads, self.lr, out=tmp)
        self.velocity *= self.momentum
        self.velocity -= tmp
        if self.nesterov:
            np.multiply(self.velocity, self.momentum, out=grads)
            grads -= tmp
            params += grads
        else:
            params += self.velocity

    def epoch_end(self, samples_seen: int) -> None:
        """Update the ``invscaling`` learning rate from the number of samples seen."""
        if self.schedule == "invscaling":
            self.lr[:] = self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def plateau(self, seeds: np.ndarray) -> np.ndarray:
        """Handle a plateau for the seeds in ``seeds``; return the mask of seeds that stop.

        With the ``adaptive`` schedule a seed divides its learning rate by 5 and goes on until
        the rate falls to 1e-6; otherwise every plateaued seed stops.
        """
        if self.schedule != "adaptive":
            return seeds.copy()
        lr = self.lr[:, 0]
        stop = seeds & (lr <= _MIN_ADAPTIVE_LR)
        lower = seeds & ~stop
        lr[lower] /= 5.0
        return stop

    def select(self, keep: np.ndarray) -> None:
        """Keep only the seeds at positions ``keep``."""
        self.lr, self.velocity, self._tmp = self.lr[keep], self.velocity[keep], self._tmp[keep]


def make_optimizer(
    solver: str, shape: tuple[int, int], dtype: Any, params: dict[str, Any]
) -> Adam | SGD:
    """Build the optimizer named ``solver`` for a ``(n_seeds, n_params)`` buffer."""
    if solver == "adam":
        keys = ("learning_rate_init", "beta_1", "beta_2", "epsilon")
        return Adam(shape, dtype, **{k: params[k] for k in keys})
    keys = ("learning_rate_init", "learning_rate", "momentum", "nesterovs_momentum", "power_t")
    return SGD(shape, dtype, **{k: params[k] for k in keys})
