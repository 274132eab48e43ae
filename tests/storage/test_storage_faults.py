"""Database faults: each is a clear StorageError and leaves the file byte-identical."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import optuna
import pytest

from initstudy.exceptions import ConfigError, StorageError, StudyConflictError
from initstudy.storage import (
    SeedRunRecord,
    load_seed_runs,
    register_study,
    resolve_storage,
    save_seed_runs,
)

ROOT_NOTE = "root ignores file modes; initstudy still refuses files without write bits"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _study_file(path: Path) -> Path:
    """A real study database with a registered study and some rows, as one file."""
    storage = resolve_storage(path)
    register_study(storage, "s", fingerprint="fp", config={"space": "keras"})
    records = [
        SeedRunRecord(seed=i, fold=0, run_key=f"k{i}", score=i / 10, loss_curve=[1.0] * 200)
        for i in range(40)
    ]
    save_seed_runs(storage, "s", 0, records)
    storage.engine.dispose()
    with (
        closing(sqlite3.connect(path)) as connection,
        connection,
    ):  # fold the WAL in: one self-contained file
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


def _refused(path: Path, match: str, action: Callable[[], object] | None = None) -> StorageError:
    """Run ``action`` (default: open ``path``), expect StorageError, check the file unchanged."""
    before = _digest(path)
    with pytest.raises(StorageError, match=match) as caught:
        (action or (lambda: resolve_storage(path)))()
    assert _digest(path) == before
    return caught.value


@pytest.mark.parametrize(
    "content",
    [b"trial,seed,score\n0,1,0.5\n" * 20, b"tiny", b"SQLite format 2\x00" + bytes(200)],
    ids=["csv", "tiny", "wrong-magic"],
)
def test_not_a_sqlite_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "study.db"
    path.write_bytes(content)
    error = _refused(path, "is not a SQLite database")
    assert str(path) in str(error) and "was not changed" in str(error)


def test_truncated_file(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, r"is truncated \(\d+ bytes, but its header declares")


def test_damaged_schema_page(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    _refused(path, "SQLite cannot read it")


def test_sqlite_database_of_another_program(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    _refused(path, r"a SQLite database of another program \(tables: invoices\)")


def test_empty_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    path.touch()
    save_seed_runs(
        resolve_storage(path), "s", 0, [SeedRunRecord(seed=0, fold=0, run_key="k", score=1.0)]
    )
    assert len(load_seed_runs(path, "s")) == 1


def test_folder_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "study.db").mkdir()
    with pytest.raises(StorageError, match="not a regular file"):
        resolve_storage(tmp_path / "study.db")


def test_read_only_file(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    path.chmod(0o444)
    error = _refused(path, "the file is read-only")
    assert "read_only=True" in str(error)
    assert load_seed_runs(resolve_storage(path, read_only=True), "s")["seed"].tolist() == list(
        range(40)
    )
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _study_file(folder / "study.db")
    folder.chmod(0o555)
    try:
        _refused(path, "its folder .* is read-only")
        with pytest.raises(
            StorageError, match="folder .* is read-only, so the file cannot be created"
        ):
            resolve_storage(folder / "new.db")
        assert not (folder / "new.db").exists()
    finally:
        folder.chmod(0o755)


def test_newer_schema(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "UPDATE initstudy_meta SET value = ? WHERE key = ?", ("99", "schema_version")
        )
    error = _refused(path, r"written by a newer initstudy \(schema 99")
    assert "upgrade initstudy" in str(error)


def test_newer_schema_through_a_storage_object(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE initstudy_meta SET value = '7' WHERE key = 'schema_version'")
    plain = optuna.storages.RDBStorage(f"sqlite:///{path}")
    with pytest.raises(StorageError, match=r"newer initstudy \(schema 7"):
        save_seed_runs(plain, "s", 1, [SeedRunRecord(seed=0, fold=0, run_key="k", score=1.0)])
    plain.engine.dispose()
    with closing(sqlite3.connect(path)) as connection, connection:
        count = connection.execute("SELECT count(*) FROM initstudy_seed_runs").fetchone()
    assert count == (40,)


def test_study_name_collision_leaves_the_file_unchanged(tmp_path: Path) -> None:
    path = _study_file(tmp_path / "study.db")
    resolve_storage(path).engine.dispose()  # opening switches the file to WAL mode once
    before = _digest(path)
    with pytest.raises(StudyConflictError, match="config 'space'"):
        register_study(path, "s", fingerprint="fp", config={"space": "all"})
    with pytest.raises(StudyConflictError, match="dataset fingerprint"):
        register_study(path, "s", fingerprint="other", config={"space": "keras"})
    assert _digest(path) == before


def test_unreachable_postgres_is_quick_and_hides_the_password() -> None:
    start = time.monotonic()
    with pytest.raises(
        StorageError, match="Cannot connect to the study database at postgresql://"
    ) as caught:
        resolve_storage("postgresql://user:s3cret@127.0.0.1:9/studies")
    assert time.monotonic() - start < 10
    assert "s3cret" not in str(caught.value) and "password hidden" in str(caught.value)


@pytest.mark.slow
def test_silent_postgres_server_times_out_within_10_s() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:  # accepts, never answers
        port = server.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(StorageError, match="Cannot connect.*timeout"):
            resolve_storage(f"postgresql://user@127.0.0.1:{port}/studies")
        assert time.monotonic() - start < 10


@pytest.mark.parametrize("url", ["mysql+nosuchdriver://user@127.0.0.1/db", "nosuchdb://host/db"])
def test_missing_driver_is_a_clear_error(url: str) -> None:
    with pytest.raises(ConfigError, match="backend or driver that is not installed"):
        resolve_storage(url)


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_read_only_check_respects_modes_even_for_root(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    path.touch()
    path.chmod(0o444)
    with pytest.raises(StorageError, match="read-only"):
        resolve_storage(path)
    assert path.read_bytes() == b"", ROOT_NOTE
