from __future__ import annotations

import numpy as np
import pandas as pd
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
    from initstudy.study import confirm_study, run_study

    config = tiny_config(sqlite_url, n_trials=2).replace(confirm_seeds=[100, 101])
    study = run_study(config)
    first = confirm_study(config, study)
    rows = load_seed_runs(sqlite_url, study.study_name, stage="confirm")
    assert len(rows) == 2 * len(first) and set(rows["fold"]) == {0}
    assert set(rows["seed"]) == {100, 101} and set(rows["trial_number"]) == set(first)
    assert len(load_seed_runs(sqlite_url, study.study_name, stage="search")) == 2 * 3
    again = confirm_study(config, study)
    assert all(r.cached for result in again.values() for r in result.records)
    assert len(load_seed_runs(sqlite_url, study.study_name, stage="confirm")) == len(rows)
    for number, result in first.items():  # the same numbers as the first time
        np.testing.assert_array_equal(again[number].seed_scores(), result.seed_scores())


def test_confirm_seeds_must_be_fresh():
    from initstudy.study import StudyConfig

    with pytest.raises(ConfigError, match="'confirm_seeds'.*fresh.*Got \\[0, 100\\]"):
        StudyConfig(seeds=3, confirm_seeds=[0, 100])
    assert StudyConfig(seeds=[10_000, 10_002]).confirm_seed_list[:3] == [10_001, 10_003, 10_004]


