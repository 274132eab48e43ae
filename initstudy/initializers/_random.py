"""Fixed-scale random initializers: normal, uniform and truncated normal (Keras 3 defaults)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import BaseDrawn
from ._checks import check_real
from ._registry import register

__all__ = ["RandomNormal", "RandomUniform", "TruncatedNormal", "truncated_standard_normal"]

#: Values of a truncated normal lie within this many standard deviations of the mean.
TRUNCATION = 2.0


def truncated_standard_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw N(0, 1) values, redrawing every value beyond +-2 until none is left (as Keras does).

    The result has standard deviation 0.87962566103423978, not 1.
    """
    out = rng.standard_normal(shape)
    outside = np.abs(out) > TRUNCATION
    while outside.any():
        out[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(out) > TRUNCATION
    return out


@register
class RandomNormal(BaseDrawn):
    """Draw from N(mean, stddev^2) (Keras ``RandomNormal``).

    Parameters
    ----------
    mean : float, default 0.0
        The mean of the distribution.
    stddev : float, default 0.05
        The standard deviation; must be > 0.

    Examples
    --------
    >>> import numpy as np
    >>> RandomNormal(stddev=0.01)((3, 2), rng=np.random.default_rng(0)).shape
    (3, 2)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        owner = type(self).__name__
        self.mean = check_real(owner, "mean", mean)
        self.stddev = check_real(owner, "stddev", stddev, low=0.0, strict=True)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * rng.standard_normal(shape)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev}


@register
class TruncatedNormal(RandomNormal):
    """Draw from N(mean, stddev^2), redrawing values beyond 2 stddev (Keras ``TruncatedNormal``).

    As in Keras, ``stddev`` is the standard deviation before truncation: the values' own standard
    deviation is ``0.87962566103423978 * stddev``.

    Parameters
    ----------
    mean : float, default 0.0
        The mean of the distribution.
    stddev : float, default 0.05
        The standard deviation before truncation; must be > 0.

    Examples
    --------
    >>> import numpy as np
    >>> w = TruncatedNormal(stddev=1.0)((100, 10), rng=np.random.default_rng(0))
    >>> bool(np.abs(w).max() <= 2.0)
    True
    """

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * truncated_standard_normal(shape, rng)


@register
class RandomUniform(BaseDrawn):
    """Draw from U(minval, maxval) (Keras ``RandomUniform``).

    Parameters
    ----------
    minval : float, default -0.05
        The lower bound.
    maxval : float, default 0.05
        The upper bound; must be > ``minval``.

    Examples
    --------
    >>> import numpy as np
    >>> w = RandomUniform(-1.0, 1.0)((4, 4), rng=np.random.default_rng(0))
    >>> bool(np.abs(w).max() < 1.0)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05) -> None:
        owner = type(self).__name__
        self.minval = check_real(owner, "minval", minval)
        self.maxval = check_real(owner, "maxval", maxval, low=self.minval, strict=True)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval}
