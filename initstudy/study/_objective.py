"""The Optuna objective of a study: suggest, build, train every seed, store, report.

Pruning modes (decided by the pruner):

- no pruner: all seeds train in one stacked pass (``seed_batch`` None); each seed's score is
  reported as an intermediate value with ``step`` = the seed's index;
- ``WilcoxonPruner`` (or any pruner, by default): seeds train in groups (``seed_batch``,
  default 2); after each group its per-seed scores are reported (step = seed index) and the
  trial is pruned when the pruner says so. Seeds are paired across trials, as the Wilcoxon
  test expects;
- ``MedianPruner`` (per-epoch mode): the mean validation score of the first seed group is
  reported after every epoch (step = epoch) and all seeds stop when the pruner says so. The
  per-seed scores are then only in the stored seed rows, not intermediate values. Rows of
  a trial stopped this way are stored with ``error = "pruned at epoch N"`` so they are never
  reused as finished results.

Every trial gets the user attributes of :meth:`EvaluationResult.user_attrs` (plain floats,
so optuna-dashboard can sort and plot them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna

from initstudy.exceptions import InitStudyError
from initstudy.storage import trial_id, write_trial_results
from initstudy.study._aggregates import default_penalty
from initstudy.study._cache import StorageSeedCache, estimator_key_params
from initstudy.study._config import StudyConfig
from initstudy.study._estimators import build_estimator
from initstudy.study._evaluate import evaluate_folds, prepare_folds
from initstudy.study._preprocessing import effective_preprocessing
from initstudy.study._progress import NullProgress
from initstudy.study._records import EvaluationResult, SeedRecord
from initstudy.study._repetitions import FIXED_ORDER_SEED, repetition_seeds
from initstudy.study._validation import validation_key

__all__ = ["EvaluationFailedError", "Objective", "objective_names"]

_AGGREGATE_WORDS = {
    "mean": "mean",
    "median": "median",
    "iqm": "interquartile mean",
    "ci_low": "95% CI lower bound",
}
_DEFAULT_METRIC = {"classification": "accuracy", "regression": "r2"}
#: Pruners that watch the validation curve per epoch instead of per-seed scores.
EPOCH_PRUNERS: tuple[type, ...] = (
    optuna.pruners.MedianPruner,
    optuna.pruners.PercentilePruner,
    optuna.pruners.SuccessiveHalvingPruner,
    optuna.pruners.HyperbandPruner,
)
_WILCOXON_BATCH = 2


class EvaluationFailedError(InitStudyError, RuntimeError):
    """Every seed of a trial failed with an error (the trial is marked FAIL)."""


def objective_names(config: StudyConfig, task: str) -> list[str]:
    """Names of the objectives as shown by optuna-dashboard, e.g. "accuracy, mean of 5 seeds"."""
    metric = config.scoring or _DEFAULT_METRIC[task]
    names = [f"{metric}, {_AGGREGATE_WORDS[config.aggregate]} of {config.n_seeds} seeds"]
    if "fit_seconds" in config.objectives:
        names.append("fit seconds (all seeds)")
    return names


class Objective:
    """The callable that Optuna runs for each trial of a study.

    Parameters
    ----------
    config : StudyConfig
    dataset : Dataset
        The loaded data (``X``, ``y``, ``task``, ``fingerprint``).
    space : SearchSpace
    storage : RDBStorage
    pruner : optuna pruner or None
        Decides the pruning mode (see the module docstring).
    progress : NullProgress
        Told about each finished seed group.
    """

    def __init__(
        self,
        config: StudyConfig,
        dataset: Any,
        space: Any,
        storage: Any,
        *,
        pruner: optuna.pruners.BasePruner | None = None,
        progress: NullProgress | None = None,
    ) -> None:
        self.config = config
        self.dataset = dataset
        self.space = space
        self.storage = storage
        self.progress = progress if progress is not None else NullProgress()
        self.multi = len(config.objectives) > 1
        no_pruning = pruner is None or isinstance(pruner, optuna.pruners.NopPruner) or self.multi
        self.epoch_mode = not no_pruning and isinstance(pruner, EPOCH_PRUNERS)
        self.seed_mode = not no_pruning and not self.epoch_mode
        self.seed_batch = config.seed_batch
        if self.seed_mode and self.seed_batch is None:
            self.seed_batch = _WILCOXON_BATCH
        # the cache key's "validation" part: everything besides the estimator and the seed
        # that changes a stored score (rows are reused across studies of one database)
        self.preprocessing = effective_preprocessing(config.preprocessing, dataset.columns)
        self.validation = self.validation_for(config.split_seed)
        self.penalty = (
            default_penalty(config.scoring, dataset.task)
            if config.penalty is None
            else float(config.penalty)
        )
        self._folds: dict[int, list[Any]] = {}

    def validation_for(self, split_seed: int) -> str:
        """The cache key's "validation" part for the split of ``split_seed``."""
        return (
            f"{validation_key(self.config.validation, split_seed)}"
            f"|preprocessing={self.preprocessing!r}|scoring={self.config.scoring!r}"
        )

    def folds(self, split_seed: int | None = None) -> list[Any]:
        """The split, preprocessed data of a split seed (the study's): made once, reused."""
        split_seed = self.config.split_seed if split_seed is None else split_seed
        if split_seed not in self._folds:
            self._folds[split_seed] = prepare_folds(
                self.dataset.X,
                self.dataset.y,
                task=self.dataset.task,
                validation=self.config.validation,
                split_seed=split_seed,
                preprocessing=self.preprocessing,
            )
        return self._folds[split_seed]

    def build(self, params: dict[str, Any]) -> Any:
        """The estimator of a trial: fixed settings, overridden by the suggested ones."""
        estimator = build_estimator(
            self.config.estimator_kind, self.dataset.task, {**self.config.estimator, **params}
        )
        if "order" not in self.config.vary and "shuffle_random_state" not in self.config.estimator:
            estimator.set_params(shuffle_random_state=FIXED_ORDER_SEED)  # one data order
        return estimator

    def _cache(self, trial: optuna.Trial, estimator: Any, split_seed: int) -> StorageSeedCache:
        return StorageSeedCache(
            self.storage,
            trial.study.study_name,
            trial.number,
            fingerprint=self.dataset.fingerprint,
            estimator_params=estimator_key_params(estimator),
            validation=self.validation_for(split_seed),
        )

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        """Evaluate one trial; returns the aggregate (and the fit seconds if multi-objective)."""
        estimator = self.build(self.space.suggest(trial))
        run = _TrialRun(self, trial, self._cache(trial, estimator, self.config.split_seed))
        self.progress.trial_started(trial.number, self.config.n_seeds)
        seeds = self.config.seed_list
        by_split: dict[int, list[int]] = {}  # the study's one split, or one split per seed
        for rep in repetition_seeds(seeds, self.config.vary, split_seed=self.config.split_seed):
            by_split.setdefault(rep.split, []).append(rep.seed)
        records: list[Any] = []
        for i, (split_seed, group) in enumerate(by_split.items()):
            run.cache = self._cache(trial, estimator, split_seed)
            part = evaluate_folds(
                estimator,
                self.folds(split_seed),
                seeds=group,
                scoring=self.config.scoring,
                aggregate=self.config.aggregate,
                penalty=self.config.penalty,
                seed_batch=self.seed_batch,
                cache=run.cache,
                epoch_callback=run.on_epoch if self.epoch_mode and i == 0 else None,
                on_records=run.on_records,
            )
            records += part.records
        result = EvaluationResult(tuple(records), tuple(seeds), self.config.aggregate, part.penalty)
        run.finish(result)
        if self.multi:
            return result.value, result.fit_seconds
        return result.value


