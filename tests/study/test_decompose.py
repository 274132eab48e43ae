"""The crossed design trained with the stacked engine (tiny iris network)."""

from __future__ import annotations

import warnings

import pytest
from sklearn.datasets import load_iris

from initstudy.mlp import MLPClassifier
from initstudy.study._decompose import crossed_scores, decompose_estimator


def test_crossed_design_and_shares_sum_to_one():
    X, y = load_iris(return_X_y=True)
    net = MLPClassifier((4,), max_iter=5, learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = crossed_scores(
            net,
            X,
            y,
            task="classification",
            init_seeds=range(2),
            order_seeds=range(2),
            split_seeds=range(2),
        )
        table, seconds = decompose_estimator(
            net,
            X,
            y,
            task="classification",
            n_boot=20,
            init_seeds=range(2),
            order_seeds=range(2),
            split_seeds=range(2),
        )
    assert len(scores) == 8 and scores["score"].notna().all()
    assert table["share"].sum() == pytest.approx(1.0)
    assert seconds > 0
