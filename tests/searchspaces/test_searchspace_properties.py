"""Property tests: valid spaces round-trip and work; junk raises ConfigError and nothing else."""

from __future__ import annotations

import math

import optuna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initstudy import initializers
from initstudy.exceptions import ConfigError
from initstudy.searchspaces import PARAMETERS, SearchSpace, dumps, get_space, load

optuna.logging.set_verbosity(optuna.logging.WARNING)

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SCHEMES = initializers.available()
TEXT = st.characters(exclude_categories=["Cs"])  # no lone surrogates: not UTF-8 encodable
POSITIVE = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


def _unique(elements: st.SearchStrategy, max_size: int = 4) -> st.SearchStrategy:
    return st.lists(elements, min_size=1, max_size=max_size, unique=True)


@st.composite
def float_entry(draw: st.DrawFn, values: st.SearchStrategy = POSITIVE) -> object:
    kind = draw(st.sampled_from(["fixed", "choices", "range"]))
    if kind == "fixed":
        return draw(values)
    if kind == "choices":
        return draw(_unique(values))
    low, high = sorted(draw(_unique(values, 2).filter(lambda v: len(v) == 2)))
    return {"low": low, "high": high, "log": draw(st.booleans())}


@st.composite
def int_entry(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["fixed", "choices", "range"]))
    if kind == "fixed":
        return draw(st.integers(1, 512))
    if kind == "choices":
        return draw(_unique(st.integers(1, 512)))
    low, step, count = draw(st.integers(1, 64)), draw(st.integers(1, 8)), draw(st.integers(1, 10))
    return {"low": low, "high": low + step * count, "step": step}


def _subset(values: list[str]) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(values), _unique(st.sampled_from(values)))


@st.composite
def valid_space(draw: st.DrawFn) -> dict:
    init = draw(_unique(st.sampled_from(SCHEMES), 6))
    params: dict = {"init": init if len(init) > 1 else init[0]}
    optional = {
        "init_scale": float_entry(),
        "learning_rate_init": float_entry(st.floats(1e-5, 1.0)),
        "alpha": float_entry(st.floats(1e-6, 1.0)),
        "batch_size": int_entry(),
        "activation": _subset(["relu", "tanh", "logistic", "gelu"]),
        "hidden_layer_sizes": _unique(
            st.lists(st.integers(1, 256), min_size=1, max_size=3).map(
                lambda ws: ",".join(map(str, ws))
            )
        ),
        "early_stopping": st.one_of(st.booleans(), st.just([True, False])),
        "bias_init": st.one_of(st.floats(-1, 1), _unique(st.floats(-1, 1))),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        params[name] = draw(optional[name])
    init_args: dict = {}
    if "variance_scaling" in init:
        init_args["variance_scaling"] = {
            "mode": draw(_subset(["fan_in", "fan_out", "fan_avg"])),
            "scale": draw(float_entry()),
        }
    if "sparse" in init:
        init_args["sparse"] = {"nonzero": draw(int_entry()), "init_scale": draw(float_entry())}
    data = {"params": params, "name": draw(st.text(TEXT, min_size=1).filter(str.strip))}
    if init_args:
        data["init_args"] = init_args
    return data


@SETTINGS
@given(valid_space())
def test_valid_spaces_round_trip(data):
    space = SearchSpace.from_dict(data)
    assert SearchSpace.from_dict(space.to_dict()) == space
    assert SearchSpace.from_dict(space.to_dict()).to_dict() == space.to_dict()
    assert get_space(space.to_dict()) == space


@settings(SETTINGS, max_examples=40)
@given(valid_space())
def test_valid_spaces_round_trip_through_toml(tmp_path, data):
    space = SearchSpace.from_dict(data)
    path = tmp_path / "space.toml"
    path.write_text(dumps(space), encoding="utf-8")
    assert load(path) == space


@settings(SETTINGS, max_examples=40)
@given(valid_space(), st.integers(0, 2**31 - 1))
def test_valid_spaces_suggest_and_replay(data, seed):
    space = SearchSpace.from_dict(data)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(3):
        trial = study.ask()
        params = space.suggest(trial)
        study.tell(trial, 0.0)
        assert set(params) <= set(PARAMETERS)
        initializers.get(params["init"])
        assert space.estimator_params(trial.params) == params


# -- junk -------------------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**400), 10**400),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(SCHEMES + ["relu", "adam", "fan_in", "64,64", "", "0"]),
)
KEYS = st.one_of(
    st.sampled_from(
        sorted(PARAMETERS)
        + [
            "low",
            "high",
            "log",
            "step",
            "type",
            "mode",
            "nonzero",
            "gain",
            "scale",
            "init_scale",
            "choices",
        ]
    ),
    st.text(max_size=6),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(KEYS, st.integers(0, 3)), inner, max_size=4),
    ),
    max_leaves=12,
)
RANGE = st.fixed_dictionaries(
    {"low": SCALARS, "high": SCALARS},
    optional={"log": SCALARS, "step": SCALARS, "type": st.sampled_from(["int", "float", "x"])},
)
ENTRY = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), RANGE, JUNK)
JUNK_SPACE = st.fixed_dictionaries(
    {"params": st.one_of(st.dictionaries(st.one_of(KEYS, st.integers()), ENTRY, max_size=4), JUNK)},
    optional={
        "init_args": st.one_of(
            st.dictionaries(
                st.sampled_from(SCHEMES + ["he_nrmal"]),
                st.dictionaries(KEYS, ENTRY, max_size=3),
                max_size=2,
            ),
            JUNK,
        ),
        "grid": st.one_of(st.booleans(), SCALARS),
    },
)


