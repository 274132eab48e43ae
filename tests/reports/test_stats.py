"""Tests of the pure statistics on per-seed scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from initstudy.reports._stats import (
    MIN_SEEDS_FOR_TEST,
    holm,
    iqm,
    mean_interval,
    paired_comparison,
    probability_of_superiority,
    sign_flip_pvalue,
    summarize,
)


def test_summarize_matches_numpy():
    x = np.array([0.91, 0.93, 0.90, 0.95, 0.92, 0.94])
    s = summarize(x)
    assert s["n_seeds"] == 6
    assert s["mean"] == pytest.approx(x.mean())
    assert s["std"] == pytest.approx(x.std(ddof=1))
    assert s["iqm"] == pytest.approx(np.sort(x)[1:5].mean())
    assert s["ci_low"] < s["mean"] < s["ci_high"]
    assert s["ci_method"] == "t (skew-corrected)"
    assert s["note"] == ""


def test_mean_interval_is_student_t_without_skew():
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.5])  # sample skewness exactly 0
    ci = mean_interval(x)
    ref = stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
    assert (ci.low, ci.high) == pytest.approx(ref)


def test_sign_flip_pvalue_is_exact():
    # 6 seeds all positive: only the all-positive and all-negative flips are as extreme
    assert sign_flip_pvalue([0.1, 0.2, 0.1, 0.3, 0.2, 0.1]) == pytest.approx(2 / 64)
    assert sign_flip_pvalue([0.0, 0.0]) == 1.0
    assert sign_flip_pvalue([0.01, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("values", "words"),
    [([0.9], "at least 2 seeds, got 1"), ([], "got 0"), ([0.5, 0.5, 0.5], "scored the same")],
)
def test_mean_interval_refuses_to_invent(values, words):
    ci = mean_interval(values)
    assert math.isnan(ci.low) and math.isnan(ci.high)
    assert words in ci.note


def test_summarize_single_seed_gives_nan_and_reason():
    s = summarize([0.8])
    assert s["mean"] == 0.8
    assert math.isnan(s["std"]) and math.isnan(s["ci_low"])
    assert "at least 2 seeds" in s["note"]


def test_summarize_drops_non_finite_and_says_so():
    s = summarize([0.8, np.nan, 0.9, np.inf])
    assert s["n_seeds"] == 2
    assert s["mean"] == pytest.approx(0.85)
    assert "2 non-finite" in s["note"]


def test_iqm_trims_quartiles():
    assert iqm([0, 1, 2, 3, 4, 5, 6, 100]) == pytest.approx(3.5)
    assert iqm([1.0, 2.0]) == pytest.approx(1.5)
    assert math.isnan(iqm([]))


def test_holm_against_hand_computation():
    p = [0.01, 0.04, 0.03, np.nan, 0.5]
    # m = 4 finite: sorted 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> 0.09 (monotone), 0.5*1=0.5
    np.testing.assert_allclose(holm(p), [0.04, 0.09, 0.09, np.nan, 0.5])
    np.testing.assert_allclose(holm([0.9, 0.8]), [1.0, 1.0])
    assert np.isnan(holm([np.nan])).all()


def test_probability_of_superiority_counts_ties_half():
    a = [1.0, 2.0, 3.0, 4.0]
    b = [0.0, 2.0, 5.0, 1.0]
    assert probability_of_superiority(a, b) == pytest.approx(2.5 / 4)
    assert probability_of_superiority(a, b, greater_is_better=False) == pytest.approx(1.5 / 4)


def test_paired_comparison_with_enough_seeds():
    rng = np.random.default_rng(0)
    b = rng.normal(0.9, 0.01, size=10)
    a = b + np.linspace(0.01, 0.05, 10)
    r = paired_comparison(a, b)
    assert r["n_paired"] == 10 and r["wins"] == 10 and r["losses"] == 0
    assert r["p_superiority"] == 1.0
    assert r["mean_diff"] == pytest.approx(0.03)
    assert 0.0 < r["ci_low"] < 0.03 < r["ci_high"]
    assert r["p_value"] == pytest.approx(2 / 1024)  # exact sign-flip, all 10 positive
    assert r["note"] == ""


def test_paired_comparison_too_few_seeds_says_so():
    # changed on purpose (issue 10): the exact p (2/8) is given, the note says it cannot reject
    r = paired_comparison([0.9, 0.8, 0.95], [0.85, 0.7, 0.9])
    assert r["p_value"] == pytest.approx(0.25)
    assert "too few seeds" in r["note"] and str(MIN_SEEDS_FOR_TEST) in r["note"]
    assert r["wins"] == 3


def test_paired_comparison_minimize_direction_and_identical():
    r = paired_comparison([1.0] * 6, [2.0] * 6, greater_is_better=False)
    assert r["wins"] == 6 and r["p_superiority"] == 1.0
    same = paired_comparison([0.5] * 7, [0.5] * 7)
    assert same["ties"] == 7 and same["p_value"] == 1.0
    assert "same on every seed" in same["note"]
