"""The speed table of issue 11, every row side by side in one run.

Run ``python benchmarks/bench_peers.py`` (about five minutes on 2 cores; ``--quick`` for a
smaller run) after ``pip install -e ".[test]"`` (optuna-integration, for ``OptunaSearchCV``,
is a test extra). Check ``uptime`` first: the cores are shared, so each in-process timing is
the best of ``--repeats`` runs, contenders alternate within a repeat, and the load average is
printed at the start and the end.

Rows (digits; (64, 64) ReLU, Adam, learning rate 0.001, 50 epochs, tol=0, batch 128 unless
said):

1. ``fit_seeds``: time(16 seeds) / time(1 seed), and the time per seed at 1, 8, 16 and 32.
2. eight seeds through ``fit_seeds`` against eight scikit-learn ``MLPClassifier`` fits
   (batch 200, as scikit-learn's default), both on the same 75% of digits. scikit-learn runs
   as installed (all BLAS threads) and on one BLAS thread; the faster counts (on shared
   cores its threads can spin: 60 s instead of 4 s was seen).
3. study throughput, both as fresh processes on a new SQLite file:
   ``initstudy run --trials 20 --seeds 5 --no-confirm`` (the ``keras`` space, holdout 0.2,
   no test part) against a hand-written Optuna TPE study (``optuna.create_study`` on SQLite)
   whose objective fits scikit-learn's ``MLPClassifier`` from the same 5 seeds on the same
   standardized 80/20 split (scikit-learn has no init knob: it searches
   ``learning_rate_init``; both train 20 x 5 networks of the same shape for 50 epochs). The
   peer runs as installed and with one BLAS thread; the faster counts.
4. ``InitSearchCV(pipeline, "keras", n_trials=10, n_seeds=5, cv=3)`` against
   optuna-integration's ``OptunaSearchCV`` over the same pipeline shape (StandardScaler then
   scikit-learn's MLP), 10 trials, cv=3, one seed: the ratio is the peer's time over ours, so
   1.0 means five times the evidence in the same wait.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from initstudy.mlp import MLPClassifier, fit_seeds

NET = {
    "hidden_layer_sizes": (64, 64),
    "solver": "adam",
    "learning_rate_init": 0.001,
    "max_iter": 50,
    "tol": 0.0,
    "batch_size": 128,
}

STUDY_TOML = """\
[study]
name = "peer-race"
n_trials = {trials}

[dataset]
name = "digits"

[estimator]
hidden_layer_sizes = [64, 64]
solver = "adam"
learning_rate_init = 0.001
max_iter = 50
tol = 0.0
batch_size = 128

[seeds]
n = 5

[evaluation]
validation = 0.2
test_size = 0.0
split_seed = 0

[confirm]
enabled = false
"""

PEER_STUDY = """\
import sys, warnings
import optuna
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

def objective(trial):
    lr = trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True)
    scores = []
    for seed in range(5):
        net = MLPClassifier((64, 64), solver="adam", learning_rate_init=lr, max_iter=50,
                            tol=0.0, batch_size=128, random_state=seed)
        scores.append(net.fit(X_train, y_train).score(X_val, y_val))
    return sum(scores) / len(scores)

study = optuna.create_study(storage=sys.argv[1], study_name="peer", direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=int(sys.argv[2]))
"""


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


def best_of(run: Callable[[], Any], repeats: int) -> float:
    """The best wall time of ``repeats`` runs."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return float(best)


def digits_split() -> tuple[np.ndarray, ...]:
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return tuple(train_test_split(X, y, train_size=0.75, stratify=y, random_state=0))


def row_scaling(repeats: int, counts: tuple[int, ...]) -> None:
    X_train, _, y_train, _ = digits_split()
    net = MLPClassifier(**NET)
    seconds = {
        k: best_of(lambda k=k: fit_seeds(net, X_train, y_train, seeds=range(k)), repeats)
        for k in counts
    }
    per_seed = ", ".join(f"{1000 * seconds[k] / k:.0f} ms at {k}" for k in counts)
    ratio = seconds[16] / seconds[1] if 16 in seconds and 1 in seconds else float("nan")
    print(
        f"1. fit_seeds time(16)/time(1) = {ratio:.2f} (1 seed {seconds[counts[0]]:.3f} s; "
        f"per seed {per_seed}); target <= 5"
    )


