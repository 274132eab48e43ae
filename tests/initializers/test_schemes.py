"""Scheme-specific checks against the published definitions.

Keras 3, scikit-learn, PyTorch, Martens 2010, Zhao et al. 2021, Mishkin and Matas 2015.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import hadamard

from initstudy.exceptions import ConfigError
from initstudy.initializers import (
    LSUV,
    HadamardIdentity,
    Identity,
    Orthogonal,
    SklearnDefault,
    Sparse,
    TorchDefault,
    TruncatedNormal,
    VarianceScaling,
    get,
)

TRUNCATED_STD = 0.87962566103423978
SHAPE = (400, 300)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


# --- Keras 3 variance scaling -------------------------------------------------------------------

KERAS_NAMED = {
    # name: (scale, n as a function of the fans, distribution)
    "glorot_uniform": (1.0, lambda i, o: (i + o) / 2, "uniform"),
    "glorot_normal": (1.0, lambda i, o: (i + o) / 2, "truncated_normal"),
    "lecun_uniform": (1.0, lambda i, o: i, "uniform"),
    "lecun_normal": (1.0, lambda i, o: i, "truncated_normal"),
    "he_uniform": (2.0, lambda i, o: i, "uniform"),
    "he_normal": (2.0, lambda i, o: i, "truncated_normal"),
}


@pytest.mark.parametrize("name", sorted(KERAS_NAMED))
def test_named_schemes_follow_keras_formulas(name: str) -> None:
    scale, fan, distribution = KERAS_NAMED[name]
    variance = scale / max(1.0, fan(*SHAPE))
    w = get(name)(SHAPE, rng=np.random.default_rng(0))
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        expected = np.random.default_rng(0).uniform(-limit, limit, size=SHAPE)
        np.testing.assert_allclose(w, expected, rtol=1e-12)
    else:
        std = math.sqrt(variance) / TRUNCATED_STD  # the std before truncation at 2 std
        assert np.abs(w).max() <= 2.0 * std
        assert np.abs(w).max() > 1.99 * std
        np.testing.assert_allclose(w.var(), variance, rtol=0.03)
        np.testing.assert_allclose(w.mean(), 0.0, atol=0.02 * math.sqrt(variance))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes_and_distributions(mode: str, distribution: str) -> None:
    fans = {"fan_in": 400, "fan_out": 300, "fan_avg": 350}
    init = VarianceScaling(scale=3.0, mode=mode, distribution=distribution)
    w = init(SHAPE, rng=np.random.default_rng(1))
    np.testing.assert_allclose(w.var(), 3.0 / fans[mode], rtol=0.03)
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(9.0 / fans[mode])
    if distribution == "untruncated_normal":
        assert np.abs(w).max() > 3.0 * math.sqrt(3.0 / fans[mode])  # tails are kept


def test_variance_scaling_accepts_keras_spellings() -> None:
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert VarianceScaling(mode="FAN_AVG").mode == "fan_avg"


def test_variance_scaling_uses_at_least_one_unit() -> None:
    w = VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform")(
        (0, 5000), rng=np.random.default_rng(0)
    )
    assert w.shape == (0, 5000)
    v = VarianceScaling(mode="fan_out", distribution="uniform")(
        (2000, 1), rng=np.random.default_rng(0)
    )
    np.testing.assert_allclose(v.var(), 1.0, rtol=0.1)


# --- fixed-scale random -------------------------------------------------------------------------


def test_truncated_normal_redraws_beyond_two_stddev() -> None:
    w = TruncatedNormal(mean=1.0, stddev=0.5)((500, 400), rng=np.random.default_rng(0))
    assert np.abs(w - 1.0).max() <= 1.0
    assert np.abs(w - 1.0).max() > 0.999
    np.testing.assert_allclose(w.std(), 0.5 * TRUNCATED_STD, rtol=0.01)
    np.testing.assert_allclose(w.mean(), 1.0, atol=0.005)


def test_random_normal_and_uniform_keras_defaults() -> None:
    n = get("random_normal")(SHAPE, rng=np.random.default_rng(0))
    np.testing.assert_allclose(n, 0.05 * np.random.default_rng(0).standard_normal(SHAPE))
    u = get("random_uniform", minval=2.0, maxval=3.0)(SHAPE, rng=np.random.default_rng(0))
    assert 2.0 <= u.min() and u.max() < 3.0


# --- library defaults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "factor"), [("relu", 6.0), ("tanh", 6.0), ("logistic", 2.0)]
)
def test_sklearn_default_follows_scikit_learn(activation: str, factor: float) -> None:
    rng = np.random.default_rng(0)
    init = SklearnDefault(activation=activation)
    w = init((30, 20), rng=rng)
    b = init.draw_bias((30, 20), rng=rng)
    bound = math.sqrt(factor / (30 + 20))
    reference = np.random.default_rng(0)
    np.testing.assert_allclose(w, reference.uniform(-bound, bound, (30, 20)))
    np.testing.assert_allclose(b, reference.uniform(-bound, bound, 20))


def test_torch_default_follows_nn_linear() -> None:
    rng = np.random.default_rng(0)
    init = TorchDefault()
    w = init((64, 10), rng=rng)
    b = init.draw_bias((64, 10), rng=rng)
    reference = np.random.default_rng(0)
    # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound sqrt(3) * gain / sqrt(fan_in).
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 6.0) / math.sqrt(64)
    assert math.isclose(bound, 1.0 / 8.0)
    np.testing.assert_allclose(w, reference.uniform(-bound, bound, (64, 10)))
    np.testing.assert_allclose(b, reference.uniform(-1.0 / 8.0, 1.0 / 8.0, 10))


# --- orthogonal and identity --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30), (3, 40, 10), (3, 10, 40)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape: tuple[int, ...], gain: float) -> None:
    w = Orthogonal(gain=gain)(shape, rng=np.random.default_rng(0))
    fan_in, fan_out = shape[-2:]
    gram = np.swapaxes(w, -1, -2) @ w if fan_in >= fan_out else w @ np.swapaxes(w, -1, -2)
    eye = np.broadcast_to(np.eye(min(fan_in, fan_out)), gram.shape)
    np.testing.assert_allclose(gram, gain**2 * eye, atol=1e-10)


def test_orthogonal_is_sign_corrected_haar() -> None:
    # Without the diag(R) sign correction, numpy's QR makes R's diagonal negative-leaning and
    # the first column of Q biased; with it, the mean over many draws of W[0, 0] is ~0 and the
    # diagonal of Q is not systematically negative.
    w = Orthogonal()((2000, 4, 4), rng=np.random.default_rng(0))
    assert abs(float(w[:, 0, 0].mean())) < 0.05
    assert abs(float(np.diagonal(w, axis1=1, axis2=2).mean())) < 0.05


def test_identity_is_a_partial_identity() -> None:
    w = Identity(gain=3.0)((3, 2, 4), rng=np.random.default_rng(0))
    for matrix in w:
        np.testing.assert_array_equal(matrix, 3.0 * np.eye(2, 4))


# --- sparse ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fan_in", "nonzero"), [(100, 15), (10, 15), (40, 1), (15, 15)])
def test_sparse_keeps_nonzero_incoming_weights_per_unit(fan_in: int, nonzero: int) -> None:
    w = Sparse(nonzero=nonzero)((2, fan_in, 300), rng=np.random.default_rng(0))
    counts = (w != 0).sum(axis=-2)
    np.testing.assert_array_equal(counts, min(nonzero, fan_in))
    kept = w[w != 0]
    np.testing.assert_allclose(kept.std(), 1.0, rtol=0.1)  # N(0, 1) as in Martens (2010)
    rows_used = (w[0] != 0).any(axis=1).sum()
    assert rows_used == fan_in  # the kept rows vary from unit to unit


def test_sparse_stddev_scales_the_kept_weights() -> None:
    w = Sparse(nonzero=5, stddev=0.1)((50, 2000), rng=np.random.default_rng(0))
    np.testing.assert_allclose(w[w != 0].std(), 0.1, rtol=0.05)


# --- ZerO (hadamard_identity) -------------------------------------------------------------------


@pytest.mark.parametrize(("fan_in", "fan_out"), [(8, 8), (10, 3), (64, 64), (100, 7)])
def test_zero_is_a_partial_identity_when_not_widening(fan_in: int, fan_out: int) -> None:
    w = HadamardIdentity()((fan_in, fan_out), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(w, np.eye(fan_in, fan_out))


@pytest.mark.parametrize(("fan_in", "fan_out"), [(3, 4), (4, 5), (64, 100), (1, 9), (20, 128)])
def test_zero_mixes_with_a_normalized_hadamard_when_widening(fan_in: int, fan_out: int) -> None:
    w = HadamardIdentity()((2, fan_in, fan_out), rng=np.random.default_rng(0))
    size = 2 ** math.ceil(math.log2(fan_out))
    # I*(fan_in, size) @ (H / sqrt(size)) @ I*(size, fan_out), H from scipy's Sylvester construction.
    expected = np.eye(fan_in, size) @ (hadamard(size) / math.sqrt(size)) @ np.eye(size, fan_out)
    np.testing.assert_allclose(w[0], expected, atol=1e-15)
    np.testing.assert_array_equal(w[0], w[1])
    if size == fan_out:
        np.testing.assert_allclose(w[0] @ w[0].T, np.eye(fan_in), atol=1e-12)


def test_zero_is_deterministic_and_ignores_the_generator() -> None:
    draws = [HadamardIdentity()((30, 70), rng=np.random.default_rng(s)) for s in range(3)]
    for draw in draws[1:]:
        np.testing.assert_array_equal(draw, draws[0])
    assert len({tuple(row) for row in np.sign(draws[0].T).tolist()}) > 1  # units differ


# --- LSUV -------------------------------------------------------------------------------------


def _network(
    sizes: list[int], rng: np.random.Generator, stack: tuple[int, ...] = ()
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    init = LSUV()
    coefs = [init(stack + (a, b), rng=rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    intercepts = [np.zeros(stack + (b,)) for b in sizes[1:]]
    return coefs, intercepts


def _pre_activation_variances(
    coefs: list[np.ndarray], intercepts: list[np.ndarray], X: np.ndarray
) -> list[np.ndarray]:
    a, out = X, []
    for kernel, bias in zip(coefs, intercepts, strict=True):
        z = a @ kernel + bias[..., np.newaxis, :]
        out.append(z.var(axis=(-2, -1)))
        a = relu(z)
    return out


def test_lsuv_gives_unit_pre_activation_variance_with_relu() -> None:
    rng = np.random.default_rng(0)
    X = 4.0 * rng.standard_normal((256, 20)) + 1.0
    coefs, intercepts = _network([20, 64, 64, 64, 3], rng)
    LSUV().calibrate(coefs, intercepts, X, relu)
    for variance in _pre_activation_variances(coefs, intercepts, X):
        assert abs(float(variance) - 1.0) < 0.1


def test_lsuv_lands_near_the_he_scale_on_relu() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((512, 128))
    coefs, intercepts = _network([128, 128, 128, 128], rng)
    LSUV(tol=0.01).calibrate(coefs, intercepts, X, relu)
    for kernel in coefs[1:]:
        np.testing.assert_allclose(kernel.var() * kernel.shape[0], 2.0, rtol=0.25)


def test_lsuv_calibrates_each_stacked_network_on_its_own() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((128, 10)) * np.array([[0.1] * 5 + [10.0] * 5])
    coefs, intercepts = _network([10, 32, 32, 1], rng, stack=(3,))
    coefs[0][1] *= 50.0  # one network starts far off
    LSUV().calibrate(coefs, intercepts, X, relu)
    for variances in _pre_activation_variances(coefs, intercepts, X):
        assert np.all(np.abs(variances - 1.0) < 0.1)


def test_lsuv_stops_after_max_iter_and_keeps_the_dtype() -> None:
    rng = np.random.default_rng(0)
    X = 100.0 * rng.standard_normal((64, 8))
    coefs = [LSUV()((8, 8), rng=rng, dtype=np.float32)]
    start = coefs[0].copy()
    LSUV(max_iter=1).calibrate(coefs, [np.zeros(8, dtype=np.float32)], X, relu)
    assert coefs[0].dtype == np.float32
    ratio = coefs[0] / start
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-5)  # one uniform rescale
    np.testing.assert_allclose(ratio.flat[0], 1.0 / math.sqrt((X @ start).var()), rtol=1e-4)


def test_lsuv_leaves_a_dead_layer_alone() -> None:
    coefs = [np.ones((4, 3)), np.ones((3, 2))]
    LSUV().calibrate(coefs, [np.zeros(3), np.zeros(2)], np.zeros((10, 4)), relu)
    np.testing.assert_array_equal(coefs[0], 1.0)


def test_lsuv_rejects_mismatched_lists_and_tiny_batches() -> None:
    with pytest.raises(ConfigError, match="one intercept per kernel"):
        LSUV().calibrate([np.ones((2, 2))], [], np.ones((5, 2)), relu)
    with pytest.raises(ConfigError, match="at least 2 samples"):
        LSUV().calibrate([np.ones((2, 2))], [np.zeros(2)], np.ones((1, 2)), relu)


def test_only_lsuv_is_data_dependent_and_only_library_defaults_draw_biases() -> None:
    from initstudy.initializers import available

    assert [n for n in available() if get(n).data_dependent] == ["lsuv"]
    assert [n for n in available() if get(n).draws_bias] == ["sklearn_default", "torch_default"]
