"""One worker's loop: run trials until the study holds ``n_trials`` finished ones.

Counting. A study is done when it holds ``n_trials`` finished (COMPLETE or PRUNED) trials.
Before a trial (at most once per heartbeat interval) the worker fails dead trials
(``storage.fail_stale_trials``: no heartbeat within the grace period, including trials killed
between ``ask()`` and their first heartbeat; their parameters are queued again as WAITING
trials). It starts a trial only while finished +
RUNNING + WAITING trials number fewer than ``n_trials`` (or a WAITING trial is there to take);
while other workers' trials fill the study it waits for them. After ``ask()`` it checks its
trial's rank: a trial with ``n_trials`` live trials numbered before it lost a race with
another worker and is failed at once (user attribute ``surplus``), so any number of workers
finish with exactly ``n_trials`` finished trials.

Interrupts. SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, never inside a
database call (see ``_interrupts``); the running trial's parameters are queued again (its
finished seeds are stored and reused on resume), the trial is failed, and the interrupt
propagates.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from initstudy.exceptions import StorageError
from initstudy.storage import display_url, fail_stale_trials, trial_heartbeat
from initstudy.study._interrupts import Interrupted, interrupts_held, interrupts_raise
from initstudy.study._objective import EvaluationFailedError, Objective
from initstudy.study._progress import NullProgress

__all__ = ["Interrupted", "TrialCounts", "count_trials", "interrupts_raise", "work"]

#: Consecutive failed trials after which a worker gives up (a broken space or estimator).
MAX_CONSECUTIVE_FAILURES = 5
_POLL_SECONDS = 1.0
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_LIVE = (*_FINISHED, TrialState.RUNNING, TrialState.WAITING)


@dataclass(frozen=True)
class TrialCounts:
    """Trial counts of a study: finished (complete + pruned), live, waiting, best value.

    ``last_number`` is the highest trial number (-1 for none).
    """

    finished: int
    live: int
    waiting: int
    best: float | None
    last_number: int = -1


def count_trials(study: optuna.Study) -> TrialCounts:
    """Count the study's trials by state (one storage read)."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    best = None
    if complete and len(study.directions) == 1:
        pick = max if study.direction == optuna.study.StudyDirection.MAXIMIZE else min
        best = pick(t.values[0] for t in complete)
    return TrialCounts(
        finished=sum(t.state in _FINISHED for t in trials),
        live=sum(t.state in _LIVE for t in trials),
        waiting=sum(t.state == TrialState.WAITING for t in trials),
        best=best,
        last_number=max((t.number for t in trials), default=-1),
    )


def _is_surplus(
    study: optuna.Study, trial: optuna.Trial, n_trials: int, counts: TrialCounts
) -> bool:
    """True when ``n_trials`` live trials are numbered before this one (a lost race).

    No storage read when no other trial was created since ``counts`` and fewer than
    ``n_trials`` were live then: the trial's rank is then below ``counts.live``.
    """
    if counts.live < n_trials and trial.number <= counts.last_number + 1:
        return False
    live = study.get_trials(deepcopy=False, states=_LIVE)
    return sum(t.number < trial.number for t in live) >= n_trials


def _drop_pooled_connections(storage: Any) -> None:
    """Close the storage's pooled connections before the interrupt's cleanup writes.

    A signal that lands inside a query leaves that query's cursor half read, kept alive by the
    traceback; its connection goes back to the pool pinned to an old SQLite snapshot, and
    SQLite refuses that connection's next write at once ("database is locked"). The cleanup
    then opens fresh connections.
    """
    storage.engine.dispose()


