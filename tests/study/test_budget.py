"""Equal budgets: each scheme gets the same number of search trials, resumed or not."""

from __future__ import annotations

from collections import Counter

import pytest
from study_helpers import tiny_config

from initstudy.study import run_study


def _counts(study) -> Counter:
    return Counter(t.params["init"] for t in study.trials if t.state.name == "COMPLETE")


def test_each_scheme_gets_its_share_within_one(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, n_trials=5, sampler="per-scheme"))
    assert study.user_attrs["budget"] == "per-scheme"
    assert sorted(_counts(study).values()) == [2, 3]


def test_a_resumed_launch_queues_only_what_is_missing(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=1, sampler="per-scheme"))
    study = run_study(tiny_config(sqlite_url, n_trials=4, sampler="per-scheme"))
    assert _counts(study) == {"he_normal": 2, "glorot_uniform": 2}
    assert len(study.trials) == 4


@pytest.mark.parametrize("sampler", ["tpe", "auto"])
def test_tpe_keeps_plain_sampling(sqlite_url: str, sampler: str) -> None:
    study = run_study(tiny_config(sqlite_url, n_trials=2, sampler=sampler))
    assert study.user_attrs["budget"] == "tpe"
    assert not any("fixed_params" in t.system_attrs for t in study.trials)
