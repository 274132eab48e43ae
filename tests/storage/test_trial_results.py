"""write_trial_results: a trial's reports and user attributes in one transaction."""

from __future__ import annotations

import math

import optuna
import pytest

from initstudy.storage import write_trial_results


def _running_trial(url: str) -> tuple[optuna.Study, optuna.Trial]:
    study = optuna.create_study(study_name="s", storage=url)
    return study, study.ask()


def test_rows_read_back_as_optuna_wrote_them(storage_url: str) -> None:
    study, trial = _running_trial(storage_url)
    trial.report(0.5, 0)  # replaced below
    trial.set_user_attr("mean", -1.0)  # replaced below
    trial.set_user_attr("kept", "yes")
    values = {0: 0.25, 1: math.inf, 2: -math.inf, 3: math.nan}
    attrs = {"mean": 0.75, "n_seeds": 5.0, "aggregate": "mean", "curve": [1, 2]}
    write_trial_results(storage_url, trial._trial_id, intermediate_values=values, user_attrs=attrs)
    study.tell(trial, 0.75)
    stored = optuna.load_study(study_name="s", storage=storage_url).trials[0]
    assert stored.intermediate_values[0] == 0.25 and stored.intermediate_values[1] == math.inf
    assert stored.intermediate_values[2] == -math.inf and math.isnan(stored.intermediate_values[3])
    assert stored.user_attrs == {**attrs, "kept": "yes"}


def test_a_finished_trial_is_refused_and_left_unchanged(sqlite_url: str) -> None:
    study, trial = _running_trial(sqlite_url)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError, match="FAIL"):
        write_trial_results(
            sqlite_url, trial._trial_id, intermediate_values={0: 1.0}, user_attrs={"mean": 1.0}
        )
    stored = optuna.load_study(study_name="s", storage=sqlite_url).trials[0]
    assert stored.intermediate_values == {} and stored.user_attrs == {}


def test_an_unknown_trial_is_a_key_error(sqlite_url: str) -> None:
    _running_trial(sqlite_url)
    with pytest.raises(KeyError, match="trial_id 99"):
        write_trial_results(sqlite_url, 99, user_attrs={"mean": 1.0})
