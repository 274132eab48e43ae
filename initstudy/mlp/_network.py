"""The stacked network: one flat parameter buffer for many seeds, batched forward/backward.

Parameters of ``n_seeds`` networks of identical architecture live in one
``(n_seeds, n_params)`` array; each seed's row holds, layer by layer, the kernel (row-major
``(fan_in, fan_out)``) followed by the bias as one more row. Per-layer kernel views
``(n_seeds, fan_in, fan_out)`` and bias views ``(n_seeds, 1, fan_out)`` alias that buffer, so a
layer's forward pass is one ``np.matmul`` on the stack plus a broadcast bias add, the backward
pass two ``np.matmul`` per layer (the bias gradient is ``ones @ delta``), and the optimizer
updates the whole buffer at once. Gradients use the same layout. (Appending a column of ones to
the activations would fold the bias into the product, but makes every activation write strided:
measured slower.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._activations import ACTIVATIONS, OUT_ACTIVATIONS
from ._losses import OUTPUT_LOSSES

__all__ = ["Layout", "StackedNet", "forward"]

SMALL_KERNEL = 128 * 128
"""Kernels up to this many weights get a contiguous transposed copy for the backward product."""


class Layout:
    """Where each layer's kernel and bias sit in a seed's flat parameter row.

    Layer ``i`` occupies one block of ``(fan_in + 1) * fan_out`` values: the kernel's rows, then
    the bias as one more row.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input and output included.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        self.shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self._starts, pos = [], 0
        for fan_in, fan_out in self.shapes:
            self._starts.append(pos)
            pos += (fan_in + 1) * fan_out
        self.n_params = pos

    def blocks(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per-layer ``(K, fan_in + 1, fan_out)`` views: the kernel rows, then the bias row."""
        k = flat.shape[0]
        views = [
            flat[:, s : s + (fi + 1) * fo].reshape(k, fi + 1, fo)
            for s, (fi, fo) in zip(self._starts, self.shapes)
        ]
        if flat.size and views and not np.shares_memory(views[0], flat):
            raise RuntimeError("internal error: parameter views must alias the flat buffer")
        return views

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-layer ``(K, fan_in, fan_out)`` kernel and ``(K, 1, fan_out)`` bias views."""
        blocks = self.blocks(flat)
        return [b[:, :-1] for b in blocks], [b[:, -1:] for b in blocks]

    def pack(
        self, coefs: Sequence[np.ndarray], intercepts: Sequence[np.ndarray], dtype: type
    ) -> np.ndarray:
        """One seed's flat row from its per-layer kernels and biases."""
        parts = []
        for coef, bias in zip(coefs, intercepts):
            parts += [np.asarray(coef).ravel(), np.asarray(bias).ravel()]
        return np.concatenate(parts).astype(dtype, copy=False)

    def weight_mask(self, dtype: type) -> np.ndarray:
        """A ``(n_params,)`` array: 1 on kernel entries, 0 on biases."""
        mask = np.ones(self.n_params, dtype=dtype)
        for start, (fan_in, fan_out) in zip(self._starts, self.shapes):
            mask[start + fan_in * fan_out : start + (fan_in + 1) * fan_out] = 0
        return mask

    def unpack(self, row: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of one seed's kernels ``(fan_in, fan_out)`` and biases ``(fan_out,)``."""
        coefs, intercepts = self.views(row[np.newaxis].copy())
        return [np.ascontiguousarray(c[0]) for c in coefs], [b[0, 0].copy() for b in intercepts]


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
    alpha : float or ndarray of shape (n_seeds,)
        L2 penalty, ``alpha * ||W||^2 / (2 batch_size)`` added to each batch loss (kernels only);
        an array gives each member its own.
    """

    def __init__(
        self,
        layout: Layout,
        params: np.ndarray,
        activation: str,
        out_activation: str,
        alpha: float | np.ndarray,
    ) -> None:
        self.layout = layout
        self._names = (activation, out_activation)
        self.activation = ACTIVATIONS[activation]
        self.output_loss = OUTPUT_LOSSES[out_activation]
        self.alpha = alpha
        self._bind(params)

    def subset(self, rows: np.ndarray) -> StackedNet:
        """A new stack of copies of the members at positions ``rows`` (their own buffers)."""
        alpha = self.alpha[rows] if isinstance(self.alpha, np.ndarray) else self.alpha
        return StackedNet(self.layout, self.params[rows], *self._names, alpha)

    def _bind(self, params: np.ndarray, grads: np.ndarray | None = None) -> None:
        self.params = params
        self.grads = np.zeros_like(params) if grads is None else grads
        self.blocks = self.layout.blocks(params)
        self.grad_blocks = self.layout.blocks(self.grads)
        self.coefs, self.intercepts = self.layout.views(params)
        self.coef_grads, self.intercept_grads = self.layout.views(self.grads)
        self._coefs_t = [np.swapaxes(w, -1, -2) for w in self.coefs]
        # Small kernels are transposed into a contiguous copy before the delta product: the copy
        # plus a plain product beat OpenBLAS's transposed product (measured ~20% at 64 x 64);
        # from about 128 x 128 on the transposed product wins.
        self._coefs_t_copy = [
            np.empty(wt.shape, dtype=params.dtype)
            if wt.shape[-1] * wt.shape[-2] <= SMALL_KERNEL
            else None
            for wt in self._coefs_t
        ]
        self._buffers: dict[int, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]] = {}
        self._ones: dict[int, np.ndarray] = {}
        self._l2_masks: dict[int, np.ndarray] = {}
        self._use_l2 = bool(np.any(self.alpha))
        self._l2_tmp = np.empty_like(params) if self._use_l2 else params[:, :0]
        self._acts_t: dict[int, list[np.ndarray]] = {}

    def select(self, keep: np.ndarray) -> None:
        """Keep only the seeds at positions ``keep`` (the others finished), gradients included."""
        if isinstance(self.alpha, np.ndarray):
            self.alpha = self.alpha[keep]
        self._bind(self.params[keep], self.grads[keep])

    def _buffers_for(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Pre-activations, activations and deltas for a batch of ``n`` (plus a row of ones)."""
        if n not in self._buffers:
            k, dtype = self.params.shape[0], self.params.dtype
            fans = [fo for _, fo in self.layout.shapes]
            z = [np.empty((k, n, fo), dtype=dtype) for fo in fans]
            a = [np.empty((k, n, fo), dtype=dtype) for fo in fans[:-1]]
            d = [np.empty((k, n, fo), dtype=dtype) for fo in fans[:-1]]
            self._buffers[n] = (z, a, d)
            self._ones[n] = np.ones((1, n), dtype=dtype)
            self._acts_t[n] = [np.swapaxes(v, -1, -2) for v in a]
        return self._buffers[n]

    def loss_grad(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Loss per seed on the batch ``(x, y)``; fills ``self.grads``.

        ``x`` is ``(n_seeds, n, n_features)`` (or ``(n, n_features)``, shared by all seeds) and
        ``y`` the encoded targets ``(n_seeds, n, n_outputs)`` (or ``(n, n_outputs)``).
        """
        n = x.shape[-2]
        zs, acts, deltas = self._buffers_for(n)
        a = x
        for i, (w, b, z) in enumerate(zip(self.coefs, self.intercepts, zs)):
            np.matmul(a, w, out=z)
            z += b
            if i < len(acts):
                self.activation.forward(z, acts[i])
                a = acts[i]
        out = zs[-1]
        loss = self.output_loss(out, y)
        out -= y
        out *= 1.0 / n
        self._backward(x, zs, acts, deltas, out, n)
        if self._use_l2:
            loss += self._l2(n)
        return loss

    def _l2(self, n: int) -> np.ndarray:
        """Add the L2 gradient of every kernel (biases excluded); return the L2 loss per seed.

        Three whole-buffer operations with a precomputed ``alpha / n`` mask that is zero on the
        biases (per layer with temporaries it cost about 10% of a step). With one ``alpha`` per
        member the mask is ``(n_seeds, n_params)``, each row rounded from that member's
        ``alpha / n`` as a single fit rounds its own.
        """
        if n not in self._l2_masks:
            mask = self.layout.weight_mask(self.params.dtype)
            if isinstance(self.alpha, np.ndarray):
                per_member = (self.alpha / n).astype(self.params.dtype)[:, np.newaxis]
                self._l2_masks[n] = mask * per_member
            else:
                self._l2_masks[n] = mask * (self.alpha / n)
        scaled = self._l2_tmp
        np.multiply(self.params, self._l2_masks[n], out=scaled)
        self.grads += scaled
        return 0.5 * np.vecdot(scaled, self.params).astype(np.float64)  # 2.5x faster than einsum

    def _backward(
        self,
        x: np.ndarray,
        zs: list[np.ndarray],
        acts: list[np.ndarray],
        deltas: list[np.ndarray],
        delta: np.ndarray,
        n: int,
    ) -> None:
        ones, acts_t = self._ones[n], self._acts_t[n]
        for i in range(len(zs) - 1, -1, -1):
            prev_t = np.swapaxes(x, -1, -2) if i == 0 else acts_t[i - 1]
            np.matmul(prev_t, delta, out=self.coef_grads[i])
            np.matmul(ones, delta, out=self.intercept_grads[i])
            if i > 0:
                wt = self._coefs_t[i]
                if self._coefs_t_copy[i] is not None:
                    wt = self._coefs_t_copy[i]
                    np.copyto(wt, self._coefs_t[i])
                np.matmul(delta, wt, out=deltas[i - 1])
                self.activation.backward(zs[i - 1], acts[i - 1], deltas[i - 1])
                delta = deltas[i - 1]
