"""Study records (what a study was computed on), listing, deleting and failing stale trials."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa
from optuna.storages import RDBStorage
from optuna.trial import TrialState
from sqlalchemy import orm

from ..exceptions import ConfigError, StorageError, StudyConflictError, unknown_name_error
from ._models import (
    SCHEMA_VERSION,
    SeedRunModel,
    StudyModel,
    database_errors,
    initstudy_version,
)
from ._records import canonical_json
from ._resolve import StorageLike, display_url, opened

__all__ = [
    "STUDY_COLUMNS",
    "delete_study_data",
    "list_studies",
    "load_study_record",
    "next_free_study_name",
    "register_study",
    "study_names",
]

#: Columns of :func:`list_studies`, in order.
STUDY_COLUMNS = (
    "study_name",
    "direction",
    "n_trials",
    "n_complete",
    "n_running",
    "best_value",
    "fingerprint",
    "created_at",
)
_MAX_NAME = 512
_SHOWN_VALUE = 60


def _check_name(study_name: object) -> str:
    """Study names are non-empty strings of at most 512 characters (any characters)."""
    if not isinstance(study_name, str) or not study_name or len(study_name) > _MAX_NAME:
        raise ConfigError(
            f"The study name must be a non-empty string of at most {_MAX_NAME} characters. "
            f"Got {study_name!r} instead."
        )
    return study_name


def _as_dict(model: StudyModel) -> dict[str, Any]:
    """The public form of a study row."""
    return {
        "study_name": model.study_name,
        "fingerprint": model.fingerprint,
        "config": json.loads(model.config_json),
        "schema_version": model.schema_version,
        "initstudy_version": model.initstudy_version,
        "created_at": model.created_at,
    }


def _find(rdb: RDBStorage, study_name: str) -> StudyModel | None:
    """The stored row of a study, or None."""
    with orm.Session(rdb.engine, expire_on_commit=False) as session:
        return session.scalars(
            sa.select(StudyModel).where(StudyModel.study_name == study_name)
        ).one_or_none()


def _short(value: Any) -> str:
    """A value for a message, cut to a readable length."""
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 3] + "..."


def _differences(stored: StudyModel, fingerprint: str, config: dict[str, Any]) -> list[str]:
    """What differs between a stored study and a new registration, one phrase per item."""
    found = []
    if stored.fingerprint != fingerprint:
        found.append(
            f"dataset fingerprint (stored {_short(stored.fingerprint)}, "
            f"given {_short(fingerprint)})"
        )
    for key, was, given in _changed(json.loads(stored.config_json), config):
        found.append(f"config {key!r} (stored {_short(was)}, given {_short(given)})")
    return found


def _changed(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, stored, given) of each differing leaf of two configs (tables recursed)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [(prefix, old, new)]
    found = []
    for key in sorted(set(old) | set(new)):
        found += _changed(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
    return found


def _conflict(rdb: RDBStorage, stored: StudyModel, differences: list[str]) -> StudyConflictError:
    """The error for a name reused with a different dataset or configuration."""
    name = stored.study_name
    return StudyConflictError(
        f"Study {name!r} already exists in {display_url(rdb.url)} with a different "
        f"configuration: {'; '.join(differences)}. Its stored results were not changed. "
        f"Pass a new --study-name, or --new to start a fresh study named "
        f"{next_free_study_name(rdb, name)!r} next to it."
    )


def register_study(
    storage: StorageLike, study_name: str, *, fingerprint: str, config: dict[str, Any]
) -> dict[str, Any]:
    """Record what a study is computed on, or check a stored record before resuming.

    Pass only the settings that determine results (dataset, space, estimator settings, seeds,
    validation, aggregate, sampler), not ones a resume may change (n_trials, timeout, jobs).

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    study_name : str
        The study's name (any characters; stored as data).
    fingerprint : str
        The dataset fingerprint.
    config : dict
        The study configuration, JSON-able (see :func:`canonical_json`).

    Returns
    -------
    dict
        The stored record (as :func:`load_study_record` returns it).

    Raises
    ------
    StudyConflictError
        If the study exists with a different fingerprint or config; the message names each
        difference and a free name for ``--new``.
    """
    with opened(storage) as rdb:
        _check_name(study_name)
        config = json.loads(canonical_json(config))
        shown = display_url(rdb.url)
        with database_errors(shown, f"register study {study_name!r} in"):
            stored = _find(rdb, study_name)
            if stored is None:
                try:
                    with orm.Session(rdb.engine) as session, session.begin():
                        session.add(_new_model(study_name, fingerprint, config))
                except sa.exc.IntegrityError:  # another worker registered it first: compare to it
                    pass
                stored = _find(rdb, study_name)
        assert stored is not None
        differences = _differences(stored, fingerprint, config)
        if differences:
            raise _conflict(rdb, stored, differences)
        return _as_dict(stored)


def _new_model(study_name: str, fingerprint: str, config: dict[str, Any]) -> StudyModel:
    """A new study row."""
    return StudyModel(
        study_name=study_name,
        fingerprint=str(fingerprint),
        config_json=canonical_json(config),
        schema_version=SCHEMA_VERSION,
        initstudy_version=initstudy_version(),
    )


def study_names(rdb: RDBStorage) -> set[str]:
    """Names of every study, registered by initstudy or only known to Optuna."""
    with orm.Session(rdb.engine) as session:
        ours = set(session.scalars(sa.select(StudyModel.study_name)))
    return ours | {study.study_name for study in rdb.get_all_studies()}


def load_study_record(storage: StorageLike, study_name: str) -> dict[str, Any]:
    """The stored record of a study.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    study_name : str
        The study's name.

    Returns
    -------
    dict
        ``study_name``, ``fingerprint``, ``config`` (dict), ``schema_version``,
        ``initstudy_version``, ``created_at`` (naive UTC datetime).

    Raises
    ------
    StorageError
        If no study of that name was registered (the message lists the known ones).
    """
    with opened(storage) as rdb:
        with database_errors(display_url(rdb.url), f"load study {study_name!r} from"):
            stored = _find(rdb, study_name)
            if stored is None:
                raise unknown_name_error(
                    "study", study_name, study_names(rdb), cls=StorageError
                ) from None
        return _as_dict(stored)


def next_free_study_name(storage: StorageLike, study_name: str) -> str:
    """``study_name`` if unused, else the first free of ``study_name-2``, ``-3``, ...

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    study_name : str
        The wanted name.

    Returns
    -------
    str
        A name no study in the storage uses (what ``--new`` should run under).
    """
    with opened(storage) as rdb:
        with database_errors(display_url(rdb.url), "list the studies in"):
            taken = study_names(rdb)
        candidate, number = study_name, 1
        while candidate in taken:
            number += 1
            candidate = f"{study_name}-{number}"
        return candidate


def _summary(rdb: RDBStorage, study: Any) -> dict[str, Any]:
    """Counts and best value of one Optuna study (a FrozenStudy from get_all_studies)."""
    study_id = rdb.get_study_id_from_name(study.study_name)
    trials = rdb.get_all_trials(study_id, deepcopy=False)
    directions = [direction.name.lower() for direction in study.directions]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    values = [float(t.values[0]) for t in complete if len(t.values or ()) == 1]
    best = float("nan")
    if len(directions) == 1 and values:
        best = max(values) if directions[0] == "maximize" else min(values)
    return {
        "study_name": study.study_name,
        "direction": ",".join(directions),
        "n_trials": len(trials),
        "n_complete": len(complete),
        "n_running": sum(t.state == TrialState.RUNNING for t in trials),
        "best_value": best,
    }


def list_studies(storage: StorageLike) -> pd.DataFrame:
    """One row per study in the storage.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.

    Returns
    -------
    pandas.DataFrame
        Columns ``study_name``, ``direction`` ("maximize", "minimize", or comma-joined for
        several objectives), ``n_trials``, ``n_complete``, ``n_running``, ``best_value`` (NaN
        when none or multi-objective), ``fingerprint`` and ``created_at`` (missing, NA, for
        studies initstudy did not register); sorted by name. The linked study that shows a
        confirmation in optuna-dashboard (``"<name>.confirm"``) is not listed.
    """
    with opened(storage) as rdb:
        with database_errors(display_url(rdb.url), "list the studies in"):
            rows = [
                _summary(rdb, study)
                for study in rdb.get_all_studies()
                if "confirm_of" not in study.user_attrs  # a confirmation's linked study
            ]
            with orm.Session(rdb.engine) as session:
                records = {m.study_name: m for m in session.scalars(sa.select(StudyModel))}
        for row in rows:
            record = records.get(row["study_name"])
            row["fingerprint"] = None if record is None else record.fingerprint
            row["created_at"] = None if record is None else record.created_at
        frame = pd.DataFrame(rows, columns=list(STUDY_COLUMNS))
        return frame.sort_values("study_name", ignore_index=True)


def delete_study_data(storage: StorageLike, study_name: str) -> None:
    """Delete a study: its seed runs, its record, the Optuna study (trials included) and
    its confirmation's linked study ``"<name>.confirm"``.

    Parameters
    ----------
    storage : str, path-like or RDBStorage
        The storage.
    study_name : str
        The study's name; missing parts are skipped.
    """
    with opened(storage) as rdb:
        with database_errors(display_url(rdb.url), f"delete study {study_name!r} from"):
            with orm.Session(rdb.engine) as session, session.begin():
                runs = sa.delete(SeedRunModel).where(SeedRunModel.study_name == study_name)
                session.execute(runs)
                session.execute(sa.delete(StudyModel).where(StudyModel.study_name == study_name))
            for name in (study_name + ".confirm", study_name):  # its linked study first
                try:
                    study_id = rdb.get_study_id_from_name(name)
                except KeyError:
                    continue
                rdb.delete_study(study_id)
