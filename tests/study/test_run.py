"""run_study / run_worker: trials, stored seeds, determinism, cache, resume, pruning, errors."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np
import optuna
import pytest
from study_helpers import tiny_config

from initstudy.exceptions import ConfigError, StorageError, StudyConflictError
from initstudy.storage import load_seed_runs
from initstudy.study import (
    EvaluationFailedError,
    Interrupted,
    _evaluate,
    run_study,
    run_worker,
)
from initstudy.study._progress import NullProgress


def _complete(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]


def test_trials_store_seeds_attrs_and_intermediate_values(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url))
    trials = _complete(study)
    assert len(trials) == 3
    runs = load_seed_runs(sqlite_url, "tiny")
    assert len(runs) == 9 and set(runs["seed"]) == {0, 1, 2}
    for trial in trials:
        attrs = trial.user_attrs
        for key in ("mean", "std", "ci_low", "ci_high", "n_diverged", "fit_seconds", "n_seeds"):
            assert type(attrs[key]) is float
        assert attrs["aggregate"] == "mean" and attrs["n_seeds"] == 3.0
        rows = runs[runs["trial_number"] == trial.number].sort_values("seed")
        assert list(trial.intermediate_values) == [0, 1, 2]
        np.testing.assert_allclose(list(trial.intermediate_values.values()), rows["score"])
        assert trial.value == pytest.approx(rows["score"].mean())
        assert attrs["ci_low"] <= trial.value <= attrs["ci_high"]
    assert study.metric_names == ["accuracy, mean of 3 seeds"]


def test_same_config_gives_identical_seed_scores(tmp_path: Any) -> None:
    first = run_study(tiny_config(f"sqlite:///{tmp_path}/a.db"))
    second = run_study(tiny_config(f"sqlite:///{tmp_path}/b.db"))
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    a = load_seed_runs(f"sqlite:///{tmp_path}/a.db", "tiny")
    b = load_seed_runs(f"sqlite:///{tmp_path}/b.db", "tiny")
    np.testing.assert_array_equal(a["score"], b["score"])
    assert list(a["loss_curve"]) == list(b["loss_curve"])


class _CountingFits:
    """Wraps fit_seeds and counts the seeds it trains."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seeds = 0
        original = _evaluate.fit_seeds

        def counting(estimator: Any, X: Any, y: Any, seeds: Any, **kwargs: Any) -> Any:
            self.seeds += len(seeds)
            return original(estimator, X, y, seeds, **kwargs)

        monkeypatch.setattr(_evaluate, "fit_seeds", counting)


def test_stored_results_are_reused_not_retrained(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits = _CountingFits(monkeypatch)
    first = run_study(tiny_config(sqlite_url))
    assert fits.seeds == 9
    second = run_study(tiny_config(sqlite_url, study_name="again"))  # same params, same seeds
    assert fits.seeds == 9
    assert [t.values for t in first.trials] == [t.values for t in second.trials]
    assert len(load_seed_runs(sqlite_url, "again")) == 9  # the reused rows belong to it too


def test_rerun_resumes_up_to_n_trials(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=2))
    study = run_study(tiny_config(sqlite_url, n_trials=4))
    assert len(_complete(study)) == 4 and len(study.trials) == 4
    params = [t.params for t in study.trials]
    assert len({tuple(sorted(p.items())) for p in params}) == 4  # the resume did not replay
    study = run_study(tiny_config(sqlite_url, n_trials=4))
    assert len(study.trials) == 4


def test_new_and_resume_modes(sqlite_url: str) -> None:
    with pytest.raises(StorageError, match="Cannot resume: Unknown study 'tiny'"):
        run_study(tiny_config(sqlite_url, n_trials=1), resume=True)
    run_study(tiny_config(sqlite_url, n_trials=1))
    fresh = run_study(tiny_config(sqlite_url, n_trials=1), resume=False)
    assert fresh.study_name == "tiny-2"


def test_changed_config_under_the_same_name_conflicts(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=1))
    with pytest.raises(StudyConflictError, match="seeds"):
        run_study(tiny_config(sqlite_url, n_trials=1, seeds=4))


