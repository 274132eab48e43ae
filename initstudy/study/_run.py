"""Launching and resuming studies: ``run_study`` (one or N worker processes) and ``run_worker``.

A study is created (or loaded) once, by the launching process, before any worker starts:
its record (dataset fingerprint and the settings that determine results) is registered in
the storage, its objective is named for optuna-dashboard, and ``n_trials``,
``heartbeat_interval`` and ``grace_period`` are kept as study user attributes for
``initstudy worker``. Every (re)start fails the stale
trials first, then the workers run (see :mod:`initstudy.study._worker`).

``jobs = N > 1`` starts N *processes* (spawned, started 0.5 s apart, BLAS limited to one
thread each) on the same storage; the launching process shows the progress and waits.
Per-seed scores depend only on the parameters, the seed and the split, never on which worker
ran them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import time
import warnings
from typing import Any

import numpy as np
import optuna
from threadpoolctl import threadpool_limits

from initstudy.exceptions import ConfigError, InitStudyError, StorageError, unknown_name_error
from initstudy.mlp import set_blas_threads
from initstudy.searchspaces import get_space
from initstudy.storage import (
    database_errors,
    display_url,
    fail_stale_trials,
    load_study_record,
    next_free_study_name,
    register_study,
    resolve_storage,
)
from initstudy.study._budget import budget_name, queue_for
from initstudy.study._config import OBJECTIVES, StudyConfig
from initstudy.study._confirm import search_part
from initstudy.study._datasets import Dataset, load_dataset
from initstudy.study._equivalence import SchemeFamilies, study_space
from initstudy.study._estimators import check_network_memory
from initstudy.study._interrupts import Interrupted, interrupts_raise
from initstudy.study._objective import Objective, objective_names
from initstudy.study._preprocessing import effective_preprocessing
from initstudy.study._progress import NullProgress, make_progress
from initstudy.study._worker import count_trials, work

__all__ = [
    "make_pruner",
    "make_sampler",
    "run_study",
    "run_worker",
    "stored_config",
    "stored_test_size",
]

_STAGGER_SECONDS = 0.5
_PARENT_POLL_SECONDS = 0.5
_STOP_WAIT_SECONDS = 60.0
#: Resumable settings: not part of a study's identity (they may change between runs).
_RESUMABLE = (
    "name",
    "storage",
    "n_trials",
    "timeout",
    "jobs",
    "heartbeat_interval",
    "grace_period",
)


class _GridSampler(optuna.samplers.GridSampler):
    """GridSampler for ask/tell workers: the workers stop at the grid size themselves.

    Optuna's ``after_trial`` calls ``study.stop()``, which only works inside
    ``study.optimize``; the worker loop instead caps ``n_trials`` at the grid size.
    """

    def after_trial(self, study: optuna.Study, trial: Any, state: Any, values: Any) -> None:
        """Nothing: see the class docstring."""


def make_sampler(
    config: StudyConfig, space: Any, worker: int = 0, n_existing: int = 0
) -> optuna.samplers.BaseSampler:
    """The sampler of one worker of one launch.

    "auto" is GridSampler for a grid space, else TPE (also Optuna's multi-objective
    default), which the equal budget per scheme (``_budget``) steers by queuing schemes;
    "per-scheme" is the same TPE. A fresh study's first worker seeds with ``sampler_seed``; other workers, and
    launches that resume a study holding ``n_existing`` trials, seed with
    ``SeedSequence([sampler_seed, worker, n_existing])`` so they do not replay the draws of
    the first launch. A sampler instance is used as given; workers after the first reseed it.

    A grid sampler always seeds with ``sampler_seed``: its seed shuffles the grid, and Optuna
    gives trial number ``i`` (below the grid size) the ``i``-th point of that order, so every
    worker and every launch must shuffle alike, or two workers run the same point and skip
    another.
    """
    if isinstance(config.sampler, optuna.samplers.BaseSampler):
        if worker:
            config.sampler.reseed_rng()
        return config.sampler
    name = config.sampler
    if name == "auto":
        name = "grid" if space.is_grid else "tpe"
    if name == "per-scheme":  # TPE inside each scheme; the budget queues the schemes
        name = "tpe"
    if name == "grid":
        if not space.is_grid:
            raise ConfigError(
                f"The 'grid' sampler needs a grid search space (grid = true); the space "
                f"{space.name!r} is not one."
            )
        return _GridSampler(space.grid(), seed=config.sampler_seed)
    seed = config.sampler_seed
    if seed is not None and (worker or n_existing):
        seed = int(np.random.SeedSequence([seed, worker, n_existing]).generate_state(1)[0])
    factories = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}
    return factories[name](seed=seed)


def make_pruner(config: StudyConfig) -> optuna.pruners.BasePruner:
    """The pruner: "none", "wilcoxon" (per-seed scores), "median" (per-epoch), or an instance."""
    if isinstance(config.pruner, optuna.pruners.BasePruner):
        return config.pruner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        factories = {
            "none": optuna.pruners.NopPruner,
            "wilcoxon": lambda: optuna.pruners.WilcoxonPruner(p_threshold=0.1),
            "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
        }
        return factories[config.pruner]()


def _load_data(config: StudyConfig) -> Dataset:
    if isinstance(config.dataset, Dataset):
        return config.dataset
    if isinstance(config.dataset, tuple) and len(config.dataset) == 2:
        return Dataset.from_arrays(*config.dataset)
    return load_dataset(config.dataset, target=config.target)


def _identity(config: StudyConfig, dataset: Dataset, space: Any) -> dict[str, Any]:
    """The stored config: every setting that determines results (resumable ones left out).

    ``[confirm]`` is left out (it changes no search result; confirmation rows are keyed by
    their own seeds), ``test_size`` kept: it changes the rows the search sees.
    """
    data = config.to_dict(dataset_name=dataset.name)
    data["study"] = {k: v for k, v in data["study"].items() if k not in _RESUMABLE}
    data.pop("confirm", None)
    if not config.test_size:  # absent means none: records made before test parts match
        data["evaluation"].pop("test_size", None)
    data["space"] = space.to_dict()
    if isinstance(config.preprocessing, str):  # "auto" on complete numbers is "standard"
        data["evaluation"]["preprocessing"] = effective_preprocessing(
            config.preprocessing, dataset.columns
        )
    return data


def stored_test_size(storage: Any, study_name: str, config: StudyConfig) -> float:
    """The test size of a stored study: its record's, 0 for a study made before test parts.

    A study that does not exist yet (or has no record) takes ``config.test_size``.
    """
    try:
        record = load_study_record(storage, study_name)
    except StorageError:
        return config.test_size
    return float(record["config"].get("evaluation", {}).get("test_size", 0.0))


def _storage(config: StudyConfig) -> Any:
    return resolve_storage(
        config.storage,
        heartbeat_interval=config.heartbeat_interval,
        grace_period=config.grace_period,
    )


def _prepare(
    config: StudyConfig,
    storage: Any,
    dataset: Dataset,
    space: Any,
    resume: bool | None,
    families: SchemeFamilies | None = None,
) -> optuna.Study:
    """Create or load the study, register its record, name its objectives."""
    name = config.study_name
    names = optuna.get_all_study_names(storage)
    if resume is True and name not in names:
        error = unknown_name_error("study", name, names, cls=StorageError)
        raise StorageError(f"Cannot resume: {error}")
    if resume is False and name in names:
        name = next_free_study_name(storage, name)
    n_existing = 0
    if name in names:
        n_existing = len(
            optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
        )
    # the identity holds the space as the user wrote it (equivalent schemes included): the
    # families searched once follow from it, and studies made before they existed resume
    register_study(
        storage,
        name,
        fingerprint=dataset.fingerprint,
        config=_identity(config, dataset, get_space(config.space)),
    )
    directions = [OBJECTIVES[o] for o in config.objectives]
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        directions=directions,
        load_if_exists=True,
        sampler=make_sampler(config, space, 0, n_existing),
        pruner=make_pruner(config),
    )
    study.set_user_attr("n_trials", config.n_trials)
    study.set_user_attr("heartbeat_interval", config.heartbeat_interval)  # for run_worker
    study.set_user_attr("grace_period", config.grace_period)
    if families is not None:
        study.set_user_attr("scheme_aliases", families.aliases)
        study.set_user_attr("scale_free_schemes", families.scale_free)
    with warnings.catch_warnings():  # what optuna-dashboard shows as the objective's name
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(objective_names(config, dataset.task))
    return study


def _stored_space(space: Any, config: StudyConfig, study: optuna.Study) -> Any:
    """``space``, or the space as written when the study already searched other ``init`` choices.

    A study made before equivalent schemes were searched once has trials over every scheme;
    Optuna refuses to change a categorical's choices within a study, so it keeps its space.
    """
    reduced = space.params.get("init")
    for trial in study.get_trials(deepcopy=False):
        stored = trial.distributions.get("init")
        if (
            stored is not None
            and reduced is not None
            and hasattr(reduced, "choices")
            and tuple(stored.choices) != tuple(reduced.choices)
        ):
            return get_space(config.space)
    return space


def _target(config: StudyConfig, space: Any, study: optuna.Study) -> int:
    """Finished trials to reach: n_trials, or the grid size for a smaller grid."""
    if isinstance(study.sampler, optuna.samplers.GridSampler):
        return min(config.n_trials, space.grid_size)
    return config.n_trials


def run_study(
    config: StudyConfig, *, progress: bool | NullProgress = False, resume: bool | None = None
) -> optuna.Study:
    """Run (or continue) a study until it holds ``config.n_trials`` finished trials.

    Parameters
    ----------
    config : StudyConfig
    progress : bool or NullProgress, default=False
        True shows tqdm bars (trials; and seeds of the running trial when ``jobs == 1``).
    resume : bool or None, default=None
        None continues the study if it exists, else creates it; True requires it to exist;
        False always starts a new study (under a free name such as ``default-2``).

    Returns
    -------
    optuna.Study
        The study (its name is ``study.study_name``).

    Raises
    ------
    ConfigError, DataError
        For an invalid config or dataset.
    StudyConflictError
        If a study of that name exists with a different dataset or configuration.
    Interrupted
        On SIGINT/SIGTERM, after the finished seeds were stored and the running trial's
        parameters queued again; running the same command resumes.
    """
    dataset = _load_data(config)  # data and space first: a refused run creates no database
    if "hidden_layer_sizes" not in get_space(config.space).params:
        check_network_memory(config.estimator_kind, dataset, config.estimator)
    effective_preprocessing(config.preprocessing, dataset.columns)  # refused before storage
    storage = _storage(config)
    # A failing database (a full disk, a lost server) ends the run with one StorageError line;
    # every seed stored before stays stored.
    with database_errors(display_url(storage.url), "write the study to", runtime=False):
        return _run_on(config, storage, dataset, resume, progress)


def _run_on(
    config: StudyConfig, storage: Any, dataset: Dataset, resume: bool | None, progress: bool
) -> optuna.Study:
    """run_study once the storage is open."""
    if resume is not False:  # a study made before test parts resumes without one
        config = config.replace(test_size=stored_test_size(storage, config.study_name, config))
    whole, dataset = dataset, search_part(config, dataset)  # the search never sees the rest
    space, families = study_space(config, dataset)
    study = _prepare(config, storage, whole, space, resume, families)
    space = _stored_space(space, config, study)
    if progress and families.line():  # once the study is open: an error stays the one line
        print(families.line(), file=sys.stderr)
    fail_stale_trials(storage, study.study_name)
    n_target = _target(config, space, study)
    study.set_user_attr("budget", budget_name(config, space))
    deadline = None if config.timeout is None else time.monotonic() + config.timeout
    bars = make_progress(progress)
    bars.start(n_target, count_trials(study).finished)
    try:
        with interrupts_raise():
            if config.jobs == 1:
                objective = Objective(
                    config, dataset, space, storage, pruner=study.pruner, progress=bars
                )
                work(
                    study,
                    objective,
                    storage,
                    n_trials=n_target,
                    deadline=deadline,
                    progress=bars,
                    queue=queue_for(config, space),
                )
            else:
                _run_processes(config, study.study_name, n_target, bars)
    except Interrupted as e:
        e.study_name = study.study_name  # with resume=False, a name chosen here
        raise
    finally:
        bars.close()
    return study


def stored_config(storage: Any, study_name: str, **changes: Any) -> StudyConfig:
    """The config of a study registered by ``run_study``, rebuilt from its stored record.

    Its storage is the opened ``RDBStorage`` (with the launch's heartbeat settings), its
    ``n_trials`` the last launch's; ``changes`` override settings that are not part of the
    study's identity (e.g. ``confirm_seeds``).

    Raises
    ------
    StorageError
        If the study was not registered by ``initstudy run``.
    """
    rdb = resolve_storage(storage)
    record = load_study_record(rdb, study_name)
    loaded = optuna.load_study(study_name=study_name, storage=rdb)
    for setting in ("heartbeat_interval", "grace_period"):  # beat as the launcher expects
        if setting in loaded.user_attrs:
            setattr(rdb, setting, int(loaded.user_attrs[setting]))
    return StudyConfig.from_dict(record["config"]).replace(
        storage=rdb,
        study_name=study_name,
        n_trials=int(loaded.user_attrs.get("n_trials", 1)),
        test_size=float(record["config"].get("evaluation", {}).get("test_size", 0.0)),
        **changes,
    )


def run_worker(
    storage: Any,
    study_name: str,
    *,
    progress: bool | NullProgress = False,
    worker: int | None = None,
) -> optuna.Study:
    """Join a study as one more worker (``initstudy worker``, e.g. on another machine).

    The worker rebuilds the configuration from the study's stored record and runs trials
    until the study holds the ``n_trials`` of its last launch.

    Parameters
    ----------
    storage : str or RDBStorage
        The study's storage (PostgreSQL for several machines).
    study_name : str
    progress : bool or NullProgress, default=False
    worker : int, optional
        Mixed into the sampler seed so workers do not draw the same parameters; default the
        process id (workers on several machines are not reproducible anyway).

    Returns
    -------
    optuna.Study

    Raises
    ------
    StorageError
        If the study was not registered by ``initstudy run``.
    """
    config = stored_config(storage, study_name)
    rdb = config.storage
    loaded = optuna.load_study(study_name=study_name, storage=rdb)
    dataset = search_part(config, _load_data(config))
    space, _ = study_space(config, dataset)
    worker = os.getpid() if worker is None else worker
    study = optuna.load_study(
        study_name=study_name,
        storage=rdb,
        sampler=make_sampler(config, space, worker, len(loaded.trials)),
        pruner=make_pruner(config),
    )
    space = _stored_space(space, config, study)
    bars = make_progress(progress)
    n_target = _target(config, space, study)
    bars.start(n_target, count_trials(study).finished)
    try:
        with interrupts_raise():
            objective = Objective(config, dataset, space, rdb, pruner=study.pruner, progress=bars)
            work(
                study,
                objective,
                rdb,
                n_trials=n_target,
                progress=bars,
                queue=queue_for(config, space),
            )
    finally:
        bars.close()
    return study


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _process_main(
    config: StudyConfig,
    study_name: str,
    n_target: int,
    deadline_wall: float | None,
    worker: int,
    n_existing: int,
    errors: Any,
) -> None:
    """Entry point of a worker process: run trials, report an InitStudyError by message."""
    code = 0
    set_blas_threads(1)  # N workers use N cores: no BLAS or seed threads beyond their own
    try:
        with interrupts_raise(), threadpool_limits(1):
            # Started with SIGINT/SIGTERM blocked (see _start_worker): a signal that came while
            # the interpreter booted is delivered now, to our handler, not as a traceback.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            storage = _storage(config)
            dataset = search_part(config, _load_data(config))
            space, _ = study_space(config, dataset)
            study = optuna.load_study(
                study_name=study_name,
                storage=storage,
                sampler=make_sampler(config, space, worker, n_existing),
                pruner=make_pruner(config),
            )
            space = _stored_space(space, config, study)
            objective = Objective(config, dataset, space, storage, pruner=study.pruner)
            deadline = None
            if deadline_wall is not None:
                deadline = time.monotonic() + max(0.0, deadline_wall - time.time())
            work(
                study,
                objective,
                storage,
                n_trials=n_target,
                deadline=deadline,
                queue=queue_for(config, space),
            )
    except Interrupted as e:
        code = 128 + e.signum
    except InitStudyError as e:
        errors.put(f"{type(e).__name__}: {e}")
        code = 2
    if code:
        sys.exit(code)


def _run_processes(config: StudyConfig, study_name: str, n_target: int, bars: NullProgress) -> None:
    """Start ``config.jobs`` worker processes, show progress, wait; forward interrupts."""
    errors = multiprocessing.get_context("spawn").Queue()
    deadline_wall = None if config.timeout is None else time.time() + config.timeout
    storage = _storage(config)
    try:
        _launch_and_watch(config, storage, study_name, n_target, deadline_wall, errors, bars)
    finally:  # this view of the storage is ours: close its connections (PostgreSQL warns)
        if storage is not config.storage and storage is not getattr(
            config.storage, "_backend", None
        ):
            storage.engine.dispose()


def _launch_and_watch(
    config: StudyConfig,
    storage: Any,
    study_name: str,
    n_target: int,
    deadline_wall: float | None,
    errors: Any,
    bars: NullProgress,
) -> None:
    """Start the workers and wait for them (the body of :func:`_run_processes`)."""
    context = multiprocessing.get_context("spawn")
    study = optuna.load_study(study_name=study_name, storage=storage)
    n_existing = len(study.get_trials(deepcopy=False))
    processes = []
    try:
        for worker in range(config.jobs):
            process = context.Process(
                target=_process_main,
                name=f"initstudy-worker-{worker}",
                args=(config, study_name, n_target, deadline_wall, worker, n_existing, errors),
            )
            # Blocked signals are inherited through spawn's exec: the worker unblocks them once
            # its handler is installed, so a Ctrl-C during its start-up is not a traceback.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            processes.append(process)
            _watch(study, bars, processes, _STAGGER_SECONDS)
        while any(p.is_alive() for p in processes):
            _watch(study, bars, processes, _PARENT_POLL_SECONDS)
        bars.trials_done(count_trials(study).finished)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    _raise_worker_errors(processes, errors)


def _watch(study: optuna.Study, bars: NullProgress, processes: list, seconds: float) -> None:
    """Wait a little (or until a worker exits), then update the trials bar."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and all(p.is_alive() for p in processes):
        time.sleep(0.05)
    counts = count_trials(study)
    bars.trials_done(counts.finished, counts.best)


def _stop(processes: list) -> None:
    """Forward SIGTERM to live workers and wait for them to queue their trials and exit."""
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    end = time.monotonic() + _STOP_WAIT_SECONDS
    for process in processes:
        process.join(max(0.0, end - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _raise_worker_errors(processes: list, errors: Any) -> None:
    """Raise the first worker error (an InitStudyError message, or an exit code)."""
    for process in processes:
        process.join()
    try:
        message = errors.get(timeout=0.1)
    except queue.Empty:
        message = None
    if message is not None:
        raise InitStudyError(f"A worker process stopped: {message}")
    codes = [p.exitcode for p in processes if p.exitcode]
    if codes:
        raise InitStudyError(
            f"{len(codes)} worker process(es) exited with code(s) {codes}; rerun the same "
            "command to resume (their finished seeds are stored)."
        )
