"""Aggregating per-seed scores into one trial value, and the penalty of a diverged seed.

The confidence interval is Student's t-interval on the per-seed scores
(``mean +- t_{0.975, n-1} * std / sqrt(n)``): it is exact for normal scores, deterministic
(no resampling, so a trial's value never depends on a bootstrap seed) and defined from two
seeds on, where ``scipy.stats.bootstrap`` needs many more seeds to be trustworthy. With one
seed the interval collapses to the score itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

from initstudy.exceptions import ConfigError, unknown_name_error

__all__ = [
    "AGGREGATES",
    "aggregate",
    "confidence_interval",
    "default_penalty",
    "iqm",
    "summarize",
]

#: The confidence level of ``ci_low`` / ``ci_high``.
CONFIDENCE = 0.95


def iqm(scores: Sequence[float] | np.ndarray) -> float:
    """Mean of the scores between the 25th and 75th percentiles (25% trimmed from each end).

    Parameters
    ----------
    scores : sequence of float
        Per-seed scores.

    Returns
    -------
    float
        The interquartile mean (``scipy.stats.trim_mean(scores, 0.25)``).
    """
    return float(stats.trim_mean(np.asarray(scores, dtype=float), 0.25))


def confidence_interval(scores: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Two-sided 95% Student-t confidence interval of the mean of the scores.

    Parameters
    ----------
    scores : sequence of float
        Per-seed scores (at least one).

    Returns
    -------
    (float, float)
        Lower and upper bounds. With a single score, or identical scores, both equal the mean.
    """
    values = np.asarray(scores, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, mean
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, values.size - 1) * values.std(ddof=1)
    half /= np.sqrt(values.size)
    return mean - float(half), mean + float(half)


def _ci_low(scores: np.ndarray) -> float:
    return confidence_interval(scores)[0]


#: Aggregate name -> function of the per-seed scores.
AGGREGATES: dict[str, Callable[[np.ndarray], float]] = {
    "mean": lambda scores: float(np.mean(scores)),
    "median": lambda scores: float(np.median(scores)),
    "iqm": iqm,
    "ci_low": _ci_low,
}


def aggregate(name: str, scores: Sequence[float] | np.ndarray) -> float:
    """Aggregate per-seed scores with the named rule.

    Parameters
    ----------
    name : {"mean", "median", "iqm", "ci_low"}
        ``iqm`` is the interquartile mean; ``ci_low`` the lower bound of the 95% t-interval
        (a pessimistic value that rewards schemes whose seeds agree).
    scores : sequence of float
        Per-seed scores, penalties already substituted for diverged seeds.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        If the name is unknown or there are no scores.
    """
    if name not in AGGREGATES:
        raise unknown_name_error("aggregate", name, AGGREGATES)
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        raise ConfigError(f"Cannot aggregate with {name!r}: no scores were given.")
    return AGGREGATES[name](values)


def summarize(scores: Sequence[float] | np.ndarray) -> dict[str, float]:
    """The statistics stored on every trial, as plain floats.

    Parameters
    ----------
    scores : sequence of float
        Per-seed scores (at least one).

    Returns
    -------
    dict
        ``mean``, ``std`` (sample standard deviation, 0 for one seed), ``median``, ``iqm``,
        ``ci_low`` and ``ci_high``.
    """
    values = np.asarray(scores, dtype=float)
    low, high = confidence_interval(values)
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "median": float(np.median(values)),
        "iqm": iqm(values),
        "ci_low": low,
        "ci_high": high,
    }


#: The worst score of bounded metrics (the penalty of a diverged seed). R^2 is unbounded below:
#: its penalty is the floor -1.0 (squared errors twice those of predicting the mean); pass
#: ``penalty`` to change it. Scores of seeds that did not diverge are never clipped.
_WORST_SCORES: dict[str, float] = {
    "accuracy": 0.0,
    "balanced_accuracy": 0.0,
    "f1": 0.0,
    "f1_macro": 0.0,
    "f1_micro": 0.0,
    "f1_weighted": 0.0,
    "precision": 0.0,
    "recall": 0.0,
    "roc_auc": 0.0,
    "average_precision": 0.0,
    "r2": -1.0,
}


def default_penalty(scoring: str | None, task: str) -> float:
    """The score given to a diverged (or failed) seed when no penalty is configured.

    Parameters
    ----------
    scoring : str or None
        A scikit-learn scorer name, or None for the estimator's ``score`` (accuracy for
        classifiers, R^2 for regressors).
    task : {"classification", "regression"}

    Returns
    -------
    float
        The worst possible score of a bounded metric (0 for accuracy); -1.0 for R^2.

    Raises
    ------
    ConfigError
        For a metric with no known worst value (e.g. ``neg_mean_squared_error``): pass
        ``penalty`` explicitly.
    """
    name = scoring if scoring is not None else {"classification": "accuracy"}.get(task, "r2")
    if name not in _WORST_SCORES:
        raise ConfigError(
            f"The scoring {name!r} has no known worst score to penalize diverged seeds with; "
            f"set 'penalty' explicitly (known: {', '.join(sorted(_WORST_SCORES))})."
        )
    return _WORST_SCORES[name]
