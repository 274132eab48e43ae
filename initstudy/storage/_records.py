"""Per-seed results: the record type, run keys, and saving, caching and loading rows."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from ..exceptions import ConfigError
from ._models import STAGES, SeedRunModel, database_errors
from ._resolve import StorageLike, display_url, opened

__all__ = [
    "SEED_RUN_COLUMNS",
    "SeedRunRecord",
    "canonical_json",
    "find_cached_runs",
    "load_seed_runs",
    "make_run_key",
    "save_seed_runs",
]

#: Columns of :func:`load_seed_runs`, in order.
SEED_RUN_COLUMNS = (
    "trial_number",
    "seed",
    "fold",
    "score",
    "diverged",
    "n_iter",
    "fit_seconds",
    "loss_curve",
    "eval_curve",
    "error",
    "run_key",
    "created_at",
    "stage",
)
_RUN_KEY_VERSION = 1
_IN_CHUNK = 500
_SEED_RUNS: sa.Table = SeedRunModel.__table__  # type: ignore[assignment]
_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _plain(value: Any) -> Any:
    """Convert a value to plain JSON types (numpy, tuples, initializer objects)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ConfigError(f"Only string keys can be stored. Got keys {list(value)!r}.")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "get_config"):
        kind = type(value)
        path = f"{kind.__module__}.{kind.__qualname__}"
        return {"class": path, "config": _plain(value.get_config())}
    raise ConfigError(
        f"A {type(value).__name__} cannot be stored: use numbers, strings, lists, dicts or "
        f"objects with get_config(). Got {value!r}."
    )


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) of plain values, numpy values and configs.

    Parameters
    ----------
    value : object
        Numbers, strings, None, lists, tuples, string-keyed mappings, numpy scalars and arrays,
        and objects with ``get_config()`` (stored as their class path and config).

    Returns
    -------
    str
        The JSON text; equal values give equal text.

    Raises
    ------
    ConfigError
        If the value holds something else.
    """
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=True)


def make_run_key(
    *,
    fingerprint: str,
    estimator_params: Mapping[str, Any],
    validation: Any,
    seed: int,
    fold: int = 0,
) -> str:
    """The cache key of one training run: a SHA-256 over everything that determines it.

    Parameters
    ----------
    fingerprint : str
        The dataset fingerprint (``Dataset.fingerprint``).
    estimator_params : mapping
        The estimator's full parameters (``estimator.get_params(deep=False)`` or its class path
        and parameters), which fix everything but the seed.
    validation : object
        The validation spec (holdout fraction or folds and their seed), JSON-able.
    seed : int
        The run's seed (``random_state``).
    fold : int, default=0
        The validation fold (0 for a holdout split).

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    payload = {
        "v": _RUN_KEY_VERSION,
        "fingerprint": fingerprint,
        "params": estimator_params,
        "validation": validation,
        "seed": int(seed),
        "fold": int(fold),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _floats(values: Iterable[float] | None) -> tuple[float, ...]:
    """A curve as a tuple of Python floats."""
    return () if values is None else tuple(float(v) for v in np.asarray(values).ravel())


@dataclass(frozen=True)
class SeedRunRecord:
    """The result of training from one seed on one validation fold.

    Parameters
    ----------
    seed : int
        The seed (``random_state``) of the run.
    fold : int
        The validation fold (0 for a holdout split).
    run_key : str
        The cache key from :func:`make_run_key`.
    score : float
        The validation score (NaN when there is none, e.g. an error).
    diverged : bool, default=False
        Whether training produced a non-finite loss.
    n_iter : int, default=0
        Epochs run.
    fit_seconds : float, default=0.0
        Wall time of the fit.
    loss_curve : sequence of float, default=()
        Training loss after each epoch.
    eval_curve : sequence of float, default=()
        Validation score after each epoch (empty when not recorded).
    error : str or None, default=None
        The error message when the fit failed; such rows are never reused from the cache.
    """

    seed: int
    fold: int
    run_key: str
    score: float
    diverged: bool = False
    n_iter: int = 0
    fit_seconds: float = 0.0
    loss_curve: tuple[float, ...] = field(default=())
    eval_curve: tuple[float, ...] = field(default=())
    error: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.run_key, str) or not self.run_key:
            raise ConfigError(f"A seed run needs a non-empty run_key. Got {self.run_key!r}.")
        if int(self.fold) < 0 or int(self.n_iter) < 0:
            raise ConfigError(
                f"fold and n_iter must be >= 0. Got fold={self.fold!r}, n_iter={self.n_iter!r}."
            )
        converted = {
            "seed": int(self.seed),
            "fold": int(self.fold),
            "score": math.nan if self.score is None else float(self.score),
            "diverged": bool(self.diverged),
            "n_iter": int(self.n_iter),
            "fit_seconds": float(self.fit_seconds),
            "loss_curve": _floats(self.loss_curve),
            "eval_curve": _floats(self.eval_curve),
            "error": None if self.error is None else str(self.error),
        }
        for name, value in converted.items():
            object.__setattr__(self, name, value)


