"""Several processes opening one fresh database at the same moment and writing seed rows."""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import signal
import time
from typing import Any

import optuna
import pytest

from initstudy.storage import (
    SeedRunRecord,
    find_cached_runs,
    load_seed_runs,
    load_study_record,
    register_study,
    resolve_storage,
    save_seed_runs,
)

N_WORKERS = 4
N_TRIALS = 8
SEEDS = (0, 1, 2)


def _worker(url: str, index: int, barrier: Any, results: Any) -> None:
    """Start with the others, create the tables and the study, then save rows seed by seed."""
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        barrier.wait(timeout=60)
        storage = resolve_storage(url)
        register_study(storage, "shared", fingerprint="fp", config={"seeds": list(SEEDS)})
        optuna.create_study(study_name="shared", storage=storage, load_if_exists=True)
        for trial in range(N_TRIALS):
            number = index * 100 + trial
            for seed in SEEDS:
                record = SeedRunRecord(
                    seed=seed,
                    fold=0,
                    run_key=f"{number}-{seed}",
                    score=number + seed / 10,
                    loss_curve=[1.0, 0.5],
                )
                save_seed_runs(storage, "shared", number, [record])
            assert len(find_cached_runs(storage, [f"{number}-{s}" for s in SEEDS])) == len(SEEDS)
        results.put((index, None))
    except BaseException as error:  # reported to the test, which fails on it
        results.put((index, repr(error)))


def _run_together(url: str, n_workers: int) -> None:
    """Start ``n_workers`` workers at the same moment on a fresh database; check every row."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(n_workers)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, i, barrier, results)) for i in range(n_workers)
    ]
    for worker in workers:
        worker.start()
    outcomes = {}
    for _ in workers:
        try:
            index, error = results.get(timeout=120)
        except queue_module.Empty:
            break
        outcomes[index] = error
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == {i: None for i in range(n_workers)}
    frame = load_seed_runs(url, "shared")
    assert len(frame) == n_workers * N_TRIALS * len(SEEDS)
    assert not frame.duplicated(["trial_number", "seed", "fold"]).any()
    assert load_study_record(url, "shared")["config"] == {"seeds": list(SEEDS)}
    storage = resolve_storage(url)
    assert optuna.get_all_study_names(storage=storage) == ["shared"]
    storage.engine.dispose()


def test_processes_starting_together(storage_url: str) -> None:
    _run_together(storage_url, N_WORKERS)


@pytest.mark.slow
def test_eight_processes_starting_together(sqlite_url: str) -> None:
    _run_together(sqlite_url, 8)


def _save_forever(url: str, started: Any) -> None:
    """Save 400-row trials one after another until killed."""
    storage = resolve_storage(url)
    for trial in range(10_000):
        records = [
            SeedRunRecord(
                seed=seed, fold=0, run_key=f"{trial}-{seed}", score=0.5, loss_curve=[0.25] * 50
            )
            for seed in range(400)
        ]
        save_seed_runs(storage, "killed", trial, records)
        started.set()


def test_killed_writer_leaves_whole_trials_only(sqlite_url: str) -> None:
    resolve_storage(sqlite_url)
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    for attempt, delay in enumerate((0.05, 0.17, 0.31)):
        writer = context.Process(target=_save_forever, args=(sqlite_url, started))
        writer.start()
        assert started.wait(60)
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        started.clear()
        counts = load_seed_runs(sqlite_url, "killed").groupby("trial_number").size()
        assert (counts == 400).all(), counts[counts != 400]
        assert len(counts) > attempt


_WRITE_AND_CLOSE = """
import sys
import optuna
from initstudy.storage import resolve_storage
storage = resolve_storage(sys.argv[1])
optuna.load_study(study_name="s", storage=storage).set_user_attr("other", 1)
storage.engine.dispose()
"""


def test_opening_a_file_twice_in_one_process_keeps_its_wal(tmp_path: Any) -> None:
    """A second resolve_storage on a file this process holds open must not drop its locks.

    Reading the file's header would close a descriptor, which drops the process's POSIX
    locks; another process closing its last connection then deletes the WAL under the open
    connections ("file is not a database" on their next write).
    """
    import subprocess
    import sys

    db = tmp_path / "s.db"
    first = resolve_storage(db)
    study = optuna.create_study(study_name="s", storage=first)
    study.set_user_attr("first", 1)
    second = resolve_storage(db)
    subprocess.run([sys.executable, "-c", _WRITE_AND_CLOSE, str(db)], check=True)
    assert (tmp_path / "s.db-wal").exists(), "another process deleted the WAL under us"
    study.set_user_attr("again", 2)
    assert optuna.load_study(study_name="s", storage=second).user_attrs == {
        "first": 1,
        "other": 1,
        "again": 2,
    }
    first.engine.dispose()
    second.engine.dispose()
