"""scikit-learn's estimator checks for both estimators (all of them pass: no expected failures)."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from initstudy.mlp import MLPClassifier, MLPRegressor

# A small network and few epochs keep the checks fast; with so few epochs a ConvergenceWarning
# is expected and ignored.
ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator: object, check: object) -> None:
    check(estimator)
