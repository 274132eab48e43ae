"""How scores evolve: learning curves per epoch and the response to init_scale."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from initstudy.reports._load import scheme_of, scheme_param
from initstudy.reports._tables import _empty, _seed_frame, _value, best_trials, get_data

__all__ = ["CURVE_COLUMNS", "learning_curves", "scale_response"]

CURVE_COLUMNS = ["scheme", "trial_number", "curve", "epoch", "mean", "std", "min", "max", "n"]


def _as_curve(value: Any) -> np.ndarray:
    """A stored curve (list, array or JSON text) as a float array; empty if missing."""
    if isinstance(value, str):
        value = json.loads(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return np.empty(0)
    return np.asarray(value, dtype=float).ravel()


def _curve_rows(
    scheme: str, trial: int, curve: str, curves: list[np.ndarray]
) -> list[dict[str, Any]]:
    """Per-epoch mean, std, min, max and count of the finite values of several curves."""
    length = max((c.size for c in curves), default=0)
    padded = np.full((len(curves), length), math.nan)
    for i, c in enumerate(curves):
        padded[i, : c.size] = c
    padded[~np.isfinite(padded)] = math.nan
    rows = []
    for epoch in range(length):
        col = padded[:, epoch][~np.isnan(padded[:, epoch])]
        if col.size:
            std = float(col.std(ddof=1)) if col.size > 1 else math.nan
            rows.append(
                {
                    "scheme": scheme,
                    "trial_number": trial,
                    "curve": curve,
                    "epoch": epoch + 1,
                    "mean": float(col.mean()),
                    "std": std,
                    "min": float(col.min()),
                    "max": float(col.max()),
                    "n": int(col.size),
                }
            )
    return rows


def learning_curves(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """Per scheme (its best configuration), the training loss and validation score per epoch.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        Long format: ``scheme``, ``trial_number``, ``curve`` (``"loss"`` or ``"eval"``),
        ``epoch`` (from 1), and over the seed (and fold) rows that reached that epoch with a
        finite value: ``mean``, ``std``, ``min``, ``max``, ``n``. Empty with
        ``attrs["note"]`` when no curves are stored.
    """
    data = get_data(storage, study_name)
    runs = data.seed_runs
    if runs.empty:
        return _empty(CURVE_COLUMNS, "no per-seed rows are stored, so no learning curves")
    rows: list[dict[str, Any]] = []
    for scheme, trial in best_trials(data).items():
        mine = runs[runs["trial_number"] == trial.number]
        for curve, column in (("loss", "loss_curve"), ("eval", "eval_curve")):
            if column in mine:
                rows += _curve_rows(
                    scheme, trial.number, curve, [_as_curve(v) for v in mine[column]]
                )
    if not rows:
        return _empty(CURVE_COLUMNS, "the stored seed rows have no loss or validation curves")
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def scale_response(storage: Any, study_name: str | None = None) -> pd.DataFrame:
    """The score of every complete trial against its ``init_scale``, per scheme.

    Other parameters vary between trials too: read the points as a cloud, not a curve.

    Parameters
    ----------
    storage : str, storage, optuna.Study or StudyData
        Where the study is.
    study_name : str, optional
        The study's name (not needed with a study).

    Returns
    -------
    pandas.DataFrame
        ``scheme``, ``trial_number``, ``init_scale``, ``value``, and over the trial's seeds:
        ``mean``, ``std``, ``min``, ``max``, ``n_seeds``; sorted by scheme and scale. Empty
        with ``attrs["note"]`` when the study does not search ``init_scale``.
    """
    data = get_data(storage, study_name)
    columns = [
        "scheme",
        "trial_number",
        "init_scale",
        "value",
        "mean",
        "std",
        "min",
        "max",
        "n_seeds",
    ]
    rows = []
    for t in data.complete_trials():
        scale = scheme_param(t, "init_scale")
        if scale is None:
            continue
        s = _seed_frame(data, t.number)["score"].to_numpy(dtype=float)
        s = s[np.isfinite(s)]
        stats = (
            (s.mean(), s.std(ddof=1) if s.size > 1 else math.nan, s.min(), s.max())
            if s.size
            else (math.nan,) * 4
        )
        rows.append(
            [
                scheme_of(t),
                t.number,
                float(scale),
                _value(t),
                *map(float, stats),
                int(s.size),
            ]
        )
    if not rows:
        return _empty(columns, "the study does not search init_scale")
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["scheme", "init_scale"], ignore_index=True
    )
