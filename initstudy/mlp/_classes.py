"""The public estimators: :class:`MLPClassifier` and :class:`MLPRegressor`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ..exceptions import ConfigError, DataError
from ._base import BaseMLP, train_members

__all__ = ["MLPClassifier", "MLPRegressor"]

_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', 'selu', 'gelu'}, \
default='relu'
        Hidden activation (leaky_relu slope 0.01, elu alpha 1, gelu the exact erf form).
    init : str, dict, Initializer, FromEstimator or list, default='glorot_uniform'
        How kernels are drawn: a name of :func:`initstudy.initializers.available`, a config dict,
        an :class:`~initstudy.initializers.Initializer`, a list with one of these per weight
        layer (hidden layers then output layer), or :class:`FromEstimator` to copy a fitted
        estimator's weights. ``'sklearn_default'`` receives this estimator's ``activation``.
        Data-dependent schemes (``'lsuv'``) are calibrated on the seed's first mini-batch (the
        first ``batch_size`` rows of the first epoch's order) before ``init_scale`` applies.
    init_scale : float, default=1.0
        Multiplies every drawn kernel (not the biases): the scale hyperparameter.
    bias_init : None, float, str, dict or Initializer, default=None
        None follows the scheme: zeros, except schemes that draw biases (``sklearn_default``,
        ``torch_default``) and :class:`FromEstimator` (copied). A float sets every bias to that
        constant; an initializer name draws each bias vector with that initializer.
    solver : {'adam', 'sgd'}, default='adam'
    alpha : float, default=0.0001
        L2 penalty: ``alpha * ||W||^2 / (2 * batch_size)`` is added to each batch loss.
    batch_size : int or 'auto', default='auto'
        ``'auto'`` is ``min(200, n_samples)``; larger values are clipped to the sample count.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        SGD schedule, as in scikit-learn (adaptive: divide by 5 after a plateau, stop at 1e-6).
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
        Exponent of the ``invscaling`` schedule.
    max_iter : int, default=200
        Epochs (passes over the training rows).
    shuffle : bool, default=True
        Shuffle the rows each epoch (with the seed's batch stream).
    random_state : int, RandomState, Generator or None, default=None
        Fixes everything: three independent streams are derived from it (initial weights, batch
        order, early-stopping split). Same seed, data and machine: bitwise identical results.
    init_random_state : int or None, default=None
        Pins the initial weights alone: they are those ``random_state=init_random_state``
        would draw, whatever ``random_state`` is. None: derived from ``random_state``.
    shuffle_random_state : int or None, default=None
        Pins the mini-batch order alone (and the batch LSUV calibrates on): it is the order
        ``random_state=shuffle_random_state`` would give. None: derived from ``random_state``.
        With it fixed and ``random_state`` varied, the spread over seeds is the effect of the
        initialization only.
    tol : float, default=1e-4
    verbose : bool or int, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the fitted weights on the next ``fit`` (a new optimizer, like scikit-learn).
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (a random, non-stratified split from the
        seed's split stream), stop when the validation score stops improving, and keep the best
        weights.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    n_iter_no_change : int, default=10
        Epochs without an improvement of at least ``tol`` before stopping.
    dtype : {'float32', 'float64'}, default='float32'
        Training precision. float32 is about twice as fast; initial weights are always drawn in
        float64 and rounded, so both precisions start from the same network.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    coefs_ : list of ndarray
        Kernel of each layer, shape ``(fan_in, fan_out)``, of the training dtype.
    intercepts_ : list of ndarray
        Bias of each layer, shape ``(fan_out,)``.
    loss_ : float
        Training loss of the last epoch (with the L2 term).
    loss_curve_ : list of float
        Training loss per epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation score per epoch (early stopping only).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    n_layers_, n_outputs_ : int
    out_activation_ : str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    diverged_ : bool
        True when the loss became non-finite: training stopped and predictions raise
        :class:`~initstudy.exceptions.DivergedError`.
"""

