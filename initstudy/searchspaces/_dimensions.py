"""The four kinds of search-space entries: fixed, categorical, float range and int range.

Each kind knows how to ask an Optuna trial for its value (``suggest``), its Optuna
distribution, and its TOML form (``to_raw``). :func:`parse_dimension` builds one from its TOML
form and the :class:`~._parameters.Parameter` that checks its values.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any, Protocol

import optuna

from ._parameters import NUMERIC_KINDS, Parameter, as_finite_float, config_error, is_number

__all__ = ["Categorical", "Dimension", "Fixed", "FloatRange", "IntRange", "parse_dimension"]

_RANGE_KEYS = ("high", "log", "low", "step", "type")


class TrialLike(Protocol):
    """What a dimension asks of a trial (an ``optuna.Trial`` or a replay of stored params)."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...  # noqa: D102

    def suggest_float(
        self, name: str, low: float, high: float, *, step: Any = ..., log: bool = ...
    ) -> float: ...  # noqa: D102, E501

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = ..., log: bool = ...
    ) -> int: ...  # noqa: D102, E501


@dataclass(frozen=True)
class Fixed:
    """A value that is not searched (no Optuna parameter)."""

    value: Any

    def suggest(self, trial: TrialLike, name: str) -> Any:
        """Return the fixed value; the trial is not asked."""
        return self.value

    def distribution(self) -> None:
        """Fixed values have no distribution."""
        return None

    def to_raw(self, typed: bool = False) -> Any:
        """The TOML form: the value itself."""
        return self.value


@dataclass(frozen=True)
class Categorical:
    """A choice among distinct values (TOML: a list)."""

    choices: tuple[Any, ...]

    def suggest(self, trial: TrialLike, name: str) -> Any:
        """Ask ``trial.suggest_categorical(name, choices)``."""
        return trial.suggest_categorical(name, list(self.choices))

    def distribution(self) -> optuna.distributions.CategoricalDistribution:
        """The Optuna distribution."""
        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def to_raw(self, typed: bool = False) -> list[Any]:
        """The TOML form: the list of choices."""
        return list(self.choices)


@dataclass(frozen=True)
class FloatRange:
    """A float in ``[low, high]``, log-uniform when ``log``, on a grid of ``step`` if given."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def suggest(self, trial: TrialLike, name: str) -> float:
        """Ask ``trial.suggest_float``."""
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def distribution(self) -> optuna.distributions.FloatDistribution:
        """The Optuna distribution."""
        return optuna.distributions.FloatDistribution(
            self.low, self.high, log=self.log, step=self.step
        )

    def to_raw(self, typed: bool = False) -> dict[str, Any]:
        """The TOML form ``{low, high[, log][, step][, type]}``."""
        raw: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            raw["log"] = True
        if self.step is not None:
            raw["step"] = self.step
        if typed:
            raw["type"] = "float"
        return raw


@dataclass(frozen=True)
class IntRange:
    """An int in ``[low, high]`` by ``step``, log-uniform when ``log``."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def suggest(self, trial: TrialLike, name: str) -> int:
        """Ask ``trial.suggest_int``."""
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def distribution(self) -> optuna.distributions.IntDistribution:
        """The Optuna distribution."""
        return optuna.distributions.IntDistribution(
            self.low, self.high, log=self.log, step=self.step
        )

    def to_raw(self, typed: bool = False) -> dict[str, Any]:
        """The TOML form ``{low, high[, step][, log][, type]}``."""
        raw: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.step != 1:
            raw["step"] = self.step
        if self.log:
            raw["log"] = True
        if typed:
            raw["type"] = "int"
        return raw


Dimension = Fixed | Categorical | FloatRange | IntRange


def parse_dimension(key: str, raw: Any, parameter: Parameter) -> Dimension:
    """Build a dimension from its TOML form: a list (choices), a table (range) or a value.

    Raises
    ------
    ConfigError
        Naming ``key``, the rule broken and the value received.
    """
    if isinstance(raw, (list, tuple)):
        return _parse_choices(key, raw, parameter)
    if isinstance(raw, dict):
        return _parse_range(key, raw, parameter)
    return Fixed(parameter.validate(key, raw))


def _same(a: Any, b: Any) -> bool:
    """Duplicate choices: equal numbers (``1`` and ``1.0``), or equal values of one type."""
    if is_number(a) and is_number(b):
        return bool(a == b)
    return type(a) is type(b) and a == b


