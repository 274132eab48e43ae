"""``preprocessing = "auto"``: real tables (missing values, text columns) made ready for an MLP.

What a table's columns become, decided once from the whole table (no values are learned
here), then fitted on each training part only, inside the per-split pipeline:

- **numbers** (integers and floats, integer codes included: they are read as amounts; give
  codes as text to one-hot them): missing values imputed with the training part's median,
  then standardized;
- **booleans** (a bool column, or a text column holding only true/false values, e.g. with
  missing ones): 1.0/0.0, then treated as numbers (a missing value becomes the median);
- **text and categories**: missing values imputed with the most frequent category, then
  one-hot encoded; a category first seen in a validation or test part encodes as all zeros
  (``handle_unknown="ignore"``). A column of more than :data:`MAX_CATEGORIES` categories, or
  one whose every value is distinct over 20 rows or more (an ID), is encoded all the same, with a
  :class:`HighCardinalityWarning` naming it;
- **dates** (a datetime column, or text that reads as ISO dates) are refused, naming the
  column: an MLP cannot use a date as it is (turn it into numbers, e.g. days since a start).

A table of text columns only is fine: its one-hot features are the whole input. A target column
with no values, or a classification target left with one class once the rows with a missing
target are dropped, is refused before anything is stored.

``"standard"`` (a StandardScaler; the data must be numeric and complete) and ``"none"`` (the
data as it is) stay available. On a table with only complete numeric columns ``"auto"`` is
exactly ``"standard"``, and is stored as such, so studies made before ``"auto"`` existed resume.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from initstudy.exceptions import ConfigError, DataError

__all__ = [
    "MAX_CATEGORIES",
    "PREPROCESSING",
    "ColumnPlan",
    "HighCardinalityWarning",
    "describe_columns",
    "effective_preprocessing",
    "make_auto_transformer",
    "prepare_table",
    "table_fingerprint",
]

#: The named preprocessing settings (a scikit-learn transformer is accepted too).
PREPROCESSING = ("auto", "none", "standard")
#: More categories than this in one text column draw a :class:`HighCardinalityWarning`.
MAX_CATEGORIES = 50
#: A text column whose every value is distinct over at least this many rows is an ID.
_MIN_ID_ROWS = 20

_BOOL_TEXT = {"true": 1.0, "false": 0.0}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


class HighCardinalityWarning(UserWarning):
    """A text column with very many categories (or an ID column) is one-hot encoded."""


@dataclass(frozen=True)
class ColumnPlan:
    """What ``"auto"`` does to each column of a table.

    Attributes
    ----------
    numeric, boolean, categorical : tuple of str
        The columns of each kind (booleans are numbers once mapped to 1.0/0.0).
    n_missing : dict of str to int
        Missing values per column (only columns with some).
    n_categories : dict of str to int
        Distinct categories of each categorical column.
    """

    numeric: tuple[str, ...]
    boolean: tuple[str, ...]
    categorical: tuple[str, ...]
    n_missing: dict[str, int]
    n_categories: dict[str, int]

    @property
    def needs_auto(self) -> bool:
        """True when ``"standard"`` cannot take the table (text, booleans or missing values)."""
        return bool(self.categorical or self.boolean or self.n_missing)

    def describe(self, n_dropped: int = 0) -> str:
        """One line saying what was done to the columns (printed by ``initstudy run``)."""
        parts = []
        numbers = len(self.numeric) + len(self.boolean)
        if numbers:
            missing = sum(v for k, v in self.n_missing.items() if k not in self.categorical)
            text = f"{numbers} numeric column(s) standardized"
            if self.boolean:
                text += f" ({len(self.boolean)} boolean as 0/1)"
            if missing:
                text += f", {missing} missing value(s) imputed with the median"
            parts.append(text)
        if self.categorical:
            missing = sum(self.n_missing.get(c, 0) for c in self.categorical)
            width = sum(self.n_categories.values())
            text = f"{len(self.categorical)} text column(s) one-hot encoded into {width} feature(s)"
            if missing:
                text += f", {missing} missing value(s) imputed with the most frequent"
            parts.append(text)
        if n_dropped:
            parts.append(f"{n_dropped} row(s) with a missing target dropped")
        return "preprocessing 'auto': " + "; ".join(parts) + "."


def _is_bool_text(column: pd.Series) -> bool:
    values = column.dropna()
    if values.empty or values.map(type).eq(bool).all():
        return not values.empty
    return bool(values.astype(str).str.strip().str.lower().isin(_BOOL_TEXT).all())


def _refuse_dates(name: str, column: pd.Series) -> None:
    date_kind = pd.api.types.is_datetime64_any_dtype(column) or isinstance(
        column.dtype, pd.PeriodDtype
    )
    values = column.dropna()
    if not date_kind and not values.empty and not pd.api.types.is_numeric_dtype(column):
        date_kind = bool(values.astype(str).str.match(_ISO_DATE).all())
    if date_kind:
        raise DataError(
            f"Column {name!r} holds dates, which an MLP cannot use as they are: turn it into "
            f"numbers (for example days since the first date) or drop it."
        )


def prepare_table(features: pd.DataFrame, *, warn: bool = True) -> tuple[pd.DataFrame, ColumnPlan]:
    """Map boolean columns to 1.0/0.0 and sort the columns into kinds (nothing is fitted).

    Raises
    ------
    DataError
        For a date column, or a column with no value at all.
    """
    frame = features.copy()
    numeric, boolean, categorical = [], [], []
    for name in frame.columns:
        column = frame[name]
        if column.isna().all():
            raise DataError(f"Column {name!r} has no values (all {len(column)} missing); drop it.")
        _refuse_dates(name, column)
        if pd.api.types.is_bool_dtype(column):  # complete: a number, as before "auto" existed
            frame[name] = column.astype(np.float64)
            numeric.append(name)
        elif column.dtype == object and _is_bool_text(column):
            text = column.map(lambda v: v if pd.isna(v) else str(v).strip().lower())
            frame[name] = text.map(_BOOL_TEXT).astype(np.float64)
            boolean.append(name)
        elif pd.api.types.is_numeric_dtype(column):
            frame[name] = column.astype(np.float64)
            numeric.append(name)
        else:
            frame[name] = column.astype(object).where(column.notna(), np.nan)
            categorical.append(name)
    n_missing = {c: int(n) for c, n in features.isna().sum().items() if n}
    n_categories = {c: int(frame[c].nunique(dropna=True)) for c in categorical}
    plan = ColumnPlan(tuple(numeric), tuple(boolean), tuple(categorical), n_missing, n_categories)
    if warn:
        _warn_high_cardinality(plan, len(frame))
    return frame, plan


def _warn_high_cardinality(plan: ColumnPlan, n_rows: int) -> None:
    wide = [
        c
        for c, k in plan.n_categories.items()
        if k > MAX_CATEGORIES or (k == n_rows - plan.n_missing.get(c, 0) and k >= _MIN_ID_ROWS)
    ]
    if wide:
        counts = ", ".join(f"{c!r} ({plan.n_categories[c]})" for c in wide)
        warnings.warn(
            f"Text column(s) with very many categories, each one-hot encoded into that many "
            f"features: {counts}. An ID-like column carries no signal; drop it unless it does.",
            HighCardinalityWarning,
            stacklevel=3,
        )


def make_auto_transformer(plan: ColumnPlan) -> ColumnTransformer:
    """The unfitted ``"auto"`` transformer of a table whose columns ``plan`` describes."""
    numbers = list(plan.numeric) + list(plan.boolean)
    steps = []
    if numbers:
        steps.append(
            (
                "numbers",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median")),
                        ("scale", StandardScaler()),
                    ]
                ),
                numbers,
            )
        )
    if plan.categorical:
        steps.append(
            (
                "categories",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(plan.categorical),
            )
        )
    return ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)


def effective_preprocessing(setting: Any, plan: ColumnPlan | None) -> Any:
    """The preprocessing a study really applies: ``"auto"`` is ``"standard"`` on a complete
    numeric table (and on built-in datasets), else the table's own "auto" pipeline.

    Raises
    ------
    ConfigError
        For an unknown name.
    DataError
        For ``"standard"`` or ``"none"`` on a table that needs ``"auto"``.
    """
    if isinstance(setting, str) and setting not in PREPROCESSING:
        raise ConfigError(
            f"The 'preprocessing' setting must be one of {list(PREPROCESSING)} or "
            f"a scikit-learn transformer. Got {setting!r} instead."
        )
    if setting == "auto":
        return "auto" if plan is not None and plan.needs_auto else "standard"
    if plan is not None and plan.needs_auto:
        what = []
        if plan.categorical or plan.boolean:
            what.append(f"non-numeric columns {list(plan.categorical + plan.boolean)}")
        if plan.n_missing:
            what.append(f"missing values (column: count) {plan.n_missing}")
        raise DataError(
            f"The table has {' and '.join(what)}, which preprocessing={setting!r} "
            f"cannot take; use preprocessing='auto' (the default) to impute and "
            f"encode them."
        )
    return setting


def table_fingerprint(frame: pd.DataFrame, y: np.ndarray, task: str) -> str:
    """sha256 of a prepared table (kinds, values, missing cells), its target and task."""
    digest = hashlib.sha256(b"initstudy-table-v1\0" + f"{task}\0{frame.shape}\0".encode())
    for name in frame.columns:
        column = frame[name]
        missing = column.isna().to_numpy()
        digest.update(np.packbits(missing).tobytes())
        if pd.api.types.is_float_dtype(column):
            digest.update(b"n" + np.where(missing, 0.0, column.to_numpy()).astype("<f8").tobytes())
        else:
            text = "\x1f".join("" if m else str(v) for v, m in zip(column.tolist(), missing))
            digest.update(b"t" + text.encode("utf-8", "surrogatepass"))
    labels = np.asarray(y)
    if labels.dtype.kind in "biuf":
        digest.update(b"numbers\0" + np.ascontiguousarray(labels.astype("<f8")).tobytes())
    else:
        digest.update(b"labels\0" + "\x1f".join(map(str, labels.tolist())).encode())
    return digest.hexdigest()


def describe_columns(dataset: Any, setting: Any) -> str:
    """One line on what a study does to a file's columns (``initstudy run`` prints it)."""
    plan, dropped = dataset.columns, dataset.n_dropped
    if plan is not None and setting == "auto":
        return plan.describe(dropped)
    name = setting if isinstance(setting, str) else type(setting).__name__
    if name == "auto":
        name = "auto' (complete numbers: the same as 'standard"
    line = f"preprocessing '{name}': {dataset.n_features} numeric column(s)"
    line += " standardized" if name != "none" else " used as they are"
    if dropped:
        line += f"; {dropped} row(s) with a missing target dropped"
    return line + "."
