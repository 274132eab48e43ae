"""The initstudy command: run, studies, show, spaces, worker; one-line errors; interrupts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from initstudy.cli import _resume_command, main

CONFIG = """
[study]
name = "tiny"
n_trials = 2

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [8]
max_iter = 4

[seeds]
n = 2

[space]
name = "tiny"
[space.params]
init = ["he_normal", "zeros"]
init_scale = 1.0
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(CONFIG)
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_best_ranking_and_next_commands(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    code, out, err = _run(["run", str(config_file), "--storage", url, "--quiet"], capsys)
    assert code == 0, err
    assert "Study 'tiny'" in out and "2 complete trials" in out
    assert "Init schemes, confirmed" in out and "ci_low" in out and "Answer: best:" in out
    assert "Configuration of rank 1 (trial" in out and "init = " in out
    assert f"initstudy report tiny --storage {url} --html report.html" in out
    assert f"initstudy dashboard --storage {url}" in out
    # the options override the file; rerunning resumes up to --trials
    code, out, _ = _run(
        ["run", str(config_file), "--storage", url, "--trials", "3", "--quiet"], capsys
    )
    assert code == 0 and "3 complete trials" in out


def test_studies_and_show(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(config_file), "--storage", url, "--quiet"]) == 0
    capsys.readouterr()
    code, out, _ = _run(["studies", "--storage", url], capsys)
    assert code == 0 and "tiny" in out and "maximize" in out and "best_value" in out
    code, out, _ = _run(["show", "tiny", "--storage", url], capsys)
    assert code == 0 and "COMPLETE" in out and "trial_number" in out
    assert len(out.strip().splitlines()) == 3  # header + 2 trials


def test_spaces_lists_presets_and_initializers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["spaces"], capsys)
    assert code == 0
    for name in ("keras", "variance-scaling", "classic", "all", "grid", "he_normal", "orthogonal"):
        assert name in out


def test_new_starts_a_second_study(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(config_file), "--storage", url, "--quiet"]) == 0
    code, out, _ = _run(["run", str(config_file), "--storage", url, "--new", "--quiet"], capsys)
    assert code == 0 and "Study 'tiny-2'" in out


def _one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[study]\nn_trial = 3\n", ["n_trial", "Did you mean 'n_trials'"]),
        ("[studdy]\n", ["config section 'studdy'"]),
        ("[evaluation]\naggregate = 'best'\n", ["Unknown aggregate 'best'"]),
        ("[space]\npreset = 'kears'\n", ["kears", "keras"]),
        ("[study\n", ["not valid TOML"]),
    ],
)
def test_bad_configs_give_one_line_errors(
    tmp_path: Path, text: str, fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, _, err = _run(["run", str(path), "--storage", f"sqlite:///{tmp_path}/s.db"], capsys)
    _one_line_error(code, err, *fragments)


@pytest.mark.parametrize(
    ("content", "target", "fragment"),
    [
        ("a,b\n1,2\n3,4\n", "label", "Unknown target column"),
        ("a,target\n1,\n2,\nfoo,\n", None, "has no values (all 3 rows missing)"),
        ("a,day,target\n1,2024-01-02,x\n2,2024-02-03,y\n", None, "'day' holds dates"),
        ("", None, "is empty"),
    ],
)
def test_bad_data_files_give_one_line_errors(
    tmp_path: Path,
    content: str,
    target: str | None,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data.csv"
    data.write_text(content)
    args = ["run", "--dataset", str(data), "--storage", f"sqlite:///{tmp_path}/s.db"]
    args += ["--target", target] if target else []
    code, _, err = _run(args, capsys)
    _one_line_error(code, err, fragment)


def test_missing_files_and_unknown_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["run", str(tmp_path / "nope.toml")], capsys)
    _one_line_error(code, err, "nope.toml")
    code, _, err = _run(
        ["run", "--dataset", "digitz", "--storage", f"sqlite:///{tmp_path}/s.db"], capsys
    )
    _one_line_error(code, err, "digitz", "digits")
    code, _, err = _run(["studies", "--storage", f"sqlite:///{tmp_path}/missing.db"], capsys)
    _one_line_error(code, err, "missing.db")
    code, _, err = _run(["run", "--storage", "notaurl"], capsys)
    _one_line_error(code, err, "notaurl")
    code, _, err = _run(
        ["run", "--resume", "--study-name", "nope", "--storage", f"sqlite:///{tmp_path}/s.db"],
        capsys,
    )
    _one_line_error(code, err, "Cannot resume: Unknown study 'nope'")


def test_worker_for_an_unknown_study(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(config_file), "--storage", url, "--quiet"]) == 0
    capsys.readouterr()
    code, _, err = _run(["worker", "--storage", url, "--study-name", "tinny"], capsys)
    _one_line_error(code, err, "Unknown study 'tinny'", "tiny")


