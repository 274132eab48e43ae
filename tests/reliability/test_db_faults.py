"""Database faults end to end: ``initstudy run --storage FILE`` on a bad file.

Each fault: one ``error: ...`` line, no traceback, exit code 2, and the database file (and its
WAL) byte-identical afterwards. The same faults at the storage level (``resolve_storage``,
``register_study``) are tested in tests/storage/test_storage_faults.py; here the user's command
is what is under test.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from reliability_helpers import (
    TINY_TOML,
    assert_one_line_error,
    check_finished_study,
    cli_command,
    run_cli,
    run_main,
    stored_state,
    subprocess_env,
    write_config,
)

from initstudy.storage import list_studies, load_seed_runs, resolve_storage


def _not_sqlite(path: Path) -> None:
    path.write_text("trial,seed,score\n0,1,0.5\n" * 50)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE initstudy_meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()


def _read_only(path: Path) -> None:
    path.chmod(0o444)


FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "not-sqlite": (_not_sqlite, "is not a SQLite database"),
    "truncated": (_truncated, "is truncated"),
    "damaged-page": (_damaged, "SQLite cannot read it"),
    "newer-schema": (_newer_schema, "written by a newer initstudy (schema 99"),
    "read-only": (_read_only, "the file is read-only"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_run_on_a_bad_database_file(
    fault: str, study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage, words = FAULTS[fault]
    damage(study_db)
    before = stored_state(study_db)
    code, _, err = run_main(
        ["run", str(write_config(tmp_path)), "--storage", str(study_db), "--quiet"], capsys
    )
    assert_one_line_error(code, err, words)
    assert str(study_db) in err
    assert stored_state(study_db) == before


def test_a_read_only_database_can_still_be_listed_and_shown(
    study_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study_db.chmod(0o444)
    before = stored_state(study_db)
    code, out, err = run_main(["studies", "--storage", str(study_db)], capsys)
    assert code == 0, err
    assert "tiny" in out
    code, out, err = run_main(["show", "tiny", "--storage", str(study_db)], capsys)
    assert code == 0, err
    assert len([line for line in out.splitlines() if line.strip()]) == 3  # header + 2 trials
    assert stored_state(study_db) == before


def test_the_error_of_a_real_process_is_one_line(study_db: Path, tmp_path: Path) -> None:
    _truncated(study_db)
    before = stored_state(study_db)
    done = run_cli(
        ["run", str(write_config(tmp_path)), "--storage", str(study_db), "--quiet"],
        cwd=tmp_path,
        timeout=60,
    )
    assert_one_line_error(done.returncode, done.stderr, "is truncated")
    assert stored_state(study_db) == before


# -- name collisions ---------------------------------------------------------------------------
COLLISIONS = {
    "other-space": (['"lecun_normal"', '"he_uniform"'], [], "config 'space.params.init'"),
    "other-dataset": (None, ["--dataset", "wine"], "dataset fingerprint (stored '"),
    "other-seeds": (["n = 3", "n = 4"], [], "config 'seeds.n' (stored 3, given 4)"),
    "other-estimator": (
        ["max_iter = 20", "max_iter = 21"],
        [],
        "config 'estimator.max_iter' (stored 20, given 21)",
    ),
}


def _collision_args(kind: str, folder: Path, db: Path) -> list[str]:
    change, extra, _ = COLLISIONS[kind]
    text = TINY_TOML if change is None else TINY_TOML.replace(*change)
    return ["run", str(write_config(folder, text)), *extra, "--storage", str(db), "--quiet"]


@pytest.mark.parametrize("kind", COLLISIONS)
def test_a_name_collision_is_refused_and_the_file_untouched(
    kind: str, study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_state(study_db)
    code, _, err = run_main(_collision_args(kind, tmp_path, study_db), capsys)
    assert_one_line_error(code, err, "Study 'tiny' already exists in ")
    assert COLLISIONS[kind][2] in err
    assert (
        "Its stored results were not changed. Pass a new --study-name, or --new to start a "
        "fresh study named 'tiny-2' next to it." in err
    )
    assert stored_state(study_db) == before


def test_a_collision_message_names_the_setting_that_differs(
    study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The differing key inside the space must be visible, not cut off after 60 characters."""
    code, _, err = run_main(_collision_args("other-space", tmp_path, study_db), capsys)
    assert code == 2
    assert "space.params.init" in err and "he_uniform" in err and "lecun_normal" in err