def row_eight(repeats: int) -> None:
    X_train, _, y_train, _ = digits_split()
    ours = MLPClassifier(**{**NET, "batch_size": 200})
    theirs = {k: v for k, v in NET.items()} | {"batch_size": 200}
    t_ours = best_of(lambda: fit_seeds(ours, X_train, y_train, seeds=range(8)), repeats)

    def sklearn_fits() -> list[Any]:
        return [SklearnMLP(**theirs, random_state=s).fit(X_train, y_train) for s in range(8)]

    def sklearn_one_thread() -> list[Any]:
        with threadpool_limits(1, user_api="blas"):
            return sklearn_fits()

    t_sk = min(best_of(sklearn_fits, repeats), best_of(sklearn_one_thread, repeats))
    print(
        f"2. 8 seeds: fit_seeds {t_ours:.3f} s vs 8 scikit-learn fits {t_sk:.3f} s = "
        f"{t_sk / t_ours:.2f}x; target >= 6x"
    )


def _fresh_process(args: list[str], cwd: Path, one_thread: bool = False) -> float:
    env = dict(os.environ)
    if one_thread:
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def row_study(trials: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "race.toml").write_text(STUDY_TOML.format(trials=trials))
        (folder / "peer.py").write_text(PEER_STUDY)
        ours = _fresh_process(
            [
                sys.executable,
                "-m",
                "initstudy.cli",
                "run",
                "race.toml",
                "--storage",
                "ours.db",
                "--quiet",
            ],
            folder,
        )
        peer = min(  # as installed (all BLAS threads) and on one: the faster counts
            _fresh_process(
                [sys.executable, "peer.py", f"sqlite:///{folder / f'peer{n}.db'}", str(trials)],
                folder,
                one_thread=bool(n),
            )
            for n in (0, 1)
        )
    print(
        f"3. study, {trials} trials x 5 seeds: initstudy run {ours:.1f} s vs Optuna + "
        f"scikit-learn {peer:.1f} s = {peer / ours:.2f}x; target >= 5x"
    )


def row_search_cv(trials: int) -> None:
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna_integration import OptunaSearchCV

    from initstudy.study import InitSearchCV

    X, y = load_digits(return_X_y=True)
    ours_pipe = make_pipeline(StandardScaler(), MLPClassifier(**NET))
    peer_pipe = make_pipeline(StandardScaler(), SklearnMLP(**NET, random_state=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        InitSearchCV(ours_pipe, "keras", n_trials=trials, n_seeds=5, cv=3, random_state=0).fit(X, y)
        ours = time.perf_counter() - start

        def peer_search() -> Any:
            return OptunaSearchCV(
                peer_pipe,
                {"mlpclassifier__learning_rate_init": FloatDistribution(1e-4, 1e-1, log=True)},
                n_trials=trials,
                cv=3,
                random_state=0,
            ).fit(X, y)

        def peer_one_thread() -> Any:
            with threadpool_limits(1, user_api="blas"):
                return peer_search()

        peer = min(best_of(peer_search, 1), best_of(peer_one_thread, 1))  # the faster counts
    print(
        f"4. InitSearchCV {trials} trials x 5 seeds x cv=3 {ours:.1f} s vs OptunaSearchCV "
        f"{trials} trials x 1 seed x cv=3 {peer:.1f} s = {peer / ours:.2f}x; target >= 1.0x"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and trials")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"start: {load_note()}")
    row_scaling(repeats, (1, 8, 16, 32))
    row_eight(repeats)
    row_study(6 if args.quick else 20)
    row_search_cv(3 if args.quick else 10)
    print(f"end: {load_note()}")


if __name__ == "__main__":
    main()
