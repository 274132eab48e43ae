"""The initializer base class and fan computation."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from ..exceptions import ConfigError
from ._checks import check_dtype, check_shape

__all__ = ["BaseDrawn", "Initializer", "bias_shape", "compute_fans"]


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight shape, as Keras 3 computes them.

    A dense kernel has shape ``(fan_in, fan_out)``; a 1-D shape counts as its own fan; a stacked
    shape ``(..., fan_in, fan_out)`` (the multi-seed engine's) uses its last two axes.
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    return int(shape[-2]), int(shape[-1])


def bias_shape(kernel_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Return the bias shape ``(..., fan_out)`` of a kernel shape ``(..., fan_in, fan_out)``."""
    shape = tuple(int(d) for d in kernel_shape)
    return shape[:-2] + shape[-1:]


class Initializer(abc.ABC):
    """A named, configurable way to draw a weight array.

    Subclasses implement :meth:`__call__`; their constructor arguments are their whole
    configuration, so ``type(init)(**init.get_config())`` rebuilds an equal initializer.
    Randomness is always passed in as a :class:`numpy.random.Generator`.

    Attributes
    ----------
    data_dependent : bool
        True when the initializer needs a batch of data (see :meth:`calibrate`).
    draws_bias : bool
        True when the scheme also defines how biases are drawn (see :meth:`draw_bias`).
    """

    data_dependent: ClassVar[bool] = False
    draws_bias: ClassVar[bool] = False

    @abc.abstractmethod
    def __call__(
        self,
        shape: tuple[int, ...],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float64,
    ) -> np.ndarray:
        """Draw an array of ``shape`` and ``dtype`` from ``rng``."""

    def draw_bias(
        self,
        shape: tuple[int, ...],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float64,
    ) -> np.ndarray:
        """Draw the bias of a layer whose kernel has ``shape``; zeros unless the scheme says so.

        A stacked kernel shape ``(..., fan_in, fan_out)`` gives biases of shape ``(..., fan_out)``.
        """
        return np.zeros(bias_shape(shape), dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuild an initializer from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.get_config().items()))))


class BaseDrawn(Initializer):
    """An initializer that checks its call, draws in float64 and casts to ``dtype``.

    Subclasses implement :meth:`_draw`; drawing in float64 first means a float32 and a float64
    call from the same generator state agree up to rounding. Stacked shapes
    ``(..., fan_in, fan_out)`` are drawn independently per leading index.
    """

    min_ndim: ClassVar[int] = 1

    def __call__(
        self,
        shape: tuple[int, ...],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float64,
    ) -> np.ndarray:
        """Draw an array of ``shape`` and ``dtype`` from ``rng``.

        Parameters
        ----------
        shape : tuple of int
            The array shape; kernels are ``(fan_in, fan_out)`` or stacked ``(..., fan_in, fan_out)``.
        rng : numpy.random.Generator
            The source of randomness (deterministic schemes do not consume it).
        dtype : float32 or float64, default float64
            The dtype of the result.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        ConfigError
            If the shape, the dtype or the generator is not valid for this scheme.
        """
        owner = type(self).__name__
        checked = check_shape(owner, shape)
        if len(checked) < self.min_ndim:
            raise ConfigError(
                f"{owner} needs a shape with at least {self.min_ndim} axes (..., fan_in, fan_out). "
                f"Got {tuple(shape)!r} instead."
            )
        result_dtype = check_dtype(owner, dtype)
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(
                f"The 'rng' argument of {owner} must be a numpy.random.Generator "
                f"(numpy.random.default_rng(seed)). Got {type(rng).__name__} instead."
            )
        return np.asarray(self._draw(checked, rng), dtype=np.float64).astype(
            result_dtype, copy=False
        )

    @abc.abstractmethod
    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return the float64 array of ``shape`` (already checked)."""
