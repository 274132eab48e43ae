"""``resolve_storage``: the one place where URLs and paths become Optuna storages."""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

import optuna
import sqlalchemy as sa
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback

from ..exceptions import ConfigError, StorageError
from ._models import (
    SCHEMA_VERSION,
    create_tables,
    database_errors,
    retry_on_race,
    stored_schema_version,
)
from ._queue import QueueSafeRDBStorage
from ._sqlite import check_sqlite_file, read_only_url, sqlite_path

__all__ = ["DEFAULT_URL", "StorageLike", "display_url", "opened", "resolve_storage"]

#: What every storage function accepts: a URL, a SQLite path, or an Optuna RDB storage
#: (or ``study._storage``, Optuna's caching wrapper around one).
StorageLike: TypeAlias = "str | os.PathLike[str] | BaseStorage"

#: The storage used when none is given: a SQLite file in the current folder.
DEFAULT_URL = "sqlite:///initstudy.db"

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_BUSY_TIMEOUT_S = 60
_CONNECT_TIMEOUT_S = 5
DEFAULT_HEARTBEAT_INTERVAL = 20
DEFAULT_GRACE_PERIOD = 60
DEFAULT_RETRY = 3
_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()  # engines to reset after a fork
_READY: weakref.WeakSet[sa.Engine] = weakref.WeakSet()  # engines whose tables exist
_READ_ONLY: weakref.WeakSet[sa.Engine] = weakref.WeakSet()  # engines opened read-only
#: The SQLite file each live engine of this process opened (see ``_open_in_this_process``).
_SQLITE_FILES: weakref.WeakKeyDictionary[sa.Engine, str] = weakref.WeakKeyDictionary()


def display_url(url: str | sa.URL) -> str:
    """The URL with its password replaced by ``***`` (safe for messages and logs)."""
    url = sa.make_url(url)
    if url.get_backend_name() == "sqlite" and url.database:
        return f"{url.drivername}:///{url.database}"  # the path as typed, not %-encoded
    return url.render_as_string(hide_password=True)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Connect event: WAL journal (readers never block the writer), NORMAL sync."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _SQLiteFilePool(sa.pool.QueuePool):
    """SQLAlchemy's default pool for SQLite files, whose new connections use WAL mode.

    Connections are kept open: closing the last one checkpoints and deletes the WAL file
    (about 10 ms each time). The pragmas hang on the pool class, so they also apply to the
    engine Optuna rebuilds when a storage is unpickled in a spawned worker; forked children
    drop inherited connections (see ``_dispose_after_fork``).
    """


sa.event.listen(_SQLiteFilePool, "connect", _set_sqlite_pragmas)


