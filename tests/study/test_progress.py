"""Progress: tqdm bars on a terminal, one line per finished trial in logs and pipes."""

from __future__ import annotations

import io
import sys

import pytest
from study_helpers import tiny_config

from initstudy.study import run_study
from initstudy.study._progress import (
    LineProgress,
    NullProgress,
    TqdmProgress,
    make_progress,
)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_picks_bars_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(make_progress(True), LineProgress)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert isinstance(make_progress(True), TqdmProgress)
    assert type(make_progress(False)) is NullProgress
    mine = LineProgress(io.StringIO())
    assert make_progress(mine) is mine


def test_line_progress_prints_one_line_per_finished_trial() -> None:
    out = io.StringIO()
    progress = LineProgress(out)
    progress.start(3, 0)
    progress.trial_started(0, 5)
    progress.seeds_done(5)
    assert out.getvalue() == ""  # nothing per seed
    progress.trial_finished(0, "complete", {"init": "he_normal", "init_scale": 1.2999}, 0.97)
    progress.trials_done(1, 0.97)
    progress.trial_finished(1, "failed", {"init": "zeros", "init_scale": 0.5}, None)
    progress.trials_done(1, 0.97)
    progress.trials_done(1, 0.97)  # no news, no line
    progress.trials_done(3, 0.98)  # finished by other workers
    assert out.getvalue().splitlines() == [
        "trial 1/3 done (#0): init=he_normal init_scale=1.3 value=0.9700 (best 0.9700)",
        "trial #1 failed: init=zeros init_scale=0.5",
        "trials 3/3 done (best 0.9800)",
    ]


def test_a_resumed_study_says_where_it_starts() -> None:
    out = io.StringIO()
    LineProgress(out).start(5, 2)
    assert out.getvalue() == "trials 2/5 already done\n"


def test_a_study_prints_a_line_per_trial(sqlite_url: str) -> None:
    out = io.StringIO()
    study = run_study(tiny_config(sqlite_url), progress=LineProgress(out))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    for i, (line, trial) in enumerate(zip(lines, study.trials), start=1):
        assert line.startswith(f"trial {i}/3 done (#{trial.number}): init={trial.params['init']}")
        assert f"value={trial.value:.4f}" in line
    assert lines[-1].endswith(f"(best {study.best_value:.4f})")
