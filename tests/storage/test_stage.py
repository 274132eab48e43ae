"""The seed runs' ``stage`` column: writing, filtering, and the in-place schema-1 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from initstudy.exceptions import ConfigError
from initstudy.storage import (
    SCHEMA_VERSION,
    SeedRunRecord,
    load_seed_runs,
    resolve_storage,
    save_seed_runs,
)


def _records(seeds: list[int]) -> list[SeedRunRecord]:
    return [SeedRunRecord(seed=s, fold=0, run_key=f"k{s}", score=0.5 + s / 100) for s in seeds]


def test_stage_is_stored_and_filtered(tmp_path: Path) -> None:
    storage = resolve_storage(tmp_path / "s.db")
    save_seed_runs(storage, "st", 0, _records([0, 1]))
    save_seed_runs(storage, "st", 0, _records([5, 6, 7]), stage="confirm")
    frame = load_seed_runs(storage, "st")
    assert list(frame["stage"]) == ["search", "search", "confirm", "confirm", "confirm"]
    assert list(load_seed_runs(storage, "st", stage="confirm")["seed"]) == [5, 6, 7]
    assert list(load_seed_runs(storage, "st", stage="search")["seed"]) == [0, 1]
    with pytest.raises(ConfigError, match="'stage' must be one of"):
        load_seed_runs(storage, "st", stage="final")
    with pytest.raises(ConfigError, match="'stage' must be one of"):
        save_seed_runs(storage, "st", 0, _records([9]), stage="test")
    storage.engine.dispose()


def _downgrade_to_schema_1(path: Path) -> None:
    """Make the file look like one written by schema 1 (no stage column)."""
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE initstudy_seed_runs DROP COLUMN stage")
        connection.execute("UPDATE initstudy_meta SET value = '1' WHERE key = 'schema_version'")


def test_schema_1_database_is_migrated_in_place_losing_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    storage = resolve_storage(path)
    save_seed_runs(storage, "st", 3, _records([0, 1, 2]))
    before = load_seed_runs(storage, "st").drop(columns=["stage"])
    storage.engine.dispose()
    _downgrade_to_schema_1(path)

    read_only = resolve_storage(path, read_only=True)  # not migrated: still readable
    assert list(load_seed_runs(read_only, "st")["stage"]) == ["search"] * 3
    assert load_seed_runs(read_only, "st", stage="confirm").empty
    read_only.engine.dispose()

    storage = resolve_storage(path)
    after = load_seed_runs(storage, "st")
    assert list(after["stage"]) == ["search"] * 3
    assert after.drop(columns=["stage"]).equals(before)
    save_seed_runs(storage, "st", 3, _records([10]), stage="confirm")
    assert list(load_seed_runs(storage, "st", stage="confirm")["seed"]) == [10]
    storage.engine.dispose()
    with sqlite3.connect(path) as connection:
        version = connection.execute(
            "SELECT value FROM initstudy_meta WHERE key = 'schema_version'"
        ).fetchone()
    assert version == (str(SCHEMA_VERSION),)
