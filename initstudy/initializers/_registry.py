"""The registry of named initializers: ``get``, ``available`` and ``register``."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from ..exceptions import ConfigError, unknown_name_error
from ._base import Initializer

__all__ = ["available", "get", "register", "serialize"]

_REGISTRY: dict[str, type[Initializer]] = {}
_T = TypeVar("_T", bound=type[Initializer])


def snake_case(name: str) -> str:
    """``HeNormal`` -> ``he_normal``, ``LSUV`` -> ``lsuv``, ``SklearnDefault`` -> ``sklearn_default``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def register(cls: _T) -> _T:
    """Class decorator: register ``cls`` under the snake_case of its name."""
    _REGISTRY[snake_case(cls.__name__)] = cls
    return cls


def available() -> list[str]:
    """Return the registered initializer names, sorted."""
    return sorted(_REGISTRY)


def registry_name(initializer: Initializer) -> str:
    """The registry name of an initializer instance."""
    return snake_case(type(initializer).__name__)


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Return ``{"class_name": name, "config": {...}}``, the form :func:`get` accepts back."""
    return {"class_name": registry_name(initializer), "config": initializer.get_config()}


def get(identifier: str | dict[str, Any] | Initializer, **kwargs: Any) -> Initializer:
    """Resolve an initializer from a name, a config dict or an instance.

    Parameters
    ----------
    identifier : str, dict or Initializer
        A registered name (``"he_normal"``), a dict ``{"class_name": name, "config": {...}}``,
        or an :class:`Initializer`, returned as it is.
    **kwargs
        Constructor arguments, with a name only (``get("orthogonal", gain=2.0)``).

    Returns
    -------
    Initializer

    Raises
    ------
    ConfigError
        If the name is unknown (the message lists the valid names and suggests the nearest) or
        an argument is not accepted by the scheme.

    Examples
    --------
    >>> from initstudy import initializers
    >>> initializers.get("he_normal")
    HeNormal()
    """
    if isinstance(identifier, Initializer):
        if kwargs:
            raise ConfigError(
                "Arguments can only be given with an initializer name, not an instance."
            )
        return identifier
    if isinstance(identifier, dict):
        if set(identifier) - {"class_name", "config"} or "class_name" not in identifier:
            raise ConfigError(
                "An initializer config dict must have the keys 'class_name' and optionally "
                f"'config'. Got keys {sorted(identifier)} instead."
            )
        config = dict(identifier.get("config") or {})
        config.update(kwargs)
        return get(identifier["class_name"], **config)
    if not isinstance(identifier, str):
        raise ConfigError(
            "An initializer must be a name, a config dict or an Initializer. "
            f"Got {identifier!r} of type {type(identifier).__name__} instead."
        )
    key = identifier.strip()
    key = key.lower() if key.lower() in _REGISTRY else snake_case(key)  # "HeNormal" works too
    if key not in _REGISTRY:
        raise unknown_name_error("initializer", identifier, _REGISTRY)
    cls = _REGISTRY[key]
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"Invalid arguments for initializer {key!r}: {e}.") from e
