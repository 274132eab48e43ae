"""Dead trials: failing RUNNING trials that lost their worker, and heartbeats for ask/tell."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import optuna
import sqlalchemy as sa
from optuna.storages import RDBStorage
from optuna.trial import TrialState
from sqlalchemy import orm

from ..exceptions import ConfigError, StorageError, unknown_name_error
from ._models import database_errors
from ._resolve import StorageLike, display_url, opened
from ._studies import study_names
from ._trial_results import trial_id as id_of_trial

__all__ = ["fail_stale_trials", "live_trials", "trial_heartbeat"]

_HEARTBEATS = sa.table(
    "trial_heartbeats", sa.column("trial_id"), sa.column("heartbeat", sa.DateTime)
)


def _grace(rdb: RDBStorage, grace_period: float | None) -> timedelta:
    """The grace period: given, else the storage's, else twice its heartbeat interval."""
    seconds = grace_period or rdb.grace_period
    if seconds is None and rdb.heartbeat_interval is not None:
        seconds = 2 * rdb.heartbeat_interval
    if seconds is None or seconds <= 0:
        raise ConfigError(
            "fail_stale_trials needs a positive grace_period when the storage has no "
            f"heartbeat. Got {grace_period!r}."
        )
    return timedelta(seconds=seconds)


def _stale_trial_ids(rdb: RDBStorage, study_id: int, grace: timedelta) -> list[int]:
    """RUNNING trials whose heartbeat, or (with none) whose start, is older than ``grace``."""
    running = rdb.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
    ids = {rdb.get_trial_id_from_study_id_trial_number(study_id, t.number): t for t in running}
    if not ids:
        return []
    with orm.Session(rdb.engine) as session:
        db_now = session.execute(sa.select(sa.func.now())).scalar_one().replace(tzinfo=None)
        beats = dict(
            session.execute(
                sa.select(_HEARTBEATS.c.trial_id, _HEARTBEATS.c.heartbeat).where(
                    _HEARTBEATS.c.trial_id.in_(list(ids))
                )
            ).all()
        )
    now = datetime.now()  # Optuna stores trial starts as local time
    stale = []
    for trial_id, trial in ids.items():
        beat = beats.get(trial_id)
        if beat is None:
            age = now - (trial.datetime_start or now)
        else:
            age = db_now - beat.replace(tzinfo=None)
        if age > grace:
            stale.append(trial_id)
    return stale


def fail_stale_trials(
    storage: StorageLike, study_name: str, *, grace_period: float | None = None
) -> list[int]:
    """Fail dead RUNNING trials and queue their parameters again (the retry callback).

    Optuna fails trials whose heartbeat stopped; a worker killed between ``ask()`` and its
    first heartbeat leaves a RUNNING trial with no heartbeat that Optuna never fails. This
    fails both kinds once they are older than the grace period, then hands each to the
    storage's heartbeat-stale callback (``RetryHeartbeatStaleTrialCallback`` from
    :func:`resolve_storage`), which enqueues a WAITING copy with the same parameters. Call it
    when a study starts or resumes. A trial failed concurrently by another worker is skipped.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    study_name : str
        The Optuna study's name.
    grace_period : float, optional
        Seconds; default the storage's grace period.

    Returns
    -------
    list of int
        The numbers of the trials this call failed.
    """
    with opened(storage) as rdb:
        grace = _grace(rdb, grace_period)
        with database_errors(display_url(rdb.url), f"fail stale trials of {study_name!r} in"):
            try:
                study_id = rdb.get_study_id_from_name(study_name)
            except KeyError:
                raise unknown_name_error(
                    "study", study_name, study_names(rdb), cls=StorageError
                ) from None
            failed = [tid for tid in _stale_trial_ids(rdb, study_id, grace) if _fail(rdb, tid)]
            callback = rdb.get_heartbeat_stale_trial_callback()
            if failed and callback is not None:
                study = optuna.load_study(study_name=study_name, storage=rdb)
                for trial_id in failed:
                    callback(study, rdb.get_trial(trial_id))
            return [rdb.get_trial(trial_id).number for trial_id in failed]


def live_trials(storage: StorageLike, study_name: str) -> list[int]:
    """The numbers of the RUNNING trials whose worker is alive (heartbeat within grace).

    A RUNNING trial older than the grace period with no fresh heartbeat belongs to a dead
    worker and is left out; so is every RUNNING trial of a storage without heartbeats (no
    way to tell), so a caller that waits for live trials never waits forever.
    """
    with opened(storage) as rdb:
        if rdb.heartbeat_interval is None and rdb.grace_period is None:
            return []
        grace = _grace(rdb, None)
        with database_errors(display_url(rdb.url), f"read the trials of {study_name!r} in"):
            study_id = rdb.get_study_id_from_name(study_name)
            running = rdb.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
            if not running:
                return []
            stale = set(_stale_trial_ids(rdb, study_id, grace))
            return [
                t.number
                for t in running
                if rdb.get_trial_id_from_study_id_trial_number(study_id, t.number) not in stale
            ]


def _fail(rdb: RDBStorage, trial_id: int) -> bool:
    """Mark a trial FAIL; False when another process finished or failed it first."""
    try:
        return rdb.set_trial_state_values(trial_id, state=TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False


@contextmanager
def trial_heartbeat(storage: StorageLike, trial: optuna.Trial) -> Iterator[None]:
    """Record heartbeats for a trial run with ``study.ask()``/``tell()`` while the block runs.

    ``Study.optimize`` records heartbeats itself; ask/tell does not, and a RUNNING trial with
    no heartbeat is failed by :func:`fail_stale_trials` once its grace period has passed.
    Wrap the work of an asked trial in this context manager (heartbeats from a daemon thread:
    one at once, then every ``heartbeat_interval`` seconds). A storage without heartbeats does
    nothing.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The study's storage.
    trial : optuna.Trial
        The asked trial.
    """
    with opened(storage) as rdb:
        interval = rdb.get_heartbeat_interval()
        if interval is None:
            yield
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_beat,
            args=(rdb, id_of_trial(rdb, trial), interval, stop),
            name="heartbeat",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _beat(rdb: RDBStorage, trial_id: int, interval: float, stop: threading.Event) -> None:
    """Heartbeat loop of :func:`trial_heartbeat`: a beat at once, then one per interval (a
    failed beat is retried next interval). The first beat is here, not in the caller, so
    that its write overlaps the trial's training."""
    wait = 0.0
    while not stop.wait(wait):
        wait = interval
        try:
            rdb.record_heartbeat(trial_id)
        except (sa.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError):
            continue
    rdb.remove_session()