class _TrialRun:
    """The per-trial state: records so far, reporting and pruning."""

    def __init__(self, objective: Objective, trial: optuna.Trial, cache: StorageSeedCache):
        self.objective = objective
        self.trial = trial
        self.cache = cache
        self.records: list[SeedRecord] = []
        self.pruned_at: int | None = None
        #: Per-seed scores not yet stored (without a pruner they are written with the user
        #: attributes, in one transaction; a pruner needs each one reported at once).
        self.unreported: dict[int, float] = {}

    def _partial(self) -> EvaluationResult:
        seeds = tuple(dict.fromkeys(r.seed for r in self.records))
        aggregate = self.objective.config.aggregate
        return EvaluationResult(tuple(self.records), seeds, aggregate, self.objective.penalty)

    def on_epoch(self, epoch: int, eval_scores: np.ndarray) -> bool:
        """Per-epoch pruning: report the mean validation score; stop every seed if pruned."""
        scores = np.asarray(eval_scores, dtype=float)
        value = float(np.mean(np.where(np.isfinite(scores), scores, self.objective.penalty)))
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            self.cache.note = f"pruned at epoch {epoch}"
            return True
        return False

    def on_records(self, records: list[SeedRecord]) -> None:
        """A seed group finished: report per-seed scores, maybe prune."""
        self.records += records
        self.objective.progress.seeds_done(len({r.seed for r in records}))
        if self.objective.multi or self.objective.epoch_mode:
            return
        partial = self._partial()
        index = {seed: i for i, seed in enumerate(self.objective.config.seed_list)}
        new = list(dict.fromkeys(r.seed for r in records))
        scores = dict(zip(partial.seeds, partial.seed_scores()))
        for seed in new:
            self.unreported[index[seed]] = float(scores[seed])
        if self.objective.seed_mode:
            for step, score in self.unreported.items():
                self.trial.report(score, step)
            self.unreported.clear()
            if self.trial.should_prune():
                self._set_attrs(partial)
                raise optuna.TrialPruned(f"pruned after {len(partial.seeds)} seeds")

    def _set_attrs(self, result: EvaluationResult) -> None:
        """Store the user attributes and the unreported scores, in one transaction."""
        storage = self.objective.storage
        write_trial_results(
            storage,
            trial_id(storage, self.trial),
            intermediate_values=self.unreported,
            user_attrs=result.user_attrs(),
        )
        self.unreported.clear()

    def finish(self, result: EvaluationResult) -> None:
        """Store the attributes; raise for a pruned or entirely failed trial."""
        self._set_attrs(result)
        if self.pruned_at is not None:
            raise optuna.TrialPruned(f"pruned at epoch {self.pruned_at}")
        if result.n_errors == len(result.seeds):
            first = next(r.error for r in result.records if r.error is not None)
            raise EvaluationFailedError(
                f"Every seed of trial {self.trial.number} failed; the first error: {first}"
            )
