"""Equal budgets: every searched scheme gets the same number of search trials (within one).

With plain TPE a scheme that scores well early is sampled again and again, and the best of
many draws beats the best of few by luck alone (the winner's curse). Under the default
``sampler = "auto"`` (also by its explicit name ``"per-scheme"``) on a non-grid space with a
categorical ``init``, each worker, whenever no trial is waiting, queues one ``{"init": scheme}``
trial (Optuna's ``enqueue_trial`` with partial parameters) for the scheme that holds the
fewest trials (ties: the space's order); TPE draws every other parameter of a queued trial.
``sampler = "tpe"`` (or "random") keeps plain sampling. Queuing reads the stored trials
(finished, running or waiting) each time, so a resumed launch goes on where the last stopped.
Two workers that queue at the same instant can put one scheme ahead by one more trial (at
most ``jobs - 1``). Each queued trial is taken by exactly one worker: the storage pops a
WAITING trial with one conditional UPDATE (``storage/_queue.py``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import optuna
from optuna.trial import TrialState

from initstudy.searchspaces import Categorical

__all__ = ["budget_name", "enqueue_next", "queue_for"]

_PER_SCHEME = ("auto", "per-scheme")
_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


def budget_name(config: Any, space: Any) -> str:
    """ "per-scheme" for ``sampler`` "auto" or "per-scheme" on a non-grid space with a
    categorical ``init``; else "tpe" (plain sampling: "tpe", "random", a sampler instance)."""
    if (
        config.sampler in _PER_SCHEME
        and not space.is_grid
        and isinstance(space.params.get("init"), Categorical)
    ):
        return "per-scheme"
    return "tpe"


def _scheme_of(trial: optuna.trial.FrozenTrial) -> Any:
    if "init" in trial.params:
        return trial.params["init"]
    return trial.system_attrs.get("fixed_params", {}).get("init")


def enqueue_next(study: optuna.Study, space: Any) -> Any:
    """Queue one trial for the scheme holding the fewest trials; return that scheme."""
    schemes = list(space.params["init"].choices)
    have = Counter(_scheme_of(t) for t in study.get_trials(deepcopy=False, states=_COUNTED))
    scheme = min(schemes, key=lambda s: (have.get(s, 0), schemes.index(s)))
    study.enqueue_trial({"init": scheme}, skip_if_exists=False)
    return scheme


def queue_for(config: Any, space: Any) -> Any:
    """The ``queue`` hook :func:`work` calls when no trial waits (None for plain sampling)."""
    if budget_name(config, space) != "per-scheme":
        return None
    return lambda study: enqueue_next(study, space)
