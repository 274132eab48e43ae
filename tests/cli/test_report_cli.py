"""``initstudy report``: the terminal summary and the HTML, Markdown, CSV and dashboard outputs."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from initstudy.cli import main

REPORT_CONFIG = """
[study]
name = "rep"
n_trials = 3

[dataset]
name = "iris"

[estimator]
hidden_layer_sizes = [8]
max_iter = 6

[seeds]
n = 3

[space]
grid = true
[space.params]
init = ["he_normal", "glorot_uniform", "random_normal"]
init_scale = [1.0]
"""


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A study made by ``initstudy run --no-confirm`` (3 schemes x 3 seeds on iris): its URL.

    Unconfirmed, so the report rests on the 3 search seeds and says they are too few.
    """
    folder = tmp_path_factory.mktemp("report-cli")
    config = folder / "study.toml"
    config.write_text(REPORT_CONFIG)
    url = f"sqlite:///{folder}/s.db"
    assert main(["run", str(config), "--storage", url, "--quiet", "--no-confirm"]) == 0
    return url


def test_report_prints_ranking_comparisons_and_conclusion(report_db, capsys):
    db = Path(report_db.removeprefix("sqlite:///"))
    before = db.read_bytes()
    assert main(["report", "rep", "--storage", report_db, "--no-signal"]) == 0
    out = capsys.readouterr().out
    assert "Ranking of init schemes" in out and "Pairwise comparisons" in out
    assert "Conclusion:" in out and "Best scheme:" in out
    for scheme in ("he_normal", "glorot_uniform", "random_normal"):
        assert scheme in out
    assert "too few seeds" in out  # 3 seeds: no p-values, and it says so
    assert db.read_bytes() == before  # printing a report writes nothing


def test_a_confirmed_report_concludes_on_the_confirmation(tmp_path, capsys):
    config = tmp_path / "study.toml"
    config.write_text(REPORT_CONFIG)
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["run", str(config), "--storage", url, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", "rep", "--storage", url, "--no-signal"]) == 0
    out = capsys.readouterr().out
    assert "on the confirmation seeds and the untouched test part" in out
    assert "too few seeds" not in out  # 10 fresh seeds


def test_report_writes_html_markdown_csv(report_db, tmp_path, capsys):
    html, md, csv = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "csv"
    args = [
        "report",
        "rep",
        "--storage",
        report_db,
        "--html",
        str(html),
        "--markdown",
        str(md),
        "--csv",
        str(csv),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"html: wrote {html}" in out and "markdown: wrote" in out and "csv: wrote" in out
    assert "Ranking of schemes" in html.read_text() and "Ranking of schemes" in md.read_text()
    assert (tmp_path / "r_files" / "seed_scores.png").exists()
    assert (csv / "schemes.csv").exists() and (csv / "comparisons.csv").exists()


def test_report_to_dashboard_saves_note_and_artifacts(report_db, tmp_path, capsys):
    from optuna_dashboard import get_note

    args = [
        "report",
        "rep",
        "--storage",
        report_db,
        "--to-dashboard",
        "--artifact-dir",
        str(tmp_path),
        "--no-signal",
    ]
    assert main(args) == 0
    assert "saved the note and 8 artifacts" in capsys.readouterr().out
    study = optuna.load_study(study_name="rep", storage=report_db)
    assert "Best scheme:" in get_note(study)
    assert study.metric_names == ["accuracy, mean of 3 seeds"]
    assert len(list(tmp_path.iterdir())) == 8  # 7 plots (answer, pairwise, ...) + the HTML


def test_report_unknown_study_is_one_clear_line(report_db, capsys):
    assert main(["report", "rpe", "--storage", report_db]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Unknown study 'rpe'.") and "Traceback" not in err
