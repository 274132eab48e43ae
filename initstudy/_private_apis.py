"""Every private API of Optuna and scikit-learn that initstudy uses, in one place, with why.

Each is kept for a measured reason or because no public equivalent exists, and each is pinned
by ``tests/test_private_apis.py``, which fails loudly (naming this module) on a version that
moves it; ``pyproject.toml`` caps Optuna and scikit-learn at the range those tests passed on.
Nothing else in the package reaches into a private name of another library.

- ``optuna.storages._rdb.models``: the table definitions of Optuna's RDB storage. A trial's
  intermediate values and user attributes are written through them in one transaction
  (``storage/_trial_results.py``): 1.5 ms per trial instead of 13.7 ms through ``trial.report``
  and ``trial.set_user_attr`` (one transaction each), measured on the default study.
- ``Trial._trial_id``: a running trial's storage id, known to the trial; the public route
  (``get_study_id_from_name`` then ``get_trial_id_from_study_id_trial_number``) costs two
  database reads per trial, used as the fallback.
- ``Study._storage``: Optuna's ``Study`` has no public accessor for its storage, which reports
  need to read initstudy's own tables next to a study passed in as an object.
- ``BaseEstimator._validate_params``: scikit-learn's parameter-constraint check, the only way
  to validate a ``sklearn_mlp`` configuration at launch without fitting on data.
"""

from __future__ import annotations

from typing import Any

import optuna

__all__ = [
    "optuna_rdb_models",
    "rdb_backend",
    "study_storage",
    "trial_id_if_known",
    "validate_sklearn_params",
]


def optuna_rdb_models() -> Any:
    """``optuna.storages._rdb.models``, imported on first use (0.4 s: not at start-up)."""
    from optuna.storages._rdb import models

    return models


def study_storage(study: optuna.Study) -> optuna.storages.BaseStorage:
    """The storage a study reads and writes (Optuna's possibly cached wrapper of it)."""
    return study._storage


def rdb_backend(study: optuna.Study) -> Any:
    """The study's storage without Optuna's in-process cache (``_CachedStorage._backend``)."""
    storage = study_storage(study)
    return getattr(storage, "_backend", storage)


def trial_id_if_known(trial: optuna.Trial) -> int | None:
    """A running trial's storage id when the trial object knows it, else None."""
    known = getattr(trial, "_trial_id", None)
    return known if isinstance(known, int) else None


def validate_sklearn_params(estimator: Any) -> None:
    """Run scikit-learn's parameter-constraint validation (raises ``InvalidParameterError``)."""
    estimator._validate_params()
