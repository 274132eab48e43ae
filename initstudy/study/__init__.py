"""Repeated seeded evaluation, the study objective, launching and resuming studies.

- :func:`evaluate` trains an estimator from several seeds on a fixed, seeded split.
- :class:`StudyConfig` and :func:`run_study` run an Optuna study whose trials are scored
  over those seeds (resumable, parallel in processes); :func:`run_worker` joins one.
- :func:`confirm_study` retrains each scheme's best configuration on fresh seeds and scores
  it on the test part that :func:`split_test_part` set aside before the search.
- :func:`load_dataset` loads the built-in datasets and CSV/Parquet files.
- :class:`InitSearchCV` is the scikit-learn meta-estimator form.
"""

from __future__ import annotations

from ._aggregates import AGGREGATES, aggregate, confidence_interval, default_penalty, summarize
from ._config import StudyConfig
from ._confirm import confirm_study, confirmation_trials, search_part, split_test_part
from ._datasets import BUILTIN_DATASETS, Dataset, load_dataset
from ._evaluate import SeedCache, evaluate
from ._interrupts import Interrupted, interrupts_raise
from ._objective import EvaluationFailedError, Objective
from ._preprocessing import (
    PREPROCESSING,
    ColumnPlan,
    HighCardinalityWarning,
    describe_columns,
    make_auto_transformer,
)
from ._records import EvaluationResult, SeedRecord
from ._repetitions import uncertainty_sources
from ._run import make_pruner, make_sampler, run_study, run_worker, stored_config
from ._search_cv import InitSearchCV

__all__ = [
    "AGGREGATES",
    "BUILTIN_DATASETS",
    "PREPROCESSING",
    "ColumnPlan",
    "Dataset",
    "EvaluationFailedError",
    "EvaluationResult",
    "HighCardinalityWarning",
    "InitSearchCV",
    "Interrupted",
    "Objective",
    "SeedCache",
    "SeedRecord",
    "StudyConfig",
    "aggregate",
    "confidence_interval",
    "confirm_study",
    "confirmation_trials",
    "default_penalty",
    "describe_columns",
    "evaluate",
    "interrupts_raise",
    "load_dataset",
    "make_auto_transformer",
    "make_pruner",
    "make_sampler",
    "run_study",
    "run_worker",
    "search_part",
    "split_test_part",
    "stored_config",
    "summarize",
    "uncertainty_sources",
]
