"""InitSearchCV: the estimator checks, pipelines, cv_results_, storage, resume, reports."""

from __future__ import annotations

import warnings

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from initstudy.exceptions import ConfigError, StudyConflictError
from initstudy.mlp import MLPClassifier, MLPRegressor
from initstudy.storage import load_seed_runs
from initstudy.study import InitSearchCV

#: A two-scheme space, small enough for many fits.
SPACE = {
    "params": {
        "init": ["he_normal", "glorot_uniform"],
        "init_scale": {"low": 0.5, "high": 2.0, "log": True},
    }
}


def small_mlp(cls: type = MLPClassifier, **kwargs: object) -> object:
    params = {"hidden_layer_sizes": (16,), "max_iter": 40, "learning_rate_init": 0.01}
    return cls(**{**params, **kwargs})


def small_search(estimator: object, space: object = SPACE, **kwargs: object) -> InitSearchCV:
    params = {"n_trials": 2, "n_seeds": 2, "cv": 2, "random_state": 0}
    return InitSearchCV(estimator, space, **{**params, **kwargs})


def quiet_fit(search: InitSearchCV, X: object, y: object) -> InitSearchCV:
    """Fit, ignoring the refit's ConvergenceWarning (few epochs on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    keep = np.random.default_rng(0).permutation(len(y))[:90]
    return StandardScaler().fit_transform(X[keep]), y[keep]


@pytest.fixture(scope="module")
def mixed() -> tuple[pd.DataFrame, np.ndarray]:
    """A mixed-type table: two numeric columns on different scales and a category."""
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "price": rng.normal(size=n) * 100.0 + 500.0,
            "color": rng.choice(["red", "green", "blue"], n),
        }
    )
    y = ((frame["size"] + (frame["color"] == "red")) > 0.5).astype(int).to_numpy()
    return frame, y


def mixed_pipeline(**mlp: object) -> Pipeline:
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "price"]),
            ("cat", OneHotEncoder(), ["color"]),
        ]
    )
    return Pipeline([("pre", columns), ("mlp", small_mlp(**mlp))])


# -- scikit-learn's estimator checks ------------------------------------------------------------
# error_score="raise", as scikit-learn checks its own GridSearchCV: the checks expect the inner
# estimator's input errors to come out of fit.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        small_search(small_mlp(), error_score="raise"),
        small_search(small_mlp(MLPRegressor), error_score="raise"),
        small_search(
            Pipeline([("scale", StandardScaler()), ("mlp", small_mlp())]), error_score="raise"
        ),
    ]
)
def test_sklearn_estimator_checks(estimator: InitSearchCV, check: object) -> None:
    check(estimator)


# -- a stored search of a Pipeline on a mixed DataFrame ------------------------------------------
@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, mixed: tuple) -> tuple[InitSearchCV, str]:
    """Pipeline(ColumnTransformer(scaler, one-hot), our MLP) searched, stored in SQLite."""
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
    search = small_search(mixed_pipeline(), n_trials=3, n_seeds=3, cv=3, storage=url)
    return quiet_fit(search, *mixed), url


def test_pipeline_on_mixed_dataframe(stored: tuple, mixed: tuple) -> None:
    search, _ = stored
    X, y = mixed
    assert set(search.best_params_) == {"mlp__init", "mlp__init_scale"}
    assert search.best_params_["mlp__init"] in ("he_normal", "glorot_uniform")
    assert list(search.feature_names_in_) == ["size", "price", "color"]
    assert search.n_features_in_ == 3
    assert list(search.classes_) == [0, 1]
    assert search.n_splits_ == 3 and search.seeds_ == [0, 1, 2]
    assert search.predict(X).shape == (len(y),)
    assert search.predict_proba(X).shape == (len(y), 2)
    assert search.score(X, y) > 0.6
    assert search.multimetric_ is False and search.refit_time_ > 0


def test_cv_results_frame(stored: tuple) -> None:
    search, _ = stored
    frame = pd.DataFrame(search.cv_results_)
    assert len(frame) == 3
    for key in (
        "params",
        "param_mlp__init",
        "param_mlp__init_scale",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "split0_test_score",
        "split2_test_score",
        "seed0_test_score",
        "seed2_test_score",
        "ci_low_test_score",
        "ci_high_test_score",
        "mean_fit_time",
        "std_fit_time",
        "mean_score_time",
        "std_score_time",
    ):
        assert key in frame.columns, key
    seeds = frame[[f"seed{i}_test_score" for i in range(3)]].to_numpy()
    splits = frame[[f"split{k}_test_score" for k in range(3)]].to_numpy()
    np.testing.assert_allclose(seeds.mean(axis=1), frame["mean_test_score"])
    np.testing.assert_allclose(splits.mean(axis=1), frame["mean_test_score"])
    np.testing.assert_allclose(seeds.std(axis=1, ddof=1), frame["std_test_score"])
    assert (frame["ci_low_test_score"] <= frame["mean_test_score"]).all()
    assert frame.loc[search.best_index_, "rank_test_score"] == 1
    assert search.best_score_ == frame["mean_test_score"].max()
    assert search.best_params_ == frame.loc[search.best_index_, "params"]


def test_seed_columns_match_stored_rows(stored: tuple) -> None:
    search, url = stored
    runs = load_seed_runs(url, search.study_name_)
    assert len(runs) == 3 * 3 * 3  # trials x seeds x folds
    assert runs["error"].isna().all() and not runs["diverged"].any()
    per_seed = runs.groupby(["trial_number", "seed"])["score"].mean().unstack("seed")
    results = pd.DataFrame(search.cv_results_).set_index("trial_number")
    for index, seed in enumerate(search.seeds_):
        np.testing.assert_allclose(
            per_seed.loc[results.index, seed], results[f"seed{index}_test_score"]
        )
    per_fold = runs.groupby(["trial_number", "fold"])["score"].mean().unstack("fold")
    np.testing.assert_allclose(per_fold.loc[results.index, 1], results["split1_test_score"])


def test_refit_equals_manual_fit(stored: tuple, mixed: tuple) -> None:
    search, _ = stored
    X, y = mixed
    manual = clone(mixed_pipeline()).set_params(
        **search.best_params_, mlp__random_state=search.best_seed_
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        manual.fit(X, y)
    np.testing.assert_array_equal(manual.predict_proba(X), search.predict_proba(X))


def test_stored_search_is_a_study(stored: tuple) -> None:
    search, url = stored
    study = optuna.load_study(study_name=search.study_name_, storage=url)
    assert len(study.trials) == 3
    best = study.best_trial
    assert best.user_attrs["mean"] == pytest.approx(search.best_score_)
    assert sorted(best.intermediate_values) == [0, 1, 2]
    assert study.metric_names == ["accuracy, mean of 3 seeds"]


def test_persisted_search_is_listed_by_the_cli(
    stored: tuple, capsys: pytest.CaptureFixture
) -> None:
    from initstudy.cli import main

    search, url = stored
    assert main(["studies", "--storage", url]) == 0
    assert search.study_name_ in capsys.readouterr().out
    assert main(["show", search.study_name_, "--storage", url]) == 0
    assert search.best_params_["mlp__init"] in capsys.readouterr().out


def test_persisted_search_reopens_in_cli_report(
    stored: tuple, capsys: pytest.CaptureFixture
) -> None:
    from initstudy.cli import COMMANDS, main

    if "report" not in COMMANDS:
        pytest.skip("the reports engineer's `initstudy report` command is not in the CLI yet")
    search, url = stored
    assert main(["report", search.study_name_, "--storage", url]) == 0
    out = capsys.readouterr().out
    assert search.best_params_["mlp__init"] in out


def test_persisted_search_reopens_in_report(stored: tuple) -> None:
    from initstudy.reports import scheme_table

    search, url = stored
    table = scheme_table(url, search.study_name_)
    assert set(table["scheme"]) <= {"he_normal", "glorot_uniform"}
    best = table.loc[table["rank"] == 1].iloc[0]
    assert best["mean"] == pytest.approx(search.best_score_)


# -- studies: fresh per fit, resumed by name ----------------------------------------------------
def test_fitting_twice_makes_two_studies(tmp_path: object, iris: tuple) -> None:
    url = f"sqlite:///{tmp_path}/twice.db"
    search = small_search(small_mlp(), storage=url)
    first = quiet_fit(search, *iris).study_name_
    second = quiet_fit(search, *iris).study_name_
    assert first != second
    assert sorted(optuna.get_all_study_names(url)) == sorted([first, second])
    for name in (first, second):
        assert len(optuna.load_study(study_name=name, storage=url).trials) == 2


def test_fitting_twice_in_memory_is_reproducible(iris: tuple) -> None:
    search = small_search(small_mlp())
    first = pd.DataFrame(quiet_fit(search, *iris).cv_results_)
    study = search.study_
    second = pd.DataFrame(quiet_fit(search, *iris).cv_results_)
    assert len(study.trials) == 2 and search.study_ is not study
    pd.testing.assert_series_equal(first["mean_test_score"], second["mean_test_score"])
    assert list(first["params"]) == list(second["params"])


def test_given_name_and_storage_resumes(storage_url: str, iris: tuple) -> None:
    url = storage_url
    quiet_fit(small_search(small_mlp(), storage=url, study_name="mine"), *iris)
    search = quiet_fit(small_search(small_mlp(), storage=url, study_name="mine", n_trials=3), *iris)
    assert search.study_name_ == "mine"
    assert len(search.study_.trials) == 3
    assert list(search.cv_results_["trial_number"]) == [0, 1, 2]
    assert len(load_seed_runs(url, "mine")) == 3 * 2 * 2


def test_resume_with_other_settings_is_refused(tmp_path: object, iris: tuple) -> None:
    url = f"sqlite:///{tmp_path}/conflict.db"
    quiet_fit(small_search(small_mlp(), storage=url, study_name="mine"), *iris)
    with pytest.raises(StudyConflictError, match="seeds.*study_name=None"):
        quiet_fit(small_search(small_mlp(), storage=url, study_name="mine", n_seeds=3), *iris)


def test_stored_runs_are_reused(tmp_path: object, iris: tuple) -> None:
    """Same data, splits, parameters and seeds in a second study: rows reused, same scores."""
    url = f"sqlite:///{tmp_path}/cache.db"
    first = quiet_fit(small_search(small_mlp(), storage=url), *iris)
    second = quiet_fit(small_search(small_mlp(), storage=url), *iris)
    np.testing.assert_array_equal(
        first.cv_results_["mean_test_score"], second.cv_results_["mean_test_score"]
    )
    rows = load_seed_runs(url, second.study_name_)
    assert len(rows) == 2 * 2 * 2
    assert set(rows["run_key"]) == set(load_seed_runs(url, first.study_name_)["run_key"])


# -- any estimator with random_state -------------------------------------------------------------
def test_sklearn_mlp_with_distributions(iris: tuple) -> None:
    space = {
        "alpha": FloatDistribution(1e-4, 1e-1, log=True),
        "activation": CategoricalDistribution(["relu", "tanh"]),
    }
    search = small_search(SkMLPClassifier(hidden_layer_sizes=(8,), max_iter=50), space)
    quiet_fit(search, *iris)
    assert set(search.best_params_) == {"alpha", "activation"}
    frame = pd.DataFrame(search.cv_results_)
    assert frame["seed0_test_score"].notna().all()
    assert not np.allclose(frame["seed0_test_score"], frame["seed1_test_score"])
    expected = clone(search.estimator).set_params(**search.best_params_, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected.fit(*iris)
    np.testing.assert_array_equal(expected.predict(iris[0]), search.predict(iris[0]))


def test_space_names_for_the_bare_sklearn_estimator_in_a_pipeline(iris: tuple) -> None:
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", SkMLPClassifier(hidden_layer_sizes=(8,), max_iter=50)),
        ]
    )
    space = {"params": {"alpha": {"low": 1e-4, "high": 1e-1, "log": True}}}
    search = quiet_fit(small_search(pipe, space), *iris)
    assert list(search.best_params_) == ["net__alpha"]


class CountingScaler(TransformerMixin, BaseEstimator):
    """A StandardScaler stand-in that counts its fits (class-level, across clones)."""

    fits = 0

    def fit(self, X: np.ndarray, y: object = None) -> CountingScaler:
        type(self).fits += 1
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X) - self.mean_


@pytest.mark.parametrize(
    "final", [small_mlp(), SkMLPClassifier(hidden_layer_sizes=(4,), max_iter=20)]
)
def test_nested_pipeline_fits_preprocessing_once_per_split(iris: tuple, final: object) -> None:
    inner = Pipeline([("center", CountingScaler()), ("mlp", final)])
    outer = Pipeline([("scale", StandardScaler()), ("model", inner)])
    space = {"init": CategoricalDistribution(["he_normal", "orthogonal"])}
    if isinstance(final, SkMLPClassifier):
        space = {"alpha": FloatDistribution(1e-4, 1e-2, log=True)}
    CountingScaler.fits = 0
    search = quiet_fit(small_search(outer, space, n_seeds=3), *iris)
    assert CountingScaler.fits == 2 * 2 + 1  # trials x splits, then the refit
    assert list(search.best_params_) == [f"model__mlp__{name}" for name in space]


# -- pruning, failures, parallel splits ----------------------------------------------------------
class PruneAfterFirstTrial(optuna.pruners.BasePruner):
    """Prunes every trial but the first after its first seed."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.number > 0


