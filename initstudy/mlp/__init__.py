"""NumPy MLP estimators with the initialization as a hyperparameter, many fits trained at once."""

from .._blas import blas_threads, one_blas_thread, set_blas_threads
from ._classes import MLPClassifier, MLPRegressor
from ._init import FromEstimator
from ._memory import check_network_fits, training_bytes
from ._params import validate_params
from ._seeds import fit_seeds, score_seeds
from ._signal import signal_propagation
from ._stack import fit_stack, stack_key

__all__ = [
    "FromEstimator",
    "MLPClassifier",
    "MLPRegressor",
    "blas_threads",
    "check_network_fits",
    "fit_seeds",
    "fit_stack",
    "one_blas_thread",
    "score_seeds",
    "set_blas_threads",
    "signal_propagation",
    "stack_key",
    "training_bytes",
    "validate_params",
]
