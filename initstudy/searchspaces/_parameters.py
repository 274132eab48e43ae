"""The estimator parameters a search space may name, and how each value is checked.

Every entry of :data:`PARAMETERS` is an ``MLPClassifier``/``MLPRegressor`` constructor parameter.
Its *kind* says which values it takes and whether a ``{low, high}`` range is allowed; its
*rule* is a predicate with the sentence the error message shows when the predicate fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigError

__all__ = [
    "ACTIVATIONS",
    "PARAMETERS",
    "Parameter",
    "config_error",
    "initializer_names",
    "layers_to_tuple",
]

#: Hidden-layer activations of the initstudy MLPs.
ACTIVATIONS = ("elu", "gelu", "identity", "leaky_relu", "logistic", "relu", "selu", "tanh")
SOLVERS = ("adam", "sgd")
DTYPES = ("float32", "float64")
#: Kinds whose values are numbers, so that a ``{low, high}`` range is allowed.
NUMERIC_KINDS = ("float", "int")


def config_error(key: str, rule: str, value: Any) -> ConfigError:
    """The error for one bad value: names the key, the rule and what was received."""
    return ConfigError(f"Invalid search space key {key!r}: {rule}. Got {_short(value)} instead.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def initializer_names() -> list[str]:
    """The registered initializer names (imported late: the registry fills itself on import)."""
    from ..initializers import available

    return available()


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_finite_float(key: str, value: Any) -> float:
    """``value`` as a finite float, or a ConfigError naming ``key``."""
    if not is_number(value):
        raise config_error(key, "the value must be a number", value)
    try:
        number = float(value)
    except OverflowError:
        raise config_error(key, "the value must be a finite number", value) from None
    if not math.isfinite(number):
        raise config_error(key, "the value must be a finite number", value)
    return number


def layers_to_tuple(text: str) -> tuple[int, ...]:
    """``"64,64"`` -> ``(64, 64)`` (the string form is already validated)."""
    return tuple(int(part) for part in text.split(","))


def _coerce_layers(key: str, value: Any) -> str:
    """Normalize ``"64, 64"``, ``64`` or ``[64, 64]`` to the stored form ``"64,64"``."""
    rule = "hidden_layer_sizes must be a string of positive layer widths such as '64,64'"
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise config_error(key, rule, value)
    widths = []
    for part in parts:
        if isinstance(part, str) and part.isdecimal() and part.isascii():
            part = int(part)
        if not isinstance(part, int) or isinstance(part, bool) or not 0 < part <= 1_000_000:
            raise config_error(key, rule, value)
        widths.append(part)
    if not widths:
        raise config_error(key, rule, value)
    return ",".join(str(width) for width in widths)


def _coerce_float(key: str, value: Any) -> float:
    return as_finite_float(key, value)


def _coerce_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise config_error(key, "the value must be an integer", value)
    return value


def _coerce_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise config_error(key, "the value must be true or false", value)
    return value


def _choice_coercer(valid: tuple[str, ...] | None, kind: str) -> Callable[[str, Any], str]:
    def coerce(key: str, value: Any) -> str:
        names = tuple(initializer_names()) if valid is None else valid
        if isinstance(value, str) and value in names:
            return value
        error = _unknown_name(kind, value, names)
        raise ConfigError(f"Invalid search space key {key!r}: {error}")

    return coerce


def _unknown_name(kind: str, value: Any, names: tuple[str, ...]) -> str:
    from ..exceptions import unknown_name_error

    return str(unknown_name_error(kind, value, names))


def _coerce_bias(key: str, value: Any) -> float | str:
    if is_number(value):
        return as_finite_float(key, value)
    if isinstance(value, str):
        return _choice_coercer(None, "initializer")(key, value)
    raise config_error(
        key, "bias_init must be a constant (such as 0.01) or an initializer name", value
    )


@dataclass(frozen=True)
class Parameter:
    """How the values of one estimator parameter are checked.

    Attributes
    ----------
    kind : str
        ``"float"``, ``"int"`` (ranges allowed), ``"bool"``, ``"str"``, ``"layers"``,
        ``"init"`` or ``"bias"``.
    coerce : callable
        ``coerce(key, value)`` returns the normalized value or raises ConfigError.
    rule : str or None
        The sentence shown when ``check`` fails.
    check : callable or None
        A predicate on the coerced value.
    """

    kind: str
    coerce: Callable[[str, Any], Any]
    rule: str | None = None
    check: Callable[[Any], bool] | None = None

    def validate(self, key: str, value: Any) -> Any:
        """Return the normalized ``value``, or raise ConfigError naming ``key``."""
        value = self.coerce(key, value)
        if self.check is not None and not self.check(value):
            raise config_error(key, str(self.rule), value)
        return value


def _float(rule: str | None = None, check: Callable[[float], bool] | None = None) -> Parameter:
    return Parameter("float", _coerce_float, rule, check)


def _int(rule: str, check: Callable[[int], bool]) -> Parameter:
    return Parameter("int", _coerce_int, rule, check)


_BOOL = Parameter("bool", _coerce_bool)
_POSITIVE = ("the value must be > 0", lambda v: v > 0)
_NON_NEGATIVE = ("the value must be >= 0", lambda v: v >= 0)
_AT_LEAST_ONE = ("the value must be >= 1", lambda v: v >= 1)

#: The estimator parameters a search space may set, by name.
PARAMETERS: dict[str, Parameter] = {
    "init": Parameter("init", _choice_coercer(None, "initializer")),
    "init_scale": _float(*_POSITIVE),
    "bias_init": Parameter("bias", _coerce_bias),
    "hidden_layer_sizes": Parameter("layers", _coerce_layers),
    "activation": Parameter("str", _choice_coercer(ACTIVATIONS, "activation")),
    "solver": Parameter("str", _choice_coercer(SOLVERS, "solver")),
    "learning_rate_init": _float(*_POSITIVE),
    "batch_size": _int(*_AT_LEAST_ONE),
    "max_iter": _int(*_AT_LEAST_ONE),
    "alpha": _float(*_NON_NEGATIVE),
    "tol": _float(*_NON_NEGATIVE),
    "n_iter_no_change": _int(*_AT_LEAST_ONE),
    "early_stopping": _BOOL,
    "validation_fraction": _float("the value must be in (0, 1)", lambda v: 0 < v < 1),
    "shuffle": _BOOL,
    "momentum": _float("the value must be in [0, 1]", lambda v: 0 <= v <= 1),
    "nesterovs_momentum": _BOOL,
    "beta_1": _float("the value must be in [0, 1)", lambda v: 0 <= v < 1),
    "beta_2": _float("the value must be in [0, 1)", lambda v: 0 <= v < 1),
    "epsilon": _float(*_POSITIVE),
    "dtype": Parameter("str", _choice_coercer(DTYPES, "dtype")),
}

#: How a stored value becomes the estimator's value, by kind (identity when absent).
TO_ESTIMATOR: dict[str, Callable[[Any], Any]] = {"layers": layers_to_tuple}


def _coerce_any(key: str, value: Any) -> Any:
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise config_error(key, "an integer argument must be at most 2**53 in size", value)
        return value
    if isinstance(value, float):
        return as_finite_float(key, value)
    raise config_error(
        key, "an initializer argument must be a number, a string or a boolean", value
    )


#: Initializer arguments are checked by the initializer itself; this only checks the type.
ANY_ARGUMENT = Parameter("any", _coerce_any)