def _check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ConfigError(
            f"The seed-run 'stage' must be one of {list(STAGES)}. Got {stage!r} instead."
        )
    return stage


def _row(
    study_name: str, trial_number: int, record: SeedRunRecord, stage: str = "search"
) -> dict[str, Any]:
    """The table row of one record."""
    return {
        "study_name": study_name,
        "stage": stage,
        "trial_number": int(trial_number),
        "seed": record.seed,
        "fold": record.fold,
        "run_key": record.run_key,
        "score": None if math.isnan(record.score) else record.score,
        "diverged": record.diverged,
        "n_iter": record.n_iter,
        "fit_seconds": record.fit_seconds,
        "loss_curve_json": json.dumps(list(record.loss_curve)),
        "eval_curve_json": json.dumps(list(record.eval_curve)),
        "error": record.error,
    }


def _record(model: SeedRunModel) -> SeedRunRecord:
    """The record of one stored row."""
    return SeedRunRecord(
        seed=model.seed,
        fold=model.fold,
        run_key=model.run_key,
        score=math.nan if model.score is None else model.score,
        diverged=model.diverged,
        n_iter=model.n_iter,
        fit_seconds=model.fit_seconds,
        loss_curve=tuple(json.loads(model.loss_curve_json)),
        eval_curve=tuple(json.loads(model.eval_curve_json)),
        error=model.error,
    )


def _insert_new(session: orm.Session, rows: list[dict[str, Any]]) -> None:
    """Insert rows, keeping any row already stored for the same (study, trial, seed, fold)."""
    table = _SEED_RUNS
    dialect_insert = _DIALECT_INSERTS.get(session.get_bind().dialect.name)
    if dialect_insert is not None:
        session.execute(dialect_insert(table).on_conflict_do_nothing(), rows)  # type: ignore[attr-defined]
        return
    keys = ("study_name", "trial_number", "seed", "fold")  # other backends: look, then insert
    query = sa.select(*(table.c[k] for k in keys)).where(
        table.c.study_name == rows[0]["study_name"],
        table.c.trial_number == rows[0]["trial_number"],
    )
    stored = {tuple(row) for row in session.execute(query)}
    new = [row for row in rows if tuple(row[k] for k in keys) not in stored]
    if new:
        session.execute(sa.insert(table), new)


def save_seed_runs(
    storage: StorageLike,
    study_name: str,
    trial_number: int,
    records: Sequence[SeedRunRecord],
    *,
    stage: str = "search",
) -> None:
    """Store seed runs of one trial, all in one short transaction (all rows or none).

    Call it as soon as seeds finish (each seed, or each batch trained together): a worker
    killed later keeps these rows, and a rerun finds them with :func:`find_cached_runs`.
    Rows are immutable results: a row already stored for the same (study, trial, seed, fold)
    is kept and the new one ignored, so saving twice is harmless.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage (strings go through :func:`resolve_storage`).
    study_name : str
        The study's name.
    trial_number : int
        The Optuna trial number (``trial.number``).
    records : sequence of SeedRunRecord
        The runs to store.
    stage : {"search", "confirm"}, default="search"
        The search's runs, or the confirmation's (``trial_number`` is then the number of the
        search trial whose configuration was confirmed; its seeds are not the search's).

    Raises
    ------
    StorageError
        If the database cannot be written (nothing of this call is stored then).
    ConfigError
        For an unknown ``stage``.
    """
    _check_stage(stage)
    with opened(storage) as rdb:
        rows = [_row(study_name, trial_number, record, stage) for record in records]
        if not rows:
            return
        with database_errors(display_url(rdb.url), f"save seed runs of trial {trial_number} in"):
            with orm.Session(rdb.engine) as session, session.begin():
                _insert_new(session, rows)