def test_verbose_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[study]\nn_trial = 3\n")
    code, _, err = _run(["run", str(path), "--verbose"], capsys)
    assert (
        code == 2
        and "Traceback" in err
        and err.strip().endswith("Valid: " + err.split("Valid: ")[-1].strip())
    )


def test_resume_command_drops_new_and_names_the_study() -> None:
    argv = ["run", "s.toml", "--new", "--study-name", "x", "--trials", "5"]
    assert _resume_command(argv, "x-2") == ("initstudy run s.toml --trials 5 --study-name x-2")
    assert _resume_command(["run", "--study-name=y"], "y") == "initstudy run --study-name y"


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_stops_cleanly_and_says_how_to_resume(
    tmp_path: Path, signum: int, code: int
) -> None:
    path = tmp_path / "study.toml"
    path.write_text(
        CONFIG.replace("n_trials = 2", "n_trials = 500").replace("max_iter = 4", "max_iter = 30")
    )
    url = f"sqlite:///{tmp_path}/s.db"
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "initstudy.cli", "run", str(path), "--storage", url, "--quiet"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 60
    db = tmp_path / "s.db"
    while (not db.exists() or db.stat().st_size < 50_000) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    os.kill(process.pid, signum)
    returncode = process.wait(timeout=60)
    err = log.read_text()
    assert returncode == code, err
    assert "every finished seed is saved" in err and "Traceback" not in err
    assert f"initstudy run {path} --storage {url} --quiet --study-name tiny" in err


def test_the_program_logs_a_line_per_trial_and_leaves_a_clean_database(
    config_file: Path, tmp_path: Path
) -> None:
    """As a program (not a TTY): one progress line per trial, the ranking, no -wal file."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "initstudy.cli",
            "run",
            str(config_file),
            "--storage",
            f"sqlite:///{tmp_path}/s.db",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    note, *lines = done.stderr.splitlines()  # the launch note on equivalent schemes, then trials
    confirming = lines.index(
        "Confirming the best configuration of each scheme on 10 fresh seeds ..."
    )
    lines, confirm_lines = lines[:confirming], lines[confirming + 1 :]
    assert [line.split(":")[0] for line in confirm_lines] == ["confirm 1/2", "confirm 2/2"]
    assert note == "Note: init_scale has no effect on zeros."
    assert [line.split(" (#")[0] for line in lines] == ["trial 1/2 done", "trial 2/2 done"]
    assert "\r" not in done.stderr and "init=" in lines[0] and "(best " in lines[1]
    assert "Init schemes" in done.stdout and "2 complete trials" in done.stdout
    assert sorted(p.name for p in tmp_path.glob("s.db*")) == ["s.db"]


def test_the_ranking_is_each_schemes_best_trial(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unconfirmed, the ranking is each scheme's best search trial (selection scores)."""
    import optuna

    from initstudy.cli import _scheme_ranking

    url = f"sqlite:///{tmp_path}/s.db"
    args = ["run", str(config_file), "--storage", url, "--trials", "4", "--quiet", "--no-confirm"]
    assert main(args) == 0
    study = optuna.load_study(study_name="tiny", storage=url)
    ranking = _scheme_ranking(study)
    assert ranking.attrs["scores"] == "selection (optimistic)"
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    schemes = {t.params["init"] for t in complete}
    assert sorted(ranking["scheme"]) == sorted(schemes)
    assert list(ranking["rank"]) == list(range(1, len(schemes) + 1))
    for row in ranking.itertuples():
        mine = [t for t in complete if t.params["init"] == row.scheme]
        best = max(mine, key=lambda t: (t.value, -t.number))
        assert row.trial == best.number and row.trials == len(mine)
        assert row.mean == pytest.approx(best.user_attrs["mean"])
        assert np.isnan(row.ci_low) or row.ci_low <= row.mean <= row.ci_high  # NaN: all alike