def _id_dataset(n: int = 120) -> Dataset:
    """Column 0 is the row's id, so a fold shows which rows it holds."""
    rng = np.random.default_rng(1)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=(n, 3))])
    y = np.tile([0, 1, 2], n // 3)
    return Dataset.from_arrays(X, y, task="classification", name="ids")


def test_search_never_sees_the_test_part(sqlite_url):
    from initstudy.study import StudyConfig
    from initstudy.study._confirm import _test_folds, search_part

    dataset = _id_dataset()
    config = StudyConfig(dataset=dataset, storage=sqlite_url, validation=3)
    _, test = split_test_part(dataset, config.test_size, config.split_seed)
    test_ids = set(test.X[:, 0])
    search = search_part(config, dataset)
    assert search.n_samples == 96 and not set(search.X[:, 0]) & test_ids
    assert search.fingerprint != dataset.fingerprint
    (confirm,) = _test_folds(dataset, config, "none")
    assert set(confirm.X_val[:, 0]) == test_ids
    assert set(confirm.X_train[:, 0]) == set(search.X[:, 0])


def test_k_fold_rows_come_from_the_search_part(sqlite_url):
    from initstudy.study import Objective, StudyConfig
    from initstudy.study._confirm import search_part

    dataset = _id_dataset()
    config = StudyConfig(dataset=dataset, storage=sqlite_url, validation=3, preprocessing="none")
    search = search_part(config, dataset)
    _, test = split_test_part(dataset, config.test_size, config.split_seed)
    for fold in Objective(config, search, None, None).folds():
        rows = set(fold.X_train[:, 0]) | set(fold.X_val[:, 0])
        assert rows == set(search.X[:, 0]) and not rows & set(test.X[:, 0])


def test_a_study_made_before_test_parts_resumes_without_one(sqlite_url):
    from study_helpers import tiny_config

    from initstudy.storage import load_study_record
    from initstudy.study import run_study

    old = tiny_config(sqlite_url, n_trials=2, test_size=0.0)
    run_study(old)
    assert "test_size" not in load_study_record(sqlite_url, "tiny")["config"]["evaluation"]
    study = run_study(tiny_config(sqlite_url, n_trials=3))  # the new default, 0.2: resumes
    assert len(study.trials) == 3
    assert "test_size" not in load_study_record(sqlite_url, "tiny")["config"]["evaluation"]


def test_confirmation_without_a_test_part_uses_the_validation_split(sqlite_url):
    from study_helpers import tiny_config

    from initstudy.study import confirm_study, run_study

    config = tiny_config(sqlite_url, n_trials=2, test_size=0.0, confirm_seeds=2)
    study = run_study(config)
    confirm_study(config, study)
    import optuna

    summary = optuna.load_study(study_name="tiny", storage=sqlite_url).user_attrs["confirm"]
    assert summary["on"] == "validation" and summary["seeds"] == [10_000, 10_001]


def test_linked_study_shows_the_confirmation(sqlite_url):
    import optuna
    from study_helpers import tiny_config

    from initstudy.study import confirm_study, confirmation_trials, run_study

    config = tiny_config(sqlite_url, n_trials=4, confirm_seeds=3, confirm_top=2)
    study = run_study(config)
    results = confirm_study(config, study)
    chosen = confirmation_trials(study, top=2)
    assert list(results) == [t.number for t in chosen] and len(results) <= 2
    linked = optuna.load_study(study_name="tiny.confirm", storage=sqlite_url)
    assert [t.user_attrs["search_trial"] for t in linked.trials] == list(results)
    for trial in linked.trials:
        result = results[trial.user_attrs["search_trial"]]
        assert trial.value == pytest.approx(result.value)
        assert trial.user_attrs["seeds"] == [10_000, 10_001, 10_002]
    confirm_study(config, study)  # rebuilt, not duplicated
    linked = optuna.load_study(study_name="tiny.confirm", storage=sqlite_url)
    assert len(linked.trials) == len(results)


def test_launchers_linking_at_once_write_one_linked_study(sqlite_url):
    """Launchers of one study confirm at once: one linked study, each trial once."""
    from concurrent.futures import ThreadPoolExecutor

    import optuna
    from study_helpers import tiny_config

    from initstudy.study import confirm_study, confirmation_trials, run_study
    from initstudy.study._confirm import _link

    config = tiny_config(sqlite_url, n_trials=4, confirm_seeds=2)
    study = run_study(config)
    results = confirm_study(config, study)
    chosen = confirmation_trials(study)
    with ThreadPoolExecutor(4) as pool:
        done = [
            pool.submit(_link, sqlite_url, study, chosen, results, [10_000, 10_001])
            for _ in range(4)
        ]
    for future in done:
        future.result()
    linked = optuna.load_study(study_name="tiny.confirm", storage=sqlite_url)
    assert [t.user_attrs["search_trial"] for t in linked.trials] == list(results)


def test_confirm_waits_for_trials_running_elsewhere(sqlite_url, monkeypatch):
    from study_helpers import tiny_config

    import initstudy.study._confirm as confirm
    from initstudy.study import confirm_study, run_study

    config = tiny_config(sqlite_url, n_trials=2, confirm_seeds=2)
    study = run_study(config)
    answers = iter([[7], [7], []])  # another process runs trial 7 for two polls
    monkeypatch.setattr(confirm, "live_trials", lambda storage, name: next(answers))
    monkeypatch.setattr(confirm.time, "sleep", lambda seconds: None)
    assert confirm_study(config, study, wait=True)
    assert next(answers, "all asked") == "all asked"


def test_confirmation_trials_take_each_schemes_best():
    import optuna

    study = optuna.create_study(direction="maximize")
    dist = {"init": optuna.distributions.CategoricalDistribution(["a", "b"])}
    for scheme, value in [("a", 0.5), ("b", 0.7), ("a", 0.9), ("b", 0.6), ("a", 0.9)]:
        study.add_trial(
            optuna.trial.create_trial(params={"init": scheme}, distributions=dist, value=value)
        )
    assert [t.number for t in confirmation_trials_of(study)] == [2, 1]
    assert [t.number for t in confirmation_trials_of(study, top=1)] == [2]


def confirmation_trials_of(study, top=None):
    from initstudy.study import confirmation_trials

    return confirmation_trials(study, top)


def _one_at_a_time(objective, estimators, folds, seeds, caches, on_result):  # type: ignore[no-untyped-def]
    """The confirmation before fit_stack: evaluate_folds per configuration, in order."""
    from initstudy.study._evaluate import evaluate_folds

    config, results = objective.config, []
    for i, (estimator, cache) in enumerate(zip(estimators, caches)):
        results.append(
            evaluate_folds(
                estimator,
                folds,
                seeds=seeds,
                scoring=config.scoring,
                aggregate=config.aggregate,
                penalty=config.penalty,
                cache=cache,
            )
        )
        if on_result is not None:
            on_result(i, results[-1])
    return results


@pytest.mark.parametrize("split", [{}, {"test_size": 0.0, "validation": 3}])
def test_one_stack_confirms_as_one_configuration_at_a_time(tmp_path, monkeypatch, capsys, split):
    """All configurations x fresh seeds in one fit_stack pass: bitwise the same rows."""
    from study_helpers import tiny_config

    from initstudy.storage import load_seed_runs
    from initstudy.study import _confirm, _evaluate_many, confirm_study, run_study

    stacks: list[int] = []
    real = _evaluate_many.fit_stack

    def fit_stack(nets, *args, **kwargs):  # type: ignore[no-untyped-def]
        stacks.append(len(nets))
        return real(nets, *args, **kwargs)

    monkeypatch.setattr(_evaluate_many, "fit_stack", fit_stack)
    runs, errs = {}, {}
    for way in ("stacked", "one_at_a_time"):
        url = f"sqlite:///{tmp_path}/{way}.db"
        config = tiny_config(url, n_trials=5, confirm_seeds=[7, 8, 9], **split)
        study = run_study(config)
        if way == "one_at_a_time":
            monkeypatch.setattr(_confirm, "_evaluate", _one_at_a_time)
        capsys.readouterr()
        results = confirm_study(config, study, progress=True)
        errs[way] = capsys.readouterr().err.splitlines()
        rows = load_seed_runs(url, "tiny", stage="confirm").sort_values("run_key")
        runs[way] = (
            results,
            rows.drop(columns=["fit_seconds", "created_at"]).reset_index(drop=True),
        )
    (stacked, rows), (single, single_rows) = runs["stacked"], runs["one_at_a_time"]
    n_folds = 3 if split else 1
    assert len(stacked) >= 2 and stacks == [3 * len(stacked)] * n_folds  # one stack per fold
    assert list(stacked) == list(single) and errs["stacked"] == errs["one_at_a_time"]
    for number, result in stacked.items():
        np.testing.assert_array_equal(result.seed_scores(), single[number].seed_scores())
        assert result.value == single[number].value
    assert len(rows) == 3 * n_folds * len(stacked)
    pd.testing.assert_frame_equal(rows, single_rows)
