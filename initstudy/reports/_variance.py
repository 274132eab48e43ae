"""Where the spread comes from: the variance decomposition of the best configurations (issue 12).

The best configuration (and the runner-up scheme's best) is rebuilt from the stored config as
:func:`~initstudy.reports.signal_table` does, the study's dataset reloaded, and trained on the
crossed design of :func:`initstudy.study._decompose.crossed_scores` (by default 4 init seeds x
4 data-order seeds x 3 validation splits ``split_seed + s``, stacked per split). The scores are
the estimator's own ``score`` on the validation part of the first fold. The table is stored in
the study (user attribute :data:`USER_ATTR`) so later reports and the dashboard show it without
training again.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from initstudy.exceptions import InitStudyError
from initstudy.reports._signal import _estimator, _Skip
from initstudy.reports._tables import _empty, best_trials, get_data

__all__ = ["USER_ATTR", "variance_table"]

#: The study user attribute holding the stored decomposition (a list of row dicts).
USER_ATTR = "variance_decomposition"
#: Columns in front of :data:`initstudy.study._variance.VARIANCE_COLUMNS`.
FIRST = ["scheme", "trial_number", "seconds"]


def _dataset(config: dict[str, Any]) -> tuple[Any, Any, str]:
    """The study's full dataset (features unprocessed: the folds preprocess them) and task."""
    from initstudy.study import load_dataset

    spec = config.get("dataset", {})
    if not spec.get("name"):
        raise _Skip("the study's config is not stored, so its dataset cannot be reloaded")
    dataset = load_dataset(spec["name"], target=spec.get("target"))
    return dataset.X, dataset.y, dataset.task


def _decompose(data: Any, n_configs: int, n_boot: int, design: dict[str, Any]) -> pd.DataFrame:
    """Train and decompose the best ``n_configs`` schemes' configurations."""
    from initstudy.study._decompose import crossed_scores
    from initstudy.study._variance import variance_components

    best = list(best_trials(data).items())[:n_configs]
    if not best:
        raise _Skip("the study has no complete trials")
    X, y, task = _dataset(data.config)
    evaluation = data.config.get("evaluation", {})
    split_seed = int(evaluation.get("split_seed", 0))
    n_splits = int(design.pop("n_splits", 3))
    design.setdefault("split_seeds", [split_seed + s for s in range(n_splits)])
    frames = []
    for scheme, trial in best:
        start = time.perf_counter()
        estimator = _estimator(data.config, dict(trial.params), task)
        scores = crossed_scores(
            estimator,
            X,
            y,
            task=task,
            validation=evaluation.get("validation", "holdout"),
            preprocessing=evaluation.get("preprocessing", "standard"),
            **design,
        )
        table = variance_components(scores.dropna(), ["init", "order", "split"], n_boot=n_boot)
        frames.append(
            table.assign(
                scheme=scheme, trial_number=trial.number, seconds=time.perf_counter() - start
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out[FIRST + [c for c in out.columns if c not in FIRST]]


def variance_table(
    storage: Any,
    study_name: str | None = None,
    *,
    compute: bool = False,
    n_configs: int = 2,
    n_boot: int = 2000,
    store: bool = True,
    **design: Any,
) -> pd.DataFrame:
    """Shares of the score variance from initialization, data order, split and interactions.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).
    compute : bool, default=False
        Train the crossed design now. When False the stored table is returned (empty, with
        ``attrs["note"]``, if none is stored yet: run ``initstudy decompose STUDY``).
    n_configs : int, default=2
        How many schemes' best configurations to decompose (best first).
    n_boot : int, default=2000
        Bootstrap resamples of the share intervals.
    store : bool, default=True
        Save a computed table in the study (needs a writable storage).
    **design
        ``init_seeds``, ``order_seeds`` (default ``range(4)``), ``split_seeds`` or
        ``n_splits`` (default 3 splits from the study's ``split_seed``).

    Returns
    -------
    pandas.DataFrame
        ``scheme``, ``trial_number``, ``seconds`` (training and decomposing that
        configuration) and the columns of :data:`~initstudy.study._variance.VARIANCE_COLUMNS`,
        one row per source (``init``, ``order``, ``split``, their pairs, ``residual``); each
        configuration's shares sum to one.
    """
    data = get_data(storage, study_name)
    stored = data.study.user_attrs.get(USER_ATTR)
    if not compute:
        if not stored:
            return _empty(
                FIRST, "no variance decomposition is stored; run 'initstudy decompose STUDY'"
            )
        return pd.DataFrame(stored)
    try:
        table = _decompose(data, n_configs, n_boot, dict(design))
    except (_Skip, InitStudyError) as e:
        return _empty(FIRST, str(e))
    if store:
        data.study.set_user_attr(
            USER_ATTR, table.astype(object).where(table.notna(), None).to_dict(orient="records")
        )
    return table
