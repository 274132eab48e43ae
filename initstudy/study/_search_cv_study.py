"""The Optuna study behind an :class:`InitSearchCV` fit: creating, registering, reading it.

In memory by default. With a storage it is a normal initstudy study: registered with the data
fingerprint and the configuration (so resuming with other data or settings is refused), its
objective named for optuna-dashboard, and one row per (trial, seed, fold).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import uuid
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState
from sklearn.base import is_classifier
from sklearn.exceptions import FitFailedWarning

from initstudy.exceptions import ConfigError, StudyConflictError
from initstudy.storage import fail_stale_trials, register_study, resolve_storage
from initstudy.study._aggregates import default_penalty
from initstudy.study._datasets import dataset_fingerprint
from initstudy.study._objective import _AGGREGATE_WORDS
from initstudy.study._search_cv_fit import estimator_text
from initstudy.study._search_cv_objective import SearchObjective, splits_key
from initstudy.study._search_cv_results import first_error

if TYPE_CHECKING:
    from initstudy.study._search_cv import InitSearchCV

__all__ = [
    "diverged_score",
    "finished_trials",
    "open_study",
    "optuna_verbosity",
    "raise_or_warn_failures",
    "scoring_text",
    "search_fingerprint",
    "trials_to_run",
]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_NAME_PREFIX = "initsearchcv"


def _task(estimator: Any) -> str:
    return "classification" if is_classifier(estimator) else "regression"


def diverged_score(estimator: Any, scoring: Any, error_score: float | str) -> float:
    """Score of a diverged seed: the metric's worst value when known, else ``error_score``."""
    try:
        return default_penalty(
            scoring if isinstance(scoring, str) or scoring is None else "", _task(estimator)
        )
    except ConfigError:
        return math.nan if error_score == "raise" else float(error_score)


def search_fingerprint(X: Any, y: Any, task: str) -> str:
    """The data fingerprint: ``dataset_fingerprint`` for numeric data; for other tables
    (strings, categories) a sha256 of the column names, dtypes and pandas row hashes."""
    try:
        return dataset_fingerprint(X, np.asarray(y), task)
    except (TypeError, ValueError):
        frame = pd.DataFrame(X)
        digest = hashlib.sha256(b"initstudy-search-cv-table-v1\0" + task.encode())
        digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        target = pd.Series(np.asarray(y))
        digest.update(pd.util.hash_pandas_object(target, index=False).to_numpy().tobytes())
        return digest.hexdigest()


