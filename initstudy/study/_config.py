"""``StudyConfig``: everything a study needs, from keyword arguments, a dict or a TOML file.

A TOML file has these sections (all optional; the defaults are the embedded default study)::

    [study]        name, storage, n_trials, timeout, jobs, sampler, sampler_seed, pruner,
                   objectives
    [dataset]      name (a built-in name or a CSV/Parquet path), target
    [estimator]    kind ("mlp" or "sklearn_mlp") and any estimator parameter
    [seeds]        n (seeds 0..n-1) or values (a list), batch, vary
    [evaluation]   validation, split_seed, test_size, scoring, preprocessing, aggregate,
                   penalty
    [confirm]      enabled, seeds (n or a list), schemes = "best-per-scheme", top
    [space]        preset = "keras" | file = "space.toml" | the space itself (searchspaces)

Unknown sections and keys are a :class:`ConfigError` that suggests the nearest valid name.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from initstudy.exceptions import ConfigError, unknown_name_error
from initstudy.searchspaces import get_space
from initstudy.study._aggregates import AGGREGATES
from initstudy.study._estimators import ESTIMATORS, check_estimator_values
from initstudy.study._evaluate import check_seeds
from initstudy.study._preprocessing import effective_preprocessing
from initstudy.study._repetitions import DEFAULT_VARY, check_vary
from initstudy.study._validation import validation_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_ESTIMATOR", "OBJECTIVES", "PRUNERS", "SAMPLERS", "StudyConfig"]

#: The estimator settings of the default study: a network where initialization decides the
#: outcome, so a newcomer's first run shows a best group, a worse group and failures. Eight
#: ReLU layers of 64 units trained 30 epochs by SGD with momentum 0.9 (learning rate 0.01,
#: batch 128): measured on digits at each scheme's default scale, He, Glorot, orthogonal and
#: scikit-learn's default reach about 0.95, LeCun about 0.83 (one seed at 0.37), while
#: N(0, 0.05^2) and zeros stay at 0.10 (vanishing signal, symmetric layers). About 1 s of
#: training per trial of 5 seeds on 2 cores. The previous default, two layers of 64 trained
#: 50 epochs by Adam, put every variance-scaling scheme within 0.005 of the others.
DEFAULT_ESTIMATOR: dict[str, Any] = {
    "hidden_layer_sizes": [64] * 8,
    "activation": "relu",
    "solver": "sgd",
    "momentum": 0.9,
    "learning_rate_init": 0.01,
    "max_iter": 30,
    "batch_size": 128,
}
SAMPLERS = ("auto", "grid", "per-scheme", "random", "tpe")
PRUNERS = ("median", "none", "wilcoxon")
#: Objective name -> optimization direction; "score" must come first.
OBJECTIVES: dict[str, str] = {"score": "maximize", "fit_seconds": "minimize"}

#: TOML section -> {key in the section: StudyConfig field}.
_SECTIONS: dict[str, dict[str, str]] = {
    "study": {
        "name": "study_name",
        "storage": "storage",
        "n_trials": "n_trials",
        "timeout": "timeout",
        "jobs": "jobs",
        "sampler": "sampler",
        "sampler_seed": "sampler_seed",
        "pruner": "pruner",
        "objectives": "objectives",
        "heartbeat_interval": "heartbeat_interval",
        "grace_period": "grace_period",
    },
    "dataset": {"name": "dataset", "path": "dataset", "target": "target"},
    "seeds": {"n": "seeds", "values": "seeds", "batch": "seed_batch", "vary": "vary"},
    "evaluation": {
        "validation": "validation",
        "split_seed": "split_seed",
        "test_size": "test_size",
        "scoring": "scoring",
        "preprocessing": "preprocessing",
        "aggregate": "aggregate",
        "penalty": "penalty",
    },
    "confirm": {
        "enabled": "confirm",
        "seeds": "confirm_seeds",
        "schemes": "confirm_schemes",
        "top": "confirm_top",
    },
}
#: Which configurations the confirmation stage retrains.
CONFIRM_SCHEMES = ("best-per-scheme",)
#: The first of the default confirmation seeds (10000, 10001, ...): far from the search's.
CONFIRM_SEED_START = 10_000


def _fail(name: str, rule: str, value: Any) -> ConfigError:
    return ConfigError(f"The study setting {name!r} {rule}. Got {value!r} instead.")


def _check_int(name: str, value: Any, low: int, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(name, f"must be an integer >= {low}" + (" or None" if optional else ""), value)


def _check_scoring(scoring: Any) -> None:
    """A scoring given by name must be one of scikit-learn's scorer names."""
    from sklearn.metrics import get_scorer_names

    if isinstance(scoring, str) and scoring not in get_scorer_names():
        raise unknown_name_error("scoring", scoring, get_scorer_names())


