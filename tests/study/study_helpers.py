"""A tiny study configuration shared by the study tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from initstudy.study import SeedRecord, StudyConfig

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


class DictCache:
    """An in-memory SeedCache that keeps every save (its records come back as cached)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], SeedRecord] = {}
        self.saved: list[list[SeedRecord]] = []

    def lookup(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], SeedRecord]:
        return {k: self.rows[k] for k in keys if k in self.rows}

    def save(self, records: Sequence[SeedRecord]) -> None:
        self.saved.append(list(records))
        for r in records:
            self.rows.setdefault((r.seed, r.fold), dataclasses.replace(r, cached=True))
