"""Reading a stored study once: the Optuna study, its per-seed rows and its stored config."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from initstudy._private_apis import rdb_backend
from initstudy.exceptions import StorageError, unknown_name_error

__all__ = ["SEED_COLUMNS", "StudyData", "load_study_data", "scheme_of"]

#: Columns of :attr:`StudyData.seed_scores` (one row per trial and seed, folds averaged).
SEED_COLUMNS = ["trial_number", "seed", "score", "diverged", "n_iter", "fit_seconds"]

#: Name of the group of trials whose study does not search ``init``.
FIXED_SCHEME = "(fixed init)"


@dataclass
class StudyData:
    """Everything a report reads from one stored study.

    Attributes
    ----------
    study : optuna.Study
        The Optuna study.
    seed_runs : pandas.DataFrame
        The raw rows of ``initstudy.storage.load_seed_runs`` (one per trial, seed and fold);
        empty when the study has none (e.g. a plain Optuna study).
    seed_scores : pandas.DataFrame
        One row per trial and seed (columns :data:`SEED_COLUMNS`): the mean score over folds,
        whether any fold diverged, mean epochs, summed fit seconds. Taken from ``seed_runs``,
        else from the trials' intermediate values (step = seed index; no divergence data).
    record : dict
        The stored study record (``load_study_record``), with the full ``config``; empty if none.
    source : str
        ``"seed_runs"`` or ``"intermediate_values"``: where ``seed_scores`` came from.
    notes : list of str
        What could not be read, in plain words.
    confirm_scores : pandas.DataFrame
        Like ``seed_scores``, from the confirmation stage's rows (``stage == "confirm"``:
        fresh seeds, the untouched test part); empty when the study has none.
    """

    study: optuna.Study
    seed_runs: pd.DataFrame
    seed_scores: pd.DataFrame
    record: dict[str, Any]
    source: str
    notes: list[str] = field(default_factory=list)
    confirm_scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SEED_COLUMNS))

    @property
    def greater_is_better(self) -> bool:
        """Whether a higher objective value is better (the first objective of the study)."""
        return self.study.directions[0] == optuna.study.StudyDirection.MAXIMIZE

    @property
    def config(self) -> dict[str, Any]:
        """The stored study configuration (empty when there is no record)."""
        config = self.record.get("config", {})
        return config if isinstance(config, dict) else {}

    def complete_trials(self) -> list[optuna.trial.FrozenTrial]:
        """The complete trials, in trial-number order."""
        return self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def scheme_of(trial: optuna.trial.FrozenTrial) -> str:
    """The init scheme of a trial (its ``init`` parameter), as a string."""
    return str(trial.params.get("init", FIXED_SCHEME))


def scheme_param(trial: optuna.trial.FrozenTrial, name: str) -> Any:
    """A trial's parameter ``name``, also when the preset renames it per scheme.

    The ``classic`` preset names a scheme's own parameters ``init.<scheme>.<name>``; the
    plain name wins when both exist. ``None`` when the trial has neither.
    """
    if name in trial.params:
        return trial.params[name]
    return trial.params.get(f"init.{scheme_of(trial)}.{name}")


def _load_optuna_study(storage: Any, study_name: str) -> optuna.Study:
    """Load the Optuna study, with an error listing the stored names when it is missing."""
    names = [
        s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
    ]
    if study_name not in names:
        raise unknown_name_error("study", study_name, names, cls=StorageError)
    return optuna.load_study(study_name=study_name, storage=storage)


def _seed_scores_from_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Collapse folds: one row per (trial, seed)."""
    frame = runs.assign(score=pd.to_numeric(runs["score"], errors="coerce").astype(float))
    grouped = frame.groupby(["trial_number", "seed"], sort=True)
    out = grouped.agg(
        score=("score", lambda s: float(s.mean()) if np.isfinite(s).all() else math.nan),
        diverged=("diverged", lambda s: bool(pd.Series(s).fillna(False).astype(bool).any())),
        n_iter=("n_iter", "mean"),
        fit_seconds=("fit_seconds", "sum"),
    )
    return out.reset_index()[SEED_COLUMNS]


def _seed_scores_from_trials(study: optuna.Study) -> pd.DataFrame:
    """One row per (complete trial, intermediate step); divergence and epochs unknown."""
    rows = [
        (t.number, int(step), float(value), False, math.nan, math.nan)
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        for step, value in sorted(t.intermediate_values.items())
    ]
    return pd.DataFrame(rows, columns=SEED_COLUMNS)


def _first_line(error: Exception, limit: int = 160) -> str:
    """The first line of an error message, shortened (database errors carry the SQL)."""
    line = str(error).splitlines()[0] if str(error) else type(error).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _read_initstudy_tables(
    storage: Any, study_name: str
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Read our own per-seed rows and study record; empty results and a note when absent."""
    from initstudy import storage as st  # lazy: reports -> storage, read only

    notes: list[str] = []
    try:
        runs = st.load_seed_runs(storage, study_name)
    except StorageError as e:
        runs, notes = pd.DataFrame(), [f"no per-seed rows ({_first_line(e)})"]
    try:
        record = st.load_study_record(storage, study_name) or {}
    except StorageError:  # e.g. a plain Optuna study: reported as missing, not as an error
        record = {}
        notes.append("no initstudy config stored (a study not made by `initstudy run`?)")
    return runs, dict(record), notes


def load_study_data(storage: Any, study_name: str | None = None) -> StudyData:
    """Load a study, its per-seed rows and its stored config.

    Parameters
    ----------
    storage : str, optuna.storages.BaseStorage or optuna.Study
        A storage URL or storage (with ``study_name``), or a loaded study.
    study_name : str, optional
        Required unless ``storage`` is a study.

    Returns
    -------
    StudyData

    Raises
    ------
    StorageError
        If the study does not exist (the message lists the stored names) or cannot be read.
    """
    if isinstance(storage, optuna.Study):
        study = storage
        backend = rdb_backend(study)
    else:
        if study_name is None:
            raise StorageError("A study name is needed with a storage URL; got study_name=None.")
        from initstudy.storage import resolve_storage

        backend = resolve_storage(storage)
        study = _load_optuna_study(backend, study_name)
    runs, record, notes = _read_initstudy_tables(backend, study.study_name)
    if len(runs):
        stage = runs["stage"] if "stage" in runs else pd.Series("search", index=runs.index)
        search, confirm = runs[stage != "confirm"], runs[stage == "confirm"]
        confirmed = _seed_scores_from_runs(confirm) if len(confirm) else None
        data = StudyData(study, search, _seed_scores_from_runs(search), record, "seed_runs", notes)
        if confirmed is not None:
            data.confirm_scores = confirmed
        return data
    notes.append("per-seed scores taken from the trials' intermediate values (step = seed index)")
    return StudyData(
        study, runs, _seed_scores_from_trials(study), record, "intermediate_values", notes
    )
