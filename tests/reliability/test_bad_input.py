"""Bad input, table-driven: each case names the error class and the words the user sees.

Two tables:

- ``API_CASES``: Python API calls (data, estimators, spaces, configs). Each either raises the
  exact error class with the given words, or (``error=None``) must work.
- ``CLI_CASES``: ``initstudy run`` on a bad config file, data file or option, against a copy of
  a real study database. Each is checked twice: the run command raises the exact class (called
  directly, as ``main`` would), and ``main`` prints one ``error: ...`` line holding the words,
  no traceback, exits 2, and the database file and its WAL are byte-identical afterwards.

Property-based tests of the same families live elsewhere and are not repeated here:
tests/initializers/test_properties.py (initializers over random shapes and parameters) and
tests/searchspaces/test_searchspace_properties.py (random valid and invalid space configs).
Storage-level database faults are in tests/storage/test_storage_faults.py; their end-to-end CLI
versions are in test_db_faults.py.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from reliability_helpers import (
    TINY_TOML,
    assert_one_line_error,
    run_main,
    stored_state,
    write_config,
)
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from initstudy import cli
from initstudy.exceptions import ConfigError, DataError, DivergenceWarning, StorageError
from initstudy.mlp import MLPClassifier, fit_seeds
from initstudy.searchspaces import from_dict
from initstudy.storage import list_studies, load_seed_runs
from initstudy.study import Dataset, StudyConfig, evaluate, load_dataset

X, Y = load_iris(return_X_y=True)
LABELS = np.array(["setosa", "versicolor", "virginica"])[Y]


def _with(values: np.ndarray, row: int, col: int, value: float) -> np.ndarray:
    out = values.copy()
    out[row, col] = value
    return out


def _mlp(**params: Any) -> MLPClassifier:
    return MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, **params)


# -- the Python API --------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiCase:
    """A call, the error class it must raise (None: it must work) and the words shown."""

    id: str
    call: Callable[[], Any]
    error: type[BaseException] | None
    words: str = ""


API_CASES = [
    ApiCase(
        "nan-in-X",
        lambda: load_dataset((_with(X, 0, 0, np.nan), Y)),
        DataError,
        "X contains 1 NaN or infinite values; clean or impute them first.",
    ),
    ApiCase(
        "inf-in-X",
        lambda: Dataset.from_arrays(_with(X, 3, 1, np.inf), Y),
        DataError,
        "X contains 1 NaN or infinite values",
    ),
    ApiCase(
        "nan-in-X-evaluate",
        lambda: evaluate(_mlp(), _with(X, 0, 0, np.nan), Y, seeds=2),
        DataError,
        "NaN",
    ),
    ApiCase(
        "nan-in-X-estimator",
        lambda: _mlp().fit(_with(X, 0, 0, np.nan), Y),
        ValueError,
        "Input X contains NaN",
    ),  # scikit-learn's contract for estimators
    ApiCase(
        "inf-in-X-fit_seeds",
        lambda: fit_seeds(_mlp(), _with(X, 0, 0, -np.inf), Y, [0, 1]),
        ValueError,
        "Input X contains infinity",
    ),
    ApiCase(
        "empty-X",
        lambda: load_dataset((np.empty((0, 4)), [])),
        DataError,
        "X needs at least 2 samples and 1 feature. Got shape (0, 4).",
    ),
    ApiCase(
        "empty-X-evaluate",
        lambda: evaluate(_mlp(), np.empty((0, 4)), [], seeds=1),
        DataError,
        "X needs at least 2 samples",
    ),
    ApiCase(
        "one-sample",
        lambda: load_dataset((X[:1], Y[:1])),
        DataError,
        "X needs at least 2 samples and 1 feature. Got shape (1, 4).",
    ),
    ApiCase(
        "one-class",
        lambda: load_dataset((X[:50], Y[:50])),
        DataError,
        "Classification needs at least 2 classes. Got only 0.",
    ),
    ApiCase(
        "one-class-estimator",
        lambda: _mlp().fit(X[:50], Y[:50]),
        DataError,
        "MLPClassifier needs at least 2 classes in y. Got 1 class",
    ),
    ApiCase(
        "y-length",
        lambda: load_dataset((X, Y[:-1])),
        DataError,
        "X and y must have the same length. Got 150 rows in X and 149 in y.",
    ),
    ApiCase(
        "y-length-evaluate",
        lambda: evaluate(_mlp(), X, Y[:-1], seeds=1),
        DataError,
        "X and y must have the same length",
    ),
    ApiCase(
        "sparse-X",
        lambda: load_dataset((sp.csr_matrix(X), Y)),
        DataError,
        "Sparse matrices are not supported as X; convert with X.toarray().",
    ),
    ApiCase(
        "sparse-X-evaluate",
        lambda: evaluate(_mlp(), sp.csr_matrix(X), Y, seeds=1),
        DataError,
        "Sparse matrices are not supported",
    ),
    ApiCase(
        "sparse-X-estimator",
        lambda: _mlp().fit(sp.csr_matrix(X), Y),
        TypeError,
        "Sparse data was passed",
    ),  # scikit-learn's contract for estimators
    ApiCase(
        "3d-X",
        lambda: load_dataset((X.reshape(150, 2, 2), Y)),
        DataError,
        "X must be 2-D (n_samples, n_features). Got shape (150, 2, 2).",
    ),
    ApiCase(
        "3d-X-evaluate",
        lambda: evaluate(_mlp(), X.reshape(150, 2, 2), Y, seeds=1),
        DataError,
        "X must be 2-D",
    ),
    ApiCase(
        "unknown-initializer",
        lambda: _mlp(init="he_norml").fit(X, Y),
        ConfigError,
        "Unknown initializer 'he_norml'. Did you mean 'he_normal'? Valid: ",
    ),
    ApiCase(
        "unknown-initializer-space",
        lambda: from_dict({"params": {"init": ["glorot_unifrm"]}}),
        ConfigError,
        "Did you mean 'glorot_uniform'?",
    ),
    ApiCase(
        "negative-init_scale",
        lambda: _mlp(init_scale=-1.0).fit(X, Y),
        ConfigError,
        "The 'init_scale' parameter of MLPClassifier must be a float in [0, inf). Got -1.0",
    ),
    ApiCase(
        "nan-init_scale",
        lambda: _mlp(init_scale=float("nan")).fit(X, Y),
        ConfigError,
        "must be a float in [0, inf). Got nan instead.",
    ),
    ApiCase(
        "inf-init_scale",
        lambda: _mlp(init_scale=float("inf")).fit(X, Y),
        ConfigError,
        "must be a float in [0, inf). Got inf instead.",
    ),
    ApiCase(
        "negative-init_scale-config",
        lambda: StudyConfig(estimator={"hidden_layer_sizes": [4], "init_scale": -1.0}),
        ConfigError,
        "'init_scale'",
    ),
    ApiCase(
        "zero-in-hidden_layer_sizes",
        lambda: MLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, Y),
        ConfigError,
        "'hidden_layer_sizes' parameter of MLPClassifier must be an int >= 1 "
        "or a sequence of ints >= 1. Got (4, 0) instead.",
    ),
    ApiCase(
        "zero-in-hidden_layer_sizes-config",
        lambda: StudyConfig(estimator={"hidden_layer_sizes": [8, 0]}),
        ConfigError,
        "'hidden_layer_sizes'",
    ),
    ApiCase(
        "zero-seeds",
        lambda: StudyConfig(seeds=0),
        ConfigError,
        "The 'seeds' must be a positive count or distinct non-negative integers. Got 0 instead.",
    ),
    ApiCase(
        "zero-seeds-fit_seeds",
        lambda: fit_seeds(_mlp(), X, Y, []),
        ConfigError,
        "fit_seeds needs at least one seed. Got an empty sequence.",
    ),
    ApiCase(
        "duplicated-seeds",
        lambda: evaluate(_mlp(), X, Y, seeds=[3, 1, 3]),
        ConfigError,
        "distinct non-negative integers. Got [3, 1, 3] instead.",
    ),
    ApiCase(
        "empty-choice-list",
        lambda: from_dict({"params": {"init": []}}),
        ConfigError,
        "Invalid search space key 'params.init': a list of choices must not "
        "be empty. Got [] instead.",
    ),
    ApiCase(
        "log-range-zero",
        lambda: from_dict({"params": {"init_scale": {"low": 0.0, "high": 1.0, "log": True}}}),
        ConfigError,
        "'params.init_scale': a log range needs low > 0.",
    ),
    ApiCase(
        "log-range-negative",
        lambda: from_dict(
            {"params": {"learning_rate_init": {"low": -1e-3, "high": 1e-1, "log": True}}}
        ),
        ConfigError,
        "a log range needs low > 0",
    ),
    ApiCase(
        "unknown-config-key",
        lambda: StudyConfig.from_dict({"study": {"n_trails": 3}}),
        ConfigError,
        "Unknown key in [study] 'n_trails'. Did you mean 'n_trials'?",
    ),
    ApiCase(
        "unknown-space-key",
        lambda: from_dict({"parms": {"init": ["he_normal"]}}),
        ConfigError,
        "Unknown search space key 'parms'. Did you mean 'params'?",
    ),
    ApiCase(
        "unknown-dataset",
        lambda: load_dataset("digts"),
        DataError,
        "Unknown dataset 'digts'. Did you mean 'digits'?",
    ),
    ApiCase(
        "missing-dataset-file",
        lambda: load_dataset("/nonexistent/data.csv"),
        DataError,
        "Dataset file '/nonexistent/data.csv' does not exist.",
    ),
    ApiCase(
        "unknown-aggregate",
        lambda: StudyConfig(aggregate="avg"),
        ConfigError,
        "Unknown aggregate 'avg'.",
    ),
]


def _fit_quietly(estimator: MLPClassifier, X_: Any, y_: Any) -> MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X_, y_)


def _works_string_labels() -> None:
    data = load_dataset((X, LABELS))
    result = evaluate(_mlp(), data.X, data.y, seeds=2)
    assert data.task == "classification" and result.n_errors == 0


def _works_categorical_labels() -> None:
    labels = pd.Series(pd.Categorical(LABELS))
    data = load_dataset((X, labels))
    result = evaluate(_mlp(), data.X, data.y, seeds=2)
    assert data.task == "classification" and result.n_errors == 0
    fitted = _fit_quietly(_mlp(), X, labels)
    assert set(fitted.predict(X)) <= set(LABELS)


def _works_zero_init_scale() -> None:
    fitted = _fit_quietly(
        _mlp(init_scale=0.0), X, Y
    )  # all weights start at zero, like init="zeros"
    assert not fitted.diverged_


def _works_no_hidden_layer() -> None:
    fitted = _fit_quietly(MLPClassifier(hidden_layer_sizes=(), max_iter=3), X, Y)  # as sklearn
    assert [c.shape for c in fitted.coefs_] == [(4, 3)]


def _huge_init_scale_diverges_cleanly() -> None:
    """init_scale 1e300: trained, marked diverged, one DivergenceWarning and no other."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = fit_seeds(_mlp(init_scale=1e300), X, Y, [0, 1])
    assert all(f.diverged_ for f in fitted)
    assert [w.category for w in caught] == [DivergenceWarning], [str(w.message) for w in caught]


