"""Load: 8 worker processes on one SQLite file, and 4 on PostgreSQL, 200 short trials each.

Zero storage errors: the run exits 0, its stderr holds no database error or traceback, no
trial failed (other than the surplus trials a race between workers may create and fail on
purpose), exactly 200 trials complete, each with all its seed rows. The throughput is printed
(``-s``) for RELIABILITY.md.

Also: three ``initstudy run`` commands started at the same moment on a new file (the start-up
race of Optuna issues #4994/#5385), and ``initstudy studies``/``show`` reading the file while
two workers write to it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState
from reliability_helpers import (
    check_finished_study,
    cli_command,
    run_cli,
    run_main,
    subprocess_env,
    trial_states,
    write_config,
)

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
    r"deadlock|could not serialize|Cannot connect|error:",
    re.IGNORECASE,
)


def _load(storage: str, jobs: int, folder: Path) -> None:
    start = time.monotonic()
    done = run_cli(
        [
            "run",
            str(write_config(folder, LOAD_TOML)),
            "--storage",
            storage,
            "--jobs",
            str(jobs),
            "--quiet",
        ],
        cwd=folder,
        timeout=400,
    )
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert not STORAGE_ERRORS.search(done.stderr), done.stderr
    assert f"{N_TRIALS} complete trials" in done.stdout
    url = storage if "://" in storage else f"sqlite:///{storage}"
    study, rows = check_finished_study(url, "load", N_TRIALS, N_SEEDS)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert all(t.user_attrs.get("surplus") for t in failed), [t.user_attrs for t in failed]
    print(
        f"\nload: {jobs} workers on {url.split(':')[0]}: {N_TRIALS} trials in {seconds:.1f} s "
        f"({N_TRIALS / seconds:.1f} trials/s, process start included), "
        f"{len(rows)} seed rows, {len(failed)} surplus trials, 0 storage errors",
        file=sys.stderr,
    )


def test_eight_workers_on_one_sqlite_file(tmp_path: Path) -> None:
    _load(str(tmp_path / "load.db"), 8, tmp_path)


@pytest.mark.postgres
def test_four_workers_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    _load(postgres_url, 4, tmp_path)


SMALL_TOML = LOAD_TOML.replace(f"n_trials = {N_TRIALS}", "n_trials = 12")


def test_three_launchers_start_the_same_study_at_once(tmp_path: Path) -> None:
    """Three users type the same ``initstudy run`` at the same moment on a new file."""
    db = tmp_path / "race.db"
    args = cli_command(
        "run", str(write_config(tmp_path, SMALL_TOML)), "--storage", str(db), "--quiet"
    )
    processes = [
        subprocess.Popen(
            args,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=240) for p in processes]
    for process, (_out, err) in zip(processes, results):
        assert process.returncode == 0, err
        assert not STORAGE_ERRORS.search(err), err
    check_finished_study(f"sqlite:///{db}", "load", 12, N_SEEDS)


def test_reading_while_a_study_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``initstudy studies`` and ``show`` (read-only opens) during a 2-worker run."""
    db = tmp_path / "busy.db"
    run = subprocess.Popen(
        cli_command(
            "run",
            str(write_config(tmp_path, SMALL_TOML.replace("= 12", "= 40"))),
            "--storage",
            str(db),
            "--jobs",
            "2",
            "--quiet",
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    reads = 0
    try:
        while run.poll() is None:
            if trial_states(db).get("COMPLETE", 0) > 0:
                for command in (["studies"], ["show", "load"]):
                    code, out, err = run_main([*command, "--storage", str(db)], capsys)
                    assert code == 0, err
                    assert "load" in out or "trial_number" in out
                    reads += 1
            time.sleep(0.2)
        _, err = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0 and not STORAGE_ERRORS.search(err), err
    assert reads >= 4
    check_finished_study(f"sqlite:///{db}", "load", 40, N_SEEDS)
