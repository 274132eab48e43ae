"""SIGKILL: four workers on one SQLite file, three of them killed in the middle of a trial.

``initstudy run --jobs 4`` runs as a subprocess; at three seeded random moments, each while
every live worker is inside a trial, one worker process gets SIGKILL. The launcher then
reports the dead workers; the same command is run again. Afterwards the study holds exactly
``n_trials`` complete trials, each with one stored row per seed, no (trial, seed, fold) twice,
no trial RUNNING or WAITING, and every trial failed by a kill was retried with the same
parameters (Optuna's ``retry_history``); seed rows a killed trial had finished are kept.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState
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

N_TRIALS = 10
N_SEEDS = 3
KILLS = 3
#: Trials of about 0.5-1 s on one core (seeds saved one by one: batch = 1).
KILL_TOML = f"""
[study]
name = "kill"
n_trials = {N_TRIALS}
heartbeat_interval = 1
grace_period = 3

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [32]
max_iter = 120

[seeds]
n = {N_SEEDS}
batch = 1

[space]
name = "kill"
[space.params]
init = ["he_normal", "glorot_uniform", "lecun_normal"]
init_scale = {{low = 0.5, high = 2.0, log = true}}
"""


def _wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def _kill_workers_mid_trial(process: subprocess.Popen, db: Path, rng: random.Random) -> list[int]:
    """Kill ``KILLS`` workers, each at a random moment while every live worker runs a trial."""
    killed: list[int] = []
    _wait_for(lambda: len(worker_pids(process.pid)) == 4, 60, "4 workers")
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.2, 1.0))
        live = lambda: [p for p in worker_pids(process.pid) if p not in killed]  # noqa: E731
        _wait_for(
            lambda: trial_states(db).get("RUNNING", 0) >= len(live()) > 0,  # noqa: B023
            60,
            "every live worker inside a trial",
        )
        victim = rng.choice(live())
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
    return killed


def test_sigkill_three_workers_then_rerun(tmp_path: Path) -> None:
    config = write_config(tmp_path, KILL_TOML)
    db = tmp_path / "kill.db"
    command = cli_command("run", str(config), "--storage", str(db), "--jobs", "4", "--quiet")
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        killed = _kill_workers_mid_trial(process, db, random.Random(20261123))
        _, err = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert len(set(killed)) == KILLS
    assert process.returncode == 2, err
    assert "Traceback" not in err
    assert "worker process(es) exited with code(s) [-9, -9, -9]; rerun the same command" in err

    again = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=subprocess_env(), timeout=240
    )
    assert again.returncode == 0, again.stderr
    assert f"{N_TRIALS} complete trials" in again.stdout

    study, rows = check_finished_study(f"sqlite:///{db}", "kill", N_TRIALS, N_SEEDS)
    failed = [
        t for t in study.trials if t.state == TrialState.FAIL and not t.user_attrs.get("surplus")
    ]
    assert 1 <= len(failed) <= KILLS, [t.user_attrs for t in failed]
    print(
        f"killed trials: {[t.number for t in failed]}, their stored seeds: "
        f"{rows[rows['trial_number'].isin([t.number for t in failed])]['seed'].tolist()}"
    )
    retried = {}
    for trial in study.trials:
        history = trial.system_attrs.get("retry_history", [])
        if history:
            retried[history[-1]] = trial
    for dead in failed:
        retry = retried[dead.number]
        # the same parameters (a trial killed before its first suggest has none to keep)
        assert dead.params.items() <= retry.params.items()
        assert retry.state == TrialState.COMPLETE
        kept = rows[rows["trial_number"] == dead.number].set_index("seed")
        redone = rows[rows["trial_number"] == retry.number].set_index("seed")
        for seed, row in kept.iterrows():  # a killed trial's finished seeds were reused
            assert redone.loc[seed, "run_key"] == row["run_key"]
            assert redone.loc[seed, "score"] == row["score"]


WORKER_TOML = """
[study]
name = "joined"
n_trials = 3
heartbeat_interval = 1
grace_period = 3

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [128, 128]
max_iter = 600
tol = 0.0
n_iter_no_change = 100000

[seeds]
n = 3

[space]
name = "joined"
[space.params]
init = ["he_normal", "glorot_uniform"]
init_scale = {low = 0.5, high = 2.0, log = true}
"""


def test_a_joined_worker_keeps_its_long_trial(tmp_path: Path) -> None:
    """``initstudy worker`` beside ``initstudy run``; trials last longer than the grace period.

    The launcher checks for dead trials with the study's grace period (3 s); a worker that
    joined must beat its heartbeat at least that often, or its live trial is failed under it.
    """
    db = tmp_path / "joined.db"
    launcher = subprocess.Popen(
        cli_command(
            "run", str(write_config(tmp_path, WORKER_TOML)), "--storage", str(db), "--quiet"
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        _wait_for(lambda: trial_states(db).get("RUNNING", 0) > 0, 60, "the first trial")
        worker = subprocess.run(
            cli_command("worker", "--storage", str(db), "--study-name", "joined", "--quiet"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=subprocess_env(),
            timeout=300,
        )
        _, launcher_err = launcher.communicate(timeout=300)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.communicate()
    assert worker.returncode == 0 and "Traceback" not in worker.stderr, worker.stderr
    assert launcher.returncode == 0, launcher_err
    study, _ = check_finished_study(f"sqlite:///{db}", "joined", 3, 3)
    assert [t.number for t in study.trials if t.state == TrialState.FAIL] == []
    assert "3 finished trials" in worker.stdout
    longest = max(t.duration.total_seconds() for t in study.trials)
    assert longest > 3, "the trials must outlast the grace period for this test to mean anything"
