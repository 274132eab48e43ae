"""Parallel and fault tests: worker processes on SQLite and PostgreSQL, a SIGKILLed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState
from study_helpers import SPACE, tiny_config

from initstudy.searchspaces import get_space
from initstudy.storage import load_seed_runs
from initstudy.study import Objective, evaluate, load_dataset, run_study, search_part

pytestmark = pytest.mark.slow


def _states(study: optuna.Study) -> dict[str, int]:
    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    return states


def _check_scores_do_not_depend_on_the_worker(config, study: optuna.Study) -> None:
    """Re-evaluate a finished trial's parameters in this process: identical seed scores."""
    trial = next(t for t in study.trials if t.state == TrialState.COMPLETE)
    dataset = search_part(config, load_dataset("iris"))  # what the search saw
    objective = Objective(config, dataset, get_space(SPACE), None)
    estimator = objective.build(get_space(SPACE).estimator_params(trial.params))
    again = evaluate(estimator, dataset.X, dataset.y, seeds=config.seed_list)
    rows = load_seed_runs(config.storage, study.study_name)
    stored = rows[rows["trial_number"] == trial.number].sort_values("seed")["score"]
    np.testing.assert_array_equal(again.seed_scores(), stored.to_numpy())


def test_four_workers_on_one_sqlite_file_finish_exactly_n_trials(sqlite_url: str) -> None:
    config = tiny_config(sqlite_url, jobs=4, n_trials=10)
    study = run_study(config)
    states = _states(study)
    assert states["COMPLETE"] == 10
    assert set(states) <= {"COMPLETE", "FAIL"}  # FAIL only for surplus trials of a race
    assert all(t.user_attrs.get("surplus") for t in study.trials if t.state == TrialState.FAIL)
    runs = load_seed_runs(sqlite_url, "tiny")
    complete = {t.number for t in study.trials if t.state == TrialState.COMPLETE}
    assert set(runs["trial_number"]) == complete and len(runs) == 30
    _check_scores_do_not_depend_on_the_worker(config, study)


@pytest.mark.postgres
def test_two_workers_on_postgresql(postgres_url: str) -> None:
    config = tiny_config(postgres_url, jobs=2, n_trials=4)
    study = run_study(config)
    assert _states(study).get("COMPLETE") == 4
    assert len(load_seed_runs(postgres_url, "tiny")) == 12
    _check_scores_do_not_depend_on_the_worker(config, study)


CONFIG = """
[study]
name = "tiny"
storage = "{storage}"
n_trials = 6
heartbeat_interval = 1
grace_period = 2

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [32]
max_iter = 15

[seeds]
n = 4
batch = 1

[space]
preset = "keras"
"""


def _rows(url: str) -> set[tuple[int, int]]:
    try:
        runs = load_seed_runs(url, "tiny")
    except Exception:  # the tables may not exist yet
        return set()
    return set(zip(runs["trial_number"], runs["seed"]))


def _running_trial_with_rows(url: str) -> bool:
    """True once some trial is RUNNING with at least one of its seeds stored."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT count(*) FROM trials t JOIN initstudy_seed_runs r "
                    "ON r.trial_number = t.number WHERE t.state = 'RUNNING'"
                )
            ).scalar_one()
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()
    return rows > 0


def test_sigkilled_run_loses_no_seed_row_and_the_rerun_finishes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/study.db"
    path = tmp_path / "study.toml"
    path.write_text(CONFIG.format(storage=url))
    command = [sys.executable, "-m", "initstudy.cli", "run", str(path), "--quiet"]
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 120
    while not _running_trial_with_rows(url) and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = _rows(url)
    study = optuna.load_study(study_name="tiny", storage=url)
    assert any(t.state == TrialState.RUNNING for t in study.trials)  # killed mid-trial
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _rows(url)
    assert before <= after
    study = optuna.load_study(study_name="tiny", storage=url)
    assert _states(study)["COMPLETE"] == 6
    assert not any(t.state == TrialState.RUNNING for t in study.trials)
    retried = [t for t in study.trials if "failed_trial" in t.system_attrs]
    assert retried, "the killed trial's parameters were queued again"