def find_cached_runs(storage: StorageLike, run_keys: Iterable[str]) -> dict[str, SeedRunRecord]:
    """Stored results for run keys, from any study in the database.

    Rows that recorded an error are not returned (their runs are tried again); when several
    rows share a key, the first stored wins.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    run_keys : iterable of str
        Keys from :func:`make_run_key`.

    Returns
    -------
    dict of str to SeedRunRecord
        One record per key found; missing keys are absent.
    """
    with opened(storage) as rdb:
        keys = sorted(set(run_keys))
        found: dict[str, SeedRunRecord] = {}
        with database_errors(display_url(rdb.url), "look up cached runs in"):
            with orm.Session(rdb.engine) as session:
                for start in range(0, len(keys), _IN_CHUNK):
                    first_ids = (
                        sa.select(sa.func.min(SeedRunModel.id))
                        .where(SeedRunModel.run_key.in_(keys[start : start + _IN_CHUNK]))
                        .where(SeedRunModel.error.is_(None))
                        .group_by(SeedRunModel.run_key)
                    )
                    query = sa.select(SeedRunModel).where(SeedRunModel.id.in_(first_ids))
                    for model in session.scalars(query):
                        found[model.run_key] = _record(model)
        return found


def _frame(models: list[SeedRunModel], has_stage: bool = True) -> pd.DataFrame:
    """The DataFrame of stored rows, with stable dtypes even when empty."""
    frame = pd.DataFrame(
        {
            "trial_number": pd.array([m.trial_number for m in models], dtype="int64"),
            "seed": pd.array([m.seed for m in models], dtype="int64"),
            "fold": pd.array([m.fold for m in models], dtype="int64"),
            "score": np.array([np.nan if m.score is None else m.score for m in models], float),
            "diverged": np.array([bool(m.diverged) for m in models], dtype=bool),
            "n_iter": pd.array([m.n_iter for m in models], dtype="int64"),
            "fit_seconds": np.array([m.fit_seconds for m in models], dtype=float),
            "loss_curve": [json.loads(m.loss_curve_json) for m in models],
            "eval_curve": [json.loads(m.eval_curve_json) for m in models],
            "error": pd.Series([m.error for m in models], dtype=object),
            "run_key": pd.Series([m.run_key for m in models], dtype=object),
            "created_at": pd.to_datetime(pd.Series([m.created_at for m in models])),
            "stage": pd.Series([m.stage if has_stage else "search" for m in models], dtype=object),
        }
    )
    return frame[list(SEED_RUN_COLUMNS)]


def load_seed_runs(
    storage: StorageLike, study_name: str, *, stage: str | None = None
) -> pd.DataFrame:
    """All stored seed runs of a study, one row per (trial, seed, fold).

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage (strings go through :func:`resolve_storage`).
    study_name : str
        The study's name.
    stage : {"search", "confirm"} or None, default=None
        Only the rows of that stage; None returns both.

    Returns
    -------
    pandas.DataFrame
        Columns ``trial_number``, ``seed``, ``fold``, ``score`` (NaN when none), ``diverged``,
        ``n_iter``, ``fit_seconds``, ``loss_curve`` and ``eval_curve`` (lists of floats),
        ``error`` (None or the message), ``run_key``, ``created_at``, ``stage`` (``"search"``
        or ``"confirm"``); sorted by trial, seed and fold. Empty (with these columns) when the
        study has no rows.
    """
    if stage is not None:
        _check_stage(stage)
    with opened(storage) as rdb:
        with database_errors(display_url(rdb.url), f"load the seed runs of {study_name!r} from"):
            with orm.Session(rdb.engine) as session:
                # a schema-1 database opened read-only was not migrated: all rows are "search"
                columns = sa.inspect(session.connection()).get_columns(_SEED_RUNS.name)
                has_stage = any(c["name"] == "stage" for c in columns)
                query = sa.select(SeedRunModel).where(SeedRunModel.study_name == study_name)
                if not has_stage:
                    query = query.options(orm.defer(SeedRunModel.stage))
                    if stage == "confirm":
                        return _frame([], has_stage)
                elif stage is not None:
                    query = query.where(SeedRunModel.stage == stage)
                order = (SeedRunModel.trial_number, SeedRunModel.seed, SeedRunModel.fold)
                models = list(session.scalars(query.order_by(*order)))
                return _frame(models, has_stage)
