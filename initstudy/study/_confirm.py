"""Search, then confirm: the test part and the confirmation stage (issue 10 item 1).

Before the search, :func:`split_test_part` sets a test part aside (``test_size``, default a
stratified 20%, seeded by ``split_seed``): the search and its validation (holdout or K-fold)
see only the rest, the *search part*. After the search, :func:`confirm_study` retrains the
best configuration of each scheme (or of the ``top`` schemes) from fresh seeds that the
search never used (``[confirm] seeds``, default 10: 10000..10009) on the whole search part,
and scores it on the test part. Every number a report concludes on comes from these rows;
the search's own scores are the *selection scores* (optimistic: the best of many draws, on
the seeds and the split that chose them).

Storage: the confirmation's per-seed rows sit beside the search's, with ``stage="confirm"``,
``trial_number`` = the confirmed search trial and ``fold = 0``; a rerun (after Ctrl-C or a
kill) reuses them and trains only what is missing: the missing (configuration, seed) runs of
all confirmed configurations together, one ``fit_stack`` pass per stack shape
(:mod:`initstudy.study._evaluate_many`; bitwise the scores of one configuration at a time,
each finished stack stored at once). For optuna-dashboard the stage writes a
*linked study* named ``"<study>.confirm"``: one trial per confirmed configuration (its
parameters, the confirmation mean as its value, user attributes ``search_trial``,
``selection_score``, ``seeds``, ``scores``). The linked study never feeds a sampler, so the
confirmation cannot steer the search; it is rebuilt from the stored rows on every run.

A study made before the test part existed has ``test_size = 0``: nothing is set aside, and
its confirmation scores fresh seeds on the search's validation split (the seeds are fresh,
the split is not: the reports say so).

With ``[seeds] vary`` the confirmation varies what the search varies, except the split: the
test part is one fixed set of rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import sys
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import optuna
from sklearn.model_selection import PredefinedSplit, ShuffleSplit, StratifiedShuffleSplit

from initstudy.exceptions import ConfigError, DataError, StorageError
from initstudy.storage import database_errors, display_url, live_trials
from initstudy.study._cache import StorageSeedCache, estimator_key_params
from initstudy.study._datasets import Dataset
from initstudy.study._evaluate import EvaluationResult, prepare_folds

__all__ = [
    "CONFIRM_SUFFIX",
    "confirm_study",
    "confirmation_trials",
    "search_part",
    "split_test_part",
    "test_rows",
]

#: The linked study of a study's confirmation is named ``study_name + CONFIRM_SUFFIX``.
CONFIRM_SUFFIX = ".confirm"


def _check_test_size(test_size: object) -> float:
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, float))
        or not 0.0 <= float(test_size) < 1.0
    ):
        raise ConfigError(
            "The 'test_size' parameter of split_test_part must be a float in [0, 1). "
            f"Got {test_size!r} instead."
        )
    return float(test_size)


def test_rows(dataset: Dataset, test_size: float, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The sorted (search rows, test rows) of a dataset (stratified for classification).

    Raises
    ------
    ConfigError
        For a ``test_size`` outside (0, 1).
    DataError
        When the data cannot give a test part of that size (e.g. a class of one row).
    """
    size = _check_test_size(test_size)
    if size == 0.0:
        raise ConfigError("The 'test_size' parameter must be in (0, 1). Got 0.0 instead.")
    stratify = dataset.task == "classification"
    cls = StratifiedShuffleSplit if stratify else ShuffleSplit
    splitter = cls(n_splits=1, test_size=size, random_state=split_seed)
    try:
        search, test = next(splitter.split(np.zeros((dataset.n_samples, 1)), dataset.y))
    except ValueError as e:
        raise DataError(
            f"Cannot set a test part of test_size={size!r} aside on this data "
            f"({dataset.n_samples} rows{', stratified by class' if stratify else ''}): {e} "
            "Use a smaller test_size, or test_size = 0 to set nothing aside."
        ) from None
    return np.sort(search), np.sort(test)


def _subset(dataset: Dataset, rows: np.ndarray, part: str, key: str) -> Dataset:
    """The rows of a dataset as a Dataset of its own (column plan kept; own fingerprint)."""
    X = dataset.X.iloc[rows].reset_index(drop=True) if hasattr(dataset.X, "iloc") else None
    if X is None:
        X = dataset.X[rows]
    digest = hashlib.sha256(f"{dataset.fingerprint}\0{part}\0{key}".encode()).hexdigest()
    return dataclasses.replace(
        dataset, X=X, y=dataset.y[rows], name=f"{dataset.name}:{part}", fingerprint=digest
    )


