"""The :class:`SearchSpace`: a frozen, validated description of what a study searches."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import optuna

from ..exceptions import ConfigError, unknown_name_error
from ._dimensions import Categorical, Dimension
from ._parameters import PARAMETERS, TO_ESTIMATOR, config_error
from ._replay import ReplayTrial
from ._validate import SCHEME_OVERRIDES, check_grid, check_type, parse_init_args, parse_params

__all__ = ["SearchSpace"]

#: The keys of a search-space table.
TOP_KEYS = ("description", "grid", "init_args", "name", "params")


class SearchSpace:
    """A frozen, validated search space: which estimator parameters a study draws, and how.

    Parameters
    ----------
    params : mapping
        Estimator parameter name -> entry. The names are the estimator's own (``init``,
        ``init_scale``, ``bias_init``, ``learning_rate_init``, ``activation``,
        ``hidden_layer_sizes``, ``alpha``, ``batch_size``, ``solver``, ``max_iter``, ...). An entry
        is a list (a categorical choice), a table ``{low, high, log = false, step}`` (a float or
        int range, by the parameter's type) or a single value (fixed, not searched).
        ``hidden_layer_sizes`` values are strings such as ``"64,64"`` (a bare int or a list of
        ints is normalized to that form); the estimator receives tuples.
    init_args : mapping, optional
        Initializer name -> {argument -> entry}: arguments drawn only when that scheme is drawn
        for ``init`` (conditional parameters). Entries are as in ``params``; a range's type comes
        from ``type = "float"|"int"`` or, when absent, from its bounds (all ints -> int). The key
        ``init_scale`` in a scheme's table replaces the top-level ``init_scale`` for that scheme.
        Their Optuna names are ``init.<scheme>.<argument>``.
    name : str, default="custom"
        Shown in listings and stored with the study.
    description : str, default=""
        One sentence for listings.
    grid : bool, default=False
        A full-factorial grid for ``optuna.samplers.GridSampler``: every entry must then be a
        list or a fixed value, and ``init_args`` entries fixed values.

    Attributes
    ----------
    name, description : str
    is_grid : bool
    params : mapping of str to Dimension
        The parsed entries (read-only).
    init_args : mapping of str to mapping of str to Dimension
        The parsed conditional arguments (read-only).

    Raises
    ------
    ConfigError
        For anything invalid: the message names the key, the rule and the value received;
        unknown names suggest the nearest valid one and list them all.

    Examples
    --------
    >>> import optuna
    >>> space = SearchSpace({"init": ["he_normal", "orthogonal"],
    ...                      "init_scale": {"low": 0.1, "high": 10.0, "log": True}})
    >>> trial = optuna.create_study().ask()
    >>> sorted(space.suggest(trial))
    ['init', 'init_scale']
    """

    __slots__ = ("_name", "_description", "_params", "_init_args", "_is_grid")
    _name: str
    _description: str
    _params: Mapping[str, Dimension]
    _init_args: Mapping[str, Mapping[str, Dimension]]
    _is_grid: bool

    def __init__(
        self,
        params: Mapping[str, Any],
        *,
        init_args: Mapping[str, Mapping[str, Any]] | None = None,
        name: str = "custom",
        description: str = "",
        grid: bool = False,
    ) -> None:
        check_type("name", name, str, "a string")
        if not name.strip():
            raise config_error("name", "the name must not be empty", name)
        check_type("description", description, str, "a string")
        check_type("grid", grid, bool, "true or false")
        dims = parse_params(params)
        args = parse_init_args({} if init_args is None else init_args, dims.get("init"))
        if grid:
            check_grid(dims, args)
        frozen_args = {s: MappingProxyType(a) for s, a in args.items()}
        for slot, value in (
            ("_name", name),
            ("_description", description),
            ("_params", MappingProxyType(dims)),
            ("_init_args", MappingProxyType(frozen_args)),
            ("_is_grid", grid),
        ):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SearchSpace is immutable: cannot set {name!r}.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SearchSpace is immutable: cannot delete {name!r}.")

    @property
    def name(self) -> str:
        """The space's name."""
        return self._name

    @property
    def description(self) -> str:
        """One sentence for listings."""
        return self._description

    @property
    def is_grid(self) -> bool:
        """True for a full-factorial grid (see :meth:`grid`)."""
        return self._is_grid

    @property
    def params(self) -> Mapping[str, Dimension]:
        """Parameter name -> :class:`Dimension` (read-only)."""
        return self._params

    @property
    def init_args(self) -> Mapping[str, Mapping[str, Dimension]]:
        """Scheme -> argument -> :class:`Dimension` (read-only)."""
        return self._init_args

    # -- drawing ---------------------------------------------------------------------------
    def suggest(self, trial: optuna.Trial | Any) -> dict[str, Any]:
        """Draw estimator parameters from an Optuna trial.

        Parameters
        ----------
        trial : optuna.Trial
            Asked with ``suggest_categorical``/``suggest_float``/``suggest_int``; fixed values are
            not asked. ``init`` is drawn first, then its scheme's conditional arguments, then the
            other parameters in the order the space lists them.

        Returns
        -------
        dict
            Estimator parameters, in the space's order. ``init`` is the scheme name, or
            ``{"class_name": scheme, "config": {...}}`` (accepted by
            :func:`initstudy.initializers.get`) when the scheme has arguments in ``init_args``;
            ``hidden_layer_sizes`` is a tuple of ints.
        """
        init, overrides = self._suggest_init(trial)
        result: dict[str, Any] = {}
        for name, dim in self._params.items():
            if name == "init":
                result[name] = init
            elif name in overrides:
                result[name] = overrides.pop(name)
            else:
                result[name] = _to_estimator(name, dim.suggest(trial, name))
        result.update(overrides)
        return result

    def _suggest_init(self, trial: Any) -> tuple[Any, dict[str, Any]]:
        """Draw ``init`` and its scheme's arguments; return (init value, scheme overrides)."""
        dim = self._params.get("init")
        if dim is None:
            return None, {}
        scheme = dim.suggest(trial, "init")
        config: dict[str, Any] = {}
        overrides: dict[str, Any] = {}
        for arg, arg_dim in self._init_args.get(scheme, {}).items():
            value = arg_dim.suggest(trial, f"init.{scheme}.{arg}")
            (overrides if arg in SCHEME_OVERRIDES else config)[arg] = value
        init = {"class_name": scheme, "config": config} if config else scheme
        return init, overrides

    def estimator_params(self, trial_params: Mapping[str, Any]) -> dict[str, Any]:
        """Rebuild :meth:`suggest`'s output from stored trial parameters, without a trial.

        Parameters
        ----------
        trial_params : mapping
            Optuna parameter values, e.g. ``study.best_params`` or ``frozen_trial.params``.

        Returns
        -------
        dict
            The estimator parameters :meth:`suggest` returned for that trial.

        Raises
        ------
        ConfigError
            If a parameter the space asks for is missing, a value is outside its distribution,
            or a given parameter is not part of this space.
        """
        if not isinstance(trial_params, Mapping):
            raise config_error("trial_params", "trial parameters must be a mapping", trial_params)
        replay = ReplayTrial(trial_params)
        result = self.suggest(replay)
        unused = sorted(set(map(str, trial_params)) - replay.used)
        if unused:
            raise ConfigError(
                f"The trial parameters {unused} are not part of search space {self._name!r}, "
                f"which draws {sorted(self.distributions())}."
            )
        return result

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Every Optuna parameter this space can draw, with its distribution.

        Conditional arguments appear under ``init.<scheme>.<argument>``; fixed values do not
        appear.
        """
        result = {}
        for name, dim in self._params.items():
            if dim.distribution() is not None:
                result[name] = dim.distribution()
            if name == "init":
                for scheme, args in self._init_args.items():
                    for arg, arg_dim in args.items():
                        if arg_dim.distribution() is not None:
                            result[f"init.{scheme}.{arg}"] = arg_dim.distribution()
        return result

    # -- grids -----------------------------------------------------------------------------
    def grid(self) -> dict[str, list[Any]]:
        """The search space of ``optuna.samplers.GridSampler``: name -> list of values.

        Raises
        ------
        ConfigError
            If the space is not a grid (``grid = true``).
        """
        if not self._is_grid:
            raise ConfigError(
                f"Search space {self._name!r} is not a grid: only a space with grid = true "
                "(every entry a list or a fixed value) can be run with GridSampler."
            )
        return {n: list(d.choices) for n, d in self._params.items() if isinstance(d, Categorical)}

    @property
    def grid_size(self) -> int:
        """The number of grid points (the product of the list lengths); 0 when not a grid."""
        if not self._is_grid:
            return 0
        return math.prod(len(values) for values in self.grid().values())

    # -- round trip ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The TOML/JSON-ready form; ``SearchSpace.from_dict(space.to_dict()) == space``."""
        result: dict[str, Any] = {
            "name": self._name,
            "description": self._description,
            "grid": self._is_grid,
            "params": {name: dim.to_raw() for name, dim in self._params.items()},
        }
        if self._init_args:
            result["init_args"] = {
                scheme: {arg: dim.to_raw(typed=True) for arg, dim in args.items()}
                for scheme, args in self._init_args.items()
            }
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Build a space from its dict form (a TOML table): keys ``params`` (required),
        ``init_args``, ``name``, ``description``, ``grid``.

        Raises
        ------
        ConfigError
            For an unknown top-level key (with a suggestion) or any invalid entry.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"A search space must be a table (dict). Got {type(data).__name__} instead."
            )
        for key in data:
            if key not in TOP_KEYS:
                error = unknown_name_error("search space key", key, TOP_KEYS)
                raise ConfigError(f"{error} Parameters go in the [params] table.")
        if "params" not in data:
            raise config_error("params", "a search space needs a [params] table", dict(data))
        kwargs = {k: data[k] for k in ("init_args", "name", "description", "grid") if k in data}
        return cls(data["params"], **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_dict, (self.to_dict(),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SearchSpace):
            return NotImplemented
        return self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def _canonical(self) -> str:
        """The JSON of :meth:`to_dict`: equal spaces have equal text (and ``1 != 1.0`` here)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def __repr__(self) -> str:
        grid = ", grid=True" if self._is_grid else ""
        return f"SearchSpace(name={self._name!r}, params={list(self._params)}{grid})"


def _from_dict(data: Mapping[str, Any]) -> SearchSpace:
    return SearchSpace.from_dict(data)


def _to_estimator(name: str, value: Any) -> Any:
    convert = TO_ESTIMATOR.get(PARAMETERS[name].kind)
    return value if convert is None else convert(value)
