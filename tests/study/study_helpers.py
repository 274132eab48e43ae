"""A tiny study configuration shared by the study tests."""

from __future__ import annotations

from typing import Any

from initstudy.study import StudyConfig

SPACE = {
    "name": "tiny",
    "params": {
        "init": ["he_normal", "glorot_uniform", "lecun_normal"],
        "init_scale": {"low": 0.5, "high": 2.0, "log": True},
    },
}


def tiny_config(storage: str, **changes: Any) -> StudyConfig:
    """A study on iris that runs in well under a second a trial."""
    settings: dict[str, Any] = dict(
        dataset="iris",
        space=SPACE,
        estimator={"hidden_layer_sizes": [8], "max_iter": 4},
        seeds=3,
        n_trials=3,
        storage=storage,
        study_name="tiny",
    )
    settings.update(changes)
    return StudyConfig(**settings)
