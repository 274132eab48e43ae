"""Taking a WAITING trial from the queue in one conditional UPDATE, so two workers never share one.

``Study.ask()`` first pops a WAITING trial (one queued with ``enqueue_trial``, re-queued after an
interrupt, or retried after its worker died): ``RDBStorage.set_trial_state_values(trial_id,
RUNNING)`` reads the trial ``FOR UPDATE``, returns False unless it is WAITING, then writes
RUNNING. SQLite ignores ``FOR UPDATE`` and the pysqlite driver runs the read outside a
transaction, so two processes can both read WAITING and both write RUNNING: both run the trial
and the second ``tell`` fails with "Cannot tell a COMPLETE trial". Measured with four processes
popping four queued trials at once on one SQLite file: a trial was taken twice in 19 rounds of
20. :class:`QueueSafeRDBStorage` takes the trial with ``UPDATE ... WHERE state = 'WAITING'`` and
reads the row count, which is atomic on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import optuna
import sqlalchemy as sa
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from initstudy._private_apis import optuna_rdb_models

__all__ = ["QueueSafeRDBStorage"]


class QueueSafeRDBStorage(RDBStorage):
    """Optuna's ``RDBStorage`` whose pop of a WAITING trial is one conditional UPDATE.

    Everything else is Optuna's. ``resolve_storage`` builds this class for every URL or path.
    """

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Optuna's contract: to RUNNING only from WAITING (False if another worker took it)."""
        if state != TrialState.RUNNING or values is not None:
            return super().set_trial_state_values(trial_id, state, values)
        trials = optuna_rdb_models().TrialModel.__table__
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    sa.update(trials)
                    .where(trials.c.trial_id == trial_id, trials.c.state == TrialState.WAITING)
                    .values(state=TrialState.RUNNING, datetime_start=datetime.now())
                ).rowcount
                if taken == 1:
                    return True
                now = connection.execute(
                    sa.select(trials.c.state).where(trials.c.trial_id == trial_id)
                ).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as e:  # as Optuna's own sessions report it
            raise optuna.exceptions.StorageInternalError(
                f"Could not take trial {trial_id} from the queue: {e}"
            ) from e
        if now is None:
            raise KeyError(f"No trial with trial_id {trial_id} exists.")
        if now.is_finished():
            raise optuna.exceptions.UpdateFinishedTrialError(
                f"Trial#{trial_id} has already finished ({now.name}) and can not be updated."
            )
        return False
