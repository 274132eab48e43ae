"""Repeated seeded evaluation: train one estimator from several seeds on a fixed split.

Our MLPs (``initstudy.mlp``) train all seeds of a group in one stacked pass through
``fit_seeds``; any other scikit-learn estimator with a ``random_state`` parameter (also inside
a Pipeline) is cloned once per seed. Either way the preprocessing is fitted once per fold on
the training part only, and each seed's result is a :class:`SeedRecord`.

Which failures are data and which are bugs: a fit or a score that raises ``ValueError``
(scikit-learn's parameter and input errors, our ``ConfigError``/``DataError``),
``ArithmeticError``, ``numpy.linalg.LinAlgError`` or ``MemoryError`` becomes an error record
(scored with the penalty, counted in ``n_errors``); anything else (``TypeError``,
``AttributeError``, ``KeyError``, ...) is a bug and propagates. ``KeyboardInterrupt`` also
propagates, after the groups already finished were handed to the cache.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.preprocessing import StandardScaler

from initstudy.exceptions import ConfigError, DivergenceWarning, unknown_name_error
from initstudy.mlp import MLPClassifier, MLPRegressor, fit_seeds, one_blas_thread, score_seeds
from initstudy.study._aggregates import AGGREGATES, default_penalty
from initstudy.study._datasets import _check_features, _check_target
from initstudy.study._preprocessing import make_auto_transformer, prepare_table
from initstudy.study._records import EvaluationResult, SeedRecord
from initstudy.study._validation import ValidationSpec, make_splits

__all__ = ["SeedCache", "check_seeds", "evaluate", "evaluate_folds", "prepare_folds"]

#: Exceptions of a fit or a score that are recorded as the seed's error instead of raised.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    ArithmeticError,
    np.linalg.LinAlgError,
    MemoryError,
)

EpochCallback = Callable[[int, np.ndarray], bool]
Scorer = Callable[[Any, np.ndarray, np.ndarray], float]


class SeedCache(Protocol):
    """Where :func:`evaluate` looks up finished seeds and hands over new ones."""

    def lookup(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], SeedRecord]:
        """Stored records for these (seed, fold) keys; missing keys are absent."""

    def save(self, records: Sequence[SeedRecord]) -> None:
        """Keep the records of one finished seed group (reused ones have ``cached=True``)."""


@dataclass(frozen=True)
class _Fold:
    index: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def _estimator_score(est: Any, X: np.ndarray, y: np.ndarray) -> float:
    """The estimator's own ``score`` (the default scoring)."""
    return float(est.score(X, y))


def _make_scorer(scoring: str | Callable[..., float] | None) -> Scorer:
    """The score function: the estimator's own ``score``, a scorer name, or a callable."""
    if scoring is None:
        return _estimator_score
    if callable(scoring):
        return lambda est, X, y: float(scoring(est, X, y))
    if scoring not in get_scorer_names():
        raise unknown_name_error("scoring", scoring, get_scorer_names())
    scorer = get_scorer(scoring)
    return lambda est, X, y: float(scorer(est, X, y))


def _make_preprocessing(preprocessing: Any) -> Any:
    """A fresh transformer: ``"standard"`` -> StandardScaler, None/``"none"`` -> no transform.

    ``"auto"`` is resolved by :func:`prepare_folds` before (it depends on the table).
    """
    if preprocessing is None or preprocessing == "none":
        return None
    if preprocessing == "standard":
        return StandardScaler()
    if hasattr(preprocessing, "fit_transform") and hasattr(preprocessing, "transform"):
        return clone(preprocessing)
    raise ConfigError(
        "The 'preprocessing' setting must be 'auto', 'standard', 'none' or a scikit-learn "
        "transformer. "
        f"Got {preprocessing!r} instead."
    )


def _prepare_folds(
    X: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], preprocessing: Any
) -> list[_Fold]:
    """Transform each fold with preprocessing fitted on its training part only."""
    folds = []
    for index, (train, val) in enumerate(splits):
        transformer = _make_preprocessing(preprocessing)
        if isinstance(X, pd.DataFrame):
            X_train, X_val = X.iloc[train], X.iloc[val]
        else:
            X_train, X_val = X[train], X[val]
        if transformer is not None:
            X_train = transformer.fit_transform(X_train, y[train])
            X_val = transformer.transform(X_val)
        folds.append(_Fold(index, X_train, y[train], X_val, y[val]))
    return folds


