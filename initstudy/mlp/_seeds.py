"""``fit_seeds``: many random restarts of one estimator, trained together.

:func:`_fit_members` trains the members of one stack shape in memory-bounded chunks and seed
threads; ``fit_seeds`` calls it for the restarts of one configuration and
:func:`~initstudy.mlp.fit_stack` for each stack of its estimators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, validate_data

from .._blas import (
    PARALLEL_MACS,
    blas_threads,
    current_limit,
    free_cores,
    largest_product,
    one_blas_thread,
)
from ..exceptions import ConfigError
from ._base import BaseMLP, train_members, warn_outcomes
from ._engine import SeedRun

__all__ = [
    "MAX_SEED_THREADS",
    "SEEDS_PER_THREAD",
    "STACK_BYTES",
    "fit_seeds",
    "score_seeds",
]

SEEDS_PER_THREAD = 2
"""Seed threads get at least this many seeds each (fewer do not pay for the thread)."""

MAX_SEED_THREADS = 4
"""At most this many seed threads: Python's share of each step runs one thread at a time."""

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
    init_seeds: Sequence[Any] | None = None,
    shuffle_seeds: Sequence[Any] | None = None,
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
    init_seeds, shuffle_seeds : sequence of int or None, optional
        Per member, its ``init_random_state`` and ``shuffle_random_state`` (one entry per seed;
        None entries and a None sequence keep the template's value). The stacked engine draws
        each member's streams independently, so e.g. ``shuffle_seeds=[0] * k`` and
        ``init_seeds=range(k)`` trains k initializations on one batch order.

    Returns
    -------
    list of estimators
        Fitted clones, in the order of ``seeds``.

    Raises
    ------
    ConfigError
        If ``estimator`` is not an initstudy MLP, ``seeds`` is empty or ``epoch_callback`` is
        given without ``eval_set``, or ``init_seeds``/``shuffle_seeds`` differ in length from
        ``seeds``.

    Notes
    -----
    Seeds are stacked up to a memory budget (:data:`STACK_BYTES`, 256 MiB); beyond it they are
    trained in consecutive chunks, which gives the same results: a seed's arithmetic does not
    depend on the other seeds in its stack. When every product is small (one BLAS thread, see
    :func:`set_blas_threads`), the machine has an idle core and no cap of 1 is set, the seeds
    are split into contiguous groups trained in threads (at most one per core and
    :data:`MAX_SEED_THREADS`, at least :data:`SEEDS_PER_THREAD` seeds each): NumPy releases the
    GIL inside every product and whole-array operation, so the groups use separate cores; the
    results are the same. A joblib process pool was measured slower (about 0.1 s per call).
    With ``epoch_callback`` all seeds form one stack, because the callback sees every seed's
    score at each epoch.
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
        raise ConfigError(
            f"fit_seeds needs an initstudy MLPClassifier or MLPRegressor. Got {type(estimator).__name__}."
        )
    seeds = list(seeds)
    if not seeds:
        raise ConfigError("fit_seeds needs at least one seed. Got an empty sequence.")
    if epoch_callback is not None and eval_set is None:
        raise ConfigError("fit_seeds: epoch_callback needs eval_set (it receives the eval scores).")
    clones = [clone(estimator).set_params(random_state=s) for s in seeds]
    _set_member_seeds(clones, "init_seeds", "init_random_state", init_seeds)
    _set_member_seeds(clones, "shuffle_seeds", "shuffle_random_state", shuffle_seeds)
    runs = _fit_members(clones, X, y, None, eval_set, epoch_callback)
    warn_outcomes(runs, seeds, int(estimator.max_iter))
    return clones


def _fit_members(
    clones: list[BaseMLP],
    X: Any,
    y: Any,
    rows: list[np.ndarray] | None,
    eval_set: tuple[Any, Any] | None,
    epoch_callback: Callable[[int, np.ndarray], bool] | None,
) -> list[SeedRun]:
    """Fit one stack shape's ``clones`` in place, each on its ``rows`` (None: all); their records.

    Members are trained sorted by row count (stable), so seed threads and memory chunks get
    members of equal row counts together where they can (fewer sub-stack steps).
    """
    member_rows = rows
    if epoch_callback is not None:  # the callback sees every seed's score: one stack
        return train_members(
            clones,
            X,
            y,
            rows=member_rows,
            eval_set=eval_set,
            epoch_callback=epoch_callback,
            warn=False,
        )
    threads = _seed_threads(clones[0], X, len(clones))
    if member_rows is None:
        return _fit_groups(clones, X, y, eval_set, threads)
    order = np.argsort([r.shape[0] for r in member_rows], kind="stable")
    runs = _fit_groups(
        [clones[i] for i in order], X, y, eval_set, threads, [member_rows[i] for i in order]
    )
    ordered: list[SeedRun] = [runs[0]] * len(runs)
    for position, run in zip(order, runs):
        ordered[position] = run
    return ordered


def _set_member_seeds(
    clones: list[BaseMLP], name: str, param: str, values: Sequence[Any] | None
) -> None:
    """Give each clone its own ``param`` from ``values`` (None: keep the template's)."""
    if values is None:
        return
    values = list(values)
    if len(values) != len(clones):
        raise ConfigError(
            f"fit_seeds: {name} must have one entry per seed ({len(clones)}). Got {len(values)}."
        )
    for est, value in zip(clones, values):
        if value is not None:
            est.set_params(**{param: value})


def _seed_threads(estimator: BaseMLP, X: Any, n_seeds: int) -> int:
    """Threads to train the seeds on: 1, or one per free core when every product is small.

    Large products already use every core through BLAS; a cap (:func:`set_blas_threads`, 1 in
    parallel study workers), a BLAS limit of 1 in force (``threadpool_limits(1)``) or a busy
    machine keeps one thread.
    """
    n = np.shape(X)[0]
    sizes = (np.shape(X)[1] if np.ndim(X) > 1 else 1, *estimator._hidden_sizes(), 10)
    if (
        n_seeds < 2 * SEEDS_PER_THREAD
        or largest_product(sizes, estimator._batch_size(n)) >= PARALLEL_MACS
    ):
        return 1
    cap = min(blas_threads() or MAX_SEED_THREADS, current_limit())
    if cap < 2:
        return 1
    return max(1, min(free_cores(), cap, MAX_SEED_THREADS, n_seeds // SEEDS_PER_THREAD))


def _fit_groups(
    clones: list[BaseMLP],
    X: Any,
    y: Any,
    eval_set: tuple[Any, Any] | None,
    threads: int,
    rows: list[np.ndarray] | None = None,
) -> list[SeedRun]:
    """Fit ``clones`` in contiguous groups, one per thread, each in memory-bounded stacks."""
    size = _seeds_per_stack(clones[0], X, len(clones))
    bounds = np.linspace(0, len(clones), threads + 1).round().astype(int)
    groups = [list(range(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def fit_group(group: list[int]) -> list[SeedRun]:
        runs: list[SeedRun] = []
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            runs += train_members(
                [clones[i] for i in chunk],
                X,
                y,
                rows=None if rows is None else [rows[i] for i in chunk],
                eval_set=eval_set,
                warn=False,
            )
        return runs

    if threads == 1:
        return fit_group(list(range(len(clones))))
    # The process-wide one-thread BLAS limit is taken here, in the calling thread: OpenBLAS
    # ignored set_num_threads called from other threads (measured with OpenBLAS 0.3.31).
    with (
        one_blas_thread(),
        ThreadPoolExecutor(threads, thread_name_prefix="initstudy-seeds") as pool,
    ):
        futures = [pool.submit(fit_group, g) for g in groups]
        return [run for f in futures for run in f.result()]


def score_seeds(estimators: Sequence[BaseMLP], X: Any, y: Any) -> np.ndarray:
    """Each fitted estimator's ``score(X, y)``, with ``X`` validated once; NaN if it diverged.

    The same numbers as ``[est.score(X, y) for est in estimators]`` (accuracy from the
    predicted labels; R^2 through scikit-learn's ``r2_score``) for estimators fitted on the
    same features, e.g. the output of :func:`fit_seeds`, at a fraction of the cost: the
    input checks and the metric's own checks run once, not once per seed.

    Parameters
    ----------
    estimators : sequence of fitted MLPClassifier or MLPRegressor
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) (or (n_samples, n_outputs) for a regressor)

    Returns
    -------
    ndarray of shape (len(estimators),)
    """
    if not estimators:
        return np.empty(0)
    template = estimators[0]
    check_is_fitted(template, "coefs_")
    X = validate_data(template, X, reset=False, dtype=np.float64)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}; they must match.")
    scores = np.full(len(estimators), np.nan)
    for i, est in enumerate(estimators):
        if est.diverged_:
            continue
        predicted = est._predict_output(est._forward64(X))
        if est._is_classifier():
            scores[i] = float(np.mean(predicted == y.ravel()))
        else:
            scores[i] = float(r2_score(y, predicted))
    return scores
