"""Determinism: the same config and seeds give bitwise-identical per-seed results.

- Two runs of the same TPE study (separate databases, so nothing is reused from a cache) draw
  the same parameters and store identical per-seed scores, epochs and loss curves.
- A grid study run with ``--jobs 1`` (BLAS threads as the machine has them) and with
  ``--jobs 4`` (one BLAS thread per worker, trials in whatever order the workers take them)
  stores the same per-seed results for every (parameters, seed): they do not depend on
  scheduling.

Scores are compared as float64 bit patterns, so -0.0 vs 0.0 or a last-bit change fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reliability_helpers import TINY_TOML, run_cli, write_config

from initstudy.storage import load_seed_runs

pytestmark = pytest.mark.slow

GRID_TOML = """
[study]
name = "grid"
n_trials = 9

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [16, 16]
max_iter = 15

[seeds]
n = 3

[space]
name = "grid"
grid = true
[space.params]
init = ["he_normal", "orthogonal", "sklearn_default"]
init_scale = [0.5, 1.0, 2.0]
"""


def _bits(values: pd.Series) -> list[str]:
    return [np.float64(v).tobytes().hex() for v in values]


def _run(folder: Path, name: str, text: str, jobs: int) -> pd.DataFrame:
    db = folder / f"{name}.db"
    done = run_cli(
        [
            "run",
            str(write_config(folder, text, f"{name}.toml")),
            "--storage",
            str(db),
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        cwd=folder,
        one_thread=jobs > 1,
    )
    assert done.returncode == 0, done.stderr
    study_name = "grid" if "grid = true" in text else "tiny"
    rows = load_seed_runs(db, study_name)
    assert rows["error"].isna().all()
    return rows


def _by_run(rows: pd.DataFrame) -> pd.DataFrame:
    """One search row per (parameters, seed, fold): the run key names them, not the trial
    number."""
    out = rows[rows["stage"] == "search"].set_index("run_key").sort_index()
    out["score_bits"] = _bits(out["score"])
    out["loss_bits"] = [np.asarray(c, dtype=np.float64).tobytes().hex() for c in out["loss_curve"]]
    return out[["seed", "fold", "score_bits", "n_iter", "diverged", "loss_bits"]]


def test_two_runs_of_the_same_study_are_bitwise_identical(tmp_path: Path) -> None:
    first = _run(tmp_path, "first", TINY_TOML, 1)
    second = _run(tmp_path, "second", TINY_TOML, 1)
    columns = ["trial_number", "seed", "fold", "run_key", "n_iter", "diverged"]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    assert _bits(first["score"]) == _bits(second["score"])
    pd.testing.assert_frame_equal(_by_run(first), _by_run(second))


@pytest.fixture(scope="module")
def grid_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grid study's seed rows from a --jobs 1 run and from a --jobs 4 run."""
    folder = tmp_path_factory.mktemp("grid")
    return _run(folder, "one", GRID_TOML, 1), _run(folder, "four", GRID_TOML, 4)


def test_jobs_1_and_jobs_4_store_the_same_per_seed_results(grid_runs) -> None:  # type: ignore[no-untyped-def]
    one, four = (_by_run(rows) for rows in grid_runs)
    assert len(one) == 27 and one.index.is_unique
    common = one.index.intersection(four.index)
    assert len(common) >= 18  # see the grid-coverage test for the rest
    pd.testing.assert_frame_equal(one.loc[common], four.loc[common].drop_duplicates())


def test_jobs_1_and_jobs_4_confirm_the_same_configurations_alike(grid_runs) -> None:  # type: ignore[no-untyped-def]
    """The confirmation after a parallel search retrains the same trials, bitwise alike."""
    one, four = (
        rows[rows["stage"] == "confirm"].set_index("run_key").sort_index() for rows in grid_runs
    )
    assert len(one) == 3 * 10 and one.index.is_unique  # each scheme's best, on 10 fresh seeds
    assert one.index.equals(four.index)
    assert _bits(one["score"]) == _bits(four["score"])


def test_a_parallel_grid_runs_every_point_once(grid_runs) -> None:  # type: ignore[no-untyped-def]
    one, four = grid_runs
    assert sorted(four["run_key"]) == sorted(one["run_key"]), (
        "--jobs 4 ran some grid points twice and skipped others"
    )
