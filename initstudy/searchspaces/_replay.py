"""A stand-in for an Optuna trial that answers from stored parameters (``study.best_params``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigError
from ._parameters import PARAMETERS, is_number

__all__ = ["ReplayTrial"]


def _matches(value: Any, choice: Any) -> bool:
    """Choice equality that keeps bools, numbers and strings apart (1.0 matches 1)."""
    if isinstance(value, bool) or isinstance(choice, bool):
        return type(value) is type(choice) and value == choice
    if is_number(value) and is_number(choice):
        return bool(value == choice)
    return type(value) is type(choice) and value == choice


class ReplayTrial:
    """Answer ``suggest_*`` calls from a dict of stored parameter values, checking each one.

    Unlike ``optuna.trial.FixedTrial``, an out-of-range value raises :class:`ConfigError`
    instead of warning. ``used`` collects the names that were asked for.
    """

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = params
        self.used: set[str] = set()

    def _get(self, name: str) -> Any:
        if name not in self._params:
            raise ConfigError(
                f"The trial parameters lack {name!r}, which the search space draws here. "
                f"Got parameters {sorted(map(str, self._params))}."
            )
        self.used.add(name)
        value = self._params[name]
        if name in PARAMETERS and PARAMETERS[name].kind == "layers" and not isinstance(value, str):
            value = PARAMETERS[name].validate(name, value)
        return value

    def _out_of_range(self, name: str, value: Any, where: str) -> ConfigError:
        return ConfigError(
            f"The stored value of trial parameter {name!r} is outside the search space: it must "
            f"be {where}. Got {value!r} instead."
        )

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        """Return the choice equal to the stored value."""
        value = self._get(name)
        for choice in choices:
            if type(choice) is type(value) and choice == value:
                return choice
        for choice in choices:
            if _matches(value, choice):
                return choice
        raise self._out_of_range(name, value, f"one of {list(choices)}")

    def _number(self, name: str, low: float, high: float) -> Any:
        value = self._get(name)
        if (
            not is_number(value)
            or (isinstance(value, float) and not math.isfinite(value))
            or not low <= value <= high
        ):
            raise self._out_of_range(name, value, f"a number in [{low}, {high}]")
        return value

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Return the stored float, checked against ``[low, high]``."""
        return float(self._number(name, low, high))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Return the stored int, checked against ``[low, high]`` and ``step``."""
        value = self._number(name, low, high)
        if int(value) != value or (int(value) - low) % step != 0:
            raise self._out_of_range(name, value, f"an integer in [{low}, {high}] by {step}")
        return int(value)
