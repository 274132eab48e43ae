"""Synthetic studies with known per-seed scores, for the report tests (imported by them)."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd

from initstudy.reports._load import StudyData, _seed_scores_from_runs

SEEDS = [11, 22, 33, 44, 55]

#: scheme -> list of (init_scale, per-seed scores); the first entry of each is its best trial.
KNOWN = {
    "he_normal": [(1.0, [0.95, 0.96, 0.94, 0.97, 0.95]), (3.0, [0.90, 0.91, 0.89, 0.92, 0.90])],
    "glorot_uniform": [
        (1.0, [0.93, 0.94, 0.92, 0.95, 0.93]),
        (0.3, [0.80, 0.82, 0.81, 0.79, 0.80]),
    ],
    "random_normal": [(0.5, [0.60, 0.94, 0.70, 0.93, 0.65])],
}

#: A stored config shaped like ``StudyConfig.to_dict()`` (no space: params map directly).
CONFIG = {
    "dataset": {"name": "iris"},
    "estimator": {"kind": "mlp", "hidden_layer_sizes": [8, 8], "max_iter": 5},
    "seeds": {"n": 5},
    "evaluation": {"validation": "holdout", "aggregate": "mean", "preprocessing": "standard"},
}

SCALE = optuna.distributions.FloatDistribution(0.1, 10.0, log=True)


def _curves(score: float, n_epochs: int, diverged: bool) -> tuple[list[float], list[float]]:
    """Deterministic loss and validation curves ending near the score."""
    epochs = np.arange(1, n_epochs + 1)
    loss = list(1.0 / epochs + (1.0 - score))
    if diverged:
        loss[-1] = float("nan")
    return loss, list(score * (1 - 0.5 / epochs))


def build(
    known: dict[str, list[tuple[float, list[float]]]],
    *,
    seeds: list[int] | None = None,
    diverged: dict[tuple[int, int], bool] | None = None,
    direction: str = "maximize",
) -> StudyData:
    """An in-memory Optuna study plus seed rows shaped like ``load_seed_runs`` output."""
    seeds = SEEDS if seeds is None else seeds
    diverged = diverged or {}
    study = optuna.create_study(direction=direction, study_name="synthetic")
    dists = {"init": optuna.distributions.CategoricalDistribution(list(known)), "init_scale": SCALE}
    rows = []
    for scheme, entries in known.items():
        for scale, scores in entries:
            number = len(study.trials)
            values = np.asarray(scores, dtype=float)
            attrs = {
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
                "n_diverged": float(
                    sum(diverged.get((number, i), False) for i in range(values.size))
                ),
            }
            study.add_trial(
                optuna.trial.create_trial(
                    params={"init": scheme, "init_scale": scale},
                    distributions=dists,
                    value=float(values.mean()),
                    user_attrs=attrs,
                    intermediate_values={i: float(v) for i, v in enumerate(values)},
                )
            )
            for i, (seed, score) in enumerate(zip(seeds, values, strict=True)):
                div = diverged.get((number, i), False)
                loss, ev = _curves(score, 4 + i, div)
                rows.append(
                    {
                        "trial_number": number,
                        "seed": seed,
                        "fold": 0,
                        "score": float(score),
                        "diverged": div,
                        "n_iter": 4 + i,
                        "fit_seconds": 0.1,
                        "loss_curve": loss,
                        "eval_curve": ev,
                        "error": None,
                    }
                )
    runs = pd.DataFrame(rows)
    return StudyData(study, runs, _seed_scores_from_runs(runs), {"config": CONFIG}, "seed_runs")


def run_tiny_study(db_path: str, study_name: str = "tiny", *, seeds: int = 3) -> str:
    """Run a real 3-trial study (3 schemes, iris, a few epochs) with ``run_study``; its URL."""
    from initstudy.study import StudyConfig, run_study

    space = {
        "grid": True,
        "params": {"init": ["glorot_uniform", "he_normal", "random_normal"], "init_scale": [1.0]},
    }
    url = f"sqlite:///{db_path}"
    config = StudyConfig(
        dataset="iris",
        space=space,
        seeds=seeds,
        n_trials=3,
        storage=url,
        study_name=study_name,
        estimator={"hidden_layer_sizes": [8], "max_iter": 8, "batch_size": 50},
    )
    run_study(config)
    return url


def swapped_confirmation() -> StudyData:
    """Two schemes on 10 seeds: the search ranks a first (0.99 vs 0.90), the confirmation
    (seeds 100..109) ranks b first (0.9045 vs 0.8045)."""
    data = build({"a": [(1.0, [0.99] * 10)], "b": [(1.0, [0.90] * 10)]}, seeds=list(range(10)))
    data.confirm_scores = pd.DataFrame(
        {
            "trial_number": [0] * 10 + [1] * 10,
            "seed": list(range(100, 110)) * 2,
            "score": [0.80 + 0.001 * i for i in range(10)] + [0.90 + 0.001 * i for i in range(10)],
            "diverged": [False] * 20,
            "n_iter": [5.0] * 20,
            "fit_seconds": [0.1] * 20,
        }
    )
    return data
