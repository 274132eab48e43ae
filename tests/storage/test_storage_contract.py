"""The storage contract, run against every backend (SQLite file, PostgreSQL when available)."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import optuna
import pytest
import sqlalchemy as sa

from initstudy.exceptions import ConfigError, StorageError, StudyConflictError
from initstudy.storage import (
    SCHEMA_VERSION,
    SEED_RUN_COLUMNS,
    STUDY_COLUMNS,
    SeedRunRecord,
    canonical_json,
    delete_study_data,
    fail_stale_trials,
    find_cached_runs,
    list_studies,
    live_trials,
    load_seed_runs,
    load_study_record,
    make_run_key,
    next_free_study_name,
    register_study,
    resolve_storage,
    save_seed_runs,
    trial_heartbeat,
)

NASTY_NAMES = [
    'it\'s "quoted"',
    "with spaces  and\ttabs",
    "ünïcødé 研究 🧪",
    "'; DROP TABLE initstudy_seed_runs; --",
    'x" OR "1"="1',
    "back\\slash %s %(name)s ?",
]
CONFIG = {"space": "keras", "seeds": [0, 1, 2], "validation": {"holdout": 0.2, "seed": 0}}


def _record(
    seed: int, score: float = 0.5, *, key: str | None = None, **kwargs: object
) -> SeedRunRecord:
    run_key = key or make_run_key(
        fingerprint="fp", estimator_params={"init": "he_normal"}, validation="holdout", seed=seed
    )
    return SeedRunRecord(seed=seed, fold=0, run_key=run_key, score=score, **kwargs)


def _ask(study: optuna.Study) -> optuna.Trial:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        return study.ask({"x": optuna.distributions.FloatDistribution(0.0, 1.0)})


@pytest.fixture
def storage(storage_url: str) -> optuna.storages.RDBStorage:
    """A resolved storage on each backend."""
    return resolve_storage(storage_url, heartbeat_interval=1, grace_period=1)


class TestSeedRuns:
    def test_round_trip(self, storage) -> None:
        records = [
            _record(
                0,
                0.91,
                diverged=False,
                n_iter=3,
                fit_seconds=0.25,
                loss_curve=[1.0, 0.5, 0.25],
                eval_curve=np.array([0.8, 0.9, 0.91]),
            ),
            _record(1, float("nan"), diverged=True, n_iter=2, loss_curve=[1.0, float("inf")]),
            _record(2, 0.0, error="ValueError: boom"),
        ]
        save_seed_runs(storage, "s", 4, records)
        frame = load_seed_runs(storage, "s")
        assert list(frame.columns) == list(SEED_RUN_COLUMNS)
        assert frame["seed"].tolist() == [0, 1, 2]
        assert frame["trial_number"].tolist() == [4, 4, 4]
        assert frame["score"].iloc[0] == 0.91 and math.isnan(frame["score"].iloc[1])
        assert frame["diverged"].tolist() == [False, True, False]
        assert frame["n_iter"].tolist() == [3, 2, 0]
        assert frame["loss_curve"].iloc[0] == [1.0, 0.5, 0.25]
        assert frame["loss_curve"].iloc[1] == [1.0, float("inf")]
        assert frame["eval_curve"].iloc[0] == [0.8, 0.9, 0.91]
        assert frame["error"].tolist() == [None, None, "ValueError: boom"]
        assert frame["run_key"].iloc[0] == records[0].run_key

    def test_scores_round_trip_bitwise(self, storage) -> None:
        scores = np.random.default_rng(0).random(5)
        save_seed_runs(storage, "s", 0, [_record(i, float(s)) for i, s in enumerate(scores)])
        assert np.array_equal(load_seed_runs(storage, "s")["score"].to_numpy(), scores)

    def test_empty_study_has_the_columns(self, storage) -> None:
        frame = load_seed_runs(storage, "nothing here")
        assert frame.empty and list(frame.columns) == list(SEED_RUN_COLUMNS)

    def test_saving_twice_keeps_the_first_row(self, storage) -> None:
        save_seed_runs(storage, "s", 0, [_record(0, 0.7)])
        save_seed_runs(storage, "s", 0, [_record(0, 0.1), _record(1, 0.2)])
        frame = load_seed_runs(storage, "s")
        assert frame["score"].tolist() == [0.7, 0.2]

    def test_unique_constraint_in_the_database(self, storage) -> None:
        save_seed_runs(storage, "s", 0, [_record(0)])
        table = sa.table(
            "initstudy_seed_runs",
            *(
                sa.column(c)
                for c in (
                    "study_name",
                    "trial_number",
                    "seed",
                    "fold",
                    "run_key",
                    "diverged",
                    "n_iter",
                    "fit_seconds",
                    "loss_curve_json",
                    "eval_curve_json",
                )
            ),
        )
        row = dict(
            study_name="s",
            trial_number=0,
            seed=0,
            fold=0,
            run_key="k",
            diverged=False,
            n_iter=0,
            fit_seconds=0.0,
            loss_curve_json="[]",
            eval_curve_json="[]",
        )
        with pytest.raises(sa.exc.IntegrityError), storage.engine.begin() as connection:
            connection.execute(sa.insert(table), row)

    def test_rows_are_per_study(self, storage) -> None:
        save_seed_runs(storage, "a", 0, [_record(0, 0.1)])
        save_seed_runs(storage, "b", 0, [_record(0, 0.2)])
        assert load_seed_runs(storage, "a")["score"].tolist() == [0.1]

    @pytest.mark.parametrize("name", NASTY_NAMES)
    def test_names_are_stored_as_data(self, storage, name: str) -> None:
        save_seed_runs(storage, name, 0, [_record(0, 0.3, error=name)])
        register_study(storage, name, fingerprint=name, config={"note": name})
        frame = load_seed_runs(storage, name)
        assert frame["error"].tolist() == [name]
        assert load_study_record(storage, name)["config"] == {"note": name}
        optuna.create_study(study_name=name, storage=storage)
        assert name in list_studies(storage)["study_name"].tolist()
        assert load_seed_runs(storage, "other").empty


class TestCache:
    def test_found_and_missing_keys(self, storage) -> None:
        save_seed_runs(storage, "s", 0, [_record(0, 0.4), _record(1, 0.6)])
        keys = [_record(0).run_key, _record(1).run_key, "missing"]
        found = find_cached_runs(storage, keys)
        assert set(found) == set(keys[:2])
        assert found[keys[1]].score == 0.6 and found[keys[1]].seed == 1

    def test_cache_crosses_studies_and_first_row_wins(self, storage) -> None:
        save_seed_runs(storage, "old", 0, [_record(0, 0.4)])
        save_seed_runs(storage, "new", 0, [_record(0, 0.9)])
        assert find_cached_runs(storage, [_record(0).run_key])[_record(0).run_key].score == 0.4

    def test_errored_runs_are_not_reused(self, storage) -> None:
        save_seed_runs(storage, "s", 0, [_record(0, error="MemoryError")])
        assert find_cached_runs(storage, [_record(0).run_key]) == {}

    def test_many_keys(self, storage) -> None:
        records = [_record(i, i / 1000, key=f"key-{i}") for i in range(1200)]
        save_seed_runs(storage, "s", 0, records)
        found = find_cached_runs(storage, [f"key-{i}" for i in range(0, 1300, 2)])
        assert len(found) == 600 and found["key-1198"].score == 1.198


class TestStudies:
    def test_register_then_resume(self, storage) -> None:
        first = register_study(storage, "s", fingerprint="fp", config=CONFIG)
        again = register_study(
            storage, "s", fingerprint="fp", config=dict(reversed(CONFIG.items()))
        )
        assert first == again == load_study_record(storage, "s")
        assert first["config"] == CONFIG and first["schema_version"] == SCHEMA_VERSION

    def test_conflict_names_each_difference(self, storage) -> None:
        register_study(storage, "s", fingerprint="fp", config=CONFIG)
        with pytest.raises(StudyConflictError) as caught:
            register_study(storage, "s", fingerprint="other", config={**CONFIG, "space": "all"})
        message = str(caught.value)
        assert "dataset fingerprint" in message and "config 'space'" in message
        assert "'keras'" in message and "'all'" in message
        assert "--new" in message and "'s-2'" in message
        assert load_study_record(storage, "s")["fingerprint"] == "fp"

    def test_unknown_study_lists_known_ones(self, storage) -> None:
        register_study(storage, "alpha", fingerprint="fp", config={})
        with pytest.raises(StorageError, match="Unknown study 'alpah'. Did you mean 'alpha'"):
            load_study_record(storage, "alpah")

    @pytest.mark.parametrize("name", ["", "x" * 513, 3])
    def test_bad_names(self, storage, name: object) -> None:
        with pytest.raises(ConfigError, match="study name"):
            register_study(storage, name, fingerprint="fp", config={})  # type: ignore[arg-type]

    def test_unstorable_config(self, storage) -> None:
        with pytest.raises(ConfigError, match="cannot be stored"):
            register_study(storage, "s", fingerprint="fp", config={"f": object()})

    def test_next_free_name(self, storage) -> None:
        assert next_free_study_name(storage, "s") == "s"
        register_study(storage, "s", fingerprint="fp", config={})
        optuna.create_study(study_name="s-2", storage=storage)
        assert next_free_study_name(storage, "s") == "s-3"

    def test_list_studies(self, storage) -> None:
        register_study(storage, "b", fingerprint="fp-b", config={})
        for name, direction in (("b", "maximize"), ("a", "minimize")):
            study = optuna.create_study(study_name=name, storage=storage, direction=direction)
            for value in (0.2, 0.8):
                study.add_trial(optuna.create_trial(value=value))
        _ask(study)
        frame = list_studies(storage)
        assert list(frame.columns) == list(STUDY_COLUMNS)
        assert frame["study_name"].tolist() == ["a", "b"]
        assert frame["best_value"].tolist() == [0.2, 0.8]
        assert frame["n_trials"].tolist() == [3, 2] and frame["n_running"].tolist() == [1, 0]
        assert frame["fingerprint"].isna().tolist() == [True, False]
        assert frame["fingerprint"].iloc[1] == "fp-b"

    def test_delete_study_data(self, storage) -> None:
        register_study(storage, "s", fingerprint="fp", config={})
        save_seed_runs(storage, "s", 0, [_record(0)])
        save_seed_runs(storage, "keep", 0, [_record(0)])
        optuna.create_study(study_name="s", storage=storage)
        delete_study_data(storage, "s")
        assert load_seed_runs(storage, "s").empty and not load_seed_runs(storage, "keep").empty
        assert "s" not in list_studies(storage)["study_name"].tolist()
        with pytest.raises(StorageError):
            load_study_record(storage, "s")


class TestStaleTrials:
    def test_running_trials_without_heartbeat_are_failed_and_retried(self, storage) -> None:
        study = optuna.create_study(study_name="s", storage=storage)
        dead = _ask(study)  # killed between ask() and its first heartbeat
        alive = _ask(study)
        with trial_heartbeat(storage, alive):
            assert fail_stale_trials(storage, "s") == []  # both younger than the grace period
            time.sleep(2.7)
            # heartbeats come every second (timestamps have 1 s resolution on SQLite)
            assert fail_stale_trials(storage, "s", grace_period=2.5) == [dead.number]
            assert fail_stale_trials(storage, "s", grace_period=2.5) == []  # once only
        states = {t.number: t.state for t in study.get_trials()}
        assert states[dead.number] == optuna.trial.TrialState.FAIL
        assert states[alive.number] == optuna.trial.TrialState.RUNNING
        waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
        assert len(waiting) == 1 and waiting[0].params == dead.params
        assert waiting[0].system_attrs["retry_history"] == [dead.number]

    def test_stopped_heartbeat_is_failed(self, storage) -> None:
        study = optuna.create_study(study_name="s", storage=storage)
        trial = _ask(study)
        with trial_heartbeat(storage, trial):
            pass  # one heartbeat, then the worker "dies"
        time.sleep(2.2)
        assert fail_stale_trials(storage, "s", grace_period=1) == [trial.number]

    def test_unknown_study(self, storage) -> None:
        with pytest.raises(StorageError, match="Unknown study"):
            fail_stale_trials(storage, "nope")

    def test_live_trials_leave_out_the_dead_and_the_finished(self, storage_url: str) -> None:
        storage = resolve_storage(storage_url, heartbeat_interval=1, grace_period=2)
        study = optuna.create_study(study_name="s", storage=storage)
        dead, alive = _ask(study), _ask(study)
        with trial_heartbeat(storage, alive):
            assert sorted(live_trials(storage, "s")) == [dead.number, alive.number]
            time.sleep(2.7)  # older than the grace period: the dead one has no heartbeat
            assert live_trials(storage, "s") == [alive.number]
        study.tell(alive, 0.5)
        assert live_trials(storage, "s") == []
        assert study.get_trials()[dead.number].state == optuna.trial.TrialState.RUNNING


def test_run_key_is_canonical_and_sensitive() -> None:
    base = dict(fingerprint="fp", estimator_params={"a": 1, "b": (64, 64)}, validation={"k": 5})
    key = make_run_key(**base, seed=0, fold=1)
    assert key == make_run_key(
        fingerprint="fp",
        estimator_params={"b": [np.int64(64), 64], "a": np.int32(1)},
        validation={"k": 5},
        seed=np.int64(0),
        fold=1,
    )
    assert len(key) == 64
    changed = [
        make_run_key(**base, seed=1, fold=1),
        make_run_key(**base, seed=0, fold=0),
        make_run_key(**{**base, "fingerprint": "fp2"}, seed=0, fold=1),
        make_run_key(**{**base, "estimator_params": {"a": 2, "b": (64, 64)}}, seed=0, fold=1),
        make_run_key(**{**base, "validation": {"k": 3}}, seed=0, fold=1),
    ]
    assert len({key, *changed}) == 6


def test_canonical_json_of_config_objects() -> None:
    class Init:
        def get_config(self) -> dict[str, float]:
            return {"scale": 2.0}

    text = canonical_json({"b": Init(), "a": np.float32(0.5)})
    assert text.startswith('{"a":0.5,"b":{"class":') and text.endswith('"config":{"scale":2.0}}}')
    with pytest.raises(ConfigError, match="string keys"):
        canonical_json({1: "x"})


@pytest.mark.parametrize("bad", [dict(run_key=""), dict(fold=-1), dict(n_iter=-2)])
def test_record_validation(bad: dict[str, object]) -> None:
    fields = dict(seed=0, fold=0, run_key="k", score=0.5, n_iter=1) | bad
    with pytest.raises(ConfigError):
        SeedRunRecord(**fields)  # type: ignore[arg-type]
