"""Sparse initialization (Martens 2010): each unit keeps a few nonzero incoming weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import BaseDrawn
from ._checks import check_int, check_real
from ._registry import register

__all__ = ["Sparse"]


@register
class Sparse(BaseDrawn):
    """Give each output unit ``nonzero`` nonzero incoming weights drawn from N(0, stddev^2).

    In a kernel ``(fan_in, fan_out)`` the incoming weights of unit ``j`` are the column
    ``W[:, j]``: each column gets ``k = min(nonzero, fan_in)`` nonzero entries at rows chosen
    uniformly without replacement, independently per column (and per leading index of a stacked
    shape); the other entries are 0. As in Martens (2010), the nonzero weights are unit Gaussians
    by default (``stddev=1``), so each unit's pre-activation has variance ``k * stddev**2`` times
    the input's, whatever the fan-in; an entry's variance is ``stddev**2 * k / fan_in``. The
    estimator's ``init_scale`` rescales it as a hyperparameter.

    Parameters
    ----------
    nonzero : int, default 15
        Nonzero incoming weights per unit (Martens used 15); must be >= 1. Layers with fewer
        inputs are dense.
    stddev : float, default 1.0
        Standard deviation of the nonzero weights; must be > 0.

    Examples
    --------
    >>> import numpy as np
    >>> w = Sparse(nonzero=3)((10, 4), rng=np.random.default_rng(0))
    >>> (w != 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """

    min_ndim = 2

    def __init__(self, nonzero: int = 15, stddev: float = 1.0) -> None:
        owner = type(self).__name__
        self.nonzero = check_int(owner, "nonzero", nonzero, low=1)
        self.stddev = check_real(owner, "stddev", stddev, low=0.0, strict=True)

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        fan_in = shape[-2]
        keep = min(self.nonzero, fan_in)
        if keep == 0 or 0 in shape:
            return np.zeros(shape)
        keys = rng.random(shape)
        # The k rows with the smallest keys in each column: a uniform k-subset per unit.
        threshold = np.partition(keys, keep - 1, axis=-2)[..., keep - 1 : keep, :]
        values = self.stddev * rng.standard_normal(shape)
        return np.where(keys <= threshold, values, 0.0)

    def get_config(self) -> dict[str, Any]:
        return {"nonzero": self.nonzero, "stddev": self.stddev}
