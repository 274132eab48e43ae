"""The estimators a study can tune, by kind and task, built from plain parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn import neural_network

from initstudy import mlp
from initstudy._private_apis import validate_sklearn_params
from initstudy.exceptions import ConfigError, unknown_name_error

__all__ = ["ESTIMATORS", "build_estimator", "check_estimator_params", "check_estimator_values"]

#: Estimator kind -> {task: estimator class}.
ESTIMATORS: dict[str, dict[str, type]] = {
    "mlp": {"classification": mlp.MLPClassifier, "regression": mlp.MLPRegressor},
    "sklearn_mlp": {
        "classification": neural_network.MLPClassifier,
        "regression": neural_network.MLPRegressor,
    },
}


def _normalize(params: Mapping[str, Any]) -> dict[str, Any]:
    """TOML/JSON lists become tuples (``hidden_layer_sizes = [64, 64]``)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def check_estimator_params(kind: str, params: Mapping[str, Any]) -> None:
    """Refuse parameter names the estimator does not have (with the nearest valid name).

    Raises
    ------
    ConfigError
        For an unknown kind or parameter name, or a ``random_state`` (the study sets it).
    """
    if kind not in ESTIMATORS:
        raise unknown_name_error("estimator kind", kind, ESTIMATORS)
    valid = ESTIMATORS[kind]["classification"]().get_params()
    for name in params:
        if name == "random_state":
            raise ConfigError(
                "The estimator parameter 'random_state' cannot be set: the study's seeds set it."
            )
        if name not in valid:
            raise unknown_name_error(f"{kind} estimator parameter", name, valid)


def _validate_sklearn(estimator: Any) -> None:
    """scikit-learn's own parameter validation, its error turned into a ConfigError."""
    try:
        validate_sklearn_params(estimator)
    except ValueError as e:  # InvalidParameterError
        raise ConfigError(f"Invalid {type(estimator).__name__} setting: {e}") from e


#: Estimator kind -> the parameter validation run on a built estimator (no data needed).
_VALUE_CHECKS: dict[str, Any] = {"mlp": mlp.validate_params, "sklearn_mlp": _validate_sklearn}


def check_estimator_values(kind: str, params: Mapping[str, Any]) -> None:
    """Refuse invalid parameter names *and values* before anything is trained or stored.

    The estimator is built (classification; the constraints are the same for regression)
    and its parameter validation runs, so e.g. ``init_scale = -1`` or
    ``hidden_layer_sizes = [8, 0]`` fail at once instead of in every trial.

    Raises
    ------
    ConfigError
        For an unknown kind or parameter name, or a value the estimator refuses.
    """
    estimator = build_estimator(kind, "classification", params)
    _VALUE_CHECKS[kind](estimator)


def build_estimator(kind: str, task: str, params: Mapping[str, Any]) -> Any:
    """A new estimator of this kind for the task, with these parameters.

    Parameters
    ----------
    kind : {"mlp", "sklearn_mlp"}
    task : {"classification", "regression"}
    params : mapping
        Constructor parameters (lists are turned into tuples).

    Returns
    -------
    estimator

    Raises
    ------
    ConfigError
        For an unknown kind or parameter name.
    """
    check_estimator_params(kind, params)
    return ESTIMATORS[kind][task](**_normalize(params))


def check_network_memory(kind: str, dataset: Any, params: Mapping[str, Any]) -> None:
    """Refuse, before any trial, a fixed network that cannot fit in this machine's memory.

    Only for initstudy's MLPs whose ``hidden_layer_sizes`` is fixed (``params`` are the
    estimator settings of the study, without the searched ones).
    """
    if kind != "mlp":
        return
    estimator = build_estimator(kind, dataset.task, params)
    n_outputs = len(np.unique(dataset.y)) if dataset.task == "classification" else 1
    mlp.check_network_fits(estimator, dataset.n_samples, dataset.n_features, n_outputs)
