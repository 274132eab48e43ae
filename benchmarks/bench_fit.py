"""Training speed and memory of initstudy's MLP against scikit-learn, measured side by side.

Run ``python benchmarks/bench_fit.py`` (one to three minutes on 2 shared cores) or with
``--smoke`` for a seconds-long run with tiny sizes (for CI). Each timing is the best of
``--repeats`` runs and the contenders run in turn within each repeat, because other processes
share the cores. scikit-learn runs both as installed (all BLAS threads) and limited to one BLAS
thread, and the speed-up is taken against the faster of the two.

1. one seed: initstudy vs scikit-learn ``MLPClassifier`` on digits (75% for training), (64, 64),
   adam, batch 200, 50 epochs, tol=0 (every epoch runs); held-out accuracy alongside.
2. eight seeds: ``fit_seeds`` vs eight sequential scikit-learn fits.
3. medium net: make_classification 20000x50, (256, 256), batch 256, 5 epochs: achieved GFLOP/s
   against the float32 matrix-multiply peak measured in the same run (all cores and one thread).
4. peak memory of 3 (tracemalloc: every Python and NumPy allocation made during ``fit``).
"""

from __future__ import annotations

import argparse
import os
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
from threadpoolctl import threadpool_limits

from initstudy import _blas
from initstudy.mlp import MLPClassifier, _seeds, fit_seeds, set_blas_threads

COMMON = {"solver": "adam", "learning_rate_init": 0.001, "alpha": 0.0001, "tol": 0.0}


CPU: dict[str, float] = {}
"""Best process CPU time of each contender of the last :func:`race` (comparable between
single-threaded contenders, and less sensitive than wall time to other processes)."""


def race(contenders: dict[str, Callable[[], Any]], repeats: int) -> dict[str, tuple[float, Any]]:
    """Best wall time and last result of each contender, running them in turn ``repeats`` times."""
    best: dict[str, tuple[float, Any]] = {}
    CPU.clear()
    for _ in range(repeats):
        for name, run in contenders.items():
            start, cpu = time.perf_counter(), time.process_time()
            result = run()
            seconds = time.perf_counter() - start
            best[name] = (min(seconds, best.get(name, (np.inf, None))[0]), result)
            CPU[name] = min(time.process_time() - cpu, CPU.get(name, np.inf))
    return best


def cpu_note(ours: str) -> str:
    """The CPU-time ratio of one-thread scikit-learn to ``ours`` (both on one core)."""
    return f"[CPU time: {CPU[ours]:.3f} s vs {CPU['sklearn 1 thread']:.3f} s = {CPU['sklearn 1 thread'] / CPU[ours]:.2f}x]"


def one_thread(run: Callable[[], Any]) -> Callable[[], Any]:
    """``run`` with BLAS limited to one thread."""

    def limited() -> Any:
        with threadpool_limits(1, user_api="blas"):
            return run()

    return limited


def matmul_peak(n: int, repeats: int, threads: int | None = None) -> float:
    """float32 GFLOP/s of an ``n x n x n`` product, best of many (``threads`` BLAS threads)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    with threadpool_limits(threads, user_api="blas"):
        seconds = race({"mm": lambda: np.matmul(a, b, out=out)}, repeats * 5)["mm"][0]
    return 2 * n**3 / seconds / 1e9


def train_flops(n_samples: int, sizes: tuple[int, ...], epochs: int) -> float:
    """FLOPs of training: forward, kernel gradients, and deltas below the first layer."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2.0 * n_samples * epochs * (2 * sum(products) + sum(products[1:]))


def peak_memory(run: Callable[[], Any]) -> float:
    """Peak traced allocation (MiB) while ``run`` executes."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def forced(
    idle: bool | None = None, cap: int | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Wrap a run so initstudy's thread policy sees every core free (``idle``) and/or has a cap."""

    def wrap(run: Callable[[], Any]) -> Callable[[], Any]:
        def wrapped() -> Any:
            saved = (_blas.free_cores, _seeds.free_cores)
            if idle:
                _blas.free_cores = _seeds.free_cores = lambda: os.cpu_count() or 1
            previous = set_blas_threads(cap)
            try:
                return run()
            finally:
                _blas.free_cores, _seeds.free_cores = saved
                set_blas_threads(previous)

        return wrapped

    return wrap


def load_note() -> str:
    """The load average now and what initstudy's policy decides from it."""
    load = os.getloadavg()
    return (
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores, this process "
        f"{_blas._MONITOR.own_rate():.2f}: initstudy sees {_blas.free_cores()} free core(s)"
    )


def sklearn_pair(make: Callable[[], Any]) -> dict[str, Callable[[], Any]]:
    return {"sklearn": make, "sklearn 1 thread": one_thread(make)}


def faster_sklearn(results: dict[str, tuple[float, Any]]) -> tuple[float, Any, str]:
    name = min(("sklearn", "sklearn 1 thread"), key=lambda k: results[k][0])
    return results[name][0], results[name][1], name


