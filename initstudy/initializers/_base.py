"""The initializer base class and fan computation."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

__all__ = ["Initializer", "compute_fans"]


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
        shape: tuple[int, int],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float64,
    ) -> np.ndarray:
        """Draw the bias of a layer whose kernel has ``shape``; zeros unless the scheme says so."""
        return np.zeros(shape[-1], dtype=dtype)

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
        return type(self) is type(other) and self.get_config() == other.get_config()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.get_config().items()))))
