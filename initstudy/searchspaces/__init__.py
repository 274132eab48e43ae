"""Declarative search spaces: what a study draws, as TOML or a dict, mapped to Optuna.

A :class:`SearchSpace` names estimator parameters (``init``, ``init_scale``, ...) with a list of
choices, a ``{low, high, log}`` range or a fixed value, plus per-scheme initializer arguments
drawn only when that scheme is drawn. Presets: ``keras``, ``variance-scaling``, ``classic``,
``all`` and ``grid`` (see :func:`available_spaces`).

A space in TOML::

    name = "mine"                   # optional (default: the file name)
    description = "He vs VS"        # optional
    grid = false                    # true: a full-factorial grid for GridSampler

    [params]                        # estimator parameters, by their own names
    init = ["he_normal", "variance_scaling", "random_uniform"]   # a list: choices
    init_scale = { low = 0.1, high = 10.0, log = true }          # a range (float or int)
    hidden_layer_sizes = ["64,64", "128"]                        # tuples as strings
    learning_rate_init = 0.001                                   # a value: fixed

    [init_args.variance_scaling]    # drawn only when init = "variance_scaling"
    mode = ["fan_in", "fan_avg"]    # Optuna name: "init.variance_scaling.mode"

    [init_args.random_uniform]
    minval = -1.0
    maxval = 1.0
    init_scale = { low = 0.01, high = 1.0, log = true }  # replaces init_scale for this scheme

``suggest(trial)`` then returns e.g. ``{"init": {"class_name": "variance_scaling", "config":
{"mode": "fan_avg"}}, "init_scale": 2.3, "hidden_layer_sizes": (64, 64),
"learning_rate_init": 0.001}``, and ``estimator_params(study.best_params)`` rebuilds that dict.
"""

from ._dimensions import Categorical, Fixed, FloatRange, IntRange
from ._io import available_spaces, dumps, from_dict, get_space, load
from ._parameters import ACTIVATIONS, PARAMETERS
from ._space import SearchSpace

__all__ = [
    "ACTIVATIONS",
    "PARAMETERS",
    "Categorical",
    "Fixed",
    "FloatRange",
    "IntRange",
    "SearchSpace",
    "available_spaces",
    "dumps",
    "from_dict",
    "get_space",
    "load",
]