def one_and_eight(
    X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, repeats: int
) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    params = {**COMMON, "hidden_layer_sizes": hidden, "batch_size": 200, "max_iter": epochs}
    r = race(
        {
            "initstudy": lambda: MLPClassifier(**params, random_state=0).fit(X_tr, y_tr),
            **sklearn_pair(lambda: SklearnMLP(**params, random_state=0).fit(X_tr, y_tr)),
        },
        repeats,
    )
    ours_s, ours = r["initstudy"]
    sk_s, sk, which = faster_sklearn(r)
    print(
        f"1. one seed, digits {hidden}, {epochs} epochs: initstudy {ours_s:.3f} s (acc {ours.score(X_te, y_te):.3f})"
        f"  scikit-learn {r['sklearn'][0]:.3f} s, one thread {r['sklearn 1 thread'][0]:.3f} s "
        f"(acc {sk.score(X_te, y_te):.3f})  speed-up {sk_s / ours_s:.2f}x vs {which} (target >= 2.5x) "
        f"{cpu_note('initstudy')}"
    )
    seeds = range(8)
    eight = lambda: fit_seeds(MLPClassifier(**params), X_tr, y_tr, seeds)  # noqa: E731
    r = race(
        {
            "policy": eight,
            "two threads": forced(idle=True)(eight),
            "one core": forced(cap=1)(eight),
            **sklearn_pair(
                lambda: [SklearnMLP(**params, random_state=s).fit(X_tr, y_tr) for s in seeds]
            ),
        },
        repeats,
    )
    sk_s, sks, which = faster_sklearn(r)
    acc = np.mean([f.score(X_te, y_te) for f in r["policy"][1]])
    sk_acc = np.mean([f.score(X_te, y_te) for f in sks])
    print(
        f"2. eight seeds: fit_seeds {r['policy'][0]:.3f} s as decided by the load (mean acc {acc:.3f}); "
        f"on two seed threads {r['two threads'][0]:.3f} s; on one core {r['one core'][0]:.3f} s  "
        f"8 x scikit-learn {r['sklearn'][0]:.3f} s, one thread {r['sklearn 1 thread'][0]:.3f} s "
        f"(mean acc {sk_acc:.3f})  speed-up {sk_s / r['policy'][0]:.2f}x (two threads "
        f"{sk_s / r['two threads'][0]:.2f}x, one core {sk_s / r['one core'][0]:.2f}x) vs {which} "
        f"(target >= 5x) {cpu_note('one core')}"
    )


def medium(n: int, features: int, hidden: tuple[int, ...], epochs: int, repeats: int) -> None:
    X, y = make_classification(
        n_samples=n, n_features=features, n_informative=features // 2, n_classes=4, random_state=0
    )
    X = X.astype(np.float32)
    params = {**COMMON, "hidden_layer_sizes": hidden, "batch_size": 256, "max_iter": epochs}
    size = 1024 if n > 5000 else 256
    peak, peak_1 = matmul_peak(size, repeats), matmul_peak(size, repeats, threads=1)
    fit = lambda: MLPClassifier(**params, random_state=0).fit(X, y)  # noqa: E731
    r = race(
        {
            "initstudy": fit,
            "all threads": forced(idle=True)(fit),
            "one thread": forced(cap=1)(fit),
            **sklearn_pair(lambda: SklearnMLP(**params, random_state=0).fit(X, y)),
        },
        repeats,
    )
    ours_s, ours = r["initstudy"]
    sk_s, _, which = faster_sklearn(r)
    all_gflops = train_flops(n, (features, *hidden, 4), epochs) / r["all threads"][0] / 1e9
    flops = train_flops(n, (features, *hidden, 4), epochs)
    gflops = flops / ours_s / 1e9
    one_gflops = flops / r["one thread"][0] / 1e9
    print(
        f"3. medium {n}x{features}, {hidden}, batch 256, {epochs} epochs: initstudy {ours_s:.3f} s = "
        f"{gflops:.1f} GFLOP/s = {100 * gflops / peak:.0f}% of the float32 matmul peak {peak:.1f} GFLOP/s "
        f"({size}^3, all cores; target >= 50%), threads as decided by the load; {which} {sk_s:.3f} s "
        f"({flops / sk_s / 1e9:.1f} GFLOP/s); train acc {ours.score(X, y):.3f}"
    )
    print(
        f"3b. the same fit on all BLAS threads (machine taken as idle): {r['all threads'][0]:.3f} s = "
        f"{all_gflops:.1f} GFLOP/s = {100 * all_gflops / peak:.0f}% of the all-core peak; on one thread: "
        f"{r['one thread'][0]:.3f} s = {one_gflops:.1f} GFLOP/s = {100 * one_gflops / peak_1:.0f}% of the "
        f"one-thread peak {peak_1:.1f}"
    )
    ours_mb = peak_memory(lambda: MLPClassifier(**params, random_state=0).fit(X, y))
    sk_mb = peak_memory(lambda: SklearnMLP(**params, random_state=0).fit(X, y))
    print(
        f"4. peak memory of 3 (tracemalloc, X itself {X.nbytes / 2**20:.1f} MiB not counted): "
        f"initstudy {ours_mb:.1f} MiB  scikit-learn {sk_mb:.1f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, one repeat: checks that it runs"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the best is kept")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    for warm_up in (MLPClassifier, SklearnMLP):  # first-call costs (imports, BLAS introspection)
        warm_up(hidden_layer_sizes=(4,), max_iter=1).fit(X[:50], y[:50])
    if args.smoke:
        one_and_eight(X[:400], y[:400], (16,), 3, 1)
        medium(2000, 20, (32, 32), 1, 1)
        return
    print(
        f"numpy {np.__version__}; best of {args.repeats} runs; initstudy trains in float32; {load_note()}"
    )
    one_and_eight(X, y, (64, 64), 50, args.repeats)
    medium(20000, 50, (256, 256), 5, args.repeats)
    print(f"at the end: {load_note()}")


if __name__ == "__main__":
    main()