class _InterruptAfter(NullProgress):
    """Raises SIGINT's Interrupted after a number of finished seed groups."""

    def __init__(self, groups: int) -> None:
        self.left = groups

    def seeds_done(self, count: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise Interrupted(signal.SIGINT)


def test_interrupt_keeps_finished_seeds_and_resume_reuses_them(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tiny_config(sqlite_url, seed_batch=1)
    with pytest.raises(Interrupted):
        run_study(config, progress=_InterruptAfter(5))  # trial 1 stops after 2 of 3 seeds
    runs = load_seed_runs(sqlite_url, "tiny")
    assert sorted(zip(runs["trial_number"], runs["seed"])) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
    ]
    fits = _CountingFits(monkeypatch)
    study = run_study(config)
    assert len(_complete(study)) == 3
    interrupted, retried = study.trials[1], study.trials[2]
    assert interrupted.state == optuna.trial.TrialState.FAIL
    assert retried.user_attrs["requeued_from"] == 1 and retried.params == interrupted.params
    assert fits.seeds == 1 + 3  # the missing seed of trial 1, then the last trial


def test_wilcoxon_pruner_runs_seeds_in_groups(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, pruner="wilcoxon", seeds=4, n_trials=4))
    finished = [t for t in study.trials if t.state.is_finished()]
    assert len(finished) == 4
    runs = load_seed_runs(sqlite_url, "tiny")
    assert runs.groupby("trial_number")["created_at"].nunique().max() >= 2  # several groups


def test_median_pruner_reports_epochs(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, pruner="median", n_trials=2))
    for trial in study.trials:
        assert len(trial.intermediate_values) == 4  # one per epoch (max_iter = 4)


def test_multi_objective_score_and_fit_time(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, objectives=["score", "fit_seconds"], n_trials=2))
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    for trial in _complete(study):
        assert trial.values[1] == pytest.approx(trial.user_attrs["fit_seconds"])
    assert study.metric_names == ["accuracy, mean of 3 seeds", "fit seconds (all seeds)"]


def test_grid_space_stops_at_grid_size(sqlite_url: str) -> None:
    grid = {"grid": True, "params": {"init": ["he_normal", "zeros"], "init_scale": [1.0]}}
    study = run_study(tiny_config(sqlite_url, space=grid, n_trials=10))
    assert isinstance(study.sampler, optuna.samplers.GridSampler)
    assert sorted(t.params["init"] for t in _complete(study)) == ["he_normal", "zeros"]


def test_every_seed_failing_fails_the_trial_and_stops(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("the alpha of this fit is broken")

    monkeypatch.setattr(_evaluate, "fit_seeds", broken)
    with pytest.raises(EvaluationFailedError, match="5 trials in a row failed"):
        run_study(tiny_config(sqlite_url, n_trials=10))
    study = optuna.load_study(study_name="tiny", storage=sqlite_url)
    assert [t.state.name for t in study.trials] == ["FAIL"] * 5
    assert "alpha" in study.trials[0].user_attrs["error"]


def test_invalid_fixed_estimator_values_fail_before_the_storage_is_opened(
    tmp_path: Any,
) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(ConfigError, match="'alpha' parameter of MLPClassifier"):
        tiny_config(f"sqlite:///{db}", estimator={"hidden_layer_sizes": [8], "alpha": -1.0})
    assert not db.exists()


def test_worker_joins_and_finishes_the_study(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=1))
    study = optuna.load_study(study_name="tiny", storage=sqlite_url)
    study.set_user_attr("n_trials", 3)  # as a launch with --trials 3 would record
    study = run_worker(sqlite_url, "tiny")
    assert len(_complete(study)) == 3


def test_worker_needs_a_registered_study(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=1))
    with pytest.raises(StorageError, match="Unknown study 'tinny'"):
        run_worker(sqlite_url, "tinny")


def test_timeout_stops_starting_trials(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, n_trials=1000, timeout=1.0))
    assert 1 <= len(study.trials) < 1000


def test_a_trial_that_lost_the_race_is_surplus(sqlite_url: str) -> None:
    from initstudy.study._worker import _is_surplus, count_trials

    study = optuna.create_study(storage=sqlite_url)
    before = count_trials(study)  # what a worker saw before two others asked
    others = [study.ask(), study.ask()]
    mine = study.ask()
    assert _is_surplus(study, mine, 2, before)  # two live trials numbered before it
    assert not _is_surplus(study, mine, 3, before)
    study.tell(others[0], state=optuna.trial.TrialState.FAIL)
    assert not _is_surplus(study, mine, 2, before)  # a failed trial does not count
    fresh = count_trials(study)
    nxt = study.ask()
    assert fresh.live == 2 and not _is_surplus(study, nxt, 3, fresh)  # fast path, no race