def _tell_failed(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    trial.set_user_attr("error", reason)
    study.tell(trial, state=TrialState.FAIL)


def _run_trial(
    study: optuna.Study,
    objective: Objective,
    storage: Any,
    n_trials: int,
    counts: TrialCounts,
    progress: NullProgress | None = None,
) -> str:
    """Ask, run and tell one trial; returns "complete", "pruned", "failed", "surplus" or
    "stale" (another process failed the trial as dead while it ran; it is queued again)."""
    outcome, trial, value = _ask_run_tell(study, objective, storage, n_trials, counts)
    if progress is not None and outcome not in ("surplus", "stale"):
        shown = value[0] if isinstance(value, (tuple, list)) else value
        progress.trial_finished(trial.number, outcome, trial.params, shown)
    return outcome


def _ask_run_tell(
    study: optuna.Study, objective: Objective, storage: Any, n_trials: int, counts: TrialCounts
) -> tuple[str, optuna.Trial, Any]:
    """:func:`_run_trial`'s work: the outcome, the trial and its value (None if none)."""
    trial: optuna.Trial | None = None
    try:
        with interrupts_held():  # a signal during ask() is raised once ``trial`` is set
            with warnings.catch_warnings():  # heartbeats come from storage.trial_heartbeat
                warnings.filterwarnings(
                    "ignore", message="Heartbeat of storage", category=UserWarning
                )
                trial = study.ask()
        if _is_surplus(study, trial, n_trials, counts):
            trial.set_user_attr("surplus", True)
            study.tell(trial, state=TrialState.FAIL)
            return "surplus", trial, None
        with trial_heartbeat(storage, trial):
            value = objective(trial)
    except optuna.TrialPruned:
        study.tell(trial, state=TrialState.PRUNED)
        return "pruned", trial, None
    except EvaluationFailedError as e:
        _tell_failed(study, trial, str(e))
        return "failed", trial, None
    except optuna.exceptions.UpdateFinishedTrialError:
        return "stale", trial, None  # failed as dead by another process and queued again
    except KeyboardInterrupt:
        if trial is not None:
            _drop_pooled_connections(storage)
            study.enqueue_trial(trial.params, user_attrs={"requeued_from": trial.number})
            _tell_failed(study, trial, "interrupted; its parameters were queued again")
        raise
    except BaseException as e:
        if trial is not None:
            _tell_failed(study, trial, f"{type(e).__name__}: {e}")
        raise
    try:
        study.tell(trial, value)
    except optuna.exceptions.UpdateFinishedTrialError:
        return "stale", trial, None
    return "complete", trial, value


def _write_failure(storage: Any, error: BaseException) -> StorageError:
    """The error for a database that failed under a running study (e.g. a full disk)."""
    cause = error.__cause__ if error.__cause__ is not None else error
    reason = " ".join(str(getattr(cause, "orig", None) or cause).split())
    return StorageError(
        f"Cannot write to the study database at {display_url(storage.url)}: {reason} (is the "
        "disk full?). Every finished seed is saved; run the same command again to resume."
    )


def work(
    study: optuna.Study,
    objective: Objective,
    storage: Any,
    *,
    n_trials: int,
    deadline: float | None = None,
    progress: NullProgress | None = None,
    queue: Any = None,
) -> None:
    """Run trials until the study holds ``n_trials`` finished ones (see the module docstring).

    Parameters
    ----------
    study : optuna.Study
    objective : Objective
    storage : RDBStorage
        The study's storage (heartbeats, stale trials, seed rows).
    n_trials : int
        Finished trials the study should hold.
    deadline : float, optional
        ``time.monotonic()`` value after which no new trial starts.
    progress : NullProgress, optional
    queue : callable, optional
        Called with the study before a trial is asked for while none waits (the per-scheme
        budget queues its next trial there; see ``_budget``).

    Raises
    ------
    EvaluationFailedError
        After ``MAX_CONSECUTIVE_FAILURES`` failed trials in a row.
    Interrupted
        On SIGINT/SIGTERM (when installed with :func:`interrupts_raise`).
    """
    progress = progress if progress is not None else NullProgress()
    failures: list[str] = []
    interval = storage.get_heartbeat_interval() or _POLL_SECONDS
    next_check = 0.0
    while deadline is None or time.monotonic() < deadline:
        if time.monotonic() >= next_check:  # a trial goes stale after a grace period only
            fail_stale_trials(storage, study.study_name)
            next_check = time.monotonic() + interval
        counts = count_trials(study)
        progress.trials_done(counts.finished, counts.best)
        if counts.finished >= n_trials:
            return
        if counts.live >= n_trials and counts.waiting == 0:
            time.sleep(_POLL_SECONDS)  # the last trials run in other workers
            continue
        if queue is not None and counts.waiting == 0:
            queue(study)
        try:
            outcome = _run_trial(study, objective, storage, n_trials, counts, progress)
        except (optuna.exceptions.StorageInternalError, sa.exc.SQLAlchemyError) as e:
            raise _write_failure(storage, e) from e
        failures = failures + [outcome] if outcome == "failed" else []
        if len(failures) >= MAX_CONSECUTIVE_FAILURES:
            last = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))[-1]
            raise EvaluationFailedError(
                f"{MAX_CONSECUTIVE_FAILURES} trials in a row failed in study "
                f"{study.study_name!r}; the last: {last.user_attrs.get('error')}"
            )
