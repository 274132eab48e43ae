"""Where studies live: storage URLs, per-seed result rows, study records and stale trials.

Optuna's tables hold the studies; initstudy's own tables (``initstudy_*``, in the same
database) hold one row per (trial, seed, fold) and one row per study.
"""

from __future__ import annotations

from ._models import SCHEMA_VERSION, STAGES, database_errors
from ._records import (
    SEED_RUN_COLUMNS,
    SeedRunRecord,
    canonical_json,
    find_cached_runs,
    load_seed_runs,
    make_run_key,
    save_seed_runs,
)
from ._resolve import DEFAULT_URL, StorageLike, display_url, resolve_storage
from ._stale import fail_stale_trials, live_trials, trial_heartbeat
from ._studies import (
    STUDY_COLUMNS,
    delete_study_data,
    list_studies,
    load_study_record,
    next_free_study_name,
    register_study,
)
from ._trial_results import trial_id, write_trial_results

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "SEED_RUN_COLUMNS",
    "STAGES",
    "STUDY_COLUMNS",
    "SeedRunRecord",
    "StorageLike",
    "canonical_json",
    "database_errors",
    "delete_study_data",
    "display_url",
    "fail_stale_trials",
    "find_cached_runs",
    "list_studies",
    "live_trials",
    "load_seed_runs",
    "load_study_record",
    "make_run_key",
    "next_free_study_name",
    "register_study",
    "resolve_storage",
    "save_seed_runs",
    "trial_heartbeat",
    "trial_id",
    "write_trial_results",
]
