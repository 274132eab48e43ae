"""The parameter rules of :class:`InitSearchCV`, checked at the top of ``fit``."""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from typing import Any

import optuna

from initstudy.exceptions import ConfigError, unknown_name_error
from initstudy.study._aggregates import AGGREGATES
from initstudy.study._search_cv_fit import final_step

__all__ = ["validate_search_params"]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: Parameter -> (check, the rule in words). Checked at the top of ``fit``.
_CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n_trials": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "n_seeds": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "cv": (
        lambda v: (
            v is None
            or (_is_int(v) and v >= 2)
            or (not isinstance(v, str) and (hasattr(v, "split") or hasattr(v, "__iter__")))
        ),
        "None, an int >= 2, a CV splitter or an iterable of (train, test) splits",
    ),
    "scoring": (
        lambda v: v is None or isinstance(v, str) or callable(v),
        "None, a scorer name or a callable scorer(estimator, X, y)",
    ),
    "sampler": (
        lambda v: v is None or isinstance(v, optuna.samplers.BaseSampler),
        "None or an optuna sampler",
    ),
    "budget": (lambda v: v in ("per-scheme", "sampler"), "'per-scheme' or 'sampler'"),
    "confirm_seeds": (lambda v: _is_int(v) and v >= 0, "an int >= 0"),
    "pruner": (
        lambda v: v is None or isinstance(v, optuna.pruners.BasePruner),
        "None or an optuna pruner (e.g. WilcoxonPruner)",
    ),
    "storage": (
        lambda v: v is None or isinstance(v, (str, os.PathLike, optuna.storages.BaseStorage)),
        "None, a storage URL, a .db path or an optuna RDBStorage",
    ),
    "study_name": (
        lambda v: v is None or (isinstance(v, str) and bool(v.strip())),
        "None or a non-empty string",
    ),
    "refit": (lambda v: isinstance(v, bool), "a bool"),
    "random_state": (
        lambda v: v is None or (_is_int(v) and 0 <= v < 2**31),
        "None or an int in [0, 2**31)",
    ),
    "n_jobs": (lambda v: v is None or (_is_int(v) and v != 0), "None or a non-zero int"),
    "error_score": (
        lambda v: v == "raise" or (isinstance(v, numbers.Real) and not isinstance(v, bool)),
        "'raise' or a number",
    ),
    "verbose": (lambda v: _is_int(v) and v >= 0 or isinstance(v, bool), "an int >= 0"),
}


def validate_search_params(search: Any) -> None:
    """Check every parameter of the search against its rule, and its estimator.

    Raises
    ------
    ConfigError
        Naming the parameter, the rule and the value received.
    """
    for name, (check, rule) in _CONSTRAINTS.items():
        value = getattr(search, name)
        if not check(value):
            raise ConfigError(
                f"The {name!r} parameter of InitSearchCV must be {rule}. Got {value!r} instead."
            )
    if search.aggregate not in AGGREGATES:
        raise unknown_name_error("aggregate", search.aggregate, AGGREGATES)
    final = final_step(search.estimator)
    if not hasattr(final, "get_params") or "random_state" not in final.get_params(deep=False):
        raise ConfigError(
            "The estimator searched by InitSearchCV (or its Pipeline's final step) must have a "
            f"random_state parameter, set to each seed. Got {type(final).__name__} instead."
        )
