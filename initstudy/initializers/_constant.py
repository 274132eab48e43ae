"""Deterministic initializers: zeros, ones, a constant, the (partial) identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import BaseDrawn
from ._checks import check_real
from ._registry import register

__all__ = ["Constant", "Identity", "Ones", "Zeros"]


@register
class Constant(BaseDrawn):
    """Fill the array with one value (Keras ``Constant``).

    Parameters
    ----------
    value : float, default 0.0
        The value of every entry.

    Examples
    --------
    >>> import numpy as np
    >>> Constant(0.5)((2, 2), rng=np.random.default_rng(0))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_real(type(self).__name__, "value", value)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, self.value)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


@register
class Zeros(Constant):
    """Fill the array with zeros (Keras ``Zeros``): every unit of a layer stays identical.

    Examples
    --------
    >>> import numpy as np
    >>> Zeros()((1, 3), rng=np.random.default_rng(0))
    array([[0., 0., 0.]])
    """

    def __init__(self) -> None:
        super().__init__(0.0)

    def get_config(self) -> dict[str, Any]:
        return {}


@register
class Ones(Constant):
    """Fill the array with ones (Keras ``Ones``).

    Examples
    --------
    >>> import numpy as np
    >>> Ones()((1, 2), rng=np.random.default_rng(0))
    array([[1., 1.]])
    """

    def __init__(self) -> None:
        super().__init__(1.0)

    def get_config(self) -> dict[str, Any]:
        return {}


@register
class Identity(BaseDrawn):
    """``gain`` times the (partial) identity matrix (Keras ``Identity``).

    A rectangular kernel ``(fan_in, fan_out)`` gets ones on its main diagonal
    ``W[i, i], i < min(fan_in, fan_out)`` and zeros elsewhere; a stacked shape repeats it.

    Parameters
    ----------
    gain : float, default 1.0
        Multiplies the identity; must be > 0.

    Examples
    --------
    >>> import numpy as np
    >>> Identity(gain=2.0)((2, 3), rng=np.random.default_rng(0))
    array([[2., 0., 0.],
           [0., 2., 0.]])
    """

    min_ndim = 2

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = check_real(type(self).__name__, "gain", gain, low=0.0, strict=True)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        eye = self.gain * np.eye(shape[-2], shape[-1])
        return np.array(np.broadcast_to(eye, shape))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}