WORKING_CASES = [
    ApiCase("string-labels", _works_string_labels, None),
    ApiCase("categorical-labels", _works_categorical_labels, None),
    ApiCase("zero-init_scale", _works_zero_init_scale, None),
    ApiCase("empty-hidden_layer_sizes", _works_no_hidden_layer, None),
    ApiCase("huge-init_scale", _huge_init_scale_diverges_cleanly, None),
]


@pytest.mark.parametrize("case", API_CASES + WORKING_CASES, ids=lambda c: c.id)
def test_api_bad_input(case: ApiCase) -> None:
    if case.error is None:
        case.call()
        return
    with pytest.raises(case.error, match=re.escape(case.words)) as caught:
        case.call()
    assert type(caught.value).__module__.split(".")[0] in ("initstudy", "builtins")


# -- the command line --------------------------------------------------------------------------
def _config(text: str) -> Callable[[Path], list[str]]:
    """A case whose config file holds ``text``."""
    return lambda folder: [str(write_config(folder, text, "bad.toml"))]


def _tiny_with(old: str, new: str) -> Callable[[Path], list[str]]:
    """A case whose config is the tiny study with one piece of text replaced; the study is
    named 'fresh' (not the stored 'tiny'), so a name collision cannot hide the error."""
    assert old in TINY_TOML
    return _config(
        TINY_TOML.replace(old, new).replace('name = "tiny"\nn_trials', 'name = "fresh"\nn_trials')
    )


