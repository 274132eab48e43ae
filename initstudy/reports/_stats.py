"""Statistics over per-seed scores: summaries, intervals of the mean, paired tests.

Pure functions on 1-D arrays of per-seed scores. Where a number cannot be computed honestly
(too few seeds, no spread), it is NaN and a ``note`` says why; nothing is filled in.

Choices, documented once here (measured by simulation in ``tests/reports/test_stats.py``):

- Spread is the sample standard deviation (``ddof=1``).
- IQM is the interquartile mean: ``scipy.stats.trim_mean(x, 0.25)`` (below 4 seeds nothing is
  trimmed and it is the mean).
- Confidence intervals of a mean are 95% Student-t intervals with Hall's (1992) correction for
  skewness (from 3 seeds; plain Student-t with 2). At 10 seeds they cover 95% for normal
  scores and about 94-95% for skewed ones (skewness -1.4 to +2), where plain Student-t covers
  91-93% and a BCa bootstrap 86-90%. No interval covers a rare-outlier mixture at 10 seeds: a
  scheme that fails on one seed in ten is seen failing on none in a third of the samples.
- A paired difference is tested with the exact sign-flip permutation test of its mean
  (``scipy.stats.permutation_test(..., permutation_type="samples")``, every one of the 2^n
  flips up to :data:`EXACT_SEEDS` seeds): valid with ties, which accuracy on a small test part
  has in plenty. Two-sided, it cannot reach p < 0.05 with fewer than 6 non-tied seeds (the
  smallest p with 5 is 2/32 = 0.0625); the note says so.
- Corrections for multiplicity live in :mod:`initstudy.reports._verdicts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "CONFIDENCE_LEVEL",
    "EXACT_SEEDS",
    "MIN_SEEDS_FOR_TEST",
    "Interval",
    "holm",
    "iqm",
    "mean_interval",
    "paired_comparison",
    "probability_of_superiority",
    "sign_flip_pvalue",
    "summarize",
]

#: Smallest number of non-zero paired differences for which a two-sided exact paired test
#: (sign-flip or Wilcoxon) can give p < 0.05.
MIN_SEEDS_FOR_TEST = 6
#: Seeds up to which the sign-flip test enumerates every flip (2^20 of them).
EXACT_SEEDS = 20
CONFIDENCE_LEVEL = 0.95
#: Random flips beyond :data:`EXACT_SEEDS` seeds (seeded, so a report is reproducible).
N_RESAMPLES = 9999


@dataclass(frozen=True)
class Interval:
    """A confidence interval, or NaN bounds and the reason none could be computed.

    Attributes
    ----------
    low, high : float
        The bounds (NaN when not computable).
    method : str
        ``"t (skew-corrected)"`` or ``"t"``; empty when no interval was computed.
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


def _hall_inverse(u: float, skew: float, n: int) -> float:
    """Invert Hall's monotone transform T(t) = t + a t^2 + a^2 t^3 / 3 + b of a t-quantile."""
    a, b = skew / (3.0 * math.sqrt(n)), skew / (6.0 * math.sqrt(n))
    if abs(a) < 1e-12:
        return u - b
    return (np.cbrt(1.0 + 3.0 * a * (u - b)) - 1.0) / a


def mean_interval(values: Any, *, confidence_level: float = CONFIDENCE_LEVEL) -> Interval:
    """Confidence interval of the mean of per-seed values (Student-t, skew-corrected).

    Parameters
    ----------
    values : array-like
        One value per seed; non-finite values are ignored.
    confidence_level : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    Interval
        Hall's skewness-corrected Student-t interval from 3 values, plain Student-t with 2;
        NaN bounds with a note when fewer than 2 values or when all values are equal.

    References
    ----------
    P. Hall, "On the removal of skewness by transformation", JRSS B 54 (1992) 221-228.
    """
    x = _finite(values)
    if x.size < 2:
        return Interval(math.nan, math.nan, note=f"needs at least 2 seeds, got {x.size}")
    if np.allclose(x, x[0], rtol=1e-12, atol=1e-15):
        return Interval(math.nan, math.nan, note=f"all {x.size} seeds scored the same, no spread")
    n, mean, se = x.size, float(x.mean()), float(x.std(ddof=1)) / math.sqrt(x.size)
    q = float(stats.t.ppf(0.5 + confidence_level / 2.0, n - 1))
    if n < 3:
        return Interval(mean - q * se, mean + q * se, method="t")
    skew = float(stats.skew(x, bias=False))
    low, high = mean - se * _hall_inverse(q, skew, n), mean - se * _hall_inverse(-q, skew, n)
    return Interval(float(low), float(high), method="t (skew-corrected)")