def _slots(node: object) -> list[tuple[object, object]]:
    """Every (container, key or index) inside a nested dict/list."""
    found: list[tuple[object, object]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in list(items):
        found.append((node, key))
        found.extend(_slots(child))
    return found


@st.composite
def mutated_space(draw: st.DrawFn) -> dict:
    """A valid space with one to three leaves replaced, added or deleted."""
    data = draw(valid_space())
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "replace", "add", "delete"]))
        if action == "replace":
            container[key] = draw(ENTRY)  # type: ignore[index]
        elif action == "add" and isinstance(container, dict):
            container[draw(KEYS)] = draw(ENTRY)
        elif action == "add":
            container.append(draw(SCALARS))  # type: ignore[attr-defined]
        else:
            del container[key]  # type: ignore[attr-defined]
    return data


def _accept_or_config_error(data: object) -> SearchSpace | None:
    try:
        return SearchSpace.from_dict(data)  # type: ignore[arg-type]
    except ConfigError as e:
        assert str(e)
        return None


@settings(SETTINGS, max_examples=400)
@given(st.one_of(mutated_space(), JUNK_SPACE, JUNK))
def test_junk_raises_config_error_only(data):
    space = _accept_or_config_error(data)
    if space is not None:  # whatever was accepted must work
        assert SearchSpace.from_dict(space.to_dict()) == space
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        trial = study.ask()
        params = space.suggest(trial)
        assert space.estimator_params(trial.params) == params
        for value in params.values():
            assert not (isinstance(value, float) and not math.isfinite(value))


@settings(SETTINGS, max_examples=150)
@given(st.text(TEXT, max_size=80))
def test_junk_toml_text_raises_config_error_only(tmp_path, text):
    path = tmp_path / "junk.toml"
    path.write_text("[params]\n" + text, encoding="utf-8")
    try:
        load(path)
    except ConfigError:
        pass


@pytest.mark.parametrize("value", [None, 3, 2.5, [], ["keras"], b"keras", object()])
def test_get_space_junk(value):
    with pytest.raises(ConfigError):
        get_space(value)
