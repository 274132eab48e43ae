"""The storage-backed seed cache: reuse a stored (dataset, params, split, seed, fold) result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from initstudy.storage import SeedRunRecord, find_cached_runs, make_run_key, save_seed_runs
from initstudy.study._records import SeedRecord

__all__ = ["StorageSeedCache", "estimator_key_params"]


#: Parameters that pin one random stream of initstudy's MLPs (None: from random_state).
_STREAM_SEEDS = ("init_random_state", "shuffle_random_state")


def estimator_key_params(estimator: Any) -> dict[str, Any]:
    """What identifies an estimator in a cache key: its class path and its parameters.

    ``random_state`` is left out (the seed is its own part of the key).
    """
    params = {
        k: v
        for k, v in estimator.get_params(deep=False).items()
        if k.split("__")[-1] != "random_state"
        # unset, the per-stream seeds are left out: keys stored before they existed still match
        and not (k.split("__")[-1] in _STREAM_SEEDS and v is None)
    }
    kind = type(estimator)
    return {"class": f"{kind.__module__}.{kind.__qualname__}", "params": params}


class StorageSeedCache:
    """A :class:`~initstudy.study.SeedCache` that reads and writes the study database.

    Every finished seed group is stored as rows of the trial at once (one short
    transaction), reused rows included, so each trial's rows are complete. Rows saved while
    ``note`` is set (e.g. a trial stopped by per-epoch pruning) carry it as their ``error``
    and are therefore never reused.

    Parameters
    ----------
    storage : RDBStorage
        The study's storage.
    study_name : str
    trial_number : int
    fingerprint : str
        The dataset fingerprint.
    estimator_params : mapping
        From :func:`estimator_key_params`.
    validation : str
        The split's key (``validation_key``).
    stage : {"search", "confirm"}, default="search"
        The stage the saved rows are stored under.
    """

    def __init__(
        self,
        storage: Any,
        study_name: str,
        trial_number: int,
        *,
        fingerprint: str,
        estimator_params: Mapping[str, Any],
        validation: str,
        stage: str = "search",
    ) -> None:
        self.stage = stage
        self.storage = storage
        self.study_name = study_name
        self.trial_number = trial_number
        self.fingerprint = fingerprint
        self.estimator_params = dict(estimator_params)
        self.validation = validation
        self.note: str | None = None

    def run_key(self, seed: int, fold: int) -> str:
        """The cache key of one (seed, fold) run of this estimator."""
        return make_run_key(
            fingerprint=self.fingerprint,
            estimator_params=self.estimator_params,
            validation=self.validation,
            seed=seed,
            fold=fold,
        )

    def lookup(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], SeedRecord]:
        """Stored results (from any study of the database) for these (seed, fold) keys."""
        by_key = {self.run_key(seed, fold): (seed, fold) for seed, fold in keys}
        found = find_cached_runs(self.storage, list(by_key))
        return {by_key[key]: _to_seed_record(run) for key, run in found.items()}

    def save(self, records: Sequence[SeedRecord]) -> None:
        """Store the records as rows of this trial."""
        runs = [
            SeedRunRecord(
                seed=r.seed,
                fold=r.fold,
                run_key=self.run_key(r.seed, r.fold),
                score=r.score,
                diverged=r.diverged,
                n_iter=r.n_iter,
                fit_seconds=r.fit_seconds,
                loss_curve=r.loss_curve,
                eval_curve=r.eval_curve,
                error=r.error if self.note is None else self.note,
            )
            for r in records
        ]
        save_seed_runs(self.storage, self.study_name, self.trial_number, runs, stage=self.stage)


def _to_seed_record(run: SeedRunRecord) -> SeedRecord:
    return SeedRecord(
        seed=run.seed,
        fold=run.fold,
        score=run.score,
        loss_curve=run.loss_curve,
        eval_curve=run.eval_curve,
        n_iter=run.n_iter,
        fit_seconds=run.fit_seconds,
        diverged=run.diverged,
        error=run.error,
        cached=True,
    )
