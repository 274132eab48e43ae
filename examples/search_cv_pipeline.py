"""Find the best weight initialization for the MLP step of a scikit-learn Pipeline.

A mixed-type pandas DataFrame (numbers on different scales and a text category) goes through a
ColumnTransformer into an initstudy MLP. ``InitSearchCV`` searches the init scheme and scale
(the ``keras`` preset), training every configuration from 3 seeds on each of 3 CV folds, and
stores everything in a SQLite file so ``initstudy report`` and the dashboard can show it.

Run it (about 10 seconds on 2 cores)::

    python examples/search_cv_pipeline.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from initstudy.mlp import MLPClassifier
from initstudy.study import InitSearchCV

STORAGE = "sqlite:///search_cv_example.db"


def make_table(n_rows: int = 800, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A small customer table: will the customer buy again?"""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({
        "age": rng.integers(18, 80, n_rows),
        "income": rng.lognormal(10.5, 0.5, n_rows).round(-2),
        "visits": rng.poisson(4, n_rows),
        "plan": rng.choice(["free", "basic", "premium"], n_rows, p=[0.5, 0.3, 0.2]),
    })
    signal = (0.04 * (table["age"] - 45) + 0.3 * (table["visits"] - 4)
              + table["plan"].map({"free": -1.0, "basic": 0.3, "premium": 1.2})
              + 0.4 * np.log(table["income"] / 36000))
    buys = (signal + rng.normal(0.0, 0.8, n_rows) > 0).map({True: "yes", False: "no"})
    return table, buys.rename("buys_again")


def main() -> None:
    X, y = make_table()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    columns = ColumnTransformer([
        ("numbers", StandardScaler(), ["age", "income", "visits"]),
        ("plan", OneHotEncoder(), ["plan"]),
    ])
    mlp = MLPClassifier(hidden_layer_sizes=(32, 32), max_iter=30, batch_size=64,
                        learning_rate_init=0.003)
    pipeline = Pipeline([("columns", columns), ("mlp", mlp)])

    # The keras space names the MLP's own parameters (init, init_scale); InitSearchCV
    # addresses them to the step ("mlp__init"). Each fit starts a new study in STORAGE.
    search = InitSearchCV(pipeline, "keras", n_trials=12, n_seeds=3, cv=3,
                          storage=STORAGE, random_state=0)
    with warnings.catch_warnings():  # 30 epochs on purpose, so the example runs in seconds
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)

    print("Best parameters:", search.best_params_)
    print(f"Best CV accuracy (mean of {len(search.seeds_)} seeds): {search.best_score_:.3f}")
    print(f"Held-out accuracy of the refit pipeline: {search.score(X_test, y_test):.3f}\n")
    columns_shown = ["param_mlp__init", "param_mlp__init_scale", "mean_test_score",
                     "std_test_score", "ci_low_test_score", "ci_high_test_score", "n_diverged"]
    results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
    with pd.option_context("display.width", 120, "display.precision", 3):
        print(results[columns_shown].head().to_string(index=False))
    print(f"\nStudy {search.study_name_!r} is stored in {STORAGE}. Open it with:")
    print(f"  initstudy report {search.study_name_} --storage {STORAGE}")
    print(f"  initstudy report {search.study_name_} --storage {STORAGE} --html report.html")
    print(f"  initstudy dashboard --storage {STORAGE}")


if __name__ == "__main__":
    main()
