"""Argument checks shared by the initializers.

Every failure is a ConfigError that names the argument, the rule and the value received.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..exceptions import ConfigError

__all__ = ["check_choice", "check_dtype", "check_int", "check_real", "check_shape"]


def _fail(owner: str, name: str, rule: str, value: object) -> ConfigError:
    """Build the one error: "The 'x' parameter of C must be .... Got ... instead."."""
    return ConfigError(f"The {name!r} parameter of {owner} must be {rule}. Got {value!r} instead.")


def check_real(
    owner: str, name: str, value: object, *, low: float | None = None, strict: bool = False
) -> float:
    """Return ``value`` as a float after checking it is a finite real number (``> low`` or ``>= low``)."""
    bound = "" if low is None else (f" > {low:g}" if strict else f" >= {low:g}")
    rule = f"a finite real number{bound}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(owner, name, rule, value)
    number = float(value)
    if not math.isfinite(number):
        raise _fail(owner, name, rule, value)
    if low is not None and (number <= low if strict else number < low):
        raise _fail(owner, name, rule, value)
    return number


def check_int(owner: str, name: str, value: object, *, low: int) -> int:
    """Return ``value`` as an int after checking it is an integer ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _fail(owner, name, f"an integer >= {low}", value)
    return int(value)


def check_choice(owner: str, name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` lower-cased after checking it is one of ``choices``."""
    valid = sorted(choices)
    rule = "one of " + ", ".join(repr(c) for c in valid)
    if not isinstance(value, str):
        raise _fail(owner, name, rule, value)
    key = value.strip().lower()
    if key not in valid:
        error = _fail(owner, name, rule, value)
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        if close:
            error = ConfigError(f"{error} Did you mean {close[0]!r}?")
        raise error
    return key


def check_shape(owner: str, shape: object) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints, at least 1-D."""
    rule = "a tuple of non-negative integers with at least one axis"
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise _fail(owner, "shape", rule, shape)
    dims = tuple(shape)
    if not dims or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims
    ):
        raise _fail(owner, "shape", rule, shape)
    result = tuple(int(d) for d in dims)
    if min(result) < 0:
        raise _fail(owner, "shape", rule, shape)
    return result


def check_dtype(owner: str, dtype: Any) -> np.dtype[Any]:
    """Return ``dtype`` as a NumPy floating dtype."""
    try:
        result: np.dtype[Any] = np.dtype(dtype)
    except TypeError:
        raise _fail(
            owner, "dtype", "a floating-point dtype such as float32 or float64", dtype
        ) from None
    if not np.issubdtype(result, np.floating):
        raise _fail(owner, "dtype", "a floating-point dtype such as float32 or float64", dtype)
    return result
