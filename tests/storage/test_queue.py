"""A queued (WAITING) trial is taken by exactly one worker, however many ask at once."""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import threading
import warnings
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState

from initstudy.storage import resolve_storage

N_WORKERS = 4
ROUNDS = 6


def _queued_trial_id(study: optuna.Study) -> int:
    study.enqueue_trial({"x": 1})
    return study.get_trials(deepcopy=False, states=(TrialState.WAITING,))[-1]._trial_id


def test_a_waiting_trial_is_taken_once(storage_url: str) -> None:
    storage = resolve_storage(storage_url)
    study = optuna.create_study(storage=storage)
    trial_id = _queued_trial_id(study)
    assert storage.set_trial_state_values(trial_id, TrialState.RUNNING) is True
    assert storage.set_trial_state_values(trial_id, TrialState.RUNNING) is False
    assert study.trials[0].state == TrialState.RUNNING
    assert study.trials[0].datetime_start is not None
    storage.set_trial_state_values(trial_id, TrialState.FAIL)
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):
        storage.set_trial_state_values(trial_id, TrialState.RUNNING)
    with pytest.raises(KeyError):
        storage.set_trial_state_values(trial_id + 1000, TrialState.RUNNING)
    storage.engine.dispose()


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")
def test_ask_pops_through_the_storage(sqlite_url: str) -> None:
    """Optuna's ``Study.ask`` takes a WAITING trial with ``set_trial_state_values``: the
    method the storage makes atomic (a contract on Optuna; it breaks if Optuna pops otherwise)."""
    storage = resolve_storage(sqlite_url)
    study = optuna.create_study(storage=storage)
    calls: list[tuple[int, Any]] = []
    original = storage.set_trial_state_values

    def spy(trial_id: int, state: TrialState, values: Any = None) -> bool:
        calls.append((trial_id, state))
        return original(trial_id, state, values)

    storage.set_trial_state_values = spy  # type: ignore[method-assign]
    trial_id = _queued_trial_id(study)
    trial = study.ask()
    assert trial.suggest_int("x", 0, 2) == 1
    assert (trial_id, TrialState.RUNNING) in calls, (optuna.__version__, calls)
    storage.engine.dispose()


def _asker(url: str, start: Any, taken: Any) -> None:
    """Each round: wait for the others, ask once, report the trial number taken."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", UserWarning)  # "Heartbeat ... used with Study.optimize"
    study = optuna.load_study(study_name="queue", storage=resolve_storage(url))
    for _ in range(ROUNDS):
        try:
            start.wait(timeout=60)
        except threading.BrokenBarrierError:  # the test failed and stopped the rounds
            return
        taken.put(study.ask().number)


def test_workers_asking_together_never_share_a_trial(storage_url: str) -> None:
    """Before the fix, 4 processes on one SQLite file shared a trial in 19 rounds of 20."""
    storage = resolve_storage(storage_url)
    study = optuna.create_study(study_name="queue", storage=storage)
    context = multiprocessing.get_context("fork")
    start, taken = context.Barrier(N_WORKERS + 1), context.Queue()
    workers = [
        context.Process(target=_asker, args=(storage_url, start, taken)) for _ in range(N_WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in range(ROUNDS):
            for _ in range(N_WORKERS):
                study.enqueue_trial({"x": 1})
            start.wait(timeout=60)
            numbers = sorted(taken.get(timeout=60) for _ in range(N_WORKERS))
            assert len(set(numbers)) == N_WORKERS, numbers
    except (queue_module.Empty, threading.BrokenBarrierError) as e:
        pytest.fail(f"a worker stopped: {e!r}")
    finally:
        start.abort()  # a worker still waiting (after a failed round) stops at once
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
                worker.join()
    states = [t.state for t in study.trials]
    assert states.count(TrialState.RUNNING) == N_WORKERS * ROUNDS, states
    storage.engine.dispose()
