"""Several configurations on the same folds, the missing seeds of all of them trained together.

:func:`evaluate_many` is :func:`~initstudy.study._evaluate.evaluate_folds` for a list of
estimators, each with its own cache: the same records, scores and stored rows, but the
missing (configuration, seed) runs of one stack shape are trained together, in one
:func:`~initstudy.mlp.fit_stack` pass per fold of at most :data:`MAX_GROUP_SEEDS` members
(the confirmation stage: each scheme's best configuration x the fresh seeds). A member's
arithmetic does not depend on the other members of its stack, so every score, loss curve and
epoch count is bitwise that of ``evaluate_folds``; only ``fit_seconds`` (each member's share
of its stack's time) differs.

- Estimators of different stack shapes (``hidden_layer_sizes``, ``activation``, ``solver``, the
  batch size, ``max_iter``, ...: :func:`~initstudy.mlp.stack_key`) train in separate stacks.
- Estimators that are not initstudy MLPs go through ``evaluate_folds``, one after another.
- A stack whose fit raises a data error (an invalid value; a network too large for the memory
  is refused) is trained again one configuration at a time, so the error is recorded for the
  configuration that caused it, exactly as ``evaluate_folds`` records it.
- Each finished stack's records are handed to the caches at once; an interrupt
  (``KeyboardInterrupt``, e.g. :class:`~initstudy.study.Interrupted`) propagates and loses only
  the stack in training: a rerun reuses everything stored.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning

from initstudy.exceptions import ConfigError, DivergenceWarning, unknown_name_error
from initstudy.mlp import (
    MLPClassifier,
    MLPRegressor,
    fit_stack,
    stack_key,
    training_bytes,
    validate_params,
)
from initstudy.study._aggregates import AGGREGATES, default_penalty
from initstudy.study._evaluate import (
    DATA_ERRORS,
    MAX_GROUP_SEEDS,
    Scorer,
    SeedCache,
    _fit_stacked,
    _Fold,
    _make_scorer,
    check_seeds,
    evaluate_folds,
    score_fitted,
)
from initstudy.study._records import EvaluationResult, SeedRecord

__all__ = ["evaluate_many"]

#: A member of a stack: (position of its configuration, seed).
Member = tuple[int, int]

#: Training state (``mlp.training_bytes``) of the members of one stack. A bigger stack shares
#: each step's fixed cost among more members and splits better into seed threads, but past
#: about this size its products and elementwise passes leave the cache. Measured on the 2-core
#: machine (benchmarks/bench_confirm.py and its README): digits (64, 64), batch 128 (0.4 MiB a
#: member), 90 members: on one core stacks of 30 as fast as stacks of 10 (one configuration)
#: and one stack of 90 up to 20% slower; with two free cores stacks of 30 and of 90 about 1.4x
#: faster than stacks of 10. (16,), batch 32 (0.04 MiB): one stack of 90 1.7-5x faster.
STACK_CACHE_BYTES = 12 * 2**20


def evaluate_many(
    estimators: Sequence[Any],
    folds: Sequence[_Fold],
    *,
    seeds: Sequence[int] | int,
    caches: Sequence[SeedCache | None] | None = None,
    scoring: str | Callable[..., float] | None = None,
    aggregate: str = "mean",
    penalty: float | None = None,
    on_result: Callable[[int, EvaluationResult], None] | None = None,
) -> list[EvaluationResult]:
    """``evaluate_folds`` of each estimator, their missing seeds trained in shared stacks.

    Parameters
    ----------
    estimators : sequence of estimators
        The configurations (not modified).
    folds : sequence of folds
        From :func:`~initstudy.study._evaluate.prepare_folds`, the same for every estimator.
    seeds : int or sequence of int
        The model seeds of every estimator.
    caches : sequence of SeedCache or None, optional
        One per estimator (None entries: no cache).
    scoring, aggregate, penalty
        As in :func:`~initstudy.study.evaluate`.
    on_result : callable, optional
        ``on_result(position, result)``, for each estimator in order, as soon as it and every
        estimator before it are complete.

    Returns
    -------
    list of EvaluationResult
        One per estimator, equal to ``evaluate_folds(estimator, folds, ...)`` but for
        ``fit_seconds``.

    Raises
    ------
    ConfigError
        For invalid seeds, scoring or aggregate, or ``caches`` of another length.
    """
    seed_tuple = check_seeds(seeds)
    scorer = _make_scorer(scoring)
    if aggregate not in AGGREGATES:
        raise unknown_name_error("aggregate", aggregate, AGGREGATES)
    estimators = list(estimators)
    caches = [None] * len(estimators) if caches is None else list(caches)
    if len(caches) != len(estimators):
        raise ConfigError(
            f"evaluate_many needs one cache (or None) per estimator ({len(estimators)}). "
            f"Got {len(caches)} instead."
        )
    folds = list(folds)
    tally = _Tally(estimators, folds, seed_tuple, aggregate, penalty, scoring, on_result)
    stacked = [i for i, e in enumerate(estimators) if isinstance(e, (MLPClassifier, MLPRegressor))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, est in enumerate(estimators):
            if i not in stacked:
                result = evaluate_folds(
                    est,
                    folds,
                    seeds=seed_tuple,
                    scoring=scoring,
                    aggregate=aggregate,
                    penalty=penalty,
                    cache=caches[i],
                )
                tally.finished(i, result)
        found = {i: _reuse(caches[i], tally, i) for i in stacked}
        for fold in folds:
            todo = [(i, s) for i in stacked for s in seed_tuple if (s, fold.index) not in found[i]]
            for members in _stacks(estimators, todo, fold, len(seed_tuple)):
                for i, records in _fit_members(estimators, members, fold, scorer).items():
                    cache = caches[i]
                    if cache is not None:
                        cache.save(records)
                    tally.add(i, records)
    return tally.results()


def _reuse(cache: SeedCache | None, tally: _Tally, i: int) -> dict[tuple[int, int], SeedRecord]:
    """The stored records of configuration ``i``, stored again as its rows (as evaluate_folds)."""
    if cache is None:
        return {}
    found = cache.lookup(tally.keys)
    if found:
        cache.save([found[key] for key in tally.keys if key in found])
        tally.add(i, list(found.values()))
    return found


def _stacks(
    estimators: list[Any], todo: list[Member], fold: _Fold, n_seeds: int
) -> Iterator[list[Member]]:
    """The members of each stack shape (in order of first appearance), in even stacks of at
    most :func:`_stack_size`; a configuration whose parameters are invalid stacks alone."""
    keys: dict[int, Any] = {}
    shapes: dict[Any, list[Member]] = {}
    for i, seed in todo:
        if i not in keys:
            try:
                validate_params(estimators[i])
                keys[i] = stack_key(estimators[i], len(fold.y_train), fold.y_train)
            except DATA_ERRORS:  # fit_seeds raises it again, recorded as evaluate_folds does
                keys[i] = ("alone", i)
        shapes.setdefault(keys[i], []).append((i, seed))
    for key, members in shapes.items():
        alone = key == ("alone", members[0][0])
        size = n_seeds if alone else _stack_size(estimators[members[0][0]], fold, n_seeds)
        n_stacks = -(-len(members) // size)  # as few stacks as the size allows, sizes even
        for part in np.array_split(np.arange(len(members)), n_stacks):
            yield members[part[0] : part[-1] + 1]


def _stack_size(estimator: Any, fold: _Fold, n_seeds: int) -> int:
    """Members per stack: as many as fit :data:`STACK_CACHE_BYTES`, never fewer than one
    configuration's seeds (the stack of evaluate_folds), at most :data:`MAX_GROUP_SEEDS`."""
    y = fold.y_train
    n_outputs = len(np.unique(y)) if is_classifier(estimator) else (y.shape[1] if y.ndim > 1 else 1)
    member = training_bytes(estimator, len(y), fold.X_train.shape[1], n_outputs)
    return min(MAX_GROUP_SEEDS, max(n_seeds, STACK_CACHE_BYTES // max(member, 1)))


def _fit_members(
    estimators: list[Any], members: list[Member], fold: _Fold, scorer: Scorer
) -> dict[int, list[SeedRecord]]:
    """Train one stack's members on ``fold`` in one ``fit_stack`` pass; records by configuration.

    On a data error the configurations are trained one at a time (``fit_seeds``, as
    ``evaluate_folds`` does), so each error is recorded where ``evaluate_folds`` records it.
    """
    seeds: dict[int, list[int]] = {}
    for i, seed in members:
        seeds.setdefault(i, []).append(seed)
    nets = [clone(estimators[i]).set_params(random_state=s) for i, s in members]
    start = time.perf_counter()
    try:
        fitted = fit_stack(nets, fold.X_train, fold.y_train, eval_set=(fold.X_val, fold.y_val))
    except DATA_ERRORS:
        return {i: _fit_stacked(estimators[i], fold, s, scorer, None) for i, s in seeds.items()}
    seconds = (time.perf_counter() - start) / len(members)
    records: dict[int, list[SeedRecord]] = {}
    for i, group in seeds.items():
        mine = [est for (j, _), est in zip(members, fitted) if j == i]
        records[i] = score_fitted(mine, group, fold, seconds, scorer)
    return records


class _Tally:
    """The records of each configuration; its result, handed over in order once complete."""

    def __init__(
        self,
        estimators: list[Any],
        folds: list[_Fold],
        seeds: tuple[int, ...],
        aggregate: str,
        penalty: float | None,
        scoring: Any,
        on_result: Callable[[int, EvaluationResult], None] | None,
    ) -> None:
        self.keys = [(s, f.index) for s in seeds for f in folds]
        self.seeds = seeds
        self.aggregate = aggregate
        self.penalties = [
            default_penalty(scoring, "classification" if is_classifier(e) else "regression")
            if penalty is None
            else float(penalty)
            for e in estimators
        ]
        self.on_result = on_result
        self.records: list[dict[tuple[int, int], SeedRecord]] = [{} for _ in estimators]
        self._results: list[EvaluationResult | None] = [None] * len(estimators)
        self._next = 0

    def add(self, i: int, records: Sequence[SeedRecord]) -> None:
        """Configuration ``i``'s records of one stack (or reused from storage)."""
        self.records[i].update({(r.seed, r.fold): r for r in records})
        if len(self.records[i]) == len(self.keys):
            ordered = tuple(self.records[i][key] for key in self.keys)
            self.finished(
                i, EvaluationResult(ordered, self.seeds, self.aggregate, self.penalties[i])
            )

    def finished(self, i: int, result: EvaluationResult) -> None:
        """Configuration ``i`` is complete; hand over every complete result not handed yet."""
        self._results[i] = result
        while self._next < len(self._results) and self._results[self._next] is not None:
            if self.on_result is not None:
                self.on_result(self._next, self._results[self._next])  # type: ignore[arg-type]
            self._next += 1

    def results(self) -> list[EvaluationResult]:
        """Every configuration's result (all complete once every stack was trained)."""
        missing = [i for i, r in enumerate(self._results) if r is None]
        if missing:
            raise RuntimeError(f"evaluate_many left configurations {missing} incomplete.")
        return list(self._results)  # type: ignore[arg-type]
