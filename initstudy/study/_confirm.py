"""The test part set aside before the search (issue 10 item 1, first step).

The confirmation stage scores each scheme's best configuration on rows no search decision
saw. This module holds the split that sets those rows aside; the stage itself (retraining on
fresh seeds, rows stored with ``stage="confirm"``) is :func:`confirm_study`, usable from
Python; ``run_study`` and the CLI do not call this module yet, and the search does not yet
exclude the test part.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from sklearn.model_selection import train_test_split

from initstudy.exceptions import ConfigError
from initstudy.study._cache import StorageSeedCache, estimator_key_params
from initstudy.study._datasets import Dataset
from initstudy.study._equivalence import study_space
from initstudy.study._evaluate import _prepare_folds, evaluate_folds
from initstudy.study._objective import Objective
from initstudy.study._run import _load_data, _storage

__all__ = ["confirm_study", "split_test_part"]


def _check_test_size(test_size: object) -> float:
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0.0 <= float(test_size) < 1.0
    ):
        raise ConfigError(
            "The 'test_size' parameter of split_test_part must be a float in [0, 1). "
            f"Got {test_size!r} instead."
        )
    return float(test_size)


def _subset(dataset: Dataset, rows: np.ndarray, suffix: str) -> Dataset:
    X = dataset.X.iloc[rows] if hasattr(dataset.X, "iloc") else dataset.X[rows]
    return Dataset.from_arrays(
        X,
        dataset.y[rows],
        task=dataset.task,
        name=f"{dataset.name}{suffix}",
        feature_names=dataset.feature_names,
    )


def split_test_part(
    dataset: Dataset, test_size: float = 0.2, split_seed: int = 0
) -> tuple[Dataset, Dataset | None]:
    """Set a test part aside that the search never sees.

    Parameters
    ----------
    dataset : Dataset
    test_size : float, default=0.2
        Fraction of rows in the test part; 0 sets nothing aside.
    split_seed : int, default=0
        Seeds the shuffle, so one study always gets the same parts.

    Returns
    -------
    search : Dataset
        The rows the search (and its K-fold validation) may use.
    test : Dataset or None
        The untouched rows (stratified by class for classification); None when
        ``test_size`` is 0.

    Raises
    ------
    ConfigError
        For a ``test_size`` outside [0, 1).
    """
    size = _check_test_size(test_size)
    if size == 0.0:
        return dataset, None
    rows = np.arange(dataset.n_samples)
    stratify = dataset.y if dataset.task == "classification" else None
    search_rows, test_rows = train_test_split(
        rows, test_size=size, random_state=split_seed, stratify=stratify
    )
    return (
        _subset(dataset, np.sort(search_rows), ":search"),
        _subset(dataset, np.sort(test_rows), ":test"),
    )


def _best_per_scheme(study: optuna.Study) -> dict[str, optuna.trial.FrozenTrial]:
    """Each scheme's best finished search trial (first objective)."""
    sign = 1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1.0
    best: dict[str, optuna.trial.FrozenTrial] = {}
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        scheme = str(trial.params.get("init", ""))
        if scheme not in best or sign * trial.values[0] > sign * best[scheme].values[0]:
            best[scheme] = trial
    return best


def _test_folds(config: Any, dataset: Dataset, test_size: float) -> list[Any]:
    """One fold: train on the search part, score on the test part."""
    search, test = split_test_part(dataset, test_size, config.split_seed)
    if test is None:
        raise ConfigError(
            "The 'test_size' parameter of confirm_study must be in (0, 1). "
            f"Got {test_size!r} instead."
        )
    X = np.concatenate([np.asarray(search.X), np.asarray(test.X)])
    y = np.concatenate([search.y, test.y])
    rows = np.arange(len(y))
    split = [(rows[: search.n_samples], rows[search.n_samples :])]
    return _prepare_folds(X, y, split, config.preprocessing)


def confirm_study(
    config: Any, study: optuna.Study, *, seeds: Sequence[int], test_size: float = 0.2
) -> dict[int, Any]:
    """Retrain each scheme's best search trial on fresh seeds; score it on the test part.

    Rows are stored with ``stage="confirm"``, ``trial_number`` = the search trial's number
    and ``fold = 0``; stored rows are reused, so a second call (after a kill) trains only
    what is missing.

    Parameters
    ----------
    config : StudyConfig
        The study's config (data, estimator, split seed, preprocessing, scoring).
    study : optuna.Study
        The finished search.
    seeds : sequence of int
        Fresh seeds; none may be a search seed.
    test_size : float, default=0.2

    Returns
    -------
    dict of int to EvaluationResult
        Keyed by the search trial's number.

    Raises
    ------
    ConfigError
        If a seed was used by the search, or for a ``test_size`` outside (0, 1).
    """
    reused = sorted(set(seeds) & set(config.seed_list))
    if reused:
        raise ConfigError(
            "The 'seeds' parameter of confirm_study must not contain a search "
            f"seed ({list(config.seed_list)}). Got {reused} instead."
        )
    dataset = _load_data(config)
    space, _ = study_space(config, dataset)
    storage = _storage(config)
    objective = Objective(config, dataset, space, storage)
    folds = _test_folds(config, dataset, test_size)
    validation = (
        f"confirm|test_size={test_size!r}|split_seed={config.split_seed}"
        f"|preprocessing={config.preprocessing!r}|scoring={config.scoring!r}"
    )
    results = {}
    for trial in _best_per_scheme(study).values():
        estimator = objective.build(space.suggest(optuna.trial.FixedTrial(trial.params)))
        cache = StorageSeedCache(
            storage,
            study.study_name,
            trial.number,
            fingerprint=dataset.fingerprint,
            estimator_params=estimator_key_params(estimator),
            validation=validation,
            stage="confirm",
        )
        results[trial.number] = evaluate_folds(
            estimator,
            folds,
            seeds=list(seeds),
            scoring=config.scoring,
            aggregate=config.aggregate,
            penalty=config.penalty,
            cache=cache,
        )
    return results
