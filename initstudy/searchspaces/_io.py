"""Reading and writing search spaces: TOML files, the shipped presets, and ``get_space``."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError, unknown_name_error
from ._space import SearchSpace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["available_spaces", "dumps", "from_dict", "get_space", "load"]

_PRESET_PACKAGE = "initstudy.searchspaces"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _preset_files() -> dict[str, Any]:
    folder = resources.files(_PRESET_PACKAGE).joinpath("presets")
    return {
        entry.name[: -len(".toml")]: entry
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def available_spaces() -> list[str]:
    """Return the names of the preset search spaces shipped with initstudy, sorted.

    Examples
    --------
    >>> "keras" in available_spaces()
    True
    """
    return sorted(_preset_files())


@functools.cache
def _preset(name: str) -> SearchSpace:
    entry = _preset_files()[name]
    return _from_toml_text(entry.read_text(encoding="utf-8"), f"preset {name!r}", name)


def from_dict(data: Mapping[str, Any]) -> SearchSpace:
    """Build a :class:`SearchSpace` from its dict form (see :meth:`SearchSpace.from_dict`)."""
    return SearchSpace.from_dict(data)


def load(path: str | os.PathLike[str]) -> SearchSpace:
    """Read a search space from a TOML file.

    The file holds the space's table (``[params]``, ``[init_args.<scheme>]``, and optionally
    ``name``, ``description``, ``grid``), or a study file whose ``[space]`` table holds it (the
    file's other tables are then ignored here). ``name`` defaults to the file's stem. Loading
    never executes anything from the file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    SearchSpace

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, is not UTF-8, is malformed TOML (the message
        names the file, line and column) or holds an invalid space (the message names the file
        and the key).
    """
    path = Path(path).expanduser()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"Search space file '{path}' does not exist.") from None
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ConfigError(f"Cannot read search space file '{path}': {reason}.") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"Search space file '{path}' is not UTF-8 text (bad byte at offset {e.start})."
        ) from e
    return _from_toml_text(text, f"'{path}'", path.stem)


def _from_toml_text(text: str, source: str, default_name: str) -> SearchSpace:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Malformed TOML in {source}: {e}.") from e
    if "params" not in data and isinstance(data.get("space"), dict):
        data = data["space"]
    data = dict(data)
    data.setdefault("name", default_name)
    try:
        return SearchSpace.from_dict(data)
    except ConfigError as e:
        raise ConfigError(f"In search space {source}: {e}") from e


def get_space(space: str | os.PathLike[str] | Mapping[str, Any] | SearchSpace) -> SearchSpace:
    """Resolve a search space from a preset name, a TOML path, a dict or a space.

    Parameters
    ----------
    space : str, path-like, dict or SearchSpace
        A preset name (see :func:`available_spaces`; ``_`` and ``-`` are interchangeable), a
        path to a TOML file, a dict (see :meth:`SearchSpace.from_dict`), or a
        :class:`SearchSpace`, returned as it is.

    Returns
    -------
    SearchSpace

    Raises
    ------
    ConfigError
        For an unknown preset name that is not an existing file (with the nearest preset and
        the list), or an invalid file or dict.

    Examples
    --------
    >>> get_space("keras").name
    'keras'
    """
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, Mapping):
        return SearchSpace.from_dict(space)
    if isinstance(space, os.PathLike):
        return load(space)
    if not isinstance(space, str):
        raise ConfigError(
            "A search space must be a preset name, a TOML path, a dict or a SearchSpace. "
            f"Got {space!r} of type {type(space).__name__} instead."
        )
    presets = available_spaces()
    name = space.strip().lower().replace("_", "-")
    if name in presets:
        return _preset(name)
    if Path(space).suffix.lower() == ".toml" or os.sep in space or Path(space).exists():
        return load(space)
    error = unknown_name_error("search space", space, presets)
    raise ConfigError(f"{error} A search space file must be an existing path ending in .toml.")


# -- writing ------------------------------------------------------------------------------
def dumps(space: SearchSpace) -> str:
    """Return the TOML text of ``space``; :func:`load` reads it back to an equal space."""
    data = space.to_dict()
    lines = [f"{key} = {_value(data[key])}" for key in ("name", "description", "grid")]
    lines += ["", "[params]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in data["params"].items()]
    for scheme, args in data.get("init_args", {}).items():
        lines += ["", f"[init_args.{_key(scheme)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in args.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise ConfigError(f"Cannot write {value!r} of type {type(value).__name__} as TOML.")
