"""``InitSearchCV``: a GridSearchCV-style search of the initialization, over seeds and folds."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import assert_all_finite, get_tags, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from initstudy.exceptions import ConfigError
from initstudy.study._search_cv_fit import EstimatorLayout, final_step
from initstudy.study._search_cv_honest import (
    CONFIRM_SEED_OFFSET,
    budget_of,
    confirm_schemes,
    run_trials,
    search_families,
)
from initstudy.study._search_cv_objective import SearchObjective
from initstudy.study._search_cv_params import validate_search_params
from initstudy.study._search_cv_results import build_cv_results, resolve_space
from initstudy.study._search_cv_study import (
    diverged_score,
    finished_trials,
    open_study,
    optuna_verbosity,
    raise_or_warn_failures,
    trials_to_run,
)

__all__ = ["InitSearchCV"]


def _search_estimator_has(attr: str) -> Callable[[InitSearchCV], bool]:
    """available_if check: the refit best estimator (or, before fit, the estimator) has it."""

    def check(self: InitSearchCV) -> bool:
        if not self.refit:
            raise AttributeError(
                f"{attr} is not available: this InitSearchCV has refit=False, so it holds no "
                "best_estimator_. Set refit=True, or fit an estimator with best_params_."
            )
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator, attr)
        return True

    return check


def _trial_params(space: Any, layout: EstimatorLayout, trial: FrozenTrial) -> dict[str, Any]:
    """A trial's estimator parameters; {} for an unfinished trial whose draw was cut short
    (e.g. one killed before its parameters were drawn, failed on resume)."""
    try:
        return layout.address(space.estimator_params(trial.params))
    except ConfigError:
        if trial.state == TrialState.COMPLETE:
            raise
        return {}


class InitSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Search an estimator's initialization (and other parameters) over seeds and CV folds.

    A meta-estimator in the style of :class:`~sklearn.model_selection.GridSearchCV`: an
    Optuna study draws the parameters of each trial from ``space``; each trial trains every
    CV split from every seed (the same seeds for every trial, so trials compare seed for
    seed) and scores each fit on the split's test part. A trial's value is the aggregate over
    seeds of the per-seed scores (each the mean over folds).

    The preprocessing steps of a Pipeline are fitted once per split; the final step is
    trained from all seeds at once with :func:`initstudy.mlp.fit_seeds` when it is an
    initstudy MLP, or cloned once per seed (``random_state`` = the seed) otherwise.

    Parameters
    ----------
    estimator : estimator
        An initstudy ``MLPClassifier``/``MLPRegressor``, a Pipeline ending in one (possibly
        nested), or any scikit-learn estimator (or Pipeline ending in one) with a
        ``random_state`` parameter. The final estimator's ``random_state`` is set to each seed.
    space : str, path, dict, SearchSpace or dict of optuna distributions, default="keras"
        What each trial draws: a preset name, a TOML path, a space dict or a
        :class:`~initstudy.searchspaces.SearchSpace` (see
        :func:`~initstudy.searchspaces.get_space`), or a dict mapping parameter names to
        ``optuna.distributions`` objects. Names written for the bare final estimator
        (``init``) are addressed to it inside a Pipeline (``mlp__init``); full names
        (``mlp__alpha``, ``scaler__with_mean``) are used as they are.
    n_trials : int, default=30
        Trials to finish (complete or pruned). When resuming a stored study, trials already
        finished count.
    n_seeds : int, default=5
        Seeds per trial: ``random_state + i`` for ``i`` in ``range(n_seeds)`` (``random_state``
        None counts as 0, so the default seeds 0..4 match ``initstudy run``).
    cv : int, CV splitter or iterable, default=3
        As in GridSearchCV: an int gives (Stratified)KFold without shuffling.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or ``scorer(estimator, X, y)``; None uses the estimator's
        ``score``. Greater is better.
    aggregate : {"mean", "median", "iqm", "ci_low"}, default="mean"
        How per-seed scores make the trial's value (``ci_low``: lower end of the 95% CI).
    sampler : optuna.samplers.BaseSampler or None, default=None
        None: ``TPESampler(seed=random_state)``, or ``GridSampler`` for a grid space. A
        given sampler is copied at each fit, so fitting twice draws the same trials.
    budget : {"per-scheme", "sampler"}, default="per-scheme"
        "per-scheme": on a non-grid space with a categorical ``init``, every scheme gets the
        same number of trials (within one): each trial is queued with the scheme that holds
        the fewest, and the sampler draws the other parameters. The best of many draws beats
        the best of few by luck alone, so unequal budgets favour the sampler's early
        favourite. "sampler": the sampler draws the scheme too (plain TPE).
    confirm_seeds : int, default=0
        With N > 0, after the search each scheme's best trial is trained again from N seeds
        the search never used (``random_state + 10000 + i``) on the same splits:
        ``confirm_results_``. The search's own best scores are optimistic (the best of many
        draws, on the seeds that chose them); compare schemes on the confirmation. Its
        per-seed rows are stored (``stage="confirm"``) with a storage.
    pruner : optuna.pruners.BasePruner or None, default=None
        With a pruner, seeds are trained one at a time (one seed on every split, then the
        next) and each seed's score is reported (step = seed index), so e.g.
        ``optuna.pruners.WilcoxonPruner`` stops a hopeless trial early. Without one, all seeds
        train together (faster) and are reported afterwards.
    storage : str, path, optuna RDBStorage or None, default=None
        None keeps the study in memory. A URL (``"sqlite:///search.db"``) makes the search a
        stored initstudy study: registered with the data fingerprint and the configuration,
        one row per (trial, seed, fold), readable by ``initstudy report`` and the dashboard;
        stored (seed, fold) results of identical runs are reused instead of trained again.
    study_name : str or None, default=None
        None gives a fresh name at every fit (``initsearchcv-<time>-<random>``), so a second
        fit never adds trials to the first fit's study. A name with a storage resumes that
        study (its configuration must match, else ``StudyConflictError``); trials left running
        by a killed fit are failed and their parameters run again.
    refit : bool, default=True
        Refit the best parameters on all the data with the first seed (``best_seed_``), not
        the seed that scored best: the differences between seeds are noise, and a lucky seed
        keeps no luck on other data.
    random_state : int or None, default=None
        Offset of the seeds and seed of the default sampler (None: unseeded sampler).
    n_jobs : int or None, default=None
        Processes (joblib) running the CV splits of a seed batch in parallel; None or 1 runs
        them here. Trials stay sequential (each trial's sampler sees the previous ones), and
        only this process writes to the storage. Worth it only when one split trains for
        seconds and cores are free: starting the workers and copying the data cost seconds.
        ``joblib.parallel_config(backend="threading")`` switches to threads.
    error_score : "raise" or float, default=nan
        Score of a fit (or score) that raises; "raise" re-raises. A diverged seed scores the
        metric's worst value when known (0 for accuracy, -1 for R^2), else ``error_score``.
    verbose : int, default=0
        0: quiet; 1 or more: Optuna's log line per trial. The search's own fits never warn
        (a ConvergenceWarning from each of the n_seeds x n_splits fits of every trial is
        noise; diverged seeds are counted in ``n_diverged``); the refit's warnings show.

    Equivalent schemes: with an initstudy MLP as the final step and a non-grid space with a
    categorical ``init``, schemes that draw the same networks on this fit's layers up to the
    searched scale (``he_uniform`` at s is ``lecun_uniform`` at s*sqrt(2); ``constant`` 0 is
    ``zeros``) are searched once, under the first name (``scheme_aliases_``).

    Attributes
    ----------
    cv_results_ : dict of ndarray
        One entry per finished trial: ``params``, ``param_<name>`` (masked where a trial
        lacks it), ``split<k>_test_score`` (mean over seeds), ``seed<i>_test_score`` (mean
        over folds of seed ``seeds_[i]``), ``mean_test_score``, ``std_test_score`` (over
        seeds), ``ci_low_test_score``/``ci_high_test_score`` (95% t-interval over seeds),
        ``aggregate_test_score`` (the trial's value; NaN unless complete),
        ``rank_test_score`` (by the aggregate), ``n_diverged``, ``mean_fit_time``,
        ``std_fit_time``, ``mean_score_time``, ``std_score_time`` (per split: preprocessing
        plus all seeds), ``trial_number`` and ``state``. Loads into ``pandas.DataFrame``.
    best_index_ : int
        Row of the best trial in ``cv_results_``.
    best_params_ : dict
        The best trial's parameters, addressed to the estimator:
        ``clone(estimator).set_params(**best_params_)`` works.
    best_score_ : float
        The best trial's aggregate score.
    best_seed_ : int
        The seed of the refit (the first seed).
    best_estimator_ : estimator
        The estimator refit on all data (``refit=True`` only).
    refit_time_ : float
        Seconds of the refit.
    seeds_ : list of int
        The seeds of every trial.
    study_ : optuna.Study
        The Optuna study (in memory, or in ``storage`` under ``study_name_``).
    study_name_ : str
        The study's name.
    scorer_ : callable
        The scorer used.
    n_splits_ : int
        Number of CV splits.
    multimetric_ : bool
        Always False.
    budget_ : str
        The budget used: "per-scheme", or "sampler" (asked, or where per-scheme does not apply).
    scheme_aliases_ : dict of str to list of str
        Searched scheme -> the equivalent schemes left out of the search ({} when none).
    confirm_results_ : dict of ndarray
        ``confirm_seeds > 0`` only. One row per scheme (its best search trial), best
        confirmation mean first: ``scheme``, ``aliases``, ``params``, ``trial_number``,
        ``selection_score`` (the search's aggregate, optimistic), ``seed<i>_test_score``
        (mean over folds of confirmation seed ``confirm_seeds_[i]``; a diverged seed scores the
        penalty), ``mean_test_score``, ``std_test_score``, ``ci_low_test_score``,
        ``ci_high_test_score`` (95% interval over seeds), ``n_diverged`` and
        ``rank_test_score``. The ranks order the means; whether a difference is real is a
        paired test's call: ``initstudy.reports.best_group`` on the seed columns (stacked
        as seeds x schemes) gives the schemes not distinguishable from the best.
    confirm_seeds_ : list of int
        The confirmation seeds ([] when ``confirm_seeds=0``).
    n_features_in_, feature_names_in_, classes_
        Those of ``best_estimator_``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from initstudy.mlp import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier((16,), tol=1e-2))
    >>> space = {"params": {"init": ["he_normal", "orthogonal"],
    ...                     "init_scale": {"low": 0.5, "high": 2.0, "log": True}}}
    >>> search = InitSearchCV(pipe, space, n_trials=3, n_seeds=2, random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['mlpclassifier__init', 'mlpclassifier__init_scale']
    >>> search.cv_results_["seed1_test_score"].shape
    (3,)
    """

    def __init__(
        self,
        estimator: Any,
        space: Any = "keras",
        *,
        n_trials: int = 30,
        n_seeds: int = 5,
        cv: Any = 3,
        scoring: str | Callable[..., float] | None = None,
        aggregate: str = "mean",
        sampler: optuna.samplers.BaseSampler | None = None,
        budget: str = "per-scheme",
        confirm_seeds: int = 0,
        pruner: optuna.pruners.BasePruner | None = None,
        storage: Any = None,
        study_name: str | None = None,
        refit: bool = True,
        random_state: int | None = None,
        n_jobs: int | None = None,
        error_score: float | str = np.nan,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.space = space
        self.n_trials = n_trials
        self.n_seeds = n_seeds
        self.cv = cv
        self.scoring = scoring
        self.aggregate = aggregate
        self.sampler = sampler
        self.budget = budget
        self.confirm_seeds = confirm_seeds
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.refit = refit
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        tags.input_tags = copy.deepcopy(inner.input_tags)
        return tags

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, groups: Any = None) -> InitSearchCV:
        """Run the search, then refit the best parameters on all data (``refit=True``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, passed to the estimator as it is (a DataFrame keeps its columns).
        y : array-like of shape (n_samples,)
            Targets.
        groups : array-like of shape (n_samples,), optional
            Group labels for a group-aware ``cv`` splitter (e.g. ``GroupKFold``). Other fit
            parameters (``sample_weight``) are not routed.

        Returns
        -------
        self : InitSearchCV

        Raises
        ------
        ConfigError
            For an invalid parameter, a space naming parameters the estimator lacks, or when
            every fit of every trial failed.
        StudyConflictError
            When resuming a stored study made with another configuration or data.
        """
        validate_search_params(self)
        if y is None and self.__sklearn_tags__().target_tags.required:
            raise ConfigError(
                f"InitSearchCV of a {type(final_step(self.estimator)).__name__} requires y to be "
                "passed, but the target y is None."
            )
        X, y = indexable(X, y)
        if np.asarray(y).dtype.kind == "f":  # before check_cv casts the labels
            assert_all_finite(np.asarray(y), input_name="y")
        space = resolve_space(self.space)
        self.seeds_ = [(self.random_state or 0) + i for i in range(self.n_seeds)]
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        self.scorer_ = check_scoring(self.estimator, self.scoring)
        self.multimetric_ = False
        searched, families = search_families(self.estimator, space, X, y, splits)
        self.scheme_aliases_ = dict(families.aliases) if families is not None else {}
        if families is not None and families.line() and self.verbose:
            print(families.line())
        self.budget_ = budget_of(self.budget, searched)
        objective = self._objective(X, y, splits, searched)
        with optuna_verbosity(self.verbose):
            self.study_ = open_study(self, space, X, y, splits, cv, objective)
            self.study_name_ = self.study_.study_name
            n_trials = trials_to_run(self.study_, self.n_trials)
            run_trials(self.study_, objective, n_trials, searched, self.budget_)
        self._store_results(space)
        self._confirm(objective, space)
        if self.refit:
            self._refit(X, y)
        return self

    def _objective(self, X: Any, y: Any, splits: list, space: Any) -> SearchObjective:
        """The trial objective of this fit."""
        return SearchObjective(
            estimator=self.estimator,
            X=X,
            y=y,
            splits=splits,
            seeds=self.seeds_,
            space=space,
            scorer=self.scorer_,
            aggregate=self.aggregate,
            error_score=self.error_score,
            diverged_score=diverged_score(self.estimator, self.scoring, self.error_score),
            layout=EstimatorLayout.of(self.estimator),
            seed_by_seed=self.pruner is not None,
            n_jobs=self.n_jobs,
        )

    def _store_results(self, space: Any) -> None:
        """``cv_results_`` and the best trial, from the study's finished trials."""
        trials = finished_trials(self.study_)
        raise_or_warn_failures(trials, self.error_score)
        layout = EstimatorLayout.of(self.estimator)
        params = [_trial_params(space, layout, t) for t in trials]
        self.cv_results_ = build_cv_results(trials, params, self.n_seeds, self.n_splits_)
        values = self.cv_results_["aggregate_test_score"]
        self.best_index_ = int(np.nanargmax(values))
        self.best_params_ = dict(params[self.best_index_])
        self.best_score_ = float(values[self.best_index_])
        self.best_seed_ = self.seeds_[0]

    def _confirm(self, objective: SearchObjective, space: Any) -> None:
        """``confirm_results_``: each scheme's best trial on fresh seeds (confirm_seeds > 0)."""
        offset = (self.random_state or 0) + CONFIRM_SEED_OFFSET
        self.confirm_seeds_ = [offset + i for i in range(self.confirm_seeds)]
        if not self.confirm_seeds:
            return
        layout = EstimatorLayout.of(self.estimator)
        self.confirm_results_ = confirm_schemes(
            self.study_,
            objective,
            self.confirm_seeds_,
            lambda trial: _trial_params(space, layout, trial),
            self.scheme_aliases_,
        )
        self.study_.set_user_attr(
            "confirm",
            {
                "seeds": list(self.confirm_seeds_),
                "on": "validation",
                "n_scored": int(sum(len(test) for _, test in objective.splits)),
                "trials": [int(n) for n in self.confirm_results_["trial_number"]],
            },
        )

    def _refit(self, X: Any, y: Any) -> None:
        """Fit the best parameters on all data with the first seed."""
        estimator = clone(self.estimator).set_params(**self.best_params_)
        estimator.set_params(**{EstimatorLayout.of(self.estimator).seed_param: self.best_seed_})
        start = time.perf_counter()
        self.best_estimator_ = estimator.fit(X, y)
        self.refit_time_ = time.perf_counter() - start

    # -- delegation ------------------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "cv_results_")

    def _best(self) -> Any:
        check_is_fitted(self)
        return self.best_estimator_

    @available_if(_search_estimator_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        """Predict with ``best_estimator_``."""
        return self._best().predict(X)

    @available_if(_search_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from ``best_estimator_``."""
        return self._best().predict_proba(X)

    @available_if(_search_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities from ``best_estimator_``."""
        return self._best().predict_log_proba(X)

    @available_if(_search_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of ``best_estimator_``."""
        return self._best().decision_function(X)

    @available_if(_search_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform with ``best_estimator_``."""
        return self._best().transform(X)

    @available_if(_search_estimator_has("score"))
    def score(self, X: Any, y: Any = None) -> float:
        """Score ``best_estimator_`` on (X, y) with ``scorer_`` (the search's scoring)."""
        return float(self.scorer_(self._best(), X, y))

    @property
    def classes_(self) -> np.ndarray:
        """Class labels of ``best_estimator_``."""
        return self._best().classes_

    @property
    def n_features_in_(self) -> int:
        """Number of features seen by ``best_estimator_``."""
        return self._best().n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Feature names seen by ``best_estimator_`` (DataFrame input only)."""
        return self._best().feature_names_in_
