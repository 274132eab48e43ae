"""Equivalent schemes: which searched schemes draw the same network up to the scale.

With ``init_scale`` searched, ``he_uniform`` at scale s draws bitwise the weights of
``lecun_uniform`` at s*sqrt(2); ``variance_scaling`` with its defaults draws ``lecun_normal``;
``constant`` (value 0) draws ``zeros``, and no scale changes an all-zero kernel. Searching both
members of such a family spends trials twice on one configuration and invites a table to state
a difference that does not exist. This module finds the families by computation: it draws
every scheme's network on this study's layer shapes at the same seeds and compares the kernels
layer by layer up to one common factor (exactly 1 when the scale is not searched).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..searchspaces import Categorical, Fixed, FloatRange

__all__ = ["SchemeFamilies", "find_families", "layer_shapes", "n_outputs", "searched_space"]

#: Seeds each pair is compared at (every one must agree).
_SEEDS = (0, 1)
#: The tolerance of "the same up to a factor", relative to the kernel's largest weight
#: (float64 rounding: ``low + (high - low) * u`` is not exactly proportional near zero).
_RTOL = 1e-12


class SchemeFamilies:
    """The searched schemes grouped into families of exact rescalings.

    Attributes
    ----------
    aliases : dict of str to list of str
        Representative -> the schemes that draw the same networks (only families of two or more).
    scale_free : list of str
        Schemes whose every kernel is zero, on which ``init_scale`` has no effect.
    searched : list of str
        The schemes to search: one representative per family, in the space's order.
    """

    def __init__(
        self, schemes: Sequence[str], aliases: dict[str, list[str]], scale_free: list[str]
    ) -> None:
        self.aliases = aliases
        self.scale_free = scale_free
        merged = {a for members in aliases.values() for a in members}
        self.searched = [s for s in schemes if s not in merged]

    def line(self) -> str | None:
        """One sentence for the console, or None when nothing is merged or scale-free."""
        parts = [f"{rep} = {', '.join(members)}" for rep, members in self.aliases.items()]
        text = []
        if parts:
            text.append("equivalent schemes searched once: " + "; ".join(parts))
        if self.scale_free:
            text.append("init_scale has no effect on " + ", ".join(self.scale_free))
        return ("Note: " + "; ".join(text) + ".") if text else None


def layer_shapes(n_features: int, hidden: Any, n_outputs: int) -> list[tuple[int, int]]:
    """The kernel shapes ``(fan_in, fan_out)`` of a network with these sizes."""
    if isinstance(hidden, (int, np.integer)):
        hidden = (int(hidden),)
    elif isinstance(hidden, str):
        hidden = tuple(int(h) for h in hidden.split(",") if h.strip())
    else:
        hidden = tuple(int(h) for h in hidden)
    sizes = (int(n_features), *hidden, int(n_outputs))
    return list(zip(sizes[:-1], sizes[1:]))


def _draw(
    scheme: str, context: Mapping[str, Any], shapes: list[tuple[int, int]], seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """One network's kernels and biases at scale 1, or None if it cannot be drawn alone."""
    from ..mlp._init import initial_network

    def no_batch() -> np.ndarray:
        raise LookupError("data-dependent")

    params = {"init": scheme, "init_scale": 1.0, **context}
    try:
        return initial_network(params, shapes, np.random.default_rng(seed), no_batch)
    except Exception:  # noqa: BLE001  (data-dependent or context-specific: never merged)
        return None


def _factor(a: list[np.ndarray], b: list[np.ndarray]) -> float | None:
    """The one c > 0 with b == c * a on every kernel (nan if both are all zero), else None."""
    factors = []
    for x, y in zip(a, b):
        nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
        if nx == 0.0 or ny == 0.0:
            if nx != ny:
                return None
            continue
        c = ny / nx
        if not np.allclose(y, c * x, rtol=0.0, atol=_RTOL * float(np.max(np.abs(y)))):
            return None
        factors.append(c)
    if not factors:
        return float("nan")
    if not np.allclose(factors, factors[0], rtol=1e-9, atol=0.0):
        return None
    return factors[0]


def _same(a: Any, b: Any, scale_searched: bool) -> bool:
    """Whether two draws are the same network up to the (searched) scale."""
    factor = _factor(a[0], b[0])
    if factor is None or len(a[1]) != len(b[1]):
        return False
    if not all(np.array_equal(x, y) for x, y in zip(a[1], b[1])):
        return False
    return scale_searched or np.isnan(factor) or abs(factor - 1.0) <= 1e-12


