"""Parameter constraints of the MLP estimators and their validation at the top of ``fit``.

A small version of scikit-learn's pattern: each parameter maps to a list of constraints, one of
which must hold; the error names the parameter, the estimator, the accepted values and what was
received.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..exceptions import ConfigError

__all__ = ["Constraint", "DTYPES", "interval", "options", "validate_params"]

DTYPES: dict[str, type] = {"float32": np.float32, "float64": np.float64}
"""The training dtypes by name."""


class Constraint(NamedTuple):
    """A description (for the error) and a predicate."""

    description: str
    check: Callable[[Any], bool]


def _is_real(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def interval(kind: str, low: float | None, high: float | None, closed: str = "both") -> Constraint:
    """A number (``kind`` 'int' or 'real') in an interval; ``closed`` in both, left, right, neither."""
    left, right = closed in ("both", "left"), closed in ("both", "right")

    def check(value: Any) -> bool:
        if not (_is_int(value) if kind == "int" else _is_real(value)):
            return False
        if low is not None and (value < low or (value == low and not left)):
            return False
        return high is None or value < high or (value == high and right)

    lo = "-inf" if low is None else low
    hi = "inf" if high is None else high
    text = f"{'an int' if kind == 'int' else 'a float'} in {'[' if left else '('}{lo}, {hi}{']' if right else ')'}"
    return Constraint(text, check)


def options(*names: str) -> Constraint:
    """One of the given strings."""
    return Constraint(
        "a str among {" + ", ".join(repr(n) for n in sorted(names)) + "}",
        lambda v: isinstance(v, str) and v in names,
    )


def instance_of(*types: type, name: str) -> Constraint:
    """An instance of one of ``types``."""
    return Constraint(name, lambda v: isinstance(v, types) and not isinstance(v, bool))


NONE = Constraint("None", lambda v: v is None)
BOOL = Constraint("a bool", lambda v: isinstance(v, (bool, np.bool_)))


def _is_layer_sizes(value: Any) -> bool:
    if _is_int(value):
        return value >= 1
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return False
    return all(_is_int(v) and v >= 1 for v in value)


LAYER_SIZES = Constraint("an int >= 1 or a sequence of ints >= 1", _is_layer_sizes)
DTYPE = Constraint("'float32' or 'float64' (or the numpy type)", lambda v: _dtype_name(v) in DTYPES)


def _dtype_name(value: Any) -> str | None:
    try:
        return np.dtype(value).name if value is not None else None
    except TypeError:
        return None


def dtype_of(value: Any) -> type:
    """The numpy scalar type of a valid ``dtype`` parameter."""
    return DTYPES[_dtype_name(value)]  # type: ignore[index]


def validate_params(estimator: Any) -> None:
    """Check every parameter of ``estimator`` against its ``_parameter_constraints``.

    Raises
    ------
    ConfigError
        For the first parameter that satisfies none of its constraints.
    """
    params = estimator.get_params(deep=False)
    for name, constraints in estimator._parameter_constraints.items():
        value = params[name]
        if any(c.check(value) for c in constraints):
            continue
        allowed = [c.description for c in constraints]
        text = allowed[0] if len(allowed) == 1 else ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise ConfigError(
            f"The {name!r} parameter of {type(estimator).__name__} must be {text}. Got {value!r} instead."
        )
