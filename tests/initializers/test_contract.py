"""The contract every registered initializer keeps, run against each name in ``available()``."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from initstudy import initializers
from initstudy.exceptions import ConfigError
from initstudy.initializers import Initializer, available, get, serialize

TRUNCATED_STD = 0.87962566103423978

#: Schemes with no randomness: same array whatever the generator, which they leave untouched.
DETERMINISTIC = {"constant", "hadamard_identity", "identity", "ones", "zeros"}


def _partial_identity_variance(fan_in: int, fan_out: int) -> float:
    mean = min(fan_in, fan_out) / (fan_in * fan_out)
    return mean - mean**2


#: name -> variance of one entry of a default-configured kernel (fan_in, fan_out), written from
#: the published definitions (Keras 3, scikit-learn, PyTorch, the papers), not from the code.
EXPECTED_VARIANCE: dict[str, Callable[[int, int], float]] = {
    "constant": lambda i, o: 0.0,
    "zeros": lambda i, o: 0.0,
    "ones": lambda i, o: 0.0,
    "random_normal": lambda i, o: 0.05**2,
    "random_uniform": lambda i, o: 0.1**2 / 12.0,
    "truncated_normal": lambda i, o: (0.05 * TRUNCATED_STD) ** 2,
    "variance_scaling": lambda i, o: 1.0 / i,
    "glorot_uniform": lambda i, o: 2.0 / (i + o),
    "glorot_normal": lambda i, o: 2.0 / (i + o),
    "lecun_uniform": lambda i, o: 1.0 / i,
    "lecun_normal": lambda i, o: 1.0 / i,
    "he_uniform": lambda i, o: 2.0 / i,
    "he_normal": lambda i, o: 2.0 / i,
    "orthogonal": lambda i, o: 1.0 / max(i, o),
    "lsuv": lambda i, o: 1.0 / max(i, o),
    "identity": _partial_identity_variance,
    "hadamard_identity": _partial_identity_variance,  # narrowing layer: partial identity
    "sparse": lambda i, o: min(15, i) / i,
    "sklearn_default": lambda i, o: (6.0 / (i + o)) / 3.0,
    "torch_default": lambda i, o: (1.0 / i) / 3.0,
}

NAMES = available()


def test_every_registered_name_has_an_expected_variance() -> None:
    assert sorted(EXPECTED_VARIANCE) == NAMES


@pytest.mark.parametrize("name", NAMES)
class TestInitializerContract:
    """Shape, dtype, determinism, variance, bias, config round trip and repr."""

    @pytest.mark.parametrize("shape", [(7, 5), (5, 7), (1, 1), (3, 6, 4), (2, 2, 5, 3)])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_shape_and_dtype(self, name: str, shape: tuple[int, ...], dtype: type) -> None:
        w = get(name)(shape, rng=np.random.default_rng(0), dtype=dtype)
        assert w.shape == shape
        assert w.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(w))

    def test_float32_is_the_rounded_float64_draw(self, name: str) -> None:
        w64 = get(name)((30, 20), rng=np.random.default_rng(3), dtype=np.float64)
        w32 = get(name)((30, 20), rng=np.random.default_rng(3), dtype=np.float32)
        np.testing.assert_array_equal(w32, w64.astype(np.float32))

    def test_same_rng_state_gives_the_same_array(self, name: str) -> None:
        init = get(name)
        first = init((3, 20, 10), rng=np.random.default_rng(42))
        second = init((3, 20, 10), rng=np.random.default_rng(42))
        np.testing.assert_array_equal(first, second)

    def test_different_rng_gives_a_different_array(self, name: str) -> None:
        init = get(name)
        rng = np.random.default_rng(1)
        state = rng.bit_generator.state
        first = init((20, 10), rng=rng)
        second = init((20, 10), rng=np.random.default_rng(2))
        if name in DETERMINISTIC:
            np.testing.assert_array_equal(first, second)
            assert rng.bit_generator.state == state  # the generator was not consumed
        else:
            assert not np.array_equal(first, second)

    def test_stacked_entries_are_drawn_independently(self, name: str) -> None:
        stack = get(name)((4, 20, 10), rng=np.random.default_rng(5))
        distinct = {stack[k].tobytes() for k in range(4)}
        assert len(distinct) == (1 if name in DETERMINISTIC else 4)

    @pytest.mark.parametrize("shape", [(400, 300), (300, 400)])
    def test_variance_matches_the_formula(self, name: str, shape: tuple[int, int]) -> None:
        if name == "hadamard_identity" and shape[1] > shape[0]:
            pytest.skip("a widening ZerO layer is checked against the Hadamard matrix instead")
        w = get(name)(shape, rng=np.random.default_rng(0))
        expected = EXPECTED_VARIANCE[name](*shape)
        np.testing.assert_allclose(w.var(), expected, rtol=0.08, atol=1e-12)

    def test_bias_shape_and_law(self, name: str) -> None:
        init = get(name)
        bias = init.draw_bias((3, 400, 300), rng=np.random.default_rng(0), dtype=np.float32)
        assert bias.shape == (3, 300)
        assert bias.dtype == np.float32
        if init.draws_bias:
            np.testing.assert_allclose(bias.var(), EXPECTED_VARIANCE[name](400, 300), rtol=0.1)
        else:
            assert not bias.any()

    def test_config_round_trip(self, name: str) -> None:
        init = get(name)
        config = init.get_config()
        assert json.loads(json.dumps(config)) == config
        assert type(init).from_config(config) == init
        assert get(serialize(init)) == init
        assert get(json.loads(json.dumps(serialize(init)))) == init
        assert hash(get(serialize(init))) == hash(init)
        assert serialize(init)["class_name"] == name

    def test_repr_rebuilds_an_equal_initializer(self, name: str) -> None:
        init = get(name)
        text = repr(init)
        assert text.startswith(type(init).__name__ + "(")
        assert eval(text, vars(initializers)) == init  # noqa: S307 - our own repr

    def test_is_an_exported_initializer(self, name: str) -> None:
        init = get(name)
        assert isinstance(init, Initializer)
        assert type(init).__name__ in initializers.__all__
        assert type(init).__doc__

    def test_bad_call_arguments_raise_config_error(self, name: str) -> None:
        init = get(name)
        rng = np.random.default_rng(0)
        with pytest.raises(ConfigError, match="shape"):
            init((3, -1), rng=rng)
        with pytest.raises(ConfigError, match="dtype"):
            init((3, 2), rng=rng, dtype=np.int64)
        with pytest.raises(ConfigError, match="Generator"):
            init((3, 2), rng=np.random.RandomState(0))  # type: ignore[arg-type]
