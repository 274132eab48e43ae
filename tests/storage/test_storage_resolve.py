"""resolve_storage: URLs and paths, SQLite settings, adopting storages, read-only access."""

from __future__ import annotations

import pickle
import sqlite3
from contextlib import closing
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa

from initstudy.exceptions import ConfigError, StorageError
from initstudy.storage import (
    SCHEMA_VERSION,
    SeedRunRecord,
    display_url,
    load_seed_runs,
    resolve_storage,
    save_seed_runs,
)


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {name for (name,) in rows}


def test_default_is_initstudy_db_in_current_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    storage = resolve_storage()
    assert storage.url == f"sqlite:///{tmp_path}/initstudy.db"
    assert {"studies", "trials", "initstudy_seed_runs", "initstudy_studies"} <= _tables(
        tmp_path / "initstudy.db"
    )


@pytest.mark.parametrize("name", ["results.db", "results.sqlite", "results.SQLITE3"])
def test_bare_path_becomes_absolute_sqlite_url(tmp_path: Path, monkeypatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_storage(name).url == f"sqlite:///{tmp_path / name}"
    assert resolve_storage(tmp_path / name).url == f"sqlite:///{tmp_path / name}"


def test_relative_sqlite_url_becomes_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_storage("sqlite:///rel.db").url == f"sqlite:///{tmp_path}/rel.db"


@pytest.mark.parametrize("text", ["results.txt", "postgres", "my study"])
def test_string_that_is_neither_url_nor_db_path_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="must be a SQLAlchemy URL.*Got"):
        resolve_storage(text)


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="nosuchdb"):
        resolve_storage("nosuchdb://host/db")


def test_sqlite_gets_wal_busy_timeout_and_heartbeats(sqlite_url: str) -> None:
    storage = resolve_storage(sqlite_url, heartbeat_interval=7, grace_period=30, retry=2)
    with storage.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000
    assert isinstance(storage.engine.pool, sa.pool.QueuePool)
    assert (storage.heartbeat_interval, storage.grace_period) == (7, 30)
    callback = storage.get_heartbeat_stale_trial_callback()
    assert isinstance(callback, optuna.storages.RetryHeartbeatStaleTrialCallback)
    assert callback._max_retry == 2


def test_pickled_storage_keeps_wal_settings(sqlite_url: str) -> None:
    storage = pickle.loads(pickle.dumps(resolve_storage(sqlite_url)))
    with storage.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000


def test_storage_objects_are_adopted_with_our_tables(tmp_path: Path) -> None:
    plain = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/plain.db")
    assert "initstudy_seed_runs" not in _tables(tmp_path / "plain.db")
    assert resolve_storage(plain) is plain
    assert "initstudy_seed_runs" in _tables(tmp_path / "plain.db")
    study = optuna.create_study(storage=plain)
    assert resolve_storage(study._storage) is plain


def test_non_relational_storage_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs an optuna.storages.RDBStorage.*InMemoryStorage"):
        resolve_storage(optuna.storages.InMemoryStorage())


def test_schema_version_is_recorded(sqlite_url: str, tmp_path: Path) -> None:
    resolve_storage(sqlite_url)
    with closing(sqlite3.connect(tmp_path / "study.db")) as connection, connection:
        stored = connection.execute(
            "SELECT value FROM initstudy_meta WHERE key = ?", ("schema_version",)
        ).fetchone()
    assert stored == (str(SCHEMA_VERSION),)


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql://user:s3cret@db.example:5432/studies")
    assert "s3cret" not in shown and shown.startswith("postgresql://user:***@db.example:5432")


def test_path_with_spaces_and_unicode(tmp_path: Path) -> None:
    folder = tmp_path / "my studies é?#%"
    folder.mkdir()
    storage = resolve_storage(folder / "runs.db")
    record = SeedRunRecord(seed=1, fold=0, run_key="k", score=0.5)
    save_seed_runs(storage, "s", 0, [record])
    reader = resolve_storage(folder / "runs.db", read_only=True)
    assert load_seed_runs(reader, "s")["score"].tolist() == [0.5]


def test_read_only_mode_reads_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    save_seed_runs(
        resolve_storage(path), "s", 3, [SeedRunRecord(seed=0, fold=0, run_key="k", score=1.0)]
    )
    path.chmod(0o444)
    reader = resolve_storage(path, read_only=True)
    assert load_seed_runs(reader, "s")["trial_number"].tolist() == [3]
    with pytest.raises(StorageError):
        save_seed_runs(reader, "s", 4, [SeedRunRecord(seed=0, fold=0, run_key="k", score=1.0)])


def test_read_only_mode_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist.*Nothing was written"):
        resolve_storage(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="folder .* does not exist"):
        resolve_storage(tmp_path / "nope" / "study.db")
