"""load_dataset and Dataset: built-in names, CSV/Parquet files, arrays, fingerprints, errors."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from initstudy.exceptions import DataError
from initstudy.study._datasets import BUILTIN_DATASETS, Dataset, dataset_fingerprint, load_dataset

BUILTINS = [
    ("digits", (1797, 64), "classification", 10),
    ("breast_cancer", (569, 30), "classification", 2),
    ("wine", (178, 13), "classification", 3),
    ("iris", (150, 4), "classification", 3),
    ("diabetes", (442, 10), "regression", None),
    ("moons", (500, 2), "classification", 2),
    ("classification", (1000, 20), "classification", 2),
]


@pytest.mark.parametrize(("name", "shape", "task", "n_classes"), BUILTINS)
def test_builtin_datasets(name, shape, task, n_classes):
    data = load_dataset(name)
    assert data.X.shape == shape and data.y.shape == (shape[0],)
    assert data.task == task and data.name == name
    assert len(data.feature_names) == shape[1] and data.n_features == shape[1]
    assert np.all(np.isfinite(data.X)) and data.X.dtype == np.float64
    if n_classes is not None:
        assert np.unique(data.y).size == n_classes
    assert len(data.fingerprint) == 64 and int(data.fingerprint, 16) >= 0
    assert load_dataset(name).fingerprint == data.fingerprint


def test_every_builtin_is_tested():
    assert {b[0] for b in BUILTINS} == set(BUILTIN_DATASETS)


def test_generated_sizes_subsets_and_seeds():
    data = load_dataset("classification", n_samples=120, n_features=6, random_state=3)
    assert data.X.shape == (120, 6)
    assert load_dataset("moons", n_samples=50).X.shape == (50, 2)
    assert load_dataset("moons", random_state=1).fingerprint != load_dataset("moons").fingerprint
    subset = load_dataset("digits", n_samples=100)
    assert subset.X.shape == (100, 64)
    assert subset.fingerprint == load_dataset("digits", n_samples=100).fingerprint
    assert subset.fingerprint != load_dataset("digits", n_samples=100, random_state=1).fingerprint


def test_fingerprint_is_stable_across_processes():
    code = "from initstudy.study._datasets import load_dataset; print(load_dataset('iris').fingerprint)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == load_dataset("iris").fingerprint


def test_fingerprint_is_sensitive_to_any_change():
    base = load_dataset("iris")
    X, y = np.array(base.X), np.array(base.y)
    prints = {base.fingerprint}
    X2 = X.copy()
    X2[3, 2] += 1e-9
    y2 = y.copy()
    y2[0] = 2
    variants = [
        Dataset.from_arrays(X2, y),
        Dataset.from_arrays(X, y2),
        Dataset.from_arrays(X[::-1], y[::-1]),
        Dataset.from_arrays(X[:-1], y[:-1]),
        Dataset.from_arrays(X, y.astype(float), task="regression"),
        Dataset.from_arrays(X, np.array(["abc"[v] for v in y])),
    ]
    for variant in variants:
        prints.add(variant.fingerprint)
    assert len(prints) == len(variants) + 1
    # the container and the column names do not matter, only the data
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(4)])
    assert Dataset.from_arrays(frame, pd.Series(y)).fingerprint == base.fingerprint
    assert Dataset.from_arrays(
        X.astype(np.float32).astype(np.float64), y
    ).fingerprint == dataset_fingerprint(X.astype(np.float32), y, "classification")


def test_dataset_is_frozen():
    data = load_dataset("iris")
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.task = "regression"  # type: ignore[misc]
    assert "iris" in repr(data) and "150" in repr(data)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((30, 3)), columns=["a", "b", "c"])
    df["flag"] = rng.random(30) > 0.5
    df["target"] = np.where(df["a"] > 0, "yes", "no")
    return df


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet", ".pq"])
def test_files(tmp_path, frame, suffix):
    path = tmp_path / f"data{suffix}"
    if "parquet" in suffix or suffix == ".pq":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    data = load_dataset(path)
    assert data.X.shape == (30, 4) and data.feature_names == ("a", "b", "c", "flag")
    assert data.task == "classification" and set(data.y) == {"yes", "no"}
    assert data.name == path.name
    assert isinstance(data.X, pd.DataFrame)
    assert load_dataset(str(path)).fingerprint == data.fingerprint


def test_csv_and_parquet_of_the_same_data_share_a_fingerprint(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    assert (
        load_dataset(tmp_path / "d.csv").fingerprint
        == load_dataset(tmp_path / "d.parquet").fingerprint
    )


def test_target_option_and_task_detection(tmp_path, frame):
    path = tmp_path / "d.csv"
    frame.assign(price=frame["a"] * 10).to_csv(path, index=False)
    # with target=price the 'target' column is a feature: text, one-hot encoded by "auto"
    assert load_dataset(path, target="price").columns.categorical == ("target",)
    frame.drop(columns="target").assign(price=frame["a"] * 10).to_csv(path, index=False)
    assert load_dataset(path, target="price").task == "regression"
    assert load_dataset(path, target="price", task="regression").y.dtype.kind == "f"


@pytest.mark.parametrize(
    ("y", "task"),
    [
        (np.arange(40) % 3, "classification"),
        ((np.arange(40) % 3).astype(float), "classification"),
        (np.arange(40), "regression"),
        (np.linspace(0, 1, 40), "regression"),
        (np.array(["a", "b"] * 20), "classification"),
        (pd.Series(pd.Categorical(["x", "y"] * 20)), "classification"),
        (np.array([True, False] * 20), "classification"),
    ],
)
def test_task_detection(y, task):
    X = np.random.default_rng(0).standard_normal((40, 2))
    assert Dataset.from_arrays(X, y).task == task


def test_dataframe_and_tuple_specs(frame):
    data = load_dataset(frame)
    assert data.X.shape == (30, 4)
    X = np.ones((5, 2)) * np.arange(5)[:, None]
    pair = load_dataset((X, np.array([0, 1, 0, 1, 0])))
    assert pair.task == "classification" and pair.feature_names == ("x0", "x1")
    assert load_dataset(pair) is pair


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return path


FILE_ERRORS = [
    ("missing.csv", None, {}, ["does not exist", "missing.csv"]),
    ("empty.csv", "", {}, ["is empty"]),
    ("header.csv", "a,b,target\n", {}, ["no data rows", "target"]),
    ("notarget.csv", "a,b\n1,2\n3,4\n", {}, ["no column 'target'", "--target", "['a', 'b']"]),
    (
        "wrongtarget.csv",
        "a,b,label\n1,2,0\n3,4,1\n",
        {"target": "lable"},
        ["'lable'", "Did you mean 'label'", "Valid: a, b, label"],
    ),
    ("onlytarget.csv", "target\n0\n1\n", {}, ["no feature columns"]),
    (
        "alltarget.csv",
        "a,b,target\n1,2,\n2,3,\n",
        {},
        ["target column 'target' has no values", "all 2 rows missing"],
    ),
    (
        "oneclassleft.csv",
        "a,target\n1,0\n2,\n3,0\n",
        {},
        ["at least 2 classes", "after dropping 1 row(s) with a missing target"],
    ),
    ("dates.csv", "a,day,target\n1,2024-01-02,0\n2,2024-01-03,1\n", {}, ["'day' holds dates"]),
    ("empty.csv", "a,b,target\n1,,0\n2,,1\n", {}, ["'b' has no values"]),
    ("oneclass.csv", "a,target\n1,0\n2,0\n", {}, ["at least 2 classes"]),
    ("onerow.csv", "a,target\n1,0\n", {}, ["at least 2 samples"]),
    (
        "corrupt.parquet",
        b"PAR1 this is not parquet at all",
        {},
        ["Cannot read dataset file", "Parquet"],
    ),
    ("text.parquet", "a,b\n1,2\n", {}, ["Cannot read dataset file", "Parquet"]),
    ("binary.csv", b"\xff\xfe\x00\x01\x02garbage\n\x00\x00", {}, ["dataset file"]),
    ("data.xlsx", "x", {}, ["Cannot tell the format", ".csv", ".parquet"]),
    (
        "ragged.csv",
        'a,b,target\n1,2,0\n1,2,3,4,5\n"unclosed\n',
        {},
        ["Cannot read dataset file", "CSV"],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "words"), FILE_ERRORS, ids=[e[0] for e in FILE_ERRORS]
)
def test_file_errors(tmp_path, name, content, kwargs, words):
    path = tmp_path / name if content is None else _write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_dataset(path, **kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_corrupt_parquet_chains_the_cause(tmp_path):
    path = _write(tmp_path, "bad.parquet", b"PAR1garbagegarbagePAR1")
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert info.value.__cause__ is not None


def test_a_folder_is_not_a_file(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(tmp_path / "folder.csv")


@pytest.mark.parametrize(
    ("spec", "kwargs", "words"),
    [
        (
            "digitz",
            {},
            [
                "Unknown dataset 'digitz'",
                "Did you mean 'digits'",
                "breast_cancer, classification",
                "existing path",
            ],
        ),
        ("digits", {"target": "y"}, ["target applies only to files"]),
        ("diabetes", {"task": "classification"}, ["regression task"]),
        ("iris", {"n_features": 3}, ["n_features applies only"]),
        ("iris", {"n_samples": 1000}, ["more than the 150 rows"]),
        ("moons", {"n_samples": 1}, ["n_samples must be an integer >= 2"]),
        ("moons", {"n_samples": 2.5}, ["n_samples must be an integer"]),
        ("classification", {"n_features": 1}, ["n_features >= 2"]),
        (3, {}, ["must be a built-in name", "int"]),
    ],
)
def test_spec_errors(spec, kwargs, words):
    with pytest.raises(DataError) as info:
        load_dataset(spec, **kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


X4 = np.arange(8.0).reshape(4, 2)
Y4 = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "words"),
    [
        (np.r_[X4[:3], [[np.nan, 1.0]]], Y4, {}, ["1 NaN or infinite"]),
        (np.r_[X4[:3], [[np.inf, 1.0]]], Y4, {}, ["NaN or infinite"]),
        (np.empty((0, 2)), np.empty(0), {}, ["at least 2 samples"]),
        (X4[:1], Y4[:1], {}, ["at least 2 samples"]),
        (X4, np.zeros(4), {}, ["at least 2 classes"]),
        (X4, Y4[:3], {}, ["same length", "4 rows in X and 3 in y"]),
        (X4.ravel(), Y4, {}, ["2-D", "reshape(-1, 1)"]),
        (np.zeros((4, 2, 2)), Y4, {}, ["2-D"]),
        (np.array([["a", "b"]] * 4), Y4, {}, ["numeric"]),
        (pd.DataFrame({"a": ["x"] * 4}), Y4, {}, ["numeric", "'a'"]),
        (X4, np.array([["a", "b"]] * 4), {}, ["1-D"]),
        (X4, np.array(["a", "b", "a", "b"]), {"task": "regression"}, ["must be numeric"]),
        (X4, Y4, {"task": "ranking"}, ["Unknown task 'ranking'", "classification, regression"]),
        (X4, Y4, {"feature_names": ["only one"]}, ["feature_names", "2 columns"]),
    ],
)
def test_array_errors(X, y, kwargs, words):
    with pytest.raises(DataError) as info:
        Dataset.from_arrays(X, y, **kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_sparse_matrices_are_refused_with_a_hint():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(DataError, match="toarray"):
        Dataset.from_arrays(sparse.csr_matrix(X4), Y4)
