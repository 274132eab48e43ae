"""Which sources of randomness a study's repetitions vary: ``[seeds] vary``.

Every repetition of a configuration (one per study seed) is trained from three seeds: the
initial weights (``init``), the mini-batch order (``order``) and the validation split
(``split``). ``vary`` says which of them change from one repetition to the next:

- ``["init", "order"]`` (the default, the behaviour of every study so far): repetition ``s``
  trains with ``random_state=s``, which draws both the weights and the batch order; the split
  is the study's one split (``split_seed``);
- ``["init"]``: the batch order is the same for every repetition (``shuffle_random_state`` =
  :data:`FIXED_ORDER_SEED`), so the spread over repetitions is the pure effect of the
  initialization;
- ``["init", "order", "split"]``: each repetition also draws its own validation split, from
  split seed ``split_seed + s`` (Bouthillier et al. 2021, "Accounting for Variance in Machine
  Learning Benchmarks": randomizing every source gives better comparisons per unit of compute).

:func:`repetition_seeds` is the one mapping from study seeds to the three seeds; the search and
the confirmation stage both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from initstudy.exceptions import ConfigError

__all__ = [
    "DEFAULT_VARY",
    "FIXED_ORDER_SEED",
    "VARY_CHOICES",
    "Repetition",
    "check_vary",
    "repetition_seeds",
    "uncertainty_sources",
]

#: The sources every study varies unless told otherwise (today's behaviour).
DEFAULT_VARY: tuple[str, ...] = ("init", "order")
#: The valid ``vary`` settings, in canonical order.
VARY_CHOICES: tuple[tuple[str, ...], ...] = (
    ("init",),
    ("init", "order"),
    ("init", "order", "split"),
)
#: The batch-order seed shared by every repetition when ``vary = ["init"]``.
FIXED_ORDER_SEED = 0
_CANONICAL = ("init", "order", "split")


def check_vary(vary: Any) -> tuple[str, ...]:
    """The ``vary`` setting in canonical order; ConfigError listing the valid values otherwise.

    Parameters
    ----------
    vary : sequence of str
        ``["init"]``, ``["init", "order"]`` or ``["init", "order", "split"]`` (any order).

    Returns
    -------
    tuple of str
    """
    valid = ", ".join(repr(list(v)) for v in VARY_CHOICES)
    if isinstance(vary, str) or not isinstance(vary, Iterable):
        raise ConfigError(
            f"The study setting 'vary' must be a list, one of {valid}. Got {vary!r} instead."
        )
    values = list(vary)
    canonical = tuple(s for s in _CANONICAL if s in values)
    if len(canonical) != len(values) or canonical not in VARY_CHOICES:
        raise ConfigError(
            f"The study setting 'vary' must be one of {valid}. Got {values!r} instead."
        )
    return canonical


@dataclass(frozen=True)
class Repetition:
    """The seeds of one repetition of a configuration.

    Attributes
    ----------
    seed : int
        The study seed (``random_state`` of the estimator).
    init : int
        The seed that draws the initial weights.
    order : int or None
        The batch-order seed, None when it is derived from ``seed`` (as ``random_state``
        does when ``shuffle_random_state`` is None).
    split : int
        The seed of the validation split.
    """

    seed: int
    init: int
    order: int | None
    split: int

    def estimator_params(self) -> dict[str, Any]:
        """The estimator parameters of this repetition (``set_params(**...)``).

        ``random_state`` alone when the order is derived from it, so every result of the
        default setting reproduces; ``shuffle_random_state`` added when the order is pinned.
        """
        params: dict[str, Any] = {"random_state": self.seed}
        if self.order is not None:
            params["shuffle_random_state"] = self.order
        return params


def repetition_seeds(
    seeds: Sequence[int], vary: Sequence[str] = DEFAULT_VARY, *, split_seed: int = 0
) -> list[Repetition]:
    """Each study seed's (init, order, split) seeds under a ``vary`` setting.

    Parameters
    ----------
    seeds : sequence of int
        The study seeds (search or confirmation seeds).
    vary : sequence of str, default=("init", "order")
        See :func:`check_vary`.
    split_seed : int, default=0
        The study's split seed: the one split, or the offset of the per-repetition splits.

    Returns
    -------
    list of Repetition
        One per seed, in order.

    Examples
    --------
    >>> [(r.init, r.order, r.split) for r in repetition_seeds([3, 4], ["init"], split_seed=0)]
    [(3, 0, 0), (4, 0, 0)]
    >>> [(r.init, r.order, r.split) for r in repetition_seeds([3, 4], ["init", "order", "split"])]
    [(3, None, 3), (4, None, 4)]
    """
    vary = check_vary(vary)
    reps = []
    for seed in seeds:
        order = None if "order" in vary else FIXED_ORDER_SEED
        split = split_seed + int(seed) if "split" in vary else split_seed
        reps.append(Repetition(seed=int(seed), init=int(seed), order=order, split=split))
    return reps


_SOURCE_WORDS = {"init": "initialization", "order": "data order", "split": "validation split"}


def uncertainty_sources(vary: Any) -> str:
    """Which sources of randomness a study's intervals include, in words.

    Parameters
    ----------
    vary : sequence of str, StudyConfig or stored config dict
        The ``vary`` setting, a config with a ``vary`` attribute, or the stored study record
        config (``{"seeds": {"vary": [...]}}``; absent means the default).

    Returns
    -------
    str
        E.g. ``"initialization and data order (one fixed validation split)"``.

    Examples
    --------
    >>> uncertainty_sources(["init"])
    'initialization only (data order and validation split fixed)'
    """
    if hasattr(vary, "vary"):
        vary = vary.vary
    elif isinstance(vary, dict):
        vary = vary.get("seeds", {}).get("vary", DEFAULT_VARY)
    vary = check_vary(vary)
    words = [_SOURCE_WORDS[s] for s in vary]
    fixed = [_SOURCE_WORDS[s] for s in _CANONICAL if s not in vary]
    if len(words) == 1:
        return f"{words[0]} only ({' and '.join(fixed)} fixed)"
    text = ", ".join(words[:-1]) + f" and {words[-1]}"
    return text + (f" (one fixed {fixed[0]})" if fixed else "")