def _fresh_name() -> str:
    """A new study name: the UTC time and a random suffix."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{_NAME_PREFIX}-{stamp}-{uuid.uuid4().hex[:6]}"


def _sampler(search: InitSearchCV, space: Any) -> optuna.samplers.BaseSampler:
    """A copy of the given sampler, or TPE (GridSampler for a grid space), seeded."""
    if search.sampler is not None:
        return copy.deepcopy(search.sampler)
    if getattr(space, "is_grid", False):
        return optuna.samplers.GridSampler(space.grid(), seed=search.random_state)
    return optuna.samplers.TPESampler(seed=search.random_state)


def _data_text(X: Any) -> str:
    """How the report names the data, e.g. "the DataFrame given to InitSearchCV.fit (600 x 4)"."""
    shape = getattr(X, "shape", None) or (len(X), len(X[0]) if len(X) else 0)
    return f"the {type(X).__name__} given to InitSearchCV.fit ({shape[0]} x {shape[1]})"


def _config(search: InitSearchCV, space: Any, X: Any, splits: list, cv: Any) -> dict[str, Any]:
    """What determines the results, in the sections of a ``StudyConfig`` (stored with it and
    shown by the reports); resuming with any difference raises ``StudyConflictError``."""
    return {
        "kind": "InitSearchCV",
        "dataset": {"name": _data_text(X)},
        "estimator": {
            "kind": "InitSearchCV",
            "estimator": " ".join(estimator_text(search.estimator).split()),
        },
        "seeds": {"values": list(search.seeds_)},
        "evaluation": {
            "cv": " ".join(repr(cv).split()),
            "n_splits": len(splits),
            "splits_sha256": splits_key(splits),
            "scoring": scoring_text(search.scoring),
            "aggregate": search.aggregate,
            "error_score": str(search.error_score),
        },
        "space": space.to_dict(),
    }


def _objective_name(search: InitSearchCV) -> str:
    """The objective as optuna-dashboard shows it, e.g. "accuracy, mean of 5 seeds"."""
    default = {"classification": "accuracy", "regression": "r2"}[_task(search.estimator)]
    metric = search.scoring if isinstance(search.scoring, str) else default
    if callable(search.scoring):
        metric = getattr(search.scoring, "__name__", "score")
    return f"{metric}, {_AGGREGATE_WORDS[search.aggregate]} of {search.n_seeds} seeds"


def open_study(
    search: InitSearchCV,
    space: Any,
    X: Any,
    y: Any,
    splits: list,
    cv: Any,
    objective: SearchObjective,
) -> optuna.Study:
    """Create (or, for a named stored study, resume) the study and wire the objective to it."""
    name = search.study_name or _fresh_name()
    kwargs = {
        "study_name": name,
        "direction": "maximize",
        "sampler": _sampler(search, space),
        "pruner": copy.deepcopy(search.pruner),
    }
    if search.storage is None:
        return optuna.create_study(**kwargs)
    rdb = resolve_storage(search.storage)
    task = _task(search.estimator)
    validation = f"splits:{splits_key(splits)};scoring:{scoring_text(search.scoring)}"
    fingerprint = search_fingerprint(X, y, task)
    try:
        register_study(
            rdb, name, fingerprint=fingerprint, config=_config(search, space, X, splits, cv)
        )
    except StudyConflictError as e:
        raise StudyConflictError(
            f"{e} From InitSearchCV: pass another study_name, or study_name=None for a fresh "
            "study at every fit."
        ) from e
    study = optuna.create_study(storage=rdb, load_if_exists=True, **kwargs)
    fail_stale_trials(rdb, name)  # a killed earlier fit's trials are failed and queued again
    _name_objective(study, _objective_name(search))
    objective.storage, objective.study_name = rdb, name
    objective.fingerprint, objective.validation = fingerprint, validation
    return study


def scoring_text(scoring: Any) -> str | None:
    """A stable text of ``scoring`` for the stored config and the run keys: a name as it is, a
    function as its module, name and bytecode hash (no memory address), a scorer object as
    its repr."""
    if scoring is None or isinstance(scoring, str):
        return scoring
    code = getattr(scoring, "__code__", None)
    if code is not None:
        digest = hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest()[:16]
        return f"{scoring.__module__}.{scoring.__qualname__}:{digest}"
    return repr(scoring)


def _name_objective(study: optuna.Study, name: str) -> None:
    """Name the objective (optuna-dashboard and the reports show it)."""
    with warnings.catch_warnings():  # Study.set_metric_names is experimental in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([name])


def trials_to_run(study: optuna.Study, n_trials: int) -> int:
    """Trials still to run so the study holds ``n_trials`` finished (complete or pruned)."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    return max(0, n_trials - len(done))


def finished_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The complete, pruned and failed trials, by number."""
    return sorted(study.get_trials(deepcopy=False, states=_FINISHED), key=lambda t: t.number)


def raise_or_warn_failures(trials: Sequence[FrozenTrial], error_score: float | str) -> None:
    """Raise when no trial completed; warn (FitFailedWarning) when some fits raised.

    Raises
    ------
    ConfigError
        When no trial has a finite value (every fit failed, or nothing ran).
    """
    values = [t.value for t in trials if t.state == TrialState.COMPLETE]
    if not any(v is not None and math.isfinite(v) for v in values):
        errors = [first_error(t) for t in trials if first_error(t) is not None]
        cause = f" The first error: {errors[0]}" if errors else ""
        raise ConfigError(
            f"InitSearchCV found no trial with a finite score among {len(trials)} finished "
            f"trials: every fit failed or was pruned.{cause}"
        )
    n_errors = int(sum(t.user_attrs.get("n_errors", 0) for t in trials))
    if n_errors:
        first = next(first_error(t) for t in trials if first_error(t) is not None)
        warnings.warn(
            f"{n_errors} seed(s) of {len(trials)} trials failed to fit or score and scored "
            f"error_score={error_score!r}; the first error: {first}",
            FitFailedWarning,
            stacklevel=3,
        )


@contextlib.contextmanager
def optuna_verbosity(verbose: int) -> Iterator[None]:
    """Optuna's log level for the fit: warnings only when quiet, a line per trial otherwise."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)
