"""Equivalent schemes: found by drawing on the study's layer shapes, searched once."""

from __future__ import annotations

from typing import Any

import optuna
from study_helpers import tiny_config

from initstudy.searchspaces import get_space
from initstudy.study import run_study
from initstudy.study._equivalence import find_families

_SCALE = {"low": 0.1, "high": 10.0, "log": True}


def _families(
    schemes: list[str],
    hidden: list[int],
    n_features: int = 8,
    n_outputs: int = 3,
    scale: Any = _SCALE,
) -> Any:
    space = get_space({"params": {"init": schemes, "init_scale": scale}})
    return find_families(space, {"hidden_layer_sizes": hidden}, n_features, n_outputs)


def test_he_and_lecun_families_are_merged() -> None:
    families = _families(
        [
            "lecun_uniform",
            "he_uniform",
            "lecun_normal",
            "he_normal",
            "variance_scaling",
            "orthogonal",
        ],
        [16, 16],
    )
    assert families.aliases == {
        "lecun_uniform": ["he_uniform"],
        "lecun_normal": ["he_normal", "variance_scaling"],
    }
    assert families.searched == ["lecun_uniform", "lecun_normal", "orthogonal"]


def test_glorot_equals_lecun_only_on_square_layers() -> None:
    assert _families(["glorot_uniform", "lecun_uniform"], [8, 8], 8, 8).aliases == {
        "glorot_uniform": ["lecun_uniform"]
    }
    assert _families(["glorot_uniform", "lecun_uniform"], [16, 16]).aliases == {}


def test_zeros_and_constant_are_scale_free_and_merged() -> None:
    families = _families(["zeros", "constant", "ones"], [4])
    assert families.aliases == {"zeros": ["constant"]}
    assert families.scale_free == ["zeros", "constant"]


def test_a_fixed_scale_merges_only_identical_draws() -> None:
    families = _families(["he_normal", "lecun_normal", "variance_scaling"], [16], scale=1.0)
    assert families.aliases == {"lecun_normal": ["variance_scaling"]}


def test_study_searches_each_family_once_and_records_aliases(sqlite_url: str) -> None:
    study = run_study(tiny_config(sqlite_url, n_trials=4))
    assert study.user_attrs["scheme_aliases"] == {"he_normal": ["lecun_normal"]}
    assert study.user_attrs["scale_free_schemes"] == []
    drawn = {t.params["init"] for t in study.trials if t.state.is_finished()}
    assert "lecun_normal" not in drawn
    assert isinstance(study, optuna.Study)
