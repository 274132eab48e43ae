"""[seeds] vary: which sources of randomness change from one repetition (seed) to the next."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from initstudy.exceptions import ConfigError
from initstudy.mlp._init import seed_streams
from initstudy.searchspaces import get_space
from initstudy.storage import load_seed_runs
from initstudy.study import Objective, StudyConfig, load_dataset, run_study
from initstudy.study._repetitions import repetition_seeds, uncertainty_sources

SPACE = {"name": "one", "params": {"init": ["he_normal"]}}


def _config(tmp_path: Path, **kwargs: object) -> StudyConfig:
    return StudyConfig(
        dataset="iris",
        storage=f"sqlite:///{tmp_path / 's.db'}",
        n_trials=1,
        seeds=3,
        space=SPACE,
        estimator={"max_iter": 5},
        **kwargs,
    )


def test_vary_init_gives_every_seed_the_same_batch_order(tmp_path: Path) -> None:
    config = _config(tmp_path, vary=["init"])
    objective = Objective(config, load_dataset("iris"), get_space(SPACE), config.storage)
    estimator = objective.build({"init": "he_normal"})
    orders, weights = [], []
    for seed in (0, 1):
        w, b, _ = seed_streams(seed, estimator.init_random_state, estimator.shuffle_random_state)
        orders.append(b.permutation(100))
        weights.append(w.random())
    np.testing.assert_array_equal(orders[0], orders[1])  # identical batch orders
    assert weights[0] != weights[1]  # different initial weights
    default = Objective(
        _config(tmp_path), load_dataset("iris"), get_space(SPACE), config.storage
    ).build({"init": "he_normal"})
    assert default.shuffle_random_state is None  # today's behaviour: order from the seed


def test_vary_split_trains_each_seed_on_its_own_split(tmp_path: Path) -> None:
    config = _config(tmp_path, vary=["init", "order", "split"], split_seed=10)
    run_study(config, progress=False)
    runs = load_seed_runs(config.storage, config.study_name)
    assert sorted(runs["seed"]) == [0, 1, 2]
    assert runs["run_key"].nunique() == 3
    objective = Objective(config, load_dataset("iris"), get_space(SPACE), config.storage)
    keys = {objective.validation_for(10 + s) for s in range(3)}
    assert len(keys) == 3  # the split seed is part of each seed's cache key
    splits = [objective.folds(10 + s)[0].y_val for s in range(2)]
    assert len(splits[0]) == len(splits[1])
    assert not np.array_equal(objective.folds(10)[0].X_val, objective.folds(11)[0].X_val)


def test_the_stored_config_of_the_default_has_no_vary(tmp_path: Path) -> None:
    assert "vary" not in _config(tmp_path).to_dict()["seeds"]  # older studies still match
    assert _config(tmp_path, vary=["init"]).to_dict()["seeds"]["vary"] == ["init"]


@pytest.mark.parametrize("vary", [["order"], ["split"], "init", ["init", "init"], []])
def test_bad_vary_lists_the_valid_settings(tmp_path: Path, vary: object) -> None:
    with pytest.raises(ConfigError, match=r"'vary' must be .*\['init', 'order', 'split'\]"):
        _config(tmp_path, vary=vary)


def test_repetition_seeds_and_their_words() -> None:
    reps = repetition_seeds([3, 4], ["init", "order", "split"], split_seed=1)
    assert [(r.init, r.order, r.split) for r in reps] == [(3, None, 4), (4, None, 5)]
    assert uncertainty_sources(["init"]) == (
        "initialization only (data order and validation split fixed)"
    )
    assert uncertainty_sources(["init", "order"]) == (
        "initialization and data order (one fixed validation split)"
    )
