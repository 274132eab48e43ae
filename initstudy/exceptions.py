"""The exceptions and warnings initstudy raises.

Every error is an :class:`InitStudyError`; each subclass also inherits the built-in type that
callers already catch (``ValueError`` for bad input, ``RuntimeError`` for backend failures).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataError",
    "DivergenceWarning",
    "DivergedError",
    "InitStudyError",
    "StorageError",
    "StudyConflictError",
    "unknown_name_error",
]


class InitStudyError(Exception):
    """Base class of every error raised by initstudy."""


class ConfigError(InitStudyError, ValueError):
    """A parameter, a name or a configuration file is invalid."""


class DataError(InitStudyError, ValueError):
    """A dataset cannot be found, read or used."""


class StorageError(InitStudyError, RuntimeError):
    """The study database cannot be opened, read or written."""


class StudyConflictError(StorageError):
    """A stored study of the same name was made with a different configuration."""


class DivergedError(InitStudyError, RuntimeError):
    """A model whose training diverged was asked to predict."""


class DivergenceWarning(UserWarning):
    """Training produced a non-finite loss and was stopped (the fit is marked ``diverged_``)."""


def unknown_name_error(
    kind: str, name: object, valid: Iterable[str], cls: type[InitStudyError] = ConfigError
) -> InitStudyError:
    """Build the error for an unknown name, with the nearest valid name and the sorted list."""
    choices = sorted(valid)
    message = f"Unknown {kind} {name!r}."
    if isinstance(name, str):
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        if close:
            message += f" Did you mean {close[0]!r}?"
    message += " Valid: " + ", ".join(choices) + "."
    return cls(message)
