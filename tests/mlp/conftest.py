"""Small shared data for the mlp tests."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """300 digits scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


@pytest.fixture(scope="session")
def regression() -> tuple[np.ndarray, np.ndarray]:
    """A small standardized regression problem."""
    X, y = make_regression(n_samples=120, n_features=6, noise=0.1, random_state=0)
    return X, (y - y.mean()) / y.std()
