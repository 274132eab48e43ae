"""Fixtures of the reliability suite: a finished tiny study database to copy and attack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliability_helpers import settle, write_config

from initstudy import cli


@pytest.fixture(scope="session")
def base_study_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the study 'tiny' (2 complete trials), its WAL folded in."""
    folder = tmp_path_factory.mktemp("base-study")
    config = write_config(folder)
    path = folder / "study.db"
    code = cli.main(["run", str(config), "--storage", str(path), "--trials", "2", "--quiet"])
    assert code == 0
    from initstudy.storage import resolve_storage

    resolve_storage(path).engine.dispose()
    settle(path)
    return path


@pytest.fixture
def study_db(base_study_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of :func:`base_study_db` in this test's folder."""
    path = tmp_path / "study.db"
    shutil.copyfile(base_study_db, path)
    return path