def test_pruner_sees_each_seed(iris: tuple) -> None:
    search = quiet_fit(small_search(small_mlp(), n_seeds=3, pruner=PruneAfterFirstTrial()), *iris)
    states = [t.state for t in search.study_.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED]
    assert sorted(search.study_.trials[0].intermediate_values) == [0, 1, 2]
    assert sorted(search.study_.trials[1].intermediate_values) == [0]
    frame = pd.DataFrame(search.cv_results_)
    assert list(frame["state"]) == ["COMPLETE", "PRUNED"]
    assert list(frame["rank_test_score"]) == [1, 2]
    assert np.isnan(frame.loc[1, "seed1_test_score"])
    assert not np.isnan(frame.loc[1, "seed0_test_score"])
    assert search.best_index_ == 0


def test_wilcoxon_pruner_runs(iris: tuple) -> None:
    with warnings.catch_warnings():  # experimental in Optuna 5
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        pruner = optuna.pruners.WilcoxonPruner(p_threshold=0.5)
    search = quiet_fit(small_search(small_mlp(), n_trials=3, n_seeds=3, pruner=pruner), *iris)
    assert len(search.cv_results_["params"]) == 3


def test_failed_fits_score_error_score_and_warn(iris: tuple) -> None:
    space = {"activation": CategoricalDistribution(["relu", "no_such_activation"])}
    sampler = optuna.samplers.GridSampler({"activation": ["relu", "no_such_activation"]}, seed=0)
    search = small_search(small_mlp(), space, sampler=sampler)
    with pytest.warns(FitFailedWarning, match="no_such_activation"):
        quiet_fit(search, *iris)
    frame = pd.DataFrame(search.cv_results_).set_index("param_activation")
    assert frame.loc["no_such_activation", "state"] == "FAIL"
    assert np.isnan(frame.loc["no_such_activation", "mean_test_score"])
    assert search.best_params_ == {"activation": "relu"}
    search.set_params(error_score="raise")
    with pytest.raises(ValueError, match="no_such_activation"):
        quiet_fit(search, *iris)


