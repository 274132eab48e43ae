"""The test part set aside before the search (issue 10 item 1, first step).

The confirmation stage scores each scheme's best configuration on rows no search decision
saw. This module holds the split that sets those rows aside; the stage itself (retraining on
fresh seeds, rows stored with ``stage="confirm"``) is not built yet and ``run_study`` does not
call this module yet.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.model_selection import train_test_split

from initstudy.exceptions import ConfigError
from initstudy.study._datasets import Dataset

__all__ = ["split_test_part"]


def _check_test_size(test_size: object) -> float:
    if (isinstance(test_size, bool) or not isinstance(test_size, numbers.Real)
            or not 0.0 <= float(test_size) < 1.0):
        raise ConfigError(
            "The 'test_size' parameter of split_test_part must be a float in [0, 1). "
            f"Got {test_size!r} instead."
        )
    return float(test_size)


def _subset(dataset: Dataset, rows: np.ndarray, suffix: str) -> Dataset:
    X = dataset.X.iloc[rows] if hasattr(dataset.X, "iloc") else dataset.X[rows]
    return Dataset.from_arrays(X, dataset.y[rows], task=dataset.task,
                               name=f"{dataset.name}{suffix}", feature_names=dataset.feature_names)


def split_test_part(dataset: Dataset, test_size: float = 0.2,
                    split_seed: int = 0) -> tuple[Dataset, Dataset | None]:
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
    search_rows, test_rows = train_test_split(rows, test_size=size, random_state=split_seed,
                                              stratify=stratify)
    return (_subset(dataset, np.sort(search_rows), ":search"),
            _subset(dataset, np.sort(test_rows), ":test"))
