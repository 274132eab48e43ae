"""The Optuna objective of :class:`InitSearchCV`: one trial = every CV split x every seed.

Per trial: draw the parameters, fit the preprocessing once per split, then train the final step
for a batch of seeds on every split (all seeds in one batch; one seed per batch when a pruner
is set, so ``WilcoxonPruner`` can stop the trial after each seed), score, store the rows, and
return the aggregate of the per-seed scores. With a storage, a (seed, fold) already stored
under the same run key (same data, splits, scoring, estimator parameters and seed) is reused
instead of trained again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from sklearn.base import BaseEstimator, clone
from sklearn.utils.parallel import Parallel, delayed

from initstudy.study._cache import StorageSeedCache
from initstudy.study._records import SeedRecord
from initstudy.study._search_cv_fit import (
    EstimatorLayout,
    SeedRun,
    SplitData,
    estimator_text,
    fit_score_seeds,
    split_estimator,
    transform_split,
)
from initstudy.study._search_cv_results import TrialScores

__all__ = ["SearchObjective", "splits_key"]


def splits_key(splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> str:
    """A SHA-256 of the split indices: equal keys mean the same folds."""
    digest = hashlib.sha256()
    for train, test in splits:
        for part in (train, test):
            digest.update(np.asarray(part, dtype=np.int64).tobytes())
            digest.update(b"|")
    return digest.hexdigest()


@dataclass
class SearchObjective:
    """Evaluate one trial of the search (see the module docstring)."""

    estimator: BaseEstimator
    X: Any
    y: Any
    splits: list[tuple[np.ndarray, np.ndarray]]
    seeds: list[int]
    space: Any
    scorer: Callable[..., float]
    aggregate: str
    error_score: float | str
    diverged_score: float
    layout: EstimatorLayout
    seed_by_seed: bool = False
    n_jobs: int | None = None
    storage: Any = None
    study_name: str = ""
    fingerprint: str = ""
    validation: str = ""
    stage: str = "search"

    def __call__(self, trial: optuna.Trial) -> float:
        """Run the trial; raise ``optuna.TrialPruned`` when the pruner stops it."""
        params = self.layout.address(self.space.suggest(trial))
        estimator = clone(self.estimator).set_params(**params)
        preprocessor, final = split_estimator(estimator)
        splits = [
            transform_split(preprocessor, self.X, self.y, k, train, test, self.error_score)
            for k, (train, test) in enumerate(self.splits)
        ]
        scores = _empty_scores(len(self.seeds), len(splits), [s.fit_seconds for s in splits])
        batches = [[s] for s in self.seeds] if self.seed_by_seed else [list(self.seeds)]
        done = 0
        for batch in batches:
            runs = self._run_batch(trial.number, estimator, final, splits, batch)
            _add_runs(scores, runs, self.seeds)
            done += len(batch)
            scores.n_seeds_done = done
            for index in range(done - len(batch), done):
                trial.report(float(scores.seed_scores()[index]), step=index)
            if self.seed_by_seed and done < len(self.seeds) and trial.should_prune():
                _set_attrs(trial, scores.user_attrs(self.aggregate))
                raise optuna.TrialPruned(f"Pruned after {done} of {len(self.seeds)} seeds.")
        _set_attrs(trial, scores.user_attrs(self.aggregate))
        return scores.value(self.aggregate)

    def _run_batch(
        self,
        trial_number: int,
        estimator: BaseEstimator,
        final: BaseEstimator,
        splits: list[SplitData],
        batch: list[int],
    ) -> list[SeedRun]:
        """Train (or reuse from storage) the batch's seeds on every split; store the rows."""
        cache = self._cache(trial_number, estimator)
        found = cache.lookup([(s, d.fold) for s in batch for d in splits]) if cache else {}
        todo = [(d, [s for s in batch if (s, d.fold) not in found]) for d in splits]
        todo = [(d, seeds) for d, seeds in todo if seeds]
        kwargs = {"error_score": self.error_score, "diverged_score": self.diverged_score}
        if self.n_jobs in (None, 1) or len(todo) < 2:
            fitted = [fit_score_seeds(final, d, seeds, self.scorer, **kwargs) for d, seeds in todo]
        else:
            fitted = Parallel(n_jobs=self.n_jobs)(
                delayed(fit_score_seeds)(final, d, seeds, self.scorer, **kwargs)
                for d, seeds in todo
            )
        new = [run for runs in fitted for run in runs]
        if cache is not None:
            cache.save([_to_record(run) for run in new] + list(found.values()))
        return new + [self._from_record(record) for record in found.values()]

    def _cache(self, trial_number: int, estimator: BaseEstimator) -> StorageSeedCache | None:
        """The trial's seed cache in the storage (None without a storage)."""
        if self.storage is None:
            return None
        return StorageSeedCache(
            self.storage,
            self.study_name,
            trial_number,
            fingerprint=self.fingerprint,
            estimator_params={"estimator": estimator_text(estimator)},
            validation=self.validation,
            stage=self.stage,
        )

    def _from_record(self, record: SeedRecord) -> SeedRun:
        """A stored run as this search scores it (a diverged seed gets its penalty)."""
        score = self.diverged_score if record.diverged else record.score
        return SeedRun(
            record.seed,
            record.fold,
            score,
            record.diverged,
            record.n_iter,
            record.fit_seconds,
            0.0,
            list(record.loss_curve),
            record.error,
            list(record.eval_curve),
        )


def _empty_scores(n_seeds: int, n_splits: int, preprocessing_seconds: list[float]) -> TrialScores:
    """A trial's score matrix before any seed ran (fit times start with the preprocessing)."""
    return TrialScores(
        scores=np.full((n_seeds, n_splits), np.nan),
        fit_times=np.asarray(preprocessing_seconds, dtype=float),
        score_times=np.zeros(n_splits),
        n_seeds_done=0,
        n_diverged=0,
        n_errors=0,
        fit_seconds=float(sum(preprocessing_seconds)),
    )


def _add_runs(scores: TrialScores, runs: list[SeedRun], seeds: list[int]) -> None:
    """Write a batch's runs into the trial's score matrix and counters."""
    index = {seed: i for i, seed in enumerate(seeds)}
    diverged, errors = set(), set()
    for run in runs:
        scores.scores[index[run.seed], run.fold] = run.score
        scores.fit_times[run.fold] += run.fit_seconds
        scores.score_times[run.fold] += run.score_seconds
        scores.fit_seconds += run.fit_seconds
        if run.diverged:
            diverged.add(run.seed)
        if run.error is not None:
            errors.add(run.seed)
            scores.first_error = scores.first_error or run.error
    scores.n_diverged += len(diverged)
    scores.n_errors += len(errors)


def _to_record(run: SeedRun) -> SeedRecord:
    """The stored record of a run: NaN score when it diverged or failed (the study's rule)."""
    failed = run.diverged or run.error is not None
    return SeedRecord(
        seed=run.seed,
        fold=run.fold,
        score=math.nan if failed else run.score,
        loss_curve=tuple(run.loss_curve or ()),
        eval_curve=tuple(run.eval_curve or ()),
        n_iter=run.n_iter or 0,
        fit_seconds=run.fit_seconds,
        diverged=run.diverged,
        error=run.error,
    )


def _set_attrs(trial: optuna.Trial, attrs: dict[str, Any]) -> None:
    """Store the trial's user attributes."""
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