def _seed_params(estimator: BaseEstimator) -> list[str]:
    """The ``random_state`` parameter names of an estimator or a Pipeline."""
    names = [k for k in estimator.get_params() if k.split("__")[-1] == "random_state"]
    if not names:
        raise ConfigError(
            f"The estimator {type(estimator).__name__} has no 'random_state' parameter: "
            "evaluate needs one to train it from several seeds."
        )
    return names


def _finite_curve(curve: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in (curve if curve is not None else ()))


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _record(
    est: Any, seed: int, fold: _Fold, seconds: float, scorer: Scorer, score: float | None = None
) -> SeedRecord:
    """Score one fitted estimator into a record (``score``: already computed)."""
    loss = _finite_curve(getattr(est, "loss_curve_", None))
    diverged = bool(getattr(est, "diverged_", False)) or not all(map(math.isfinite, loss))
    value, error = math.nan, None
    if not diverged and score is not None:
        value = score
    elif not diverged:
        try:
            value = scorer(est, fold.X_val, fold.y_val)
        except DATA_ERRORS as e:
            error = _error_text(e)
    return SeedRecord(
        seed=seed,
        fold=fold.index,
        score=value,
        loss_curve=loss,
        eval_curve=_finite_curve(getattr(est, "eval_scores_", None)),
        n_iter=int(getattr(est, "n_iter_", 0) or 0),
        fit_seconds=seconds,
        diverged=diverged,
        error=error,
    )


def _failed(seeds: Sequence[int], fold: _Fold, error: BaseException, seconds: float) -> list:
    text = _error_text(error)
    return [
        SeedRecord(seed=s, fold=fold.index, score=math.nan, fit_seconds=seconds, error=text)
        for s in seeds
    ]


def _fit_stacked(
    estimator: Any, fold: _Fold, seeds: list[int], scorer: Scorer, callback: EpochCallback | None
) -> list[SeedRecord]:
    """Train our MLP from all seeds at once with ``fit_seeds``."""
    start = time.perf_counter()
    try:
        fitted = fit_seeds(
            estimator,
            fold.X_train,
            fold.y_train,
            seeds,
            eval_set=(fold.X_val, fold.y_val),
            epoch_callback=callback,
        )
    except DATA_ERRORS as e:
        return _failed(seeds, fold, e, (time.perf_counter() - start) / len(seeds))
    return score_fitted(fitted, seeds, fold, (time.perf_counter() - start) / len(seeds), scorer)


def score_fitted(
    fitted: Sequence[Any], seeds: Sequence[int], fold: _Fold, seconds: float, scorer: Scorer
) -> list[SeedRecord]:
    """The records of our MLPs fitted on ``fold`` (``seconds``: each one's share of the fit)."""
    with one_blas_thread():  # scoring small validation sets: one thread is faster
        scores: list[float | None] = [None] * len(fitted)
        if scorer is _estimator_score:  # the default: every seed's score() in one call
            try:
                scores = list(score_seeds(fitted, fold.X_val, fold.y_val))
            except DATA_ERRORS:
                pass  # scored one by one below, each error recorded with its seed
        return [
            _record(est, seed, fold, seconds, scorer, score)
            for est, seed, score in zip(fitted, seeds, scores)
        ]


def _fit_clones(
    estimator: Any, fold: _Fold, seeds: list[int], scorer: Scorer, callback: EpochCallback | None
) -> list[SeedRecord]:
    """Train one clone per seed (any estimator with ``random_state``); no epoch callback."""
    names = _seed_params(estimator)
    records = []
    for seed in seeds:
        est = clone(estimator).set_params(**dict.fromkeys(names, seed))
        start = time.perf_counter()
        try:
            est.fit(fold.X_train, fold.y_train)
        except DATA_ERRORS as e:
            records += _failed([seed], fold, e, time.perf_counter() - start)
            continue
        records.append(_record(est, seed, fold, time.perf_counter() - start, scorer))
    return records