def _check_choice(name: str, value: Any, choices: Any, instance_of: type) -> None:
    if isinstance(value, instance_of):
        return
    if not isinstance(value, str) or value not in choices:
        raise unknown_name_error(name, value, choices)


@dataclass(frozen=True)
class StudyConfig:
    """The settings of a study, validated on construction.

    Parameters
    ----------
    dataset : str, path, Dataset or (X, y), default="digits"
        A built-in dataset name, a CSV/Parquet file, or data given in Python.
    target : str or None
        The target column of a CSV/Parquet file.
    space : str, path, dict or SearchSpace, default="keras"
        A preset name, a TOML file, a dict, or a ``SearchSpace``.
    estimator : dict
        Fixed estimator parameters (the space's suggestions override them).
    estimator_kind : {"mlp", "sklearn_mlp"}, default="mlp"
        initstudy's MLPs, or scikit-learn's (the one-clone-per-seed path).
    seeds : int or tuple of int, default=5
        The model seeds (``n`` means ``0 .. n-1``), the same for every trial.
    seed_batch : int or None
        Seeds trained together; None means all at once, or 2 with the Wilcoxon pruner.
    vary : sequence of str, default=("init", "order")
        The sources of randomness that change between repetitions: ``["init"]`` (one fixed
        data order: the spread over seeds is the initialization's alone), ``["init",
        "order"]`` or ``["init", "order", "split"]`` (seed ``s`` also gets its own validation
        split, from split seed ``split_seed + s``); see :mod:`initstudy.study._repetitions`.
    validation, split_seed, scoring, aggregate, penalty
        Passed to :func:`evaluate`.
    test_size : float, default=0.2
        The test part set aside before the search (stratified by class, seeded by
        ``split_seed``): no search decision sees it; the confirmation stage scores on it.
        0 sets nothing aside (the confirmation then scores on the validation split).
    confirm : bool, default=True
        Whether ``initstudy run`` runs the confirmation stage after the search
        (:func:`confirm_study`; ``run_study`` itself only searches).
    confirm_seeds : int or tuple of int, default=10
        The fresh seeds of the confirmation stage: ``n`` means ``10000 .. 10000+n-1``
        (skipping any search seed); a list must not contain a search seed.
    confirm_schemes : {"best-per-scheme"}, default="best-per-scheme"
        Each scheme's best search trial is confirmed.
    confirm_top : int or None, default=None
        Only the ``top`` schemes with the best selection scores (None: every scheme).
    preprocessing : {"auto", "standard", "none"} or transformer, default="auto"
        "auto" imputes and encodes a table with missing values or text columns (fitted on
        each training part; see :mod:`initstudy.study._preprocessing`) and is exactly
        "standard" (a StandardScaler) on complete numeric data, built-in datasets included.
    objectives : tuple of str, default=("score",)
        ``("score",)``, or ``("score", "fit_seconds")`` for a multi-objective study.
    sampler : {"auto", "per-scheme", "tpe", "random", "grid"} or optuna sampler, default="auto"
        "auto" is grid for a grid space; else, with a categorical ``init``, an equal budget per
        scheme ("per-scheme", its explicit name): each scheme gets the same number of trials
        (within one, see :mod:`initstudy.study._budget`) and TPE, seeded with
        ``sampler_seed``, tunes the other parameters inside each scheme. "tpe" is plain TPE
        over every parameter, init included.
    sampler_seed : int or None, default=0
        Seed of the sampler (worker ``i`` of a parallel run uses ``sampler_seed + i``).
    pruner : {"none", "wilcoxon", "median"} or optuna pruner, default="none"
        "wilcoxon" prunes on per-seed scores, "median" on the mean validation curve per epoch.
    n_trials : int, default=30
        Finished (complete or pruned) trials the study should hold; re-running continues.
    timeout : float or None
        Seconds after which no new trial starts.
    storage : str, default="sqlite:///initstudy.db"
        A SQLAlchemy URL or a ``.db`` path.
    study_name : str, default="default"
    jobs : int, default=1
        Worker processes sharing the storage.
    heartbeat_interval : int, default=20
        Seconds between a running trial's heartbeats.
    grace_period : int, default=60
        Seconds without a heartbeat after which a running trial is dead: it is failed and
        its parameters are queued again.

    Raises
    ------
    ConfigError
        If any setting is invalid.
    """

    dataset: Any = "digits"
    target: str | None = None
    space: Any = "keras"
    estimator: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_ESTIMATOR))
    estimator_kind: str = "mlp"
    seeds: Any = 5
    seed_batch: int | None = None
    vary: tuple[str, ...] = DEFAULT_VARY
    validation: Any = "holdout"
    split_seed: int = 0
    scoring: str | None = None
    preprocessing: Any = "auto"
    aggregate: str = "mean"
    penalty: float | None = None
    test_size: float = 0.2
    confirm: bool = True
    confirm_seeds: Any = 10
    confirm_schemes: str = "best-per-scheme"
    confirm_top: int | None = None
    objectives: tuple[str, ...] = ("score",)
    sampler: Any = "auto"
    sampler_seed: int | None = 0
    pruner: Any = "none"
    n_trials: int = 30
    timeout: float | None = None
    storage: str = "sqlite:///initstudy.db"
    study_name: str = "default"
    jobs: int = 1
    heartbeat_interval: int = 20
    grace_period: int = 60

    def __post_init__(self) -> None:
        if isinstance(self.seeds, list):
            object.__setattr__(self, "seeds", tuple(self.seeds))
        if isinstance(self.confirm_seeds, list):
            object.__setattr__(self, "confirm_seeds", tuple(self.confirm_seeds))
        if isinstance(self.objectives, (list, str)):
            objectives = [self.objectives] if isinstance(self.objectives, str) else self.objectives
            object.__setattr__(self, "objectives", tuple(objectives))
        object.__setattr__(self, "estimator", dict(self.estimator))
        object.__setattr__(self, "vary", check_vary(self.vary))
        self._validate()

    def _validate(self) -> None:
        check_seeds(self.seeds)
        _check_int("n_trials", self.n_trials, 1)
        _check_int("jobs", self.jobs, 1)
        _check_int("heartbeat_interval", self.heartbeat_interval, 1)
        _check_int("grace_period", self.grace_period, 1)
        _check_int("split_seed", self.split_seed, 0)
        _check_int("seed_batch", self.seed_batch, 1, optional=True)
        self._validate_confirm()
        _check_int("sampler_seed", self.sampler_seed, 0, optional=True)
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or self.timeout <= 0
        ):
            raise _fail("timeout", "must be a positive number of seconds or None", self.timeout)
        if not isinstance(self.study_name, str) or not self.study_name.strip():
            raise _fail("study_name", "must be a non-empty string", self.study_name)
        if not isinstance(self.storage, (str, os.PathLike, optuna.storages.BaseStorage)):
            raise _fail("storage", "must be a URL, a path or an Optuna storage", self.storage)
        if self.aggregate not in AGGREGATES:
            raise unknown_name_error("aggregate", self.aggregate, AGGREGATES)
        if self.estimator_kind not in ESTIMATORS:
            raise unknown_name_error("estimator kind", self.estimator_kind, ESTIMATORS)
        _check_choice("sampler", self.sampler, SAMPLERS, optuna.samplers.BaseSampler)
        _check_choice("pruner", self.pruner, PRUNERS, optuna.pruners.BasePruner)
        for name in self.objectives:
            if name not in OBJECTIVES:
                raise unknown_name_error("objective", name, OBJECTIVES)
        if (
            not self.objectives
            or self.objectives[0] != "score"
            or len(set(self.objectives)) != len(self.objectives)
        ):
            raise _fail("objectives", "must start with 'score' and not repeat", self.objectives)
        if len(self.objectives) > 1 and self.pruner != "none":
            raise _fail("pruner", "must be 'none' in a multi-objective study", self.pruner)
        _check_scoring(self.scoring)
        if isinstance(self.preprocessing, str):
            effective_preprocessing(self.preprocessing, None)  # the name is valid
        if self.penalty is not None and not isinstance(self.penalty, (int, float)):
            raise _fail("penalty", "must be a number or None", self.penalty)
        validation_key(self.validation, self.split_seed)
        check_estimator_values(self.estimator_kind, self.estimator)
        get_space(self.space)
        if "order" not in self.vary and self.estimator_kind != "mlp":
            raise _fail(
                "vary",
                f"must include 'order' with the estimator kind "
                f"{self.estimator_kind!r} (only initstudy's MLPs can pin the data "
                f"order)",
                list(self.vary),
            )

    def _validate_confirm(self) -> None:
        if (
            isinstance(self.test_size, bool)
            or not isinstance(self.test_size, (int, float))
            or not 0.0 <= self.test_size < 1.0
        ):
            raise _fail(
                "test_size", "must be a fraction in [0, 1) (0: no test part)", self.test_size
            )
        if not isinstance(self.confirm, bool):
            raise _fail("confirm", "must be true or false", self.confirm)
        _check_int("confirm_top", self.confirm_top, 1, optional=True)
        if self.confirm_schemes not in CONFIRM_SCHEMES:
            raise unknown_name_error("confirm schemes", self.confirm_schemes, CONFIRM_SCHEMES)
        try:
            check_seeds(self.confirm_seeds)
        except ConfigError as e:
            raise ConfigError(f"In [confirm] seeds: {e}") from None
        if not isinstance(self.confirm_seeds, int):
            reused = sorted(set(self.confirm_seeds) & set(self.seed_list))
            if reused:
                raise _fail(
                    "confirm_seeds",
                    f"must be fresh seeds, none of the search's {self.seed_list}",
                    list(self.confirm_seeds),
                )

    @property
    def confirm_seed_list(self) -> list[int]:
        """The confirmation seeds in order (never a search seed)."""
        if not isinstance(self.confirm_seeds, int):
            return list(self.confirm_seeds)
        search = set(self.seed_list)
        seeds: list[int] = []
        seed = CONFIRM_SEED_START
        while len(seeds) < self.confirm_seeds:
            if seed not in search:
                seeds.append(seed)
            seed += 1
        return seeds

    @property
    def n_seeds(self) -> int:
        """The number of seeds per trial."""
        return self.seeds if isinstance(self.seeds, int) else len(self.seeds)

    @property
    def seed_list(self) -> list[int]:
        """The seeds in order."""
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)

    def replace(self, **changes: Any) -> StudyConfig:
        """A copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None
    ) -> StudyConfig:
        """Build a config from the TOML structure (sections, see the module docstring).

        Parameters
        ----------
        data : mapping
            Sections ``study``, ``dataset``, ``estimator``, ``seeds``, ``evaluation``,
            ``space``.
        base_dir : path, optional
            Folder that relative dataset and space paths are relative to.

        Returns
        -------
        StudyConfig

        Raises
        ------
        ConfigError
            For an unknown section or key, or an invalid value.
        """
        valid = [*_SECTIONS, "estimator", "space"]
        kwargs: dict[str, Any] = {}
        for section, values in data.items():
            if section not in valid:
                raise unknown_name_error("config section", section, valid)
            if not isinstance(values, Mapping):
                raise ConfigError(
                    f"The config section [{section}] must be a table. Got {values!r} instead."
                )
            kwargs.update(_SECTION_READERS.get(section, _read_plain)(section, dict(values)))
        if base_dir is not None:
            kwargs = _resolve_paths(kwargs, Path(base_dir))
        return cls(**kwargs)

    @classmethod
    def from_toml(cls, path: str | Path) -> StudyConfig:
        """Load a config from a TOML file (relative paths inside are relative to the file).

        Raises
        ------
        ConfigError
            If the file is missing, is not valid TOML, or holds an invalid config.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"Cannot read the config file {str(path)!r}: {e.strerror}.") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"The config file {str(path)!r} is not valid TOML: {e}") from e
        return cls.from_dict(data, base_dir=path.parent)

    def to_dict(self, *, dataset_name: str | None = None) -> dict[str, Any]:
        """The config in the TOML structure, JSON-serializable (stored with the study).

        Python objects (a sampler, a pruner, a splitter, data arrays) have no text form: they
        are written as their ``repr``, so such a config describes the study but cannot be
        loaded back to run it (:attr:`portable` says which).

        Parameters
        ----------
        dataset_name : str, optional
            Written instead of a dataset given as Python data.

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {section: {} for section in _SECTIONS}
        for section, keys in _SECTIONS.items():
            for key, attr in keys.items():
                if key not in ("path", "values") and getattr(self, attr) is not None:
                    out[section][key] = _plain(getattr(self, attr))
        dataset = self.dataset
        if isinstance(dataset, (str, os.PathLike)):
            path = Path(dataset)
            dataset = str(path.absolute()) if path.suffix and path.exists() else os.fspath(dataset)
        out["dataset"]["name"] = dataset if isinstance(dataset, str) else (dataset_name or "data")
        out["estimator"] = {"kind": self.estimator_kind, **_plain(self.estimator)}
        out["space"] = get_space(self.space).to_dict()
        if self.vary == DEFAULT_VARY:  # absent: records stored before 'vary' existed match
            del out["seeds"]["vary"]
        return out

    @property
    def portable(self) -> bool:
        """True when :meth:`to_dict` fully describes the config (no Python objects in it)."""
        plain = (str, int, float, bool, type(None), os.PathLike)
        values = (
            self.dataset,
            self.sampler,
            self.pruner,
            self.validation,
            self.preprocessing,
            self.scoring,
        )
        return all(isinstance(v, plain) for v in values)


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively; objects without a text form to their repr."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _read_plain(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """Map a section's keys to fields, refusing unknown keys."""
    keys = _SECTIONS[section]
    out = {}
    for key, value in values.items():
        if key not in keys:
            raise unknown_name_error(f"key in [{section}]", key, keys)
        out[keys[key]] = value
    return out


def _read_estimator(section: str, values: dict[str, Any]) -> dict[str, Any]:
    kind = values.pop("kind", "mlp")
    return {"estimator_kind": kind, "estimator": values}


def _read_space(section: str, values: dict[str, Any]) -> dict[str, Any]:
    if set(values) == {"preset"}:
        return {"space": values["preset"]}
    if set(values) == {"file"}:
        return {"space": values["file"]}
    if "preset" in values or "file" in values:
        raise ConfigError(
            "The config section [space] holds either only 'preset', only 'file', or the space "
            f"itself. Got the keys {sorted(values)} instead."
        )
    return {"space": values}


_SECTION_READERS = {"estimator": _read_estimator, "space": _read_space}


def _resolve_paths(kwargs: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make a relative dataset or space file path relative to the config file's folder."""
    for name in ("dataset", "space"):
        value = kwargs.get(name)
        if isinstance(value, str) and value.lower().endswith((".csv", ".parquet", ".toml")):
            if not Path(value).is_absolute():
                kwargs[name] = str(base / value)
    return kwargs
