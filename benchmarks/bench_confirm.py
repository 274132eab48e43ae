"""The confirmation stage's training: one configuration at a time against one stack.

Run ``python benchmarks/bench_confirm.py`` (about three minutes on 2 shared cores) or with
``--smoke`` for a seconds-long run with tiny sizes (for CI). Each timing is the best of
``--repeats`` runs; the contenders run in turn within each repeat, because other processes
share the cores. Both contenders give bitwise the same scores (checked on every run).

The confirmation retrains each scheme's best configuration on fresh seeds on the search part
and scores it on the test part. Here: 9 configurations (9 init schemes, each with its own
``init_scale``), 10 seeds, one stratified 20% test part, preprocessing fitted once:

1. the default study's network: digits, (64, 64), adam, batch 128, 50 epochs;
2. a small network, where each step's fixed cost dominates: digits, (16,), adam, batch 32,
   20 epochs.

"one at a time" is the confirmation before it stacked: ``evaluate_folds`` per configuration
(``fit_seeds`` stacks that configuration's 10 seeds). "one stack": all 90 (configuration,
seed) members in one ``fit_stack`` pass. "evaluate_many": what the confirmation does now,
stacks sized by ``STACK_CACHE_BYTES`` (never fewer members than one configuration's seeds).
As the thread policy decides from the load, and capped at one core (``set_blas_threads(1)``,
as parallel study workers).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import PredefinedSplit, StratifiedShuffleSplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import forced, load_note, race  # noqa: E402

from initstudy.mlp import MLPClassifier  # noqa: E402
from initstudy.study import _evaluate_many as many  # noqa: E402
from initstudy.study._evaluate import evaluate_folds, prepare_folds  # noqa: E402
from initstudy.study._evaluate_many import evaluate_many  # noqa: E402

SCHEMES = (
    "glorot_normal",
    "orthogonal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "random_normal",
    "ones",
    "constant",
)
SEEDS = list(range(10_000, 10_010))


def configurations(hidden: tuple[int, ...], batch: int, epochs: int) -> list[MLPClassifier]:
    """One configuration per scheme, scales spread over [0.5, 2]."""
    scales = np.geomspace(0.5, 2.0, len(SCHEMES))
    common = {"hidden_layer_sizes": hidden, "batch_size": batch, "max_iter": epochs}
    return [
        MLPClassifier(**common, init=init, init_scale=float(scale), shuffle_random_state=0)
        for init, scale in zip(SCHEMES, scales)
    ]


def test_part(X: np.ndarray, y: np.ndarray) -> list[Any]:
    """One fold: the search part for training, a stratified 20% test part for scoring."""
    split = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    _, test = next(split.split(X, y))
    fold = np.full(len(y), -1)
    fold[test] = 0
    return prepare_folds(X, y, task="classification", validation=PredefinedSplit(fold))


def line(
    label: str, X: np.ndarray, y: np.ndarray, nets: list[Any], seeds: list[int], repeats: int
) -> None:
    folds = test_part(X, y)

    def one_at_a_time() -> list[Any]:
        return [evaluate_folds(net, folds, seeds=seeds) for net in nets]

    def stacked() -> list[Any]:  # stacks as evaluate_many sizes them
        return evaluate_many(nets, folds, seeds=seeds)

    def one_stack() -> list[Any]:  # every member in one stack, whatever its size
        saved, many.STACK_CACHE_BYTES = many.STACK_CACHE_BYTES, 2**62
        try:
            return evaluate_many(nets, folds, seeds=seeds)
        finally:
            many.STACK_CACHE_BYTES = saved

    r = race(
        {
            "one at a time": one_at_a_time,
            "evaluate_many": stacked,
            "one stack": one_stack,
            "one at a time, one core": forced(cap=1)(one_at_a_time),
            "one stack, one core": forced(cap=1)(one_stack),
        },
        repeats,
    )
    for name in ("evaluate_many", "one stack"):
        for a, b in zip(r["one at a time"][1], r[name][1]):
            np.testing.assert_array_equal(a.seed_scores(), b.seed_scores())
    size = min(many._stack_size(nets[0], folds[0], len(seeds)), len(nets) * len(seeds))
    loop, chosen, stack = (r[k][0] for k in ("one at a time", "evaluate_many", "one stack"))
    loop1, stack1 = r["one at a time, one core"][0], r["one stack, one core"][0]
    print(
        f"{label}: {len(nets)} configurations x {len(seeds)} seeds: one at a time {loop:.3f} s; "
        f"one stack of {len(nets) * len(seeds)} {stack:.3f} s = {loop / stack:.2f}x; "
        f"evaluate_many (stacks of {size}) {chosen:.3f} s = {loop / chosen:.2f}x; one core: "
        f"{loop1:.3f} s vs one stack {stack1:.3f} s = {loop1 / stack1:.2f}x (identical scores)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, one repeat: checks that it runs"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is kept")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    evaluate_many(configurations((4,), 32, 1)[:2], test_part(X[:200], y[:200]), seeds=2)  # warm
    if args.smoke:
        line("smoke", X[:300], y[:300], configurations((8,), 32, 2), SEEDS[:3], 1)
        return
    print(f"numpy {np.__version__}; best of {args.repeats} runs; float32; {load_note()}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    line(
        "1. digits (64, 64), batch 128, 50 epochs",
        X,
        y,
        configurations((64, 64), 128, 50),
        SEEDS,
        args.repeats,
    )
    line(
        "2. digits (16,), batch 32, 20 epochs",
        X,
        y,
        configurations((16,), 32, 20),
        SEEDS,
        args.repeats,
    )
    print(f"at the end: {load_note()}")
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
