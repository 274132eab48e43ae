"""Our MLPs inside scikit-learn: Pipeline, ColumnTransformer, cross_val_score, GridSearchCV,
``set_output(transform="pandas")`` upstream, and pandas feature names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from initstudy.mlp import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small(cls: type = MLPClassifier, **kwargs: object) -> object:
    params = {
        "hidden_layer_sizes": (16,),
        "max_iter": 60,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    return cls(**{**params, **kwargs})


@pytest.fixture(scope="module")
def iris_frame() -> tuple[pd.DataFrame, pd.Series]:
    data = load_iris(as_frame=True)
    return data.data, data.target


@pytest.fixture(scope="module")
def mixed() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 150
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "price": rng.normal(size=n) * 100.0 + 500.0,
            "color": rng.choice(["red", "green", "blue"], n),
        }
    )
    y = ((frame["size"] + (frame["color"] == "red")) > 0.5).astype(int).to_numpy()
    return frame, y


def column_transformer() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "price"]),
            ("cat", OneHotEncoder(sparse_output=False), ["color"]),
        ]
    )


def test_pipeline_fit_predict_score(iris_frame: tuple) -> None:
    X, y = iris_frame
    pipe = make_pipeline(StandardScaler(), small()).fit(X, y)
    assert pipe.predict(X).shape == (len(y),)
    assert pipe.predict_proba(X).shape == (len(y), 3)
    assert pipe.score(X, y) > 0.9
    assert list(pipe.feature_names_in_) == list(X.columns)


def test_column_transformer_on_mixed_frame(mixed: tuple) -> None:
    X, y = mixed
    pipe = Pipeline([("pre", column_transformer()), ("mlp", small())]).fit(X, y)
    assert pipe.named_steps["mlp"].n_features_in_ == 2 + 3  # two scaled, three one-hot
    assert pipe.score(X, y) > 0.8
    assert list(pipe.feature_names_in_) == ["size", "price", "color"]


def test_cross_val_score_is_reproducible(iris_frame: tuple) -> None:
    X, y = iris_frame
    pipe = make_pipeline(StandardScaler(), small())
    first = cross_val_score(pipe, X, y, cv=3)
    second = cross_val_score(clone(pipe), X, y, cv=3)
    assert first.shape == (3,) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, second)
    assert first.mean() > 0.8


def test_cross_val_score_regressor() -> None:
    X, y = load_diabetes(return_X_y=True)
    model = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), small(MLPRegressor)), transformer=StandardScaler()
    )
    scores = cross_val_score(model, X[:200], y[:200], cv=3, scoring="r2")
    assert np.isfinite(scores).all() and scores.mean() > 0.0


def test_grid_search_over_init(iris_frame: tuple) -> None:
    X, y = iris_frame
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", small())])
    grid = {"mlp__init": ["he_normal", "glorot_uniform"], "mlp__init_scale": [0.5, 1.0]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert search.best_params_["mlp__init"] in grid["mlp__init"]
    assert len(search.cv_results_["params"]) == 4
    refit = clone(pipe).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), search.predict(X))


def test_upstream_set_output_pandas(mixed: tuple) -> None:
    X, y = mixed
    pre = column_transformer().set_output(transform="pandas")
    pipe = Pipeline([("pre", pre), ("mlp", small())]).fit(X, y)
    names = list(pipe.named_steps["mlp"].feature_names_in_)
    assert names == [
        "num__size",
        "num__price",
        "cat__color_blue",
        "cat__color_green",
        "cat__color_red",
    ]
    plain = Pipeline([("pre", column_transformer()), ("mlp", small())]).fit(X, y)
    np.testing.assert_array_equal(pipe.predict_proba(X), plain.predict_proba(X))


def test_pipeline_set_output_pandas(iris_frame: tuple) -> None:
    X, y = iris_frame
    pipe = make_pipeline(StandardScaler(), small()).set_output(transform="pandas").fit(X, y)
    mlp = pipe[-1]
    assert list(mlp.feature_names_in_) == list(X.columns)
    assert pipe.predict(X).shape == (len(y),)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_pandas_input_keeps_feature_names(iris_frame: tuple, cls: type) -> None:
    X, y = iris_frame
    model = small(cls).fit(X, y)
    assert list(model.feature_names_in_) == list(X.columns)
    assert model.n_features_in_ == 4
    plain = small(cls).fit(X.to_numpy(), y)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X.to_numpy()))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X.to_numpy())


def test_numpy_input_has_no_feature_names(iris_frame: tuple) -> None:
    X, y = iris_frame
    model = small().fit(X.to_numpy(), y)
    assert not hasattr(model, "feature_names_in_")