def split_test_part(
    dataset: Dataset, test_size: float = 0.2, split_seed: int = 0
) -> tuple[Dataset, Dataset | None]:
    """Set a test part aside that the search never sees.

    Parameters
    ----------
    dataset : Dataset
    test_size : float, default=0.2
        Fraction of rows in the test part; 0 sets nothing aside.
    split_seed : int, default=0
        Seeds the shuffle, so one study always gets the same parts.

    Returns
    -------
    search : Dataset
        The rows the search (and its K-fold validation) may use, in their original order;
        its fingerprint is derived from the whole dataset's, the size and the seed.
    test : Dataset or None
        The untouched rows (stratified by class for classification); None when
        ``test_size`` is 0 (and ``search`` is then ``dataset`` itself).

    Raises
    ------
    ConfigError
        For a ``test_size`` outside [0, 1).
    DataError
        When the data cannot give a test part of that size.
    """
    size = _check_test_size(test_size)
    if size == 0.0:
        return dataset, None
    search, test = test_rows(dataset, size, split_seed)
    key = f"test_size={size!r}|split_seed={split_seed}"
    return _subset(dataset, search, "search", key), _subset(dataset, test, "test", key)


def search_part(config: Any, dataset: Dataset) -> Dataset:
    """What the search of ``config`` sees: the dataset without its test part."""
    return split_test_part(dataset, config.test_size, config.split_seed)[0]


def confirmation_trials(
    study: optuna.Study, top: int | None = None
) -> list[optuna.trial.FrozenTrial]:
    """Each scheme's best complete search trial, best first (the ``top`` best schemes).

    The scheme is the trial's ``init`` parameter; a space that does not search ``init``
    has one "scheme", so its best trial is confirmed. Ties go to the earlier trial.
    """
    sign = -1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else 1.0
    complete = sorted(
        (
            t
            for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            if t.values and np.isfinite(t.values[0])
        ),
        key=lambda t: (sign * t.values[0], t.number),
    )
    best: dict[str, optuna.trial.FrozenTrial] = {}
    for trial in complete:
        best.setdefault(str(trial.params.get("init", "")), trial)
    chosen = list(best.values())
    return chosen if top is None else chosen[:top]


def _test_folds(dataset: Dataset, config: Any, preprocessing: Any) -> list[Any]:
    """One fold: train on the whole search part, score on the test part."""
    _, test = test_rows(dataset, config.test_size, config.split_seed)
    fold = np.full(dataset.n_samples, -1)
    fold[test] = 0
    return prepare_folds(
        dataset.X,
        dataset.y,
        task=dataset.task,
        validation=PredefinedSplit(fold),
        split_seed=config.split_seed,
        preprocessing=preprocessing,
    )


def _validation_key(config: Any, preprocessing: Any, on: str) -> str:
    if on == "test":
        where = f"test_size={config.test_size!r}|split_seed={config.split_seed}"
    else:  # no test part: the search's own validation split
        from initstudy.study._validation import validation_key

        where = validation_key(config.validation, config.split_seed)
    return f"confirm:{on}|{where}|preprocessing={preprocessing!r}|scoring={config.scoring!r}"