def check_seeds(seeds: Sequence[int] | int) -> tuple[int, ...]:
    """The seeds as a tuple (a count ``n`` means ``0 .. n-1``); ConfigError when invalid."""
    values = tuple(range(seeds)) if isinstance(seeds, (int, np.integer)) else tuple(seeds)
    if (
        not values
        or len(set(values)) != len(values)
        or not all(isinstance(s, (int, np.integer)) and s >= 0 for s in values)
    ):
        raise ConfigError(
            "The 'seeds' must be a positive count or distinct non-negative integers. "
            f"Got {seeds!r} instead."
        )
    return tuple(int(s) for s in values)


#: Seeds trained, scored and stored together when no ``seed_batch`` is set. Bounds a study's
#: memory whatever its number of seeds (a group's fitted networks are dropped once it is
#: stored); 256 networks are far past the stacked engine's per-call overhead regime, and the
#: scores do not depend on the grouping.
MAX_GROUP_SEEDS = 256


def _groups(seeds: tuple[int, ...], seed_batch: int | None) -> list[list[int]]:
    size = min(len(seeds), MAX_GROUP_SEEDS) if seed_batch is None else int(seed_batch)
    if size < 1:
        raise ConfigError(f"The 'seed_batch' must be >= 1 or None. Got {seed_batch!r} instead.")
    return [list(seeds[i : i + size]) for i in range(0, len(seeds), size)]


def _run_group(
    fit: Callable[..., list[SeedRecord]],
    estimator: Any,
    folds: list[_Fold],
    group: list[int],
    scorer: Scorer,
    cache: SeedCache | None,
    callbacks: list[EpochCallback],
) -> list[SeedRecord]:
    """Train (or reuse) one seed group on every fold; the epoch callback is used once."""
    found = cache.lookup([(s, f.index) for s in group for f in folds]) if cache else {}
    records = [found[key] for key in found]
    for fold in folds:
        todo = [s for s in group if (s, fold.index) not in found]
        if todo:
            records += fit(estimator, fold, todo, scorer, callbacks.pop() if callbacks else None)
    order = {s: i for i, s in enumerate(group)}
    return sorted(records, key=lambda r: (order[r.seed], r.fold))


def evaluate(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    seeds: Sequence[int] | int,
    validation: ValidationSpec = "holdout",
    split_seed: int = 0,
    scoring: str | Callable[..., float] | None = None,
    preprocessing: Any = "standard",
    aggregate: str = "mean",
    penalty: float | None = None,
    seed_batch: int | None = None,
    cache: SeedCache | None = None,
    epoch_callback: EpochCallback | None = None,
    on_records: Callable[[list[SeedRecord]], None] | None = None,
) -> EvaluationResult:
    """Train an estimator from several seeds on a fixed, seeded split and score each seed.

    Parameters
    ----------
    estimator : estimator
        An ``initstudy.mlp`` MLP (all seeds of a group in one stacked ``fit_seeds`` pass), or
        any scikit-learn estimator or Pipeline with a ``random_state`` parameter (one clone
        per seed). It is not modified.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    seeds : int or sequence of int
        The model seeds (a count ``n`` means ``0 .. n-1``); the same for every trial.
    validation : "holdout", float, int or splitter, default="holdout"
        A 20% holdout, a holdout fraction, K-fold, or a scikit-learn splitter.
    split_seed : int, default=0
        Seed of the split, independent of the model seeds.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or ``scorer(estimator, X, y)``; None uses the estimator's
        ``score`` (accuracy, or R^2 for regressors). Per-epoch ``eval_curve`` values always
        use the estimator's ``score``.
    preprocessing : "standard", "none", None or transformer, default="standard"
        Fitted once per fold on its training part (StandardScaler by default).
    aggregate : {"mean", "median", "iqm", "ci_low"}, default="mean"
        The rule of :attr:`EvaluationResult.value`.
    penalty : float or None, default=None
        Score of a diverged or failed seed; None means the metric's worst score (0 for
        accuracy, -1 for R^2, see :func:`default_penalty`).
    seed_batch : int or None, default=None
        Seeds trained together; None trains all seeds at once (fastest).
    cache : SeedCache or None, default=None
        Looked up before training and given each finished seed group.
    epoch_callback : callable or None, default=None
        ``epoch_callback(epoch, eval_scores) -> stop`` during the first trained stacked fit
        (our MLPs only).
    on_records : callable or None, default=None
        Called with each finished seed group's records, after the cache saved them; an
        exception raised there (e.g. ``optuna.TrialPruned``) stops the evaluation.

    Returns
    -------
    EvaluationResult

    Raises
    ------
    ConfigError
        For invalid seeds, validation, scoring, preprocessing or an estimator without
        ``random_state``.
    DataError
        For invalid data, with the checks of :meth:`Dataset.from_arrays`: sparse, non-2-D,
        empty, non-numeric or non-finite X, or a y of another length.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import SGDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> result = evaluate(SGDClassifier(max_iter=50, tol=None), X, y, seeds=3)
    >>> len(result.records), result.n_diverged
    (3, 0)
    """
    check_seeds(seeds)
    task = "classification" if is_classifier(estimator) else "regression"
    folds = prepare_folds(
        X, y, task=task, validation=validation, split_seed=split_seed, preprocessing=preprocessing
    )
    return evaluate_folds(
        estimator,
        folds,
        seeds=seeds,
        scoring=scoring,
        aggregate=aggregate,
        penalty=penalty,
        seed_batch=seed_batch,
        cache=cache,
        epoch_callback=epoch_callback,
        on_records=on_records,
    )