def _choices(dim: Any, default: Any) -> list[Any]:
    if dim is None:
        return [default]
    if isinstance(dim, Fixed):
        return [dim.value]
    if isinstance(dim, Categorical):
        return list(dim.choices)
    return []  # a range: no finite set of contexts to compare over


def _contexts(space: Any, estimator: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Every (activation, bias_init, hidden_layer_sizes) the study can train, or None."""
    values = {}
    for key, default in (
        ("activation", "relu"),
        ("bias_init", None),
        ("hidden_layer_sizes", (100,)),
    ):
        values[key] = _choices(space.params.get(key), estimator.get(key, default))
        if not values[key]:
            return None
    combos = [dict(zip(values, c)) for c in itertools.product(*values.values())]
    return combos if len(combos) <= 64 else None


def _scale_searched(space: Any, scheme: str) -> bool:
    """True when ``init_scale`` is searched over a continuous range: only then does every
    rescaling of one scheme have its twin in the other. A list of scales (a grid) or a fixed
    scale holds he_normal at 1.0 but not lecun_normal at sqrt(2): those are different."""
    dim = space.init_args.get(scheme, {}).get("init_scale", space.params.get("init_scale"))
    return isinstance(dim, FloatRange)


def find_families(
    space: Any, estimator: Mapping[str, Any], n_features: int, n_outputs: int
) -> SchemeFamilies:
    """Group the space's schemes into families that draw the same networks.

    Parameters
    ----------
    space : SearchSpace
    estimator : mapping
        The study's fixed estimator settings (``activation``, ``bias_init``,
        ``hidden_layer_sizes``), used where the space does not search them.
    n_features, n_outputs : int
        The network's input and output units.

    Returns
    -------
    SchemeFamilies
        Schemes with conditional arguments (``init_args`` other than ``init_scale``) and
        data-dependent schemes are never merged.
    """
    schemes = _choices(space.params.get("init"), estimator.get("init", "glorot_uniform"))
    schemes = [s for s in schemes if isinstance(s, str)]
    contexts = _contexts(space, estimator)
    if contexts is None or len(schemes) < 2:
        return SchemeFamilies(schemes, {}, [])
    draws: dict[str, list[Any]] = {}
    for scheme in schemes:
        if set(space.init_args.get(scheme, {})) - {"init_scale"}:
            continue
        got = [
            _draw(scheme, ctx, layer_shapes(n_features, ctx["hidden_layer_sizes"], n_outputs), seed)
            for ctx in contexts
            for seed in _SEEDS
        ]
        if all(g is not None for g in got):
            draws[scheme] = got
    scale_free = [s for s, got in draws.items() if all(not np.any(k) for g in got for k in g[0])]
    aliases: dict[str, list[str]] = {}
    placed: set[str] = set()
    drawable = [s for s in schemes if s in draws]
    for i, rep in enumerate(drawable):
        if rep in placed:
            continue
        for other in [s for s in drawable[i + 1 :] if s not in placed]:
            searched = _scale_searched(space, rep) and _scale_searched(space, other)
            if all(
                _same(a, b, searched or rep in scale_free) for a, b in zip(draws[rep], draws[other])
            ):
                aliases.setdefault(rep, []).append(other)
                placed.add(other)
        placed.add(rep)
    return SchemeFamilies(schemes, aliases, scale_free)


def n_outputs(task: str, y: Any) -> int:
    """The network's output units: one per class (one for two classes), one per target."""
    if task != "classification":
        shape = np.shape(y)
        return 1 if len(shape) < 2 else int(shape[1])
    n_classes = len(np.unique(np.asarray(y)))
    return 1 if n_classes == 2 else n_classes


def searched_space(space: Any, families: SchemeFamilies) -> Any:
    """``space`` with the aliases left out of ``init`` (the same space when none)."""
    if not families.aliases or not isinstance(space.params.get("init"), Categorical):
        return space
    data = space.to_dict()
    data["params"]["init"] = list(families.searched)
    if "init_args" in data:
        data["init_args"] = {s: a for s, a in data["init_args"].items() if s in families.searched}
        if not data["init_args"]:
            del data["init_args"]
    return type(space).from_dict(data)


def study_space(config: Any, dataset: Any) -> tuple[Any, SchemeFamilies]:
    """The space a study searches: each family of equivalent schemes once.

    Parameters
    ----------
    config : StudyConfig
    dataset : Dataset

    Returns
    -------
    space : SearchSpace
        ``config.space`` with the aliases left out of ``init`` (the same space when none).
    families : SchemeFamilies
    """
    from ..searchspaces import get_space

    space = get_space(config.space)
    outputs = n_outputs(dataset.task, dataset.y)
    families = find_families(space, dict(config.estimator), dataset.n_features, outputs)
    return searched_space(space, families), families
