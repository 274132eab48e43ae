"""Random streams per seed and the initial weights of one network.

``random_state`` is turned into one :class:`numpy.random.SeedSequence`, spawned into three
independent streams: the initial weights (every layer's kernel then bias, in layer order, from
one generator), the mini-batch order, and the early-stopping split. ``init_random_state`` and
``shuffle_random_state`` pin the first two alone (the stream that seed would give). A single fit and
``fit_seeds`` both call :func:`seed_streams` and :func:`initial_network`, so a seed draws the
same network whichever way it is trained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..exceptions import ConfigError
from ..initializers import Initializer, get

__all__ = ["FromEstimator", "initial_network", "resolve_inits", "seed_streams"]


def _seed_sequence(random_state: Any) -> np.random.SeedSequence:
    """The seed sequence that ``random_state`` (None, int, RandomState or Generator) fixes."""
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(
            random_state.randint(0, 2**32, size=4, dtype=np.uint64).tolist()
        )
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**63, size=4).tolist())
    return np.random.SeedSequence(int(random_state))


def seed_streams(
    random_state: Any, init_random_state: int | None = None, shuffle_random_state: int | None = None
) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Return the ``(weights, batches, split)`` generators that ``random_state`` fixes.

    ``init_random_state`` / ``shuffle_random_state`` (when not None) replace the weights /
    batch-order stream by the one that ``random_state`` equal to them would give.
    """
    weights, batches, split = _seed_sequence(random_state).spawn(3)
    if init_random_state is not None:
        weights = np.random.SeedSequence(int(init_random_state)).spawn(3)[0]
    if shuffle_random_state is not None:
        batches = np.random.SeedSequence(int(shuffle_random_state)).spawn(3)[1]
    return (
        np.random.default_rng(weights),
        np.random.default_rng(batches),
        np.random.default_rng(split),
    )


class FromEstimator:
    """Initialize from a fitted MLP: copy its ``coefs_`` and ``intercepts_`` (transfer learning).

    Use it as ``init=FromEstimator(fitted)``. The new network must have the same layer shapes;
    the first layer that differs is named in the error. ``init_scale`` still multiplies the
    copied kernels and an explicit ``bias_init`` replaces the copied biases.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        A fitted estimator whose training did not diverge.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from initstudy.mlp import FromEstimator, MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> params = {"hidden_layer_sizes": (8,), "learning_rate_init": 0.01, "max_iter": 500, "tol": 1e-3}
    >>> source = MLPClassifier(**params, random_state=0).fit(X, y)
    >>> target = MLPClassifier(**params, init=FromEstimator(source)).fit(X, y)
    >>> target.n_iter_ < source.n_iter_  # starts from trained weights
    True
    """

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def __repr__(self) -> str:
        return f"FromEstimator({type(self.estimator).__name__}(...))"

    def network(
        self, shapes: Sequence[tuple[int, int]]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies (float64) of the source's kernels and biases, checked against ``shapes``.

        Raises
        ------
        ConfigError
            If the source is not fitted, diverged, or a layer's kernel shape differs.
        """
        source = self.estimator
        coefs = getattr(source, "coefs_", None)
        if coefs is None:
            raise ConfigError(
                f"FromEstimator needs a fitted estimator. Got an unfitted {type(source).__name__}."
            )
        if getattr(source, "diverged_", False):
            raise ConfigError(
                "FromEstimator cannot copy the weights of an estimator whose training diverged."
            )
        if len(coefs) != len(shapes):
            raise ConfigError(
                f"FromEstimator: the source has {len(coefs)} weight layers but this network needs "
                f"{len(shapes)} (hidden_layer_sizes plus the output layer)."
            )
        for index, (coef, shape) in enumerate(zip(coefs, shapes), start=1):
            if tuple(coef.shape) != tuple(shape):
                raise ConfigError(
                    f"FromEstimator: layer {index} of the source has kernel shape {tuple(coef.shape)} "
                    f"but this network's layer {index} needs {tuple(shape)} (fan_in, fan_out)."
                )
        return (
            [np.array(c, dtype=np.float64) for c in coefs],
            [np.array(b, dtype=np.float64) for b in source.intercepts_],
        )


def _resolve_one(spec: Any, activation: str) -> Initializer:
    """One initializer from a name, config dict or instance; ``sklearn_default`` gets ``activation``."""
    if isinstance(spec, str) and spec.strip().lower() == "sklearn_default":
        return get(spec, activation=activation)
    if (
        isinstance(spec, dict)
        and str(spec.get("class_name", "")).strip().lower() == "sklearn_default"
    ):
        if "activation" not in (spec.get("config") or {}):
            return get(spec, activation=activation)
    return get(spec)


def resolve_inits(init: Any, activation: str, n_layers: int) -> list[Initializer] | FromEstimator:
    """The per-layer initializers of ``init`` (or the :class:`FromEstimator` itself)."""
    if isinstance(init, FromEstimator):
        return init
    if isinstance(init, (list, tuple)):
        if len(init) != n_layers:
            raise ConfigError(
                f"A list 'init' needs one initializer per weight layer ({n_layers}: the hidden "
                f"layers and the output layer). Got {len(init)} instead."
            )
        inits = [_resolve_one(spec, activation) for spec in init]
        if any(i.data_dependent for i in inits):
            raise ConfigError(
                "A data-dependent initializer (such as 'lsuv') must be the single 'init', not part of a list."
            )
        return inits
    return [_resolve_one(init, activation)] * n_layers


def _bias(
    rule: Any, init: Initializer, shape: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """One layer's bias from ``bias_init``: None = the scheme's rule, a number, or an initializer."""
    if rule is None:
        return np.asarray(init.draw_bias(shape, rng=rng, dtype=np.float64), dtype=np.float64)
    if isinstance(rule, (int, float, np.number)) and not isinstance(rule, bool):
        return np.full(shape[1], float(rule))
    return np.asarray(get(rule)((shape[1],), rng=rng, dtype=np.float64), dtype=np.float64)


def initial_network(
    params: dict[str, Any],
    shapes: Sequence[tuple[int, int]],
    rng: np.random.Generator,
    batch: Callable[[], np.ndarray],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Draw one network's kernels and biases (float64) as the estimator ``params`` describe.

    Each layer's kernel and then its bias are drawn from ``rng`` in layer order; data-dependent
    initializers are calibrated on ``batch()`` (the seed's first mini-batch); finally every
    kernel is multiplied by ``init_scale``.
    """
    inits = resolve_inits(params["init"], params["activation"], len(shapes))
    if isinstance(inits, FromEstimator):
        coefs, intercepts = inits.network(shapes)
        if params["bias_init"] is not None:
            intercepts = [_bias(params["bias_init"], get("zeros"), s, rng) for s in shapes]
    else:
        coefs, intercepts = [], []
        for init, shape in zip(inits, shapes):
            coefs.append(np.asarray(init(shape, rng=rng, dtype=np.float64), dtype=np.float64))
            intercepts.append(_bias(params["bias_init"], init, shape, rng))
        if inits[0].data_dependent:
            from ._activations import apply_activation

            inits[0].calibrate(
                coefs, intercepts, batch(), lambda z: apply_activation(params["activation"], z)
            )
    scale = float(params["init_scale"])
    if scale != 1.0:
        coefs = [c * scale for c in coefs]
    return coefs, intercepts
