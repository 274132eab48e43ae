"""Checks made on a SQLite file before anything opens it for writing.

A file that is not SQLite, is truncated, or cannot be written is refused with a
:class:`~initstudy.exceptions.StorageError` while the file is still byte-identical: the header is
read with plain ``open(..., "rb")`` and the only SQLite connection made is read-only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from ..exceptions import StorageError

__all__ = ["check_sqlite_file", "read_only_url", "sqlite_path"]

_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_STUDY_TABLES = {"studies", "version_info", "alembic_version", "initstudy_meta"}
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def sqlite_path(url: sa.URL) -> str | None:
    """The file path of a SQLite URL; None for other backends, memory and URI-mode URLs."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("uri") == "true":
        return None
    return database


def read_only_url(path: str) -> sa.URL:
    """The SQLite URL that opens ``path`` read-only (``file:...?mode=ro``, percent-encoded)."""
    return sa.URL.create(
        "sqlite", database="file:" + quote(path, safe="/"), query={"mode": "ro", "uri": "true"}
    )


def _is_writable(path: Path) -> bool:
    """Writable by us *and* not marked read-only (root ignores modes, we respect them)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & _WRITE_BITS)


def _header_problem(path: Path) -> str | None:
    """What is wrong with the file's 100-byte SQLite header and size, or None."""
    size = path.stat().st_size
    if size == 0:
        return None  # SQLite treats an empty file as an empty database
    with path.open("rb") as file:
        header = file.read(_HEADER_SIZE)
    if len(header) < _HEADER_SIZE or not header.startswith(_MAGIC):
        return f"it is not a SQLite database (it starts with {header[:16]!r})"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header is damaged (page size {page_size})"
    declared_valid = header[92:96] == header[24:28]
    n_pages = int.from_bytes(header[28:32], "big")
    # A process killed during a WAL checkpoint can leave page 1 (with the new size) written
    # before the pages that extend the file; the -wal file still holds them and SQLite
    # completes the checkpoint on the next open, so the size is only checked without one.
    wal = path.with_name(path.name + "-wal")
    pending_wal = wal.exists() and wal.stat().st_size > 0
    if declared_valid and not pending_wal and size < n_pages * page_size:
        return (
            f"it is truncated ({size} bytes, but its header declares {n_pages} pages of "
            f"{page_size} bytes = {n_pages * page_size} bytes)"
        )
    return None


def _read_only_check(path: Path) -> str | None:
    """Open the file read-only and read its schema; what failed, or None."""
    engine = sa.create_engine(read_only_url(str(path)), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
    except sa.exc.SQLAlchemyError as e:
        return f"SQLite cannot read it ({getattr(e, 'orig', e)})"
    finally:
        engine.dispose()
    if tables and not tables & _STUDY_TABLES:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        return (
            f"it is a SQLite database of another program (tables: {shown}); initstudy only "
            "writes to new or empty files and to its own study databases"
        )
    return None


def _missing_file_problem(path: Path, read_only: bool) -> str | None:
    """Why a database cannot be created at ``path`` (or opened read-only), or None."""
    if read_only:
        return "it does not exist (a read-only storage can only open an existing file)"
    if not path.parent.is_dir():
        return f"its folder {str(path.parent)!r} does not exist"
    if not _is_writable(path.parent):
        return f"its folder {str(path.parent)!r} is read-only, so the file cannot be created"
    return None


def _existing_file_problem(path: Path, read_only: bool) -> str | None:
    """Why an existing file cannot be used as the study database, or None."""
    if not path.is_file():
        return "it is not a regular file"
    problem = _header_problem(path) or _read_only_check(path)
    if problem is not None or read_only:
        return problem
    if not _is_writable(path):
        return (
            "the file is read-only; make it writable, work on a copy, or open it with "
            "read_only=True to read results"
        )
    if not _is_writable(path.parent):
        return (
            f"its folder {str(path.parent)!r} is read-only (SQLite writes its journal next to "
            "the file); work on a copy, or open it with read_only=True to read results"
        )
    return None


def check_sqlite_file(path: str, *, read_only: bool, shown: str) -> None:
    """Refuse, before anything writes, a SQLite path that cannot serve as the study database.

    Parameters
    ----------
    path : str
        The database file (absolute).
    read_only : bool
        Whether the storage will only read (then the file must exist, and may be read-only).
    shown : str
        The URL to name in messages.

    Raises
    ------
    StorageError
        If the file is not SQLite, is truncated or damaged, cannot be written, or (read-only)
        does not exist. The file is left untouched.
    """
    file = Path(path)
    exists = file.exists()
    if exists:
        problem = _existing_file_problem(file, read_only)
    else:
        problem = _missing_file_problem(file, read_only)
    if problem is not None:
        raise StorageError(
            f"Cannot use {str(file)!r} ({shown}) as the study database: {problem}. "
            + ("The file was not changed." if exists else "Nothing was written.")
        )
