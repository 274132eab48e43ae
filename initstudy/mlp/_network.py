"""The stacked network: one flat parameter buffer for many seeds, batched forward/backward.

Parameters of ``n_seeds`` networks of identical architecture live in one
``(n_seeds, n_params)`` array; each seed's row holds every kernel first (layer by layer,
row-major ``(fan_in, fan_out)``) and then every bias. Per-layer views of shape
``(n_seeds, fan_in, fan_out)`` and ``(n_seeds, 1, fan_out)`` alias that buffer, so the
forward and backward passes are one ``np.matmul`` on the stack per layer and the optimizer
updates the whole buffer at once. Gradients use the same layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._activations import ACTIVATIONS, OUT_ACTIVATIONS
from ._losses import LOSSES, OUT_ACTIVATION_LOSS

__all__ = ["Layout", "StackedNet", "forward"]


class Layout:
    """Where each layer's kernel and bias sit in a seed's flat parameter row.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input and output included.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        self.shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        starts, pos = [], 0
        for fan_in, fan_out in self.shapes:
            starts.append(pos)
            pos += fan_in * fan_out
        self.n_weights = pos
        self._w_starts = starts
        self._b_starts = []
        for _, fan_out in self.shapes:
            self._b_starts.append(pos)
            pos += fan_out
        self.n_params = pos

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-layer ``(K, fan_in, fan_out)`` kernel and ``(K, 1, fan_out)`` bias views."""
        k = flat.shape[0]
        coefs, intercepts = [], []
        for (fan_in, fan_out), ws, bs in zip(self.shapes, self._w_starts, self._b_starts):
            w = flat[:, ws : ws + fan_in * fan_out].reshape(k, fan_in, fan_out)
            b = flat[:, bs : bs + fan_out].reshape(k, 1, fan_out)
            coefs.append(w)
            intercepts.append(b)
        if flat.size and coefs and not np.shares_memory(coefs[0], flat):
            raise RuntimeError("internal error: parameter views must alias the flat buffer")
        return coefs, intercepts

    def pack(self, coefs: Sequence[np.ndarray], intercepts: Sequence[np.ndarray], dtype: type) -> np.ndarray:
        """One seed's flat row from its per-layer kernels and biases."""
        parts = [np.asarray(c).ravel() for c in coefs] + [np.asarray(b).ravel() for b in intercepts]
        return np.concatenate(parts).astype(dtype, copy=False)

    def unpack(self, row: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of one seed's kernels ``(fan_in, fan_out)`` and biases ``(fan_out,)``."""
        coefs, intercepts = self.views(row[np.newaxis].copy())
        return [c[0] for c in coefs], [b[0, 0] for b in intercepts]


def forward(
    x: np.ndarray,
    coefs: Sequence[np.ndarray],
    intercepts: Sequence[np.ndarray],
    activation: str,
    out_activation: str,
    keep: bool = False,
) -> list[np.ndarray]:
    """Forward pass allocating its outputs; works for one network or a stack (broadcasting).

    Returns the output, or with ``keep=True`` the list ``[z_1, a_1, ..., z_L, output]`` of
    every layer's pre-activation and activation.
    """
    hidden = ACTIVATIONS[activation].forward
    layers: list[np.ndarray] = []
    a = x
    last = len(coefs) - 1
    for i, (w, b) in enumerate(zip(coefs, intercepts)):
        z = np.matmul(a, w)
        z += b
        a = np.empty_like(z)
        (OUT_ACTIVATIONS[out_activation] if i == last else hidden)(z, a)
        if keep:
            layers += [z, a]
    return layers if keep else [a]


class StackedNet:
    """``n_seeds`` networks trained together: the flat buffers and the batched passes.

    Parameters
    ----------
    layout : Layout
    params : ndarray of shape (n_seeds, n_params)
        Owned by the network from now on (updated in place by the optimizer).
    activation, out_activation : str
        Hidden and output activation names.
    alpha : float
        L2 penalty, ``alpha * ||W||^2 / (2 batch_size)`` added to each batch loss.
    """

    def __init__(self, layout: Layout, params: np.ndarray, activation: str,
                 out_activation: str, alpha: float) -> None:
        self.layout = layout
        self.activation = ACTIVATIONS[activation]
        self.out_activation = OUT_ACTIVATIONS[out_activation]
        self.loss = LOSSES[OUT_ACTIVATION_LOSS[out_activation]]
        self.alpha = alpha
        self._bind(params)

    def _bind(self, params: np.ndarray, grads: np.ndarray | None = None) -> None:
        self.params = params
        self.grads = np.zeros_like(params) if grads is None else grads
        self.coefs, self.intercepts = self.layout.views(params)
        self.coef_grads, self.intercept_grads = self.layout.views(self.grads)
        self._buffers: dict[int, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]] = {}

    def select(self, keep: np.ndarray) -> None:
        """Keep only the seeds at positions ``keep`` (the others finished), gradients included."""
        self._bind(self.params[keep], self.grads[keep])

    def _buffers_for(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        if n not in self._buffers:
            k, dtype = self.params.shape[0], self.params.dtype
            fans = [fo for _, fo in self.layout.shapes]
            z = [np.empty((k, n, fo), dtype=dtype) for fo in fans]
            a = [np.empty((k, n, fo), dtype=dtype) for fo in fans[:-1]]
            d = [np.empty((k, n, fo), dtype=dtype) for fo in fans[:-1]]
            self._buffers[n] = (z, a, d)
        return self._buffers[n]

    def loss_grad(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Loss per seed on the batch ``(x, y)``; fills ``self.grads``.

        ``x`` is ``(n_seeds, n, n_features)`` (or ``(n, n_features)``, shared by all seeds) and
        ``y`` the encoded targets ``(n_seeds, n, n_outputs)`` (or ``(n, n_outputs)``).
        """
        n = x.shape[-2]
        zs, acts, deltas = self._buffers_for(n)
        last = len(zs) - 1
        a = x
        for i, (w, b, z) in enumerate(zip(self.coefs, self.intercepts, zs)):
            np.matmul(a, w, out=z)
            z += b
            if i < last:
                self.activation.forward(z, acts[i])
                a = acts[i]
        out = zs[last]
        self.out_activation(out, out)
        loss = self.loss(y, out)
        if self.alpha:
            w = self.params[:, : self.layout.n_weights]
            loss += (0.5 * self.alpha / n) * np.einsum("kp,kp->k", w, w, dtype=np.float64)
        delta = out
        delta -= y
        delta *= 1.0 / n
        self._backward(x, zs, acts, deltas, delta)
        if self.alpha:
            nw = self.layout.n_weights
            self.grads[:, :nw] += (self.alpha / n) * self.params[:, :nw]
        return loss

    def _backward(self, x: np.ndarray, zs: list[np.ndarray], acts: list[np.ndarray],
                  deltas: list[np.ndarray], delta: np.ndarray) -> None:
        for i in range(len(zs) - 1, -1, -1):
            prev = x if i == 0 else acts[i - 1]
            np.matmul(np.swapaxes(prev, -1, -2), delta, out=self.coef_grads[i])
            np.sum(delta, axis=-2, keepdims=True, out=self.intercept_grads[i])
            if i > 0:
                np.matmul(delta, np.swapaxes(self.coefs[i], -1, -2), out=deltas[i - 1])
                self.activation.backward(zs[i - 1], acts[i - 1], deltas[i - 1])
                delta = deltas[i - 1]
