"""Per-seed results and the result of one evaluation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from initstudy.study._aggregates import aggregate, summarize

__all__ = ["EvaluationResult", "SeedRecord"]


@dataclass(frozen=True)
class SeedRecord:
    """The outcome of training from one seed on one fold.

    Attributes
    ----------
    seed : int
        The model seed (``random_state``).
    fold : int
        Index of the validation fold (0 for a holdout).
    score : float
        Validation score; NaN when the seed diverged or its fit raised.
    loss_curve : tuple of float
        Training loss after each epoch (empty when the estimator does not record one).
    eval_curve : tuple of float
        Validation score after each epoch (our MLPs only).
    n_iter : int
        Epochs run.
    fit_seconds : float
        Training time; seeds trained together in one stacked pass share it equally.
    diverged : bool
        Training produced a non-finite loss.
    error : str or None
        ``"ExceptionType: message"`` when the fit raised a data error, else None.
    cached : bool
        The result was reused from storage instead of trained.
    """

    seed: int
    fold: int
    score: float
    loss_curve: tuple[float, ...] = ()
    eval_curve: tuple[float, ...] = ()
    n_iter: int = 0
    fit_seconds: float = 0.0
    diverged: bool = False
    error: str | None = None
    cached: bool = False

    @property
    def failed(self) -> bool:
        """True when the seed diverged, raised, or has no finite score."""
        return self.diverged or self.error is not None or not math.isfinite(self.score)

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (curves as lists)."""
        out = asdict(self)
        out["loss_curve"] = list(self.loss_curve)
        out["eval_curve"] = list(self.eval_curve)
        return out


@dataclass(frozen=True)
class EvaluationResult:
    """Everything :func:`evaluate` measured: one record per (seed, fold).

    Attributes
    ----------
    records : tuple of SeedRecord
        Ordered by seed, then fold.
    seeds : tuple of int
        The seeds, in order.
    aggregate : str
        The aggregate rule of :attr:`value`.
    penalty : float
        The score a diverged or failed seed counts as.
    """

    records: tuple[SeedRecord, ...]
    seeds: tuple[int, ...]
    aggregate: str = "mean"
    penalty: float = 0.0
    _order: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_order", {seed: i for i, seed in enumerate(self.seeds)})

    def seed_scores(self) -> np.ndarray:
        """Per-seed score: mean over folds, the penalty for a seed with any failed fold."""
        scores = np.full(len(self.seeds), np.nan)
        for seed, rows in self._by_seed().items():
            bad = any(r.failed for r in rows)
            scores[self._order[seed]] = self.penalty if bad else np.mean([r.score for r in rows])
        return scores

    def _by_seed(self) -> dict[int, list[SeedRecord]]:
        groups: dict[int, list[SeedRecord]] = {}
        for record in self.records:
            groups.setdefault(record.seed, []).append(record)
        return groups

    @property
    def n_diverged(self) -> int:
        """Number of seeds with at least one diverged fold."""
        return sum(any(r.diverged for r in rows) for rows in self._by_seed().values())

    @property
    def n_errors(self) -> int:
        """Number of seeds with at least one fold whose fit raised."""
        return sum(any(r.error is not None for r in rows) for rows in self._by_seed().values())

    @property
    def n_trained(self) -> int:
        """Number of records trained now (not reused from storage)."""
        return sum(not r.cached for r in self.records)

    @property
    def fit_seconds(self) -> float:
        """Total training time of the records (stored times for cached ones)."""
        return float(sum(r.fit_seconds for r in self.records))

    @property
    def value(self) -> float:
        """The aggregate of :meth:`seed_scores`."""
        return aggregate(self.aggregate, self.seed_scores())

    def user_attrs(self) -> dict[str, Any]:
        """The trial user attributes: plain floats (and the aggregate's name).

        ``mean``, ``std``, ``ci_low``, ``ci_high`` (95% t-interval), ``n_seeds``,
        ``n_diverged``, ``fit_seconds`` and ``aggregate``: each is one storage write, so the
        set is kept to what optuna-dashboard sorts and plots; medians, IQMs and errors are
        computed from the stored seed rows.
        """
        scores = self.seed_scores()
        stats = summarize(scores)
        attrs: dict[str, Any] = {k: stats[k] for k in ("mean", "std", "ci_low", "ci_high")}
        attrs.update(
            n_seeds=float(len(scores)),
            n_diverged=float(self.n_diverged),
            fit_seconds=self.fit_seconds,
            aggregate=self.aggregate,
        )
        return attrs

    def to_frame(self) -> pd.DataFrame:
        """One row per record."""
        return pd.DataFrame([r.to_dict() for r in self.records])
