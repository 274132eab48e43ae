"""The shared base of the MLP estimators: parameters, data preparation, fitting a stack of seeds."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from .._blas import largest_product, limit_blas, one_blas_thread, policy_for
from ..exceptions import DataError, DivergedError, DivergenceWarning
from ..initializers import Initializer
from ._activations import ACTIVATIONS
from ._engine import SeedRun, TrainConfig, train
from ._init import FromEstimator, initial_network, seed_streams
from ._memory import check_sizes_fit
from ._network import Layout, forward
from ._params import (
    BOOL,
    DTYPE,
    LAYER_SIZES,
    NONE,
    dtype_of,
    instance_of,
    interval,
    options,
    validate_params,
)

__all__ = ["BaseMLP", "train_members", "warn_outcomes"]

_INIT = instance_of(
    str,
    dict,
    list,
    tuple,
    Initializer,
    FromEstimator,
    name="an initializer name, config dict, Initializer, FromEstimator or a list of them",
)
_SEED = instance_of(np.random.RandomState, np.random.Generator, name="a RandomState or Generator")
# Attributes that describe the training data, shared by every seed of one fit_seeds call.
_DATA_ATTRIBUTES = ("n_features_in_", "feature_names_in_", "classes_", "_y_ndim")


class BaseMLP(BaseEstimator):
    """Base class of :class:`MLPClassifier` and :class:`MLPRegressor` (not for direct use)."""

    _parameter_constraints: dict[str, list[Any]] = {
        "hidden_layer_sizes": [LAYER_SIZES],
        "activation": [options(*ACTIVATIONS)],
        "init": [_INIT],
        "init_scale": [interval("real", 0, None, "left")],
        "bias_init": [
            NONE,
            interval("real", None, None),
            instance_of(str, dict, Initializer, name="an initializer"),
        ],
        "solver": [options("sgd", "adam")],
        "learning_rate_init": [interval("real", 0, None, "neither")],
        "batch_size": [options("auto"), interval("int", 1, None)],
        "max_iter": [interval("int", 1, None)],
        "alpha": [interval("real", 0, None, "left")],
        "tol": [interval("real", 0, None, "left")],
        "n_iter_no_change": [interval("int", 1, None)],
        "early_stopping": [BOOL],
        "validation_fraction": [interval("real", 0, 1, "neither")],
        "shuffle": [BOOL],
        "random_state": [NONE, interval("int", 0, 2**32 - 1), _SEED],
        "init_random_state": [NONE, interval("int", 0, 2**32 - 1)],
        "shuffle_random_state": [NONE, interval("int", 0, 2**32 - 1)],
        "warm_start": [BOOL],
        "learning_rate": [options("constant", "invscaling", "adaptive")],
        "power_t": [interval("real", 0, None, "left")],
        "momentum": [interval("real", 0, 1)],
        "nesterovs_momentum": [BOOL],
        "beta_1": [interval("real", 0, 1, "left")],
        "beta_2": [interval("real", 0, 1, "left")],
        "epsilon": [interval("real", 0, None, "neither")],
        "dtype": [DTYPE],
        "verbose": [BOOL, interval("int", 0, None)],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        init: Any = "glorot_uniform",
        init_scale: float = 1.0,
        bias_init: Any = None,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        init_random_state: int | None = None,
        shuffle_random_state: int | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dtype: Any = "float32",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.init_scale = init_scale
        self.bias_init = bias_init
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.init_random_state = init_random_state
        self.shuffle_random_state = shuffle_random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype

    # Subclass hooks ---------------------------------------------------------------------------
    def _encode_targets(self, y: np.ndarray, reset: bool, classes: Any) -> np.ndarray:
        """Targets as a float ``(n_samples, n_outputs)`` array (sets ``classes_`` etc. on reset)."""
        raise NotImplementedError

    def _out_activation(self) -> str:
        raise NotImplementedError

    def _stack_scores(self, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """The estimator's ``score`` per seed from stacked outputs and encoded targets."""
        raise NotImplementedError

    # Data -------------------------------------------------------------------------------------
    def _validate_xy(
        self, X: Any, y: Any, reset: bool, classes: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not self._is_classifier(),
        )
        Y = self._encode_targets(y, reset, classes)
        dtype = dtype_of(self.dtype)
        return X.astype(dtype, copy=False), Y.astype(dtype, copy=False)

    def _is_classifier(self) -> bool:
        return self.__sklearn_tags__().estimator_type == "classifier"

    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        return (
            (int(sizes),) if isinstance(sizes, (int, np.integer)) else tuple(int(s) for s in sizes)
        )

    def _batch_size(self, n: int) -> int:
        return min(200, n) if self.batch_size == "auto" else int(min(max(self.batch_size, 1), n))

    def _split(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """Training and validation rows: a random (non-stratified) split when early stopping."""
        if not self.early_stopping:
            return np.arange(n), None
        order = rng.permutation(n)
        n_val = math.ceil(self.validation_fraction * n)
        if n_val < 2 or n - n_val < 1:
            raise DataError(
                f"The validation set for early stopping is too small: {n_val} of {n} samples with "
                f"validation_fraction={self.validation_fraction}. Increase it or use more data."
            )
        return order[n_val:], order[:n_val]

    # Planning one seed ------------------------------------------------------------------------
    def _fresh_run(self, X: np.ndarray, layout: Layout, rows: np.ndarray | None = None) -> SeedRun:
        """Draw this estimator's seed: split, initial network, batch stream.

        ``rows`` (indices into ``X``, default all) are this member's data: everything is drawn
        as a fit on ``X[rows]`` would draw it, and the run's indices point into ``X``.
        """
        w_rng, b_rng, s_rng = seed_streams(
            self.random_state, self.init_random_state, self.shuffle_random_state
        )
        train_idx, val_idx = self._split(X.shape[0] if rows is None else rows.shape[0], s_rng)
        if rows is not None:
            train_idx, val_idx = rows[train_idx], None if val_idx is None else rows[val_idx]
        first: list[np.ndarray] = []

        def first_batch() -> np.ndarray:
            n = train_idx.shape[0]
            first.append(b_rng.permutation(n) if self.shuffle else np.arange(n))
            return np.asarray(X[train_idx[first[0][: self._batch_size(n)]]], dtype=np.float64)

        with np.errstate(
            over="ignore", invalid="ignore"
        ):  # a huge init_scale diverges, it does not warn
            coefs, intercepts = initial_network(
                self.get_params(deep=False), layout.shapes, w_rng, first_batch
            )
            row = layout.pack(coefs, intercepts, dtype_of(self.dtype))
        self._split_rng = s_rng
        return SeedRun(row, train_idx, b_rng, val_idx, first[0] if first else None)

    def _continued_run(self, X: np.ndarray, layout: Layout, incremental: bool) -> SeedRun:
        """Continue from the fitted weights (warm start or partial_fit), keeping the record."""
        train_idx, val_idx = (
            (np.arange(X.shape[0]), None)
            if incremental
            else self._split(X.shape[0], self._split_rng)
        )
        row = layout.pack(self.coefs_, self.intercepts_, dtype_of(self.dtype))
        run = SeedRun(row, train_idx, self._batch_rng, val_idx)
        run.loss_curve, run.n_iter, run.t = list(self.loss_curve_), self.n_iter_, self.t_
        run.validation_scores = list(self.validation_scores_ or [])
        run.no_improvement = self._no_improvement_count
        if self.best_loss_ is not None:
            run.best_loss = self.best_loss_
        if self.best_validation_score_ is not None:
            run.best_validation_score = self.best_validation_score_
        return run

    def _config(
        self,
        sizes: tuple[int, ...],
        n_train: int,
        incremental: bool,
        members: Sequence[BaseMLP] = (),
    ) -> TrainConfig:
        """The training configuration; ``members`` give the per-member rate, momentum and alpha."""
        keys = (
            "learning_rate_init",
            "beta_1",
            "beta_2",
            "epsilon",
            "learning_rate",
            "momentum",
            "nesterovs_momentum",
            "power_t",
        )
        optimizer_params = {k: getattr(self, k) for k in keys}
        alpha: float | np.ndarray = float(self.alpha)
        if len(members) > 1:
            for name in ("learning_rate_init", "momentum"):
                optimizer_params[name] = np.array([float(getattr(e, name)) for e in members])
            alphas = np.array([float(e.alpha) for e in members])
            alpha = alpha if (alphas == alpha).all() else alphas
        return TrainConfig(
            sizes=sizes,
            activation=self.activation,
            out_activation=self._out_activation(),
            solver=self.solver,
            optimizer_params=optimizer_params,
            alpha=alpha,
            batch_size=self._batch_size(n_train),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            n_iter_no_change=int(self.n_iter_no_change),
            early_stopping=bool(self.early_stopping) and not incremental,
            shuffle=bool(self.shuffle),
            dtype=dtype_of(self.dtype),
            verbose=bool(self.verbose),
            incremental=incremental,
        )

    def _store(self, run: SeedRun, layout: Layout, config: TrainConfig) -> None:
        """Write one seed's result as fitted attributes."""
        self.coefs_, self.intercepts_ = layout.unpack(run.params)
        self.n_layers_ = len(layout.sizes)
        self.n_outputs_ = layout.sizes[-1]
        self.out_activation_ = config.out_activation
        self.loss_curve_ = run.loss_curve
        self.loss_ = run.loss_curve[-1] if run.loss_curve else math.nan
        self.best_loss_ = None if config.early_stopping else run.best_loss
        self.validation_scores_ = run.validation_scores if config.early_stopping else None
        self.best_validation_score_ = run.best_validation_score if config.early_stopping else None
        self.n_iter_, self.t_ = run.n_iter, run.t
        self.diverged_ = run.status == "diverged"
        self._no_improvement_count = run.no_improvement
        self._batch_rng = run.batch_rng

    # Public API -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> BaseMLP:
        """Fit the model to ``X`` and ``y``; see the class docstring for the fitted attributes."""
        train_members([self], X, y)
        return self

    def _output(self, X: Any) -> np.ndarray:
        """The network's output on ``X`` (fitted, not diverged), computed in float64 whatever the training dtype."""
        check_is_fitted(self, "coefs_")
        if self.diverged_:
            raise DivergedError(
                f"This {type(self).__name__} diverged during training (non-finite loss at epoch "
                f"{self.n_iter_}); it has no usable weights to predict with. Lower init_scale or "
                "learning_rate_init, or treat the fit as failed (diverged_ is True)."
            )
        return self._forward64(validate_data(self, X, reset=False, dtype=np.float64))

    def _forward64(self, X: np.ndarray) -> np.ndarray:
        """The output on validated float64 ``X``, computed in float64."""
        coefs = [np.asarray(c, dtype=np.float64) for c in self.coefs_]
        intercepts = [np.asarray(b, dtype=np.float64) for b in self.intercepts_]
        sizes = (X.shape[1], *(c.shape[1] for c in coefs))
        with (
            limit_blas(policy_for(largest_product(sizes, X.shape[0]))),
            np.errstate(over="ignore", under="ignore"),
        ):
            return forward(X, coefs, intercepts, self.activation, self.out_activation_)[-1]


def _share_data_attributes(template: BaseMLP, others: Sequence[BaseMLP]) -> None:
    for est in others:
        for name in _DATA_ATTRIBUTES:
            if hasattr(template, name):
                setattr(est, name, getattr(template, name))


def warn_outcomes(
    runs: Sequence[SeedRun], seeds: Sequence[Any], max_iter: int, who: str = "random_state in"
) -> None:
    """One DivergenceWarning and one ConvergenceWarning per call, naming the seeds (or members)."""
    single = len(runs) == 1
    seeds = [int(s) if isinstance(s, (int, np.integer)) else s for s in seeds]
    diverged = [s for s, r in zip(seeds, runs) if r.status == "diverged"]
    if diverged:
        which = "" if single else f" for {who} {diverged}"
        warnings.warn(
            f"Training diverged (non-finite loss){which}: the fit stopped and diverged_ is True.",
            DivergenceWarning,
            stacklevel=3,
        )
    capped = [s for s, r in zip(seeds, runs) if r.status == "max_iter"]
    if capped:
        which = "" if single else f" for {who} {capped}"
        warnings.warn(
            f"Stochastic optimizer: maximum iterations ({max_iter}) reached and the "
            f"optimization hasn't converged yet{which}.",
            ConvergenceWarning,
            stacklevel=3,
        )


def train_members(
    estimators: Sequence[BaseMLP],
    X: Any,
    y: Any,
    *,
    rows: Sequence[np.ndarray] | None = None,
    incremental: bool = False,
    classes: Any = None,
    eval_set: tuple[Any, Any] | None = None,
    epoch_callback: Callable[[int, np.ndarray], bool] | None = None,
    warn: bool = True,
) -> list[SeedRun]:
    """Fit ``estimators`` (one stack shape, see :func:`~initstudy.mlp.fit_stack`) together, in place.

    ``rows[i]`` (indices into ``X``) are member i's training data; the members must then have
    the same classes in their rows (the caller groups them). Returns the members' training
    records; with ``warn`` the divergence and convergence warnings are issued here
    (``fit_seeds`` and ``fit_stack`` issue them once for all their stacks instead).
    """
    template = estimators[0]
    for est in estimators:
        validate_params(est)
    fresh = not hasattr(template, "coefs_") or not (template.warm_start or incremental)
    X, Y = template._validate_xy(X, y, reset=fresh, classes=classes)
    _share_data_attributes(template, estimators[1:])
    layout = Layout((X.shape[1], *template._hidden_sizes(), Y.shape[1]))
    check_sizes_fit(
        layout.sizes, template._batch_size(X.shape[0]), template.dtype, template.hidden_layer_sizes
    )
    if not fresh and tuple(template.coefs_[-1].shape) != layout.shapes[-1]:
        raise DataError(
            f"The fitted network has {template.coefs_[-1].shape[1]} outputs but y needs {Y.shape[1]}."
        )
    member_rows = [None] * len(estimators) if rows is None else list(rows)
    with one_blas_thread():  # initial draws (QR, LSUV calibration) are small products
        runs = [
            e._fresh_run(X, layout, r) if fresh else e._continued_run(X, layout, incremental)
            for e, r in zip(estimators, member_rows)
        ]
    config = template._config(layout.sizes, runs[0].train_idx.shape[0], incremental, estimators)
    optimizer = getattr(template, "_optimizer", None) if incremental and not fresh else None
    evaluation = None
    if eval_set is not None:
        X_eval, Y_eval = template._validate_xy(eval_set[0], eval_set[1], reset=False)
        evaluation = (X_eval, Y_eval)
    optimizer = train(
        runs,
        X,
        Y,
        config,
        template._stack_scores,
        optimizer=optimizer,
        eval_set=evaluation,
        epoch_callback=epoch_callback,
    )
    for est, run in zip(estimators, runs):
        est._store(run, layout, config)
        if eval_set is not None:
            est.eval_scores_ = run.eval_scores
    if len(estimators) == 1:
        template._optimizer = optimizer
    if warn:
        warn_outcomes(runs, [e.random_state for e in estimators], config.max_iter)
    return runs
