"""Signal propagation at initialization of each scheme's best configuration.

The networks are rebuilt from the stored config (fixed estimator settings plus the trial's
parameters, through the stored search space) and measured on the study's own dataset, reloaded
from its stored spec and preprocessed as the study did. When that cannot be done honestly (no
stored config, data given as arrays in Python, a scikit-learn estimator, an unknown
preprocessing), the table is empty and ``attrs["note"]`` says why; pass ``X`` to measure on
data you provide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from initstudy.exceptions import InitStudyError
from initstudy.reports._tables import _empty, best_trials, get_data

__all__ = ["signal_table"]

#: Rows of the dataset used for the measurement (the first ones, after preprocessing).
MAX_ROWS = 512
#: Seeds measured per configuration (the study's first seeds).
MAX_SEEDS = 5


class _Skip(Exception):
    """The signal table cannot be computed; the message says why."""


def _preprocess(X: np.ndarray, preprocessing: Any) -> np.ndarray:
    """Apply the study's feature preprocessing (fitted on these rows: no training happens)."""
    from sklearn.preprocessing import StandardScaler

    steps = {
        "standard": lambda a: StandardScaler().fit_transform(a),
        "none": lambda a: a,
        None: lambda a: a,
    }
    if preprocessing not in steps:
        raise _Skip(f"the study's preprocessing {preprocessing!r} is not reproduced here; pass X")
    return np.asarray(steps[preprocessing](np.asarray(X, dtype=float)), dtype=float)


def _reload(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, str]:
    """The study's features (preprocessed, first rows), targets and task, from the config."""
    from initstudy.study import load_dataset  # lazy: only this table needs the data

    spec = config.get("dataset", {})
    if not spec.get("name"):
        raise _Skip("the study's config is not stored, so its dataset cannot be reloaded; pass X")
    try:
        dataset = load_dataset(spec["name"], target=spec.get("target"))
    except InitStudyError as e:
        raise _Skip(f"the dataset {spec['name']!r} cannot be reloaded ({e}); pass X") from e
    preprocessing = config.get("evaluation", {}).get("preprocessing", "standard")
    if preprocessing == "auto" and dataset.columns is not None:  # a table: impute, encode
        from initstudy.study import make_auto_transformer

        table = dataset.X.iloc[:MAX_ROWS]
        X = np.asarray(make_auto_transformer(dataset.columns).fit_transform(table), dtype=float)
    else:
        X = _preprocess(np.asarray(dataset.X, dtype=float)[:MAX_ROWS], preprocessing)
    return X, np.asarray(dataset.y)[:MAX_ROWS], dataset.task


def _estimator(config: dict[str, Any], params: dict[str, Any], task: str) -> Any:
    """An unfitted initstudy MLP with the fixed settings and the trial's parameters."""
    from initstudy import mlp
    from initstudy.searchspaces import from_dict

    fixed = dict(config.get("estimator", {}))
    kind = fixed.pop("kind", "mlp")
    if kind != "mlp":
        raise _Skip(
            f"signal propagation is measured on initstudy's MLPs, not on estimator kind {kind!r}"
        )
    if "space" in config:
        params = from_dict(config["space"]).estimator_params(params)
    merged: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in {**fixed, **params}.items()
    }
    cls: type[Any] = {"classification": mlp.MLPClassifier, "regression": mlp.MLPRegressor}[task]
    return cls(**merged)


def signal_table(
    storage: Any,
    study_name: str | None = None,
    *,
    X: Any = None,
    y: Any = None,
    task: str = "classification",
) -> pd.DataFrame:
    """Per-layer activation and gradient statistics at initialization of each best configuration.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).
    X : array-like, optional
        Data to measure on (already preprocessed). By default the study's dataset is reloaded
        from its stored config and preprocessed as in the study.
    y : array-like, optional
        Targets of ``X``; with them the output layer and gradient norms are included.
    task : {"classification", "regression"}, default="classification"
        The task, used only with ``X`` (otherwise the reloaded dataset's task).

    Returns
    -------
    pandas.DataFrame
        ``scheme``, ``trial_number`` and the columns of
        :func:`initstudy.mlp.signal_propagation` (one row per seed and layer: ``act_std``,
        ``preact_std``, ``grad_norm``, ...), over the
        study's first :data:`MAX_SEEDS` seeds and :data:`MAX_ROWS` rows. Empty with
        ``attrs["note"]`` when it cannot be computed.
    """
    from initstudy.mlp import signal_propagation

    data = get_data(storage, study_name)
    best = best_trials(data)
    if not best:
        return _empty(["scheme", "trial_number"], "the study has no complete trials")
    seeds = tuple(int(s) for s in sorted(data.seed_scores["seed"].unique())[:MAX_SEEDS]) or (0,)
    try:
        if X is None:
            X, y, task = _reload(data.config)
        X = np.asarray(X, dtype=float)[:MAX_ROWS]
        y = None if y is None else np.asarray(y)[:MAX_ROWS]
        frames = []
        for scheme, trial in best.items():
            est = _estimator(data.config, dict(trial.params), task)
            frame = signal_propagation(est, X, y, seeds=seeds)
            frames.append(frame.assign(scheme=scheme, trial_number=trial.number))
    except (_Skip, InitStudyError) as e:
        return _empty(["scheme", "trial_number"], str(e))
    out = pd.concat(frames, ignore_index=True)
    first = ["scheme", "trial_number"]
    return out[first + [c for c in out.columns if c not in first]]
