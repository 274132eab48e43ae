"""Shared pieces of the reliability suite: tiny study configs, stored-state hashes, the CLI."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from initstudy import cli

#: A study on iris that trains in a few milliseconds a seed: 8 trials, 3 seeds.
TINY_TOML = """
[study]
name = "tiny"
n_trials = 8
heartbeat_interval = 1
grace_period = 4

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [8]
max_iter = 20

[seeds]
n = 3

[space]
name = "tiny"
[space.params]
init = ["he_normal", "glorot_uniform", "lecun_normal"]
init_scale = {low = 0.5, high = 2.0, log = true}
"""


def write_config(folder: Path, text: str = TINY_TOML, name: str = "study.toml") -> Path:
    """Write a config file into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def stored_state(path: Path) -> tuple[str, int]:
    """The sha256 of a SQLite file and the bytes of WAL frames next to it (0: none).

    A write that sits in the WAL (not yet checkpointed into the file) shows as frames, so the
    pair is unchanged exactly when nothing was written.
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"
    wal = Path(f"{path}-wal")
    frames = max(0, wal.stat().st_size - 32) if wal.exists() else 0
    return digest, frames


def settle(path: Path) -> None:
    """Fold a SQLite file's WAL into it and drop the WAL (a stable byte baseline)."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def run_main(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``initstudy ARGV`` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, words: str) -> None:
    """Non-zero exit, one ``error: ...`` line on stderr holding ``words``, no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert words in lines[0], f"{words!r} not in {lines[0]!r}"


def cli_command(*args: str) -> list[str]:
    """The ``initstudy`` command line as a subprocess (this interpreter)."""
    return [sys.executable, "-m", "initstudy.cli", *args]


def subprocess_env(one_thread: bool = True) -> dict[str, str]:
    """The environment of CLI subprocesses: BLAS on one thread (2-core CI machines), or as
    this process has it."""
    env = dict(os.environ)
    if one_thread:
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def run_cli(
    args: Sequence[str], cwd: Path, timeout: float = 240, one_thread: bool = True
) -> subprocess.CompletedProcess:
    """Run ``initstudy ARGS`` as a subprocess and wait for it."""
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(one_thread),
    )


def worker_pids(parent: int) -> list[int]:
    """The worker processes of ``initstudy run --jobs N`` (spawned children of ``parent``).

    Read from /proc (Linux): children whose command line is multiprocessing's ``spawn_main``;
    the resource tracker, also a child, is left out.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, ppid = fields[0], int(fields[1])
        if ppid == parent and "spawn_main" in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return sorted(found)


def trial_states(path: Path) -> dict[str, int]:
    """Count the trials of every study in a SQLite file by state (read only, no Optuna)."""
    if not path.exists():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall()
    except sqlite3.OperationalError:  # the tables are not there yet
        rows = []
    finally:
        connection.close()
    return {str(state): int(count) for state, count in rows}


def check_finished_study(storage: object, study_name: str, n_trials: int, n_seeds: int):  # noqa: ANN201
    """Assert the invariants of a finished study; return ``(study, seed_rows)``.

    Exactly ``n_trials`` COMPLETE trials, none RUNNING or WAITING; every complete trial has one
    stored row per seed (fold 0), no error; no (trial, seed, fold) stored twice; every row is
    whole (a score or an error, never half-written). Confirmation rows (``stage ==
    "confirm"``) are whole, never on a search seed, never stored twice; the returned rows are
    the search's.
    """
    import optuna
    from optuna.trial import TrialState

    from initstudy.storage import load_seed_runs

    study = optuna.load_study(study_name=study_name, storage=storage)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == n_trials, states
    assert TrialState.RUNNING not in states and TrialState.WAITING not in states, states
    every = load_seed_runs(storage, study_name)
    assert not every.duplicated(["stage", "trial_number", "seed", "fold"]).any()
    confirm = every[every["stage"] == "confirm"]  # fresh seeds only, whole rows
    assert not set(confirm["seed"]) & set(range(n_seeds))
    assert (confirm["score"].notna() | confirm["error"].notna()).all()
    rows = every[every["stage"] == "search"]
    assert not rows.duplicated(["trial_number", "seed", "fold"]).any()
    complete = {t.number for t in study.trials if t.state == TrialState.COMPLETE}
    done = rows[rows["trial_number"].isin(complete)]
    per_trial = done.groupby("trial_number")["seed"].apply(sorted).to_dict()
    assert per_trial == {n: list(range(n_seeds)) for n in complete}
    assert done["error"].isna().all() and done["score"].notna().all()
    assert (rows["score"].notna() | rows["error"].notna()).all()
    return study, rows
