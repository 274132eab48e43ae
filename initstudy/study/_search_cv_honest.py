"""The honest-answer parts of :class:`InitSearchCV`: equivalent schemes, equal budgets, and
the confirmation of each scheme's best configuration on fresh seeds.

``cv_results_`` keeps scikit-learn's meaning (the user holds out their own test set), so these
change which trials run and add ``confirm_results_``; they never rewrite the search's scores.

- **Equivalent schemes** (:func:`search_families`): on the network this fit trains (the
  width after the pipeline's preprocessing, the final MLP's layers), schemes that draw the same
  networks up to the searched scale (``he_uniform``/``lecun_uniform``, ``constant`` 0/
  ``zeros``, ...) are searched once, under the first name; ``scheme_aliases_`` names the rest.
- **Equal budget** (:func:`run_trials`): with ``budget="per-scheme"`` (the default) on a
  non-grid space with a categorical ``init``, each trial is queued for the scheme that holds
  the fewest trials (Optuna's ``enqueue_trial`` with the scheme fixed) and the sampler draws
  the rest, so every scheme gets the same number of trials within one.
- **Confirmation** (:func:`confirm_schemes`): with ``confirm_seeds=N``, each scheme's best
  complete trial is trained again from N seeds the search never used (``random_state`` +
  10000 + i, as ``initstudy run`` confirms) on the same splits. With a storage its rows are
  stored with ``stage="confirm"`` (``trial_number`` = the search trial) and reused on a refit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState
from sklearn.base import clone, is_classifier

from initstudy.mlp import MLPClassifier, MLPRegressor
from initstudy.searchspaces import Categorical
from initstudy.study._aggregates import summarize
from initstudy.study._budget import enqueue_next
from initstudy.study._confirm import confirmation_trials
from initstudy.study._equivalence import SchemeFamilies, find_families, n_outputs, searched_space
from initstudy.study._search_cv_fit import final_step, split_estimator, take_rows

__all__ = [
    "CONFIRM_SEED_OFFSET",
    "budget_of",
    "confirm_schemes",
    "run_trials",
    "search_families",
]

#: Confirmation seeds start here (offset by ``random_state``), as in ``initstudy run``.
CONFIRM_SEED_OFFSET = 10_000
BUDGETS = ("per-scheme", "sampler")


def _searches_init(space: Any) -> bool:
    params = getattr(space, "params", None)
    return hasattr(params, "get") and isinstance(params.get("init"), Categorical)


def budget_of(budget: str, space: Any) -> str:
    """ "per-scheme" where it applies (asked, a non-grid space with a categorical ``init``),
    else "sampler" (the sampler draws every parameter, the scheme included)."""
    if budget == "per-scheme" and _searches_init(space) and not space.is_grid:
        return "per-scheme"
    return "sampler"


def run_trials(study: optuna.Study, objective: Any, n_trials: int, space: Any, budget: str) -> None:
    """Run ``n_trials`` trials; under the per-scheme budget each is queued for the scheme
    that holds the fewest trials first (one already waiting, e.g. a killed fit's, runs first)."""
    if budget != "per-scheme":
        study.optimize(objective, n_trials=n_trials)
        return
    for _ in range(n_trials):
        if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            enqueue_next(study, space)
        study.optimize(objective, n_trials=1)


def _n_features(estimator: Any, X: Any, y: Any, splits: list) -> int | None:
    """The network's input width: the columns after the pipeline's preprocessing."""
    preprocessor, _ = split_estimator(clone(estimator))
    if preprocessor is None:
        shape = np.shape(X)
        return int(shape[1]) if len(shape) == 2 else None
    train = splits[0][0]
    try:
        transformed = preprocessor.fit_transform(take_rows(X, train), take_rows(y, train))
    except Exception:  # the search reports a failing preprocessing; no merging here
        return None
    return int(np.shape(transformed)[1])


def search_families(
    estimator: Any, space: Any, X: Any, y: Any, splits: list
) -> tuple[Any, SchemeFamilies | None]:
    """The space to search (each family of equivalent schemes once) and the families.

    Families are found for an initstudy MLP final step on a non-grid space with a
    categorical ``init`` (written for the bare estimator); otherwise the space is returned as
    it is with None.
    """
    final = final_step(estimator)
    if not isinstance(final, (MLPClassifier, MLPRegressor)) or not _searches_init(space):
        return space, None
    if space.is_grid:
        return space, None
    n_features = _n_features(estimator, X, y, splits)
    if n_features is None:
        return space, None
    task = "classification" if is_classifier(final) else "regression"
    families = find_families(space, final.get_params(deep=False), n_features, n_outputs(task, y))
    return searched_space(space, families), families


def confirm_schemes(
    study: optuna.Study,
    objective: Any,
    seeds: list[int],
    params_of: Any,
    aliases: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Train each scheme's best complete trial from ``seeds`` on the search's splits.

    Parameters
    ----------
    study : optuna.Study
        The finished search.
    objective : SearchObjective
        The search's objective (its splits, scorer, penalty and storage are reused).
    seeds : list of int
        The fresh seeds.
    params_of : callable
        FrozenTrial -> the estimator parameters (as in ``cv_results_["params"]``).
    aliases : mapping of str to list of str, optional
        Scheme -> its equivalent schemes (the ``aliases`` column).

    Returns
    -------
    dict of str to ndarray
        ``confirm_results_``: one row per scheme, best confirmation mean first.
    """
    chosen = confirmation_trials(study)
    confirm = dataclasses.replace(objective, seeds=list(seeds), seed_by_seed=False, stage="confirm")
    rows = []
    for trial in chosen:
        fixed = optuna.trial.FixedTrial(dict(trial.params), number=trial.number)
        confirm(fixed)
        rows.append((trial, fixed.user_attrs))
    rows.sort(key=lambda row: (-_mean(row[1]), row[0].number))
    results: dict[str, Any] = {
        "scheme": np.array([str(t.params.get("init", "")) for t, _ in rows], dtype=object),
        "aliases": [list((aliases or {}).get(str(t.params.get("init", "")), [])) for t, _ in rows],
        "params": [params_of(t) for t, _ in rows],
        "trial_number": np.array([t.number for t, _ in rows], dtype=int),
        "selection_score": np.array([float(t.values[0]) for t, _ in rows]),
    }
    scores = np.array([a["seed_scores"] for _, a in rows], dtype=float).reshape(len(rows), -1)
    for i in range(scores.shape[1]):
        results[f"seed{i}_test_score"] = scores[:, i]
    for key in ("mean", "std", "ci_low", "ci_high"):
        results[f"{key}_test_score"] = np.array([_stat(scores[j], key) for j in range(len(rows))])
    results["n_diverged"] = np.array([int(a["n_diverged"]) for _, a in rows], dtype=int)
    means = np.nan_to_num(results["mean_test_score"], nan=-np.inf)
    results["rank_test_score"] = np.array([1 + int(np.sum(means > m)) for m in means], dtype=int)
    return results


def _mean(attrs: dict[str, Any]) -> float:
    value = float(np.mean(attrs["seed_scores"])) if attrs["seed_scores"] else np.nan
    return value if np.isfinite(value) else -np.inf


def _stat(values: np.ndarray, key: str) -> float:
    if not np.isfinite(values).all():
        return float("nan")
    return float(summarize(values)[key])
