"""The validation split of a study: seeded, computed once, the same for every trial.

``validation`` is one of:

- ``"holdout"``: a 20% holdout;
- a float in (0, 1): a holdout of that fraction;
- an int K >= 2: K-fold cross-validation;
- a scikit-learn splitter (anything with ``split`` and ``get_n_splits``), used as given.

Holdouts and folds are stratified for classification and shuffled with ``split_seed``, so the
split depends on the data and that seed only, never on the trial or the model seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from initstudy.exceptions import ConfigError

__all__ = ["ValidationSpec", "make_splits", "validation_key"]

#: What ``validation`` may be.
ValidationSpec = Any

_HOLDOUT_FRACTION = 0.2


def _normalize(validation: ValidationSpec) -> float | int | Any:
    """Map the user's spec to a holdout fraction, a fold count, or a splitter object."""
    if isinstance(validation, str):
        if validation == "holdout":
            return _HOLDOUT_FRACTION
        raise ConfigError(
            f"The 'validation' setting must be 'holdout', a fraction in (0, 1), a number of "
            f"folds >= 2 or a scikit-learn splitter. Got {validation!r} instead."
        )
    if isinstance(validation, bool):
        raise ConfigError(f"The 'validation' setting cannot be a boolean. Got {validation!r}.")
    if isinstance(validation, (int, np.integer)):
        if validation < 2:
            raise ConfigError(
                f"The 'validation' number of folds must be >= 2. Got {validation!r} instead."
            )
        return int(validation)
    if isinstance(validation, (float, np.floating)):
        if not 0.0 < validation < 1.0:
            raise ConfigError(
                f"The 'validation' holdout fraction must be in (0, 1). Got {validation!r} instead."
            )
        return float(validation)
    if hasattr(validation, "split") and hasattr(validation, "get_n_splits"):
        return validation
    raise ConfigError(
        "The 'validation' setting must be 'holdout', a fraction in (0, 1), a number of folds "
        f">= 2 or a scikit-learn splitter. Got {type(validation).__name__} instead."
    )


def validation_key(validation: ValidationSpec, split_seed: int) -> str:
    """A stable text key of the split, part of the cache key of stored seed results.

    Parameters
    ----------
    validation : str, float, int or splitter
        See the module docstring.
    split_seed : int
        The seed of the split.

    Returns
    -------
    str
        E.g. ``"holdout:0.2:seed=0"``, ``"kfold:5:seed=0"`` or ``"splitter:<repr>"``.

    Raises
    ------
    ConfigError
        If ``validation`` is not valid.
    """
    spec = _normalize(validation)
    if isinstance(spec, float):
        return f"holdout:{spec!r}:seed={split_seed}"
    if isinstance(spec, int):
        return f"kfold:{spec}:seed={split_seed}"
    return f"splitter:{spec!r}"


def make_splits(
    validation: ValidationSpec, X: Any, y: np.ndarray, *, task: str, split_seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train indices, validation indices) pairs of the split.

    Parameters
    ----------
    validation : str, float, int or splitter
        See the module docstring.
    X : array-like of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    task : {"classification", "regression"}
        Stratify the split for classification.
    split_seed : int
        Seed of the shuffle.

    Returns
    -------
    list of (ndarray, ndarray)

    Raises
    ------
    ConfigError
        If ``validation`` is not valid or cannot split this data (e.g. more folds than
        members of a class).
    """
    spec = _normalize(validation)
    stratify = task == "classification"
    if isinstance(spec, float):
        cls = StratifiedShuffleSplit if stratify else ShuffleSplit
        splitter: Any = cls(n_splits=1, test_size=spec, random_state=split_seed)
    elif isinstance(spec, int):
        cls = StratifiedKFold if stratify else KFold
        splitter = cls(n_splits=spec, shuffle=True, random_state=split_seed)
    else:
        splitter = spec
    try:
        return [(np.asarray(tr), np.asarray(va)) for tr, va in splitter.split(X, y)]
    except ValueError as e:
        raise ConfigError(
            f"The 'validation' split {validation!r} cannot split this data ({len(y)} samples): {e}"
        ) from e
