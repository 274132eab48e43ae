"""Repeated seeded evaluation, the study objective, launching and resuming studies.

- :func:`evaluate` trains an estimator from several seeds on a fixed, seeded split.
- :class:`StudyConfig` and :func:`run_study` run an Optuna study whose trials are scored
  over those seeds (resumable, parallel in processes); :func:`run_worker` joins one.
- :func:`load_dataset` loads the built-in datasets and CSV/Parquet files.
- :class:`InitSearchCV` is the scikit-learn meta-estimator form.
"""

from __future__ import annotations

from ._aggregates import AGGREGATES, aggregate, confidence_interval, default_penalty, summarize
from ._config import StudyConfig
from ._datasets import BUILTIN_DATASETS, Dataset, load_dataset
from ._evaluate import SeedCache, evaluate
from ._interrupts import Interrupted
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
from ._run import make_pruner, make_sampler, run_study, run_worker
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
    "default_penalty",
    "describe_columns",
    "evaluate",
    "load_dataset",
    "make_auto_transformer",
    "make_pruner",
    "make_sampler",
    "run_study",
    "run_worker",
    "summarize",
    "uncertainty_sources",
]
