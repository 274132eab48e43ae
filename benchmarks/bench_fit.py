"""Training speed and memory of initstudy's MLP against scikit-learn, measured side by side.

Run ``python benchmarks/bench_fit.py`` (about a minute and a half on 2 cores) or with
``--smoke`` for a seconds-long run with tiny sizes (for CI). Timings are the best of
``--repeats`` runs, because other processes share the cores.

1. one seed: initstudy vs scikit-learn ``MLPClassifier`` on digits, (64, 64), adam, batch 200,
   50 epochs, tol=0 (every epoch runs); held-out accuracy alongside.
2. eight seeds: ``fit_seeds`` vs eight sequential scikit-learn fits.
3. medium net: make_classification 20000x50, (256, 256), batch 256, 5 epochs: achieved GFLOP/s
   against the float32 matrix-multiply peak measured in the same run.
4. peak memory of 3 (tracemalloc: every Python and NumPy allocation during ``fit``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

from initstudy.mlp import MLPClassifier, fit_seeds

COMMON = {"solver": "adam", "learning_rate_init": 0.001, "alpha": 0.0001, "tol": 0.0}


def best_time(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The shortest wall time of ``repeats`` runs and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def matmul_peak(n: int, repeats: int) -> float:
    """float32 GFLOP/s of an ``n x n x n`` product (all BLAS threads), best of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=out)
    seconds, _ = best_time(lambda: np.matmul(a, b, out=out), repeats * 3)
    return 2 * n**3 / seconds / 1e9


def train_flops(n_samples: int, sizes: tuple[int, ...], epochs: int) -> float:
    """Multiply-add FLOPs of training: forward, kernel gradients, deltas below the first layer."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2.0 * n_samples * epochs * (2 * sum(products) + sum(products[1:]))


def peak_memory(run: Callable[[], Any]) -> float:
    """Peak traced allocation (MiB) while ``run`` executes."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def one_and_eight(X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, repeats: int) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    params = {**COMMON, "hidden_layer_sizes": hidden, "batch_size": 200, "max_iter": epochs}
    ours_s, ours = best_time(lambda: MLPClassifier(**params, random_state=0).fit(X_tr, y_tr), repeats)
    sk_s, sk = best_time(lambda: SklearnMLP(**params, random_state=0).fit(X_tr, y_tr), repeats)
    print(f"1. one seed, digits {hidden}, {epochs} epochs: initstudy {ours_s:.3f} s "
          f"(acc {ours.score(X_te, y_te):.3f})  scikit-learn {sk_s:.3f} s (acc {sk.score(X_te, y_te):.3f})"
          f"  speed-up {sk_s / ours_s:.2f}x (target >= 2.5x)")
    seeds = range(8)
    ours8_s, fits = best_time(lambda: fit_seeds(MLPClassifier(**params), X_tr, y_tr, seeds), repeats)
    sk8_s, sks = best_time(lambda: [SklearnMLP(**params, random_state=s).fit(X_tr, y_tr) for s in seeds], max(1, repeats - 1))
    acc, sk_acc = np.mean([f.score(X_te, y_te) for f in fits]), np.mean([f.score(X_te, y_te) for f in sks])
    print(f"2. eight seeds: fit_seeds {ours8_s:.3f} s (mean acc {acc:.3f})  8 x scikit-learn {sk8_s:.3f} s "
          f"(mean acc {sk_acc:.3f})  speed-up {sk8_s / ours8_s:.2f}x (target >= 5x)")


def medium(n: int, features: int, hidden: tuple[int, ...], epochs: int, repeats: int) -> None:
    X, y = make_classification(n_samples=n, n_features=features, n_informative=features // 2,
                               n_classes=4, random_state=0)
    X = X.astype(np.float32)
    params = {**COMMON, "hidden_layer_sizes": hidden, "batch_size": 256, "max_iter": epochs}
    peak = matmul_peak(1024 if n > 5000 else 256, repeats)
    layer_peak = matmul_peak_layer(256, hidden, repeats)
    ours_s, ours = best_time(lambda: MLPClassifier(**params, random_state=0).fit(X, y), repeats)
    sk_s, _ = best_time(lambda: SklearnMLP(**params, random_state=0).fit(X, y), max(1, repeats - 1))
    flops = train_flops(n, (features, *hidden, 4), epochs)
    gflops = flops / ours_s / 1e9
    print(f"3. medium {n}x{features}, {hidden}, batch 256, {epochs} epochs: initstudy {ours_s:.3f} s = "
          f"{gflops:.1f} GFLOP/s = {100 * gflops / peak:.0f}% of the float32 matmul peak {peak:.1f} GFLOP/s "
          f"(target >= 50%); one 256x{hidden[0]}x{hidden[-1]} product alone: {layer_peak:.1f} GFLOP/s; "
          f"scikit-learn {sk_s:.3f} s ({flops / sk_s / 1e9:.1f} GFLOP/s); train acc {ours.score(X, y):.3f}")
    ours_mb = peak_memory(lambda: MLPClassifier(**params, random_state=0).fit(X, y))
    sk_mb = peak_memory(lambda: SklearnMLP(**params, random_state=0).fit(X, y))
    print(f"4. peak memory of 3 (tracemalloc, data {X.nbytes / 2**20:.1f} MiB): initstudy {ours_mb:.1f} MiB  "
          f"scikit-learn {sk_mb:.1f} MiB")


def matmul_peak_layer(batch: int, hidden: tuple[int, ...], repeats: int) -> float:
    """GFLOP/s of one ``batch x h0 x h1`` float32 product, the medium net's hidden layer."""
    rng = np.random.default_rng(0)
    a = rng.random((batch, hidden[0]), dtype=np.float32)
    b = rng.random((hidden[0], hidden[-1]), dtype=np.float32)
    seconds, _ = best_time(lambda: a @ b, repeats * 200)
    return 2 * batch * hidden[0] * hidden[-1] / seconds / 1e9


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: checks that it runs")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is kept")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    if args.smoke:
        one_and_eight(X[:400], y[:400], (16,), 3, 1)
        medium(2000, 20, (32, 32), 1, 1)
        return
    print(f"numpy {np.__version__}; best of {args.repeats} runs; initstudy trains in float32")
    one_and_eight(X, y, (64, 64), 50, args.repeats)
    medium(20000, 50, (256, 256), 5, args.repeats)


if __name__ == "__main__":
    main()