def confirm_study(
    config: Any, study: optuna.Study, *, progress: bool = False, wait: bool = False
) -> dict[int, EvaluationResult]:
    """Retrain each scheme's best search trial on fresh seeds; score it on the test part.

    Rows are stored with ``stage="confirm"``, ``trial_number`` = the search trial's number
    and ``fold = 0``; stored rows are reused, so a second call (after a kill) trains only
    what is missing (every configuration's missing seeds in shared stacks, with the scores
    of training each configuration alone). The study's user attribute ``confirm`` records what was confirmed
    (seeds, test rows, trials), and the linked study ``"<name>.confirm"`` shows it in
    optuna-dashboard.

    Parameters
    ----------
    config : StudyConfig
        The study's config (data, estimator, split seed, test size, confirmation seeds and
        ``confirm_top``); the study's stored ``test_size`` wins (0 for older studies).
    study : optuna.Study
        The search (finished or not: its complete trials so far are confirmed).
    progress : bool, default=False
        One line on stderr per confirmed configuration.
    wait : bool, default=False
        First wait while other live processes still run trials of the search (as
        ``initstudy run`` does: launchers of one study share its budget, and each confirms
        what the whole search found). Trials of dead workers are not waited for.

    Returns
    -------
    dict of int to EvaluationResult
        Keyed by the search trial's number, best selection score first.

    Raises
    ------
    ConfigError
        If the study has no complete trial, or for invalid settings.
    Interrupted
        On SIGINT/SIGTERM (inside ``interrupts_raise``), after the finished seeds were
        stored: running it again resumes.
    """
    from initstudy.study._run import _storage

    storage = _storage(config)
    if wait:
        _wait_for_live_trials(storage, study, progress)
    chosen = confirmation_trials(study, config.confirm_top)
    if not chosen:
        raise ConfigError(
            f"Study {study.study_name!r} has no complete trial to confirm; run the search "
            "first (initstudy run)."
        )
    with database_errors(display_url(storage.url), "store the confirmation in", runtime=False):
        return _confirm_on(config, study, chosen, storage, progress)


def _wait_for_live_trials(storage: Any, study: optuna.Study, progress: bool) -> None:
    """Sleep while trials of the search still run in other live processes."""
    told = False
    while live := live_trials(storage, study.study_name):
        if progress and not told:
            print(
                f"waiting for {len(live)} trial(s) still running in other processes ...",
                file=sys.stderr,
                flush=True,
            )
            told = True
        time.sleep(1.0)


def _confirm_on(
    config: Any, study: optuna.Study, chosen: list, storage: Any, progress: bool
) -> dict[int, EvaluationResult]:
    """confirm_study once the storage is open."""
    from initstudy.study._equivalence import study_space
    from initstudy.study._objective import Objective
    from initstudy.study._run import _load_data, _stored_space, stored_test_size

    config = config.replace(test_size=stored_test_size(storage, study.study_name, config))
    dataset = _load_data(config)
    search = search_part(config, dataset)
    space, _ = study_space(config, search)
    space = _stored_space(space, config, study)
    objective = Objective(config, search, space, storage)
    on = "test" if config.test_size > 0 else "validation"
    if on == "test":
        folds = _test_folds(dataset, config, objective.preprocessing)
        n_scored = int(round(len(folds[0].y_val)))
    else:
        folds = objective.folds(config.split_seed)
        n_scored = int(sum(len(f.y_val) for f in folds))
    seeds = config.confirm_seed_list
    validation = _validation_key(config, objective.preprocessing, on)
    estimators = [objective.build(space.suggest(optuna.trial.FixedTrial(t.params))) for t in chosen]
    caches = [
        StorageSeedCache(
            storage,
            study.study_name,
            trial.number,
            fingerprint=dataset.fingerprint,
            estimator_params=estimator_key_params(estimator),
            validation=validation,
            stage="confirm",
        )
        for trial, estimator in zip(chosen, estimators)
    ]
    report = _progress_line(chosen, len(seeds)) if progress else None
    found = _evaluate(objective, estimators, folds, seeds, caches, report)
    results = {trial.number: result for trial, result in zip(chosen, found)}
    summary = {
        "baseline": _baseline(objective, folds),
        "seeds": seeds,
        "on": on,
        "test_size": config.test_size,
        "n_scored": n_scored,
        "trials": [t.number for t in chosen],
        "study": study.study_name + CONFIRM_SUFFIX,
    }
    study.set_user_attr("confirm", summary)
    _link(storage, study, chosen, results, seeds)
    return results


def _progress_line(chosen: list, n_seeds: int) -> Any:
    """``on_result`` of the confirmation: one line on stderr per confirmed configuration."""

    def confirmed(i: int, result: EvaluationResult) -> None:
        trial = chosen[i]
        print(
            f"confirm {i + 1}/{len(chosen)}: trial {trial.number} "
            f"({trial.params.get('init', 'best')}): {result.value:.4f} over "
            f"{n_seeds} fresh seeds (selection score {trial.values[0]:.4f})",
            file=sys.stderr,
            flush=True,
        )

    return confirmed


