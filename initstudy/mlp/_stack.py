"""``fit_stack``: estimators of one stack shape, each on its own rows, in one stacked pass.

A stack trains networks of one shape together: members may differ only in the parameters of
:data:`PER_MEMBER` and in their training rows. Every other parameter, the resolved batch size
and (for a classifier) the classes present in the member's rows make up its :func:`stack_key`;
:func:`fit_stack` trains each group of equal keys as one stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing  # public despite the name (sklearn.utils API docs)

from ..exceptions import ConfigError, DataError
from . import _seeds
from ._base import BaseMLP, warn_outcomes
from ._engine import SeedRun
from ._params import dtype_of, validate_params

__all__ = [
    "PER_MEMBER",
    "check_rows",
    "fit_stack",
    "group_by_key",
    "restrict_rows",
    "stack_key",
]

PER_MEMBER = (
    "random_state",
    "init_random_state",
    "shuffle_random_state",
    "init",
    "init_scale",
    "bias_init",
    "learning_rate_init",
    "alpha",
    "momentum",
    "validation_fraction",
)
"""Parameters in which the members of one stack may differ (besides their training rows)."""


def fit_stack(
    estimators: Sequence[BaseMLP],
    X: Any,
    y: Any,
    *,
    train_rows: Sequence[Any] | None = None,
    eval_set: tuple[Any, Any] | None = None,
) -> list[BaseMLP]:
    """Fit a clone of each estimator, estimators of one stack shape trained in one stacked pass.

    Each returned estimator equals ``clone(est).fit(X[rows], y[rows])`` (``rows`` its entry of
    ``train_rows``; all of ``X`` when None) bitwise: the same weights, loss curve, number of
    epochs and predictions, whatever the other members and whether or not their row counts
    match. Stopping (convergence, early stopping) and divergence are decided per member; a
    finished or diverged member leaves the stack and the others go on.

    Members of one stack may differ in ``random_state``, ``init_random_state``,
    ``shuffle_random_state``, ``init``, ``init_scale``, ``bias_init``, ``learning_rate_init``,
    ``alpha``, ``momentum`` and ``validation_fraction`` (:data:`PER_MEMBER`) and in their
    training rows. Estimators that differ in anything else (class, ``hidden_layer_sizes``,
    ``activation``, ``solver``, the batch size resolved on their rows, ``max_iter``,
    ``early_stopping``, ``dtype``, ...; or, for classifiers, the classes present in their rows)
    are split into separate stacks, trained one after another, each in one stacked pass. The
    results do not depend on the grouping.

    Parameters
    ----------
    estimators : sequence of MLPClassifier or MLPRegressor
        The templates (not modified; fitted state is ignored).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    train_rows : sequence of index arrays or None, optional
        Per estimator, the rows of ``X`` and ``y`` it trains on (integer indices, or a boolean
        mask of length n_samples; None: all rows), e.g. the training parts of the folds of a
        cross-validation. Row counts may differ between members.
    eval_set : tuple (X_val, y_val), optional
        When given, every returned estimator has ``eval_scores_``: its ``score`` on this set
        after each epoch it trained.

    Returns
    -------
    list of estimators
        Fitted clones, in the order of ``estimators``.

    Raises
    ------
    ConfigError
        If ``estimators`` is empty or holds something other than an initstudy MLP, or
        ``train_rows`` does not hold one valid index array per estimator.
    ValueError
        An invalid parameter value, named as ``fit`` names it.

    Notes
    -----
    Members with different row counts run their epochs in lock-step; where their batches
    differ in size (the last batch of an epoch, or one more batch for the larger training
    sets), those steps are taken in sub-stacks of one batch size each, so each member still
    sees exactly its own batches: results are bitwise those of single fits, at the cost of one
    or two smaller steps per epoch. As in :func:`fit_seeds`, a stack is trained in
    memory-bounded chunks and, when every product is small and a core is idle, in seed
    threads; one :class:`~initstudy.exceptions.DivergenceWarning` (and one
    ConvergenceWarning) per call names the members concerned by their positions.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import KFold
    >>> from initstudy.mlp import MLPClassifier, fit_stack
    >>> X, y = load_iris(return_X_y=True)
    >>> folds = [train for train, _ in KFold(3, shuffle=True, random_state=0).split(X)]
    >>> nets = [MLPClassifier((8,), init=init, learning_rate_init=lr, max_iter=300, tol=1e-3,
    ...                       random_state=0) for init in ("he_normal", "lecun_normal")
    ...         for lr in (0.01, 0.03)]
    >>> fits = fit_stack(nets * 3, X, y, train_rows=[f for f in folds for _ in nets])
    >>> len(fits), fits[0].init, fits[1].learning_rate_init
    (12, 'he_normal', 0.03)
    """
    estimators = list(estimators)
    if not estimators:
        raise ConfigError("fit_stack needs at least one estimator. Got an empty sequence.")
    for i, est in enumerate(estimators):
        if not isinstance(est, BaseMLP):
            raise ConfigError(
                "fit_stack needs initstudy MLPClassifier or MLPRegressor estimators. "
                f"Got {type(est).__name__} at position {i}."
            )
    n = len(y)
    if np.shape(X)[0] != n:
        raise DataError(f"X has {np.shape(X)[0]} samples but y has {n}; they must match.")
    rows = check_rows(train_rows, len(estimators), n)
    clones = [clone(est) for est in estimators]
    for est in clones:
        validate_params(est)
    y_array = np.asarray(y)
    keys = [
        stack_key(est, n if r is None else r.shape[0], y_array if r is None else y_array[r])
        for est, r in zip(clones, rows)
    ]
    runs: list[SeedRun | None] = [None] * len(clones)
    for group in group_by_key(keys):
        members = [clones[i] for i in group]
        X_group, y_group, group_rows = restrict_rows(X, y, [rows[i] for i in group])
        group_runs = _seeds._fit_members(members, X_group, y_group, group_rows, eval_set, None)
        for i, run in zip(group, group_runs):
            runs[i] = run
    warn_outcomes(runs, list(range(len(clones))), int(clones[0].max_iter), who="members")
    return clones


def stack_key(estimator: Any, n_rows: int, y: np.ndarray | None) -> tuple[Any, ...]:
    """What members of one stack share: class, shared parameters, batch size, classes.

    ``n_rows`` is the member's number of rows (the batch size is resolved on its training part)
    and ``y`` its targets (a classifier's classes are part of the key), or None to skip them.
    """
    params = estimator.get_params(deep=False)
    shared = {k: v for k, v in params.items() if k not in PER_MEMBER}
    shared["hidden_layer_sizes"] = estimator._hidden_sizes()
    shared["dtype"] = dtype_of(estimator.dtype)
    n_train = n_rows
    if estimator.early_stopping:
        n_train -= int(np.ceil(estimator.validation_fraction * n_rows))
    shared["batch_size"] = estimator._batch_size(max(n_train, 1))
    classes = None
    if y is not None and estimator._is_classifier():
        classes = tuple(np.unique(y).tolist())
    return (type(estimator), tuple(sorted(shared.items())), classes)


def group_by_key(keys: Sequence[tuple[Any, ...]]) -> list[list[int]]:
    """Positions with equal keys, groups in order of first appearance."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def check_rows(train_rows: Sequence[Any] | None, n_members: int, n_samples: int) -> list[Any]:
    """One int index array (or None: all rows) per member; ConfigError naming what is wrong."""
    if train_rows is None:
        return [None] * n_members
    train_rows = list(train_rows)
    if len(train_rows) != n_members:
        raise ConfigError(
            f"The 'train_rows' parameter of fit_stack must have one entry per estimator "
            f"({n_members}). Got {len(train_rows)} instead."
        )
    checked = []
    for i, rows in enumerate(train_rows):
        if rows is None:
            checked.append(None)
            continue
        arr = np.asarray(rows)
        if arr.dtype == bool and arr.shape == (n_samples,):
            arr = np.flatnonzero(arr)
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise ConfigError(
                f"The 'train_rows' parameter of fit_stack must hold non-empty 1-d integer index "
                f"arrays (or boolean masks of length {n_samples}). Got {rows!r} at position {i}."
            )
        if arr.min() < -n_samples or arr.max() >= n_samples:
            raise ConfigError(
                f"The 'train_rows' parameter of fit_stack has an index out of range for "
                f"{n_samples} samples at position {i}: min {arr.min()}, max {arr.max()}."
            )
        checked.append(np.where(arr < 0, arr + n_samples, arr).astype(np.intp))
    return checked


def restrict_rows(
    X: Any, y: Any, rows: Sequence[np.ndarray | None]
) -> tuple[Any, Any, list[np.ndarray] | None]:
    """The rows any member uses, and each member's rows as indices into them.

    Rows no member uses are dropped, so the data validated and encoded (a classifier's
    classes) are those of the members' own rows. All members on all rows: unchanged, None.
    """
    if all(r is None for r in rows):
        return X, y, None
    n = len(y)
    full = [np.arange(n) if r is None else r for r in rows]
    used = np.unique(np.concatenate(full))
    if used.size == n:
        return X, y, full
    positions = [np.searchsorted(used, r) for r in full]
    return _safe_indexing(X, used), _safe_indexing(y, used), positions