def test_results_of_another_scoring_are_not_reused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits = _CountingFits(monkeypatch)
    run_study(tiny_config(sqlite_url, n_trials=1))
    run_study(tiny_config(sqlite_url, n_trials=1, study_name="f1", scoring="f1_macro"))
    run_study(tiny_config(sqlite_url, n_trials=1, study_name="raw", preprocessing="none"))
    run_study(tiny_config(sqlite_url, n_trials=1, study_name="split", split_seed=1))
    assert fits.seeds == 12  # the cache key holds scoring, preprocessing and the split
    run_study(tiny_config(sqlite_url, n_trials=1, study_name="same", aggregate="median"))
    assert fits.seeds == 12  # the aggregate does not change a stored score: reused


def test_a_trial_orphaned_before_its_first_heartbeat_is_failed_and_retried(
    sqlite_url: str,
) -> None:
    config = tiny_config(sqlite_url, n_trials=2, heartbeat_interval=1, grace_period=1)
    run_study(config.replace(n_trials=1))
    orphan = optuna.load_study(study_name="tiny", storage=sqlite_url).ask()  # never beats
    orphan.suggest_categorical("init", ["he_normal", "glorot_uniform"])  # lecun_normal merged
    time.sleep(1.5)
    study = run_study(config)
    states = {t.number: t.state.name for t in study.trials}
    assert states[orphan.number] == "FAIL"
    assert sum(s == "COMPLETE" for s in states.values()) == 2
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == orphan.number]
    assert len(retried) == 1 and retried[0].state.name == "COMPLETE"


class _InterruptInsideQuery(NullProgress):
    """Raises SIGINT's Interrupted while a storage query is half read, as a Ctrl-C can.

    The half-read cursor stays alive (a traceback's frames keep it) and pins its pooled
    connection to an old snapshot, on which SQLite refuses writes ("database is locked").
    """

    def __init__(self, storage: Any) -> None:
        self.storage, self.kept = storage, []

    def seeds_done(self, count: int) -> None:
        with self.storage.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT * FROM trials")
            rows.fetchone()
            self.kept.append(rows)
        raise Interrupted(signal.SIGINT)


def test_an_interrupt_inside_a_query_still_requeues_the_trial(sqlite_url: str) -> None:
    from initstudy.storage import resolve_storage

    storage = resolve_storage(sqlite_url)
    run_study(tiny_config(sqlite_url, n_trials=1, seed_batch=1))  # a row to read
    config = tiny_config(sqlite_url, n_trials=2, seed_batch=1).replace(storage=storage)
    with pytest.raises(Interrupted):
        run_study(config, progress=_InterruptInsideQuery(storage))
    study = optuna.load_study(study_name="tiny", storage=sqlite_url)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL", "WAITING"]


def test_an_interrupted_new_study_names_itself(sqlite_url: str) -> None:
    config = tiny_config(sqlite_url, n_trials=1, seed_batch=1)
    run_study(config)
    with pytest.raises(Interrupted) as caught:
        run_study(config, resume=False, progress=_InterruptAfter(1))
    assert caught.value.study_name == "tiny-2"  # the free name run_study chose


class _SignalInAsk(optuna.samplers.RandomSampler):
    """Sends SIGINT from inside ``study.ask()`` of the second trial (Optuna's code runs)."""

    def before_trial(self, study: optuna.Study, trial: Any) -> None:
        if trial.number == 1:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside ask(): the signal must wait
        super().before_trial(study, trial)


def test_an_interrupt_during_ask_requeues_the_new_trial(sqlite_url: str) -> None:
    with pytest.raises(Interrupted):
        run_study(tiny_config(sqlite_url, sampler=_SignalInAsk(seed=0)))
    study = optuna.load_study(study_name="tiny", storage=sqlite_url)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "FAIL", "WAITING"]  # not an orphan left RUNNING
    assert study.trials[2].user_attrs["requeued_from"] == 1


def test_a_network_too_large_for_memory_is_refused_at_launch(tmp_path) -> None:
    """Refused before any trial or database: not five failed trials of a 224 GiB network."""
    from initstudy.exceptions import ConfigError
    from initstudy.study import StudyConfig, run_study

    url = f"sqlite:///{tmp_path / 'big.db'}"
    config = StudyConfig(
        dataset="iris",
        storage=url,
        n_trials=1,
        seeds=1,
        estimator={"hidden_layer_sizes": [100000, 100000]},
    )
    with pytest.raises(ConfigError, match=r"needs about \d+\.\d GiB.*Use smaller layers"):
        run_study(config, progress=False)
    assert not (tmp_path / "big.db").exists()
