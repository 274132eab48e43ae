"""The crossed random-effects decomposition: unbiased components, shares, refusals."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from initstudy.exceptions import DataError
from initstudy.study._variance import VARIANCE_COLUMNS, _components, variance_components

SHAPE = (4, 4, 3)
FACTORS = ["init", "order", "split"]


def _simulate(rng: np.random.Generator, sigma2: dict[tuple[int, ...], float]) -> np.ndarray:
    """One crossed design: a normal effect per level (combination) of every term."""
    cube = np.full(SHAPE, 0.9)
    for term, var in sigma2.items():
        shape = [n if a in term else 1 for a, n in enumerate(SHAPE)]
        cube = cube + rng.normal(0.0, np.sqrt(var), shape)
    return cube


def _frame(cube: np.ndarray) -> pd.DataFrame:
    cells = list(itertools.product(*(range(n) for n in cube.shape)))
    frame = pd.DataFrame(cells, columns=FACTORS[: cube.ndim])
    frame["score"] = [cube[c] for c in cells]
    return frame


def test_components_are_unbiased_on_a_known_design():
    sigma2 = {
        (0,): 1.0,
        (1,): 0.5,
        (2,): 0.25,
        (0, 1): 0.3,
        (0, 2): 0.0,
        (1, 2): 0.1,
        (0, 1, 2): 0.4,
    }
    rng = np.random.default_rng(1)
    estimates = {t: [] for t in sigma2}
    for _ in range(2000):
        raw = _components(_simulate(rng, sigma2))
        for t in sigma2:
            estimates[t].append(raw[t])
    for t, var in sigma2.items():
        assert np.mean(estimates[t]) == pytest.approx(var, abs=0.06), t


@pytest.mark.parametrize("source", [0, 1])
def test_only_one_source_matters(source):
    rng = np.random.default_rng(2)
    cube = _simulate(rng, {(source,): 1.0})  # no other term, no noise
    table = variance_components(_frame(cube), FACTORS, n_boot=200)
    shares = dict(zip(table["source"], table["share"]))
    assert shares[FACTORS[source]] == pytest.approx(1.0)
    assert sum(v for k, v in shares.items() if k != FACTORS[source]) == pytest.approx(0.0)
    row = table.set_index("source").loc[FACTORS[source]]
    assert row["share_low"] == pytest.approx(1.0) and row["share_high"] == pytest.approx(1.0)


def test_dominant_source_is_found_among_noise():
    rng = np.random.default_rng(3)
    shares = []
    for _ in range(50):
        cube = _simulate(rng, {(1,): 1.0, (0, 1, 2): 0.05})
        table = variance_components(_frame(cube), FACTORS, n_boot=0)
        shares.append(table.set_index("source")["share"])
    mean = pd.concat(shares, axis=1).mean(axis=1)
    assert mean.idxmax() == "order"
    assert mean["order"] > 0.8


def test_shares_sum_to_one_and_columns():
    rng = np.random.default_rng(4)
    cube = _simulate(rng, {(0,): 0.3, (1,): 0.2, (2,): 0.1, (0, 1, 2): 0.2})
    table = variance_components(_frame(cube), FACTORS, n_boot=100)
    assert list(table.columns) == VARIANCE_COLUMNS
    assert table["source"].tolist() == [
        "init",
        "order",
        "split",
        "init x order",
        "init x split",
        "order x split",
        "residual",
    ]
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["share"] >= 0).all()
    assert (table["share_low"] <= table["share_high"]).all()
    assert table["df"].tolist() == [3, 3, 2, 9, 6, 6, 18]


def test_constant_scores_have_zero_shares():
    frame = _frame(np.full((2, 2), 0.5))
    table = variance_components(frame, ["init", "order"], n_boot=10)
    assert (table["share"] == 0).all()


def test_unbalanced_or_too_small_designs_are_refused():
    frame = _frame(np.arange(8.0).reshape(2, 2, 2))
    with pytest.raises(DataError, match="one score in every cell"):
        variance_components(frame.iloc[1:], FACTORS, n_boot=0)
    with pytest.raises(DataError, match="at least 2 levels"):
        variance_components(frame[frame["split"] == 0], FACTORS, n_boot=0)
    with pytest.raises(DataError, match="missing"):
        variance_components(frame, ["init", "seed"], n_boot=0)
    with pytest.raises(DataError, match="two distinct factors"):
        variance_components(frame, ["init"], n_boot=0)