def iqm(values: Any) -> float:
    """Interquartile mean of the finite values (NaN when there are none)."""
    x = _finite(values)
    return float(stats.trim_mean(x, 0.25)) if x.size else math.nan


def summarize(values: Any) -> dict[str, Any]:
    """Summary statistics of per-seed scores.

    Parameters
    ----------
    values : array-like
        One score per seed (diverged seeds already scored with the penalty). Non-finite
        values are left out and counted in the note, never silently.

    Returns
    -------
    dict
        ``n_seeds`` (finite values used), ``mean``, ``std`` (ddof=1), ``median``, ``iqm``,
        ``ci_low``, ``ci_high`` (see :func:`mean_interval`), ``ci_method`` and ``note`` (why
        something is NaN; empty if nothing is).
    """
    raw = np.asarray(values, dtype=float).ravel()
    x = _finite(raw)
    notes = []
    if raw.size > x.size:
        notes.append(f"{raw.size - x.size} non-finite score(s) left out")
    ci = mean_interval(x)
    if ci.note:
        notes.append(f"no CI: {ci.note}")
    return {
        "n_seeds": int(x.size),
        "mean": float(np.mean(x)) if x.size else math.nan,
        "std": float(np.std(x, ddof=1)) if x.size >= 2 else math.nan,
        "median": float(np.median(x)) if x.size else math.nan,
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


def _mean_stat(d: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vectorized mean for scipy.stats.permutation_test."""
    return np.mean(d, axis=axis)


def sign_flip_pvalue(differences: Any, *, seed: int = 0) -> float:
    """Two-sided paired sign-flip permutation p-value of the mean difference.

    Parameters
    ----------
    differences : array-like
        Per-seed differences a - b (finite).
    seed : int, default=0
        Seed of the random flips, used only beyond :data:`EXACT_SEEDS` seeds.

    Returns
    -------
    float
        Exact up to :data:`EXACT_SEEDS` seeds (all 2^n flips); 1.0 when every difference is 0;
        NaN with fewer than 2 seeds.
    """
    d = np.asarray(differences, dtype=float).ravel()
    if d.size < 2:
        return math.nan  # scipy needs two seeds; one seed cannot be tested
    if not np.any(d):
        return 1.0
    res = stats.permutation_test(
        (d,),
        _mean_stat,
        permutation_type="samples",
        vectorized=True,
        n_resamples=2**EXACT_SEEDS if d.size <= EXACT_SEEDS else N_RESAMPLES,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(min(1.0, res.pvalue))


def _test_note(d: np.ndarray) -> str:
    """Why a paired test cannot reject (no difference, too few non-tied seeds), or ""."""
    nonzero = int(np.count_nonzero(d))
    if nonzero == 0:
        return "no test: the two configurations scored the same on every seed"
    if nonzero < MIN_SEEDS_FOR_TEST:
        return (
            f"too few seeds for a test: {nonzero} non-tied pair(s); a two-sided paired test "
            f"needs at least {MIN_SEEDS_FOR_TEST} to reach p < 0.05 "
            f"(smallest p here {2.0 / 2**nonzero:.3g})"
        )
    return ""


def paired_comparison(a: Any, b: Any, *, greater_is_better: bool = True) -> dict[str, Any]:
    """Compare two configurations scored on the same seeds.

    Parameters
    ----------
    a, b : array-like
        Per-seed scores, paired by position. Pairs where either value is non-finite are
        left out (and counted in the note).
    greater_is_better : bool, default=True
        Direction of the score (decides wins and the probability of superiority).

    Returns
    -------
    dict
        ``n_paired``, ``mean_diff`` (mean of a - b), ``ci_low``/``ci_high`` (95% interval of
        the mean difference, :func:`mean_interval`, not corrected for multiplicity),
        ``wins``/``losses``/``ties`` (of a against b), ``p_superiority``, ``p_value`` (exact
        sign-flip test, uncorrected) and ``note``.
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = a - b
    sign = 1.0 if greater_is_better else -1.0
    ci = mean_interval(d)
    notes = [_test_note(d) if d.size else "no paired seeds"]
    notes.append(f"no CI: {ci.note}" if ci.note and d.size else "")
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
        "p_value": sign_flip_pvalue(d),
        "note": "; ".join(n for n in notes if n),
    }
