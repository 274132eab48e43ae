"""The default initializations of scikit-learn's MLP and PyTorch's ``nn.Linear``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import BaseDrawn, bias_shape, compute_fans
from ._checks import check_choice, check_dtype
from ._gain import gain
from ._registry import register

__all__ = ["SklearnDefault", "TorchDefault"]

#: The activations initstudy's MLPs accept; scikit-learn's rule only singles out "logistic".
ACTIVATIONS = ("elu", "gelu", "identity", "leaky_relu", "logistic", "relu", "selu", "tanh")


class _UniformWithBias(BaseDrawn):
    """Weights and biases both U(-bound, bound), the bound set by the kernel's fans."""

    draws_bias = True

    def bound(self, shape: tuple[int, ...]) -> float:
        """Return the half-width of the uniform distribution for a kernel of ``shape``."""
        raise NotImplementedError

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        limit = self.bound(shape)
        return rng.uniform(-limit, limit, size=shape)

    def draw_bias(
        self, shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any = np.float64
    ) -> np.ndarray:
        """Draw the biases ``(..., fan_out)`` of a kernel of ``shape`` from the weights' law."""
        limit = self.bound(tuple(shape))
        draw = rng.uniform(-limit, limit, size=bias_shape(shape))
        return draw.astype(check_dtype(type(self).__name__, dtype), copy=False)


@register
class SklearnDefault(_UniformWithBias):
    """scikit-learn's ``MLPClassifier``/``MLPRegressor`` initialization.

    Weights and biases are drawn from U(-b, b) with ``b = sqrt(f / (fan_in + fan_out))``,
    ``f = 2`` for the logistic activation and 6 otherwise (Glorot uniform for f = 6). Draw the
    kernel, then the bias, layer by layer, to follow scikit-learn's order (its numbers differ: it
    uses a legacy ``RandomState``).

    Parameters
    ----------
    activation : str, default "relu"
        The network's hidden activation, which sets ``f``. Estimators pass their own
        ``activation`` when they resolve this initializer.

    Attributes
    ----------
    draws_bias : bool
        True: :meth:`draw_bias` draws the biases from the same distribution.

    Examples
    --------
    >>> import numpy as np
    >>> init = SklearnDefault(activation="logistic")
    >>> round(init.bound((6, 2)), 4)
    0.5
    """

    def __init__(self, activation: str = "relu") -> None:
        self.activation = check_choice(type(self).__name__, "activation", activation, ACTIVATIONS)

    def bound(self, shape: tuple[int, ...]) -> float:
        """Return ``sqrt(f / (fan_in + fan_out))`` for a kernel of ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        factor = 2.0 if self.activation == "logistic" else 6.0
        return math.sqrt(factor / max(1, fan_in + fan_out))

    def get_config(self) -> dict[str, Any]:
        return {"activation": self.activation}


@register
class TorchDefault(_UniformWithBias):
    """PyTorch's ``nn.Linear`` initialization.

    Weights ``kaiming_uniform_(a=sqrt(5))``, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
    biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)). PyTorch stores weights as (fan_out, fan_in); here
    kernels are (fan_in, fan_out), with the same fans.

    Attributes
    ----------
    draws_bias : bool
        True: :meth:`draw_bias` draws the biases too.

    Examples
    --------
    >>> import numpy as np
    >>> w = TorchDefault()((4, 3), rng=np.random.default_rng(0))
    >>> bool(np.abs(w).max() < 0.5)
    True
    """

    def bound(self, shape: tuple[int, ...]) -> float:
        """Return ``sqrt(3) * gain("leaky_relu", sqrt(5)) / sqrt(fan_in)``, i.e. ``1 / sqrt(fan_in)``."""
        fan_in, _ = compute_fans(shape)
        return math.sqrt(3.0) * gain("leaky_relu", math.sqrt(5.0)) / math.sqrt(max(1, fan_in))
