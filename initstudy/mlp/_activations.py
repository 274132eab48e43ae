"""Hidden and output activations as lookup tables of in-place functions.

Every hidden activation is a pair of functions working on preallocated buffers:
``forward(z, out)`` writes ``f(z)`` into ``out`` and ``backward(z, a, delta)`` multiplies
``delta`` in place by ``f'(z)`` (``a = f(z)`` is given so most derivatives need no
transcendental function). Output activations only have ``forward``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import special

__all__ = ["ACTIVATIONS", "OUT_ACTIVATIONS", "Activation", "apply_activation"]

LEAKY_SLOPE = 0.01
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 0.70710678118654752440
_INV_SQRT2PI = 0.39894228040143267794


class Activation(NamedTuple):
    """A hidden activation: in-place forward and in-place derivative product."""

    forward: Callable[[np.ndarray, np.ndarray], None]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray], None]


def _identity(z: np.ndarray, out: np.ndarray) -> None:
    if out is not z:
        np.copyto(out, z)


def _identity_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    return None


def _logistic(z: np.ndarray, out: np.ndarray) -> None:
    special.expit(z, out=out)


def _logistic_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    delta *= a
    delta *= 1 - a


def _tanh(z: np.ndarray, out: np.ndarray) -> None:
    np.tanh(z, out=out)


def _tanh_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    delta *= 1 - a * a


def _relu(z: np.ndarray, out: np.ndarray) -> None:
    # max(z, 0 * z): the array-array maximum is vectorized, the one against a scalar 0 was
    # half as fast (40 against 20 us on a (8, 200, 64) float32 batch). Same values, NaN kept.
    if out is z:
        np.maximum(z, 0, out=out)
        return
    np.multiply(z, 0, out=out)
    np.maximum(z, out, out=out)


def _relu_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    np.multiply(delta, z > 0, out=delta)


def _leaky_relu(z: np.ndarray, out: np.ndarray) -> None:
    np.multiply(z, LEAKY_SLOPE, out=out)
    np.maximum(z, out, out=out)


def _leaky_relu_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    delta *= np.where(z > 0, np.ones(1, delta.dtype), np.full(1, LEAKY_SLOPE, delta.dtype))


def _elu(z: np.ndarray, out: np.ndarray) -> None:
    np.minimum(z, 0, out=out)
    np.expm1(out, out=out)
    out += np.maximum(z, 0)


def _elu_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    delta *= np.where(z > 0, np.ones(1, delta.dtype), a + 1)


def _selu(z: np.ndarray, out: np.ndarray) -> None:
    np.minimum(z, 0, out=out)
    np.expm1(out, out=out)
    out *= SELU_ALPHA
    out += np.maximum(z, 0)
    out *= SELU_SCALE


def _selu_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    delta *= np.where(z > 0, np.full(1, SELU_SCALE, delta.dtype), a + SELU_SCALE * SELU_ALPHA)


def _gelu(z: np.ndarray, out: np.ndarray) -> None:
    np.multiply(z, _INV_SQRT2, out=out)
    special.erf(out, out=out)
    out += 1
    out *= z
    out *= 0.5


def _gelu_grad(z: np.ndarray, a: np.ndarray, delta: np.ndarray) -> None:
    cdf = special.erf(z * _INV_SQRT2)
    cdf += 1
    cdf *= 0.5
    pdf = np.exp(-0.5 * z * z)
    pdf *= z * _INV_SQRT2PI
    cdf += pdf
    delta *= cdf


def _softmax(z: np.ndarray, out: np.ndarray) -> None:
    np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(_identity, _identity_grad),
    "logistic": Activation(_logistic, _logistic_grad),
    "tanh": Activation(_tanh, _tanh_grad),
    "relu": Activation(_relu, _relu_grad),
    "leaky_relu": Activation(_leaky_relu, _leaky_relu_grad),
    "elu": Activation(_elu, _elu_grad),
    "selu": Activation(_selu, _selu_grad),
    "gelu": Activation(_gelu, _gelu_grad),
}
"""Hidden activations by name (leaky_relu slope 0.01, elu alpha 1, gelu the exact erf form)."""

OUT_ACTIVATIONS: dict[str, Callable[[np.ndarray, np.ndarray], None]] = {
    "identity": _identity,
    "logistic": _logistic,
    "softmax": _softmax,
}
"""Output activations by name (each the canonical link of its loss)."""


def apply_activation(name: str, z: np.ndarray) -> np.ndarray:
    """Return ``f(z)`` in a new array, for the hidden activation ``name``."""
    out = np.empty_like(z)
    ACTIVATIONS[name].forward(z, out)
    return out
