"""SQLAlchemy 2 models of initstudy's own tables and their idempotent creation.

The tables live in the same database as Optuna's, all prefixed ``initstudy_``:

- ``initstudy_meta``: key/value rows; ``schema_version`` guards against newer writers.
- ``initstudy_studies``: one row per study (dataset fingerprint, config JSON).
- ``initstudy_seed_runs``: one row per (study, trial, seed, fold) with the run's results, and
  its ``stage``: ``"search"`` or ``"confirm"`` (schema 2; a schema-1 database gains the column,
  every old row ``"search"``, in place on open).
"""

from __future__ import annotations

import importlib.metadata
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TypeVar

import optuna
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.compiler import compiles

from ..exceptions import InitStudyError, StorageError

__all__ = [
    "SCHEMA_VERSION",
    "STAGES",
    "MetaModel",
    "SeedRunModel",
    "StudyModel",
    "create_tables",
    "database_errors",
    "initstudy_version",
    "retry_on_race",
    "stored_schema_version",
    "utc_now",
]

#: Version of initstudy's tables. A database with a larger value was written by a newer
#: initstudy and is refused untouched. 2: ``initstudy_seed_runs.stage``.
SCHEMA_VERSION = 2
#: The stages of a seed run: the search, and the confirmation on fresh seeds and test rows.
STAGES = ("search", "confirm")

_T = TypeVar("_T")
_RACE_ERRORS = (
    sa.exc.OperationalError,
    sa.exc.IntegrityError,
    sa.exc.ProgrammingError,
    optuna.exceptions.StorageInternalError,
)
_BACKEND_ERRORS = (sa.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError, sqlite3.Error)
_NAME_LENGTH = 512


def initstudy_version() -> str:
    """The installed initstudy version (recorded with every study)."""
    try:
        return importlib.metadata.version("initstudy")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "unknown"


def utc_now() -> datetime:
    """The current time as a naive UTC datetime (how every timestamp is stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class _Base(orm.DeclarativeBase):
    """Declarative base with its own metadata (separate from Optuna's models)."""


class MetaModel(_Base):
    """One key/value setting of the initstudy tables (``schema_version``, ...)."""

    __tablename__ = "initstudy_meta"

    key: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(sa.String(256))


class StudyModel(_Base):
    """One row per study: what the stored results were computed on."""

    __tablename__ = "initstudy_studies"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=True)
    study_name: orm.Mapped[str] = orm.mapped_column(sa.String(_NAME_LENGTH), unique=True)
    fingerprint: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    config_json: orm.Mapped[str] = orm.mapped_column(sa.Text)
    schema_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    initstudy_version: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime, default=utc_now)


class SeedRunModel(_Base):
    """One training run: a trial's parameters, one seed, one validation fold."""

    __tablename__ = "initstudy_seed_runs"
    __table_args__ = (
        sa.UniqueConstraint(
            "study_name", "trial_number", "seed", "fold", name="uq_initstudy_seed_runs_trial_seed"
        ),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=True)
    study_name: orm.Mapped[str] = orm.mapped_column(sa.String(_NAME_LENGTH), index=True)
    trial_number: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    seed: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    fold: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    run_key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    score: orm.Mapped[float | None] = orm.mapped_column(sa.Double, nullable=True)
    diverged: orm.Mapped[bool] = orm.mapped_column(sa.Boolean)
    n_iter: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    fit_seconds: orm.Mapped[float] = orm.mapped_column(sa.Double)
    loss_curve_json: orm.Mapped[str] = orm.mapped_column(sa.Text)
    eval_curve_json: orm.Mapped[str] = orm.mapped_column(sa.Text)
    error: orm.Mapped[str | None] = orm.mapped_column(sa.Text, nullable=True)
    created_at: orm.Mapped[datetime] = orm.mapped_column(sa.DateTime, default=utc_now)
    stage: orm.Mapped[str] = orm.mapped_column(
        sa.String(16), default="search", server_default="search"
    )