def test_every_fit_failing_is_an_error(iris: tuple) -> None:
    space = {"activation": CategoricalDistribution(["no_such_activation"])}
    with pytest.raises(ConfigError, match="no trial with a finite score.*no_such_activation"):
        quiet_fit(small_search(small_mlp(), space), *iris)


def test_diverged_seeds_are_counted_and_penalized(iris: tuple) -> None:
    space = {"init_scale": CategoricalDistribution([1e12])}
    mlp = small_mlp(solver="sgd", learning_rate_init=10.0, momentum=0.0, activation="identity")
    search = quiet_fit(small_search(mlp, space, n_trials=1, refit=False), *iris)
    assert search.cv_results_["n_diverged"][0] == 2
    assert search.cv_results_["mean_test_score"][0] == 0.0  # the worst accuracy


@pytest.mark.slow
def test_parallel_splits_give_the_same_results(iris: tuple) -> None:
    serial = quiet_fit(small_search(small_mlp()), *iris)
    parallel = quiet_fit(small_search(small_mlp(), n_jobs=2), *iris)
    np.testing.assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


# -- parameters and delegation -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("n_trials", 0, "'n_trials' parameter of InitSearchCV must be an int >= 1. Got 0"),
        ("n_seeds", 1.5, "'n_seeds' parameter"),
        ("cv", "five", "'cv' parameter"),
        ("aggregate", "meen", "Did you mean 'mean'"),
        ("random_state", -1, "'random_state' parameter"),
        ("error_score", "ignore", "'error_score' parameter"),
        ("refit", "yes", "'refit' parameter"),
        ("budget", "tpe", "'budget' parameter of InitSearchCV must be 'per-scheme' or 'sampler'"),
        ("confirm_seeds", -1, "'confirm_seeds' parameter of InitSearchCV must be an int >= 0"),
    ],
)
def test_invalid_parameters(iris: tuple, name: str, value: object, match: str) -> None:
    search = small_search(small_mlp()).set_params(**{name: value})
    with pytest.raises(ConfigError, match=match):
        search.fit(*iris)


