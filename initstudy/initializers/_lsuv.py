"""Layer-sequential unit-variance initialization (Mishkin and Matas 2015)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..exceptions import ConfigError
from ._checks import check_int, check_real
from ._orthogonal import Orthogonal
from ._registry import register

__all__ = ["LSUV"]


@register
class LSUV(Orthogonal):
    """LSUV: an orthonormal start, then each layer rescaled to unit pre-activation variance.

    Drawing (:meth:`__call__`) is :class:`Orthogonal` with ``gain=1``. The estimator then calls
    :meth:`calibrate` with a batch of data: for each layer in order, the pre-activation
    ``z = a @ W + b`` is computed on the batch (``a`` = the batch for the first layer), and ``W``
    is divided by ``sqrt(Var(z))`` (the variance over the whole ``(batch, units)`` array) until
    ``|Var(z) - 1| < tol`` or ``max_iter`` rescalings were made; then ``a = activation(z)`` feeds
    the next layer. The output layer is calibrated too. On a ReLU MLP the result lands near the
    He scale.

    Parameters
    ----------
    tol : float, default 0.1
        Tolerance on the pre-activation variance; must be > 0.
    max_iter : int, default 10
        The most rescalings per layer; must be >= 1.

    Attributes
    ----------
    data_dependent : bool
        True: the estimator gives :meth:`calibrate` a data batch.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> init = LSUV()
    >>> coefs = [init((8, 16), rng=rng), init((16, 1), rng=rng)]
    >>> intercepts = [np.zeros(16), np.zeros(1)]
    >>> X = rng.normal(size=(200, 8)) * 5.0
    >>> init.calibrate(coefs, intercepts, X, lambda z: np.maximum(z, 0.0))
    >>> bool(abs((X @ coefs[0]).var() - 1.0) < 0.1)
    True
    """

    data_dependent = True

    def __init__(self, tol: float = 0.1, max_iter: int = 10) -> None:
        super().__init__(gain=1.0)
        owner = type(self).__name__
        self.tol = check_real(owner, "tol", tol, low=0.0, strict=True)
        self.max_iter = check_int(owner, "max_iter", max_iter, low=1)

    def calibrate(
        self,
        coefs: list[np.ndarray],
        intercepts: list[np.ndarray],
        X: np.ndarray,
        activation: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        """Rescale every kernel in ``coefs``, in place, to unit pre-activation variance on ``X``.

        Parameters
        ----------
        coefs : list of ndarray
            One network's kernels ``(fan_in, fan_out)`` (or stacked ``(k, fan_in, fan_out)``,
            each stack entry calibrated on its own); modified in place.
        intercepts : list of ndarray
            The matching biases ``(fan_out,)`` (or ``(k, fan_out)``); read only.
        X : ndarray of shape (n_samples, n_features)
            The data batch (at least 2 samples).
        activation : callable
            The hidden activation, applied to each hidden layer's pre-activation.

        Raises
        ------
        ConfigError
            If the lists differ in length or the batch has fewer than 2 samples.
        """
        if len(coefs) != len(intercepts):
            raise ConfigError(
                f"LSUV.calibrate needs one intercept per kernel. Got {len(coefs)} kernels and "
                f"{len(intercepts)} intercepts instead."
            )
        a = np.asarray(X, dtype=np.float64)
        if a.ndim < 2 or a.shape[-2] < 2:
            raise ConfigError(
                f"LSUV.calibrate needs a batch of at least 2 samples. Got X of shape {a.shape} instead."
            )
        for index, (kernel, bias) in enumerate(zip(coefs, intercepts, strict=True)):
            z = self._calibrate_layer(kernel, bias, a)
            if index < len(coefs) - 1:
                a = np.asarray(activation(z), dtype=np.float64)

    def _calibrate_layer(self, kernel: np.ndarray, bias: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Rescale one kernel in place; return its final pre-activation."""
        offset = np.asarray(bias, dtype=np.float64)[..., np.newaxis, :]
        z: np.ndarray = a @ kernel + offset
        for _ in range(self.max_iter):
            variance = z.var(axis=(-2, -1), keepdims=True)
            # A dead layer (variance 0) or overflow cannot be rescaled: leave it as it is.
            converged = (
                (np.abs(variance - 1.0) < self.tol) | ~np.isfinite(variance) | (variance == 0)
            )
            if converged.all():
                break
            factor = np.where(converged, 1.0, 1.0 / np.sqrt(np.where(converged, 1.0, variance)))
            kernel *= factor.astype(kernel.dtype)
            z = a @ kernel + offset
        return z

    def get_config(self) -> dict[str, Any]:
        return {"tol": self.tol, "max_iter": self.max_iter}
