"""Ctrl-C (SIGINT to the process group) and SIGTERM (to the launcher) on ``initstudy run``.

The signal arrives in the middle of a trial whose first seeds are already stored. Expected: a
clean exit (128 + signal, no traceback), a message that says the finished seeds are saved and
gives the command that resumes; the seed rows stored before the signal are kept; running that
command continues the study to ``n_trials``, reusing the stored seeds of the interrupted trial.
"""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_helpers import (
    check_finished_study,
    cli_command,
    subprocess_env,
    trial_states,
    worker_pids,
    write_config,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

N_TRIALS = 6
N_SEEDS = 3
SIGNAL_TOML = f"""
[study]
name = "signals"
n_trials = {N_TRIALS}

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [32]
max_iter = 60

[seeds]
n = {N_SEEDS}
batch = 1

[space]
name = "signals"
[space.params]
init = ["he_normal", "glorot_uniform", "lecun_normal"]
init_scale = {{low = 0.5, high = 2.0, log = true}}
"""


def _stored_rows(db: Path) -> list[tuple[int, int, str, float]]:
    """(trial, seed, run_key, score) of every stored seed row, read without Optuna."""
    if not db.exists():
        return []
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return sorted(
            connection.execute(
                "SELECT trial_number, seed, run_key, score FROM initstudy_seed_runs"
            ).fetchall()
        )
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()


def _mid_trial(db: Path) -> bool:
    """A trial is RUNNING and a seed row of a not yet complete trial is stored."""
    if trial_states(db).get("RUNNING", 0) == 0:
        return False
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        partial = connection.execute(
            "SELECT COUNT(*) FROM initstudy_seed_runs r JOIN trials t "
            "ON t.number = r.trial_number WHERE t.state = 'RUNNING'"
        ).fetchone()[0]
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
    return partial > 0


#: case -> (signals sent back to back, to the process group or the launcher only, jobs).
#: "ctrl-c-and-sigterm" is Ctrl-C while a process manager sends SIGTERM: both reach every
#: process at once (what also happens to workers when the launcher forwards SIGTERM after a
#: Ctrl-C, there by chance of timing).
CASES = {
    "ctrl-c": ((signal.SIGINT,), "group", 1),
    "sigterm": ((signal.SIGTERM,), "launcher", 1),
    "ctrl-c-3-jobs": ((signal.SIGINT,), "group", 3),
    "sigterm-3-jobs": ((signal.SIGTERM,), "launcher", 3),
    "ctrl-c-and-sigterm-2-jobs": ((signal.SIGINT, signal.SIGTERM), "group", 2),
}


@pytest.mark.parametrize("case", CASES)
def test_interrupt_saves_finished_seeds_and_the_rerun_continues(case: str, tmp_path: Path) -> None:
    signals, target, jobs = CASES[case]
    signum = signals[0]
    db = tmp_path / "signals.db"
    args = [
        "run",
        str(write_config(tmp_path, SIGNAL_TOML)),
        "--storage",
        str(db),
        "--jobs",
        str(jobs),
        "--quiet",
    ]
    process = subprocess.Popen(
        cli_command(*args),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 90
        while not (_mid_trial(db) and (jobs == 1 or len(worker_pids(process.pid)) == jobs)):
            assert process.poll() is None and time.monotonic() < end, process.communicate()
            time.sleep(0.05)
        before = _stored_rows(db)
        for each in signals:
            os.killpg(process.pid, each) if target == "group" else process.send_signal(each)
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err, err
    assert f"Stopped by {name}; every finished seed is saved. Resume with:" in err
    assert set(before) <= set(_stored_rows(db))
    assert trial_states(db).get("RUNNING", 0) == 0

    resume = err.strip().splitlines()[-1].strip()
    assert resume.startswith("initstudy run ") and "--study-name signals" in resume
    again = subprocess.run(
        cli_command(*shlex.split(resume)[1:]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=240,
    )
    assert again.returncode == 0, again.stderr
    study, rows = check_finished_study(f"sqlite:///{db}", "signals", N_TRIALS, N_SEEDS)
    requeued = [t for t in study.trials if "requeued_from" in t.user_attrs]
    assert requeued, "the interrupted trial's parameters were queued again"
    by_origin = {t.user_attrs["requeued_from"]: t.number for t in requeued}
    reused = 0
    for old_trial, seed, run_key, score in before:  # stored seeds are reused, not retrained
        if old_trial in by_origin:
            row = rows[(rows["trial_number"] == by_origin[old_trial]) & (rows["seed"] == seed)]
            assert row["run_key"].tolist() == [run_key] and row["score"].tolist() == [score]
            reused += 1
    assert reused >= 1


def test_a_closed_output_pipe_ends_quietly(tmp_path: Path) -> None:
    """``initstudy spaces | head -0``: the reader is gone; no traceback, no BrokenPipeError."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            cli_command("spaces"),
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
