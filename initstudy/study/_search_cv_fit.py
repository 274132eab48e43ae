"""One trial of :class:`InitSearchCV`: the preprocessing once per split, the final step per seed.

The searched estimator is cut in two: the transformer steps of its (possibly nested) pipelines,
fitted once per CV split, and the final estimator, trained from every seed on the transformed
split. initstudy MLPs train all seeds of a batch in one stacked pass (``fit_seeds``); any other
estimator is cloned once per seed with ``random_state`` set to the seed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from initstudy.exceptions import ConfigError, DivergenceWarning, unknown_name_error
from initstudy.mlp import MLPClassifier, MLPRegressor, fit_seeds

__all__ = [
    "EstimatorLayout",
    "SeedRun",
    "SplitData",
    "estimator_text",
    "final_step",
    "final_step_path",
    "fit_score_seeds",
    "split_estimator",
    "transform_split",
]

#: Final estimators trained for several seeds in one stacked pass.
BATCHED_ESTIMATORS: tuple[type, ...] = (MLPClassifier, MLPRegressor)

#: Steps a Pipeline may hold that do nothing.
_NO_OP_STEPS = (None, "passthrough")


def final_step_path(estimator: BaseEstimator) -> tuple[str, ...]:
    """Step names leading from the estimator to its final estimator (empty if not a Pipeline)."""
    path: list[str] = []
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        path.append(name)
    return tuple(path)


def final_step(estimator: BaseEstimator) -> Any:
    """The final estimator of a (possibly nested) Pipeline, or the estimator itself."""
    while isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator


@dataclass(frozen=True)
class EstimatorLayout:
    """Where parameters go in the searched estimator: its names, and its final step's."""

    prefix: str
    valid_names: frozenset[str]
    final_names: frozenset[str]

    @classmethod
    def of(cls, estimator: BaseEstimator) -> EstimatorLayout:
        """The layout of an estimator or a (nested) Pipeline."""
        prefix = "".join(f"{name}__" for name in final_step_path(estimator))
        return cls(
            prefix,
            frozenset(estimator.get_params(deep=True)),
            frozenset(final_step(estimator).get_params(deep=True)),
        )

    @property
    def seed_param(self) -> str:
        """The full name of the final step's ``random_state``."""
        return self.prefix + "random_state"

    def address(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Address parameters to the estimator: names of the final step's parameters get the
        step-path prefix (``init`` -> ``mlp__init``); full names stay as they are.

        Raises
        ------
        ConfigError
            For a name that is neither (listing the valid names).
        """
        addressed: dict[str, Any] = {}
        for name, value in params.items():
            if self.prefix and name in self.final_names:
                addressed[self.prefix + name] = value
            elif name in self.valid_names:
                addressed[name] = value
            else:
                raise unknown_name_error(
                    "parameter of the searched estimator", name, self.valid_names
                )
        return addressed


def estimator_text(estimator: BaseEstimator) -> str:
    """The full repr of an estimator, its final step's random_state left out (set per seed)."""
    seed_param = EstimatorLayout.of(estimator).seed_param
    return clone(estimator).set_params(**{seed_param: None}).__repr__(N_CHAR_MAX=10**9)


def split_estimator(estimator: BaseEstimator) -> tuple[Pipeline | None, BaseEstimator]:
    """The transformer steps (nested pipelines flattened, in order) and the final estimator.

    Raises
    ------
    ConfigError
        If the final step of a Pipeline is ``None`` or ``"passthrough"``.
    """
    steps: list[tuple[str, Any]] = []
    while isinstance(estimator, Pipeline):
        steps.extend(step for step in estimator.steps[:-1] if step[1] not in _NO_OP_STEPS)
        name, estimator = estimator.steps[-1]
        if estimator in _NO_OP_STEPS:
            raise ConfigError(
                f"The final step {name!r} of the Pipeline searched by InitSearchCV must be an "
                f"estimator with a random_state parameter. Got {estimator!r} instead."
            )
    if not steps:
        return None, estimator
    renamed = [(f"{index}_{name}", step) for index, (name, step) in enumerate(steps)]
    return Pipeline(renamed), estimator


@dataclass
class SplitData:
    """One CV split after the preprocessing: the final step's training and test data."""

    fold: int
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    fit_seconds: float
    error: str | None = None


@dataclass
class SeedRun:
    """One fit of the final step: one seed on one fold (a row of ``initstudy_seed_runs``)."""

    seed: int
    fold: int
    score: float
    diverged: bool
    n_iter: int | None
    fit_seconds: float
    score_seconds: float
    loss_curve: list[float] | None
    error: str | None
    eval_curve: list[float] | None = None


def take_rows(data: Any, indices: np.ndarray) -> Any:
    """The rows ``indices`` of a DataFrame/Series (by position), array, sparse matrix or list."""
    if hasattr(data, "iloc"):
        return data.iloc[indices]
    if hasattr(data, "shape"):
        return data[indices]
    return [data[i] for i in indices]


def transform_split(
    preprocessor: Pipeline | None,
    X: Any,
    y: Any,
    fold: int,
    train: np.ndarray,
    test: np.ndarray,
    error_score: float | str,
) -> SplitData:
    """Fit a clone of the preprocessing on the training part and transform both parts."""
    X_train, X_test = take_rows(X, train), take_rows(X, test)
    y_train, y_test = take_rows(y, train), take_rows(y, test)
    if preprocessor is None:
        return SplitData(fold, X_train, y_train, X_test, y_test, 0.0)
    start = time.perf_counter()
    try:
        fitted = clone(preprocessor)
        Xt_train = fitted.fit_transform(X_train, y_train)
        Xt_test = fitted.transform(X_test)
    except Exception as e:
        if error_score == "raise":
            raise
        return SplitData(
            fold, None, y_train, None, y_test, time.perf_counter() - start, _error_text(e)
        )
    return SplitData(fold, Xt_train, y_train, Xt_test, y_test, time.perf_counter() - start)


def fit_score_seeds(
    final: BaseEstimator,
    split: SplitData,
    seeds: Sequence[int],
    scorer: Callable[..., float],
    *,
    error_score: float | str,
    diverged_score: float,
) -> list[SeedRun]:
    """Train the final step from every seed on one split and score each fit on its test part.

    A seed whose training diverged scores ``diverged_score``; a fit or a scoring that raises
    scores ``error_score`` (re-raised when it is ``"raise"``).
    """
    if split.error is not None:
        return [_failed_run(seed, split.fold, 0.0, split.error, error_score) for seed in seeds]
    start = time.perf_counter()
    try:
        fitted = _fit_final(final, split, seeds)
    except Exception as e:
        if error_score == "raise":
            raise
        seconds = (time.perf_counter() - start) / len(seeds)
        error = _error_text(e)
        return [_failed_run(seed, split.fold, seconds, error, error_score) for seed in seeds]
    seconds = (time.perf_counter() - start) / len(seeds)
    return [
        _score_fit(estimator, seed, split, seconds, scorer, error_score, diverged_score)
        for seed, estimator in zip(seeds, fitted)
    ]


def _fit_final(final: BaseEstimator, split: SplitData, seeds: Sequence[int]) -> list[Any]:
    """One fitted estimator per seed: stacked for initstudy MLPs, one clone each otherwise."""
    with warnings.catch_warnings():
        # A diverged seed is counted and penalized, not reported as a warning; a search
        # trains n_seeds x n_splits models a trial, so their ConvergenceWarnings are noise
        # (as in ``evaluate``); the refit's warnings are shown.
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(final, BATCHED_ESTIMATORS):  # with the test part's score per epoch
            return fit_seeds(
                final,
                split.X_train,
                split.y_train,
                list(seeds),
                eval_set=(split.X_test, split.y_test),
            )
        return [
            clone(final).set_params(random_state=seed).fit(split.X_train, split.y_train)
            for seed in seeds
        ]


def _score_fit(
    estimator: Any,
    seed: int,
    split: SplitData,
    fit_seconds: float,
    scorer: Callable[..., float],
    error_score: float | str,
    diverged_score: float,
) -> SeedRun:
    """Score one fitted seed on the split's test part."""
    n_iter = getattr(estimator, "n_iter_", None)
    n_iter = None if n_iter is None else int(n_iter)
    curve, evals = _curve(estimator, "loss_curve_"), _curve(estimator, "eval_scores_")
    if getattr(estimator, "diverged_", False):
        return SeedRun(
            seed,
            split.fold,
            float(diverged_score),
            True,
            n_iter,
            fit_seconds,
            0.0,
            curve,
            None,
            evals,
        )
    start = time.perf_counter()
    try:
        score, error = float(scorer(estimator, split.X_test, split.y_test)), None
    except Exception as e:
        if error_score == "raise":
            raise
        score, error = float(error_score), _error_text(e)
    return SeedRun(
        seed,
        split.fold,
        score,
        False,
        n_iter,
        fit_seconds,
        time.perf_counter() - start,
        curve,
        error,
        evals,
    )


def _curve(estimator: Any, attribute: str) -> list[float] | None:
    """A per-epoch curve of a fitted estimator as floats (None when it has none)."""
    values = getattr(estimator, attribute, None)
    return None if values is None else [float(value) for value in values]


def _failed_run(
    seed: int, fold: int, seconds: float, error: str, error_score: float | str
) -> SeedRun:
    """The record of a seed whose preprocessing or fit raised."""
    return SeedRun(seed, fold, float(error_score), False, None, seconds, 0.0, None, error)


def _error_text(error: BaseException) -> str:
    """How a failed fit is recorded: ``"ExceptionType: message"``."""
    return f"{type(error).__name__}: {error}"
