"""Every invalid search space raises ConfigError naming the key, the rule and the value."""

from __future__ import annotations

import pytest

from initstudy.exceptions import ConfigError
from initstudy.searchspaces import SearchSpace

P = "params"

# (case id, space dict, words the message must contain)
CASES = [
    ("not a table", ["init"], ["must be a table", "Got list"]),
    (
        "unknown top key",
        {P: {"init": "he_normal"}, "parms": {}},
        ["Unknown search space key 'parms'", "Did you mean 'params'"],
    ),
    ("missing params", {"name": "x"}, ["'params'", "needs a [params] table"]),
    ("params not a table", {P: ["init"]}, ["'params'", "must be a table"]),
    ("empty params", {P: {}}, ["'params'", "at least one parameter"]),
    (
        "unknown parameter",
        {P: {"learning_rate": 0.1}},
        ["'params.learning_rate'", "Did you mean 'learning_rate_init'", "Valid:"],
    ),
    ("non-string key", {P: {1: 0.1}}, ["table keys must be strings", "1"]),
    (
        "unknown scheme",
        {P: {"init": ["he_norml"]}},
        ["'params.init[0]'", "Unknown initializer 'he_norml'", "Did you mean 'he_normal'"],
    ),
    ("scheme not a string", {P: {"init": 3}}, ["'params.init'", "Unknown initializer 3"]),
    (
        "unknown activation",
        {P: {"activation": ["relu", "rleu"]}},
        ["'params.activation[1]'", "Unknown activation 'rleu'", "Did you mean 'relu'"],
    ),
    (
        "unknown solver",
        {P: {"solver": "lbfgs"}},
        ["'params.solver'", "Unknown solver 'lbfgs'", "adam, sgd"],
    ),
    ("empty choices", {P: {"init": []}}, ["'params.init'", "must not be empty", "[]"]),
    ("duplicate choices", {P: {"init": ["he_normal", "he_normal"]}}, ["'params.init'", "distinct"]),
    (
        "duplicate numbers",
        {P: {"init": "sparse"}, "init_args": {"sparse": {"nonzero": [5, 5.0]}}},
        ["'init_args.sparse.nonzero'", "distinct"],
    ),
    ("nested choice", {P: {"alpha": [[0.1]]}}, ["'params.alpha[0]'", "single value"]),
    (
        "low >= high",
        {P: {"init_scale": {"low": 2.0, "high": 1.0}}},
        ["'params.init_scale'", "low must be < high", "'low': 2.0"],
    ),
    (
        "low == high",
        {P: {"alpha": {"low": 0.1, "high": 0.1}}},
        ["'params.alpha'", "low must be < high"],
    ),
    (
        "log with zero low",
        {P: {"alpha": {"low": 0.0, "high": 1.0, "log": True}}},
        ["'params.alpha'", "log range needs low > 0"],
    ),
    (
        "log with negative low",
        {P: {"init_scale": {"low": -1.0, "high": 1.0, "log": True}}},
        ["'params.init_scale'", "log range needs low > 0", "-1.0"],
    ),
    (
        "log int range low 0",
        {P: {"batch_size": {"low": 0, "high": 8, "log": True}}},
        ["'params.batch_size'", "log range needs low > 0"],
    ),
    ("missing high", {P: {"init_scale": {"low": 0.1}}}, ["'params.init_scale'", "missing 'high'"]),
    (
        "unknown range key",
        {P: {"init_scale": {"low": 0.1, "hihg": 1.0}}},
        ["'params.init_scale'", "Unknown range key 'hihg'", "Did you mean 'high'"],
    ),
    (
        "string bound",
        {P: {"init_scale": {"low": "0.1", "high": 1.0}}},
        ["'params.init_scale.low'", "must be a number", "'0.1'"],
    ),
    (
        "nan bound",
        {P: {"init_scale": {"low": float("nan"), "high": 1.0}}},
        ["'params.init_scale.low'", "finite"],
    ),
    (
        "inf bound",
        {P: {"init_scale": {"low": 0.1, "high": float("inf")}}},
        ["'params.init_scale.high'", "finite"],
    ),
    (
        "huge int bound",
        {P: {"init_scale": {"low": 0.1, "high": 10**400}}},
        ["'params.init_scale.high'", "finite"],
    ),
    (
        "log not bool",
        {P: {"init_scale": {"low": 0.1, "high": 1.0, "log": "yes"}}},
        ["'params.init_scale.log'", "true or false"],
    ),
    (
        "log and step",
        {P: {"init_scale": {"low": 0.1, "high": 1.0, "log": True, "step": 0.1}}},
        ["'params.init_scale'", "both step and log"],
    ),
    (
        "step not dividing",
        {P: {"alpha": {"low": 0.0, "high": 1.0, "step": 0.3}}},
        ["'params.alpha'", "multiple of step"],
    ),
    (
        "int step not dividing",
        {P: {"batch_size": {"low": 16, "high": 100, "step": 16}}},
        ["'params.batch_size'", "multiple of step"],
    ),
    (
        "int step zero",
        {P: {"batch_size": {"low": 16, "high": 100, "step": 0}}},
        ["'params.batch_size.step'", "step must be >= 1"],
    ),
    (
        "float range for int",
        {P: {"max_iter": {"low": 1.5, "high": 10}}},
        ["'params.max_iter.low'", "integers"],
    ),
    (
        "wrong range type",
        {P: {"max_iter": {"low": 1, "high": 10, "type": "float"}}},
        ["'params.max_iter.type'", "this parameter is a int"],
    ),
    (
        "range for categorical",
        {P: {"activation": {"low": 1, "high": 2}}},
        ["'params.activation'", "only allowed for a numeric parameter"],
    ),
    (
        "range for init",
        {P: {"init": {"low": 1, "high": 2}}},
        ["'params.init'", "only allowed for a numeric parameter"],
    ),
    (
        "negative init_scale",
        {P: {"init_scale": -1.0}},
        ["'params.init_scale'", "must be > 0", "-1.0"],
    ),
    (
        "zero init_scale in range",
        {P: {"init_scale": {"low": 0.0, "high": 1.0}}},
        ["'params.init_scale'", "must be > 0", "0.0"],
    ),
    ("nan init_scale", {P: {"init_scale": float("nan")}}, ["'params.init_scale'", "finite"]),
    ("bool as float", {P: {"alpha": True}}, ["'params.alpha'", "must be a number", "True"]),
    ("float as int", {P: {"batch_size": 32.0}}, ["'params.batch_size'", "must be an integer"]),
    ("zero batch size", {P: {"batch_size": [0, 32]}}, ["'params.batch_size[0]'", "must be >= 1"]),
    (
        "validation fraction",
        {P: {"validation_fraction": 1.0}},
        ["'params.validation_fraction'", "(0, 1)"],
    ),
    ("int as bool", {P: {"shuffle": 1}}, ["'params.shuffle'", "true or false"]),
    (
        "empty layers",
        {P: {"hidden_layer_sizes": ""}},
        ["'params.hidden_layer_sizes'", "positive layer widths"],
    ),
    (
        "zero layer",
        {P: {"hidden_layer_sizes": ["64,0"]}},
        ["'params.hidden_layer_sizes[0]'", "positive layer widths", "'64,0'"],
    ),
    (
        "bad layer text",
        {P: {"hidden_layer_sizes": "64;64"}},
        ["'params.hidden_layer_sizes'", "'64;64'"],
    ),
    (
        "bias not number",
        {P: {"bias_init": [0.0, "zeroes"]}},
        ["'params.bias_init[1]'", "Did you mean 'zeros'"],
    ),
    ("unknown dtype", {P: {"dtype": "float16"}}, ["'params.dtype'", "Unknown dtype 'float16'"]),
    ("name not str", {P: {"init": "he_normal"}, "name": 3}, ["'name'", "must be a string"]),
    ("empty name", {P: {"init": "he_normal"}, "name": " "}, ["'name'", "must not be empty"]),
    ("grid not bool", {P: {"init": "he_normal"}, "grid": "yes"}, ["'grid'", "true or false"]),
    (
        "init_args not table",
        {P: {"init": "sparse"}, "init_args": ["sparse"]},
        ["'init_args'", "must be a table"],
    ),
    (
        "init_args unknown scheme",
        {P: {"init": "sparse"}, "init_args": {"sprase": {}}},
        ["'init_args.sprase'", "Did you mean 'sparse'"],
    ),
    (
        "init_args scheme not drawn",
        {P: {"init": ["he_normal"]}, "init_args": {"sparse": {"nonzero": 3}}},
        ["'init_args.sparse'", "never draws", "he_normal"],
    ),
    (
        "init_args without init",
        {P: {"alpha": 0.1}, "init_args": {"sparse": {"nonzero": 3}}},
        ["'init_args.sparse'", "never draws"],
    ),
    (
        "init_args scheme table not table",
        {P: {"init": "sparse"}, "init_args": {"sparse": 3}},
        ["'init_args.sparse'", "must be a table"],
    ),
    (
        "unknown scheme argument",
        {P: {"init": "variance_scaling"}, "init_args": {"variance_scaling": {"mdoe": ["fan_in"]}}},
        ["'init_args.variance_scaling.mdoe'", "Did you mean 'mode'", "distribution"],
    ),
    (
        "bad scheme argument value",
        {
            P: {"init": "variance_scaling"},
            "init_args": {"variance_scaling": {"mode": ["fan_in", "fan_ni"]}},
        },
        ["'init_args.variance_scaling.mode'", "rejects", "fan_ni"],
    ),
    (
        "bad scheme range",
        {
            P: {"init": "orthogonal"},
            "init_args": {"orthogonal": {"gain": {"low": -1.0, "high": 1.0}}},
        },
        ["'init_args.orthogonal.gain'", "rejects", "-1.0"],
    ),
    (
        "bad fixed arguments together",
        {
            P: {"init": "random_uniform"},
            "init_args": {"random_uniform": {"minval": 1.0, "maxval": 0.5}},
        },
        ["'init_args.random_uniform'", "rejects"],
    ),
    (
        "scheme argument a table value",
        {P: {"init": "sparse"}, "init_args": {"sparse": {"nonzero": {"low": 1}}}},
        ["'init_args.sparse.nonzero'", "missing 'high'"],
    ),
    (
        "scheme argument range bad type",
        {
            P: {"init": "sparse"},
            "init_args": {"sparse": {"nonzero": {"low": 1, "high": 4, "type": "str"}}},
        },
        ["'init_args.sparse.nonzero.type'", "'float' or 'int'"],
    ),
    (
        "scheme init_scale override bad",
        {P: {"init": "sparse"}, "init_args": {"sparse": {"init_scale": 0.0}}},
        ["'init_args.sparse.init_scale'", "must be > 0"],
    ),
    (
        "scheme argument huge int",
        {P: {"init": "sparse"}, "init_args": {"sparse": {"nonzero": 2**60}}},
        ["'init_args.sparse.nonzero'", "2**53"],
    ),
    (
        "grid with range",
        {P: {"init": ["he_normal"], "init_scale": {"low": 0.1, "high": 1.0}}, "grid": True},
        ["'params.init_scale'", "grid", "not a range"],
    ),
    (
        "grid with conditional choices",
        {
            P: {"init": ["sparse", "he_normal"]},
            "init_args": {"sparse": {"nonzero": [3, 5]}},
            "grid": True,
        },
        ["'init_args.sparse.nonzero'", "only fixed scheme arguments"],
    ),
    (
        "grid with nothing to sweep",
        {P: {"init": "he_normal"}, "grid": True},
        ["'params'", "at least one list"],
    ),
]


@pytest.mark.parametrize(("data", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_space_raises_config_error(data, words):
    with pytest.raises(ConfigError) as info:
        SearchSpace.from_dict(data)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert isinstance(info.value, ValueError)


def test_unknown_names_list_the_valid_ones_sorted():
    with pytest.raises(ConfigError) as info:
        SearchSpace({"activation": "sigmoid"})
    assert "Valid: elu, gelu, identity, leaky_relu, logistic, relu, selu, tanh." in str(info.value)
