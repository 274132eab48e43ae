"""Variance scaling (Keras 3) and its named schemes: Glorot, LeCun and He."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._base import BaseDrawn, compute_fans
from ._checks import check_choice, check_real
from ._random import truncated_standard_normal
from ._registry import register

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "VarianceScaling",
]

#: Standard deviation of N(0, 1) truncated at +-2; Keras divides by it so the variance is exact.
TRUNCATED_STD = 0.87962566103423978

#: The fan count ``n`` each mode divides the scale by.
_FANS: dict[str, Callable[[int, int], float]] = {
    "fan_in": lambda fan_in, fan_out: float(fan_in),
    "fan_out": lambda fan_in, fan_out: float(fan_out),
    "fan_avg": lambda fan_in, fan_out: (fan_in + fan_out) / 2.0,
}

_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def _truncated(shape: tuple[int, ...], variance: float, rng: np.random.Generator) -> np.ndarray:
    return math.sqrt(variance) / TRUNCATED_STD * truncated_standard_normal(shape, rng)


def _normal(shape: tuple[int, ...], variance: float, rng: np.random.Generator) -> np.ndarray:
    return math.sqrt(variance) * rng.standard_normal(shape)


def _uniform(shape: tuple[int, ...], variance: float, rng: np.random.Generator) -> np.ndarray:
    limit = math.sqrt(3.0 * variance)
    return rng.uniform(-limit, limit, size=shape)


_SAMPLERS = {"truncated_normal": _truncated, "untruncated_normal": _normal, "uniform": _uniform}


@register
class VarianceScaling(BaseDrawn):
    """Draw with variance ``scale / max(1, n)``, n given by ``mode`` (Keras ``VarianceScaling``).

    With ``n`` = fan_in, fan_out or (fan_in + fan_out) / 2 of the kernel ``(..., fan_in, fan_out)``
    and ``s = scale / max(1, n)``: ``truncated_normal`` draws N(0, sqrt(s) / 0.8796...) cut at
    2 standard deviations (so the variance is ``s``), ``untruncated_normal`` draws N(0, s), and
    ``uniform`` draws U(-sqrt(3 s), sqrt(3 s)).

    Parameters
    ----------
    scale : float, default 1.0
        Must be > 0.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        ``"normal"`` is accepted as ``"truncated_normal"``, as in Keras.

    Raises
    ------
    ConfigError
        If an argument is out of range or unknown.

    Examples
    --------
    >>> import numpy as np
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal")
    >>> w = init((400, 300), rng=np.random.default_rng(0))
    >>> round(float(w.var() * 400), 1)
    2.0
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
    ) -> None:
        owner = type(self).__name__
        self.scale = check_real(owner, "scale", scale, low=0.0, strict=True)
        self.mode = check_choice(owner, "mode", mode, _FANS)
        if isinstance(distribution, str) and distribution.strip().lower() == "normal":
            distribution = "truncated_normal"
        self.distribution = check_choice(owner, "distribution", distribution, _DISTRIBUTIONS)

    def variance(self, shape: tuple[int, ...]) -> float:
        """Return the variance ``scale / max(1, n)`` the scheme gives a kernel of ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        return self.scale / max(1.0, _FANS[self.mode](fan_in, fan_out))

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return _SAMPLERS[self.distribution](shape, self.variance(shape), rng)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}


class _NamedScheme(VarianceScaling):
    """A fixed VarianceScaling setting: no constructor arguments, an empty config."""

    _setting: tuple[float, str, str]

    def __init__(self) -> None:
        super().__init__(*self._setting)

    def get_config(self) -> dict[str, Any]:
        return {}


@register
class GlorotUniform(_NamedScheme):
    """Glorot (Xavier) uniform: U(+-sqrt(6 / (fan_in + fan_out))), i.e. scale 1, fan_avg."""

    _setting = (1.0, "fan_avg", "uniform")


@register
class GlorotNormal(_NamedScheme):
    """Glorot (Xavier) normal: truncated normal with variance 2 / (fan_in + fan_out)."""

    _setting = (1.0, "fan_avg", "truncated_normal")


@register
class LecunUniform(_NamedScheme):
    """LeCun uniform: U(+-sqrt(3 / fan_in)), i.e. scale 1, fan_in."""

    _setting = (1.0, "fan_in", "uniform")


@register
class LecunNormal(_NamedScheme):
    """LeCun normal: truncated normal with variance 1 / fan_in (the SELU initialization)."""

    _setting = (1.0, "fan_in", "truncated_normal")


@register
class HeUniform(_NamedScheme):
    """He (Kaiming) uniform: U(+-sqrt(6 / fan_in)), i.e. scale 2, fan_in."""

    _setting = (2.0, "fan_in", "uniform")


@register
class HeNormal(_NamedScheme):
    """He (Kaiming) normal: truncated normal with variance 2 / fan_in (He et al. 2015)."""

    _setting = (2.0, "fan_in", "truncated_normal")
