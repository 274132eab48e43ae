"""Validation of a search space's tables: parameters, per-scheme arguments, grid rules."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigError, unknown_name_error
from ._dimensions import Categorical, Dimension, Fixed, FloatRange, IntRange, parse_dimension
from ._parameters import ANY_ARGUMENT, PARAMETERS, config_error, initializer_names

__all__ = ["SCHEME_OVERRIDES", "check_grid", "check_type", "parse_init_args", "parse_params"]

#: Estimator parameters that a scheme's ``[init_args.<scheme>]`` table may set for that scheme only.
SCHEME_OVERRIDES = ("init_scale",)


def check_type(key: str, value: Any, kind: type, words: str) -> None:
    """Raise ConfigError unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise config_error(key, f"{key} must be {words}", value)


def _check_table(key: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` is a mapping with string keys."""
    if not isinstance(value, Mapping):
        raise config_error(key, f"{key} must be a table (dict)", value)
    for name in value:
        if not isinstance(name, str):
            raise config_error(key, "table keys must be strings", name)


def parse_params(params: Any) -> dict[str, Dimension]:
    """Parse the ``[params]`` table: known estimator parameters only, at least one."""
    _check_table("params", params)
    if not params:
        raise config_error(
            "params", "a search space must name at least one parameter", dict(params)
        )
    dims = {}
    for name, raw in params.items():
        if name not in PARAMETERS:
            error = unknown_name_error("search space parameter", name, PARAMETERS)
            raise ConfigError(f"Invalid search space key 'params.{name}': {error}")
        dims[name] = parse_dimension(f"params.{name}", raw, PARAMETERS[name])
    return dims


def _scheme_arguments(scheme: str) -> tuple[str, ...]:
    """The constructor arguments of a registered scheme."""
    from ..initializers import get

    signature = inspect.signature(type(get(scheme)).__init__)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in list(signature.parameters.values())[1:] if p.kind in kinds)


def _init_values(init: Dimension | None) -> tuple[Any, ...]:
    """The schemes ``init`` can draw."""
    if isinstance(init, Categorical):
        return init.choices
    return (init.value,) if isinstance(init, Fixed) else ()


def parse_init_args(init_args: Any, init: Dimension | None) -> dict[str, dict[str, Dimension]]:
    """Parse ``[init_args.<scheme>]`` tables: drawn schemes, their own arguments, values they accept."""
    _check_table("init_args", init_args)
    drawn = _init_values(init)
    result = {}
    for scheme, table in init_args.items():
        key = f"init_args.{scheme}"
        if scheme not in initializer_names():
            error = unknown_name_error("initializer", scheme, initializer_names())
            raise ConfigError(f"Invalid search space key {key!r}: {error}")
        if scheme not in drawn:
            raise config_error(
                key,
                "arguments are given for a scheme that 'init' never draws",
                {"init": list(drawn)},
            )
        _check_table(key, table)
        valid = _scheme_arguments(scheme) + SCHEME_OVERRIDES
        args = {}
        for arg, raw in table.items():
            if arg not in valid:
                error = unknown_name_error(f"argument of initializer {scheme!r}", arg, valid)
                raise ConfigError(f"Invalid search space key '{key}.{arg}': {error}")
            parameter = PARAMETERS[arg] if arg in SCHEME_OVERRIDES else ANY_ARGUMENT
            args[arg] = parse_dimension(f"{key}.{arg}", raw, parameter)
        _check_scheme_values(scheme, args)
        result[scheme] = args
    return result


def _candidates(dim: Dimension) -> tuple[Any, ...]:
    """The values to try a scheme with: every choice, or a range's bounds."""
    if isinstance(dim, Categorical):
        return dim.choices
    if isinstance(dim, (FloatRange, IntRange)):
        return (dim.low, dim.high)
    return (dim.value,)


def _check_scheme_values(scheme: str, args: dict[str, Dimension]) -> None:
    """Build the scheme with each value an argument can take (others fixed or at default)."""
    fixed = {
        a: d.value for a, d in args.items() if isinstance(d, Fixed) and a not in SCHEME_OVERRIDES
    }
    _try_build(scheme, fixed, f"init_args.{scheme}")
    for arg, dim in args.items():
        if arg in SCHEME_OVERRIDES or isinstance(dim, Fixed):
            continue
        for value in _candidates(dim):
            _try_build(scheme, {**fixed, arg: value}, f"init_args.{scheme}.{arg}")


def _try_build(scheme: str, kwargs: dict[str, Any], key: str) -> None:
    from ..initializers import get

    try:
        get(scheme, **kwargs)
    except Exception as e:  # the scheme's own validation, whatever it raises
        raise ConfigError(
            f"Invalid search space key {key!r}: initializer {scheme!r} rejects the arguments "
            f"{kwargs}: {e}"
        ) from e


def check_grid(dims: dict[str, Dimension], args: dict[str, dict[str, Dimension]]) -> None:
    """A grid has only lists and fixed values, and fixed conditional arguments."""
    for name, dim in dims.items():
        if isinstance(dim, (FloatRange, IntRange)):
            raise config_error(
                f"params.{name}", "a grid space takes a list of values, not a range", dim.to_raw()
            )
    for scheme, table in args.items():
        for arg, dim in table.items():
            if not isinstance(dim, Fixed) or arg in SCHEME_OVERRIDES:
                raise config_error(
                    f"init_args.{scheme}.{arg}",
                    "a grid space takes only fixed scheme arguments (no choices, ranges or "
                    "init_scale overrides: they would repeat grid points)",
                    dim.to_raw(),
                )
    if not any(isinstance(dim, Categorical) for dim in dims.values()):
        raise config_error(
            "params",
            "a grid space needs at least one list of values",
            {n: d.to_raw() for n, d in dims.items()},
        )
