"""Statistics over per-seed scores: summaries, bootstrap intervals, paired comparisons.

Pure functions on 1-D arrays of per-seed scores. Where a number cannot be computed honestly
(too few seeds, no spread), it is NaN and a ``note`` says why; nothing is filled in.

Choices, documented once here:

- Spread is the sample standard deviation (``ddof=1``).
- IQM is the interquartile mean: the mean of the middle 50% of the sorted scores
  (``scipy.stats.trim_mean(x, 0.25)``; below 4 seeds nothing is trimmed and it is the mean).
- Confidence intervals are 95% bootstrap intervals of the mean (``scipy.stats.bootstrap``,
  9,999 resamples, a fixed seed so a report is reproducible). BCa is tried first (it corrects
  the bias and skew of the bootstrap distribution); when BCa is undefined for a sample (its
  jackknife is degenerate) the percentile interval is used and the method is recorded.
  With few seeds any bootstrap interval is too narrow: read it as a lower bound on the noise.
- Paired tests use the Wilcoxon signed-rank test on per-seed differences (zero differences
  dropped, exact p-values). Two-sided, it cannot reach p < 0.05 with fewer than 6 non-zero
  differences (the smallest p with 5 is 2/32 = 0.0625), so below ``MIN_SEEDS_FOR_TEST`` the
  p-value is NaN and the note says so. P-values are Holm-adjusted across all pairs of a table.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "MIN_SEEDS_FOR_TEST",
    "Interval",
    "bootstrap_ci",
    "holm",
    "iqm",
    "paired_comparison",
    "probability_of_superiority",
    "summarize",
]

#: Smallest number of non-zero paired differences for which a two-sided exact Wilcoxon
#: signed-rank test can give p < 0.05.
MIN_SEEDS_FOR_TEST = 6

CONFIDENCE_LEVEL = 0.95
N_RESAMPLES = 9999


@dataclass(frozen=True)
class Interval:
    """A confidence interval, or NaN bounds and the reason none could be computed.

    Attributes
    ----------
    low, high : float
        The bounds (NaN when not computable).
    method : str
        ``"BCa"`` or ``"percentile"``; empty when no interval was computed.
    note : str
        Why the interval is missing; empty otherwise.
    """

    low: float
    high: float
    method: str = ""
    note: str = ""


def _finite(values: Any) -> np.ndarray:
    """Return the values as a flat float array without NaN or infinities."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _mean_stat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vectorized mean for scipy.stats.bootstrap."""
    return np.mean(x, axis=axis)


