"""Datasets for studies: the built-in names, CSV and Parquet files, and arrays given in Python.

Everything is local: the built-in real datasets ship inside scikit-learn and the synthetic ones
are generated; nothing is ever downloaded. Features are *not* standardized here (the study
does that inside a Pipeline, fitted on the training part only).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets

from ..exceptions import DataError, unknown_name_error
from ._preprocessing import ColumnPlan, prepare_table, table_fingerprint

__all__ = [
    "BUILTIN_DATASETS",
    "DEFAULT_TARGET",
    "TASKS",
    "Dataset",
    "dataset_fingerprint",
    "load_dataset",
]

TASKS = ("classification", "regression")
#: The target column of a data file when ``target`` is not given.
DEFAULT_TARGET = "target"
#: A numeric target with whole values and at most this many distinct ones is a class label.
MAX_CLASSES = 20
_FINGERPRINT_VERSION = b"initstudy-dataset-v1\0"


def _detect_task(y: np.ndarray | pd.Series) -> str:
    """Classification for non-numeric labels, or whole numbers with <= MAX_CLASSES values."""
    values = np.asarray(y)
    if values.dtype.kind not in "iuf" or isinstance(getattr(y, "dtype", None), pd.CategoricalDtype):
        return "classification"
    whole = values.dtype.kind in "iu" or bool(np.all(np.mod(values, 1) == 0))
    return "classification" if whole and np.unique(values).size <= MAX_CLASSES else "regression"


def dataset_fingerprint(X: Any, y: np.ndarray, task: str) -> str:
    """The sha256 of the task, the shape and float64 bytes of X, and y (numbers or labels).

    The same data gives the same hex digest on every run and machine (little-endian float64);
    any change of a value, of a label, of the row order or of the task changes it. Column names
    are not part of it.
    """
    digest = hashlib.sha256(_FINGERPRINT_VERSION)
    features = np.ascontiguousarray(np.asarray(X, dtype="<f8"))
    digest.update(f"{task}\0{features.shape}\0".encode())
    digest.update(features.tobytes())
    labels = np.asarray(y)
    if labels.dtype.kind in "biuf":
        digest.update(b"numbers\0" + np.ascontiguousarray(labels.astype("<f8")).tobytes())
    else:
        text = "\x1f".join(map(str, labels.tolist()))
        digest.update(b"labels\0" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset ready for a study.

    Build one with :func:`load_dataset` or :meth:`from_arrays`; both validate the data.
    Do not modify ``X`` or ``y`` in place: ``fingerprint`` identifies stored results.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features) or DataFrame
        Numeric, finite features (a DataFrame keeps its column names for the estimator).
    y : ndarray of shape (n_samples,)
        Class labels (numbers or strings) or regression targets.
    task : {"classification", "regression"}
    name : str
        A short name for listings (the built-in name or the file name).
    fingerprint : str
        sha256 hex digest of the data (see :func:`dataset_fingerprint`): stable across runs,
        different for different data.
    feature_names : tuple of str
    columns : ColumnPlan or None
        For a table that needs ``preprocessing="auto"`` (text, booleans as text, missing
        values): what each column is; ``X`` is then the table as read (booleans as 1.0/0.0).
        None for complete numeric data.
    n_dropped : int
        Rows left out because their target was missing.
    """

    X: np.ndarray | pd.DataFrame
    y: np.ndarray
    task: str
    name: str
    fingerprint: str = field(repr=False)
    feature_names: tuple[str, ...] = field(repr=False)
    columns: ColumnPlan | None = field(default=None, repr=False)
    n_dropped: int = field(default=0, repr=False)

    @property
    def n_samples(self) -> int:
        """The number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """The number of feature columns."""
        return int(self.X.shape[1])

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, n_samples={self.n_samples}, "
            f"n_features={self.n_features}, fingerprint={self.fingerprint[:12]!r})"
        )

    @classmethod
    def from_arrays(
        cls,
        X: Any,
        y: Any,
        *,
        task: str | None = None,
        name: str = "arrays",
        feature_names: Any = None,
    ) -> Dataset:
        """Validate ``X`` and ``y`` given in Python and wrap them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or DataFrame
            Numeric and finite. Sparse matrices are not accepted (use ``X.toarray()``).
        y : array-like of shape (n_samples,)
            Labels (numbers, strings, pandas categoricals) or regression targets.
        task : {"classification", "regression"}, optional
            Detected when not given: non-numeric labels, or whole numbers with at most
            ``MAX_CLASSES`` (20) distinct values, mean classification; other numbers regression.
        name : str, default="arrays"
        feature_names : sequence of str, optional
            Default: a DataFrame's columns, else ``x0, x1, ...``.

        Returns
        -------
        Dataset

        Raises
        ------
        DataError
            For sparse, non-2-D, empty, non-numeric or non-finite X; missing or one-class y; a
            length mismatch; an unknown task.
        """
        features = _check_features(X)
        labels = _check_target(y, features.shape[0])
        if task is None:
            task = _detect_task(y if isinstance(y, pd.Series) else labels)
        _check_task(task, labels)
        names = _feature_names(features, feature_names)
        return cls(
            features, labels, task, str(name), dataset_fingerprint(features, labels, task), names
        )


def _check_features(X: Any) -> np.ndarray | pd.DataFrame:
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise DataError("Sparse matrices are not supported as X; convert with X.toarray().")
    if isinstance(X, pd.DataFrame):
        bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise DataError(f"Feature columns must be numeric; encode these first: {bad}.")
        values = X.to_numpy(dtype=np.float64) if X.shape[1] else np.empty(X.shape)
        result: np.ndarray | pd.DataFrame = X
    else:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise DataError(f"X must be a numeric array; it cannot be read as numbers: {e}.") from e
        result = values
    if values.ndim != 2:
        hint = " (use X.reshape(-1, 1) for one feature)" if values.ndim == 1 else ""
        raise DataError(f"X must be 2-D (n_samples, n_features). Got shape {values.shape}{hint}.")
    if values.shape[0] < 2 or values.shape[1] < 1:
        raise DataError(f"X needs at least 2 samples and 1 feature. Got shape {values.shape}.")
    bad_count = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
    if bad_count:
        raise DataError(
            f"X contains {bad_count} NaN or infinite values; clean or impute them first."
        )
    return result


def _check_target(y: Any, n_samples: int) -> np.ndarray:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise DataError(f"y must be one column. Got a DataFrame with {y.shape[1]} columns.")
        y = y.iloc[:, 0]
    labels = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    if labels.ndim != 1:
        raise DataError(f"y must be 1-D (n_samples,). Got shape {labels.shape}.")
    if labels.shape[0] != n_samples:
        raise DataError(
            f"X and y must have the same length. Got {n_samples} rows in X and "
            f"{labels.shape[0]} in y."
        )
    missing = int(pd.isna(pd.Series(labels)).sum())
    if missing:
        raise DataError(f"y has {missing} missing values; drop those rows first.")
    return labels


def _check_task(task: Any, labels: np.ndarray) -> None:
    if task not in TASKS:
        raise unknown_name_error("task", task, TASKS, cls=DataError)
    if task == "regression":
        if labels.dtype.kind not in "biuf":
            raise DataError(
                f"A regression target must be numeric. Got labels of dtype {labels.dtype}."
            )
        if not np.all(np.isfinite(labels.astype(np.float64))):
            raise DataError("The regression target contains infinite values.")
    elif np.unique(labels.astype(str) if labels.dtype == object else labels).size < 2:
        raise DataError(
            f"Classification needs at least 2 classes. Got only {labels[:1].tolist()[0]!r}."
        )


def _feature_names(X: np.ndarray | pd.DataFrame, given: Any) -> tuple[str, ...]:
    if given is None:
        if isinstance(X, pd.DataFrame):
            return tuple(str(c) for c in X.columns)
        return tuple(f"x{i}" for i in range(X.shape[1]))
    names = tuple(str(n) for n in given)
    if len(names) != X.shape[1]:
        raise DataError(
            f"feature_names must name the {X.shape[1]} columns. Got {len(names)} names."
        )
    return names


# -- built-in datasets --------------------------------------------------------------------
_Arrays = tuple[np.ndarray, np.ndarray, tuple[str, ...]]


def _bundled(loader: Callable[..., Any]) -> Callable[[int | None, int | None, int], _Arrays]:
    """A loader of one of scikit-learn's bundled datasets (never a fetch_*: no network);
    ``n_samples`` takes a seeded random subset of the rows."""

    def load(n_samples: int | None, n_features: int | None, random_state: int) -> _Arrays:
        bunch = loader()
        X, y = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)
        if n_samples is not None:
            if n_samples > X.shape[0]:
                raise DataError(
                    f"n_samples={n_samples} is more than the {X.shape[0]} rows of this dataset."
                )
            rows = np.sort(
                np.random.default_rng(random_state).choice(X.shape[0], n_samples, replace=False)
            )
            X, y = X[rows], y[rows]
        return X, y, tuple(str(n) for n in bunch.feature_names)

    return load


def _moons(n_samples: int | None, n_features: int | None, random_state: int) -> _Arrays:
    X, y = skdatasets.make_moons(n_samples=n_samples or 500, noise=0.2, random_state=random_state)
    return X, y, ("x0", "x1")


def _classification(n_samples: int | None, n_features: int | None, random_state: int) -> _Arrays:
    n_features = 20 if n_features is None else n_features
    if n_features < 2:
        raise DataError(f"The 'classification' dataset needs n_features >= 2. Got {n_features}.")
    informative = max(2, n_features // 2)
    X, y = skdatasets.make_classification(
        n_samples=n_samples or 1000,
        n_features=n_features,
        n_informative=informative,
        n_redundant=min(2, n_features - informative),
        random_state=random_state,
    )
    return X, y, tuple(f"x{i}" for i in range(n_features))


#: name -> (loader(n_samples, n_features, random_state), task).
BUILTIN_DATASETS: dict[str, tuple[Callable[[int | None, int | None, int], _Arrays], str]] = {
    "breast_cancer": (_bundled(skdatasets.load_breast_cancer), "classification"),
    "classification": (_classification, "classification"),
    "diabetes": (_bundled(skdatasets.load_diabetes), "regression"),
    "digits": (_bundled(skdatasets.load_digits), "classification"),
    "iris": (_bundled(skdatasets.load_iris), "classification"),
    "moons": (_moons, "classification"),
    "wine": (_bundled(skdatasets.load_wine), "classification"),
}


def _check_count(name: str, value: Any, low: int) -> None:
    if value is not None and (
        not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low
    ):
        raise DataError(f"{name} must be an integer >= {low}. Got {value!r} instead.")


def _load_builtin(
    name: str, n_samples: int | None, n_features: int | None, random_state: int, task: str | None
) -> Dataset:
    loader, builtin_task = BUILTIN_DATASETS[name]
    if task is not None and task != builtin_task:
        raise DataError(
            f"The built-in dataset {name!r} is a {builtin_task} task. Got task={task!r}."
        )
    if n_features is not None and name != "classification":
        raise DataError(f"n_features applies only to the 'classification' dataset, not {name!r}.")
    X, y, names = loader(None if n_samples is None else int(n_samples), n_features, random_state)
    return Dataset.from_arrays(X, y, task=builtin_task, name=name, feature_names=names)


# -- files ----------------------------------------------------------------------------------
#: A float in a CSV reads back to the very value written (pandas 3 does so by default and
#: deprecates the option; before 3, the default parser may be off in the last bit, which would
#: change the data fingerprint between pandas versions).
_EXACT_FLOATS: dict[str, str] = (
    {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
)
#: File name ending -> (reader, format name).
FILE_READERS: dict[str, tuple[Callable[[Path], pd.DataFrame], str]] = {
    ".csv": (functools.partial(pd.read_csv, **_EXACT_FLOATS), "CSV"),
    ".csv.gz": (functools.partial(pd.read_csv, **_EXACT_FLOATS), "CSV"),
    ".tsv": (functools.partial(pd.read_csv, sep="\t", **_EXACT_FLOATS), "TSV"),
    ".parquet": (pd.read_parquet, "Parquet"),
    ".pq": (pd.read_parquet, "Parquet"),
}


def _reader(path: Path) -> tuple[Callable[[Path], pd.DataFrame], str]:
    lower = path.name.lower()
    for ending in sorted(FILE_READERS, key=len, reverse=True):
        if lower.endswith(ending):
            return FILE_READERS[ending]
    raise DataError(
        f"Cannot tell the format of dataset file '{path}' from its name: it must end in "
        f"one of {', '.join(sorted(FILE_READERS))}."
    )


def _read_frame(path: Path) -> pd.DataFrame:
    reader, fmt = _reader(path)
    if not path.exists():
        raise DataError(f"Dataset file '{path}' does not exist.")
    if path.is_dir():
        raise DataError(f"Dataset path '{path}' is a folder, not a {fmt} file.")
    try:
        frame = reader(path)
    except pd.errors.EmptyDataError as e:
        raise DataError(f"Dataset file '{path}' is empty.") from e
    except Exception as e:  # pandas and pyarrow raise many types for unreadable files
        raise DataError(
            f"Cannot read dataset file '{path}' as {fmt}: {type(e).__name__}: {e}"
        ) from e
    if frame.shape[0] == 0:
        raise DataError(
            f"Dataset file '{path}' has no data rows (columns: {list(map(str, frame.columns))})."
        )
    return frame


def _split_frame(
    frame: pd.DataFrame, target: str | None, source: str
) -> tuple[pd.DataFrame, pd.Series]:
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    if target is None:
        if DEFAULT_TARGET not in columns:
            raise DataError(
                f"{source[:1].upper()}{source[1:]} has no column {DEFAULT_TARGET!r} and no target column was "
                f"given; pass target=COLUMN (--target COLUMN). Columns: {columns}."
            )
        target = DEFAULT_TARGET
    if target not in columns:
        error = unknown_name_error(f"target column in {source}:", target, columns, cls=DataError)
        raise error
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataError(
            f"{source[:1].upper()}{source[1:]} has no feature columns besides the target {target!r}."
        )
    return features, frame[target]


def _load_frame(
    frame: pd.DataFrame, target: str | None, task: str | None, name: str, source: str
) -> Dataset:
    features, labels = _split_frame(frame, target, source)
    keep = labels.notna().to_numpy()
    n_dropped = int((~keep).sum())
    if not keep.any():
        raise DataError(
            f"In {source}: the target column {labels.name!r} has no values (all "
            f"{len(labels)} rows missing)."
        )
    features, labels = features[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
    dropped = f" (after dropping {n_dropped} row(s) with a missing target)" if n_dropped else ""
    try:
        table, plan = prepare_table(features)
        if not plan.needs_auto:
            data = Dataset.from_arrays(features, labels, task=task, name=name)
            return dataclasses.replace(data, n_dropped=n_dropped)
        return _table_dataset(table, plan, labels, task, name, n_dropped)
    except DataError as e:
        raise DataError(f"In {source}: {e}{dropped}") from e


def _table_dataset(
    table: pd.DataFrame,
    plan: ColumnPlan,
    labels: pd.Series,
    task: str | None,
    name: str,
    n_dropped: int,
) -> Dataset:
    """A Dataset of a table that needs ``preprocessing="auto"``."""
    y = _check_target(labels, table.shape[0])
    if task is None:
        task = _detect_task(labels)
    _check_task(task, y)
    return Dataset(
        table,
        y,
        task,
        str(name),
        table_fingerprint(table, y, task),
        tuple(str(c) for c in table.columns),
        plan,
        n_dropped,
    )


def _looks_like_path(spec: str) -> bool:
    lower = spec.lower()
    return (
        os.sep in spec
        or "/" in spec
        or any(lower.endswith(e) for e in FILE_READERS)
        or Path(spec).exists()
    )


def load_dataset(
    spec: str | os.PathLike[str] | Dataset | pd.DataFrame | tuple[Any, Any],
    *,
    target: str | None = None,
    task: str | None = None,
    n_samples: int | None = None,
    n_features: int | None = None,
    random_state: int = 0,
) -> Dataset:
    """Load a dataset by built-in name, from a CSV/Parquet file, or from data in Python.

    Parameters
    ----------
    spec : str, path-like, Dataset, DataFrame or (X, y)
        A built-in name: ``digits``, ``breast_cancer``, ``wine``, ``iris``, ``diabetes``
        (regression), ``moons`` (``make_moons``, noise 0.2, 500 rows by default) or
        ``classification`` (``make_classification``, 1000 x 20 by default, half the features
        informative). Otherwise a path ending in ``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet`` or
        ``.pq`` (a name wins over a file of the same name), a DataFrame holding the target
        column, an ``(X, y)`` pair, or a :class:`Dataset` (returned as it is).
    target : str, optional
        The target column of a file or DataFrame; default ``"target"``. Every other column is a
        feature: numbers, booleans or text, complete or with missing values (prepared by
        ``preprocessing="auto"``, see :mod:`initstudy.study._preprocessing`); rows with a
        missing target are dropped (counted in ``n_dropped``).
    task : {"classification", "regression"}, optional
        Detected when not given (see :meth:`Dataset.from_arrays`); fixed for built-in names.
    n_samples : int, optional
        Rows to generate (``moons``, ``classification``), or a seeded random subset of the rows
        of a bundled dataset (for quick runs).
    n_features : int, optional
        Features of ``classification`` (>= 2).
    random_state : int, default=0
        Seed of the generated data and of the row subset.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For an unknown name (with the nearest name and the list), a missing, empty, unreadable
        or corrupt file, a missing target column (with the columns), non-numeric or missing
        feature values, or invalid arrays.

    Examples
    --------
    >>> data = load_dataset("iris")
    >>> data.X.shape, data.task
    ((150, 4), 'classification')
    """
    _check_count("n_samples", n_samples, 2)
    _check_count("n_features", n_features, 1)
    if isinstance(spec, Dataset):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        return Dataset.from_arrays(spec[0], spec[1], task=task)
    if isinstance(spec, pd.DataFrame):
        return _load_frame(spec, target, task, "dataframe", "the DataFrame")
    if isinstance(spec, str) and spec.strip().lower() in BUILTIN_DATASETS:
        if target is not None:
            raise DataError(
                f"target applies only to files and DataFrames, not the built-in {spec!r}."
            )
        return _load_builtin(spec.strip().lower(), n_samples, n_features, random_state, task)
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and _looks_like_path(spec)):
        path = Path(spec).expanduser()
        frame = _read_frame(path)
        return _load_frame(frame, target, task, path.name, f"dataset file '{path}'")
    if isinstance(spec, str):
        error = unknown_name_error("dataset", spec, BUILTIN_DATASETS, cls=DataError)
        raise DataError(
            f"{error} A data file must be an existing path ending in "
            f"{', '.join(sorted(FILE_READERS))}."
        )
    raise DataError(
        "A dataset must be a built-in name, a file path, a DataFrame, (X, y) or a "
        f"Dataset. Got {type(spec).__name__} instead."
    )
