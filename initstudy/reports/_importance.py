"""Optuna's hyperparameter importances of a stored study, as a table."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd

from initstudy.exceptions import unknown_name_error
from initstudy.reports._load import StudyData
from initstudy.reports._tables import _empty, get_data

__all__ = ["importances"]


def _get_importances(data: StudyData, evaluator: Any) -> dict[str, float]:
    """Optuna importances of the first objective (negated for PED-ANOVA when maximized)."""
    if len(data.study.directions) == 1:
        return optuna.importance.get_param_importances(data.study, evaluator=evaluator)
    sign = -1.0 if data.greater_is_better else 1.0
    with warnings.catch_warnings():  # the target is already oriented so that low is better
        warnings.filterwarnings("ignore", message="PedAnovaImportanceEvaluator computes")
        return optuna.importance.get_param_importances(
            data.study, evaluator=evaluator, target=lambda t: sign * t.values[0]
        )


def importances(
    storage: Any, study_name: str | None = None, *, evaluator: str = "ped_anova"
) -> pd.DataFrame:
    """Optuna's hyperparameter importances of the study's objective.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).
    evaluator : {"ped_anova", "fanova"}, default="ped_anova"
        PED-ANOVA (Optuna's default; handles conditional parameters) or fANOVA (random
        forests, seeded).

    Returns
    -------
    pandas.DataFrame
        ``param``, ``importance`` (normalized to sum 1), most important first;
        ``attrs["evaluator"]`` names the evaluator ("PED-ANOVA", "FANOVA"); empty with
        ``attrs["note"]`` when fewer than 2 complete trials or Optuna cannot compute them.
    """
    factories: dict[str, Callable[[], optuna.importance.BaseImportanceEvaluator]] = {
        "ped_anova": optuna.importance.PedAnovaImportanceEvaluator,
        "fanova": lambda: optuna.importance.FanovaImportanceEvaluator(seed=0),
    }
    if evaluator not in factories:
        raise unknown_name_error("importance evaluator", evaluator, factories)
    data = get_data(storage, study_name)
    n = len(data.complete_trials())
    if n < 2:
        return _empty(["param", "importance"], f"needs at least 2 complete trials, got {n}")
    try:
        values = _get_importances(data, factories[evaluator]())
    except (ValueError, RuntimeError) as e:
        return _empty(["param", "importance"], f"Optuna could not compute importances: {e}")
    if not values:
        return _empty(["param", "importance"], "no parameter varied across the complete trials")
    frame = pd.DataFrame({"param": list(values), "importance": [float(v) for v in values.values()]})
    frame.attrs["evaluator"] = evaluator.replace("_", "-").upper()
    return frame
