"""Readers of params follow per-scheme renamed parameters (issue 10 item 8)."""

from __future__ import annotations

import optuna
import pandas as pd

from initstudy.reports import scale_response
from initstudy.reports._load import StudyData, _seed_scores_from_runs


def test_scale_response_reads_classic_preset_names():
    study = optuna.create_study(direction="maximize", study_name="classic")
    scale = optuna.distributions.FloatDistribution(0.1, 10.0, log=True)
    init = optuna.distributions.CategoricalDistribution(["he_normal", "zeros"])
    rows = []
    for number, (scheme, s, score) in enumerate(
        [("he_normal", 0.5, 0.8), ("he_normal", 2.0, 0.9), ("zeros", None, 0.1)]
    ):
        params, dists = {"init": scheme}, {"init": init}
        if s is not None:
            params[f"init.{scheme}.init_scale"], dists[f"init.{scheme}.init_scale"] = s, scale
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=score))
        rows += [
            {
                "trial_number": number,
                "seed": seed,
                "fold": 0,
                "score": score,
                "diverged": False,
                "n_iter": 3,
                "fit_seconds": 0.1,
            }
            for seed in (0, 1)
        ]
    runs = pd.DataFrame(rows)
    data = StudyData(study, runs, _seed_scores_from_runs(runs), {}, "seed_runs")
    frame = scale_response(data)
    assert frame["scheme"].tolist() == ["he_normal", "he_normal"]
    assert frame["init_scale"].tolist() == [0.5, 2.0]
