"""Stochastic optimizers acting on the whole stacked parameter buffer at once.

Parameters, gradients and optimizer moments are ``(n_members, n_params)`` arrays, so one step
is a handful of whole-buffer operations, whatever the number of layers. The learning rate,
the SGD momentum and the step counter are per member (a ``(n_members,)`` or
``(n_members, 1)`` array broadcast over the member axis): members of one stack may differ in
``learning_rate_init`` and ``momentum``, the ``adaptive`` schedule lowers the rate member by
member, and members trained on different row counts take different numbers of steps. A
member's step is the arithmetic of its single fit: each per-member factor is computed in
float64 exactly as for one network and rounded once to the training dtype.

``step(params, grads, rows)`` updates only the members at positions ``rows`` (``params`` and
``grads`` then hold just those members): the engine uses it for the last batches of an epoch
when members have different row counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Adam", "SGD", "make_optimizer"]

_MIN_ADAPTIVE_LR = 1e-6


def _per_member(value: Any, n: int) -> np.ndarray:
    """``value`` (a number or one per member) as a float64 ``(n,)`` array."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


class Adam:
    """Adam (Kingma & Ba 2014) with scikit-learn's bias-corrected step size."""

    def __init__(
        self,
        shape: tuple[int, int],
        dtype: Any,
        *,
        learning_rate_init: float | np.ndarray,
        beta_1: float,
        beta_2: float,
        epsilon: float,
    ) -> None:
        self.learning_rate_init = _per_member(learning_rate_init, shape[0])
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = np.zeros(shape[0], dtype=np.int64)
        self.m = np.zeros(shape, dtype=dtype)
        self.v = np.zeros(shape, dtype=dtype)
        self._tmp = np.empty(shape, dtype=dtype)

    def _rates(self, t: np.ndarray, lr: np.ndarray) -> np.ndarray:
        """Each member's bias-corrected step size ``lr * sqrt(1 - b2^t) / (1 - b1^t)``, (K, 1)."""
        b1, b2 = self.beta_1, self.beta_2
        if (t == t[0]).all():  # the usual case: one factor (Python floats, as for one network)
            step = int(t[0])
            rate = lr * math.sqrt(1 - b2**step) / (1 - b1**step)
        else:
            steps = t.tolist()
            root = np.array([math.sqrt(1 - b2**s) for s in steps])
            rate = lr * root / np.array([1 - b1**s for s in steps])
        return rate.astype(self.m.dtype)[:, np.newaxis]

    def step(self, params: np.ndarray, grads: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Apply one update in place (to the members at ``rows`` only, when given)."""
        if rows is None:
            self.t += 1
            rate = self._rates(self.t, self.learning_rate_init)
            self._update(params, grads, self.m, self.v, self._tmp, rate)
            return
        self.t[rows] += 1
        rate = self._rates(self.t[rows], self.learning_rate_init[rows])
        m, v = self.m[rows], self.v[rows]
        self._update(params, grads, m, v, np.empty_like(m), rate)
        self.m[rows], self.v[rows] = m, v

    def _update(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        m: np.ndarray,
        v: np.ndarray,
        tmp: np.ndarray,
        rate: np.ndarray,
    ) -> None:
        b1, b2 = self.beta_1, self.beta_2
        m *= b1
        np.multiply(grads, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(grads, grads, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= rate
        params -= tmp

    def epoch_end(self, samples_seen: np.ndarray) -> None:
        """Adam has no schedule."""

    def plateau(self, seeds: np.ndarray) -> np.ndarray:
        """A plateau stops every member in ``seeds`` (boolean mask): all of them stop."""
        return seeds.copy()

    def select(self, keep: np.ndarray) -> None:
        """Keep only the members at positions ``keep``."""
        self.m, self.v, self._tmp = self.m[keep], self.v[keep], self._tmp[keep]
        self.t, self.learning_rate_init = self.t[keep], self.learning_rate_init[keep]


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum and scikit-learn's schedules."""

    def __init__(
        self,
        shape: tuple[int, int],
        dtype: Any,
        *,
        learning_rate_init: float | np.ndarray,
        learning_rate: str,
        momentum: float | np.ndarray,
        nesterovs_momentum: bool,
        power_t: float,
    ) -> None:
        self.learning_rate_init = _per_member(learning_rate_init, shape[0])
        self.schedule, self.power_t = learning_rate, power_t
        self.momentum = _per_member(momentum, shape[0]).astype(dtype)[:, np.newaxis]
        self.nesterov = nesterovs_momentum
        self.lr = self.learning_rate_init.astype(dtype)[:, np.newaxis]
        self.velocity = np.zeros(shape, dtype=dtype)
        self._tmp = np.empty(shape, dtype=dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Apply one update in place (to the members at ``rows`` only, when given)."""
        if rows is None:
            self._update(params, grads, self.velocity, self._tmp, self.lr, self.momentum)
            return
        velocity = self.velocity[rows]
        tmp = np.empty_like(velocity)
        self._update(params, grads, velocity, tmp, self.lr[rows], self.momentum[rows])
        self.velocity[rows] = velocity

    def _update(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        velocity: np.ndarray,
        tmp: np.ndarray,
        lr: np.ndarray,
        momentum: np.ndarray,
    ) -> None:
        np.multiply(grads, lr, out=tmp)
        velocity *= momentum
        velocity -= tmp
        if self.nesterov:
            np.multiply(velocity, momentum, out=grads)
            grads -= tmp
            params += grads
        else:
            params += velocity

    def epoch_end(self, samples_seen: np.ndarray) -> None:
        """Update the ``invscaling`` rate from each member's number of samples seen."""
        if self.schedule == "invscaling":
            self.lr[:, 0] = [
                lr / (seen + 1) ** self.power_t
                for lr, seen in zip(
                    self.learning_rate_init.tolist(), np.asarray(samples_seen).tolist()
                )
            ]

    def plateau(self, seeds: np.ndarray) -> np.ndarray:
        """Handle a plateau for the members in ``seeds``; return the mask of those that stop.

        With the ``adaptive`` schedule a member divides its learning rate by 5 and goes on
        until the rate falls to 1e-6; otherwise every plateaued member stops.
        """
        if self.schedule != "adaptive":
            return seeds.copy()
        lr = self.lr[:, 0]
        stop = seeds & (lr <= _MIN_ADAPTIVE_LR)
        lower = seeds & ~stop
        lr[lower] /= 5.0
        return stop

    def select(self, keep: np.ndarray) -> None:
        """Keep only the members at positions ``keep``."""
        self.lr, self.velocity, self._tmp = self.lr[keep], self.velocity[keep], self._tmp[keep]
        self.momentum, self.learning_rate_init = self.momentum[keep], self.learning_rate_init[keep]


def make_optimizer(
    solver: str, shape: tuple[int, int], dtype: Any, params: dict[str, Any]
) -> Adam | SGD:
    """Build the optimizer named ``solver`` for a ``(n_members, n_params)`` buffer.

    ``learning_rate_init`` and ``momentum`` may be one value per member.
    """
    if solver == "adam":
        keys = ("learning_rate_init", "beta_1", "beta_2", "epsilon")
        return Adam(shape, dtype, **{k: params[k] for k in keys})
    keys = ("learning_rate_init", "learning_rate", "momentum", "nesterovs_momentum", "power_t")
    return SGD(shape, dtype, **{k: params[k] for k in keys})