def test_estimator_without_random_state(iris: tuple) -> None:
    from sklearn.linear_model import LinearRegression

    with pytest.raises(ConfigError, match="random_state parameter.*LinearRegression"):
        space = {"fit_intercept": CategoricalDistribution([True])}
        small_search(LinearRegression(), space).fit(*iris)


def test_unknown_space_parameter(iris: tuple) -> None:
    space = {"params": {"alpha": {"low": 1e-4, "high": 1e-2, "log": True}}}
    search = small_search(Pipeline([("scale", StandardScaler()), ("knn", _NoAlpha())]), space)
    with pytest.raises(ConfigError, match="Unknown parameter of the searched estimator 'alpha'"):
        search.fit(*iris)


class _NoAlpha(SkMLPClassifier):
    """An estimator whose parameters do not include ``alpha``."""

    def get_params(self, deep: bool = True) -> dict:
        return {k: v for k, v in super().get_params(deep).items() if k != "alpha"}


def test_refit_false_keeps_results_but_not_predict(iris: tuple) -> None:
    search = quiet_fit(small_search(small_mlp(), refit=False), *iris)
    assert search.best_params_ and not hasattr(search, "best_estimator_")
    assert not hasattr(search, "predict")
    with pytest.raises(AttributeError):
        search.classes_  # noqa: B018


