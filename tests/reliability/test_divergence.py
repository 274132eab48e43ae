"""Divergence: init_scale 1e3 with ReLU on digits blows up on some seeds; the study goes on.

Plain SGD (learning rate 0.01, two hidden layers of 64): at ``init_scale = 1000`` most seeds
reach a non-finite loss within 20 epochs (Adam's normalized steps survive it, so the suite
uses SGD). Expected: every trial completes, each diverged seed is stored as diverged and
scored with the penalty (0, the worst accuracy), the trial's value counts it, ``n_diverged``
holds the count, and the report shows it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from reliability_helpers import run_main, write_config

from initstudy.reports import build_markdown_report, trials_table
from initstudy.storage import load_seed_runs

pytestmark = pytest.mark.slow

N_SEEDS = 6
DIVERGE_TOML = f"""
[study]
name = "diverge"
n_trials = 4

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [64, 64]
activation = "relu"
solver = "sgd"
learning_rate_init = 0.01
max_iter = 20

[seeds]
n = {N_SEEDS}

[space]
name = "diverge"
grid = true
[space.params]
init = ["he_normal", "lecun_normal"]
init_scale = [1.0, 1000.0]
"""


@pytest.fixture(scope="module")
def diverged_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("diverge")
    db = folder / "diverge.db"
    code = __import__("initstudy.cli", fromlist=["main"]).main(
        ["run", str(write_config(folder, DIVERGE_TOML)), "--storage", str(db), "--quiet"]
    )
    assert code == 0
    return db, "diverge"


def test_diverged_seeds_are_recorded_with_the_penalty_and_the_study_goes_on(
    diverged_study: tuple[Path, str],
) -> None:
    db, name = diverged_study
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{db}")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    rows = load_seed_runs(db, name, stage="search")
    total = 0
    for trial in study.trials:
        mine = rows[rows["trial_number"] == trial.number].sort_values("seed")
        diverged = mine["diverged"].astype(bool).to_numpy()
        assert trial.user_attrs["n_diverged"] == float(diverged.sum())
        seed_scores = np.array([trial.intermediate_values[i] for i in range(N_SEEDS)])
        assert (seed_scores[diverged] == 0.0).all()  # the penalty: the worst accuracy
        assert trial.value == pytest.approx(seed_scores.mean())
        if trial.params["init_scale"] == 1.0:
            assert not diverged.any() and trial.value > 0.8
        else:
            total += int(diverged.sum())
    assert 0 < total <= 2 * N_SEEDS


def test_the_report_shows_the_diverged_count(
    diverged_study: tuple[Path, str], tmp_path: Path
) -> None:
    db, name = diverged_study
    table = trials_table(f"sqlite:///{db}", name).set_index("trial_number")
    rows = load_seed_runs(db, name, stage="search")
    counts = rows.groupby("trial_number")["diverged"].sum().astype(int)
    assert table["n_diverged"].astype(int).to_dict() == counts.to_dict()
    text = build_markdown_report(f"sqlite:///{db}", name, path=tmp_path / "r.md").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "| trial_number |" in line)
    column = [c.strip() for c in lines[start].split("|")].index("n_diverged")
    for number, count in counts.items():
        line = next(line for line in lines[start:] if line.startswith(f"| {number} | "))
        assert line.split("|")[column].strip() == str(count)


def test_run_prints_the_diverged_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The end-of-run table counts each scheme's diverged seeds (here of the confirmation, which
    the table shows: every scheme's only trial retrained on fresh seeds), and a scheme that is
    no better than a constant predictor is never called best."""
    text = DIVERGE_TOML.replace("init_scale = [1.0, 1000.0]", "init_scale = [1000.0]")
    code, out, err = run_main(
        ["run", str(write_config(tmp_path, text)), "--storage", str(tmp_path / "d.db"), "--quiet"],
        capsys,
    )
    assert code == 0, err
    rows = load_seed_runs(tmp_path / "d.db", "diverge", stage="confirm")
    study = optuna.load_study(study_name="diverge", storage=f"sqlite:///{tmp_path / 'd.db'}")
    scheme = {t.number: t.params["init"] for t in study.trials}
    expected = rows.groupby(rows["trial_number"].map(scheme))["diverged"].sum().astype(int)
    lines = out.split("Init schemes, confirmed")[1].splitlines()
    start = next(i for i, line in enumerate(lines) if " diverged " in line)
    header = lines[start].split()
    printed, groups = {}, {}
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) != len(header):
            break
        printed[cells[header.index("scheme")]] = int(cells[header.index("diverged")])
        groups[cells[header.index("scheme")]] = (
            cells[header.index("group")],
            float(cells[header.index("mean")]),
        )
    assert printed == expected.to_dict() and sum(printed.values()) > 0
    baseline = study.user_attrs["confirm"]["baseline"]
    assert any(mean <= baseline for _, mean in groups.values())  # what this test is about
    for name, (group, mean) in groups.items():
        if mean <= baseline:
            assert group == "failed", (name, mean, baseline)
