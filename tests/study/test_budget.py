"""Equal budgets: by default each scheme gets the same number of search trials, resumed or not."""

from __future__ import annotations

from collections import Counter

import pytest
from study_helpers import SPACE, tiny_config

from initstudy.study import run_study

#: Three schemes that no rescaling makes equivalent (all three are searched).
THREE = {
    "name": "three",
    "params": {**SPACE["params"], "init": ["he_normal", "glorot_uniform", "orthogonal"]},
}


def _counts(study) -> Counter:
    return Counter(t.params["init"] for t in study.trials if t.state.name == "COMPLETE")


@pytest.mark.parametrize(("n_trials", "sampler"), [(7, "auto"), (5, "per-scheme")])
def test_each_scheme_gets_its_share_within_one(
    sqlite_url: str, n_trials: int, sampler: str
) -> None:
    """N trials over k schemes: every scheme floor(N/k) or ceil(N/k), by default too."""
    config = tiny_config(sqlite_url, n_trials=n_trials, space=THREE)
    if sampler != "auto":
        config = config.replace(sampler=sampler)
    study = run_study(config)
    assert study.user_attrs["budget"] == "per-scheme"
    counts = _counts(study)
    k = len(THREE["params"]["init"])
    assert set(counts) == set(THREE["params"]["init"])
    assert sum(counts.values()) == n_trials
    assert all(n_trials // k <= n <= -(-n_trials // k) for n in counts.values()), counts
    assert all("fixed_params" in t.system_attrs for t in study.trials)


def test_a_resumed_launch_queues_only_what_is_missing(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, n_trials=1))
    study = run_study(tiny_config(sqlite_url, n_trials=4))
    assert _counts(study) == {"he_normal": 2, "glorot_uniform": 2}
    assert len(study.trials) == 4


def test_tpe_keeps_plain_sampling(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, n_trials=2, sampler="tpe"))
    assert study.user_attrs["budget"] == "tpe"
    assert not any("fixed_params" in t.system_attrs for t in study.trials)


def test_a_grid_space_is_not_queued(sqlite_url: str) -> None:
    space = {
        "name": "grid",
        "grid": True,
        "params": {"init": ["he_normal", "glorot_uniform"], "init_scale": [0.5, 1.0]},
    }
    study = run_study(tiny_config(sqlite_url, n_trials=4, space=space))
    assert study.user_attrs["budget"] == "tpe"
    assert not any("fixed_params" in t.system_attrs for t in study.trials)
