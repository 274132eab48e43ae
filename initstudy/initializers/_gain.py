"""Activation gains, as PyTorch's ``calculate_gain``, extended to ELU and GELU."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..exceptions import ConfigError, unknown_name_error
from ._checks import check_real

__all__ = ["gain"]


def _normal_cdf(x: float) -> float:
    """Phi(x), the standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _leaky_relu(slope: float) -> float:
    return math.sqrt(2.0 / (1.0 + slope**2))


def _elu(alpha: float) -> float:
    # E[elu(z)^2], z ~ N(0, 1): 1/2 from z > 0, and alpha^2 E[(e^z - 1)^2; z < 0] in closed form.
    negative = math.e**2 * _normal_cdf(-2.0) - 2.0 * math.exp(0.5) * _normal_cdf(-1.0) + 0.5
    return 1.0 / math.sqrt(0.5 + alpha**2 * negative)


def _fixed(value: float) -> Callable[[float], float]:
    return lambda _param: value


#: activation -> (gain as a function of the parameter, the parameter's name, its default).
_GAINS: dict[str, tuple[Callable[[float], float], str | None, float]] = {
    "identity": (_fixed(1.0), None, 0.0),
    "linear": (_fixed(1.0), None, 0.0),
    "logistic": (_fixed(1.0), None, 0.0),
    "sigmoid": (_fixed(1.0), None, 0.0),
    "tanh": (_fixed(5.0 / 3.0), None, 0.0),
    "relu": (_fixed(math.sqrt(2.0)), None, 0.0),
    "leaky_relu": (_leaky_relu, "negative_slope", 0.01),
    "selu": (_fixed(0.75), None, 0.0),
    "elu": (_elu, "alpha", 1.0),
    # E[gelu(z)^2] = 1/3 + 1/(2 pi sqrt 3) for the exact GELU z Phi(z).
    "gelu": (
        _fixed(1.0 / math.sqrt(1.0 / 3.0 + 1.0 / (2.0 * math.pi * math.sqrt(3.0)))),
        None,
        0.0,
    ),
}


def gain(activation: str, param: float | None = None) -> float:
    """Return the recommended gain for an activation, as PyTorch's ``calculate_gain``.

    Multiply an initializer's standard deviation (``Orthogonal(gain=...)``, or
    ``VarianceScaling(scale=gain**2)``) by it to keep the signal's scale through the layer.

    ==============================  ==================================================
    activation                      gain
    ==============================  ==================================================
    identity, linear                1
    logistic, sigmoid               1
    tanh                            5/3
    relu                            sqrt(2)
    leaky_relu (param: slope)       sqrt(2 / (1 + slope**2)), slope 0.01 by default
    selu                            3/4 (PyTorch's choice for self-normalizing nets)
    elu (param: alpha)              1 / sqrt(E[elu(z)**2]), about 1.2452 for alpha 1
    gelu                            1 / sqrt(E[gelu(z)**2]), about 1.5335
    ==============================  ==================================================

    PyTorch has no entry for ELU and GELU; for them the gain is the second-moment rule
    ``1 / sqrt(E[f(z)**2])`` with ``z ~ N(0, 1)`` (computed in closed form), the rule that gives
    exactly PyTorch's values for identity (1) and ReLU (sqrt 2).

    Parameters
    ----------
    activation : str
        One of the names above.
    param : float, optional
        The negative slope of ``leaky_relu`` or the alpha of ``elu``; other activations take none.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        If the activation is unknown (the message lists the valid names) or ``param`` is invalid.

    Examples
    --------
    >>> round(gain("relu"), 4)
    1.4142
    >>> round(gain("leaky_relu", 0.2), 4)
    1.3868
    """
    key = activation.strip().lower() if isinstance(activation, str) else activation
    if key not in _GAINS:
        raise unknown_name_error("activation", activation, _GAINS)
    function, param_name, default = _GAINS[key]
    if param is None:
        return float(function(default))
    if param_name is None:
        raise ConfigError(
            f"The activation {key!r} takes no gain parameter (only leaky_relu and elu do). "
            f"Got param={param!r} instead."
        )
    low = 0.0 if key == "elu" else None
    return float(function(check_real("gain", param_name, param, low=low)))