def _baseline(objective: Any, folds: Any) -> float:
    """The score of a constant predictor (the majority class, or the mean) on the folds."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    from initstudy.study._evaluate import _make_scorer

    scorer = _make_scorer(objective.config.scoring)
    scores = []
    for fold in folds:
        if objective.dataset.task == "classification":
            dummy: Any = DummyClassifier(strategy="prior")
        else:
            dummy = DummyRegressor(strategy="mean")
        dummy.fit(np.zeros((len(fold.y_train), 1)), fold.y_train)
        scores.append(scorer(dummy, np.zeros((len(fold.y_val), 1)), fold.y_val))
    return float(np.mean(scores))


def _evaluate(
    objective: Any,
    estimators: list[Any],
    folds: Any,
    seeds: list[int],
    caches: list[Any],
    on_result: Any,
) -> list[EvaluationResult]:
    """Every configuration x seed missing from storage, trained together in shared stacks."""
    from initstudy.study._evaluate_many import evaluate_many

    config = objective.config
    return evaluate_many(
        estimators,
        folds,
        seeds=seeds,
        caches=caches,
        scoring=config.scoring,
        aggregate=config.aggregate,
        penalty=config.penalty,
        on_result=on_result,
    )


def _link(
    storage: Any,
    study: optuna.Study,
    chosen: list[optuna.trial.FrozenTrial],
    results: Mapping[int, EvaluationResult],
    seeds: list[int],
) -> None:
    """(Re)write the linked study that shows the confirmation in optuna-dashboard.

    Safe when several launchers of one study confirm at once: the study carries a
    signature (the confirmed search trials and their scores); a process that finds the
    same signature leaves it (waiting while another process is still adding its trials),
    and one that loses a race with a concurrent rewrite tries again.
    """
    name = study.study_name + CONFIRM_SUFFIX
    signature = [[t.number, float(results[t.number].value)] for t in chosen]
    for _ in range(_LINK_TRIES):
        try:
            if _linked_already(storage, name, signature):
                return
            _write_link(storage, study, name, signature, chosen, results, seeds)
            return
        except (KeyError, optuna.exceptions.DuplicatedStudyError):
            time.sleep(random.uniform(0.1, 0.5))  # another process rewrote it meanwhile
    raise StorageError(
        f"Could not write the linked study {name!r}: other processes kept rewriting it. "
        "The confirmation is stored; run `initstudy confirm` again to rewrite its view."
    )


_LINK_TRIES = 20
_LINK_WAIT_SECONDS = 30.0


def _linked_already(storage: Any, name: str, signature: list) -> bool:
    """Whether ``name`` holds exactly this confirmation (waiting for a writer to finish)."""
    deadline = time.monotonic() + _LINK_WAIT_SECONDS
    while name in optuna.get_all_study_names(storage):
        linked = optuna.load_study(study_name=name, storage=storage)
        if linked.user_attrs.get("signature") != signature:
            optuna.delete_study(study_name=name, storage=storage)
            return False
        if len(linked.get_trials(deepcopy=False)) >= len(signature):
            return True
        if time.monotonic() > deadline:  # its writer died half way: write it again
            optuna.delete_study(study_name=name, storage=storage)
            return False
        time.sleep(0.2)
    return False


def _write_link(
    storage: Any,
    study: optuna.Study,
    name: str,
    signature: list,
    chosen: list[optuna.trial.FrozenTrial],
    results: Mapping[int, EvaluationResult],
    seeds: list[int],
) -> None:
    linked = optuna.create_study(
        study_name=name, storage=storage, direction=study.directions[0].name.lower()
    )
    linked.set_user_attr("signature", signature)
    linked.set_user_attr("confirm_of", study.study_name)
    linked.set_user_attr(
        "note",
        f"Confirmation of study {study.study_name!r}: each trial is the best search trial "
        f"of a scheme, retrained on {len(seeds)} fresh seeds; never used by a sampler.",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        linked.set_metric_names([f"{(study.metric_names or ['score'])[0]} (confirmation)"])
    for trial in chosen:
        result = results[trial.number]
        linked.add_trial(
            optuna.trial.create_trial(
                params=trial.params,
                distributions=trial.distributions,
                value=float(result.value),
                user_attrs={
                    **result.user_attrs(),
                    "search_trial": trial.number,
                    "selection_score": float(trial.values[0]),
                    "seeds": list(result.seeds),
                    "scores": [float(v) for v in result.seed_scores()],
                },
            )
        )
