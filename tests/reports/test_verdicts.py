"""Simulation tests of the verdict statistics (issue 10 item 5): no training, seconds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from initstudy.reports._stats import mean_interval
from initstudy.reports._verdicts import best_group


@pytest.mark.parametrize(
    ("name", "draw", "true_mean"),
    [
        ("normal", lambda rng, n: rng.normal(0.9, 0.02, n), 0.9),
        ("skewed", lambda rng, n: 0.95 - rng.exponential(0.02, n), 0.93),
        ("right-skewed", lambda rng, n: rng.gamma(2.0, 0.01, n), 0.02),
    ],
)
def test_interval_coverage_at_10_seeds(name, draw, true_mean):
    rng = np.random.default_rng(12)
    reps = 2000
    hits = sum(
        (ci := mean_interval(draw(rng, 10))).low <= true_mean <= ci.high for _ in range(reps)
    )
    assert hits / reps >= 0.93, name


def test_best_group_family_wise_rate_under_the_null():
    """12 identical schemes, 10 seeds: a false 'worse' verdict in at most 5% (+ MC error)."""
    rng = np.random.default_rng(5)
    reps, false = 200, 0
    for rep in range(reps):
        seed_effect = rng.normal(0.0, 0.02, (10, 1))  # seeds shared across schemes (paired)
        scores = 0.9 + seed_effect + rng.normal(0.0, 0.01, (10, 12))
        grouping = best_group(scores, n_resamples=499, seed=rep)
        false += bool(grouping.worse)
    bound = 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    assert false / reps <= bound


def test_best_group_with_ties_under_the_null():
    """Accuracy on a small test part is discrete: ties everywhere, still no false verdicts."""
    rng = np.random.default_rng(6)
    reps, false = 100, 0
    for rep in range(reps):
        scores = rng.binomial(67, 0.9, (10, 12)) / 67
        false += bool(best_group(scores, n_resamples=499, seed=rep).worse)
    assert false / reps <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)


def test_best_group_finds_a_clearly_worse_scheme():
    rng = np.random.default_rng(7)
    scores = 0.9 + rng.normal(0.0, 0.005, (10, 4))
    scores[:, 3] -= 0.1
    grouping = best_group(scores, n_resamples=999)
    assert grouping.worse == (3,) and set(grouping.best) == {0, 1, 2}
    assert grouping.p_adjusted[grouping.best[0], 3] <= 0.05
    assert stats.describe(scores[:, 3]).mean < 0.85
