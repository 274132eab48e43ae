"""``reports.variance_table``: the crossed design of a stored study's best configuration."""

from __future__ import annotations

import warnings

import optuna
import pytest
from study_helpers import tiny_config

from initstudy.reports import variance_table
from initstudy.study import run_study


def test_variance_table_computes_stores_and_reloads(sqlite_url: str) -> None:
    run_study(tiny_config(sqlite_url, study_name="vt", n_trials=2))
    assert variance_table(sqlite_url, "vt").empty  # nothing stored yet: says so
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = variance_table(
            sqlite_url,
            "vt",
            compute=True,
            n_configs=1,
            n_boot=20,
            init_seeds=range(2),
            order_seeds=range(2),
            n_splits=2,
        )
    assert set(table["source"]) >= {"init", "order", "split", "residual"}
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["seconds"] > 0).all()
    stored = variance_table(sqlite_url, "vt")
    assert stored["share"].tolist() == pytest.approx(table["share"].tolist())
    attrs = optuna.load_study(study_name="vt", storage=sqlite_url).user_attrs
    assert "variance_decomposition" in attrs


def test_decompose_command_prints_and_stores(sqlite_url: str, capsys) -> None:
    from initstudy.cli import main

    run_study(tiny_config(sqlite_url, study_name="cli", n_trials=1))
    args = ["decompose", "cli", "--storage", sqlite_url, "--configs", "1", "--bootstrap", "10"]
    assert main(args) == 0  # no ConvergenceWarning: a budget of epochs is not news
    out = capsys.readouterr().out
    assert "residual" in out and "95% interval" in out and "the largest share" in out
    assert not variance_table(sqlite_url, "cli").empty
