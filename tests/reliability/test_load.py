"""Load: 8 worker processes on one SQLite file, and 4 on PostgreSQL, 200 short trials each.

Zero storage errors: the run exits 0, its stderr holds no database error or traceback, no
trial failed (other than the surplus trials a race between workers may create and fail on
purpose), exactly 200 trials complete, each with all its seed rows. The throughput is printed
(``-s``) for RELIABILITY.md.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState

from reliability_helpers import check_finished_study, run_cli, write_config

pytestmark = pytest.mark.slow

N_TRIALS = 200
N_SEEDS = 2
LOAD_TOML = f"""
[study]
name = "load"
n_trials = {N_TRIALS}

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [4]
max_iter = 5

[seeds]
n = {N_SEEDS}

[space]
name = "load"
[space.params]
init = ["he_normal", "glorot_uniform", "lecun_normal", "orthogonal"]
init_scale = {{low = 0.5, high = 2.0, log = true}}
"""
STORAGE_ERRORS = re.compile(
    r"Traceback|database is locked|OperationalError|StorageError|IntegrityError|"
    r"deadlock|could not serialize|Cannot connect|error:", re.IGNORECASE,
)


def _load(storage: str, jobs: int, folder: Path) -> None:
    start = time.monotonic()
    done = run_cli(["run", str(write_config(folder, LOAD_TOML)), "--storage", storage,
                    "--jobs", str(jobs), "--quiet"], cwd=folder, timeout=400)
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert not STORAGE_ERRORS.search(done.stderr), done.stderr
    assert f"{N_TRIALS} complete trials" in done.stdout
    url = storage if "://" in storage else f"sqlite:///{storage}"
    study, rows = check_finished_study(url, "load", N_TRIALS, N_SEEDS)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert all(t.user_attrs.get("surplus") for t in failed), [t.user_attrs for t in failed]
    print(f"\nload: {jobs} workers on {url.split(':')[0]}: {N_TRIALS} trials in {seconds:.1f} s "
          f"({N_TRIALS / seconds:.1f} trials/s, process start included), "
          f"{len(rows)} seed rows, {len(failed)} surplus trials, 0 storage errors",
          file=sys.stderr)


def test_eight_workers_on_one_sqlite_file(tmp_path: Path) -> None:
    _load(str(tmp_path / "load.db"), 8, tmp_path)


@pytest.mark.postgres
def test_four_workers_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    _load(postgres_url, 4, tmp_path)