def _dispose_after_fork() -> None:
    """In a forked child, drop pooled connections inherited from the parent (never share)."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def _to_url(url_or_path: str | os.PathLike[str] | None) -> sa.URL:
    """Turn None, a ``.db`` path or a URL into a SQLAlchemy URL (SQLite paths made absolute)."""
    text = os.fspath(DEFAULT_URL if url_or_path is None else url_or_path)
    if "://" not in text:
        if not text.lower().endswith(_SQLITE_SUFFIXES):
            raise ConfigError(
                "The storage must be a SQLAlchemy URL (sqlite:///file.db, "
                "postgresql://user@host/db) or a path ending in "
                f"{', '.join(_SQLITE_SUFFIXES)}. Got {text!r} instead."
            )
        return sa.URL.create("sqlite", database=str(Path(text).expanduser().absolute()))
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError as e:
        raise ConfigError(f"The storage URL {text!r} is not a valid SQLAlchemy URL: {e}") from e
    path = sqlite_path(url)
    if path is not None and not os.path.isabs(path):
        url = url.set(database=str(Path(path).absolute()))
    return url


def _engine_kwargs(url: sa.URL) -> dict[str, Any]:
    """Engine settings per backend: WAL and a long busy timeout for SQLite files."""
    if url.get_backend_name() == "sqlite":
        if sqlite_path(url) is None:
            return {}
        return {"poolclass": _SQLiteFilePool, "connect_args": {"timeout": _BUSY_TIMEOUT_S}}
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT_S}
    return kwargs


def _probe(url: sa.URL, engine_kwargs: dict[str, Any], shown: str) -> None:
    """Connect once and refuse a database written by a newer initstudy, changing nothing."""
    path = sqlite_path(url)
    if path is not None:
        if not os.path.exists(path):
            return
        url, engine_kwargs = read_only_url(path), {"poolclass": sa.pool.NullPool}
    try:
        engine = sa.create_engine(url, **engine_kwargs)
        with engine.connect() as connection:
            version = stored_schema_version(connection)
        engine.dispose()
    except (sa.exc.NoSuchModuleError, ImportError) as e:
        raise ConfigError(
            f"The storage URL {shown} names a database backend or driver that is not "
            f"installed ({e}). Use sqlite:///FILE.db, or postgresql://user@host:port/db "
            "(pip install 'initstudy[postgres]')."
        ) from e
    except sa.exc.SQLAlchemyError as e:
        reason = " ".join(str(getattr(e, "orig", None) or e).split())  # the driver's lines, as one
        raise StorageError(
            f"Cannot connect to the study database at {shown} (password hidden): {reason}"
        ) from e
    _refuse_newer(version, shown)


def _refuse_newer(version: int | None, shown: str) -> None:
    """Refuse a database whose initstudy tables were written by a newer initstudy."""
    if version is not None and version > SCHEMA_VERSION:
        raise StorageError(
            f"The study database at {shown} was written by a newer initstudy (schema {version}; "
            f"this initstudy reads schema {SCHEMA_VERSION} or older); upgrade initstudy. "
            "The database was not changed."
        )


def _open_in_this_process(path: str) -> bool:
    """Whether a live engine of this process already opened the SQLite file ``path``.

    The file was checked when that engine was made, and must not be checked again: reading
    its header opens and closes a file descriptor, and closing any descriptor of a file
    drops every POSIX lock this process holds on it (SQLite's own connections included).
    Without its shared lock, another process closing its last connection deletes the WAL
    and shared-memory files under this process's open connections, which then fail with
    "file is not a database" or "disk I/O error" (sqlite.org/howtocorrupt.html, 2.2).
    An engine with no open connection (disposed, say) holds no lock: the file is checked.
    """
    return any(
        engine_path == path and _has_connections(engine)
        for engine, engine_path in list(_SQLITE_FILES.items())
    )


def _has_connections(engine: sa.Engine) -> bool:
    pool = engine.pool
    if not isinstance(pool, sa.pool.QueuePool):
        return True  # a pool that cannot say: assume it holds locks
    return pool.checkedin() + pool.checkedout() > 0


def _new_rdb_storage(
    url: sa.URL, read_only: bool, heartbeat_interval: int, grace_period: int, retry: int | None
) -> RDBStorage:
    """Build Optuna's storage (tables created unless read-only), retrying start-up races.

    The storage takes WAITING trials atomically (see ``_queue``).
    """
    path = sqlite_path(url)
    engine_kwargs = _engine_kwargs(url)
    if read_only and path is not None:
        url, engine_kwargs = read_only_url(path), {"poolclass": sa.pool.QueuePool}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        callback = RetryHeartbeatStaleTrialCallback(max_retry=retry)
        return retry_on_race(
            lambda: QueueSafeRDBStorage(
                url.render_as_string(hide_password=False),
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=callback,
                skip_table_creation=read_only,
            )
        )


def _adopt(storage: BaseStorage, read_only: bool) -> RDBStorage:
    """Unwrap Optuna's cache wrapper; refuse storages that are not relational."""
    backend = getattr(storage, "_backend", storage)
    if not isinstance(backend, RDBStorage):
        raise ConfigError(
            "initstudy stores its per-seed results next to the study, so it needs an "
            "optuna.storages.RDBStorage (a SQLAlchemy URL). "
            f"Got {type(backend).__name__} instead."
        )
    _ENGINES.add(backend.engine)
    if not read_only and backend.engine not in _READY and backend.engine not in _READ_ONLY:
        shown = display_url(backend.url)
        with database_errors(shown, "create initstudy's tables in"):
            with backend.engine.connect() as connection:
                version = stored_schema_version(connection)
            _refuse_newer(version, shown)
            create_tables(backend.engine)
        _READY.add(backend.engine)
    return backend


def resolve_storage(
    url_or_storage: StorageLike | None = None,
    *,
    heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int = DEFAULT_GRACE_PERIOD,
    retry: int | None = DEFAULT_RETRY,
    read_only: bool = False,
) -> RDBStorage:
    """Return the Optuna storage for a URL, a SQLite path, or an existing storage.

    This is the only place where strings become storages. SQLite files get WAL journal mode,
    a 60 s busy timeout and pooled connections that forked children drop; PostgreSQL
    URLs (``postgresql://``, psycopg 3) get a 5 s connect timeout. Every storage gets
    heartbeats whose stale trials are failed and re-queued with their parameters.

    Parameters
    ----------
    url_or_storage : str, path-like, RDBStorage or None, default=None
        None means ``sqlite:///initstudy.db`` in the current folder. A path ending in ``.db``,
        ``.sqlite`` or ``.sqlite3`` means that SQLite file. Any other string must be a
        SQLAlchemy URL. A storage object is returned as is (with initstudy's tables added).
    heartbeat_interval : int, default=20
        Seconds between a running trial's heartbeats.
    grace_period : int, default=60
        Seconds without a heartbeat after which a running trial counts as dead.
    retry : int or None, default=3
        How many times a dead trial's parameters are queued again (None: without limit).
    read_only : bool, default=False
        Open without writing anything (reports on a read-only file). SQLite only opens the
        file in ``mode=ro``; initstudy's tables are not created.

    Returns
    -------
    optuna.storages.RDBStorage
        The storage, with initstudy's tables present (unless ``read_only``).

    Raises
    ------
    ConfigError
        If the string is neither a URL nor a SQLite path, or the object is not an RDBStorage.
    StorageError
        If the database cannot be reached (within about 5 s for PostgreSQL), is not a SQLite
        database, is truncated, is read-only, or was written by a newer initstudy. The
        database is left unchanged in each of these cases.

    Examples
    --------
    >>> storage = resolve_storage("sqlite:///:memory:")
    >>> storage.heartbeat_interval
    20
    """
    if url_or_storage is not None and not isinstance(url_or_storage, (str, os.PathLike)):
        return _adopt(url_or_storage, read_only)
    url = _to_url(url_or_storage)
    shown = display_url(url)
    path = sqlite_path(url)
    if path is not None and not _open_in_this_process(path):
        check_sqlite_file(path, read_only=read_only, shown=shown)
    _probe(url, _engine_kwargs(url), shown)
    with database_errors(shown, "open"):
        storage = _new_rdb_storage(url, read_only, heartbeat_interval, grace_period, retry)
    if read_only:
        _READ_ONLY.add(storage.engine)
    if path is not None:
        _SQLITE_FILES[storage.engine] = path
    return _adopt(storage, read_only)


@contextmanager
def opened(storage: StorageLike | None) -> Iterator[RDBStorage]:
    """Resolve ``storage`` for one call; close the connections when it was opened from a string."""
    rdb = resolve_storage(storage)
    try:
        yield rdb
    finally:
        if rdb is not storage and rdb is not getattr(storage, "_backend", None):
            rdb.engine.dispose()
