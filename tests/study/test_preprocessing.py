"""preprocessing="auto": real tables with missing values, text and booleans, fitted per split."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import PredefinedSplit

from initstudy.exceptions import DataError
from initstudy.searchspaces import get_space
from initstudy.study import (
    HighCardinalityWarning,
    Objective,
    StudyConfig,
    describe_columns,
    load_dataset,
    run_study,
)
from initstudy.study._evaluate import prepare_folds
from initstudy.study._preprocessing import effective_preprocessing


def penguins_like(n: int = 80) -> pd.DataFrame:
    """A small Palmer-penguins-like table: numbers, text, a boolean, missing cells."""
    rng = np.random.default_rng(0)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], n)
    frame = pd.DataFrame(
        {
            "bill_mm": rng.normal(40, 5, n) + (species == "Gentoo") * 8,
            "mass_g": rng.normal(4000, 300, n),
            "island": rng.choice(["Biscoe", "Dream", "Torgersen"], n),
            "sex": rng.choice(["male", "female"], n),
            "tagged": rng.choice(["True", "False"], n),
            "species": species,
        }
    )
    frame.loc[[1, 5], "bill_mm"] = np.nan
    frame.loc[[2, 9], "island"] = np.nan
    frame.loc[3, "tagged"] = np.nan
    frame.loc[7, "species"] = np.nan
    return frame


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "penguins.csv"
    penguins_like().to_csv(path, index=False)
    return path


def test_a_table_is_read_as_it_is_and_described(table: Path) -> None:
    data = load_dataset(table, target="species")
    assert data.n_samples == 79 and data.n_dropped == 1
    plan = data.columns
    assert plan.numeric == ("bill_mm", "mass_g") and plan.boolean == ("tagged",)
    assert plan.categorical == ("island", "sex")
    assert plan.n_missing == {"bill_mm": 2, "island": 2, "tagged": 1}
    assert set(data.X["tagged"].dropna()) == {0.0, 1.0}
    line = describe_columns(data, "auto")
    assert line == (
        "preprocessing 'auto': 3 numeric column(s) standardized (1 boolean as 0/1), 3 missing "
        "value(s) imputed with the median; 2 text column(s) one-hot encoded into 5 feature(s), "
        "2 missing value(s) imputed with the most frequent; 1 row(s) with a missing target "
        "dropped."
    )


def test_each_fold_is_imputed_and_encoded_from_its_training_part_only(table: Path) -> None:
    data = load_dataset(table, target="species")
    X = data.X.copy()
    X.loc[X.index[-1], "island"] = "Atlantis"  # a category the training part may never see
    folds = prepare_folds(
        X, data.y, task="classification", validation=4, split_seed=0, preprocessing="auto"
    )
    for fold in folds:
        assert fold.X_train.dtype == np.float64 and np.isfinite(fold.X_train).all()
        assert np.isfinite(fold.X_val).all() and fold.X_train.shape[1] == fold.X_val.shape[1]
        # standardized on the training part: its numeric columns have mean 0 there
        np.testing.assert_allclose(fold.X_train[:, :3].mean(axis=0), 0.0, atol=1e-12)
    train_rows = [len(f.y_train) for f in folds]
    assert sum(len(f.y_val) for f in folds) == data.n_samples and min(train_rows) > 50
    widths = {f.X_train.shape[1] for f in folds}
    assert widths <= {3 + 3 + 2, 3 + 4 + 2}  # the unseen category widens only its own folds


def test_unseen_category_in_validation_encodes_as_zeros() -> None:
    X = pd.DataFrame({"a": np.arange(8.0), "city": ["x", "y"] * 3 + ["z", "z"]})
    y = np.array([0, 1] * 4)
    folds = prepare_folds(
        X,
        y,
        task="classification",
        validation=PredefinedSplit([-1] * 6 + [0, 0]),
        split_seed=0,
        preprocessing="auto",
    )
    np.testing.assert_array_equal(folds[0].X_val[:, 1:], 0.0)  # "z": both one-hot columns 0


def test_auto_on_complete_numbers_is_exactly_standard(tmp_path: Path) -> None:
    X, y = np.random.default_rng(1).normal(size=(40, 3)), np.array([0, 1] * 20)
    a = prepare_folds(
        X, y, task="classification", validation="holdout", split_seed=0, preprocessing="auto"
    )
    b = prepare_folds(
        X, y, task="classification", validation="holdout", split_seed=0, preprocessing="standard"
    )
    np.testing.assert_array_equal(a[0].X_train, b[0].X_train)
    assert effective_preprocessing("auto", load_dataset("iris").columns) == "standard"


def test_standard_on_a_table_is_refused_before_anything_is_stored(
    table: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    config = StudyConfig(
        dataset=str(table),
        target="species",
        storage=f"sqlite:///{db}",
        n_trials=1,
        seeds=1,
        preprocessing="standard",
    )
    with pytest.raises(
        DataError,
        match=r"non-numeric columns \['island', 'sex', 'tagged'\].*"
        r"preprocessing='auto'",
    ):
        run_study(config, progress=False)
    assert not db.exists()


def test_a_study_on_a_table_runs_and_its_key_names_the_preprocessing(
    table: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    config = StudyConfig(
        dataset=str(table),
        target="species",
        storage=f"sqlite:///{db}",
        n_trials=1,
        seeds=2,
        estimator={"max_iter": 5},
    )
    study = run_study(config, progress=False)
    assert study.trials[0].state.name == "COMPLETE"
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM initstudy_seed_runs").fetchone() == (2,)
    data = load_dataset(table, target="species")
    objective = Objective(config, data, get_space(config.space), f"sqlite:///{db}")
    assert "|preprocessing='auto'|" in objective.validation  # part of every seed's run key


def test_the_table_fingerprint_covers_categories_and_missing_cells(tmp_path: Path) -> None:
    frame = penguins_like()
    prints = set()
    for change in (None, ("island", 0, "Nowhere"), ("bill_mm", 0, np.nan), ("sex", 4, np.nan)):
        copy = frame.copy()
        if change:
            copy.loc[change[1], change[0]] = change[2]
        copy.to_csv(tmp_path / "t.csv", index=False)
        prints.add(load_dataset(tmp_path / "t.csv", target="species").fingerprint)
    assert len(prints) == 4


def test_an_id_column_draws_a_warning_naming_it(tmp_path: Path) -> None:
    frame = penguins_like().assign(name=[f"bird-{i}" for i in range(80)])
    frame.to_csv(tmp_path / "ids.csv", index=False)
    with pytest.warns(HighCardinalityWarning, match=r"'name' \(79\)"):
        load_dataset(tmp_path / "ids.csv", target="species")


def test_a_table_of_text_columns_only_is_one_hot_encoded(tmp_path: Path) -> None:
    penguins_like()[["island", "sex", "species"]].to_csv(tmp_path / "text.csv", index=False)
    data = load_dataset(tmp_path / "text.csv", target="species")
    assert describe_columns(data, "auto").startswith(
        "preprocessing 'auto': 2 text column(s) one-hot encoded into 5 feature(s)"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"species": np.nan}, r"target column 'species' has no values \(all 80 rows missing\)"),
        (
            {"species": ["Adelie"] * 79 + [np.nan]},
            r"at least 2 classes.*after dropping 1 row\(s\) with a missing target",
        ),
        ({"seen": [f"2020-01-{1 + i % 28:02d}" for i in range(80)]}, r"Column 'seen' holds dates"),
    ],
)
def test_bad_tables_are_refused_and_nothing_is_stored(
    tmp_path: Path, change: dict, message: str
) -> None:
    penguins_like().assign(**change).to_csv(tmp_path / "bad.csv", index=False)
    db = tmp_path / "s.db"
    config = StudyConfig(
        dataset=str(tmp_path / "bad.csv"),
        target="species",
        storage=f"sqlite:///{db}",
        n_trials=1,
        seeds=1,
    )
    with pytest.raises(DataError, match=message):
        run_study(config, progress=False)
    assert not db.exists()