_NOTES = """
    Notes
    -----
    Training is the one-seed case of :func:`fit_seeds`'s stacked engine, on one BLAS thread for
    small layers. Predictions are computed in float64 from the fitted weights (so they do not
    depend on how rows are batched). The training loss is exact: the cross-entropy from the
    log-sum-exp (not clipped, so an exploding network shows an exploding loss) or half the
    squared error summed over outputs, plus the L2 term.

    Sparse input is rejected (convert it with ``X.toarray()``): the engine is dense. Multilabel
    targets are not supported by the classifier. When ``max_iter`` is reached before convergence
    a :class:`sklearn.exceptions.ConvergenceWarning` is issued; when the loss becomes non-finite
    a :class:`~initstudy.exceptions.DivergenceWarning`.
"""


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = (
        "Multi-layer perceptron classifier in NumPy, with the initialization as a parameter.\n\n"
        "    Softmax cross-entropy for several classes, one logistic unit for two. Trains several\n"
        "    seeds at once through :func:`fit_seeds`.\n"
        + _PARAMETERS
        + _ATTRIBUTES
        + """    classes_ : ndarray
        The class labels.
"""
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from initstudy.mlp import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), init="he_normal", learning_rate_init=0.01, max_iter=500,
    ...                     tol=1e-3, random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    """
    )

    def _encode_targets(self, y: np.ndarray, reset: bool, classes: Any) -> np.ndarray:
        check_classification_targets(y)
        if type_of_target(y) == "multilabel-indicator" or (y.ndim == 2 and y.shape[1] > 1):
            raise DataError(
                "MLPClassifier does not support multilabel or multi-output targets. Got y of shape "
                f"{y.shape} instead."
            )
        y = column_or_1d(y, warn=True)
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
            if self.classes_.shape[0] < 2:
                raise DataError(
                    f"MLPClassifier needs at least 2 classes in y. Got 1 class: {self.classes_[0]!r}."
                )
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, self.classes_.shape[0] - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise DataError(
                f"y has labels not in classes_ {self.classes_.tolist()}: {np.unique(y[unknown]).tolist()}."
            )
        if self.classes_.shape[0] == 2:
            return index[:, np.newaxis].astype(np.float64)
        return np.eye(self.classes_.shape[0])[index]

    def _out_activation(self) -> str:
        return "logistic" if self.classes_.shape[0] == 2 else "softmax"

    def _stack_scores(self, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
        if out.shape[-1] == 1:
            hit = (out[..., 0] > 0.5) == (Y[..., 0] > 0.5)
        else:
            hit = out.argmax(axis=-1) == Y.argmax(axis=-1)
        return hit.mean(axis=-1)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """Run one epoch over ``(X, y)``, continuing the weights and the optimizer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like, optional
            All the classes; required on the first call.

        Returns
        -------
        self : MLPClassifier
        """
        if not hasattr(self, "coefs_") and classes is None:
            raise ConfigError("classes must be passed on the first call to partial_fit.")
        _check_partial_fit(self)
        train_members([self], X, y, incremental=True, classes=classes)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._predict_output(self._output(X))

    def _predict_output(self, out: np.ndarray) -> np.ndarray:
        index = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
        return self.classes_[index]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        out = self._output(X)
        return np.hstack([1 - out, out]) if out.shape[1] == 1 else out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = (
        "Multi-layer perceptron regressor in NumPy, with the initialization as a parameter.\n\n"
        "    Identity output and half squared error (scikit-learn's). Trains several seeds at\n"
        "    once through :func:`fit_seeds`.\n"
        + _PARAMETERS
        + _ATTRIBUTES
        + _NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from initstudy.mlp import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPRegressor((16,), learning_rate_init=0.01, max_iter=500, tol=1e-3, random_state=0)
    >>> reg.fit(X, (y - y.mean()) / y.std()).predict(X[:3]).shape
    (3,)
    """
    )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(self, y: np.ndarray, reset: bool, classes: Any) -> np.ndarray:
        if reset:
            self._y_ndim = y.ndim
        return y.reshape(y.shape[0], -1).astype(np.float64, copy=False)

    def _out_activation(self) -> str:
        return "identity"

    def _stack_scores(self, out: np.ndarray, Y: np.ndarray) -> np.ndarray:
        out, Y = np.asarray(out, dtype=np.float64), np.asarray(Y, dtype=np.float64)
        residual = ((Y - out) ** 2).sum(axis=-2)
        total = ((Y - Y.mean(axis=-2, keepdims=True)) ** 2).sum(axis=-2)
        safe = np.where(total > 0, total, 1.0)
        r2 = np.where(total > 0, 1 - residual / safe, np.where(residual == 0, 1.0, 0.0))
        return r2.mean(axis=-1)

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """Run one epoch over ``(X, y)``, continuing the weights and the optimizer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : MLPRegressor
        """
        _check_partial_fit(self)
        train_members([self], X, y, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._predict_output(self._output(X))

    def _predict_output(self, out: np.ndarray) -> np.ndarray:
        return out[:, 0] if getattr(self, "_y_ndim", 1) == 1 else out


def _check_partial_fit(estimator: BaseMLP) -> None:
    if estimator.early_stopping:
        raise ConfigError(
            "partial_fit does not support early_stopping=True (there is no held-out split per call)."
        )
