"""``fit_seeds``: many random restarts of one estimator, trained together."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sklearn.base import clone

from ..exceptions import ConfigError
from ._base import BaseMLP, fit_stack, warn_outcomes
from ._engine import SeedRun

__all__ = ["fit_seeds"]

STACK_BYTES = 256 * 2**20
"""Memory budget of one stack of seeds; more seeds are trained in consecutive chunks."""


def _seeds_per_stack(estimator: BaseMLP, X: Any, n_seeds: int) -> int:
    """How many seeds fit in :data:`STACK_BYTES` (epoch data, batch buffers, parameter copies)."""
    n, n_features = np.shape(X)[0], (np.shape(X)[1] if np.ndim(X) > 1 else 1)
    hidden = list(estimator._hidden_sizes())
    units = [n_features, *hidden, 10]
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:]))
    batch = estimator._batch_size(n)
    itemsize = np.dtype(estimator.dtype).itemsize
    per_seed = itemsize * (n * (n_features + 10) + 3 * batch * sum(units[1:]) + 6 * n_params)
    return int(max(1, min(n_seeds, STACK_BYTES // max(per_seed, 1))))


def fit_seeds(
    estimator: BaseMLP,
    X: Any,
    y: Any,
    seeds: Iterable[int],
    *,
    eval_set: tuple[Any, Any] | None = None,
    epoch_callback: Callable[[int, np.ndarray], bool] | None = None,
) -> list[BaseMLP]:
    """Fit one clone of ``estimator`` per seed, all seeds trained together in stacked passes.

    Each returned estimator equals ``clone(estimator).set_params(random_state=s).fit(X, y)``:
    the same initial weights exactly and the same predictions. Stopping (convergence, early
    stopping) and divergence are decided per seed; a finished or diverged seed leaves the stack
    and the others go on.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        The template (not modified; fitted state is ignored).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    seeds : iterable of int
        One ``random_state`` per returned estimator.
    eval_set : tuple (X_val, y_val), optional
        When given, every returned estimator has ``eval_scores_``: its ``score`` on this set
        after each epoch it trained.
    epoch_callback : callable, optional
        ``epoch_callback(epoch, eval_scores) -> bool`` after each epoch (needs ``eval_set``);
        ``eval_scores[i]`` is seed i's latest score (NaN if diverged). Returning True stops
        every seed (their weights are kept as they are).

    Returns
    -------
    list of estimators
        Fitted clones, in the order of ``seeds``.

    Raises
    ------
    ConfigError
        If ``estimator`` is not an initstudy MLP, ``seeds`` is empty or ``epoch_callback`` is
        given without ``eval_set``.

    Notes
    -----
    Seeds are stacked up to a memory budget (:data:`STACK_BYTES`, 256 MiB); beyond it they are
    trained in consecutive chunks, which gives the same results: a seed's arithmetic does not
    depend on the other seeds in its stack. Training runs in this process on one BLAS thread for
    small layers; the other cores are for other workers. Spreading one call's seeds over threads
    or processes was measured and did not pay on 2 cores: two threads hand the GIL back and forth
    between the many short NumPy calls (8 seeds: 7 s instead of 0.5 s), and a joblib process pool
    adds about 0.1 s per call (8 seeds: 0.55 s on two workers, 0.49 s in one process). With ``epoch_callback`` all
    seeds form one stack, because the callback sees every seed's score at each epoch.
    One :class:`~initstudy.exceptions.DivergenceWarning` (and one ConvergenceWarning) per call
    names the seeds concerned.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from initstudy.mlp import MLPClassifier, fit_seeds
    >>> X, y = load_iris(return_X_y=True)
    >>> net = MLPClassifier((8,), learning_rate_init=0.01, max_iter=500, tol=1e-3)
    >>> fits = fit_seeds(net, X, y, seeds=range(3))
    >>> [f.random_state for f in fits]
    [0, 1, 2]
    """
    if not isinstance(estimator, BaseMLP):
        raise ConfigError(f"fit_seeds needs an initstudy MLPClassifier or MLPRegressor. Got {type(estimator).__name__}.")
    seeds = list(seeds)
    if not seeds:
        raise ConfigError("fit_seeds needs at least one seed. Got an empty sequence.")
    if epoch_callback is not None and eval_set is None:
        raise ConfigError("fit_seeds: epoch_callback needs eval_set (it receives the eval scores).")
    clones = [clone(estimator).set_params(random_state=s) for s in seeds]
    size = len(clones) if epoch_callback is not None else _seeds_per_stack(estimator, X, len(clones))
    runs: list[SeedRun] = []
    for start in range(0, len(clones), size):
        runs += fit_stack(clones[start : start + size], X, y, eval_set=eval_set,
                          epoch_callback=epoch_callback, warn=False)
    warn_outcomes(runs, seeds, int(estimator.max_iter))
    return clones