def prepare_folds(
    X: Any,
    y: Any,
    *,
    task: str,
    validation: ValidationSpec = "holdout",
    split_seed: int = 0,
    preprocessing: Any = "standard",
) -> list[_Fold]:
    """Validate the data, split it (seeded) and preprocess each fold on its training part.

    :func:`evaluate` does this on every call; a study does it once for all its trials (the
    data, split and preprocessing are the same for every trial). The folds' arrays are
    shared by every evaluation that uses them and must not be modified.

    Raises
    ------
    DataError
        For invalid X or y (the checks of :meth:`Dataset.from_arrays`).
    ConfigError
        For an invalid validation or preprocessing setting.
    """
    if preprocessing == "auto" and isinstance(X, pd.DataFrame):
        table, plan = prepare_table(X, warn=False)  # the dataset's loader warned already
        if plan.needs_auto:  # a table: imputed and encoded inside each fold
            y = _check_target(y, table.shape[0])
            splits = make_splits(validation, table, y, task=task, split_seed=split_seed)
            return _prepare_folds(table, y, splits, make_auto_transformer(plan))
    if preprocessing == "auto":  # complete numbers: exactly "standard"
        preprocessing = "standard"
    X = _check_features(X)
    y = _check_target(y, X.shape[0])
    X = np.asarray(X)
    splits = make_splits(validation, X, y, task=task, split_seed=split_seed)
    return _prepare_folds(X, y, splits, preprocessing)


def evaluate_folds(
    estimator: Any,
    folds: Sequence[_Fold],
    *,
    seeds: Sequence[int] | int,
    scoring: str | Callable[..., float] | None = None,
    aggregate: str = "mean",
    penalty: float | None = None,
    seed_batch: int | None = None,
    cache: SeedCache | None = None,
    epoch_callback: EpochCallback | None = None,
    on_records: Callable[[list[SeedRecord]], None] | None = None,
) -> EvaluationResult:
    """:func:`evaluate` on folds made by :func:`prepare_folds` (same parameters)."""
    seed_tuple = check_seeds(seeds)
    task = "classification" if is_classifier(estimator) else "regression"
    scorer = _make_scorer(scoring)
    penalty = default_penalty(scoring, task) if penalty is None else float(penalty)
    if aggregate not in AGGREGATES:
        raise unknown_name_error("aggregate", aggregate, AGGREGATES)
    fit = _fit_stacked if isinstance(estimator, (MLPClassifier, MLPRegressor)) else _fit_clones
    if fit is _fit_clones:
        _seed_params(estimator)
    callbacks = [epoch_callback] if epoch_callback is not None else []
    records: list[SeedRecord] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        for group in _groups(seed_tuple, seed_batch):
            group_records = _run_group(fit, estimator, list(folds), group, scorer, cache, callbacks)
            if cache is not None:
                cache.save(group_records)
            records += group_records
            if on_records is not None:
                on_records(group_records)
    return EvaluationResult(tuple(records), seed_tuple, aggregate=aggregate, penalty=penalty)
