"""The pieces of :class:`InitSearchCV` around a trial: its space, its scores and ``cv_results_``.

- :class:`DistributionSpace` lets a search be written scikit-learn style, as a dict of Optuna
  distributions; :func:`resolve_space` maps every accepted ``space`` to one object with
  ``suggest(trial)`` and ``estimator_params(trial_params)``.
- :class:`TrialScores` holds one trial's (seed, fold) score matrix and turns it into the trial's
  user attributes; :func:`build_cv_results` turns the study's trials into ``cv_results_``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from optuna.trial import FrozenTrial, TrialState
from scipy.stats import rankdata

from initstudy.exceptions import ConfigError
from initstudy.searchspaces import SearchSpace, get_space
from initstudy.study._aggregates import aggregate, summarize

__all__ = [
    "CV_ATTR",
    "DistributionSpace",
    "TrialScores",
    "build_cv_results",
    "first_error",
    "resolve_space",
]

#: The one trial user attribute InitSearchCV adds to the study's own: a dict with the
#: (seed, fold) score matrix ``fold_scores``, the per-split ``fit_times`` and ``score_times``
#: and the ``first_error`` (one attribute, as each is a database write).
CV_ATTR = "search_cv"

#: Distribution type -> how a trial draws from it (Optuna's public suggest API).
_SUGGEST: dict[type, Callable[[Any, str, Any], Any]] = {
    FloatDistribution: lambda t, n, d: t.suggest_float(n, d.low, d.high, step=d.step, log=d.log),
    IntDistribution: lambda t, n, d: t.suggest_int(n, d.low, d.high, step=d.step, log=d.log),
    CategoricalDistribution: lambda t, n, d: t.suggest_categorical(n, d.choices),
}


class DistributionSpace:
    """A search space given as ``{parameter name: optuna distribution}`` (scikit-learn style).

    Parameters
    ----------
    distributions : mapping of str to optuna.distributions.BaseDistribution
        Estimator parameter names (bare, or addressed as ``step__param``) and the distribution
        each is drawn from; the Optuna parameter names are these names.
    """

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        for name, dist in distributions.items():
            if type(dist) not in _SUGGEST:
                raise ConfigError(
                    f"The distribution of {name!r} must be an optuna Float-, Int- or "
                    f"CategoricalDistribution. Got {type(dist).__name__} instead."
                )
        self.distributions = dict(distributions)
        self.is_grid = False

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Draw every parameter from the trial."""
        return {name: _SUGGEST[type(d)](trial, name, d) for name, d in self.distributions.items()}

    def estimator_params(self, trial_params: Mapping[str, Any]) -> dict[str, Any]:
        """The estimator parameters of stored trial parameters (the same names and values)."""
        return {name: trial_params[name] for name in self.distributions if name in trial_params}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (stored with the study's config)."""
        return {name: distribution_to_json(d) for name, d in self.distributions.items()}


def resolve_space(space: Any) -> SearchSpace | DistributionSpace:
    """The space object of InitSearchCV's ``space`` parameter.

    A mapping whose values are all Optuna distributions becomes a :class:`DistributionSpace`;
    anything else (a preset name, a TOML path, a space dict, a SearchSpace) goes through
    :func:`initstudy.searchspaces.get_space`.
    """
    if isinstance(space, Mapping) and space:
        kinds = [isinstance(d, BaseDistribution) for d in space.values()]
        if all(kinds):
            return DistributionSpace(space)
        if any(kinds):
            raise ConfigError(
                "A space dict is either {name: optuna distribution} or a search-space table "
                "({'params': {...}}), not a mix. Got distributions for "
                f"{sorted(k for k, d in zip(space, kinds) if d)} and other values for "
                f"{sorted(k for k, d in zip(space, kinds) if not d)}."
            )
    return get_space(space)


@dataclass
class TrialScores:
    """One trial's scores: ``scores[i, k]`` is seed ``i`` on fold ``k`` (NaN: not run).

    ``scores`` already holds the substituted values of failed fits (``error_score``) and of
    diverged seeds (the penalty); ``n_seeds_done`` counts the seeds evaluated on every fold.
    """

    scores: np.ndarray
    fit_times: np.ndarray
    score_times: np.ndarray
    n_seeds_done: int
    n_diverged: int
    n_errors: int
    fit_seconds: float
    first_error: str | None = None

    def seed_scores(self) -> np.ndarray:
        """Per-seed score (mean over folds) of the seeds done."""
        return self.scores[: self.n_seeds_done].mean(axis=1)

    def value(self, rule: str) -> float:
        """The trial's objective value: the aggregate of the per-seed scores."""
        seed_scores = self.seed_scores()
        if seed_scores.size == 0 or not np.isfinite(seed_scores).all():
            return math.nan
        return aggregate(rule, seed_scores)

    def user_attrs(self, rule: str) -> dict[str, Any]:
        """The trial's user attributes: the study's plain floats plus InitSearchCV's lists."""
        seed_scores = self.seed_scores()
        if seed_scores.size and np.isfinite(seed_scores).all():
            attrs: dict[str, Any] = dict(summarize(seed_scores))
        else:
            attrs = dict.fromkeys(("mean", "std", "median", "iqm", "ci_low", "ci_high"), math.nan)
        attrs.update(
            n_seeds=float(self.n_seeds_done),
            n_diverged=float(self.n_diverged),
            n_errors=float(self.n_errors),
            fit_seconds=float(self.fit_seconds),
            aggregate=rule,
            seed_scores=[float(v) for v in seed_scores],
        )
        attrs[CV_ATTR] = {
            "fold_scores": [[float(v) for v in row] for row in self.scores],
            "fit_times": [float(v) for v in self.fit_times],
            "score_times": [float(v) for v in self.score_times],
            "first_error": self.first_error,
        }
        return attrs


def first_error(trial: FrozenTrial) -> str | None:
    """The first error recorded by a trial of the search, or None."""
    return (trial.user_attrs.get(CV_ATTR) or {}).get("first_error")


def _matrix(trial: FrozenTrial, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """A stored list of the search's attribute as an array of the expected shape (NaN when
    absent, e.g. a trial that failed before scoring)."""
    stored = (trial.user_attrs.get(CV_ATTR) or {}).get(key)
    values = np.asarray(np.full(shape, np.nan) if stored is None else stored, dtype=float)
    return values if values.shape == shape else np.full(shape, np.nan)


def _masked_params(params: list[dict[str, Any]]) -> dict[str, np.ma.MaskedArray]:
    """``param_<name>`` columns: object arrays masked where a trial lacks the parameter."""
    names = sorted({name for p in params for name in p})
    columns = {}
    for name in names:
        column = np.ma.MaskedArray(np.empty(len(params), dtype=object), mask=True)
        for index, p in enumerate(params):
            if name in p:
                column[index] = p[name]
        columns[f"param_{name}"] = column
    return columns


def _rank(values: np.ndarray) -> np.ndarray:
    """Rank 1 = highest value; ties share the lowest rank; NaN ranks last."""
    finite = np.where(np.isfinite(values), values, -np.inf)
    ranks = rankdata(-finite, method="min").astype(np.int32)
    if not np.isfinite(values).all():
        ranks[~np.isfinite(values)] = len(values)
    return ranks


def build_cv_results(
    trials: Sequence[FrozenTrial], params: list[dict[str, Any]], n_seeds: int, n_splits: int
) -> dict[str, Any]:
    """``cv_results_`` of finished trials: GridSearchCV's keys plus the per-seed ones.

    Parameters
    ----------
    trials : sequence of FrozenTrial
        The finished trials (complete, pruned or failed), in order.
    params : list of dict
        Each trial's estimator parameters, as passed to ``set_params``.
    n_seeds, n_splits : int
        The shape of each trial's score matrix.

    Returns
    -------
    dict of str to ndarray (or list for ``params``)
    """
    folds = np.stack([_matrix(t, "fold_scores", (n_seeds, n_splits)) for t in trials])
    fit = np.stack([_matrix(t, "fit_times", (n_splits,)) for t in trials])
    score = np.stack([_matrix(t, "score_times", (n_splits,)) for t in trials])
    complete = np.array([t.state == TrialState.COMPLETE for t in trials])
    values = np.array([t.value if t.value is not None else np.nan for t in trials], dtype=float)
    values = np.where(complete, values, np.nan)
    results: dict[str, Any] = {"params": params, **_masked_params(params)}
    for k in range(n_splits):
        results[f"split{k}_test_score"] = folds[:, :, k].mean(axis=1)
    seed_scores = folds.mean(axis=2)
    for i in range(n_seeds):
        results[f"seed{i}_test_score"] = seed_scores[:, i]
    attr = {
        key: np.array([t.user_attrs.get(key, np.nan) for t in trials], dtype=float)
        for key in ("mean", "std", "ci_low", "ci_high", "n_diverged")
    }
    results.update(
        mean_test_score=attr["mean"],
        std_test_score=attr["std"],
        ci_low_test_score=attr["ci_low"],
        ci_high_test_score=attr["ci_high"],
        aggregate_test_score=values,
        rank_test_score=_rank(values),
        n_diverged=attr["n_diverged"],
        mean_fit_time=fit.mean(axis=1),
        std_fit_time=fit.std(axis=1),
        mean_score_time=score.mean(axis=1),
        std_score_time=score.std(axis=1),
        trial_number=np.array([t.number for t in trials]),
        state=np.array([t.state.name for t in trials], dtype=object),
    )
    return results