def _try_bootstrap(x: np.ndarray, method: str, level: float, seed: int) -> tuple[float, float]:
    """Run one bootstrap; return NaN bounds if scipy warns or gives a non-finite interval."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.bootstrap(
            (x,),
            _mean_stat,
            vectorized=True,
            n_resamples=N_RESAMPLES,
            confidence_level=level,
            method=method,
            rng=np.random.default_rng(seed),
        )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if caught or not (math.isfinite(low) and math.isfinite(high)):
        return math.nan, math.nan
    return low, high


def bootstrap_ci(
    values: Any, *, confidence_level: float = CONFIDENCE_LEVEL, seed: int = 0
) -> Interval:
    """Bootstrap confidence interval of the mean of per-seed values.

    Parameters
    ----------
    values : array-like
        One value per seed; non-finite values are ignored.
    confidence_level : float, default=0.95
        Coverage of the interval.
    seed : int, default=0
        Seed of the resampling, so a report is reproducible.

    Returns
    -------
    Interval
        BCa interval, else percentile; NaN bounds with a note when fewer than 2 values or
        when all values are equal.
    """
    x = _finite(values)
    if x.size < 2:
        return Interval(math.nan, math.nan, note=f"needs at least 2 seeds, got {x.size}")
    if np.allclose(x, x[0], rtol=1e-12, atol=1e-15):
        return Interval(math.nan, math.nan, note=f"all {x.size} seeds scored the same, no spread")
    for method in ("BCa", "percentile"):
        low, high = _try_bootstrap(x, method, confidence_level, seed)
        if math.isfinite(low):
            return Interval(low, high, method=method)
    return Interval(math.nan, math.nan, note="bootstrap distribution is degenerate")


def iqm(values: Any) -> float:
    """Interquartile mean of the finite values (NaN when there are none)."""
    x = _finite(values)
    return float(stats.trim_mean(x, 0.25)) if x.size else math.nan


def summarize(values: Any, *, seed: int = 0) -> dict[str, Any]:
    """Summary statistics of per-seed scores.

    Parameters
    ----------
    values : array-like
        One score per seed. Non-finite values are left out and counted in the note.
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``n_seeds`` (finite values used), ``mean``, ``std`` (ddof=1), ``iqm``, ``ci_low``,
        ``ci_high``, ``ci_method`` and ``note`` (why something is NaN; empty if nothing is).
    """
    raw = np.asarray(values, dtype=float).ravel()
    x = _finite(raw)
    notes = []
    if raw.size > x.size:
        notes.append(f"{raw.size - x.size} non-finite score(s) left out")
    ci = bootstrap_ci(x, seed=seed)
    if ci.note:
        notes.append(f"no CI: {ci.note}")
    return {
        "n_seeds": int(x.size),
        "mean": float(np.mean(x)) if x.size else math.nan,
        "std": float(np.std(x, ddof=1)) if x.size >= 2 else math.nan,
        "iqm": iqm(x),
        "ci_low": ci.low,
        "ci_high": ci.high,
        "ci_method": ci.method,
        "note": "; ".join(notes),
    }


def holm(pvalues: Any) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1).

    NaN entries stay NaN and do not count towards the number of tests.

    Parameters
    ----------
    pvalues : array-like
        Raw p-values.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order.
    """
    p = np.asarray(pvalues, dtype=float).ravel()
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def probability_of_superiority(a: Any, b: Any, *, greater_is_better: bool = True) -> float:
    """Share of paired seeds on which ``a`` beats ``b``; ties count one half.

    Parameters
    ----------
    a, b : array-like
        Paired per-seed scores of equal length.
    greater_is_better : bool, default=True
        Direction of the score.

    Returns
    -------
    float
        In [0, 1]; NaN when there are no pairs.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0:
        return math.nan
    sign = 1.0 if greater_is_better else -1.0
    d = sign * (a - b)
    return float((np.sum(d > 0) + 0.5 * np.sum(d == 0)) / d.size)


def _wilcoxon_p(d: np.ndarray) -> tuple[float, str]:
    """Two-sided exact Wilcoxon signed-rank p-value of differences, or NaN and why."""
    nonzero = int(np.count_nonzero(d))
    if nonzero == 0:
        return math.nan, "no test: the two configurations scored the same on every seed"
    if nonzero < MIN_SEEDS_FOR_TEST:
        smallest = 2.0 / 2**nonzero
        return math.nan, (
            f"too few seeds for a test: {nonzero} non-tied pair(s), a two-sided Wilcoxon test "
            f"needs at least {MIN_SEEDS_FOR_TEST} to reach p < 0.05 "
            f"(smallest p here {smallest:.3g})"
        )
    return float(stats.wilcoxon(d, zero_method="wilcox", method="auto").pvalue), ""


def paired_comparison(
    a: Any, b: Any, *, greater_is_better: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Compare two configurations scored on the same seeds.

    Parameters
    ----------
    a, b : array-like
        Per-seed scores, paired by position. Pairs where either value is non-finite are
        left out.
    greater_is_better : bool, default=True
        Direction of the score (decides wins and the probability of superiority).
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``n_paired``, ``mean_diff`` (mean of a - b), ``ci_low``/``ci_high`` (bootstrap CI of
        the mean difference), ``wins``/``losses``/``ties`` (of a against b), ``p_superiority``,
        ``p_value`` (Wilcoxon, NaN when too few seeds) and ``note``.
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = a - b
    sign = 1.0 if greater_is_better else -1.0
    ci = bootstrap_ci(d, seed=seed)
    p, p_note = _wilcoxon_p(d) if d.size else (math.nan, "no paired seeds")
    notes = [n for n in (p_note, f"no CI: {ci.note}" if ci.note else "") if n]
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} pair(s) with a non-finite score left out")
    return {
        "n_paired": int(d.size),
        "mean_diff": float(np.mean(d)) if d.size else math.nan,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "wins": int(np.sum(sign * d > 0)),
        "losses": int(np.sum(sign * d < 0)),
        "ties": int(np.sum(d == 0)),
        "p_superiority": probability_of_superiority(a, b, greater_is_better=greater_is_better),
        "p_value": p,
        "note": "; ".join(notes),
    }