def _data_file(
    write: Callable[[Path], None], name: str, *extra: str
) -> Callable[[Path], list[str]]:
    """A case whose dataset is a file written by ``write``."""

    def build(folder: Path) -> list[str]:
        path = folder / name
        write(path)
        return [str(write_config(folder)), "--dataset", str(path), *extra]

    return build


def _csv(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _iris_frame(target: str = "target") -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame[target] = Y
    return frame


def _corrupt_parquet(path: Path) -> None:
    _iris_frame().to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x00" * 64 + data[-8:])


def _options(*args: str) -> Callable[[Path], list[str]]:
    return lambda folder: [str(write_config(folder)), *args]


@dataclass(frozen=True)
class CliCase:
    """``initstudy run`` arguments (built in the test's folder), the class and the words."""

    id: str
    args: Callable[[Path], list[str]]
    error: type[BaseException]
    words: str


CLI_CASES = [
    CliCase("malformed-toml", _config("[study\nname = 'x'\n"), ConfigError, "is not valid TOML"),
    CliCase(
        "not-utf8-toml",
        lambda f: [str(_bytes(f / "bad.toml", b"\xff\xfe[study]\n"))],
        ConfigError,
        "is not valid TOML",
    ),
    CliCase(
        "missing-toml",
        lambda f: [str(f / "nowhere.toml")],
        ConfigError,
        "Cannot read the config file",
    ),
    CliCase("folder-as-toml", lambda f: [str(f)], ConfigError, "Cannot read the config file"),
    CliCase(
        "unknown-key",
        _tiny_with("n_trials = 8", "n_trails = 8"),
        ConfigError,
        "Unknown key in [study] 'n_trails'. Did you mean 'n_trials'?",
    ),
    CliCase(
        "unknown-section",
        _tiny_with("[seeds]", "[seed]"),
        ConfigError,
        "Unknown config section 'seed'. Did you mean 'seeds'?",
    ),
    CliCase(
        "unknown-estimator-param",
        _tiny_with("max_iter", "max_iters"),
        ConfigError,
        "Unknown mlp estimator parameter 'max_iters'. Did you mean 'max_iter'?",
    ),
    CliCase(
        "unknown-initializer",
        _tiny_with('"lecun_normal"', '"lecun_normall"'),
        ConfigError,
        "Unknown initializer 'lecun_normall'. Did you mean 'lecun_normal'?",
    ),
    CliCase(
        "empty-choice-list",
        _tiny_with('init = ["he_normal", "glorot_uniform", "lecun_normal"]', "init = []"),
        ConfigError,
        "'params.init': a list of choices must not be empty",
    ),
    CliCase(
        "log-range-zero",
        _tiny_with("low = 0.5", "low = 0.0"),
        ConfigError,
        "'params.init_scale': a log range needs low > 0",
    ),
    CliCase(
        "negative-init_scale-fixed",
        _tiny_with("max_iter = 20", "max_iter = 20\ninit_scale = -1.0"),
        ConfigError,
        "'init_scale'",
    ),
    CliCase(
        "nan-init_scale-fixed",
        _tiny_with("max_iter = 20", "max_iter = 20\ninit_scale = nan"),
        ConfigError,
        "'init_scale'",
    ),
    CliCase(
        "zero-width-layer",
        _tiny_with("hidden_layer_sizes = [8]", "hidden_layer_sizes = [8, 0]"),
        ConfigError,
        "'hidden_layer_sizes'",
    ),
    CliCase(
        "zero-seeds",
        _tiny_with("n = 3", "n = 0"),
        ConfigError,
        "The 'seeds' must be a positive count or distinct non-negative integers",
    ),
    CliCase(
        "duplicated-seeds",
        _tiny_with("n = 3", "values = [4, 2, 4]"),
        ConfigError,
        "Got (4, 2, 4) instead.",
    ),
    CliCase(
        "zero-trials",
        _options("--trials", "0"),
        ConfigError,
        "The study setting 'n_trials' must be an integer >= 1. Got 0 instead.",
    ),
    CliCase(
        "zero-jobs",
        _options("--jobs", "0"),
        ConfigError,
        "The study setting 'jobs' must be an integer >= 1. Got 0 instead.",
    ),
    CliCase(
        "unknown-dataset",
        _options("--dataset", "irsi"),
        DataError,
        "Unknown dataset 'irsi'. Did you mean 'iris'?",
    ),
    CliCase(
        "missing-data-file",
        _options("--dataset", "nowhere/data.csv"),
        DataError,
        "data.csv' does not exist.",
    ),
    CliCase(
        "csv-without-target",
        _data_file(lambda p: _iris_frame("label").to_csv(p, index=False), "data.csv"),
        DataError,
        "has no column 'target' and no target column was given; pass "
        "target=COLUMN (--target COLUMN).",
    ),
    CliCase(
        "csv-wrong-target",
        _data_file(
            lambda p: _iris_frame("label").to_csv(p, index=False), "data.csv", "--target", "lable"
        ),
        DataError,
        "Did you mean 'label'?",
    ),
    CliCase("csv-empty", _data_file(_csv(""), "data.csv"), DataError, "data.csv' is empty."),
    CliCase(
        "csv-header-only",
        _data_file(_csv("a,b,target\n"), "data.csv"),
        DataError,
        "has no data rows",
    ),
    # text and missing feature values are taken by preprocessing="auto" (issue 13); dates and
    # a target with no values are still refused
    CliCase(
        "csv-date-feature",
        _data_file(
            _csv("a,b,target\n1,2024-01-02,0\n2,2024-01-03,1\n3,2024-01-04,0\n"), "data.csv"
        ),
        DataError,
        "Column 'b' holds dates",
    ),
    CliCase(
        "csv-target-all-missing",
        _data_file(_csv("a,b,target\n1,2,\n2,3,\n3,4,\n"), "data.csv"),
        DataError,
        "the target column 'target' has no values (all 3 rows missing)",
    ),
    CliCase(
        "csv-one-class",
        _data_file(_csv("a,b,target\n1,2,0\n2,3,0\n3,4,0\n"), "data.csv"),
        DataError,
        "Classification needs at least 2 classes",
    ),
    CliCase(
        "corrupt-parquet",
        _data_file(_corrupt_parquet, "data.parquet"),
        DataError,
        "data.parquet' as Parquet",
    ),
    CliCase(
        "csv-as-parquet",
        _data_file(_csv("a,target\n1,0\n2,1\n"), "data.parquet"),
        DataError,
        "as Parquet",
    ),
    CliCase(
        "unknown-file-type",
        _data_file(_csv("a,target\n1,0\n"), "data.xlsx"),
        DataError,
        "Cannot tell the format of dataset file",
    ),
    CliCase(
        "unknown-scoring",
        _tiny_with("[seeds]", '[evaluation]\nscoring = "acuracy"\n\n[seeds]'),
        ConfigError,
        "Unknown scoring 'acuracy'. Did you mean 'accuracy'?",
    ),
    CliCase(
        "unknown-space-preset",
        _tiny_with(
            '[space]\nname = "tiny"\n[space.params]\ninit = '
            '["he_normal", "glorot_uniform", "lecun_normal"]\n'
            "init_scale = {low = 0.5, high = 2.0, log = true}",
            '[space]\npreset = "kears"',
        ),
        ConfigError,
        "Unknown search space 'kears'. Did you mean 'keras'?",
    ),
    CliCase(
        "not-a-url",
        lambda f: [str(write_config(f)), "--storage", "my results"],
        ConfigError,
        "my results",
    ),
    CliCase(
        "unreachable-postgres",
        lambda f: [str(write_config(f)), "--storage", "postgresql://me:pw@127.0.0.1:9/db"],
        StorageError,
        "Cannot connect to the study database at postgresql://me:***@127.0.0.1:9/db",
    ),
]


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _storage_args(case: CliCase, folder: Path, db: Path) -> list[str]:
    args = ["run", *case.args(folder), "--quiet"]
    return args if "--storage" in args else [*args, "--storage", str(db)]


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.id)
def test_cli_bad_input(
    case: CliCase, study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _storage_args(case, tmp_path, study_db)
    before = stored_state(study_db)
    args = cli.build_parser().parse_args(argv)
    args.argv = argv
    with pytest.raises(case.error, match=re.escape(case.words)):
        args.func(args)
    start = time.monotonic()
    code, _, err = run_main(argv, capsys)
    assert time.monotonic() - start < 10, "an error must come within 10 s, not after a hang"
    assert_one_line_error(code, err, case.words)
    assert stored_state(study_db) == before
    assert list_studies(study_db)["n_complete"].tolist() == [2]


#: Cases that name their own storage (the rest run against ``--storage FILE``).
_OWN_STORAGE = {"not-a-url", "unreachable-postgres"}


@pytest.mark.parametrize("mode", [[], ["--new"]], ids=["default", "new"])
@pytest.mark.parametrize(
    "case", [c for c in CLI_CASES if c.id not in _OWN_STORAGE], ids=lambda c: c.id
)
def test_cli_bad_input_creates_no_database(
    case: CliCase, mode: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused run leaves no new database file behind (nothing was stored, so none is made)."""
    db = tmp_path / "new.db"
    argv = _storage_args(case, tmp_path, db)
    if "--resume" in argv and mode:
        pytest.skip("--new and --resume exclude each other")
    code, _, err = run_main([*argv, *mode], capsys)
    assert code == 2, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("new.db")) == []


def test_the_table_has_at_least_30_distinct_inputs() -> None:
    ids = [("api", c.id) for c in API_CASES + WORKING_CASES] + [("cli", c.id) for c in CLI_CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30


# -- inputs that must work --------------------------------------------------------------------
@pytest.mark.parametrize("labels", ["strings", "categorical"])
def test_cli_runs_a_csv_with_text_labels(
    labels: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _iris_frame()
    frame["target"] = LABELS if labels == "strings" else pd.Categorical(LABELS)
    path = tmp_path / ("data.csv" if labels == "strings" else "data.parquet")
    frame.to_csv(path, index=False) if labels == "strings" else frame.to_parquet(path)
    db = tmp_path / "labels.db"
    code, out, err = run_main(
        [
            "run",
            str(write_config(tmp_path)),
            "--dataset",
            str(path),
            "--trials",
            "2",
            "--storage",
            str(db),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    assert "2 complete trials" in out
    runs = load_seed_runs(db, "tiny")
    assert (runs["stage"] == "search").sum() == 6 and runs["error"].isna().all()
    assert (runs["stage"] == "confirm").any()  # the labels reached the test part as well


def test_study_name_with_quotes_spaces_and_unicode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = 'it\'s "große" 研究 ; DROP TABLE trials; --'
    db = tmp_path / "names.db"
    code, out, err = run_main(
        [
            "run",
            str(write_config(tmp_path)),
            "--study-name",
            name,
            "--trials",
            "1",
            "--storage",
            str(db),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    assert list_studies(db)["study_name"].tolist() == [name]
    assert len(load_seed_runs(db, name, stage="search")) == 3
    code, out, err = run_main(["studies", "--storage", str(db)], capsys)
    assert code == 0 and name in out


@pytest.mark.parametrize("option", ["--html", "--markdown"])
def test_cli_report_into_a_missing_folder(
    option: str, study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``initstudy report --html nowhere/r.html``: one line naming the path, no traceback."""
    target = tmp_path / "nowhere" / "report.out"
    before = stored_state(study_db)
    code, _, err = run_main(
        ["report", "tiny", "--storage", str(study_db), option, str(target), "--no-signal"], capsys
    )
    assert_one_line_error(code, err, str(target.parent))
    assert stored_state(study_db) == before
