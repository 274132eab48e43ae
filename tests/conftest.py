"""Fixtures shared by every test folder: study databases on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import os
import uuid
import warnings
from collections.abc import Iterator

import pytest

POSTGRES_ENV = "INITSTUDY_TEST_POSTGRES_URL"
POSTGRES_SKIP = (
    "PostgreSQL tests need a server: set "
    "INITSTUDY_TEST_POSTGRES_URL=postgresql://user@host:port/db "
    "(.ci/run starts one from Debian's postgresql package)"
)


#: Per-test time limits (seconds) by test folder, 5-10x what the slowest test there needs on
#: the 2-core machine (measured with --durations, 2026-12-07: reliability 40 s, study 12 s,
#: cli 8 s, reports 13 s with Chromium, storage 12 s), so a hang fails in minutes, not after
#: pyproject's 600 s ceiling. A test that needs more says so with its own ``timeout`` mark.
TIMEOUTS = {"reliability": 300, "cli": 120, "study": 120}
DEFAULT_TIMEOUT = 60
SLOW_TIMEOUT = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test without its own ``timeout`` mark the limit of its folder."""
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        parts = item.path.parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts[:-1] else ""
        limit = TIMEOUTS.get(folder, DEFAULT_TIMEOUT)
        if item.get_closest_marker("slow") is not None:
            limit = max(limit, SLOW_TIMEOUT)
        item.add_marker(pytest.mark.timeout(limit))


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """A SQLite URL to a file (not yet created) in this test's temporary folder."""
    return f"sqlite:///{os.fspath(tmp_path)}/study.db"


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    """An autocommit psycopg connection to the server named by ``url``."""
    import psycopg
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        autocommit=True,
        connect_timeout=5,
    )


def _close_engines_of(database: str) -> None:
    """Close every SQLAlchemy pool still connected to ``database`` (before dropping it)."""
    import sqlalchemy as sa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
        for engine in [obj for obj in gc.get_objects() if isinstance(obj, sa.Engine)]:
            if engine.url.database == database:
                engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL database, dropped after the test.

    Needs ``INITSTUDY_TEST_POSTGRES_URL`` (a server and a database to connect to for creating
    the per-test database); skips without it.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(POSTGRES_SKIP)
    import sqlalchemy as sa
    from psycopg import sql

    name = "initstudy_test_" + uuid.uuid4().hex[:16]
    with _admin_connect(base) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _close_engines_of(name)
        with _admin_connect(base) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: a SQLite file in tmp_path, then a fresh PostgreSQL database."""
    return request.getfixturevalue(f"{request.param}_url")
