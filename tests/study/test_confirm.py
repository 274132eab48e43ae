from __future__ import annotations

import numpy as np
import pytest

from initstudy.exceptions import ConfigError
from initstudy.study._confirm import split_test_part
from initstudy.study._datasets import Dataset


def _dataset(n: int = 100) -> Dataset:
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=n)])
    y = np.repeat([0, 1, 2, 3], n // 4)
    return Dataset.from_arrays(X, y, task="classification")


def test_test_part_is_disjoint_stratified_and_seeded():
    dataset = _dataset()
    search, test = split_test_part(dataset, 0.2, split_seed=3)
    search_ids, test_ids = search.X[:, 0], test.X[:, 0]
    assert test.n_samples == 20
    assert not set(search_ids) & set(test_ids)
    assert sorted(np.concatenate([search_ids, test_ids])) == list(dataset.X[:, 0])
    assert np.bincount(test.y).tolist() == [5, 5, 5, 5]
    again, _ = split_test_part(dataset, 0.2, split_seed=3)
    other, _ = split_test_part(dataset, 0.2, split_seed=4)
    np.testing.assert_array_equal(again.X, search.X)
    assert not np.array_equal(other.X, search.X)


def test_zero_test_size_keeps_every_row():
    dataset = _dataset()
    search, test = split_test_part(dataset, 0.0)
    assert search is dataset and test is None


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.2", True])
def test_bad_test_size_is_named(bad):
    with pytest.raises(ConfigError, match="'test_size'.*Got"):
        split_test_part(_dataset(), bad)


def test_confirm_rows_are_stored_and_reused(sqlite_url):
    from study_helpers import tiny_config

    from initstudy.storage import load_seed_runs
    from initstudy.study import run_study
    from initstudy.study._confirm import confirm_study

    config = tiny_config(sqlite_url, n_trials=2)
    study = run_study(config)
    first = confirm_study(config, study, seeds=[100, 101])
    rows = load_seed_runs(sqlite_url, study.study_name, stage="confirm")
    assert len(rows) == 2 * len(first) and set(rows["fold"]) == {0}
    assert set(rows["seed"]) == {100, 101} and set(rows["trial_number"]) == set(first)
    assert len(load_seed_runs(sqlite_url, study.study_name, stage="search")) == 2 * 3
    again = confirm_study(config, study, seeds=[100, 101])
    assert all(r.cached for result in again.values() for r in result.records)
    assert len(load_seed_runs(sqlite_url, study.study_name, stage="confirm")) == len(rows)


def test_confirm_refuses_search_seeds(sqlite_url):
    from study_helpers import tiny_config

    from initstudy.study._confirm import confirm_study

    config = tiny_config(sqlite_url)
    with pytest.raises(ConfigError, match="'seeds'.*Got \\[0\\]"):
        confirm_study(config, None, seeds=[0, 100])
