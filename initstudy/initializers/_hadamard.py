"""ZerO initialization (Zhao et al. 2021): deterministic identities and Hadamard mixing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import BaseDrawn
from ._registry import register

__all__ = ["HadamardIdentity", "hadamard_block"]


def hadamard_block(rows: int, cols: int) -> np.ndarray:
    """Return the top-left ``(rows, cols)`` block of a Sylvester Hadamard matrix (entries +-1).

    Entry ``(i, j)`` of the Sylvester matrix is ``(-1) ** popcount(i & j)``, so the block is
    built without the full ``2**m`` square.
    """
    bits = np.arange(rows)[:, np.newaxis] & np.arange(cols)[np.newaxis, :]
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return 1.0 - 2.0 * parity


def zero_matrix(fan_in: int, fan_out: int) -> np.ndarray:
    """Return the ZerO kernel ``(fan_in, fan_out)``: see :class:`HadamardIdentity`."""
    if fan_out <= fan_in:
        return np.eye(fan_in, fan_out)
    order = math.ceil(math.log2(fan_out))
    return hadamard_block(fan_in, fan_out) / math.sqrt(2.0**order)


@register
class HadamardIdentity(BaseDrawn):
    """ZerO initialization: only zeros, ones and a Hadamard mix; no randomness.

    Zhao et al. (2021), Algorithm 1, in initstudy's kernel layout ``(fan_in, fan_out)``:

    * ``fan_out <= fan_in`` (the layer keeps or narrows the width): the partial identity
      ``W[i, i] = 1`` for ``i < fan_out``, zeros elsewhere; the layer passes on the first
      ``fan_out`` inputs.
    * ``fan_out > fan_in`` (the layer widens): with ``m = ceil(log2(fan_out))`` and ``H_m`` the
      Sylvester Hadamard matrix of size ``2**m`` (entries +-1),
      ``W = I*(fan_in, 2**m) @ (H_m / 2**(m/2)) @ I*(2**m, fan_out)``, i.e. the top-left
      ``(fan_in, fan_out)`` block of the normalized (orthogonal) Hadamard matrix. Identity alone
      would copy the inputs into the first units and leave the others at zero; the Hadamard mix
      spreads every input over all new units and breaks the symmetry between them.

    The paper's pseudo-code writes the constant as ``c = 2**(-(m - 1)/2)``; the authors' code
    (and this class) divides by ``2**(m/2)``, which makes the mixed matrix orthogonal. The two
    differ by sqrt(2): use the estimator's ``init_scale`` to study the scale. A stacked shape
    repeats the matrix (every seed gets the same weights).

    Examples
    --------
    >>> import numpy as np
    >>> HadamardIdentity()((2, 4), rng=np.random.default_rng(0))
    array([[ 0.5,  0.5,  0.5,  0.5],
           [ 0.5, -0.5,  0.5, -0.5]])
    """

    min_ndim = 2

    def _draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        kernel = zero_matrix(shape[-2], shape[-1])
        return np.array(np.broadcast_to(kernel, shape))

    def get_config(self) -> dict[str, Any]:
        return {}