def test_delegation_and_clone(iris: tuple) -> None:
    search = small_search(Pipeline([("s", StandardScaler()), ("mlp", small_mlp())]))
    assert hasattr(search, "predict_proba") and not hasattr(search, "transform")
    twin = clone(search).set_params(estimator__mlp__alpha=0.01)
    assert twin.estimator.named_steps["mlp"].alpha == 0.01
    assert search.estimator.named_steps["mlp"].alpha == 0.0001
    quiet_fit(search, *iris)
    X = iris[0]
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))
    np.testing.assert_allclose(
        search.predict_log_proba(X), np.log(search.predict_proba(X)), rtol=1e-5
    )
    assert search.score(X, iris[1]) == search.best_estimator_.score(X, iris[1])


def test_grid_space_runs_each_point_once(iris: tuple) -> None:
    space = {"grid": True, "params": {"init": ["he_normal", "orthogonal"], "init_scale": [1.0]}}
    search = quiet_fit(small_search(small_mlp(), space, n_trials=5), *iris)
    assert sorted(search.cv_results_["param_init"]) == ["he_normal", "orthogonal"]
    assert isinstance(search.study_.sampler, optuna.samplers.GridSampler)


def test_group_splitter_gets_the_groups(iris: tuple) -> None:
    from sklearn.model_selection import GroupKFold

    groups = np.arange(len(iris[1])) % 3
    search = small_search(small_mlp(), cv=GroupKFold(n_splits=3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(*iris, groups=groups)
    assert search.n_splits_ == 3
    assert all(np.isfinite(search.cv_results_[f"split{k}_test_score"]).all() for k in range(3))


def test_stored_rows_have_curves(stored: tuple) -> None:
    search, url = stored
    runs = load_seed_runs(url, search.study_name_)
    assert (runs["n_iter"] > 0).all()
    assert all(len(c) == n for c, n in zip(runs["loss_curve"], runs["n_iter"]))
    assert all(len(c) == n for c, n in zip(runs["eval_curve"], runs["n_iter"]))
    last = np.array([c[-1] for c in runs["eval_curve"]])
    np.testing.assert_allclose(last, runs["score"], rtol=1e-6)


@pytest.mark.slow
def test_example_script_runs(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import pathlib
    import runpy

    example = pathlib.Path(__file__).parents[2] / "examples" / "search_cv_pipeline.py"
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "Best parameters: {'mlp__init'" in out and "initstudy report initsearchcv-" in out
    name = out.split("initstudy report ")[1].split()[0]
    assert optuna.load_study(study_name=name, storage="sqlite:///search_cv_example.db").trials


def test_space_mixing_distributions_and_values_is_refused(iris: tuple) -> None:
    space = {"alpha": FloatDistribution(1e-4, 1e-2), "init": ["he_normal"]}
    with pytest.raises(ConfigError, match=r"not a mix.*\['alpha'\].*\['init'\]"):
        small_search(small_mlp(), space).fit(*iris)


def accuracy_scorer(estimator: object, X: np.ndarray, y: np.ndarray) -> float:
    """A callable scorer (a plain function)."""
    return float(np.mean(estimator.predict(X) == y))


def test_callable_scoring_resumes_and_names_the_objective(tmp_path: object, iris: tuple) -> None:
    url = f"sqlite:///{tmp_path}/callable.db"
    kwargs = {"storage": url, "study_name": "fn", "scoring": accuracy_scorer}
    first = quiet_fit(small_search(small_mlp(), **kwargs), *iris)
    second = quiet_fit(small_search(small_mlp(), n_trials=3, **kwargs), *iris)
    assert len(second.study_.trials) == 3
    assert second.study_.metric_names == ["accuracy_scorer, mean of 2 seeds"]
    default = quiet_fit(small_search(small_mlp()), *iris)
    np.testing.assert_allclose(
        first.cv_results_["mean_test_score"], default.cv_results_["mean_test_score"]
    )


def test_resume_fails_and_reruns_a_killed_fits_trial(tmp_path: object, iris: tuple) -> None:
    import time

    from initstudy.storage import resolve_storage

    storage = resolve_storage(
        f"sqlite:///{tmp_path}/killed.db", heartbeat_interval=1, grace_period=1
    )
    quiet_fit(small_search(small_mlp(), storage=storage, study_name="k"), *iris)
    with warnings.catch_warnings():  # Optuna: heartbeats are meant for Study.optimize
        warnings.simplefilter("ignore", UserWarning)
        optuna.load_study(study_name="k", storage=storage).ask()  # killed before a heartbeat
    time.sleep(1.5)
    resumed = small_search(small_mlp(), storage=storage, study_name="k", n_trials=3)
    search = quiet_fit(resumed, *iris)
    states = [t.state.name for t in search.study_.trials]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]
    assert list(search.cv_results_["state"]) == states
    assert search.cv_results_["rank_test_score"][2] == 4


# -- honest answers: equal budgets, equivalent schemes, confirmation ------------------------------
THREE = {
    "params": {
        "init": ["glorot_uniform", "he_uniform", "lecun_uniform", "orthogonal"],
        "init_scale": {"low": 0.5, "high": 2.0, "log": True},
    }
}


def test_each_scheme_gets_the_same_budget_and_equivalents_are_searched_once(iris: tuple) -> None:
    search = quiet_fit(small_search(small_mlp(), THREE, n_trials=6, n_seeds=1), *iris)
    assert search.budget_ == "per-scheme"
    assert search.scheme_aliases_ == {"he_uniform": ["lecun_uniform"]}
    schemes = [p["init"] for p in search.cv_results_["params"]]
    assert sorted(schemes) == sorted(["glorot_uniform", "he_uniform", "orthogonal"] * 2)


def test_budget_sampler_leaves_the_scheme_to_the_sampler(iris: tuple) -> None:
    search = quiet_fit(small_search(small_mlp(), THREE, n_trials=3, budget="sampler"), *iris)
    assert search.budget_ == "sampler"
    assert all("fixed_params" not in t.system_attrs for t in search.study_.trials)


def test_grid_space_keeps_the_grid_sampler(iris: tuple) -> None:
    grid = {"grid": True, "params": {"init": ["he_uniform", "lecun_uniform"], "init_scale": [1.0]}}
    search = quiet_fit(small_search(small_mlp(), grid, n_trials=2), *iris)
    assert search.budget_ == "sampler" and search.scheme_aliases_ == {}
    assert sorted(p["init"] for p in search.cv_results_["params"]) == [
        "he_uniform",
        "lecun_uniform",
    ]


def test_confirmation_retrains_each_schemes_best_on_fresh_seeds(tmp_path, iris: tuple) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    search = small_search(small_mlp(), THREE, n_trials=5, confirm_seeds=3, random_state=2)
    quiet_fit(search.set_params(storage=url, study_name="c"), *iris)
    results = search.confirm_results_
    assert search.confirm_seeds_ == [10_002, 10_003, 10_004]
    cv = search.cv_results_
    best = {}
    for number, params, value in zip(
        cv["trial_number"], cv["params"], cv["aggregate_test_score"], strict=True
    ):
        if params["init"] not in best or value > best[params["init"]][1]:
            best[params["init"]] = (number, value)
    assert sorted(results["scheme"]) == sorted(best)
    for row, scheme in enumerate(results["scheme"]):
        assert results["trial_number"][row] == best[scheme][0]
        assert results["selection_score"][row] == pytest.approx(best[scheme][1])
        seeds = [results[f"seed{i}_test_score"][row] for i in range(3)]
        assert results["mean_test_score"][row] == pytest.approx(np.mean(seeds))
    assert list(results["mean_test_score"]) == sorted(results["mean_test_score"], reverse=True)
    assert results["rank_test_score"][0] == 1
    assert results["aliases"][list(results["scheme"]).index("he_uniform")] == ["lecun_uniform"]
    rows = load_seed_runs(url, "c", stage="confirm")
    assert set(rows["seed"]) == {10_002, 10_003, 10_004}
    assert len(rows) == len(best) * 3 * search.n_splits_
    assert set(rows["trial_number"]) == set(results["trial_number"])
    assert len(load_seed_runs(url, "c", stage="search")) == 5 * 2 * search.n_splits_


def test_a_listed_scale_merges_no_rescalings(iris: tuple) -> None:
    space = {"params": {"init": ["he_uniform", "lecun_uniform"], "init_scale": [1.0, 2.0]}}
    search = quiet_fit(small_search(small_mlp(), space, n_trials=2), *iris)
    assert search.scheme_aliases_ == {}  # he at 1.0 is lecun at sqrt(2): not in the list
    assert sorted(p["init"] for p in search.cv_results_["params"]) == [
        "he_uniform",
        "lecun_uniform",
    ]


def test_no_confirmation_by_default(iris: tuple) -> None:
    search = quiet_fit(small_search(small_mlp()), *iris)
    assert search.confirm_seeds_ == [] and not hasattr(search, "confirm_results_")