def _parse_choices(key: str, raw: list[Any] | tuple[Any, ...], parameter: Parameter) -> Categorical:
    if len(raw) == 0:
        raise config_error(key, "a list of choices must not be empty", raw)
    choices: list[Any] = []
    for index, item in enumerate(raw):
        if isinstance(item, (dict, list, tuple)) and parameter.kind != "layers":
            raise config_error(f"{key}[{index}]", "a choice must be a single value", item)
        value = parameter.validate(f"{key}[{index}]", item)
        if any(_same(value, seen) for seen in choices):
            raise config_error(key, "the choices must be distinct", list(raw))
        choices.append(value)
    return Categorical(tuple(choices))


def _range_type(key: str, raw: dict[str, Any], parameter: Parameter) -> str:
    declared = raw.get("type")
    if declared is not None and declared not in NUMERIC_KINDS:
        raise config_error(f"{key}.type", "type must be 'float' or 'int'", declared)
    if parameter.kind in NUMERIC_KINDS:
        if declared is not None and declared != parameter.kind:
            raise config_error(f"{key}.type", f"this parameter is a {parameter.kind}", declared)
        return parameter.kind
    if parameter.kind != "any":
        raise config_error(key, "a {low, high} range is only allowed for a numeric parameter", raw)
    if declared is not None:
        return str(declared)
    bounds = (raw.get("low"), raw.get("high"), raw.get("step", 1))
    ints = all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
    return "int" if ints else "float"


def _parse_range(key: str, raw: dict[str, Any], parameter: Parameter) -> FloatRange | IntRange:
    for name in raw:
        if name not in _RANGE_KEYS:
            from ..exceptions import ConfigError, unknown_name_error

            error = unknown_name_error("range key", name, _RANGE_KEYS)
            raise ConfigError(f"Invalid search space key {key!r}: {error}")
    for name in ("low", "high"):
        if name not in raw:
            raise config_error(key, f"a range needs both 'low' and 'high' (missing {name!r})", raw)
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise config_error(f"{key}.log", "log must be true or false", log)
    kind = _range_type(key, raw, parameter)
    build = _float_range if kind == "float" else _int_range
    dimension = build(key, raw, log)
    for bound in (dimension.low, dimension.high):
        parameter.validate(key, bound)
    return dimension


def _check_order(key: str, low: float, high: float, log: bool) -> None:
    if not low < high:
        raise config_error(key, "low must be < high", {"low": low, "high": high})
    if log and low <= 0:
        raise config_error(
            key, "a log range needs low > 0", {"low": low, "high": high, "log": True}
        )


def _float_range(key: str, raw: dict[str, Any], log: bool) -> FloatRange:
    low = as_finite_float(f"{key}.low", raw["low"])
    high = as_finite_float(f"{key}.high", raw["high"])
    _check_order(key, low, high, log)
    step = raw.get("step")
    if step is None:
        return FloatRange(low, high, log)
    step = as_finite_float(f"{key}.step", step)
    if step <= 0:
        raise config_error(f"{key}.step", "step must be > 0", step)
    if log:
        raise config_error(key, "a float range cannot have both step and log", raw)
    try:
        span = decimal.Decimal(str(high)) - decimal.Decimal(str(low))
        divisible = span % decimal.Decimal(str(step)) == 0
    except decimal.DecimalException:
        divisible = False
    if not divisible:
        raise config_error(key, "high - low must be a multiple of step", raw)
    return FloatRange(low, high, log, step)


def _as_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise config_error(key, "the bounds and step of an int range must be integers", value)
    if abs(value) > 2**53:
        raise config_error(key, "the bounds and step of an int range must be at most 2**53", value)
    return value


def _int_range(key: str, raw: dict[str, Any], log: bool) -> IntRange:
    low = _as_int(f"{key}.low", raw["low"])
    high = _as_int(f"{key}.high", raw["high"])
    _check_order(key, low, high, log)
    step = _as_int(f"{key}.step", raw.get("step", 1))
    if step < 1:
        raise config_error(f"{key}.step", "step must be >= 1", step)
    if log and step != 1:
        raise config_error(key, "an int range cannot have both step > 1 and log", raw)
    if (high - low) % step != 0:
        raise config_error(key, "high - low must be a multiple of step", raw)
    return IntRange(low, high, step, log)
