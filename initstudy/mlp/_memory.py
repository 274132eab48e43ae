"""How much memory one network needs, and a clear refusal when it cannot fit at all.

Without the check, ``hidden_layer_sizes=(100000, 100000)`` failed deep inside NumPy on a
74.5 GiB allocation, once per seed. The estimate counts what training holds per network: the
weights drawn in float64, then in ``dtype`` with their gradients and two optimizer moments,
and one batch of activations and their gradients per layer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import ConfigError

__all__ = [
    "check_network_fits",
    "check_sizes_fit",
    "network_bytes",
    "physical_memory",
    "training_bytes",
]


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def network_bytes(sizes: Sequence[int], batch_size: int, dtype: np.dtype | str) -> int:
    """Bytes one network of layer ``sizes`` (inputs, hidden..., outputs) needs to train."""
    itemsize = np.dtype(dtype).itemsize
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    activations = 3 * batch_size * sum(sizes[1:])
    return 8 * n_params + itemsize * (4 * n_params + activations)


def training_bytes(estimator: Any, n_samples: int, n_features: int, n_outputs: int) -> int:
    """Bytes one network of ``estimator`` needs to train on data of this shape.

    :func:`network_bytes` of its layer sizes and the batch size resolved on ``n_samples``.
    """
    sizes = (n_features, *estimator._hidden_sizes(), n_outputs)
    return network_bytes(sizes, estimator._batch_size(n_samples), estimator.dtype)


def check_network_fits(estimator: Any, n_samples: int, n_features: int, n_outputs: int) -> None:
    """Raise ConfigError when one network of ``estimator`` cannot fit in this machine's memory.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
    n_samples, n_features, n_outputs : int
        The training data's shape and the number of outputs (classes, or targets).

    Raises
    ------
    ConfigError
        Naming the layer sizes, the memory one network needs and the machine's memory.
    """
    sizes = (n_features, *estimator._hidden_sizes(), n_outputs)
    check_sizes_fit(
        sizes, estimator._batch_size(n_samples), estimator.dtype, estimator.hidden_layer_sizes
    )


def check_sizes_fit(
    sizes: Sequence[int], batch_size: int, dtype: np.dtype | str, hidden_layer_sizes: object
) -> None:
    """Raise ConfigError when one network of layer ``sizes`` needs more than the memory."""
    total = physical_memory()
    need = network_bytes(sizes, batch_size, dtype)
    if total is None or need <= total:
        return
    n_weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    raise ConfigError(
        f"One network of hidden_layer_sizes={hidden_layer_sizes!r} needs about "
        f"{need / 2**30:.1f} GiB to train ({n_weights:,} weights and biases in "
        f"{np.dtype(dtype).name}, with gradients and optimizer state); this machine has "
        f"{total / 2**30:.1f} GiB. Use smaller layers."
    )