def test_run_on_a_table_prints_one_line_on_its_columns(
    config_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = ["bill,island,tagged,species"]
    rows += [
        f"{30 + i % 7},{'Dream' if i % 3 else ''},{'True' if i % 2 else 'False'},"
        f"{'A' if i % 2 else 'B'}"
        for i in range(30)
    ]
    rows[5] = "31,Biscoe,True,"  # a missing target
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    code, out, _ = _run(
        [
            "run",
            str(config_file),
            "--dataset",
            str(tmp_path / "t.csv"),
            "--target",
            "species",
            "--storage",
            f"sqlite:///{tmp_path}/s.db",
            "--trials",
            "1",
            "--seeds",
            "1",
        ],
        capsys,
    )  # --quiet hides the line
    assert code == 0
    # a complete True/False column reads as bool: a number, as before "auto" existed
    assert (
        "preprocessing 'auto': 2 numeric column(s) standardized; 1 text column(s) one-hot "
        "encoded into 1 feature(s), 10 missing value(s) imputed with the most frequent; "
        "1 row(s) with a missing target dropped."
    ) in out.splitlines()


def test_run_confirms_on_fresh_seeds_and_ranks_on_them(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from initstudy.storage import load_seed_runs

    url = f"sqlite:///{tmp_path}/s.db"
    code, out, err = _run(["run", str(config_file), "--storage", url], capsys)
    assert code == 0, err
    assert "Confirming the best configuration of each scheme on 10 fresh seeds" in err
    assert "Init schemes, confirmed" in out and "untouched test rows (one row = 0.0333)" in out
    assert "selection" in out and "Answer: best: " in out
    rows = load_seed_runs(url, "tiny", stage="confirm")
    assert sorted(set(rows["seed"])) == list(range(10_000, 10_010))


def test_no_confirm_then_confirm_later(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from initstudy.storage import load_seed_runs

    url = f"sqlite:///{tmp_path}/s.db"
    code, out, _ = _run(["run", str(config_file), "--storage", url, "--no-confirm"], capsys)
    assert code == 0 and "SELECTION scores (optimistic" in out and "initstudy confirm" in out
    assert load_seed_runs(url, "tiny", stage="confirm").empty
    code, out, err = _run(["confirm", "tiny", "--storage", url, "--seeds", "3"], capsys)
    assert code == 0, err
    assert "Init schemes, confirmed" in out and "on 3 fresh seeds" in out
    assert sorted(set(load_seed_runs(url, "tiny", stage="confirm")["seed"])) == [
        10_000,
        10_001,
        10_002,
    ]
    code, _, err = _run(["confirm", "nope", "--storage", url], capsys)
    _one_line_error(code, err, "nope")


@pytest.mark.slow
def test_an_interrupted_confirmation_resumes(tmp_path: Path) -> None:
    from initstudy.storage import load_seed_runs

    path = tmp_path / "study.toml"
    path.write_text(CONFIG.replace("max_iter = 4", "max_iter = 40"))
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(path), "--storage", url, "--no-confirm", "--quiet"]) == 0
    argv = ["confirm", "tiny", "--storage", url, "--seeds", "600", "--quiet"]
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "initstudy.cli", *argv],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if len(load_seed_runs(url, "tiny", stage="confirm")):
            break
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGINT)
    returncode = process.wait(timeout=60)
    err = log.read_text()
    stored = len(load_seed_runs(url, "tiny", stage="confirm"))
    assert returncode == 130, err
    assert "every finished seed is saved" in err and "Traceback" not in err
    assert f"Resume with:\n  initstudy {' '.join(argv)}" in err
    assert 0 < stored < 2 * 600
    assert main(argv) == 0
    rows = load_seed_runs(url, "tiny", stage="confirm")
    assert len(rows) == 2 * 600 and not rows.duplicated(["trial_number", "seed"]).any()
