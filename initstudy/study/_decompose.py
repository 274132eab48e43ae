"""The crossed seed design of a variance decomposition: train, score, decompose (issue 12).

One configuration is trained on every combination of init seeds x order seeds x split seeds:
for each split seed the data is split and preprocessed once (as a study does), and every
(init, order) pair is one member of one :func:`~initstudy.mlp.fit_seeds` call, the stacked
engine training them together. ``random_state`` is the same (0) for every member, so the
only seeds that change are the three crossed ones.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from initstudy.exceptions import ConfigError
from initstudy.mlp import MLPClassifier, MLPRegressor, fit_seeds, score_seeds
from initstudy.study._evaluate import prepare_folds
from initstudy.study._variance import variance_components

__all__ = ["crossed_scores", "decompose_estimator"]


def crossed_scores(
    estimator: MLPClassifier | MLPRegressor,
    X: Any,
    y: Any,
    *,
    task: str,
    init_seeds: Sequence[int] = range(4),
    order_seeds: Sequence[int] = range(4),
    split_seeds: Sequence[int] = range(3),
    validation: Any = "holdout",
    preprocessing: Any = "standard",
) -> pd.DataFrame:
    """Validation scores of ``estimator`` on the crossed design, one row per cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``init``, ``order``, ``split``, ``score`` (the estimator's own score on the
        first fold's validation part; NaN if diverged).

    Raises
    ------
    ConfigError
        If ``estimator`` is not an initstudy MLP (only they pin the data order).
    """
    if not isinstance(estimator, (MLPClassifier, MLPRegressor)):
        raise ConfigError(
            f"A variance decomposition needs an initstudy MLP (kind 'mlp'), which can "
            f"pin the data order. Got {type(estimator).__name__} instead."
        )
    pairs = list(itertools.product(init_seeds, order_seeds))
    rows = []
    for split in split_seeds:
        fold = prepare_folds(
            X,
            y,
            task=task,
            validation=validation,
            split_seed=int(split),
            preprocessing=preprocessing,
        )[0]
        with warnings.catch_warnings():  # a budget of epochs, as in the study: not news
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits = fit_seeds(
                estimator,
                fold.X_train,
                fold.y_train,
                seeds=[0] * len(pairs),
                init_seeds=[i for i, _ in pairs],
                shuffle_seeds=[o for _, o in pairs],
            )
        scores = score_seeds(fits, fold.X_val, fold.y_val)
        rows += [(int(i), int(o), int(split), float(s)) for (i, o), s in zip(pairs, scores)]
    return pd.DataFrame(rows, columns=["init", "order", "split", "score"])


def decompose_estimator(
    estimator: MLPClassifier | MLPRegressor,
    X: Any,
    y: Any,
    *,
    task: str,
    n_boot: int = 2000,
    **design: Any,
) -> tuple[pd.DataFrame, float]:
    """Variance shares (:func:`variance_components`) of the crossed design and its seconds."""
    start = time.perf_counter()
    scores = crossed_scores(estimator, X, y, task=task, **design)
    table = variance_components(scores, ["init", "order", "split"], n_boot=n_boot)
    return table, time.perf_counter() - start
