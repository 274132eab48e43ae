"""NumPy MLP estimators with the initialization as a hyperparameter, trained many seeds at once."""

from ._classes import MLPClassifier, MLPRegressor
from ._init import FromEstimator
from ._seeds import fit_seeds
from ._signal import signal_propagation

__all__ = ["FromEstimator", "MLPClassifier", "MLPRegressor", "fit_seeds", "signal_propagation"]