def test_new_starts_a_second_study_beside_the_first(
    study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows_before = load_seed_runs(study_db, "tiny")
    args = _collision_args("other-space", tmp_path, study_db)
    code, out, err = run_main([*args, "--new", "--trials", "1"], capsys)
    assert code == 0, err
    assert "Study 'tiny-2'" in out
    studies = list_studies(study_db).set_index("study_name")["n_complete"].to_dict()
    assert studies == {"tiny": 2, "tiny-2": 1}
    after = load_seed_runs(study_db, "tiny")
    assert after[["trial_number", "seed", "score", "run_key"]].equals(
        rows_before[["trial_number", "seed", "score", "run_key"]]
    )


def test_resume_of_a_missing_study_is_refused(
    study_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored_state(study_db)
    code, _, err = run_main(
        [
            "run",
            str(write_config(tmp_path)),
            "--storage",
            str(study_db),
            "--study-name",
            "nope",
            "--resume",
            "--quiet",
        ],
        capsys,
    )
    assert_one_line_error(code, err, "Unknown study 'nope'")
    assert stored_state(study_db) == before


# -- servers that do not answer ------------------------------------------------------------
@pytest.mark.slow
def test_a_silent_postgres_server_gives_an_error_within_10_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:  # accepts, never answers
        port = server.getsockname()[1]
        start = time.monotonic()
        code, _, err = run_main(
            [
                "run",
                str(write_config(tmp_path)),
                "--storage",
                f"postgresql://user:secret@127.0.0.1:{port}/db",
                "--quiet",
            ],
            capsys,
        )
        elapsed = time.monotonic() - start
    assert elapsed < 10
    assert_one_line_error(code, err, "Cannot connect to the study database at postgresql://")
    assert "secret" not in err


@pytest.mark.parametrize("name", ["ré'sul\"t s.db", "a#b.db", "50%.db", "q?mode=ro&x=1.db"])
def test_database_file_names_with_odd_characters_work(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spaces, quotes, unicode, and URL syntax (#, %, ?, &) in a path are part of the name."""
    folder = tmp_path / "my studies"
    folder.mkdir()
    db = folder / name
    code, _, err = run_main(
        ["run", str(write_config(tmp_path)), "--storage", str(db), "--trials", "1", "--quiet"],
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        name
    ]
    code, out, err = run_main(["studies", "--storage", str(db)], capsys)
    assert code == 0 and "tiny" in out, err


def _run_on_a_full_disk(args: list[str], folder: Path, db: Path) -> None:
    """Run ``args`` in a subprocess whose files may not grow past a few KB more than ``db``
    (``RLIMIT_FSIZE``: writes fail like a full disk); it must end with a one-line error."""
    import resource

    limit = db.stat().st_size + 8192

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run(
        cli_command(*args),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(),
        preexec_fn=small_disk,
    )
    assert_one_line_error(full.returncode, full.stderr, "study database")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE")
def test_a_full_disk_stops_the_run_cleanly_and_keeps_what_was_stored(tmp_path: Path) -> None:
    """Everything runs in subprocesses, as a user's commands do (this process opens the file
    only between them)."""
    db = tmp_path / "study.db"
    args = ["run", str(write_config(tmp_path)), "--storage", str(db), "--quiet"]
    assert run_cli([*args, "--trials", "2"], cwd=tmp_path).returncode == 0
    rows_before = load_seed_runs(db, "tiny")
    _run_on_a_full_disk([*args, "--trials", "40"], tmp_path, db)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    connection.close()
    after = load_seed_runs(db, "tiny")
    kept = after.merge(rows_before, on=["trial_number", "seed", "fold", "run_key", "score"])
    assert len(kept) == len(rows_before)  # every row stored before the fault is still there
    again = run_cli([*args, "--trials", "40"], cwd=tmp_path, timeout=300)  # space again
    assert again.returncode == 0, again.stderr
    check_finished_study(f"sqlite:///{db}", "tiny", 40, 3)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE")
def test_a_long_lived_reader_reads_on_after_another_process_hit_a_full_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook or the dashboard keeps the file open while a run fails on a full disk."""
    db = tmp_path / "study.db"
    args = ["run", str(write_config(tmp_path)), "--storage", str(db), "--quiet"]
    assert run_main([*args, "--trials", "2"], capsys)[0] == 0  # in this process, as a notebook
    reader = resolve_storage(db)  # long-lived: its pooled connections stay open throughout
    rows_before = len(load_seed_runs(reader, "tiny"))
    _run_on_a_full_disk([*args, "--trials", "40"], tmp_path, db)
    assert run_cli([*args, "--trials", "40"], cwd=tmp_path, timeout=300).returncode == 0
    try:
        check_finished_study(reader, "tiny", 40, 3)  # the reader that was open all along
        assert len(load_seed_runs(reader, "tiny")) > rows_before
    finally:
        reader.engine.dispose()
    check_finished_study(f"sqlite:///{db}", "tiny", 40, 3)  # and a new one