class _AddColumn(sa.schema.ExecutableDDLElement):
    """``ALTER TABLE ... ADD COLUMN ...`` for one column of a model (SQLAlchemy has no core
    construct for it; the statement is compiled from the table and column objects)."""

    inherit_cache = False

    def __init__(self, table: sa.Table, column: sa.Column) -> None:
        self.table = table
        self.column = column


@compiles(_AddColumn)
def _compile_add_column(
    element: _AddColumn, compiler: sa.sql.compiler.DDLCompiler, **kw: object
) -> str:
    table = compiler.preparer.format_table(element.table)
    column = compiler.process(sa.schema.CreateColumn(element.column), **kw)
    return f"ALTER TABLE {table} ADD COLUMN {column}"


def retry_on_race(action: Callable[[], _T], attempts: int = 8) -> _T:
    """Run ``action``, retrying with jittered backoff when another process races it.

    Concurrent ``CREATE TABLE`` or first inserts from processes starting together fail with
    "already exists", a unique violation or a busy database; a retry sees the finished work.
    """
    for attempt in range(attempts):
        try:
            return action()
        except _RACE_ERRORS:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * 2**attempt * (1.0 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def database_errors(shown: str, action: str, *, runtime: bool = True) -> Iterator[None]:
    """Re-raise backend failures as StorageError naming the database and the action.

    ``runtime=False`` leaves RuntimeError alone (Optuna raises it for some storage failures;
    around code that also trains networks, it may be something else).
    """
    caught = (*_BACKEND_ERRORS, RuntimeError) if runtime else _BACKEND_ERRORS
    try:
        yield
    except InitStudyError:
        raise
    except caught as e:
        raise StorageError(
            f"Could not {action} the study database at {shown}: {_one_line(e)}"
        ) from e


def _one_line(error: BaseException) -> str:
    """A backend error in one line: the driver's message (SQLAlchemy adds the statement and a
    help link on further lines), or the cause of Optuna's StorageInternalError."""
    if isinstance(error, optuna.exceptions.StorageInternalError) and error.__cause__ is not None:
        error = error.__cause__
    return " ".join(str(getattr(error, "orig", None) or error).split())


def stored_schema_version(connection: sa.Connection) -> int | None:
    """The ``schema_version`` stored in ``initstudy_meta``, or None when there is none."""
    if not sa.inspect(connection).has_table(MetaModel.__tablename__):
        return None
    value = connection.execute(
        sa.select(MetaModel.value).where(MetaModel.key == "schema_version")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def create_tables(engine: sa.Engine) -> None:
    """Create initstudy's tables and its meta rows if missing (safe under concurrent starts)."""
    retry_on_race(lambda: _Base.metadata.create_all(engine, checkfirst=True))
    retry_on_race(lambda: _migrate(engine))
    retry_on_race(lambda: _insert_meta(engine))


def _migrate(engine: sa.Engine) -> None:
    """Bring an older schema up to :data:`SCHEMA_VERSION` in one transaction, losing nothing.

    Schema 1 -> 2: ``initstudy_seed_runs`` gains ``stage`` (every stored row ``"search"``).
    """
    table: sa.Table = SeedRunModel.__table__  # type: ignore[assignment]
    with engine.begin() as connection:
        version = stored_schema_version(connection)
        if version is None or version >= SCHEMA_VERSION:
            return
        columns = {c["name"] for c in sa.inspect(connection).get_columns(table.name)}
        if "stage" not in columns:
            column = sa.Column("stage", sa.String(16), nullable=False, server_default="search")
            connection.execute(_AddColumn(table, column))
        connection.execute(
            sa.update(MetaModel)
            .where(MetaModel.key == "schema_version")
            .values(value=str(SCHEMA_VERSION))
        )


def _insert_meta(engine: sa.Engine) -> None:
    """Insert the meta rows unless present (another process may insert them first)."""
    rows = {"schema_version": str(SCHEMA_VERSION), "created_by": initstudy_version()}
    with orm.Session(engine) as session, session.begin():
        present = set(session.scalars(sa.select(MetaModel.key)))
        session.add_all(
            MetaModel(key=key, value=value) for key, value in rows.items() if key not in present
        )
