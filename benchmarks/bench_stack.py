"""Sixteen configurations in one stacked pass (``fit_stack``) against fitting them one by one.

Run ``python benchmarks/bench_stack.py`` (about two minutes on 2 shared cores) or with
``--smoke`` for a seconds-long run with tiny sizes (for CI). Each timing is the best of
``--repeats`` runs; the contenders run in turn within each repeat, because other processes
share the cores.

1. 16 configurations (4 init schemes x 2 ``init_scale`` x 2 ``learning_rate_init``) on digits
   (75% for training), (64, 64), adam, batch 128, 50 epochs, tol=0 (every epoch runs):
   ``fit_stack`` (threads as the load decides, and capped at one core) vs the 16 initstudy fits
   one by one vs 16 scikit-learn ``MLPClassifier`` fits one by one (scikit-learn draws its own
   Glorot init: same learning rates, its default scheme; as installed and on one BLAS thread,
   the faster counts). Mean held-out accuracy alongside.
2. The same 16 configurations on the training parts of 5 folds (80 members, 1437 or 1438 rows
   each: the folds' last batches differ in size): ``fit_stack`` vs 80 initstudy fits one by one.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import faster_sklearn, forced, load_note, race, sklearn_pair  # noqa: E402

from initstudy.mlp import MLPClassifier, fit_stack  # noqa: E402

SCHEMES = ("glorot_uniform", "he_normal", "lecun_normal", "orthogonal")
SCALES = (1.0, 2.0)
RATES = (0.001, 0.003)


def configurations(hidden: tuple[int, ...], epochs: int) -> list[MLPClassifier]:
    """The 16 configurations (scheme x scale x rate), seed 0."""
    common = {
        "hidden_layer_sizes": hidden,
        "solver": "adam",
        "batch_size": 128,
        "max_iter": epochs,
        "tol": 0.0,
        "random_state": 0,
    }
    return [
        MLPClassifier(**common, init=init, init_scale=scale, learning_rate_init=lr)
        for init in SCHEMES
        for scale in SCALES
        for lr in RATES
    ]


def sklearn_twin(net: MLPClassifier) -> SklearnMLP:
    """scikit-learn's MLPClassifier with the same training parameters (its own init)."""
    keys = ("hidden_layer_sizes", "solver", "batch_size", "max_iter", "tol", "random_state")
    return SklearnMLP(
        **{k: getattr(net, k) for k in keys}, learning_rate_init=net.learning_rate_init
    )


def one_by_one(
    nets: list[Any], X: np.ndarray, y: np.ndarray, rows: list[Any] | None = None
) -> list[Any]:
    rows = rows or [slice(None)] * len(nets)
    return [clone(n).fit(X[r], y[r]) for n, r in zip(nets, rows)]


def sixteen(
    X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, repeats: int
) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    nets = configurations(hidden, epochs)
    stacked = lambda: fit_stack(nets, X_tr, y_tr)  # noqa: E731
    r = race(
        {
            "stacked": stacked,
            "stacked one core": forced(cap=1)(stacked),
            "one by one": lambda: one_by_one(nets, X_tr, y_tr),
            **sklearn_pair(lambda: one_by_one([sklearn_twin(n) for n in nets], X_tr, y_tr)),
        },
        repeats,
    )
    sk_s, sks, which = faster_sklearn(r)
    acc = np.mean([f.score(X_te, y_te) for f in r["stacked"][1]])
    sk_acc = np.mean([f.score(X_te, y_te) for f in sks])
    st, st1, obo = r["stacked"][0], r["stacked one core"][0], r["one by one"][0]
    print(
        f"1. 16 configurations, digits {hidden}, adam, batch 128, {epochs} epochs: "
        f"fit_stack {st:.3f} s as decided by the load, {st1:.3f} s on one core (mean acc {acc:.3f}); "
        f"initstudy one by one {obo:.3f} s; scikit-learn one by one {r['sklearn'][0]:.3f} s, one thread "
        f"{r['sklearn 1 thread'][0]:.3f} s (mean acc {sk_acc:.3f})"
    )
    print(
        f"   ratios: stacked vs initstudy one by one {obo / st:.2f}x (one core {obo / st1:.2f}x); "
        f"stacked vs scikit-learn ({which}) {sk_s / st:.2f}x (one core {sk_s / st1:.2f}x); "
        f"initstudy one by one vs scikit-learn {sk_s / obo:.2f}x"
    )


def folds(X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, repeats: int) -> None:
    nets = configurations(hidden, epochs)
    parts = [train for train, _ in KFold(5, shuffle=True, random_state=0).split(X)]
    members = [(n, rows) for rows in parts for n in nets]
    all_nets, all_rows = [m for m, _ in members], [r for _, r in members]
    stacked = lambda: fit_stack(all_nets, X, y, train_rows=all_rows)  # noqa: E731
    r = race(
        {
            "stacked": stacked,
            "stacked one core": forced(cap=1)(stacked),
            "one by one": lambda: one_by_one(all_nets, X, y, all_rows),
        },
        repeats,
    )
    st, st1, obo = r["stacked"][0], r["stacked one core"][0], r["one by one"][0]
    sizes = sorted({len(p) for p in parts})
    print(
        f"2. 16 configurations x 5 folds ({len(members)} members, {sizes} rows): fit_stack {st:.3f} s "
        f"({st1:.3f} s on one core); initstudy one by one {obo:.3f} s: {obo / st:.2f}x "
        f"(one core {obo / st1:.2f}x)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, one repeat: checks that it runs"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is kept")
    parser.add_argument("--no-folds", action="store_true", help="skip line 2")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    for warm_up in (MLPClassifier, SklearnMLP):  # first-call costs (imports, BLAS introspection)
        warm_up(hidden_layer_sizes=(4,), max_iter=1).fit(X[:50], y[:50])
    if args.smoke:
        sixteen(X[:400], y[:400], (8,), 2, 1)
        folds(X[:400], y[:400], (8,), 2, 1)
        return
    print(f"numpy {np.__version__}; best of {args.repeats} runs; float32; {load_note()}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    sixteen(X, y, (64, 64), 50, args.repeats)
    if not args.no_folds:
        folds(X, y, (64, 64), 50, args.repeats)
    print(f"at the end: {load_note()}")


if __name__ == "__main__":
    main()
