"""Property-based tests (hypothesis) of the initializers.

Any shape and valid parameters give a finite array of the right shape and dtype, with the
variance the formula promises.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from initstudy.initializers import (
    Orthogonal,
    RandomNormal,
    RandomUniform,
    Sparse,
    TruncatedNormal,
    VarianceScaling,
    available,
    get,
)

TRUNCATED_STD = 0.87962566103423978
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)

dims = st.integers(min_value=1, max_value=64)
kernel_shapes = st.tuples(dims, dims)
stacked_shapes = st.tuples(st.integers(1, 3), dims, dims)
shapes = st.one_of(kernel_shapes, stacked_shapes)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
dtypes = st.sampled_from([np.float32, np.float64])
positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


def _relative_tolerance(n_values: int, kurtosis: float = 3.0) -> float:
    """Six standard errors of a sample variance from ``n_values`` draws."""
    return 6.0 * math.sqrt((kurtosis - 1.0) / n_values)


@PROPERTY
@given(name=st.sampled_from(available()), shape=shapes, seed=seeds, dtype=dtypes)
def test_any_scheme_any_shape(name: str, shape: tuple[int, ...], seed: int, dtype: type) -> None:
    init = get(name)
    w = init(shape, rng=np.random.default_rng(seed), dtype=dtype)
    assert w.shape == shape
    assert w.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(w))
    again = init(shape, rng=np.random.default_rng(seed), dtype=dtype)
    np.testing.assert_array_equal(w, again)


variance_scalings = st.builds(
    VarianceScaling,
    scale=positive,
    mode=st.sampled_from(["fan_in", "fan_out", "fan_avg"]),
    distribution=st.sampled_from(["truncated_normal", "untruncated_normal", "uniform"]),
)


@PROPERTY
@given(init=variance_scalings, shape=shapes, seed=seeds)
def test_variance_scaling_variance_matches_keras(
    init: VarianceScaling, shape: tuple[int, ...], seed: int
) -> None:
    w = init(shape, rng=np.random.default_rng(seed))
    fan_in, fan_out = shape[-2:]
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[init.mode]
    variance = init.scale / max(1.0, n)
    if init.distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3.0 * variance)
    elif init.distribution == "truncated_normal":
        assert np.abs(w).max() <= 2.0 * math.sqrt(variance) / TRUNCATED_STD
    assert np.all(np.isfinite(w))
    if w.size >= 1000:
        second_moment = float(np.mean(w**2))
        assert math.isclose(second_moment, variance, rel_tol=_relative_tolerance(w.size))


@PROPERTY
@given(
    mean=st.floats(-10, 10),
    stddev=positive,
    truncated=st.booleans(),
    shape=shapes,
    seed=seeds,
    dtype=dtypes,
)
def test_normal_moments(
    mean: float, stddev: float, truncated: bool, shape: tuple[int, ...], seed: int, dtype: type
) -> None:
    init = (TruncatedNormal if truncated else RandomNormal)(mean=mean, stddev=stddev)
    w = init(shape, rng=np.random.default_rng(seed), dtype=dtype).astype(np.float64)
    expected_std = stddev * (TRUNCATED_STD if truncated else 1.0)
    if truncated:
        assert np.abs(w - mean).max() <= 2.0 * stddev * (1 + 1e-6) + 1e-6 * abs(mean)
    if w.size >= 1000:
        assert math.isclose(w.var(), expected_std**2, rel_tol=_relative_tolerance(w.size))
        assert abs(w.mean() - mean) < 6.0 * expected_std / math.sqrt(w.size) + 1e-6 * abs(mean)


@PROPERTY
@given(low=st.floats(-100, 100), width=positive, shape=shapes, seed=seeds)
def test_uniform_bounds_and_variance(
    low: float, width: float, shape: tuple[int, ...], seed: int
) -> None:
    w = RandomUniform(minval=low, maxval=low + width)(shape, rng=np.random.default_rng(seed))
    assert np.all(w >= low) and np.all(w <= low + width)
    if w.size >= 1000:
        assert math.isclose(w.var(), width**2 / 12.0, rel_tol=_relative_tolerance(w.size, 1.8))


@PROPERTY
@given(gain=positive, shape=shapes, seed=seeds)
def test_orthogonal_gram_matrix(gain: float, shape: tuple[int, ...], seed: int) -> None:
    w = Orthogonal(gain=gain)(shape, rng=np.random.default_rng(seed))
    fan_in, fan_out = shape[-2:]
    wt = np.swapaxes(w, -1, -2)
    gram = wt @ w if fan_in >= fan_out else w @ wt
    eye = np.broadcast_to(np.eye(min(fan_in, fan_out)), gram.shape)
    np.testing.assert_allclose(gram / gain**2, eye, atol=1e-9)
    np.testing.assert_allclose(np.mean(w**2), gain**2 / max(fan_in, fan_out), rtol=1e-9)


@PROPERTY
@given(nonzero=st.integers(1, 80), stddev=positive, shape=shapes, seed=seeds)
def test_sparse_counts(nonzero: int, stddev: float, shape: tuple[int, ...], seed: int) -> None:
    w = Sparse(nonzero=nonzero, stddev=stddev)(shape, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal((w != 0).sum(axis=-2), min(nonzero, shape[-2]))


@PROPERTY
@given(
    name=st.sampled_from(["sklearn_default", "torch_default"]),
    activation=st.sampled_from(["relu", "tanh", "logistic", "identity"]),
    shape=shapes,
    seed=seeds,
)
def test_library_default_bounds(
    name: str, activation: str, shape: tuple[int, ...], seed: int
) -> None:
    fan_in, fan_out = shape[-2:]
    if name == "sklearn_default":
        init = get(name, activation=activation)
        bound = math.sqrt((2.0 if activation == "logistic" else 6.0) / (fan_in + fan_out))
    else:
        init = get(name)
        bound = 1.0 / math.sqrt(fan_in)
    rng = np.random.default_rng(seed)
    w = init(shape, rng=rng)
    b = init.draw_bias(shape, rng=rng)
    assert b.shape == shape[:-2] + (fan_out,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    if w.size >= 1000:
        assert math.isclose(w.var(), bound**2 / 3.0, rel_tol=_relative_tolerance(w.size, 1.8))
