"""The registry (get, available, serialize), gains and argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from initstudy import initializers
from initstudy.exceptions import ConfigError, InitStudyError
from initstudy.initializers import HeNormal, Orthogonal, available, gain, get, serialize

KERAS_NAMES = {
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal",
    "he_uniform", "he_normal", "orthogonal", "identity",
}  # fmt: skip
OTHER_NAMES = {"sparse", "sklearn_default", "torch_default", "hadamard_identity", "lsuv"}


def test_available_is_sorted_and_complete() -> None:
    assert available() == sorted(KERAS_NAMES | OTHER_NAMES)


def test_public_api_is_exported() -> None:
    for name in ["get", "available", "serialize", "gain", "compute_fans", "Initializer"]:
        assert name in initializers.__all__
    assert sorted(initializers.__all__) == sorted(set(initializers.__all__))


def test_get_resolves_names_dicts_and_instances() -> None:
    assert get("he_normal") == HeNormal()
    assert get("HeNormal") == HeNormal()  # the Keras class name works too
    assert get(" He_Normal ") == HeNormal()
    assert get("orthogonal", gain=2.0) == Orthogonal(gain=2.0)
    assert get({"class_name": "orthogonal", "config": {"gain": 3.0}}) == Orthogonal(gain=3.0)
    assert get({"class_name": "orthogonal"}, gain=0.5) == Orthogonal(gain=0.5)
    instance = Orthogonal()
    assert get(instance) is instance
    assert serialize(Orthogonal(gain=2.0)) == {"class_name": "orthogonal", "config": {"gain": 2.0}}


def test_equality_is_by_config() -> None:
    assert Orthogonal(gain=2) == Orthogonal(gain=2.0)
    assert Orthogonal(gain=2.0) != Orthogonal(gain=1.0)
    assert get("lsuv") != Orthogonal()
    assert len({get("he_normal"), HeNormal(), get("glorot_uniform")}) == 2


def test_unknown_name_suggests_the_nearest_and_lists_all_sorted() -> None:
    with pytest.raises(ConfigError) as info:
        get("he_norml")
    message = str(info.value)
    assert "Unknown initializer 'he_norml'" in message
    assert "Did you mean 'he_normal'?" in message
    assert "Valid: " + ", ".join(available()) + "." in message


@pytest.mark.parametrize(
    "identifier",
    [42, None, {"config": {}}, {"class_name": "zeros", "extra": 1}],
)
def test_bad_identifiers_raise_config_error(identifier: object) -> None:
    with pytest.raises(ConfigError, match="initializer"):
        get(identifier)  # type: ignore[arg-type]


def test_arguments_with_an_instance_are_refused() -> None:
    with pytest.raises(ConfigError, match="only be given with an initializer name"):
        get(Orthogonal(), gain=2.0)


BAD_ARGUMENTS = [
    (
        "random_normal",
        {"stddev": 0.0},
        "'stddev' parameter of RandomNormal must be a finite real number > 0. Got 0.0",
    ),
    ("random_normal", {"stddev": -1}, "Got -1 instead"),
    ("random_normal", {"stddev": float("nan")}, "'stddev'"),
    ("random_normal", {"mean": float("inf")}, "'mean' parameter"),
    ("random_normal", {"stddev": "big"}, "Got 'big' instead"),
    ("truncated_normal", {"stddev": True}, "'stddev'"),
    (
        "random_uniform",
        {"minval": 1.0, "maxval": 1.0},
        "'maxval' parameter of RandomUniform must be a finite real number > 1",
    ),
    ("constant", {"value": float("inf")}, "'value' parameter of Constant"),
    (
        "variance_scaling",
        {"scale": 0},
        "'scale' parameter of VarianceScaling must be a finite real number > 0",
    ),
    (
        "variance_scaling",
        {"mode": "fanin"},
        "'mode' parameter of VarianceScaling must be one of 'fan_avg', 'fan_in', 'fan_out'. "
        "Got 'fanin' instead. Did you mean 'fan_in'?",
    ),
    ("variance_scaling", {"distribution": "gauss"}, "'distribution' parameter"),
    ("variance_scaling", {"mode": 3}, "Got 3 instead"),
    (
        "orthogonal",
        {"gain": -1.0},
        "'gain' parameter of Orthogonal must be a finite real number > 0",
    ),
    ("identity", {"gain": 0}, "'gain' parameter of Identity"),
    (
        "sparse",
        {"nonzero": 0},
        "'nonzero' parameter of Sparse must be an integer >= 1. Got 0 instead",
    ),
    ("sparse", {"nonzero": 2.5}, "'nonzero'"),
    ("sparse", {"stddev": 0}, "'stddev' parameter of Sparse"),
    ("lsuv", {"tol": 0}, "'tol' parameter of LSUV must be a finite real number > 0"),
    ("lsuv", {"max_iter": 0}, "'max_iter' parameter of LSUV must be an integer >= 1"),
    (
        "sklearn_default",
        {"activation": "softmax"},
        "'activation' parameter of SklearnDefault must be one of",
    ),
    ("he_normal", {"scale": 3.0}, "Invalid arguments for initializer 'he_normal'"),
    ("random_normal", {"std": 1.0}, "unexpected keyword argument 'std'"),
]


@pytest.mark.parametrize(("name", "kwargs", "words"), BAD_ARGUMENTS)
def test_bad_arguments_raise_config_error_naming_them(name: str, kwargs: dict, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        get(name, **kwargs)
    assert words in str(info.value)
    assert isinstance(info.value, (InitStudyError, ValueError))


@pytest.mark.parametrize(
    ("name", "shape"),
    [("orthogonal", (5,)), ("identity", (3,)), ("sparse", (4,)), ("hadamard_identity", (2,))],
)
def test_matrix_schemes_need_two_axes(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ConfigError, match="at least 2 axes"):
        get(name)(shape, rng=np.random.default_rng(0))


# --- gain -------------------------------------------------------------------------------------

PYTORCH_GAINS = [
    ("identity", None, 1.0),
    ("linear", None, 1.0),
    ("logistic", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3.0),
    ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1.0 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
    ("leaky_relu", math.sqrt(5.0), math.sqrt(1.0 / 3.0)),
    ("selu", None, 0.75),
]


@pytest.mark.parametrize(("activation", "param", "expected"), PYTORCH_GAINS)
def test_gain_follows_pytorch(activation: str, param: float | None, expected: float) -> None:
    assert math.isclose(gain(activation, param), expected, rel_tol=1e-12)


def _second_moment(f) -> float:  # type: ignore[no-untyped-def]
    def integrand(z: float) -> float:
        return f(z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    return integrate.quad(integrand, -np.inf, 0)[0] + integrate.quad(integrand, 0, np.inf)[0]


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_gain_is_the_second_moment_rule(alpha: float) -> None:
    moment = _second_moment(lambda z: z if z > 0 else alpha * math.expm1(z))
    assert math.isclose(gain("elu", alpha), 1.0 / math.sqrt(moment), rel_tol=1e-8)
    assert gain("elu") == gain("elu", 1.0)


def test_gelu_gain_is_the_second_moment_rule() -> None:
    moment = _second_moment(lambda z: z * 0.5 * (1.0 + special.erf(z / math.sqrt(2.0))))
    assert math.isclose(gain("gelu"), 1.0 / math.sqrt(moment), rel_tol=1e-8)
    assert math.isclose(
        gain("relu"), 1.0 / math.sqrt(_second_moment(lambda z: max(z, 0.0))), rel_tol=1e-8
    )


def test_gain_errors() -> None:
    with pytest.raises(ConfigError) as info:
        gain("rleu")
    assert "Did you mean 'relu'?" in str(info.value)
    assert (
        "Valid: elu, gelu, identity, leaky_relu, linear, logistic, relu, selu, sigmoid, tanh."
        in str(info.value)
    )
    with pytest.raises(ConfigError, match="takes no gain parameter"):
        gain("tanh", 0.5)
    with pytest.raises(ConfigError, match="'negative_slope'"):
        gain("leaky_relu", float("nan"))
    with pytest.raises(ConfigError, match="'alpha'"):
        gain("elu", -1.0)


def test_compute_fans() -> None:
    from initstudy.initializers import compute_fans

    assert compute_fans((3, 4)) == (3, 4)
    assert compute_fans((8, 3, 4)) == (3, 4)
    assert compute_fans((5,)) == (5, 5)
