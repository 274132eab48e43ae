"""Variance components of a crossed random design: how much of the spread each seed source causes.

A score is measured once in every cell of a fully crossed design, for example 4 initialization
seeds x 4 data-order seeds x 3 validation splits. Each factor is a random draw of its source of
randomness, so the balanced random-effects ANOVA applies: every main effect and interaction
below the top one gets a variance component from its mean square, solved from the expected mean
squares (method of moments, the classical unbiased estimator). With one score per cell the top
interaction cannot be told apart from noise, so it is reported as ``residual`` (the part of the
spread that no single source, nor any pair of them, explains).

A negative moment estimate (a mean square below what the higher terms predict) is set to zero,
as is usual, and the shares are the components divided by their sum, so they add up to one.
Intervals come from a bootstrap that resamples the levels of every factor independently
(the "pigeonhole" bootstrap for crossed designs; resamples without any spread, e.g. one level
drawn every time, are left out); with 3-4 levels a factor they are wide, and
the report says so: a share estimated from four seeds is a rough figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from initstudy.exceptions import DataError

__all__ = ["VARIANCE_COLUMNS", "variance_components"]

#: Columns of :func:`variance_components`.
VARIANCE_COLUMNS = ["source", "variance", "share", "share_low", "share_high", "df"]
#: Name of the top interaction (confounded with noise when every cell has one score).
RESIDUAL = "residual"


def _cube(frame: pd.DataFrame, factors: Sequence[str], score: str) -> np.ndarray:
    """The scores as an array with one axis per factor; refuses an unbalanced design."""
    levels = [np.unique(frame[f].to_numpy()) for f in factors]
    shape = tuple(len(lv) for lv in levels)
    if any(n < 2 for n in shape):
        few = [f for f, n in zip(factors, shape) if n < 2]
        raise DataError(
            f"A variance decomposition needs at least 2 levels of every factor; "
            f"{few} have fewer. Got levels {dict(zip(factors, shape))} instead."
        )
    if len(frame) != int(np.prod(shape)):
        raise DataError(
            f"A variance decomposition needs one score in every cell of the crossed "
            f"design ({' x '.join(map(str, shape))} = {int(np.prod(shape))} cells). "
            f"Got {len(frame)} rows instead."
        )
    index = tuple(np.searchsorted(lv, frame[f].to_numpy()) for lv, f in zip(levels, factors))
    cube = np.full(shape, np.nan)
    cube[index] = frame[score].to_numpy(dtype=float)
    if np.isnan(cube).any():
        raise DataError(
            "A variance decomposition needs one finite score in every cell of the "
            "crossed design; some cells are missing, repeated or not finite."
        )
    return cube


def _effect_sets(k: int) -> list[tuple[int, ...]]:
    """Every non-empty subset of the k factor axes, smallest first (the full set last)."""
    return [s for r in range(1, k + 1) for s in itertools.combinations(range(k), r)]


def _mean_squares(cube: np.ndarray) -> dict[tuple[int, ...], tuple[float, int]]:
    """Mean square and degrees of freedom of every effect (the full set is the residual)."""
    k, n = cube.ndim, cube.shape
    out: dict[tuple[int, ...], tuple[float, int]] = {}
    for effect in _effect_sets(k):
        others = tuple(a for a in range(k) if a not in effect)
        means = cube.mean(axis=others) if others else cube
        for axis in range(means.ndim):  # interaction contrasts: center along every kept axis
            means = means - means.mean(axis=axis, keepdims=True)
        replicates = int(np.prod([n[a] for a in others])) if others else 1
        df = int(np.prod([n[a] - 1 for a in effect]))
        out[effect] = (replicates * float(np.sum(means**2)) / df, df)
    return out


def _components(cube: np.ndarray) -> dict[tuple[int, ...], float]:
    """Unclipped moment estimates: E[MS_S] = sum over T >= S of (prod_{f not in T} n_f) var_T."""
    k, n = cube.ndim, cube.shape
    ms = _mean_squares(cube)
    full = tuple(range(k))
    var: dict[tuple[int, ...], float] = {}
    for effect in sorted(ms, key=len, reverse=True):
        if effect == full:
            var[effect] = ms[effect][0]
            continue
        higher = sum(
            int(np.prod([n[a] for a in full if a not in t])) * var[t]
            for t in var
            if set(effect) < set(t)
        )
        coef = int(np.prod([n[a] for a in full if a not in effect]))
        var[effect] = (ms[effect][0] - higher) / coef
    return var


def _shares(cube: np.ndarray, effects: list[tuple[int, ...]], empty: float = 0.0) -> np.ndarray:
    """Clipped components as shares of their sum (``empty`` when the scores do not vary)."""
    raw = _components(cube)
    values = np.array([max(raw[e], 0.0) for e in effects])
    total = values.sum()
    return values / total if total > 0 else np.full_like(values, empty)


def variance_components(
    frame: pd.DataFrame,
    factors: Sequence[str],
    *,
    score: str = "score",
    n_boot: int = 2000,
    level: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Split the variance of crossed-design scores into one share per source and interaction.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per cell of a fully crossed design: a column per factor (its level, e.g. the
        init seed) and the ``score`` column.
    factors : sequence of str
        The factor columns, e.g. ``["init", "order", "split"]`` (at least two, each with at
        least two levels).
    score : str, default="score"
        The column holding the scores.
    n_boot : int, default=2000
        Bootstrap resamples for the intervals (0 skips them).
    level : float, default=0.95
        Confidence level of the share intervals.
    random_state : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns ``VARIANCE_COLUMNS``: one row per main effect and interaction (named like
        ``"init"`` or ``"init x order"``), then ``"residual"`` (the top interaction and noise).
        ``variance`` is the moment estimate clipped at zero, ``share`` its fraction of the total
        (the shares sum to one unless the scores are all equal), ``share_low``/``share_high`` the
        percentile bootstrap interval over resampled factor levels, ``df`` the degrees of freedom.

    Raises
    ------
    DataError
        Fewer than two factors or levels, missing or repeated cells, non-finite scores.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> cells = [(i, j) for i in range(4) for j in range(4)]
    >>> init_effect = rng.normal(size=4)
    >>> frame = pd.DataFrame({"init": [i for i, _ in cells], "order": [j for _, j in cells],
    ...                       "score": [init_effect[i] for i, _ in cells]})
    >>> variance_components(frame, ["init", "order"], n_boot=0)["share"].round(3).tolist()
    [1.0, 0.0, 0.0]
    """
    factors = list(factors)
    if len(factors) < 2 or len(set(factors)) != len(factors):
        raise DataError(
            f"A variance decomposition needs at least two distinct factors. "
            f"Got {factors!r} instead."
        )
    missing = [c for c in [*factors, score] if c not in frame.columns]
    if missing:
        raise DataError(
            f"Columns {missing} are missing from the design. "
            f"Valid columns: {sorted(map(str, frame.columns))}."
        )
    cube = _cube(frame, factors, score)
    effects = _effect_sets(cube.ndim)
    ms = _mean_squares(cube)
    raw = _components(cube)
    variance = np.array([max(raw[e], 0.0) for e in effects])
    shares = _shares(cube, effects)
    low = high = np.full(len(effects), np.nan)
    if n_boot > 0:
        rng = np.random.default_rng(random_state)
        boot = np.empty((n_boot, len(effects)))
        for b in range(n_boot):
            resampled = cube
            for axis, size in enumerate(cube.shape):
                resampled = np.take(resampled, rng.integers(0, size, size), axis=axis)
            # a resample that does not vary (e.g. one level drawn 4 times) says nothing
            # about the shares: it is left out rather than counted as all-zero shares
            boot[b] = _shares(resampled, effects, empty=np.nan)
        alpha = (1.0 - level) / 2.0
        if np.isfinite(boot).any():
            low, high = np.nanquantile(boot, [alpha, 1.0 - alpha], axis=0)
    names = [
        RESIDUAL if len(e) == cube.ndim else " x ".join(factors[a] for a in e) for e in effects
    ]
    return pd.DataFrame(
        {
            "source": names,
            "variance": variance,
            "share": shares,
            "share_low": low,
            "share_high": high,
            "df": [ms[e][1] for e in effects],
        }
    )[VARIANCE_COLUMNS]
