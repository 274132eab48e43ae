"""Aggregates of per-seed scores, the confidence interval and the default penalties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from initstudy.exceptions import ConfigError
from initstudy.study import aggregate, confidence_interval, default_penalty, summarize
from initstudy.study._aggregates import iqm


def test_mean_median_iqm() -> None:
    scores = [0.1, 0.5, 0.6, 0.7, 10.0]
    assert aggregate("mean", scores) == pytest.approx(np.mean(scores))
    assert aggregate("median", scores) == pytest.approx(0.6)
    # iqm of 8 values drops the two lowest and the two highest
    eight = [1, 2, 3, 4, 5, 6, 7, 100]
    assert iqm(eight) == pytest.approx(np.mean([3, 4, 5, 6]))
    assert aggregate("iqm", eight) == pytest.approx(4.5)


def test_ci_low_is_student_t_lower_bound() -> None:
    scores = np.array([0.90, 0.92, 0.95, 0.91, 0.93])
    low, high = confidence_interval(scores)
    expected = stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
    assert (low, high) == pytest.approx(expected)
    assert aggregate("ci_low", scores) == pytest.approx(low)
    assert low < scores.mean() < high


def test_ci_of_one_seed_is_the_score() -> None:
    assert confidence_interval([0.7]) == (0.7, 0.7)
    assert summarize([0.7])["std"] == 0.0


def test_summarize_gives_plain_floats() -> None:
    out = summarize(np.array([0.5, 0.6, 0.7], dtype=np.float32))
    assert set(out) == {"mean", "std", "median", "iqm", "ci_low", "ci_high"}
    assert all(type(v) is float for v in out.values())
    assert out["std"] == pytest.approx(0.1, rel=1e-5)


def test_unknown_aggregate_suggests() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'median'"):
        aggregate("medain", [1.0])


def test_no_scores() -> None:
    with pytest.raises(ConfigError, match="no scores"):
        aggregate("mean", [])


@pytest.mark.parametrize(
    ("scoring", "task", "penalty"),
    [
        (None, "classification", 0.0),
        ("balanced_accuracy", "classification", 0.0),
        (None, "regression", -1.0),
        ("r2", "regression", -1.0),
    ],
)
def test_default_penalty(scoring: str | None, task: str, penalty: float) -> None:
    assert default_penalty(scoring, task) == penalty


def test_unbounded_metric_needs_explicit_penalty() -> None:
    with pytest.raises(ConfigError, match="set 'penalty' explicitly"):
        default_penalty("neg_mean_squared_error", "regression")
